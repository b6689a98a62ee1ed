//===- GraphOps.td - Lathe graph dialect ops ---------------*- tablegen -*-===//
//
// Model-level ops on ranked float tensors. Every op infers its result types
// from its operands, so builders and the textual form name operand types only.
//
//===----------------------------------------------------------------------===//

#ifndef LATHE_DIALECTS_GRAPH_GRAPHOPS_TD
#define LATHE_DIALECTS_GRAPH_GRAPHOPS_TD

include "dialects/graph/GraphAttrs.td"
include "dialects/graph/GraphDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Graph_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Graph_FloatTensor3D : TensorRankOf<[AnyFloat], [3]>;
def Graph_FloatTensor4D : TensorRankOf<[AnyFloat], [4]>;
def Graph_AttentionMask : TensorRankOf<[I1, AnyFloat], [4]>;

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

def Graph_RmsNormOp : Graph_Op<"rms_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "Root-mean-square normalization over the trailing dimensions";
  let description = [{
    Normalizes `x` over the dimensions `[axis, rank)` by their root mean
    square and multiplies by `scale`:

    ```
    y = x / sqrt(mean(x^2 over dims [axis, rank)) + epsilon) * scale
    ```

    `scale` has the normalized shape `x.shape[axis:]`; the result has the
    type of `x`. For f16/bf16 inputs (and other floats narrower than 32 bits)
    the sums are accumulated and the normalization computed in f32. This is
    ONNX `RMSNormalization` with `stash_type = 1`, and llama.cpp's
    `rms_norm` followed by `mul` when `axis = rank - 1`.

    Example:

    ```mlir
    %y = graph.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : tensor<1x7x4096xf16>, tensor<4096xf16>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$x, Graph_FloatTensor:$scale,
                       I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $scale attr-dict `:` type($x) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_Op<"layer_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "Layer normalization over the trailing dimensions";
  let description = [{
    Standardizes `x` over the dimensions `[axis, rank)` and applies the
    affine transform given by `scale` and the optional `bias`:

    ```
    mean        = mean(x over dims [axis, rank))
    inv_std_dev = 1 / sqrt(mean((x - mean)^2 over dims [axis, rank)) + epsilon)
    y           = (x - mean) * inv_std_dev * scale + bias
    ```

    `scale` and `bias` have the normalized shape `x.shape[axis:]`. Besides
    `y` (type of `x`), the op returns the statistics `mean` and
    `inv_std_dev`, shaped `x.shape[:axis]` followed by `rank - axis` ones,
    with f32 elements. This is ONNX `LayerNormalization` with
    `stash_type = 1`: statistics and normalization are computed in f32 (f64
    for f64 inputs) whatever the input type.

    Example:

    ```mlir
    %y, %mean, %inv_std_dev = graph.layer_norm %x, %scale, %bias
        {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : tensor<2x7x768xf32>, tensor<768xf32>, tensor<768xf32>
    // %mean, %inv_std_dev : tensor<2x7x1xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$x, Graph_FloatTensor:$scale,
                       Optional<Graph_FloatTensor>:$bias,
                       I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Graph_FloatTensor:$y,
                      RankedTensorOf<[F32]>:$mean,
                      RankedTensorOf<[F32]>:$inv_std_dev);
  let assemblyFormat = [{
    $x `,` $scale (`,` $bias^)? attr-dict `:` type($x) `,` type($scale)
    (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Rotary position embedding
//===----------------------------------------------------------------------===//

def Graph_RopeOp : Graph_Op<"rope", [Pure, InferTypeOpAdaptor]> {
  let summary = "Rotary position embedding of the leading channels of each head";
  let description = [{
    Rotates channel pairs of `x` (`[B, H, S, D]`) by the angles whose
    cosines and sines are given per batch, position and pair in `cos` and
    `sin` (`[B, S, R/2]`, or `[1, S, R/2]` shared by every batch entry). The
    first `R` channels of each head are rotated (`R` even, `R <= D`);
    channels `R..D` pass through unchanged. For each pair `(a, b)` and its
    angle:

    ```
    out_a = a * cos - b * sin
    out_b = b * cos + a * sin
    ```

    With `interleaved = true` the pairs are adjacent channels
    `(x[2i], x[2i+1])` (llama.cpp's normal mode, GPT-J style); with
    `interleaved = false` they are `(x[i], x[i + R/2])` ("rotate_half",
    llama.cpp's NeoX mode). This is ONNX `RotaryEmbedding` on 4-D input with
    `rotary_embedding_dim = R`, once `position_ids` have gathered the caches.
    The result has the type of `x`.

    Example:

    ```mlir
    %y = graph.rope %x, %cos, %sin {interleaved = false}
        : tensor<1x32x7x128xf16>, tensor<1x7x64xf16>, tensor<1x7x64xf16>
    ```
  }];
  let arguments = (ins Graph_FloatTensor4D:$x, Graph_FloatTensor3D:$cos,
                       Graph_FloatTensor3D:$sin, BoolAttr:$interleaved);
  let results = (outs Graph_FloatTensor4D:$y);
  let assemblyFormat = [{
    $x `,` $cos `,` $sin attr-dict `:` type($x) `,` type($cos) `,` type($sin)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Graph_AttentionOp : Graph_Op<"attention", [Pure, InferTypeOpAdaptor,
                                                 AttrSizedOperandSegments]> {
  let summary = "Scaled dot-product attention with GQA, mask, causality and softcap";
  let description = [{
    Multi-head scaled dot-product attention on `q` (`[B, Hq, S, D]`), `k`
    (`[B, Hkv, L, D]`) and `v` (`[B, Hkv, L, Dv]`), giving `[B, Hq, S, Dv]`
    with the element type of `q`. `Hq` must be a multiple of `Hkv`: query
    head `h` reads key/value head `h / (Hq / Hkv)` (grouped-query attention;
    `Hkv = 1` is multi-query attention).

    ```
    scores = q . k^T * scale                         // [B, Hq, S, L]
    scores = softcap * tanh(scores / softcap)        // only if softcap > 0
    scores = scores + bias
    y      = softmax(scores over L) . v
    ```

    `bias` comes from the optional `mask`, which broadcasts to
    `[B, Hq, S, L]` (rank 4, each dimension 1 or the full size): an `i1`
    mask keeps keys where it is true and gives `-inf` elsewhere; a float mask
    (element type of `q`) is added as it is. With `causal = true`, query `i`
    attends key `j` only if `j <= i + P`, where the past length `P` is the
    number of keys before this block of queries; other keys get `-inf`. `P`
    is the value of the 0-D i64 operand `past` (known only at run time, as a
    decoder's position in its KV cache) or the `past_length` attribute when
    given, `L - S` otherwise (the queries are the last `S` positions of the
    key sequence). A query whose every key is masked produces zeros.

    This is ONNX `Attention` (opset 23) on 4-D inputs with the past keys and
    values already concatenated in front of `k` and `v`: there
    `past_length` is the length of `past_key`, or 0 without one (so with
    no cache and `L != S` the mask is aligned top-left).

    `causal` defaults to false and `softcap` to 0 (no softcap). For f16/bf16
    inputs the dot products and the softmax are computed in f32.

    Example:

    ```mlir
    %y = graph.attention %q, %k, %v, %mask
        {scale = 0.0883883461 : f32, causal = true}
        : tensor<1x32x7x128xf16>, tensor<1x8x19x128xf16>,
          tensor<1x8x19x128xf16>, tensor<1x1x7x19xi1>
    // %y : tensor<1x32x7x128xf16>; query i sees keys 0 .. 12 + i.
    ```
  }];
  let arguments = (ins Graph_FloatTensor4D:$q, Graph_FloatTensor4D:$k,
                       Graph_FloatTensor4D:$v,
                       Optional<Graph_AttentionMask>:$mask,
                       Optional<0DTensorOf<[I64]>>:$past,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                       OptionalAttr<I64Attr>:$past_length);
  let results = (outs Graph_FloatTensor4D:$y);
  let builders = [
    // P = L - S for causal attention.
    OpBuilder<(ins "::mlir::Value":$q, "::mlir::Value":$k, "::mlir::Value":$v,
                   "::mlir::Value":$mask, "::mlir::FloatAttr":$scale,
                   "::mlir::BoolAttr":$causal, "::mlir::FloatAttr":$softcap), [{
      build($_builder, $_state, q, k, v, mask, ::mlir::Value(), scale, causal,
            softcap, ::mlir::IntegerAttr());
    }]>
  ];
  let assemblyFormat = [{
    $q `,` $k `,` $v (`,` $mask^)? (`past` `(` $past^ `:` type($past) `)`)?
    attr-dict `:` type($q) `,` type($k) `,` type($v) (`,` type($mask)^)?
  }];
  let hasVerifier = 1;
}

def Graph_AttentionScoresOp : Graph_Op<"attention_scores", [
    Pure, InferTypeOpAdaptor, AttrSizedOperandSegments]> {
  let summary = "The score matrix of graph.attention, up to a stage";
  let description = [{
    The `[B, Hq, S, L]` scores that `graph.attention` with the same operands
    and attributes computes on its way, in the element type of `q`:
    `scaled` is `q . k^T * scale`, softcapped when `softcap > 0`; `biased`
    adds the mask and causal biases; `probabilities` is the softmax over the
    keys (zeros for a query whose keys are all masked). This is ONNX
    `Attention`'s `qk_matmul_output` (modes 0 and 1: `scaled`, 2: `biased`,
    3: `probabilities`).

    Example:

    ```mlir
    %p = graph.attention_scores probabilities %q, %k, %mask {scale = 0.125 : f32}
        : tensor<1x8x4x64xf32>, tensor<1x2x9x64xf32>, tensor<1x1x4x9xi1>
    // %p : tensor<1x8x4x9xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor4D:$q, Graph_FloatTensor4D:$k,
                       Optional<Graph_AttentionMask>:$mask,
                       Optional<0DTensorOf<[I64]>>:$past,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                       OptionalAttr<I64Attr>:$past_length,
                       Graph_ScoreStage:$stage);
  let results = (outs Graph_FloatTensor4D:$scores);
  let assemblyFormat = [{
    $stage $q `,` $k (`,` $mask^)? (`past` `(` $past^ `:` type($past) `)`)?
    attr-dict `:` type($q) `,` type($k) (`,` type($mask)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matmul on quantized weights
//===----------------------------------------------------------------------===//

def Graph_QuantizedMatmulOp
    : Graph_Op<"quantized_matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "Matmul with a weight matrix kept in a ggml block encoding";
  let description = [{
    Multiplies the activations `x` (`[M, K]`, f32) by the transpose of a
    weight matrix that stays in its ggml encoding `format`:

    ```
    y[m, n] = sum over k of x[m, k] * dequant(w)[n, k]      // y : [M, N], f32
    ```

    `w` holds the raw bytes of the `N` rows of `K` weights each, exactly as a
    GGUF tensor with dims `[K, N]` stores them (ggml's `ne0 = K` is the
    contiguous row): row `n` is `K / B` blocks of `S` bytes, `B` weights per
    block, so `w` is `[N, K / B * S]` bytes. Multi-byte fields are little
    endian; `d`, `dmin` and q4_1's `m` are f16.

    | format | B   | S   | block layout                    | weight i of the block                |
    |--------|-----|-----|---------------------------------|--------------------------------------|
    | f32    | 1   | 4   | f32                             | as is                                |
    | f16    | 1   | 2   | f16                             | as is                                |
    | bf16   | 1   | 2   | bf16                            | as is                                |
    | q8_0   | 32  | 34  | d, 32 x i8 q                    | d * q[i]                             |
    | q4_0   | 32  | 18  | d, 16 bytes of two 4-bit q each | d * (q[i] - 8)                       |
    | q4_1   | 32  | 20  | d, m, 16 bytes of two 4-bit q   | d * q[i] + m                         |
    | q4_K   | 256 | 144 | d, dmin, s[12], qs[128]         | d * sc[i/32] * q[i] - dmin * m[i/32] |
    | q6_K   | 256 | 210 | ql[128], qh[64], 16 x i8 sc, d  | d * sc[i/16] * (q[i] - 32)           |

    In q4_0 and q4_1, byte `j` of the quants holds weight `j` in its low
    nibble and weight `j + 16` in its high nibble.

    In q4_K, weight `i = 64 g + 32 h + l` (`l < 32`) is nibble `h` (0: low,
    1: high) of `qs[32 g + l]`; the 6-bit `sc[j]`, `m[j]` of sub-block
    `j = i / 32` are packed in `s` as ggml's `get_scale_min_k4`: for `j < 4`,
    `sc = s[j] & 63`, `m = s[j + 4] & 63`, else
    `sc = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4`,
    `m = (s[j + 4] >> 4) | (s[j] >> 6) << 4`.

    In q6_K, weight `i = 128 h + 32 c + l` (`c < 4`, `l < 32`) has the 6-bit
    `q[i] = lo | hi << 4`: `lo` is nibble `c / 2` of
    `ql[64 h + 32 (c % 2) + l]`, `hi = (qh[32 h + l] >> 2 c) & 3`; `sc` is
    signed.

    Lowering fuses the dequantization into the contraction: no dequantized
    copy of `w` is ever built.

    Example:

    ```mlir
    // 4096 x 4096 weights in Q8_0: 128 blocks of 34 bytes per row.
    %y = graph.quantized_matmul q8_0 %x, %w
        : tensor<1x4096xf32>, tensor<4096x4352xi8>
    // %y : tensor<1x4096xf32>
    ```
  }];
  let arguments = (ins TensorRankOf<[F32], [2]>:$x,
                       TensorRankOf<[I8], [2]>:$w,
                       Graph_GgmlType:$format);
  let results = (outs TensorRankOf<[F32], [2]>:$y);
  let assemblyFormat = [{
    $format $x `,` $w attr-dict `:` type($x) `,` type($w)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Row gather from quantized weights
//===----------------------------------------------------------------------===//

def Graph_QuantizedGatherOp
    : Graph_Op<"quantized_gather", [Pure, InferTypeOpAdaptor]> {
  let summary = "Rows of a matrix kept in a ggml block encoding, decoded to f32";
  let description = [{
    Gathers the rows `ids` (`[S]`, i32) of a matrix `table` that stays in its
    ggml encoding `format`, decoding them to f32: `y[s, k] =
    dequant(table)[ids[s], k]`, `y : [S, K]`. `table` is laid out as the `w`
    operand of `graph.quantized_matmul` (`[V, K / B * S]` bytes for `V` rows
    of `K` weights), so `K` follows from the row bytes. This is the token
    embedding lookup of an LLM (llama.cpp's `get_rows`). An id outside
    `[0, V)` reads row 0 or `V - 1`, whichever is nearer: out-of-range ids
    never read outside `table`.

    Example:

    ```mlir
    // 32000 x 4096 embeddings in Q8_0.
    %x = graph.quantized_gather q8_0 %table, %ids
        : tensor<32000x4352xi8>, tensor<7xi32>
    // %x : tensor<7x4096xf32>
    ```
  }];
  let arguments = (ins TensorRankOf<[I8], [2]>:$table,
                       TensorRankOf<[I32], [1]>:$ids,
                       Graph_GgmlType:$format);
  let results = (outs TensorRankOf<[F32], [2]>:$y);
  let assemblyFormat = [{
    $format $table `,` $ids attr-dict `:` type($table) `,` type($ids)
  }];
  let hasVerifier = 1;
}

#endif // LATHE_DIALECTS_GRAPH_GRAPHOPS_TD
