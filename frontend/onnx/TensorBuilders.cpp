//===- TensorBuilders.cpp - Tensor-level IR construction ------------------===//
#include "frontend/onnx/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace lathe::onnx_import {

FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return failure();
    out[i] = l == 1 ? r : l;
  }
  return out;
}

/// Indexing map reading a tensor of `shape` broadcast into `outShape`.
static AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape,
                              ArrayRef<int64_t> outShape) {
  unsigned outRank = outShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [k, extent] : llvm::enumerate(shape)) {
    unsigned outDim = outRank - shape.size() + k;
    if (extent == 1 && outShape[outDim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(outDim, ctx));
  }
  return AffineMap::get(outRank, 0, exprs, ctx);
}

Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       Type resultElement, ScalarBodyFn body,
                       std::optional<ArrayRef<int64_t>> shape) {
  SmallVector<int64_t> outShape;
  if (shape) {
    outShape.assign(shape->begin(), shape->end());
  } else {
    for (Value v : inputs)
      outShape = *broadcastShapes(
          outShape, cast<RankedTensorType>(v.getType()).getShape());
  }
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : inputs)
    maps.push_back(broadcastMap(
        ctx, cast<RankedTensorType>(v.getType()).getShape(), outShape));
  maps.push_back(AffineMap::getMultiDimIdentityMap(outShape.size(), ctx));
  Value init = tensor::EmptyOp::create(b, loc, outShape, resultElement);
  SmallVector<utils::IteratorType> iterators(outShape.size(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value buildSplat(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 TypedAttr value) {
  Value init = tensor::EmptyOp::create(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, bool keepDims, TypedAttr init,
                     ScalarBodyFn combine) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  Value acc = buildSplat(b, loc, outShape, init);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, ctx),
      AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, acc.getType(), ValueRange{input}, ValueRange{acc}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value next = combine(nb, nloc, {args[1], args[0]});
        linalg::YieldOp::create(nb, nloc, next);
      });
  Value result = generic.getResult(0);
  if (!keepDims)
    return result;
  SmallVector<int64_t> keptShape(type.getShape());
  for (int64_t a : axes)
    keptShape[a] = 1;
  return buildReshape(b, loc, result, keptShape);
}

Value buildTranspose(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, input, init, perm).getResult()[0];
}

Value buildReshape(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  // Collapse to one dimension, then expand to the target: both are views.
  Value flat = input;
  int64_t count = type.getNumElements();
  if (type.getRank() != 1) {
    SmallVector<ReassociationIndices> all;
    if (type.getRank() > 0) {
      all.emplace_back();
      for (int64_t d = 0; d < type.getRank(); ++d)
        all.back().push_back(d);
    }
    if (type.getRank() == 0) {
      flat = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1}, type.getElementType()), input,
          ArrayRef<ReassociationIndices>{});
    } else {
      flat = tensor::CollapseShapeOp::create(b, loc, input, all);
    }
  }
  if (shape.size() == 1)
    return flat;
  (void)count;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           ArrayRef<ReassociationIndices>{});
  SmallVector<ReassociationIndices> all(1);
  for (size_t d = 0; d < shape.size(); ++d)
    all.back().push_back(d);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat, all);
}

Value buildBroadcastTo(OpBuilder &b, Location loc, Value input,
                       ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  return buildElementwise(
      b, loc, input, type.getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; }, shape);
}

TypedAttr scalarAttr(Type type, double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return FloatAttr::get(ft, value);
  // Truncated to the width: 1 is true for i1, 255 is -1 for i8.
  return IntegerAttr::get(type, APInt(type.getIntOrFloatBitWidth(),
                                      (uint64_t)(int64_t)value,
                                      /*isSigned=*/value < 0,
                                      /*implicitTrunc=*/true));
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, scalarAttr(type, value));
}

Value castScalar(OpBuilder &b, Location loc, Value v, Type to,
                 bool fromUnsigned, bool toUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, v);
    // f16 <-> bf16: go through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat) {
    if (to.isInteger(1)) {
      Value zero = scalarConstant(b, loc, from, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  unsigned fromBits = from.getIntOrFloatBitWidth();
  if (toFloat) {
    if (fromUnsigned || fromBits == 1)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  unsigned toBits = to.getIntOrFloatBitWidth();
  if (toBits == 1) {
    Value zero = scalarConstant(b, loc, from, 0.0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  if (fromBits > toBits)
    return arith::TruncIOp::create(b, loc, to, v);
  if (fromUnsigned || fromBits == 1)
    return arith::ExtUIOp::create(b, loc, to, v);
  return arith::ExtSIOp::create(b, loc, to, v);
}

Value normalizeIndex(OpBuilder &b, Location loc, Value raw, int64_t dim) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value d = arith::ConstantIndexOp::create(b, loc, dim);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, i, d), i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  return arith::MinSIOp::create(b, loc, i, arith::ConstantIndexOp::create(b, loc, dim - 1));
}

} // namespace lathe::onnx_import
