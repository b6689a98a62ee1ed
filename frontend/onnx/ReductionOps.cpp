//===- ReductionOps.cpp - Reductions, arg-reductions and softmax ----------===//
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;

namespace lathe::onnx_import {
namespace {

/// Axes of a Reduce* node, sorted and non-negative. Opset 13 moved ReduceSum's
/// axes to an input, opset 18 the others'.
FailureOr<SmallVector<int64_t>> reductionAxes(NodeImporter &n, bool axesAsInput) {
  int64_t rank = n.inputRank(0);
  SmallVector<int64_t> axes;
  if (axesAsInput && n.hasInput(1)) {
    auto values = n.constantInts(1, "axes input");
    if (failed(values))
      return failure();
    axes = *values;
  } else if (!axesAsInput) {
    axes = n.attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  if (axes.empty()) {
    if (n.attrInt("noop_with_empty_axes", 0))
      return axes;
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
    return axes;
  }
  for (int64_t &a : axes) {
    auto norm = n.normalizeAxis(a, rank);
    if (failed(norm))
      return failure();
    a = *norm;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

enum class ReduceKind { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

LogicalResult importReduce(NodeImporter &n, ReduceKind kind, int64_t axesInputSince) {
  if (!n.hasInput(0))
    return n.fail("expects an input");
  OnnxDtype dtype = n.inputDtype(0);
  bool isFloat = isFloatDtype(dtype), isUnsigned = isUnsignedDtype(dtype);
  if (!isFloat && (kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
                   kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp))
    return n.unsupported(Twine("input type ") + dtypeName(dtype));
  auto axes = reductionAxes(n, n.opset >= axesInputSince);
  if (failed(axes))
    return failure();
  bool keepDims = n.attrInt("keepdims", 1) != 0;
  Value x = n.input(0);
  Type t = n.inputType(0).getElementType();
  // Elementwise pre-transform.
  auto pre = [&](OpBuilder &b, Location loc, Value v) -> Value {
    switch (kind) {
    case ReduceKind::L1:
      return isFloat ? math::AbsFOp::create(b, loc, v).getResult()
                     : math::AbsIOp::create(b, loc, v).getResult();
    case ReduceKind::L2: case ReduceKind::SumSquare:
      return isFloat ? arith::MulFOp::create(b, loc, v, v).getResult()
                     : arith::MulIOp::create(b, loc, v, v).getResult();
    default: return v;
    }
  };
  double init = 0;
  if (kind == ReduceKind::Prod) init = 1;
  if (kind == ReduceKind::Max) init = isFloat ? -INFINITY : (isUnsigned ? 0 : -1);
  if (kind == ReduceKind::Min) init = isFloat ? INFINITY : -1;
  TypedAttr initAttr;
  if (!isFloat && (kind == ReduceKind::Max || kind == ReduceKind::Min)) {
    unsigned bits = t.getIntOrFloatBitWidth();
    APInt v = kind == ReduceKind::Max
                  ? (isUnsigned ? APInt::getMinValue(bits) : APInt::getSignedMinValue(bits))
                  : (isUnsigned ? APInt::getMaxValue(bits) : APInt::getSignedMaxValue(bits));
    initAttr = IntegerAttr::get(t, v);
  } else {
    initAttr = scalarAttr(t, init);
  }
  Value input = x;
  Value maxForLse;
  if (kind == ReduceKind::LogSumExp) {
    // log(sum(exp(x - m))) + m with m the max over the same axes.
    maxForLse = buildReduction(n.b, n.loc, x, *axes, /*keepDims=*/true,
                               scalarAttr(t, -INFINITY),
                               [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                                 return arith::MaximumFOp::create(b, loc, a[0], a[1]);
                               });
    input = buildElementwise(n.b, n.loc, {x, maxForLse}, t,
                             [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                               Value d = arith::SubFOp::create(b, loc, a[0], a[1]);
                               return math::ExpOp::create(b, loc, d);
                             });
  }
  Value r = buildReduction(
      n.b, n.loc, input, *axes, keepDims, initAttr,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value acc = a[0], v = pre(b, loc, a[1]);
        switch (kind) {
        case ReduceKind::Max:
          if (isFloat) return arith::MaximumFOp::create(b, loc, acc, v);
          if (isUnsigned) return arith::MaxUIOp::create(b, loc, acc, v);
          return arith::MaxSIOp::create(b, loc, acc, v);
        case ReduceKind::Min:
          if (isFloat) return arith::MinimumFOp::create(b, loc, acc, v);
          if (isUnsigned) return arith::MinUIOp::create(b, loc, acc, v);
          return arith::MinSIOp::create(b, loc, acc, v);
        case ReduceKind::Prod:
          if (isFloat) return arith::MulFOp::create(b, loc, acc, v);
          return arith::MulIOp::create(b, loc, acc, v);
        default:
          if (isFloat) return arith::AddFOp::create(b, loc, acc, v);
          return arith::AddIOp::create(b, loc, acc, v);
        }
      });
  int64_t count = 1;
  for (int64_t a : *axes)
    count *= n.inputShape(0)[a];
  auto resultShape = cast<RankedTensorType>(r.getType()).getShape();
  SmallVector<Value> post = {r};
  if (maxForLse) {
    Value m = keepDims ? maxForLse
                       : buildReshape(n.b, n.loc, maxForLse, resultShape);
    post.push_back(m);
  }
  if (kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
      kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp) {
    r = buildElementwise(n.b, n.loc, post, t,
                         [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                           Value v = a[0];
                           if (kind == ReduceKind::Mean)
                             return arith::DivFOp::create(b, loc, v, scalarConstant(b, loc, t, count));
                           if (kind == ReduceKind::L2)
                             return math::SqrtOp::create(b, loc, v);
                           v = math::LogOp::create(b, loc, v);
                           if (kind == ReduceKind::LogSumExp)
                             v = arith::AddFOp::create(b, loc, v, a[1]);
                           return v;
                         });
  }
  n.setOutput(0, r, dtype);
  return success();
}

#define REDUCE(NAME, KIND, SINCE)                                              \
  LogicalResult import##NAME(NodeImporter &n) {                               \
    return importReduce(n, ReduceKind::KIND, SINCE);                           \
  }
REDUCE(ReduceSum, Sum, 13)
REDUCE(ReduceMean, Mean, 18)
REDUCE(ReduceMax, Max, 18)
REDUCE(ReduceMin, Min, 18)
REDUCE(ReduceProd, Prod, 18)
REDUCE(ReduceL1, L1, 18)
REDUCE(ReduceL2, L2, 18)
REDUCE(ReduceLogSum, LogSum, 18)
REDUCE(ReduceLogSumExp, LogSumExp, 18)
REDUCE(ReduceSumSquare, SumSquare, 18)

/// ArgMax/ArgMin: one generic carrying (best value, best index).
LogicalResult importArgReduce(NodeImporter &n, bool isMax) {
  if (!n.hasInput(0))
    return n.fail("expects an input");
  int64_t rank = n.inputRank(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  bool keepDims = n.attrInt("keepdims", 1) != 0;
  bool selectLast = n.attrInt("select_last_index", 0) != 0;
  OnnxDtype dtype = n.inputDtype(0);
  bool isFloat = isFloatDtype(dtype), isUnsigned = isUnsignedDtype(dtype);
  Type t = n.inputType(0).getElementType();
  OpBuilder &b = n.b;
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == *axis) {
      iters.push_back(utils::IteratorType::reduction);
      continue;
    }
    iters.push_back(utils::IteratorType::parallel);
    outShape.push_back(n.inputShape(0)[d]);
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  TypedAttr worst;
  if (isFloat) {
    worst = scalarAttr(t, isMax ? -INFINITY : INFINITY);
  } else {
    unsigned bits = t.getIntOrFloatBitWidth();
    worst = IntegerAttr::get(
        t, isMax ? (isUnsigned ? APInt::getMinValue(bits) : APInt::getSignedMinValue(bits))
                 : (isUnsigned ? APInt::getMaxValue(bits) : APInt::getSignedMaxValue(bits)));
  }
  Value bestInit = buildSplat(b, n.loc, outShape, worst);
  Value indexInit = buildSplat(b, n.loc, outShape, b.getI64IntegerAttr(-1));
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap out = AffineMap::get(rank, 0, outExprs, ctx);
  int64_t axisValue = *axis;
  auto generic = linalg::GenericOp::create(
      b, n.loc, TypeRange{bestInit.getType(), indexInit.getType()},
      ValueRange{n.input(0)}, ValueRange{bestInit, indexInit},
      ArrayRef<AffineMap>{id, out, out}, iters,
      [&](OpBuilder &nb, Location loc, ValueRange a) {
        Value v = a[0], best = a[1], bestIndex = a[2];
        Value idx = linalg::IndexOp::create(nb, loc, axisValue);
        Value idx64 = arith::IndexCastOp::create(nb, loc, nb.getI64Type(), idx);
        Value better, equal;
        if (isFloat) {
          better = arith::CmpFOp::create(nb, loc, isMax ? arith::CmpFPredicate::OGT
                                                        : arith::CmpFPredicate::OLT, v, best);
          equal = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ, v, best);
        } else {
          auto p = isMax ? (isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                         : (isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(nb, loc, p, v, best);
          equal = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq, v, best);
        }
        // The first element always wins so that an all-extreme row has an index.
        Value unset = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, bestIndex,
                                            scalarConstant(nb, loc, nb.getI64Type(), 0));
        Value take = arith::OrIOp::create(nb, loc, better, unset);
        if (selectLast)
          take = arith::OrIOp::create(nb, loc, take, equal);
        Value newBest = arith::SelectOp::create(nb, loc, take, v, best);
        Value newIndex = arith::SelectOp::create(nb, loc, take, idx64, bestIndex);
        linalg::YieldOp::create(nb, loc, ValueRange{newBest, newIndex});
      });
  Value r = generic.getResult(1);
  if (keepDims) {
    SmallVector<int64_t> kept(n.inputShape(0));
    kept[axisValue] = 1;
    r = buildReshape(b, n.loc, r, kept);
  }
  n.setOutput(0, r, onnx::TensorProto::INT64);
  return success();
}

LogicalResult importArgMax(NodeImporter &n) { return importArgReduce(n, true); }
LogicalResult importArgMin(NodeImporter &n) { return importArgReduce(n, false); }

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

/// Softmax family over `axis` (opset >= 13), or over the flattened trailing
/// dimensions from `axis` (older opsets).
LogicalResult importSoftmaxLike(NodeImporter &n, SoftmaxKind kind) {
  if (!n.hasInput(0) || !isFloatDtype(n.inputDtype(0)))
    return n.fail("expects a floating-point input");
  int64_t rank = n.inputRank(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", n.opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  if (n.opset >= 13)
    axes.push_back(*axis);
  else
    for (int64_t d = *axis; d < rank; ++d)
      axes.push_back(d);
  Value x = n.input(0);
  Type t = n.inputType(0).getElementType();
  if (kind == SoftmaxKind::Softmax && axes.size() == 1) {
    // linalg.softmax keeps the op recognizable (attention raising looks for
    // it); lathe-lower-graph decomposes the others.
    Value init = tensor::EmptyOp::create(n.b, n.loc, n.inputShape(0), t);
    n.setOutput(0,
                linalg::SoftmaxOp::create(n.b, n.loc, TypeRange{n.inputType(0)},
                                          x, init, axes[0])
                    .getResult()[0],
                n.inputDtype(0));
    return success();
  }
  Value m = buildReduction(n.b, n.loc, x, axes, true, scalarAttr(t, -INFINITY),
                           [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                             return arith::MaximumFOp::create(b, loc, a[0], a[1]);
                           });
  if (kind == SoftmaxKind::Hardmax) {
    // One-hot of the first maximum along the axes: the flat index of the
    // first element equal to the max, via an ArgMax-like min of indices.
    if (axes.size() != 1)
      return n.unsupported("Hardmax over several axes");
    int64_t ax = axes[0];
    Value eqIndex = buildElementwise(
        n.b, n.loc, {x, m}, n.b.getI64Type(), [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value eq = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0], a[1]);
          Value idx = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 linalg::IndexOp::create(b, loc, ax));
          // Not through scalarConstant: INT64_MAX does not survive a double.
          Value none = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(INT64_MAX));
          return arith::SelectOp::create(b, loc, eq, idx, none);
        });
    Value first = buildReduction(n.b, n.loc, eqIndex, axes, true,
                                 n.b.getI64IntegerAttr(INT64_MAX),
                                 [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                                   return arith::MinSIOp::create(b, loc, a[0], a[1]);
                                 });
    Value out = buildElementwise(
        n.b, n.loc, {x, first}, t, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value idx = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                 linalg::IndexOp::create(b, loc, ax));
          Value hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, idx, a[1]);
          return arith::SelectOp::create(b, loc, hit, scalarConstant(b, loc, t, 1),
                                         scalarConstant(b, loc, t, 0));
        });
    n.setOutput(0, out, n.inputDtype(0));
    return success();
  }
  Value e = buildElementwise(n.b, n.loc, {x, m}, t,
                             [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                               return math::ExpOp::create(b, loc,
                                                          arith::SubFOp::create(b, loc, a[0], a[1]));
                             });
  Value s = buildReduction(n.b, n.loc, e, axes, true, scalarAttr(t, 0),
                           [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                             return arith::AddFOp::create(b, loc, a[0], a[1]);
                           });
  Value out;
  if (kind == SoftmaxKind::Softmax) {
    out = buildElementwise(n.b, n.loc, {e, s}, t,
                           [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                             return arith::DivFOp::create(b, loc, a[0], a[1]);
                           });
  } else {
    out = buildElementwise(n.b, n.loc, {x, m, s}, t,
                           [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                             Value d = arith::SubFOp::create(b, loc, a[0], a[1]);
                             return arith::SubFOp::create(b, loc, d,
                                                          math::LogOp::create(b, loc, a[2]));
                           });
  }
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importSoftmax(NodeImporter &n) { return importSoftmaxLike(n, SoftmaxKind::Softmax); }
LogicalResult importLogSoftmax(NodeImporter &n) { return importSoftmaxLike(n, SoftmaxKind::LogSoftmax); }
LogicalResult importHardmax(NodeImporter &n) { return importSoftmaxLike(n, SoftmaxKind::Hardmax); }

} // namespace

void registerReductionOps(NodeImportTable &t) {
  t["ReduceSum"] = importReduceSum; t["ReduceMean"] = importReduceMean;
  t["ReduceMax"] = importReduceMax; t["ReduceMin"] = importReduceMin;
  t["ReduceProd"] = importReduceProd; t["ReduceL1"] = importReduceL1;
  t["ReduceL2"] = importReduceL2; t["ReduceLogSum"] = importReduceLogSum;
  t["ReduceLogSumExp"] = importReduceLogSumExp;
  t["ReduceSumSquare"] = importReduceSumSquare;
  t["ArgMax"] = importArgMax; t["ArgMin"] = importArgMin;
  t["Softmax"] = importSoftmax; t["LogSoftmax"] = importLogSoftmax;
  t["Hardmax"] = importHardmax;
}

} // namespace lathe::onnx_import
