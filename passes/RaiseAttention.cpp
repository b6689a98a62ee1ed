//===- RaiseAttention.cpp - Decomposed attention to graph.attention -------===//
//
// Exporters write attention as its parts: MatMul(Q, K^T), a scale, an
// additive mask, Softmax, MatMul(P, V). Imported, that is a batch_matmul,
// elementwise generics, a linalg.softmax and a second batch_matmul, with
// reshapes between them. This pass finds that chain and replaces it with
// one graph.attention, which the targets compute without materializing
// the scores.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"

namespace lathe {
#define GEN_PASS_DEF_RAISEATTENTION
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

ArrayRef<int64_t> shapeOf(Value tensor) {
  return cast<RankedTensorType>(tensor.getType()).getShape();
}

bool isReshape(Operation *op) {
  return isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op);
}

/// The value that `value` reshapes, through a chain of reshapes each used
/// once; `value` itself if it is not a reshape.
Value reshapeSource(Value value) {
  while (isReshape(value.getDefiningOp()) && value.hasOneUse())
    value = value.getDefiningOp()->getOperand(0);
  return value;
}

/// The single user of `value` past reshapes each used once, with the value
/// it uses; null if some value on the way has other users.
std::pair<Operation *, Value> reshapeUser(Value value) {
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (!isReshape(user))
      return {user, value};
    value = user->getResult(0);
  }
  return {nullptr, value};
}

/// Whether `init` is a zero fill (a contraction accumulating into it
/// computes exactly the product).
bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.value(), m_AnyZeroFloat());
}

/// An elementwise f32 generic of two inputs, all loops parallel, whose body
/// is one `BinaryOp` of the two inputs (in either order) yielded, with
/// `result` used once.
template <typename BinaryOp>
std::optional<linalg::GenericOp> matchBinary(Value result) {
  auto generic = result.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 || !result.hasOneUse() ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  auto op = dyn_cast<BinaryOp>(body.front());
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!op || yield.getOperand(0) != op.getResult())
    return std::nullopt;
  Value lhs = op.getLhs(), rhs = op.getRhs();
  Value in0 = body.getArgument(0), in1 = body.getArgument(1);
  if (!((lhs == in0 && rhs == in1) || (lhs == in1 && rhs == in0)))
    return std::nullopt;
  return generic;
}

/// (identity map input, other input) index pairs of an elementwise binary
/// generic, the identity-mapped input being the scores: one pair, or both
/// orders when both inputs cover the whole iteration space.
SmallVector<std::pair<unsigned, unsigned>> scoresFirst(linalg::GenericOp generic) {
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  SmallVector<std::pair<unsigned, unsigned>> orders;
  if (!maps[2].isIdentity())
    return orders;
  if (maps[0].isIdentity())
    orders.push_back({0, 1});
  if (maps[1].isIdentity())
    orders.push_back({1, 0});
  return orders;
}

/// A scalar f32 constant read by `generic` input `index`: a splat constant
/// (any shape) whose map reads one element everywhere or a 0-D tensor.
std::optional<double> scalarInput(linalg::GenericOp generic, unsigned index) {
  DenseElementsAttr value;
  if (!matchPattern(generic.getDpsInputs()[index], m_Constant(&value)) ||
      !value.isSplat() || !value.getElementType().isF32())
    return std::nullopt;
  return value.getSplatValue<APFloat>().convertToDouble();
}

/// A mask read by `generic` input `index` (elements of `elementType`), as a
/// tensor of the iteration space's rank whose dimensions are 1 or the full
/// size: the map must give each dimension its loop or the constant 0 (a
/// size-1 dimension).
Value maskInput(linalg::GenericOp generic, unsigned index, Type elementType) {
  Value mask = generic.getDpsInputs()[index];
  auto type = dyn_cast<RankedTensorType>(mask.getType());
  AffineMap map = generic.getIndexingMapsArray()[index];
  if (!type || type.getElementType() != elementType ||
      type.getRank() != map.getNumDims() || map.getNumResults() != type.getRank())
    return {};
  for (auto [dim, expr] : llvm::enumerate(map.getResults())) {
    if (auto loop = dyn_cast<AffineDimExpr>(expr); loop && loop.getPosition() == dim)
      continue;
    auto zero = dyn_cast<AffineConstantExpr>(expr);
    if (!zero || zero.getValue() != 0 || type.getDimSize(dim) != 1)
      return {};
  }
  return mask;
}

/// One term of the scores' bias: an f32 tensor added as it is, or, with
/// `fill`, an i1 tensor that keeps a score where true and replaces it by
/// `fill` elsewhere (ONNX Where), which adds 0 or `fill`.
struct MaskTerm {
  Value tensor;
  std::optional<double> fill;
};

/// Where(keep, scores, fill) with `fill` a scalar f32 constant: the term and
/// the scores, or nothing.
std::optional<std::pair<MaskTerm, Value>> matchWhere(Value result) {
  auto generic = result.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 3 || generic.getNumDpsInits() != 1 ||
      !result.hasOneUse() || generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto select = dyn_cast<arith::SelectOp>(body.front());
  if (body.getOperations().size() != 2 || !select ||
      select.getCondition() != body.getArgument(0) ||
      select.getTrueValue() != body.getArgument(1) ||
      select.getFalseValue() != body.getArgument(2) ||
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0) != select.getResult())
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  Value keep = maskInput(generic, 0, IntegerType::get(generic.getContext(), 1));
  std::optional<double> fill = scalarInput(generic, 2);
  if (!maps[1].isIdentity() || !maps[3].isIdentity() || !keep || !fill)
    return std::nullopt;
  return std::make_pair(MaskTerm{keep, fill}, generic.getDpsInputs()[1]);
}

struct RaiseAttentionPass
    : lathe::impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    SmallVector<linalg::SoftmaxOp> softmaxes;
    getOperation().walk([&](linalg::SoftmaxOp op) { softmaxes.push_back(op); });
    for (linalg::SoftmaxOp op : softmaxes)
      raise(op);
  }

  /// batch_matmul(A, B), reshaped, optionally multiplied or divided by a
  /// scalar constant (the scale it implies goes to `scale`); every
  /// intermediate used once.
  static linalg::BatchMatmulOp matchScaledProduct(Value scores, double &scale) {
    bool divides = false;
    std::optional<linalg::GenericOp> scaling = matchBinary<arith::MulFOp>(scores);
    if (!scaling) {
      scaling = matchBinary<arith::DivFOp>(scores);
      divides = true;
    }
    scale = 1.0;
    if (scaling) {
      // x / c needs x on the left; x * c either way.
      Block &body = scaling->getRegion().front();
      std::optional<unsigned> valueIndex;
      for (auto [candidate, constantIndex] : scoresFirst(*scaling)) {
        std::optional<double> c = scalarInput(*scaling, constantIndex);
        if (!c || *c == 0.0 ||
            (divides && cast<arith::DivFOp>(body.front()).getLhs() !=
                            body.getArgument(candidate)))
          continue;
        scale = divides ? 1.0 / *c : *c;
        valueIndex = candidate;
        break;
      }
      if (!valueIndex)
        return {};
      scores = scaling->getDpsInputs()[*valueIndex];
    }
    auto product = reshapeSource(scores).getDefiningOp<linalg::BatchMatmulOp>();
    if (!product || product.hasUserDefinedMaps() ||
        !product->getResult(0).hasOneUse() ||
        !isZeroFill(product.getDpsInits()[0]))
      return {};
    return product;
  }

  /// softmax(reshape(batch_matmul(A, B)) [* or / c] [+ mask]) feeding, past
  /// reshapes, the left operand of batch_matmul(P, V).
  static void raise(linalg::SoftmaxOp softmax) {
    auto scoresType = dyn_cast<RankedTensorType>(softmax.getInput().getType());
    if (!scoresType || !scoresType.hasStaticShape() ||
        !scoresType.getElementType().isF32() ||
        (scoresType.getRank() != 3 && scoresType.getRank() != 4) ||
        softmax.getDimension() != uint64_t(scoresType.getRank() - 1))
      return;

    // The consumer: P V.
    auto [consumer, probs] = reshapeUser(softmax.getResult()[0]);
    auto output = dyn_cast_or_null<linalg::BatchMatmulOp>(consumer);
    if (!output || output.hasUserDefinedMaps() ||
        output.getDpsInputs()[0] != probs || !isZeroFill(output.getDpsInits()[0]))
      return;

    // The producer chain: mask add, Where, scale, Q K^T.
    SmallVector<MaskTerm> masks;
    double scale = 1.0;
    auto maskedProduct = [&](Value scores) {
      if (auto where = matchWhere(scores)) {
        masks.push_back(where->first);
        scores = where->second;
      }
      return matchScaledProduct(scores, scale);
    };
    linalg::BatchMatmulOp product;
    Value scores = softmax.getInput();
    Type f32 = Float32Type::get(softmax.getContext());
    if (auto add = matchBinary<arith::AddFOp>(scores)) {
      for (auto [scoresIndex, maskIndex] : scoresFirst(*add)) {
        masks.clear();
        Value mask = maskInput(*add, maskIndex, f32);
        if (!mask)
          continue;
        masks.push_back({mask, std::nullopt});
        if ((product = maskedProduct(add->getDpsInputs()[scoresIndex])))
          break;
      }
    } else {
      product = maskedProduct(scores);
    }
    if (!product)
      return;

    // Shapes: A [N, S, D], B [N, D, L], V [N, L, Dv]; the scores [B, H, S, L]
    // (or [N, S, L]) with B * H = N.
    ArrayRef<int64_t> a = shapeOf(product.getDpsInputs()[0]);
    ArrayRef<int64_t> b = shapeOf(product.getDpsInputs()[1]);
    ArrayRef<int64_t> v = shapeOf(output.getDpsInputs()[1]);
    ArrayRef<int64_t> s = scoresType.getShape();
    int64_t batch = s.size() == 4 ? s[0] : 1, heads = s.size() == 4 ? s[1] : s[0];
    int64_t rows = s[s.size() - 2], keys = s.back();
    ArrayRef<int64_t> p = shapeOf(output.getDpsInputs()[0]);
    int64_t matrices = batch * heads;
    if (ShapedType::isDynamicShape(a) || ShapedType::isDynamicShape(b) ||
        ShapedType::isDynamicShape(v) || a[0] != matrices || a[1] != rows ||
        b[0] != matrices || b[2] != keys ||
        p != ArrayRef<int64_t>{matrices, rows, keys} || v[0] != matrices)
      return;

    OpBuilder builder(output);
    Location loc = softmax.getLoc();
    auto heads4 = [&](Value x, int64_t d1, int64_t d2) -> Value {
      return tensor::ExpandShapeOp::create(
          builder, loc, RankedTensorType::get({batch, heads, d1, d2}, f32), x,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    };
    Value q = heads4(product.getDpsInputs()[0], rows, a[2]);
    Value kT = heads4(product.getDpsInputs()[1], b[1], keys);
    Value k = linalg::TransposeOp::create(
                  builder, loc, kT,
                  tensor::EmptyOp::create(builder, loc,
                                          ArrayRef<int64_t>{batch, heads, keys, b[1]}, f32),
                  ArrayRef<int64_t>{0, 1, 3, 2})
                  .getResult()[0];
    Value values = heads4(output.getDpsInputs()[1], keys, v[2]);
    Value mask = combineMasks(builder, loc, masks);
    if (mask && scoresType.getRank() == 3)
      mask = tensor::ExpandShapeOp::create(
          builder, loc,
          RankedTensorType::get({1, shapeOf(mask)[0], shapeOf(mask)[1], shapeOf(mask)[2]}, f32),
          mask, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value attention = lathe::graph::AttentionOp::create(
        builder, loc, q, k, values, mask, builder.getF32FloatAttr(scale),
        builder.getBoolAttr(false), builder.getF32FloatAttr(0.0f));
    Value result = tensor::CollapseShapeOp::create(
        builder, loc, output->getResult(0).getType(), attention,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    output->getResult(0).replaceAllUsesWith(result);
    eraseDead(output);
  }

  /// The sum of the mask terms as one f32 tensor whose dimensions are 1 or
  /// full (the largest of the terms'); an additive mask alone is itself.
  static Value combineMasks(OpBuilder &b, Location loc, ArrayRef<MaskTerm> masks) {
    if (masks.empty())
      return {};
    if (masks.size() == 1 && !masks.front().fill)
      return masks.front().tensor;
    SmallVector<int64_t> shape(shapeOf(masks.front().tensor));
    for (const MaskTerm &term : masks)
      for (auto [size, termSize] : llvm::zip(shape, shapeOf(term.tensor)))
        size = std::max(size, termSize);
    SmallVector<AffineMap> maps;
    for (const MaskTerm &term : masks) {
      SmallVector<AffineExpr> results;
      for (auto [d, size] : llvm::enumerate(shapeOf(term.tensor)))
        results.push_back(size == 1 ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(d));
      maps.push_back(AffineMap::get(shape.size(), 0, results, b.getContext()));
    }
    maps.push_back(b.getMultiDimIdentityMap(shape.size()));
    Type f32 = b.getF32Type();
    SmallVector<Value> inputs =
        llvm::map_to_vector(masks, [](const MaskTerm &term) { return term.tensor; });
    return linalg::GenericOp::create(
               b, loc, RankedTensorType::get(shape, f32), inputs,
               tensor::EmptyOp::create(b, loc, shape, f32).getResult(), maps,
               SmallVector<utils::IteratorType>(shape.size(),
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 auto constant = [&](double v) -> Value {
                   return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
                 };
                 Value sum = constant(0.0);
                 for (auto [term, arg] : llvm::zip(masks, args)) {
                   Value bias = term.fill ? arith::SelectOp::create(nb, l, arg, constant(0.0),
                                                                  constant(*term.fill))
                                                .getResult()
                                          : arg;
                   sum = arith::AddFOp::create(nb, l, sum, bias);
                 }
                 linalg::YieldOp::create(nb, l, sum);
               })
        .getResult(0);
  }

  /// Erases `op` if nothing uses it, then the producers of its operands that
  /// this leaves unused.
  static void eraseDead(Operation *op) {
    if (!isOpTriviallyDead(op))
      return;
    SmallVector<Operation *> producers;
    for (Value operand : op->getOperands())
      if (Operation *producer = operand.getDefiningOp())
        producers.push_back(producer);
    op->erase();
    for (Operation *producer : producers)
      eraseDead(producer);
  }
};

} // namespace
