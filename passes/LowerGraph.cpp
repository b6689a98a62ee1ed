//===- LowerGraph.cpp - graph dialect to linalg on tensors ----------------===//
//
// Rewrites graph ops into linalg.generic on tensors with arith/math bodies.
// Reductions and softmax accumulate in f32 for element types narrower than 32
// bits (in the element type otherwise), and the formulas follow the ONNX
// reference implementations operation by operation, so that ONNX's backend
// tests hold within their tolerances.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_LOWERGRAPHTOLINALG
#include "passes/Passes.h.inc"

/// The patterns of lathe-lower-graph, one per graph op.
void populateLowerGraphToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// graph.quantized_matmul, from LowerQuantized.cpp.
void populateLowerQuantizedPatterns(mlir::RewritePatternSet &patterns);
} // namespace lathe

using namespace mlir;
namespace graph = lathe::graph;

namespace {

using utils::IteratorType;
using BodyBuilder = function_ref<void(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

/// The first operand or result type of `op` with a dynamic dimension, if any:
/// the patterns build static loop nests only.
std::optional<Type> findDynamicType(Operation *op) {
  for (Type type :
       llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (shaped && !shaped.hasStaticShape())
      return type;
  }
  return std::nullopt;
}

/// The type sums, statistics and softmax are computed in: f32 for floats
/// narrower than 32 bits, the element type itself otherwise.
FloatType getAccumulatorType(Type elementType) {
  auto floatType = cast<FloatType>(elementType);
  if (floatType.getWidth() < 32)
    return Float32Type::get(elementType.getContext());
  return floatType;
}

/// Extends or truncates a float scalar to `to`.
Value convertFloat(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (cast<FloatType>(from).getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, loc, to, value);
  return arith::TruncFOp::create(b, loc, to, value);
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value negativeInfinity(OpBuilder &b, Location loc, FloatType type) {
  return arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(),
                                           /*Negative=*/true)));
}

/// An f32 attribute value as a constant of `type` (f32 or wider).
Value attributeConstant(OpBuilder &b, Location loc, Type type,
                        const APFloat &value) {
  return floatConstant(b, loc, type, value.convertToDouble());
}

/// tensor.empty filled with `value`: the init of a reduction.
Value createFilledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, value.getType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

/// (d0, ..., d{numLoops-1}) -> (d{dims[0]}, d{dims[1]}, ...).
AffineMap projectionMap(MLIRContext *context, unsigned numLoops,
                        ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned dim : dims)
    exprs.push_back(getAffineDimExpr(dim, context));
  return AffineMap::get(numLoops, 0, exprs, context);
}

/// Loop dims [first, first + count).
SmallVector<unsigned> dimRange(unsigned first, unsigned count) {
  return llvm::to_vector(llvm::seq<unsigned>(first, first + count));
}

SmallVector<IteratorType> parallelThenReduction(unsigned numParallel,
                                                unsigned numReduction) {
  SmallVector<IteratorType> iterators(numParallel, IteratorType::parallel);
  iterators.append(numReduction, IteratorType::reduction);
  return iterators;
}

Value createGeneric(OpBuilder &b, Location loc, ValueRange inputs, Value init,
                    ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
                    BodyBuilder body) {
  return linalg::GenericOp::create(b, loc, init.getType(), inputs, init, maps,
                                   iterators, body)
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Normalizations: x is [rows..., normalized...] with `axis` row dims; row
// tensors (sums, statistics) have the shape x.shape[:axis].
//===----------------------------------------------------------------------===//

/// Per row, the sum over the normalized dims of `term(x, rowValues)`, where x
/// is extended to `accType` and rowValues are the matching elements of
/// `rowOperands` (row tensors).
Value sumOverNormalizedDims(
    OpBuilder &b, Location loc, Value x, ValueRange rowOperands, int64_t axis,
    FloatType accType,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> term) {
  MLIRContext *context = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  unsigned rank = xType.getRank();
  AffineMap rowMap = projectionMap(context, rank, dimRange(0, axis));

  SmallVector<Value> inputs = {x};
  llvm::append_range(inputs, rowOperands);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(rowOperands.size() + 1, rowMap);

  Value init = createFilledTensor(b, loc, xType.getShape().take_front(axis),
                                  floatConstant(b, loc, accType, 0.0));
  return createGeneric(
      b, loc, inputs, init, maps, parallelThenReduction(axis, rank - axis),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value element = convertFloat(nb, nloc, args[0], accType);
        Value value =
            term(nb, nloc, element, args.slice(1, rowOperands.size()));
        Value sum = arith::AddFOp::create(nb, nloc, args.back(), value);
        linalg::YieldOp::create(nb, nloc, sum);
      });
}

/// Elementwise map over row tensors of the same shape, giving a row tensor of
/// `resultType` elements.
Value mapRows(OpBuilder &b, Location loc, ValueRange rows, Type resultType,
              function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  auto rowType = cast<RankedTensorType>(rows.front().getType());
  unsigned rank = rowType.getRank();
  Value init = tensor::EmptyOp::create(b, loc, rowType.getShape(), resultType);
  SmallVector<AffineMap> maps(rows.size() + 1, b.getMultiDimIdentityMap(rank));
  return createGeneric(b, loc, rows, init, maps,
                       SmallVector<IteratorType>(rank, IteratorType::parallel),
                       [&](OpBuilder &nb, Location nloc, ValueRange args) {
                         linalg::YieldOp::create(
                             nb, nloc, fn(nb, nloc, args.drop_back()));
                       });
}

/// 1 / sqrt(sum / count + epsilon) per row, as the ONNX references compute it
/// (sqrt then reciprocal; no rsqrt approximation).
Value inverseRootMean(OpBuilder &b, Location loc, Value rowSums, int64_t count,
                      const APFloat &epsilon, FloatType accType) {
  return mapRows(
      b, loc, rowSums, accType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value mean = arith::DivFOp::create(
            nb, nloc, args[0], floatConstant(nb, nloc, accType, count));
        Value shifted = arith::AddFOp::create(
            nb, nloc, mean, attributeConstant(nb, nloc, accType, epsilon));
        Value root = math::SqrtOp::create(nb, nloc, shifted);
        return arith::DivFOp::create(
            nb, nloc, floatConstant(nb, nloc, accType, 1.0), root);
      });
}

/// Elementwise over x: `fn(x, rowValues, normalizedValues)` with x extended
/// to `accType`, rowValues from row tensors and normalizedValues from tensors
/// of the normalized shape (both extended to `accType`); the result is
/// truncated back to the element type of x.
Value mapNormalized(
    OpBuilder &b, Location loc, Value x, ValueRange rowOperands,
    ValueRange normalizedOperands, int64_t axis, FloatType accType,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange, ValueRange)>
        fn) {
  MLIRContext *context = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  unsigned rank = xType.getRank();
  SmallVector<Value> inputs = {x};
  llvm::append_range(inputs, rowOperands);
  llvm::append_range(inputs, normalizedOperands);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(rowOperands.size(),
              projectionMap(context, rank, dimRange(0, axis)));
  maps.append(normalizedOperands.size(),
              projectionMap(context, rank, dimRange(axis, rank - axis)));
  maps.push_back(b.getMultiDimIdentityMap(rank));

  Value init =
      tensor::EmptyOp::create(b, loc, xType.getShape(), xType.getElementType());
  return createGeneric(
      b, loc, inputs, init, maps,
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> extended;
        for (Value arg : args.drop_back())
          extended.push_back(convertFloat(nb, nloc, arg, accType));
        ArrayRef<Value> values = extended;
        Value result =
            fn(nb, nloc, values[0], values.slice(1, rowOperands.size()),
               values.drop_front(1 + rowOperands.size()));
        linalg::YieldOp::create(
            nb, nloc, convertFloat(nb, nloc, result, xType.getElementType()));
      });
}

int64_t normalizedElementCount(RankedTensorType xType, int64_t axis) {
  int64_t count = 1;
  for (int64_t dim : xType.getShape().drop_front(axis))
    count *= dim;
  return count;
}

struct LowerRmsNorm : OpRewritePattern<graph::RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    if (findDynamicType(op))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    Location loc = op.getLoc();
    RankedTensorType xType = op.getX().getType();
    int64_t axis = op.getAxis();
    FloatType accType = getAccumulatorType(xType.getElementType());

    Value sumOfSquares = sumOverNormalizedDims(
        rewriter, loc, op.getX(), {}, axis, accType,
        [](OpBuilder &b, Location loc, Value x, ValueRange) -> Value {
          return arith::MulFOp::create(b, loc, x, x);
        });
    Value invRms = inverseRootMean(rewriter, loc, sumOfSquares,
                                   normalizedElementCount(xType, axis),
                                   op.getEpsilon(), accType);
    // y = (x * invRms) * scale
    Value y = mapNormalized(
        rewriter, loc, op.getX(), invRms, op.getScale(), axis, accType,
        [](OpBuilder &b, Location loc, Value x, ValueRange rows,
           ValueRange normalized) -> Value {
          Value normalizedX = arith::MulFOp::create(b, loc, x, rows[0]);
          return arith::MulFOp::create(b, loc, normalizedX, normalized[0]);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct LowerLayerNorm : OpRewritePattern<graph::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (findDynamicType(op))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    Location loc = op.getLoc();
    RankedTensorType xType = op.getX().getType();
    int64_t axis = op.getAxis();
    int64_t count = normalizedElementCount(xType, axis);
    FloatType accType = getAccumulatorType(xType.getElementType());

    // Two passes, as the reference: mean, then the mean of squared
    // deviations (numerically safer than E[x^2] - E[x]^2).
    Value sum = sumOverNormalizedDims(
        rewriter, loc, op.getX(), {}, axis, accType,
        [](OpBuilder &, Location, Value x, ValueRange) { return x; });
    Value mean =
        mapRows(rewriter, loc, sum, accType,
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  return arith::DivFOp::create(
                      b, loc, args[0], floatConstant(b, loc, accType, count));
                });
    Value sumOfSquaredDeviations = sumOverNormalizedDims(
        rewriter, loc, op.getX(), mean, axis, accType,
        [](OpBuilder &b, Location loc, Value x, ValueRange rows) -> Value {
          Value deviation = arith::SubFOp::create(b, loc, x, rows[0]);
          return arith::MulFOp::create(b, loc, deviation, deviation);
        });
    Value invStdDev = inverseRootMean(rewriter, loc, sumOfSquaredDeviations,
                                      count, op.getEpsilon(), accType);

    // y = ((x - mean) * invStdDev) * scale + bias
    SmallVector<Value> parameters = {op.getScale()};
    if (Value bias = op.getBias())
      parameters.push_back(bias);
    Value y = mapNormalized(
        rewriter, loc, op.getX(), {mean, invStdDev}, parameters, axis, accType,
        [](OpBuilder &b, Location loc, Value x, ValueRange rows,
           ValueRange normalized) -> Value {
          Value deviation = arith::SubFOp::create(b, loc, x, rows[0]);
          Value standardized =
              arith::MulFOp::create(b, loc, deviation, rows[1]);
          Value scaled =
              arith::MulFOp::create(b, loc, standardized, normalized[0]);
          if (normalized.size() == 1)
            return scaled;
          return arith::AddFOp::create(b, loc, scaled, normalized[1]);
        });

    rewriter.replaceOp(
        op, {y, reshapeStatistics(rewriter, loc, mean, op.getMean()),
             reshapeStatistics(rewriter, loc, invStdDev, op.getInvStdDev())});
    return success();
  }

  /// A row tensor of statistics as the op's result: f32 elements, with the
  /// normalized dims kept as ones.
  static Value reshapeStatistics(OpBuilder &b, Location loc, Value rows,
                                 Value result) {
    auto resultType = cast<RankedTensorType>(result.getType());
    auto rowType = cast<RankedTensorType>(rows.getType());
    if (rowType.getElementType() != resultType.getElementType())
      rows = mapRows(b, loc, rows, resultType.getElementType(),
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       return convertFloat(nb, nloc, args[0],
                                           resultType.getElementType());
                     });
    // The last row dim absorbs the trailing ones; a rank-0 row tensor
    // expands with no groups at all.
    SmallVector<ReassociationIndices> groups;
    int64_t rowRank = rowType.getRank();
    for (int64_t dim = 0; dim < rowRank; ++dim)
      groups.push_back({dim});
    if (rowRank > 0)
      for (int64_t dim = rowRank; dim < resultType.getRank(); ++dim)
        groups.back().push_back(dim);
    return tensor::ExpandShapeOp::create(b, loc, resultType, rows, groups);
  }
};

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

/// Rotates the pairs in two strided slices of x's head dim (the first and
/// second members of every pair) and inserts the results back, so channels
/// past the rotary dimension pass through untouched.
struct LowerRope : OpRewritePattern<graph::RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::RopeOp op,
                                PatternRewriter &rewriter) const override {
    if (findDynamicType(op))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value x = op.getX();
    RankedTensorType xType = op.getX().getType();
    Type elementType = xType.getElementType();
    FloatType accType = getAccumulatorType(elementType);
    ArrayRef<int64_t> shape = xType.getShape(); // [B, H, S, D]
    ArrayRef<int64_t> tableShape = op.getCos().getType().getShape();
    int64_t pairs = tableShape[2]; // R / 2
    if (pairs == 0) {
      rewriter.replaceOp(op, x);
      return success();
    }

    // interleaved: pair i is (2i, 2i + 1); otherwise (i, i + R/2).
    bool interleaved = op.getInterleaved();
    int64_t firstOffset = 0;
    int64_t secondOffset = interleaved ? 1 : pairs;
    int64_t stride = interleaved ? 2 : 1;
    SmallVector<OpFoldResult> sizes = {
        rewriter.getIndexAttr(shape[0]), rewriter.getIndexAttr(shape[1]),
        rewriter.getIndexAttr(shape[2]), rewriter.getIndexAttr(pairs)};
    SmallVector<OpFoldResult> strides = {
        rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
        rewriter.getIndexAttr(1), rewriter.getIndexAttr(stride)};
    auto offsetsAt = [&](int64_t channel) {
      SmallVector<OpFoldResult> offsets(3, rewriter.getIndexAttr(0));
      offsets.push_back(rewriter.getIndexAttr(channel));
      return offsets;
    };
    Value first = tensor::ExtractSliceOp::create(
        rewriter, loc, x, offsetsAt(firstOffset), sizes, strides);
    Value second = tensor::ExtractSliceOp::create(
        rewriter, loc, x, offsetsAt(secondOffset), sizes, strides);

    // Loops (b, h, s, i); cos/sin are [B or 1, S, R/2].
    AffineExpr tableBatch = tableShape[0] == 1 && shape[0] != 1
                                ? getAffineConstantExpr(0, context)
                                : getAffineDimExpr(0, context);
    AffineMap tableMap =
        AffineMap::get(4, 0,
                       {tableBatch, getAffineDimExpr(2, context),
                        getAffineDimExpr(3, context)},
                       context);
    AffineMap identity = rewriter.getMultiDimIdentityMap(4);
    SmallVector<int64_t> halfShape = {shape[0], shape[1], shape[2], pairs};
    Value firstInit =
        tensor::EmptyOp::create(rewriter, loc, halfShape, elementType);
    Value secondInit =
        tensor::EmptyOp::create(rewriter, loc, halfShape, elementType);
    auto rotated = linalg::GenericOp::create(
        rewriter, loc, TypeRange{firstInit.getType(), secondInit.getType()},
        ValueRange{first, second, op.getCos(), op.getSin()},
        ValueRange{firstInit, secondInit},
        ArrayRef<AffineMap>{identity, identity, tableMap, tableMap, identity,
                            identity},
        SmallVector<IteratorType>(4, IteratorType::parallel),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value a = convertFloat(b, loc, args[0], accType);
          Value c = convertFloat(b, loc, args[1], accType);
          Value cos = convertFloat(b, loc, args[2], accType);
          Value sin = convertFloat(b, loc, args[3], accType);
          // ONNX: real = cos * a - sin * c; imag = sin * a + cos * c.
          Value cosA = arith::MulFOp::create(b, loc, cos, a);
          Value sinC = arith::MulFOp::create(b, loc, sin, c);
          Value real = arith::SubFOp::create(b, loc, cosA, sinC);
          Value sinA = arith::MulFOp::create(b, loc, sin, a);
          Value cosC = arith::MulFOp::create(b, loc, cos, c);
          Value imag = arith::AddFOp::create(b, loc, sinA, cosC);
          linalg::YieldOp::create(
              b, loc,
              ValueRange{convertFloat(b, loc, real, elementType),
                         convertFloat(b, loc, imag, elementType)});
        });

    // With R == D every channel is rewritten, so start from an empty tensor.
    Value result =
        2 * pairs == shape[3]
            ? Value(tensor::EmptyOp::create(rewriter, loc, shape, elementType))
            : x;
    result = tensor::InsertSliceOp::create(rewriter, loc, rotated.getResult(0),
                                           result, offsetsAt(firstOffset),
                                           sizes, strides);
    result = tensor::InsertSliceOp::create(rewriter, loc, rotated.getResult(1),
                                           result, offsetsAt(secondOffset),
                                           sizes, strides);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// The steps of attention on the grouped layout: q and the result are viewed
/// as [B, Hkv, G, S, *] with G = Hq / Hkv query heads per key/value head, so
/// that every indexing map is a projection and query head h = kvh * G + g
/// reads key/value head kvh. Score tensors are [B, Hkv, G, S, L] in the
/// accumulator type. Built from graph.attention or graph.attention_scores.
class AttentionSteps {
public:
  template <typename OpTy>
  AttentionSteps(PatternRewriter &rewriter, OpTy op)
      : b(rewriter), loc(op.getLoc()), context(rewriter.getContext()),
        q(op.getQ()), k(op.getK()), mask(op.getMask()), past(op.getPast()),
        scale(op.getScaleAttr()), causal(op.getCausal()),
        softcap(op.getSoftcap().convertToDouble()),
        pastLength(op.getPastLength()) {
    RankedTensorType qType = op.getQ().getType();
    elementType = qType.getElementType();
    accType = getAccumulatorType(elementType);
    ArrayRef<int64_t> qShape = qType.getShape();            // B Hq S D
    ArrayRef<int64_t> kShape = op.getK().getType().getShape(); // B Hkv L D
    batch = qShape[0];
    kvHeads = kShape[1];
    groups = qShape[1] / kShape[1];
    queryLength = qShape[2];
    keyLength = kShape[2];
    headDim = qShape[3];
  }

  SmallVector<int64_t> scoresShape() const {
    return {batch, kvHeads, groups, queryLength, keyLength};
  }

  /// q . k^T; loops (b, kvh, g, s, l, d).
  Value scores() {
    Value qGrouped = tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({batch, kvHeads, groups, queryLength, headDim},
                              elementType),
        q, splitHeads());
    Value zero = floatConstant(b, loc, accType, 0.0);
    return createGeneric(
        b, loc, {qGrouped, k}, createFilledTensor(b, loc, scoresShape(), zero),
        {map(6, {d(0), d(1), d(2), d(3), d(5)}), map(6, {d(0), d(1), d(4), d(5)}),
         map(6, {d(0), d(1), d(2), d(3), d(4)})},
        parallelThenReduction(5, 1),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          // The sum over d may be reassociated, so that it runs in vector
          // lanes.
          auto flags =
              arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
          Value lhs = convertFloat(nb, nloc, args[0], accType);
          Value rhs = convertFloat(nb, nloc, args[1], accType);
          Value product = arith::MulFOp::create(nb, nloc, lhs, rhs, flags);
          Value sum = arith::AddFOp::create(nb, nloc, args[2], product, flags);
          linalg::YieldOp::create(nb, nloc, sum);
        });
  }

  /// scores * scale, softcapped, plus (with `withBias`) the mask and causal
  /// biases.
  Value logits(Value scores, bool withBias) {
    SmallVector<Value> inputs = {scores};
    AffineMap identity5 = b.getMultiDimIdentityMap(5);
    SmallVector<AffineMap> maps = {identity5};
    ArrayRef<int64_t> shape = cast<RankedTensorType>(scores.getType()).getShape();

    Value maskInput = withBias ? mask : Value();
    if (maskInput) {
      // Broadcast dims (size 1 where the scores are larger) read index 0; a
      // per-head mask is split like q so that head h reads (h / G, h % G).
      auto maskType = cast<RankedTensorType>(maskInput.getType());
      ArrayRef<int64_t> maskShape = maskType.getShape();
      auto dimOrZero = [&](int64_t maskDim, int64_t scoresDim, unsigned loop) {
        return maskDim == 1 && scoresDim != 1 ? getAffineConstantExpr(0, context)
                                              : d(loop);
      };
      SmallVector<AffineExpr> exprs;
      exprs.push_back(dimOrZero(maskShape[0], shape[0], 0));
      if (maskShape[1] == 1) {
        exprs.push_back(getAffineConstantExpr(0, context));
      } else {
        maskInput = tensor::ExpandShapeOp::create(
            b, loc,
            RankedTensorType::get(
                {maskShape[0], shape[1], groups, maskShape[2], maskShape[3]},
                maskType.getElementType()),
            maskInput, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
        exprs.push_back(d(1));
        exprs.push_back(d(2));
      }
      exprs.push_back(dimOrZero(maskShape[2], shape[3], 3));
      exprs.push_back(dimOrZero(maskShape[3], shape[4], 4));
      inputs.push_back(maskInput);
      maps.push_back(AffineMap::get(5, 0, exprs, context));
    }
    // A run-time past length is read as a 0-D input.
    bool causalBias = withBias && causal;
    Value pastInput = causalBias ? past : Value();
    if (pastInput) {
      inputs.push_back(pastInput);
      maps.push_back(AffineMap::get(5, 0, {}, context));
    }
    maps.push_back(identity5);

    // Keys before this block of queries: query i sees key j iff j <= i + past.
    int64_t staticPast = keyLength - queryLength;
    if (pastLength)
      staticPast = static_cast<int64_t>(*pastLength);
    bool booleanMask =
        maskInput &&
        cast<RankedTensorType>(maskInput.getType()).getElementType().isInteger(1);
    return createGeneric(
        b, loc, inputs, tensor::EmptyOp::create(b, loc, shape, accType), maps,
        SmallVector<IteratorType>(5, IteratorType::parallel),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value logit = arith::MulFOp::create(
              nb, nloc, args[0], attributeConstant(nb, nloc, accType, scale.getValue()));
          if (softcap > 0) {
            Value cap = floatConstant(nb, nloc, accType, softcap);
            Value squashed = math::TanhOp::create(
                nb, nloc, arith::DivFOp::create(nb, nloc, logit, cap));
            logit = arith::MulFOp::create(nb, nloc, squashed, cap);
          }
          // The bias is 0 or -inf for boolean and causal masks (selected, not
          // multiplied, so no 0 * inf), or the float mask's value.
          Value negInf;
          if (booleanMask || causalBias)
            negInf = negativeInfinity(nb, nloc, accType);
          Value bias;
          if (booleanMask)
            bias = arith::SelectOp::create(
                nb, nloc, args[1], floatConstant(nb, nloc, accType, 0.0),
                negInf);
          else if (maskInput)
            bias = convertFloat(nb, nloc, args[1], accType);
          if (causalBias) {
            Value query = linalg::IndexOp::create(nb, nloc, 3);
            Value key = linalg::IndexOp::create(nb, nloc, 4);
            Value distance = arith::SubIOp::create(nb, nloc, key, query);
            Value limit =
                pastInput
                    ? arith::IndexCastOp::create(nb, nloc, nb.getIndexType(),
                                                 args[inputs.size() - 1])
                          .getResult()
                    : arith::ConstantIndexOp::create(nb, nloc, staticPast)
                          .getResult();
            Value visible = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::sle, distance, limit);
            bias = arith::SelectOp::create(
                nb, nloc, visible,
                bias ? bias : floatConstant(nb, nloc, accType, 0.0), negInf);
          }
          if (bias)
            logit = arith::AddFOp::create(nb, nloc, logit, bias);
          linalg::YieldOp::create(nb, nloc, logit);
        });
  }

  /// Softmax over l, stable and zero for fully masked rows (as ONNX's
  /// reference: a row max of -inf is replaced by 0, a zero sum by 1),
  /// rounded to the element type (the reference casts the probabilities back
  /// to q's type before the second product).
  Value probabilities(Value logits) {
    AffineMap identity5 = b.getMultiDimIdentityMap(5);
    AffineMap dropKey = map(5, {d(0), d(1), d(2), d(3)});
    SmallVector<int64_t> rowShape = {batch, kvHeads, groups, queryLength};
    SmallVector<IteratorType> parallel5(5, IteratorType::parallel);
    Value rowMax = createGeneric(
        b, loc, logits,
        createFilledTensor(b, loc, rowShape, negativeInfinity(b, loc, accType)),
        {identity5, dropKey}, parallelThenReduction(4, 1),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value max = arith::MaximumFOp::create(nb, nloc, args[1], args[0]);
          linalg::YieldOp::create(nb, nloc, max);
        });
    Value exponentials = createGeneric(
        b, loc, {logits, rowMax},
        tensor::EmptyOp::create(b, loc, scoresShape(), accType),
        {identity5, dropKey, identity5}, parallel5,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value fullyMasked = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OEQ, args[1],
              negativeInfinity(nb, nloc, accType));
          Value max = arith::SelectOp::create(
              nb, nloc, fullyMasked, floatConstant(nb, nloc, accType, 0.0),
              args[1]);
          Value shifted = arith::SubFOp::create(nb, nloc, args[0], max);
          linalg::YieldOp::create(
              nb, nloc, math::ExpOp::create(nb, nloc, shifted).getResult());
        });
    Value rowSum = createGeneric(
        b, loc, exponentials,
        createFilledTensor(b, loc, rowShape, floatConstant(b, loc, accType, 0.0)),
        {identity5, dropKey}, parallelThenReduction(4, 1),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc,
                                  arith::AddFOp::create(nb, nloc, args[1], args[0])
                                      .getResult());
        });
    return createGeneric(
        b, loc, {exponentials, rowSum},
        tensor::EmptyOp::create(b, loc, scoresShape(), elementType),
        {identity5, dropKey, identity5}, parallel5,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value empty =
              arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OEQ, args[1],
                                    floatConstant(nb, nloc, accType, 0.0));
          Value sum = arith::SelectOp::create(
              nb, nloc, empty, floatConstant(nb, nloc, accType, 1.0), args[1]);
          Value p = arith::DivFOp::create(nb, nloc, args[0], sum);
          linalg::YieldOp::create(nb, nloc,
                                  convertFloat(nb, nloc, p, elementType));
        });
  }

  /// probabilities . v; loops (b, kvh, g, s, l, dv): with dv innermost, each
  /// key adds p * v[l, :] to the output row, reading v's rows contiguously.
  /// The result is [B, Hq, S, Dv] in the element type.
  Value output(Value probabilities, Value v) {
    int64_t valueDim = cast<RankedTensorType>(v.getType()).getDimSize(3);
    SmallVector<int64_t> outShape = {batch, kvHeads, groups, queryLength,
                                     valueDim};
    SmallVector<IteratorType> iterators(6, IteratorType::parallel);
    iterators[4] = IteratorType::reduction;
    Value out = createGeneric(
        b, loc, {probabilities, v},
        createFilledTensor(b, loc, outShape, floatConstant(b, loc, accType, 0.0)),
        {map(6, {d(0), d(1), d(2), d(3), d(4)}), map(6, {d(0), d(1), d(4), d(5)}),
         map(6, {d(0), d(1), d(2), d(3), d(5)})},
        iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value lhs = convertFloat(nb, nloc, args[0], accType);
          Value rhs = convertFloat(nb, nloc, args[1], accType);
          Value product = arith::MulFOp::create(nb, nloc, lhs, rhs);
          linalg::YieldOp::create(
              nb, nloc, arith::AddFOp::create(nb, nloc, args[2], product).getResult());
        });
    return joinHeads(toElementType(out));
  }

  /// A grouped [B, Hkv, G, S, *] tensor in the element type, as
  /// [B, Hq, S, *].
  Value joinHeads(Value grouped) {
    auto type = cast<RankedTensorType>(grouped.getType());
    ArrayRef<int64_t> shape = type.getShape();
    return tensor::CollapseShapeOp::create(
        b, loc,
        RankedTensorType::get({shape[0], shape[1] * shape[2], shape[3], shape[4]},
                              type.getElementType()),
        grouped, splitHeads());
  }

  Value toElementType(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (type.getElementType() == elementType)
      return tensor;
    AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
    return createGeneric(
        b, loc, tensor,
        tensor::EmptyOp::create(b, loc, type.getShape(), elementType),
        {identity, identity},
        SmallVector<IteratorType>(type.getRank(), IteratorType::parallel),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc,
                                  convertFloat(nb, nloc, args[0], elementType));
        });
  }

private:
  AffineExpr d(unsigned dim) const { return getAffineDimExpr(dim, context); }
  AffineMap map(unsigned numLoops, ArrayRef<AffineExpr> exprs) const {
    return AffineMap::get(numLoops, 0, exprs, context);
  }
  static SmallVector<ReassociationIndices> splitHeads() {
    return {{0}, {1, 2}, {3}, {4}};
  }

  PatternRewriter &b;
  Location loc;
  MLIRContext *context;
  Value q, k, mask, past;
  FloatAttr scale;
  bool causal;
  double softcap;
  std::optional<uint64_t> pastLength;
  Type elementType;
  FloatType accType;
  int64_t batch, kvHeads, groups, queryLength, keyLength, headDim;
};

struct LowerAttention : OpRewritePattern<graph::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (findDynamicType(op))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    AttentionSteps steps(rewriter, op);
    Value logits = steps.logits(steps.scores(), /*withBias=*/true);
    rewriter.replaceOp(op,
                       steps.output(steps.probabilities(logits), op.getV()));
    return success();
  }
};

struct LowerAttentionScores : OpRewritePattern<graph::AttentionScoresOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::AttentionScoresOp op,
                                PatternRewriter &rewriter) const override {
    if (findDynamicType(op))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    AttentionSteps steps(rewriter, op);
    graph::ScoreStage stage = op.getStage();
    Value scores = steps.logits(steps.scores(),
                                /*withBias=*/stage != graph::ScoreStage::Scaled);
    if (stage == graph::ScoreStage::Probabilities)
      scores = steps.probabilities(scores);
    rewriter.replaceOp(op, steps.joinHeads(steps.toElementType(scores)));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct LowerGraphToLinalgPass
    : lathe::impl::LowerGraphToLinalgBase<LowerGraphToLinalgPass> {
  void runOnOperation() override {
    // The patterns build static loop nests; say which op blocks that rather
    // than leaving it unconverted.
    bool dynamic = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<graph::RmsNormOp, graph::LayerNormOp, graph::RopeOp,
               graph::AttentionOp, graph::AttentionScoresOp,
               graph::QuantizedMatmulOp, graph::QuantizedGatherOp>(op))
        return;
      if (std::optional<Type> type = findDynamicType(op)) {
        op->emitOpError() << "has dynamic shape " << *type
                          << "; lathe-lower-graph needs static shapes";
        dynamic = true;
      }
    });
    if (dynamic)
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    lathe::populateLowerGraphToLinalgPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

/// linalg.softmax (from ONNX Softmax) as upstream decomposes it: a max
/// reduction, exp(x - max), a sum reduction and the division, all
/// linalg.generic.
struct DecomposeSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
    if (failed(results))
      return failure();
    rewriter.replaceOp(op, *results);
    return success();
  }
};

} // namespace

void lathe::populateLowerGraphToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRmsNorm, LowerLayerNorm, LowerRope, LowerAttention,
               LowerAttentionScores, DecomposeSoftmax>(
      patterns.getContext());
  populateLowerQuantizedPatterns(patterns);
}
