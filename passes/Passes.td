//===- Passes.td - Lathe pass declarations -----------------*- tablegen -*-===//

#ifndef LATHE_PASSES_TD
#define LATHE_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerGraphToLinalg : Pass<"lathe-lower-graph", "mlir::ModuleOp"> {
  let summary = "Lower graph dialect ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every `graph` op that has no dedicated kernel path into
    upstream tensor-level IR (linalg.generic, linalg.matmul, tensor ops), so
    that dispatch formation and code generation see only upstream ops.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
}

def FormDispatches : Pass<"lathe-form-dispatches", "mlir::ModuleOp"> {
  let summary = "Wrap each root linalg op in a workgroup-parallel dispatch";
  let description = [{
    Tiles the outermost parallel loop of every linalg op in an entry function
    with `scf.forall`; each forall is one dispatch whose iterations are the
    workgroups. The tile size aims at `workgroup-target` workgroups per
    dispatch, so that a thread pool of any size has work to balance.
  }];
  let options = [
    Option<"workgroupTarget", "workgroup-target", "int64_t", "16",
           "Number of workgroups to aim for per dispatch">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect"];
}

def OutlineDispatches : Pass<"lathe-outline-dispatches", "mlir::ModuleOp"> {
  let summary = "Outline bufferized workgroup loops into dispatch kernels";
  let description = [{
    Moves the body of every `scf.forall` in an entry function (after
    bufferization) into a kernel function whose first argument is the
    workgroup id and whose other arguments are the root buffers it reads and
    writes; the loop becomes a `dispatch.launch` of that kernel.
  }];
  let dependentDialects = ["lathe::dispatch::DispatchDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // LATHE_PASSES_TD
