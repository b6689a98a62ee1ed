//===- CpuPasses.td - CPU code generation passes -----------*- tablegen -*-===//
#ifndef LATHE_CPU_PASSES_TD
#define LATHE_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def PrepareCpuABI : Pass<"lathe-cpu-prepare-abi", "mlir::ModuleOp"> {
  let summary = "Lower dispatch ops to calls of the runtime's dispatch callback";
  let description = [{
    At the buffer level: every kernel gets its workgroup id as a trailing
    `index` argument; every entry function gets a trailing `!llvm.ptr` to the
    runtime's `LatheHostABI` (runtime/include/lathe/model_abi.h), and each
    `dispatch.launch` becomes a table of binding pointers and an indirect call
    of `host->dispatch`. The artifact metadata is computed here, while
    element types and shapes are still visible, and kept as the module
    attribute `lathe.metadata`.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect"];
}

def EmitCpuABI : Pass<"lathe-cpu-emit-abi", "mlir::ModuleOp"> {
  let summary = "Emit the exported ABI wrappers and metadata of a model library";
  let description = [{
    At the LLVM dialect level (bare-pointer calling convention): emits
    `lathe_entry_<name>(void **buffers, const LatheHostABI *host)` for every
    entry function, `lathe_kernel_<name>(void **bindings, int64_t wg)` for
    every kernel, and the `lathe_artifact_metadata` string.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // LATHE_CPU_PASSES_TD
