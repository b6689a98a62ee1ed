//===- NeuralOps.cpp - MatMul, Gemm, normalization, attention, RoPE -------===//
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "dialects/graph/GraphOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace lathe::onnx_import {
namespace {

Value zeroFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type t) {
  return buildSplat(b, loc, shape, scalarAttr(t, 0));
}

/// [M,K] x [K,N] or [B,M,K] x [B,K,N] with matching batch. f16 and bf16
/// products are summed in f32 (as onnxruntime does) and rounded once.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto lt = cast<RankedTensorType>(lhs.getType());
  auto rt = cast<RankedTensorType>(rhs.getType());
  Type t = lt.getElementType();
  Type sum = isa<Float16Type, BFloat16Type>(t) ? Type(b.getF32Type()) : t;
  Value result;
  if (lt.getRank() == 2) {
    Value init = zeroFilled(b, loc, {lt.getDimSize(0), rt.getDimSize(1)}, sum);
    result = linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, ValueRange{init})
                 .getResult(0);
  } else {
    Value init = zeroFilled(
        b, loc, {lt.getDimSize(0), lt.getDimSize(1), rt.getDimSize(2)}, sum);
    result = linalg::BatchMatmulOp::create(b, loc, ValueRange{lhs, rhs},
                                           ValueRange{init})
                 .getResult(0);
  }
  if (sum == t)
    return result;
  return buildElementwise(b, loc, {result}, t,
                          [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
                            return arith::TruncFOp::create(nb, l, t, v[0]);
                          });
}

LogicalResult importMatMul(NodeImporter &n) {
  if (!n.hasInput(0) || !n.hasInput(1))
    return n.fail("expects two inputs");
  SmallVector<int64_t> a(n.inputShape(0)), b(n.inputShape(1));
  if (a.empty() || b.empty())
    return n.fail("inputs must have rank >= 1");
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA) a.insert(a.begin(), 1);
  if (vecB) b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), n2 = b.back();
  if (b[b.size() - 2] != k)
    return n.fail("inner dimensions differ (" + Twine(k) + " vs " +
                  Twine(b[b.size() - 2]) + ")");
  auto batch = broadcastShapes(ArrayRef<int64_t>(a).drop_back(2),
                               ArrayRef<int64_t>(b).drop_back(2));
  if (failed(batch))
    return n.fail("batch dimensions cannot be broadcast together");
  int64_t batchCount = 1;
  for (int64_t d : *batch) batchCount *= d;
  SmallVector<int64_t> out(*batch);
  if (!vecA) out.push_back(m);
  if (!vecB) out.push_back(n2);
  // One matrix B for every batch (a weight applied to [batch, rows, K]
  // activations): the batch folds into the rows of one 2-D matmul, which
  // neither copies B per batch nor leaves the matmul kernels.
  int64_t batchOfB = 1;
  for (int64_t d : ArrayRef<int64_t>(b).drop_back(2)) batchOfB *= d;
  if (batchOfB == 1 && !batch->empty()) {
    Value lhs = buildReshape(n.b, n.loc, n.input(0), {batchCount * m, k});
    Value rhs = buildReshape(n.b, n.loc, n.input(1), {k, n2});
    n.setOutput(0,
                buildReshape(n.b, n.loc, buildContraction(n.b, n.loc, lhs, rhs), out),
                n.inputDtype(0));
    return success();
  }
  SmallVector<int64_t> fullA(*batch), fullB(*batch);
  fullA.append({m, k});
  fullB.append({k, n2});
  Value lhs = buildBroadcastTo(n.b, n.loc, buildReshape(n.b, n.loc, n.input(0), a), fullA);
  Value rhs = buildBroadcastTo(n.b, n.loc, buildReshape(n.b, n.loc, n.input(1), b), fullB);
  Value result;
  if (batch->empty()) {
    result = buildContraction(n.b, n.loc, lhs, rhs);
  } else {
    lhs = buildReshape(n.b, n.loc, lhs, {batchCount, m, k});
    rhs = buildReshape(n.b, n.loc, rhs, {batchCount, k, n2});
    result = buildContraction(n.b, n.loc, lhs, rhs);
  }
  n.setOutput(0, buildReshape(n.b, n.loc, result, out), n.inputDtype(0));
  return success();
}

LogicalResult importGemm(NodeImporter &n) {
  if (!n.hasInput(0) || !n.hasInput(1) || n.inputRank(0) != 2 || n.inputRank(1) != 2)
    return n.fail("expects two rank-2 inputs");
  Value a = n.input(0), b = n.input(1);
  if (n.attrInt("transA", 0)) a = buildTranspose(n.b, n.loc, a, {1, 0});
  if (n.attrInt("transB", 0)) b = buildTranspose(n.b, n.loc, b, {1, 0});
  auto at = cast<RankedTensorType>(a.getType()), bt = cast<RankedTensorType>(b.getType());
  if (at.getDimSize(1) != bt.getDimSize(0))
    return n.fail("inner dimensions differ");
  Value y = buildContraction(n.b, n.loc, a, b);
  float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  Type t = at.getElementType();
  bool isFloat = isa<FloatType>(t);
  SmallVector<Value> ins = {y};
  if (n.hasInput(2)) {
    if (failed(broadcastShapes(n.inputShape(2), cast<RankedTensorType>(y.getType()).getShape())))
      return n.fail("C cannot be broadcast to the result");
    ins.push_back(n.input(2));
  }
  if (alpha != 1.0f || ins.size() > 1) {
    y = buildElementwise(
        n.b, n.loc, ins, t,
        [&](OpBuilder &bb, Location loc, ValueRange v) -> Value {
          Value r = v[0];
          if (alpha != 1.0f)
            r = isFloat ? (Value)arith::MulFOp::create(bb, loc, r, scalarConstant(bb, loc, t, alpha))
                        : (Value)arith::MulIOp::create(bb, loc, r, scalarConstant(bb, loc, t, alpha));
          if (v.size() > 1) {
            Value c = v[1];
            if (beta != 1.0f)
              c = isFloat ? (Value)arith::MulFOp::create(bb, loc, c, scalarConstant(bb, loc, t, beta))
                          : (Value)arith::MulIOp::create(bb, loc, c, scalarConstant(bb, loc, t, beta));
            r = isFloat ? (Value)arith::AddFOp::create(bb, loc, r, c)
                        : (Value)arith::AddIOp::create(bb, loc, r, c);
          }
          return r;
        },
        cast<RankedTensorType>(y.getType()).getShape());
  }
  n.setOutput(0, y, n.inputDtype(0));
  return success();
}

/// Scale/bias operand of a normalization, broadcast to the normalized shape.
FailureOr<Value> normalizedOperand(NodeImporter &n, unsigned i,
                                   ArrayRef<int64_t> normalized) {
  auto shape = broadcastShapes(n.inputShape(i), normalized);
  if (failed(shape) || ArrayRef<int64_t>(*shape) != normalized)
    return n.fail("input #" + Twine(i) +
                  " does not broadcast to the normalized shape");
  Value v = n.input(i);
  if (n.inputRank(i) != (int64_t)normalized.size()) {
    SmallVector<int64_t> padded(normalized.size() - n.inputRank(i), 1);
    padded.append(n.inputShape(i).begin(), n.inputShape(i).end());
    v = buildReshape(n.b, n.loc, v, padded);
  }
  return buildBroadcastTo(n.b, n.loc, v, normalized);
}

LogicalResult importLayerNormalization(NodeImporter &n) {
  if (!n.hasInput(0) || !n.hasInput(1) || !isFloatDtype(n.inputDtype(0)))
    return n.fail("expects floating-point X and Scale");
  if (n.attrInt("stash_type", 1) != 1)
    return n.unsupported("stash_type other than 1 (float32)");
  int64_t rank = n.inputRank(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> normalized = n.inputShape(0).drop_front(*axis);
  auto scale = normalizedOperand(n, 1, normalized);
  if (failed(scale))
    return failure();
  Value bias;
  if (n.hasInput(2)) {
    auto b = normalizedOperand(n, 2, normalized);
    if (failed(b))
      return failure();
    bias = *b;
  }
  auto op = graph::LayerNormOp::create(n.b, n.loc, n.input(0), *scale, bias,
                                       n.b.getI64IntegerAttr(*axis),
                                       n.b.getF32FloatAttr(n.attrFloat("epsilon", 1e-5f)));
  n.setOutput(0, op.getY(), n.inputDtype(0));
  if (n.wantsOutput(1))
    n.setOutput(1, op.getMean(), onnx::TensorProto::FLOAT);
  if (n.wantsOutput(2))
    n.setOutput(2, op.getInvStdDev(), onnx::TensorProto::FLOAT);
  return success();
}

LogicalResult importRMSNormalization(NodeImporter &n) {
  if (!n.hasInput(0) || !n.hasInput(1) || !isFloatDtype(n.inputDtype(0)))
    return n.fail("expects floating-point X and scale");
  if (n.inputDtype(1) != n.inputDtype(0))
    return n.unsupported("scale of another element type than X");
  int64_t rank = n.inputRank(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  auto scale = normalizedOperand(n, 1, n.inputShape(0).drop_front(*axis));
  if (failed(scale))
    return failure();
  Value y = graph::RmsNormOp::create(n.b, n.loc, n.input(0), *scale,
                                     n.b.getI64IntegerAttr(*axis),
                                     n.b.getF32FloatAttr(n.attrFloat("epsilon", 1e-5f)));
  n.setOutput(0, y, n.inputDtype(0));
  return success();
}

/// `source` written into `dest` at `offsets` (static, source-sized).
Value insertAt(OpBuilder &b, Location loc, Value source, Value dest,
               ArrayRef<int64_t> offsets) {
  auto shape = cast<RankedTensorType>(source.getType()).getShape();
  auto attrs = [&](ArrayRef<int64_t> values) {
    return llvm::map_to_vector(values, [&](int64_t v) -> OpFoldResult {
      return b.getIndexAttr(v);
    });
  };
  return tensor::InsertSliceOp::create(b, loc, source, dest, attrs(offsets),
                                       attrs(shape),
                                       attrs(SmallVector<int64_t>(shape.size(), 1)));
}

/// [B, S, H * D] -> [B, H, S, D]; `heads` divides the hidden size.
Value splitHeads(OpBuilder &b, Location loc, Value x, int64_t heads) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  Value split =
      buildReshape(b, loc, x, {shape[0], shape[1], heads, shape[2] / heads});
  return buildTranspose(b, loc, split, {0, 2, 1, 3});
}

/// [B, H, S, D] -> [B, S, H * D].
Value joinHeads(OpBuilder &b, Location loc, Value x) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  Value transposed = buildTranspose(b, loc, x, {0, 2, 1, 3});
  return buildReshape(b, loc, transposed,
                      {shape[0], shape[2], shape[1] * shape[3]});
}

/// ONNX Attention (opsets 23-24): 4-D [B, H, S, D] inputs, or 3-D
/// [B, S, H * D] ones with q_num_heads / kv_num_heads; past keys and values
/// are concatenated in front of K and V (and returned as present_key /
/// present_value); a mask of rank 2 to 4 broadcasts over the leading
/// dimensions and, shorter than the keys, is padded with masked positions;
/// nonpad_kv_seqlen masks each batch entry's padding keys; qk_matmul_output
/// comes from graph.attention_scores.
LogicalResult importAttention(NodeImporter &n) {
  if (!n.hasInput(0) || !n.hasInput(1) || !n.hasInput(2))
    return n.fail("expects Q, K and V");
  OnnxDtype dtype = n.inputDtype(0);
  if (!isFloatDtype(dtype) || n.inputDtype(1) != dtype ||
      n.inputDtype(2) != dtype)
    return n.fail("expects Q, K and V of one floating-point type");
  int64_t qkMode = n.attrInt("qk_matmul_output_mode", 0);
  if (n.wantsOutput(3) && (qkMode < 0 || qkMode > 3))
    return n.fail("qk_matmul_output_mode must be 0 to 3, got " + Twine(qkMode));
  int64_t rank = n.inputRank(0);
  if ((rank != 3 && rank != 4) || n.inputRank(1) != rank ||
      n.inputRank(2) != rank)
    return n.fail("expects Q, K and V all of rank 3 or all of rank 4");
  for (unsigned i = 0; i < 3; ++i)
    if (!n.inputType(i).hasStaticShape())
      return n.unsupported("dynamic shapes of Q, K and V");

  Value q = n.input(0), k = n.input(1), v = n.input(2);
  int64_t batch = n.inputShape(0)[0];
  // [B, S, H * D] -> [B, H, S, D]
  auto toHeads = [&](Value x, int64_t heads, StringRef what) -> FailureOr<Value> {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
    if (heads <= 0 || shape[2] % heads != 0)
      return n.fail(what + " hidden size " + Twine(shape[2]) +
                    " is not a multiple of " + Twine(heads) + " heads");
    return splitHeads(n.b, n.loc, x, heads);
  };
  if (rank == 3) {
    int64_t qHeads = n.attrInt("q_num_heads", 0);
    int64_t kvHeads = n.attrInt("kv_num_heads", 0);
    auto q4 = toHeads(q, qHeads, "Q");
    if (failed(q4))
      return failure();
    auto k4 = toHeads(k, kvHeads, "K");
    if (failed(k4))
      return failure();
    auto v4 = toHeads(v, kvHeads, "V");
    if (failed(v4))
      return failure();
    q = *q4, k = *k4, v = *v4;
  }
  auto shapeOf = [](Value x) {
    return cast<RankedTensorType>(x.getType()).getShape();
  };
  if (shapeOf(k)[0] != batch || shapeOf(v)[0] != batch ||
      shapeOf(k)[1] != shapeOf(v)[1] || shapeOf(k)[2] != shapeOf(v)[2] ||
      shapeOf(q)[3] != shapeOf(k)[3] || shapeOf(k)[1] == 0 ||
      shapeOf(q)[1] % shapeOf(k)[1] != 0)
    return n.fail("expects Q [B, Hq, S, D], K [B, Hkv, L, D] and V "
                  "[B, Hkv, L, Dv] with Hq a multiple of Hkv");

  // Past keys and values go in front: present = concat(past, new).
  if (n.hasInput(4) != n.hasInput(5))
    return n.fail("expects both past_key and past_value, or neither");
  int64_t pastLength = 0;
  if (n.hasInput(4)) {
    for (auto [i, current] : {std::pair<unsigned, Value *>{4, &k}, {5, &v}}) {
      ArrayRef<int64_t> past = n.inputShape(i), now = shapeOf(*current);
      if (n.inputDtype(i) != dtype || past.size() != 4 ||
          !n.inputType(i).hasStaticShape() || past[0] != now[0] ||
          past[1] != now[1] || past[3] != now[3])
        return n.fail(Twine(i == 4 ? "past_key" : "past_value") +
                      " must be [B, Hkv, P, D] like the keys and values");
      SmallVector<int64_t> total(now);
      total[2] += past[2];
      Value joined = tensor::EmptyOp::create(
          n.b, n.loc, total, n.inputType(i).getElementType());
      joined = insertAt(n.b, n.loc, n.input(i), joined, {0, 0, 0, 0});
      *current = insertAt(n.b, n.loc, *current, joined, {0, 0, past[2], 0});
    }
    pastLength = n.inputShape(4)[2];
  }
  int64_t keys = shapeOf(k)[2];

  Value mask;
  if (n.hasInput(3)) {
    OnnxDtype maskDtype = n.inputDtype(3);
    if (maskDtype != onnx::TensorProto::BOOL && maskDtype != dtype)
      return n.fail("attn_mask must be bool or of Q's element type");
    int64_t maskRank = n.inputRank(3);
    if (maskRank < 2 || maskRank > 4 || !n.inputType(3).hasStaticShape())
      return n.fail("attn_mask must be a static tensor of rank 2 to 4");
    SmallVector<int64_t> shape(4 - maskRank, 1);
    llvm::append_range(shape, n.inputShape(3));
    mask = buildReshape(n.b, n.loc, n.input(3), shape);
    if (shape[3] > keys)
      return n.fail("attn_mask has " + Twine(shape[3]) +
                    " keys, more than the " + Twine(keys) + " of K");
    if (shape[3] < keys) {
      // Keys past the mask's end are masked out.
      Type element = n.inputType(3).getElementType();
      TypedAttr masked =
          maskDtype == onnx::TensorProto::BOOL
              ? TypedAttr(n.b.getBoolAttr(false))
              : TypedAttr(n.b.getFloatAttr(
                    element, -std::numeric_limits<double>::infinity()));
      SmallVector<int64_t> padded(shape);
      padded[3] = keys;
      mask = insertAt(n.b, n.loc, mask, buildSplat(n.b, n.loc, padded, masked),
                      {0, 0, 0, 0});
    }
  }

  // nonpad_kv_seqlen [B]: batch entry b attends only its first keys; the
  // rest become -inf in the (now additive) mask.
  if (n.hasInput(6)) {
    if (isFloatDtype(n.inputDtype(6)) || n.inputRank(6) != 1 ||
        n.inputShape(6)[0] != batch)
      return n.fail("nonpad_kv_seqlen must be integers of shape [" +
                    Twine(batch) + "]");
    Type element = n.inputType(0).getElementType();
    MLIRContext *ctx = n.b.getContext();
    auto padType = RankedTensorType::get({batch, 1, 1, keys}, element);
    Value padding =
        linalg::GenericOp::create(
            n.b, n.loc, padType, ValueRange{n.input(6)},
            ValueRange{tensor::EmptyOp::create(n.b, n.loc, padType.getShape(),
                                               element)
                           .getResult()},
            ArrayRef<AffineMap>{AffineMap::get(4, 0, {getAffineDimExpr(0, ctx)},
                                               ctx),
                                AffineMap::getMultiDimIdentityMap(4, ctx)},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value key = arith::IndexCastOp::create(
                  b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, 3));
              Value kept = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::slt, key,
                  castScalar(b, loc, args[0], b.getI64Type(),
                             isUnsignedDtype(n.inputDtype(6)), false));
              linalg::YieldOp::create(
                  b, loc,
                  arith::SelectOp::create(
                      b, loc, kept, scalarConstant(b, loc, element, 0.0),
                      scalarConstant(b, loc, element,
                                     -std::numeric_limits<double>::infinity()))
                      .getResult());
            })
            .getResult(0);
    if (!mask) {
      mask = padding;
    } else {
      bool boolean = n.inputDtype(3) == onnx::TensorProto::BOOL;
      mask = buildElementwise(
          n.b, n.loc, {mask, padding}, element,
          [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
            Value bias = args[0];
            if (boolean)
              bias = arith::SelectOp::create(
                  b, loc, args[0], scalarConstant(b, loc, element, 0.0),
                  scalarConstant(b, loc, element,
                                 -std::numeric_limits<double>::infinity()));
            return arith::AddFOp::create(b, loc, bias, args[1]);
          });
    }
  }

  bool causal = n.attrInt("is_causal", 0) != 0;
  float scale = n.attrFloat(
      "scale", 1.0f / std::sqrt(static_cast<float>(shapeOf(q)[3])));
  float softcap = n.attrFloat("softcap", 0.0f);
  if (softcap < 0)
    return n.fail("softcap must not be negative");
  // ONNX aligns the causal mask with the past keys: query i sees key j iff
  // j <= i + past length.
  Value y = graph::AttentionOp::create(
      n.b, n.loc, q, k, v, mask, /*past=*/Value(), n.b.getF32FloatAttr(scale),
      n.b.getBoolAttr(causal), n.b.getF32FloatAttr(softcap),
      causal ? n.b.getI64IntegerAttr(pastLength) : IntegerAttr());
  if (rank == 3)
    y = joinHeads(n.b, n.loc, y);
  n.setOutput(0, y, dtype);
  if (n.wantsOutput(1))
    n.setOutput(1, k, dtype);
  if (n.wantsOutput(3)) {
    // Modes 0 and 1 both give the softcapped scores, as onnx's reference.
    graph::ScoreStage stage = qkMode == 3   ? graph::ScoreStage::Probabilities
                              : qkMode == 2 ? graph::ScoreStage::Biased
                                            : graph::ScoreStage::Scaled;
    Value scores = graph::AttentionScoresOp::create(
        n.b, n.loc, q, k, mask, /*past=*/Value(), n.b.getF32FloatAttr(scale),
        n.b.getBoolAttr(causal), n.b.getF32FloatAttr(softcap),
        causal ? n.b.getI64IntegerAttr(pastLength) : IntegerAttr(),
        graph::ScoreStageAttr::get(n.b.getContext(), stage));
    n.setOutput(3, scores, dtype);
  }
  if (n.wantsOutput(2))
    n.setOutput(2, v, dtype);
  return success();
}

/// ONNX RotaryEmbedding (opset 23): 4-D [B, H, S, D] input, or 3-D
/// [B, S, H * D] with num_heads; cos/sin caches [B, S, R/2], or
/// [positions, R/2] gathered by position_ids [B, S] (clamped into range).
LogicalResult importRotaryEmbedding(NodeImporter &n) {
  if (failed(n.expectInputs(3)))
    return failure();
  OnnxDtype dtype = n.inputDtype(0);
  if (!isFloatDtype(dtype) || n.inputDtype(1) != dtype ||
      n.inputDtype(2) != dtype)
    return n.fail("expects X, cos_cache and sin_cache of one floating-point "
                  "type");
  for (unsigned i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i) && !n.inputType(i).hasStaticShape())
      return n.unsupported("dynamic shapes");
  int64_t rank = n.inputRank(0);
  if (rank != 3 && rank != 4)
    return n.fail("expects X of rank 3 or 4");
  Value x = n.input(0);
  ArrayRef<int64_t> in = n.inputShape(0);
  if (rank == 3) {
    int64_t heads = n.attrInt("num_heads", 0);
    if (heads <= 0 || in[2] % heads != 0)
      return n.fail("3-D X needs num_heads dividing its hidden size " +
                    Twine(in[2]));
    x = splitHeads(n.b, n.loc, x, heads);
  }
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t batch = shape[0], length = shape[2], headSize = shape[3];
  int64_t rotary = n.attrInt("rotary_embedding_dim", 0);
  if (rotary == 0)
    rotary = headSize;
  if (rotary < 0 || rotary % 2 || rotary > headSize)
    return n.fail("rotary_embedding_dim " + Twine(rotary) +
                  " must be even and at most the head size " + Twine(headSize));

  SmallVector<Value, 2> tables = {n.input(1), n.input(2)};
  if (n.hasInput(3)) {
    if (isFloatDtype(n.inputDtype(3)) || n.inputRank(3) != 2 ||
        n.inputShape(3)[0] != batch || n.inputShape(3)[1] != length)
      return n.fail("position_ids must be integers of shape [" + Twine(batch) +
                    ", " + Twine(length) + "]");
    for (Value &table : tables) {
      ArrayRef<int64_t> cache = cast<RankedTensorType>(table.getType()).getShape();
      if (cache.size() != 2 || cache[1] != rotary / 2)
        return n.fail("with position_ids, the caches must be [positions, " +
                      Twine(rotary / 2) + "]");
      MLIRContext *ctx = n.b.getContext();
      Value init = tensor::EmptyOp::create(
          n.b, n.loc, ArrayRef<int64_t>{batch, length, rotary / 2},
          n.inputType(1).getElementType());
      Value source = table;
      int64_t positions = cache[0];
      table = linalg::GenericOp::create(
                  n.b, n.loc, init.getType(), ValueRange{n.input(3)},
                  ValueRange{init},
                  ArrayRef<AffineMap>{
                      AffineMap::get(3, 0,
                                     {getAffineDimExpr(0, ctx),
                                      getAffineDimExpr(1, ctx)},
                                     ctx),
                      AffineMap::getMultiDimIdentityMap(3, ctx)},
                  SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location loc, ValueRange args) {
                    Value row = normalizeIndex(b, loc, args[0], positions);
                    Value column = linalg::IndexOp::create(b, loc, 2);
                    linalg::YieldOp::create(
                        b, loc,
                        tensor::ExtractOp::create(b, loc, source,
                                                  ValueRange{row, column})
                            .getResult());
                  })
                  .getResult(0);
    }
  } else {
    for (Value table : tables) {
      ArrayRef<int64_t> cache = cast<RankedTensorType>(table.getType()).getShape();
      if (cache.size() != 3 || (cache[0] != batch && cache[0] != 1) ||
          cache[1] != length || cache[2] != rotary / 2)
        return n.fail("without position_ids, the caches must be [" +
                      Twine(batch) + ", " + Twine(length) + ", " +
                      Twine(rotary / 2) + "]");
    }
  }
  Value y = graph::RopeOp::create(n.b, n.loc, x, tables[0], tables[1],
                                  n.b.getBoolAttr(n.attrInt("interleaved", 0) != 0));
  if (rank == 3)
    y = joinHeads(n.b, n.loc, y);
  n.setOutput(0, y, dtype);
  return success();
}

} // namespace

void registerNeuralOps(NodeImportTable &t) {
  t["Attention"] = importAttention;
  t["RotaryEmbedding"] = importRotaryEmbedding;
  t["LayerNormalization"] = importLayerNormalization;
  t["RMSNormalization"] = importRMSNormalization;
  t["MatMul"] = importMatMul;
  t["Gemm"] = importGemm;
}

} // namespace lathe::onnx_import
