//===- CpuPasses.td - CPU code generation passes -----------*- tablegen -*-===//
#ifndef LATHE_CPU_PASSES_TD
#define LATHE_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def PrepareCpuABI : Pass<"lathe-cpu-prepare-abi", "mlir::ModuleOp"> {
  let summary = "Lower dispatch ops to calls of the runtime's dispatch callback";
  let description = [{
    At the buffer level: every kernel gets its workgroup id as a trailing
    `index` argument, then its workspace, a noalias `memref<N x i8>` of the
    runtime's per-thread scratch memory holding the kernel's allocas marked
    `lathe.workspace` (views at 64-byte aligned offsets; N goes into the
    kernel's metadata line); every entry function gets a trailing `!llvm.ptr` to the
    runtime's `LatheHostABI` (runtime/include/lathe/model_abi.h), and each
    `dispatch.launch` becomes a table of binding pointers and an indirect call
    of `host->dispatch`; the entry returns the first non-zero status of
    those calls as an `i32`. The artifact metadata is computed here, while
    element types and shapes are still visible, and kept as the module
    attribute `lathe.metadata`.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect", "mlir::memref::MemRefDialect"];
}

def MatmulMicrokernel : Pass<"lathe-cpu-matmul-microkernel", "mlir::ModuleOp"> {
  let summary = "Rewrite f32 matmuls of kernels into packed, register-blocked loops";
  let description = [{
    At the buffer level, in every `dispatch.kernel` function: an f32
    `linalg.matmul` with static shapes, unit inner strides and N a multiple of
    `register-width` becomes the GotoBLAS loop nest. Each cache block of B
    (`cache-block-k` x `cache-block-n`, shrunk to divisors of K and N) is
    copied into a panel-major buffer (memref<nc/width x kc x width>) and each
    block of A (`cache-block-m` rows) row by row into one block per register
    tile (memref<mc/rows x rows x kc>), so that the inner loop reads B as one
    sequential stream and the rows of A `kc` floats apart whatever their
    strides are (rows a multiple of 4 KiB apart would otherwise share cache
    sets). Every
    `register-rows` x `register-width` tile of C is then computed in vector
    accumulators, one broadcast of A and one FMA per row and k, while the
    panel of B stays in L1; C is prefetched into L2 at the start of a tile
    and added at its end, once per K block (so a deep K block saves C
    traffic on large matmuls). Kernels with fewer than `pack-min-rows` rows
    read A and B in place. The `linalg.generic` that lathe-cpu-pack-weights
    makes of a matmul with constant B (panels of `register-width` columns
    laid out at compile time) gets the same loop nest reading B's panels in
    place; A is packed when the rows it reads span more than `pack-a-span`
    bytes of memory (below that, rows read in place from L2 cost less than
    the copy; above, they miss the TLB).
    A `linalg.batch_matmul` of the same kind runs the loop nest on each
    batch's matrices in turn. Other matmuls are left to linalg. The packing
    buffers are `memref.alloca`s at the start of the kernel marked
    `lathe.workspace`: lathe-cpu-prepare-abi places them in the runtime's
    workspace.

    Example: `linalg.matmul ins(%a, %b : memref<48x128xf32>, memref<128x64xf32>)
    outs(%c : memref<48x64xf32>)` with the AVX2 defaults becomes `scf.for`
    loops over the blocks and panels around an `scf.for` over k carrying six
    `vector<16xf32>` accumulators, with packing buffers memref<4x128x16xf32>
    and memref<8x6x128xf32>.
  }];
  let options = [
    Option<"registerRows", "register-rows", "int64_t", "6",
           "Rows of C held in registers">,
    Option<"registerWidth", "register-width", "int64_t", "16",
           "Columns of C held in registers per row (f32 lanes)">,
    Option<"cacheBlockM", "cache-block-m", "int64_t", "72",
           "Largest M extent of a packed block of A">,
    Option<"cacheBlockK", "cache-block-k", "int64_t", "512",
           "Largest K extent of a packed block of B">,
    Option<"cacheBlockN", "cache-block-n", "int64_t", "1024",
           "Largest N extent of a packed block of B">,
    Option<"packMinRows", "pack-min-rows", "int64_t", "24",
           "Fewest rows of C for which B is packed">,
    Option<"packASpan", "pack-a-span", "int64_t", "1048576",
           "Bytes spanned by the rows of A above which A is packed when B "
           "is in panels">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"];
}

def PackWeights : Pass<"lathe-cpu-pack-weights", "mlir::ModuleOp"> {
  let summary = "Lay out the constant right operands of f32 matmuls in register panels";
  let description = [{
    At the tensor level, before dispatch formation: an f32 `linalg.matmul`
    of an entry function whose right operand B[K, N] is a constant (or the
    [1, 0] `linalg.transpose` of one, as ONNX Gemm with transB imports),
    with static shapes and N a multiple of `register-width`, gets B in the
    panel-major layout that lathe-cpu-matmul-microkernel otherwise copies
    B into on every call: a constant Bp[N / width, K, width] with
    Bp[j, k, l] = B[k, j * width + l]. The matmul becomes a `linalg.generic`
    C3[m, j, l] += A[m, k] * Bp[j, k, l] on C viewed as [M, N / width,
    width] (a zero fill of C becomes a fill of that view, so dispatch
    formation still fuses it); the microkernel reads the panels in place.
    The layout is computed once, when the artifact is written.
  }];
  let options = [
    Option<"registerWidth", "register-width", "int64_t", "16",
           "Columns per panel: the matmul microkernel's register width">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def QuantizedMatmul : Pass<"lathe-cpu-quantized-matmul", "mlir::ModuleOp"> {
  let summary = "Give quantized matmul generics vectorized decoding loops";
  let description = [{
    At the buffer level: a `linalg.generic` marked `lathe.quantized_matmul`
    (lowered from `graph.quantized_matmul`; x[m, k] f32 with unit inner
    stride, y[m, n], the weight bytes loaded in its body) becomes loops over
    the weight rows and activation rows around a loop over weight groups
    (a block, 32 plain weights, or a K-quant super-block). Each step loads
    32 weights as bytes, decodes them in vector registers as ggml's
    dequantize_row_* does (the block scale broadcast, nibbles unpacked by
    vector masks and shifts) and accumulates their products with 32
    activations in a `vector<32xf32>`, reduced once per output element. The
    row of the weights comes from the body's first load with the loop
    indices set to zero. Generics of any other form keep their scalar body.
    The formats listed in `integer-dot` (among q8_0, q4_0, q4_1; x86 with
    AVX2) are instead multiplied with activations quantized to 8 bits per
    block, as llama.cpp does: integer dot products (vpmaddubsw, vpmaddwd;
    with `vnni`, one vpdpbusd) scaled by the two block scales. With `wide`,
    Q4_0 and Q4_1 rows of an even number of blocks take two blocks per
    512-bit vpdpbusd (the nibbles unsigned; Q4_0's -8 starts the accumulator
    as -8 times the activations' lane sums) and two weight rows share each
    activation row's loads. Every weight group loop prefetches
    the bytes `prefetch-distance` ahead of the group it decodes (0: none):
    the rows are read once, in order, and the prefetch hides the memory
    latency that the hardware prefetchers leave at page boundaries.

    A generic that reads x transposed (xT[k, m], the lowering's form for
    more than one activation row) becomes the f32 matmul microkernel's loop
    nest instead: `panel-rows` weight rows at a time are decoded, whole rows,
    into f32 scratch rows in the kernel workspace, and a register tile of
    `panel-rows` x `panel-width` accumulators (one vector of activation rows
    per weight row) runs down K with a vector load of xT and a broadcast-FMA
    per weight row. Every weight is decoded once per workgroup whatever the
    number of activation rows, and the activations stay f32.
  }];
  let options = [
    ListOption<"integerDot", "integer-dot", "std::string",
               "Weight formats (q8_0, q4_0, q4_1) multiplied by AVX2 integer "
               "dot products with 8-bit activations">,
    Option<"prefetchDistance", "prefetch-distance", "int64_t", "0",
           "Bytes of a weight row prefetched ahead of the decoded group">,
    Option<"vnni", "vnni", "bool", "false",
           "Integer dot products with vpdpbusd (AVX-VNNI or AVX512-VNNI with "
           "AVX512VL)">,
    Option<"wide", "wide", "bool", "false",
           "Q4_0/Q4_1 integer dot products with 512-bit vpdpbusd over pairs "
           "of blocks (AVX512-VNNI)">,
    Option<"panelRows", "panel-rows", "int64_t", "6",
           "Weight rows per register tile of the transposed form">,
    Option<"panelWidth", "panel-width", "int64_t", "16",
           "Activation rows (vector lanes) per register tile of the "
           "transposed form">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect", "mlir::LLVM::LLVMDialect"];
}

def FlashAttention : Pass<"lathe-cpu-flash-attention", "mlir::ModuleOp"> {
  let summary = "Lower dispatch.attention on memrefs to a fused vector loop nest";
  let description = [{
    Computes each bufferized `dispatch.attention` in one pass over the keys
    with an online softmax (flash attention), without score buffers. Vector
    lanes are query rows: a tile of `lanes` rows sharing a key/value head
    keeps its scaled queries transposed in the workspace; for every block of
    `key-block` keys the scores are broadcast-FMAs of key elements with those
    query vectors, and the running max, sum and rescaling are lane-wise
    vector ops, as is the accumulation of the probabilities times `v` into a
    transposed output tile. Causal attention stops at the last key the
    tile's rows see (from the run-time past length when the op has one).
    A mask is added to the scores (transposed per key block into the
    workspace), after the softcap (`math.tanh`).
    When a key/value head has at most `lanes / 2` query rows (decoding) and
    the head sizes are multiples of `lanes`, the lanes hold keys instead:
    each row runs over its keys with dot products along the head dimension
    summed across lanes by a shuffle tree.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "8",
           "Query rows per vector (the f32 vector width)">,
    Option<"keyBlock", "key-block", "int64_t", "8",
           "Keys per online-softmax step (score vectors kept in registers)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

def ApproximateMath : Pass<"lathe-cpu-approximate-math", "mlir::ModuleOp"> {
  let summary = "Replace f32 math.exp, math.tanh and math.erf by inline polynomial approximations";
  let description = [{
    Rewrites every f32 (scalar or vector) `math.exp`, `math.tanh` and
    `math.erf` with MLIR's polynomial approximations (exp: range reduction
    by ln 2, a polynomial, the exponent built in the bits; tanh: a rational
    approximation, saturated for large inputs; erf: rational approximations
    on three intervals, within 2.4e-7 of libm's on [-6, 6]). The ONNX Exp,
    Softmax, Tanh, Erf and Gelu node tests and the f32 LLM logits tests pass
    with them. A libm call per element keeps LLVM from vectorizing the loops
    around it (the softmax of attention computes one exponential per score,
    a softcap one tanh, an exact Gelu one erf); the inline arithmetic
    vectorizes.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def EmitCpuABI : Pass<"lathe-cpu-emit-abi", "mlir::ModuleOp"> {
  let summary = "Emit the exported ABI wrappers and metadata of a model library";
  let description = [{
    At the LLVM dialect level (bare-pointer calling convention): emits
    `lathe_entry_<name>(void **buffers, const LatheHostABI *host)` for every
    entry function, `lathe_kernel_<name>(void **bindings, int64_t wg,
    void *workspace)` for every kernel, and the `lathe_artifact_metadata`
    string.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // LATHE_CPU_PASSES_TD
