//===- ConstantEvaluation.cpp - Small imported subgraphs at compile time --===//
//
// Exporters compute shapes in the graph: Shape, Gather, Concat, Cast,
// arithmetic, ConstantOfShape, feeding Reshape, Expand, Range. With static
// input shapes all of that is known when the model is imported. The
// importer lowers those nodes like any other (to linalg and tensor ops on
// constants); this evaluator runs such ops on their constant operands, with
// MLIR's folders computing each scalar op of a linalg body, so that an input
// that must be constant is one.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/ConstantEvaluation.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace lathe::onnx_import {
namespace {

/// Largest tensor evaluated, and most points of a loop nest interpreted:
/// shape arithmetic is small; anything larger is model data.
constexpr int64_t kMaxElements = 1 << 12;
constexpr int64_t kMaxPoints = 1 << 16;

/// Row-major strides of a static shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Row-major position of `index` in a tensor of `shape`.
int64_t linearIndex(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t at = 0;
  for (auto [i, stride] : llvm::zip(index, stridesOf(shape)))
    at += i * stride;
  return at;
}

/// The multi-index of row-major position `at` in a tensor of `shape`.
void delinearize(int64_t at, ArrayRef<int64_t> shape,
                 SmallVectorImpl<int64_t> &index) {
  index.assign(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = at % shape[d];
    at /= shape[d];
  }
}

/// A tensor's elements in row-major order; null where not yet written
/// (the contents of tensor.empty).
using Elements = SmallVector<Attribute>;

class Evaluator {
public:
  std::optional<Elements> evaluate(Value value) {
    if (auto it = known.find(value); it != known.end())
      return it->second;
    std::optional<Elements> result = compute(value);
    known[value] = result;
    return result;
  }

private:
  std::optional<Elements> compute(Value value) {
    DenseElementsAttr constant;
    if (matchPattern(value, m_Constant(&constant)))
      return constant.getNumElements() <= kMaxPoints
                 ? std::optional<Elements>(constant.getValues<Attribute>())
                 : std::nullopt;
    auto type = dyn_cast<RankedTensorType>(value.getType());
    Operation *op = value.getDefiningOp();
    if (!op || !type || !type.hasStaticShape() ||
        type.getNumElements() > kMaxElements)
      return std::nullopt;
    if (isa<tensor::EmptyOp>(op))
      return Elements(type.getNumElements(), Attribute());
    // Reshapes keep the row-major order.
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op))
      return evaluate(op->getOperand(0));
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op))
      return extractSlice(slice);
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
      return insertSlice(insert);
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      return interpret(linalgOp, cast<OpResult>(value).getResultNumber());
    return std::nullopt;
  }

  /// Row-major positions in a tensor of `shape` of the elements of a static,
  /// unit-stride slice, in the slice's order (rank-reducing slices drop
  /// unit dimensions: the unreduced sizes are walked); nothing otherwise.
  static std::optional<SmallVector<int64_t>>
  slicePositions(OffsetSizeAndStrideOpInterface slice, ArrayRef<int64_t> shape) {
    ArrayRef<int64_t> offsets = slice.getStaticOffsets();
    ArrayRef<int64_t> sizes = slice.getStaticSizes();
    if (!slice.hasUnitStride() || ShapedType::isDynamicShape(offsets) ||
        ShapedType::isDynamicShape(sizes))
      return std::nullopt;
    int64_t count = 1;
    for (int64_t size : sizes)
      count *= size;
    SmallVector<int64_t> positions, index;
    for (int64_t n = 0; n < count; ++n) {
      delinearize(n, sizes, index);
      for (auto [i, offset] : llvm::zip(index, offsets))
        i += offset;
      positions.push_back(linearIndex(index, shape));
    }
    return positions;
  }

  std::optional<Elements> extractSlice(tensor::ExtractSliceOp slice) {
    std::optional<Elements> source = evaluate(slice.getSource());
    auto positions = slicePositions(slice, slice.getSourceType().getShape());
    if (!source || !positions)
      return std::nullopt;
    return llvm::map_to_vector(*positions,
                               [&](int64_t at) { return (*source)[at]; });
  }

  std::optional<Elements> insertSlice(tensor::InsertSliceOp insert) {
    std::optional<Elements> dest = evaluate(insert.getDest());
    std::optional<Elements> source = evaluate(insert.getSource());
    auto positions = slicePositions(insert, insert.getDestType().getShape());
    if (!dest || !source || !positions)
      return std::nullopt;
    for (auto [at, element] : llvm::zip(*positions, *source))
      (*dest)[at] = element;
    return dest;
  }

  /// Runs the loop nest of a linalg op on tensors point by point, folding
  /// each op of its body on constant attributes.
  std::optional<Elements> interpret(linalg::LinalgOp op, unsigned resultIndex) {
    if (!op.hasPureTensorSemantics() || !op.getBlock())
      return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t points = 1;
    for (int64_t range : ranges) {
      if (ShapedType::isDynamic(range))
        return std::nullopt;
      points *= range;
    }
    if (points > kMaxPoints)
      return std::nullopt;
    Block &body = *op.getBlock();
    // Each operand's elements (a scalar operand is one element) and shape.
    SmallVector<Elements> operands;
    SmallVector<SmallVector<int64_t>> shapes;
    for (OpOperand &operand : op->getOpOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      shapes.emplace_back(type ? type.getShape() : ArrayRef<int64_t>());
      if (!type) {
        Attribute scalar;
        if (!matchPattern(operand.get(), m_Constant(&scalar)))
          return std::nullopt;
        operands.push_back({scalar});
        continue;
      }
      std::optional<Elements> values = evaluate(operand.get());
      if (!values)
        return std::nullopt;
      operands.push_back(std::move(*values));
    }
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned firstInit = op.getNumDpsInputs();
    SmallVector<int64_t> point, at;
    for (int64_t p = 0; p < points; ++p) {
      delinearize(p, ranges, point);
      DenseMap<Value, Attribute> scalars;
      at.clear();
      for (auto [i, map] : llvm::enumerate(maps)) {
        at.push_back(linearIndex(map.compose(point), shapes[i]));
        scalars[body.getArgument(i)] = operands[i][at.back()];
      }
      for (Operation &bodyOp : body.without_terminator())
        if (failed(foldScalar(bodyOp, point, scalars)))
          return std::nullopt;
      auto yield = cast<linalg::YieldOp>(body.getTerminator());
      for (auto [i, yielded] : llvm::enumerate(yield.getValues())) {
        Attribute result = scalars.lookup(yielded);
        if (!result)
          return std::nullopt;
        operands[firstInit + i][at[firstInit + i]] = result;
      }
    }
    return operands[firstInit + resultIndex];
  }

  /// Folds one op of a linalg body at `point`; its operands are body values
  /// in `scalars` or constants from outside the body.
  LogicalResult foldScalar(Operation &op, ArrayRef<int64_t> point,
                           DenseMap<Value, Attribute> &scalars) {
    if (auto index = dyn_cast<linalg::IndexOp>(op)) {
      scalars[index] = IntegerAttr::get(index.getType(), point[index.getDim()]);
      return success();
    }
    SmallVector<Attribute> operandValues;
    for (Value operand : op.getOperands()) {
      Attribute value = scalars.lookup(operand);
      if (!value)
        matchPattern(operand, m_Constant(&value));
      operandValues.push_back(value);
    }
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      // An element of a tensor from outside the body (ONNX Gather).
      std::optional<Elements> tensor = evaluate(extract.getTensor());
      if (!tensor)
        return failure();
      ArrayRef<int64_t> shape = extract.getTensor().getType().getShape();
      SmallVector<int64_t> index;
      for (auto [value, size] :
           llvm::zip(ArrayRef(operandValues).drop_front(), shape)) {
        auto integer = dyn_cast_or_null<IntegerAttr>(value);
        if (!integer || integer.getInt() < 0 || integer.getInt() >= size)
          return failure();
        index.push_back(integer.getInt());
      }
      Attribute element = (*tensor)[linearIndex(index, shape)];
      if (!element)
        return failure();
      scalars[extract] = element;
      return success();
    }
    if (op.getNumResults() != 1 || llvm::is_contained(operandValues, Attribute()))
      return failure();
    SmallVector<OpFoldResult> folded;
    if (failed(op.fold(operandValues, folded)) || folded.size() != 1)
      return failure();
    Attribute result = dyn_cast<Attribute>(folded.front());
    if (!result)
      result = scalars.lookup(cast<Value>(folded.front()));
    if (!result)
      return failure();
    scalars[op.getResult(0)] = result;
    return success();
  }

  DenseMap<Value, std::optional<Elements>> known;
};

} // namespace

DenseElementsAttr evaluateConstant(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return {};
  std::optional<Elements> elements = Evaluator().evaluate(value);
  if (!elements || llvm::is_contained(*elements, Attribute()))
    return {};
  return DenseElementsAttr::get(type, *elements);
}

} // namespace lathe::onnx_import
