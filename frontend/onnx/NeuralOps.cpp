//===- NeuralOps.cpp - MatMul, Gemm and normalization ONNX ops ------------===//
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "dialects/graph/GraphOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace lathe::onnx_import {
namespace {

Value zeroFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type t) {
  return buildSplat(b, loc, shape, scalarAttr(t, 0));
}

/// [M,K] x [K,N] or [B,M,K] x [B,K,N] with matching batch.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto lt = cast<RankedTensorType>(lhs.getType());
  auto rt = cast<RankedTensorType>(rhs.getType());
  Type t = lt.getElementType();
  if (lt.getRank() == 2) {
    Value init = zeroFilled(b, loc, {lt.getDimSize(0), rt.getDimSize(1)}, t);
    return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, ValueRange{init})
        .getResult(0);
  }
  Value init = zeroFilled(
      b, loc, {lt.getDimSize(0), lt.getDimSize(1), rt.getDimSize(2)}, t);
  return linalg::BatchMatmulOp::create(b, loc, ValueRange{lhs, rhs}, ValueRange{init})
      .getResult(0);
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
  SmallVector<int64_t> out(*batch);
  if (!vecA) out.push_back(m);
  if (!vecB) out.push_back(n2);
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

} // namespace

void registerNeuralOps(NodeImportTable &t) {
  t["LayerNormalization"] = importLayerNormalization;
  t["RMSNormalization"] = importRMSNormalization;
  t["MatMul"] = importMatMul;
  t["Gemm"] = importGemm;
}

} // namespace lathe::onnx_import
