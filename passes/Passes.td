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
    `graph.quantized_matmul` becomes one linalg.generic that decodes each
    weight from its GGUF block bytes inside the reduction: no dequantized
    copy of the weights exists at any level. `linalg.softmax` (which the
    ONNX importer keeps whole for attention raising) is decomposed into
    generics.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
}

def RaiseAttention : Pass<"lathe-raise-attention", "mlir::ModuleOp"> {
  let summary = "Turn decomposed attention (MatMul, scale, mask, Softmax, MatMul) into graph.attention";
  let description = [{
    Finds attention as exporters write it, imported: `linalg.batch_matmul`
    of A [N, S, D] and B [N, D, L] (zero-initialized), reshaped to the scores
    [B, H, S, L] (B * H = N) or kept [N, S, L], optionally multiplied or
    divided by a scalar f32 constant, optionally passed through
    Where(keep, scores, c) with an i1 `keep` and a scalar constant `c`
    (causality as GPT-2 exports it), optionally plus an f32 mask, the masks'
    dimensions 1 or full (elementwise `linalg.generic`s), then
    `linalg.softmax` over the keys, whose result (reshaped) is the left
    operand of a zero-initialized `linalg.batch_matmul` with V [N, L, Dv];
    every intermediate used once. The chain becomes `graph.attention` on
    Q = A, K = B transposed and V, each viewed as [B, H, ., .], with the
    scale (1 without one, 1/c for a division) and the mask (the two masks
    summed into one, Where contributing 0 or c), and its result
    collapsed back to [N, S, Dv]. Only f32 chains with static shapes are
    raised. A query whose keys are all masked with -inf gets zeros instead of
    the NaNs of the decomposed form.
  }];
  let dependentDialects = ["lathe::graph::GraphDialect", "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseAttention : Pass<"lathe-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Make attention one kernel: graph.attention to dispatch.attention";
  let description = [{
    Rewrites each `graph.attention` that a target computes as one fused
    kernel into `dispatch.attention` (destination-passing style, written into
    a `tensor.empty`): scores, softmax and the product with `v` then happen in
    one pass over the keys, without score tensors in memory. That covers
    statically shaped f32 attention, causal or not, with a static or
    run-time past length, softcap, and a float or boolean mask (made an
    additive f32 mask). f16/bf16 attention is left for `lathe-lower-graph`.
  }];
  let dependentDialects = ["lathe::dispatch::DispatchDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseElementwise : Pass<"lathe-fuse-elementwise", "mlir::ModuleOp"> {
  let summary = "Fuse elementwise linalg ops, keeping matmuls intact";
  let description = [{
    Upstream's elementwise fusion of `linalg.generic` producers into their
    consumers (and of reshapes, by expanding loops), applied when the
    producer has a single use, except across a contraction (`linalg.matmul`,
    `linalg.batch_matmul`, a contraction generic) or a generic marked
    `lathe.quantized_matmul`: those keep their form so that a target can
    recognize them and give them a kernel of its own. `linalg.transpose`
    of a computed value is generalized first, so that splitting and joining
    attention heads fuses with the bias add or copy around it; a transpose
    of a constant stays (targets lay such weights out at compile time).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect"];
}

def FormDispatches : Pass<"lathe-form-dispatches", "mlir::ModuleOp"> {
  let summary = "Wrap each root linalg op in a workgroup-parallel dispatch";
  let description = [{
    Tiles the outermost parallel loop of every linalg op in an entry function
    with `scf.forall`; each forall is one dispatch whose iterations are the
    workgroups, mapped with `#dispatch.workgroup<d>` (so that a dispatch of
    one workgroup stays one). The tile size aims at `workgroup-target`
    workgroups per dispatch, so that a thread pool of any size has work to
    balance.
    A generic marked `lathe.quantized_matmul` is split along its columns
    (the weight rows), so that every workgroup reads a disjoint part of the
    weights. Contractions (matmuls) are split into a grid of row and column
    tiles of their result instead (a two-dimensional `scf.forall`) of between
    a quarter and a half of `workgroup-target` tiles (each workgroup packs
    the operand blocks it reads, so fewer, larger tiles copy less), chosen to
    minimize the operand bytes that all workgroups read together; column
    tiles are multiples of 64 (or the whole columns) and row tiles at least
    96 rows, dividing the extents exactly; a contraction without such a grid
    splits its first parallel loop into as many workgroups as divide it
    (one if none does), so that its tiles keep static shapes. A
    `linalg.fill` whose only use is the init of another
    op is fused into that op's workgroups; a fill that initializes several
    ops is first cloned for each of them. A `dispatch.attention` is split
    into one workgroup per batch and key/value head (with their query heads),
    or per query head when there is one key/value head and one batch entry.
    An op of fewer than `min-work` loop iterations (a decoder's norms,
    residual adds and activations of one token) stays on the host: waking
    the thread pool and waiting for it cost more than the op (2-thread
    decoding of a 24-layer model was 5% faster with 8192).
  }];
  let options = [
    Option<"workgroupTarget", "workgroup-target", "int64_t", "16",
           "Number of workgroups to aim for per dispatch">,
    Option<"minWork", "min-work", "int64_t", "8192",
           "Loop iterations below which an op stays on the host">
  ];
  let dependentDialects = ["lathe::dispatch::DispatchDialect",
                           "mlir::scf::SCFDialect", "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect"];
}

def ElideResultCopies : Pass<"lathe-elide-result-copies", "mlir::ModuleOp"> {
  let summary = "Compute entry results in their output buffers instead of copying";
  let description = [{
    After bufferization, an entry function whose result is a reshape of a
    buffer it allocates (`memref.expand_shape` / `memref.collapse_shape` of
    a `memref.alloc`, as from ONNX Reshape or Flatten at the end of a graph)
    ends with a `memref.copy` of that view into the caller's output buffer.
    When the copy is the output argument's only use and the last use of the
    allocation, the allocation becomes a view of the output argument
    (`memref.reinterpret_cast` to the allocation's contiguous shape) and
    the copy goes: the ops that wrote the allocation write the output.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def OutlineDispatches : Pass<"lathe-outline-dispatches", "mlir::ModuleOp"> {
  let summary = "Outline bufferized workgroup loops into dispatch kernels";
  let description = [{
    Moves the body of every `scf.forall` in an entry function (after
    bufferization) into a kernel function whose arguments are the root
    buffers it reads and writes and which reads its workgroup id with
    `dispatch.workgroup_id`; views of those buffers and constants are rebuilt
    inside the kernel. The loop becomes a `dispatch.launch` of that kernel;
    the iterations of a multi-dimensional loop are numbered row-major and the
    kernel recovers its indices from the workgroup id.
  }];
  let dependentDialects = ["lathe::dispatch::DispatchDialect",
                           "mlir::memref::MemRefDialect"];
}

def DeduplicateKernels : Pass<"lathe-deduplicate-kernels", "mlir::ModuleOp"> {
  let summary = "Launch one kernel for every group of identical kernels";
  let description = [{
    A kernel (a function marked `dispatch.kernel`) whose body, signature and
    attributes equal those of an earlier kernel, up to value names and
    locations, is erased, and its `dispatch.launch`es call the earlier one.
    The repeated layers of a model outline into repeated kernels that differ
    only in the buffers their launches bind: after this pass each distinct
    kernel is generated once, so compile time no longer grows with the
    number of layers for them.
  }];
}

#endif // LATHE_PASSES_TD
