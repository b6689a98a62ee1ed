//===- ElementwiseOps.cpp - Elementwise ONNX ops --------------------------===//
//
// Unary, binary and variadic elementwise ops, comparisons, Where, Clip and
// Cast. Each maps onto one broadcasting linalg.generic whose body is the
// scalar formula; f16/bf16 math runs in f32.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace lathe::onnx_import {
namespace {

using ScalarFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

Value cst(OpBuilder &b, Location loc, Type t, double v) {
  return scalarConstant(b, loc, t, v);
}

/// Runs `fn` on f32 copies of f16/bf16 operands and narrows the result.
Value inF32(OpBuilder &b, Location loc, ValueRange args, const ScalarFn &fn) {
  Type t = args[0].getType();
  if (!t.isF16() && !t.isBF16())
    return fn(b, loc, args);
  SmallVector<Value> wide;
  for (Value a : args)
    wide.push_back(a.getType() == t ? arith::ExtFOp::create(b, loc, b.getF32Type(), a) : a);
  Value r = fn(b, loc, wide);
  return r.getType().isF32() ? arith::TruncFOp::create(b, loc, t, r).getResult() : r;
}

bool inputsAreFloat(NodeImporter &n) { return isFloatDtype(n.inputDtype(0)); }

/// Unary float op whose formula is `fn`.
LogicalResult floatUnary(NodeImporter &n, const ScalarFn &fn) {
  if (failed(n.expectInputs(1)))
    return failure();
  if (!inputsAreFloat(n))
    return n.unsupported("input type for a float-only op");
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.inputType(0).getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange a) { return inF32(b, loc, a, fn); });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

/// Binary op with one formula for floats and one for integers (either may be
/// null when the op does not accept that kind).
LogicalResult binary(NodeImporter &n, const ScalarFn &floatFn,
                     const ScalarFn &intFn, bool boolResult = false) {
  if (failed(n.expectInputs(2)))
    return failure();
  if (failed(broadcastShapes(n.inputShape(0), n.inputShape(1))))
    return n.fail("input shapes cannot be broadcast together");
  bool isFloat = inputsAreFloat(n);
  const ScalarFn &fn = isFloat ? floatFn : intFn;
  if (!fn)
    return n.unsupported(Twine("input type ") + dtypeName(n.inputDtype(0)));
  Type element = boolResult ? n.b.getI1Type() : n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, {n.input(0), n.input(1)}, element,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        return isFloat ? inF32(b, loc, a, fn) : fn(b, loc, a);
      });
  n.setOutput(0, out, boolResult ? onnx::TensorProto::BOOL : n.inputDtype(0));
  return success();
}

/// Variadic Max/Min/Sum/Mean: folds inputs pairwise.
LogicalResult variadic(NodeImporter &n, const ScalarFn &floatFn,
                       const ScalarFn &intFn, bool mean = false) {
  if (n.numInputs() == 0 || !n.hasInput(0))
    return n.fail("expects at least one input");
  bool isFloat = inputsAreFloat(n);
  const ScalarFn &fn = isFloat ? floatFn : intFn;
  if (!fn)
    return n.unsupported(Twine("input type ") + dtypeName(n.inputDtype(0)));
  SmallVector<Value> ins;
  SmallVector<int64_t> shape;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    auto s = broadcastShapes(shape, n.inputShape(i));
    if (failed(s))
      return n.fail("input shapes cannot be broadcast together");
    shape = *s;
    ins.push_back(n.input(i));
  }
  Type element = n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, ins, element, [&](OpBuilder &b, Location loc, ValueRange a) {
        Value acc = a[0];
        for (Value v : a.drop_front())
          acc = fn(b, loc, {acc, v});
        if (mean)
          acc = arith::DivFOp::create(b, loc, acc, cst(b, loc, element, a.size()));
        return acc;
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

template <typename FloatOp, typename SignedOp, typename UnsignedOp = SignedOp>
LogicalResult arithBinary(NodeImporter &n) {
  bool isUnsigned = n.hasInput(0) && isUnsignedDtype(n.inputDtype(0));
  return binary(
      n,
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return FloatOp::create(b, loc, a[0], a[1]);
      },
      [isUnsigned](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isUnsigned)
          return UnsignedOp::create(b, loc, a[0], a[1]);
        return SignedOp::create(b, loc, a[0], a[1]);
      });
}

LogicalResult compare(NodeImporter &n, arith::CmpFPredicate fp,
                      arith::CmpIPredicate sp, arith::CmpIPredicate up) {
  bool isUnsigned = n.hasInput(0) && isUnsignedDtype(n.inputDtype(0));
  return binary(
      n,
      [fp](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::CmpFOp::create(b, loc, fp, a[0], a[1]);
      },
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::CmpIOp::create(b, loc, isUnsigned ? up : sp, a[0], a[1]);
      },
      /*boolResult=*/true);
}

LogicalResult importPow(NodeImporter &n) {
  if (failed(n.expectInputs(2)))
    return failure();
  bool baseFloat = isFloatDtype(n.inputDtype(0));
  bool expFloat = isFloatDtype(n.inputDtype(1));
  Type element = n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, {n.input(0), n.input(1)}, element,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (!baseFloat && !expFloat)
          return math::IPowIOp::create(b, loc, a[0], a[1]);
        Type f = b.getF64Type();
        Value x = castScalar(b, loc, a[0], f, isUnsignedDtype(n.inputDtype(0)), false);
        Value y = castScalar(b, loc, a[1], f, isUnsignedDtype(n.inputDtype(1)), false);
        Value r = math::PowFOp::create(b, loc, x, y);
        return castScalar(b, loc, r, element, false, isUnsignedDtype(n.inputDtype(0)));
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importMod(NodeImporter &n) {
  bool fmod = n.attrInt("fmod", 0) != 0;
  bool isUnsigned = n.hasInput(0) && isUnsignedDtype(n.inputDtype(0));
  if (n.hasInput(0) && inputsAreFloat(n) && !fmod)
    return n.fail("fmod must be 1 for floating-point inputs");
  return binary(
      n,
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::RemFOp::create(b, loc, a[0], a[1]);
      },
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isUnsigned)
          return arith::RemUIOp::create(b, loc, a[0], a[1]);
        Value r = arith::RemSIOp::create(b, loc, a[0], a[1]);
        if (fmod)
          return r;
        // Python-style modulo: the result takes the divisor's sign.
        Value zero = cst(b, loc, r.getType(), 0);
        Value nonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
        Value rNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
        Value dNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a[1], zero);
        Value differ = arith::XOrIOp::create(b, loc, rNeg, dNeg);
        Value fix = arith::AndIOp::create(b, loc, nonZero, differ);
        Value adjusted = arith::AddIOp::create(b, loc, r, a[1]);
        return arith::SelectOp::create(b, loc, fix, adjusted, r);
      });
}

LogicalResult importBitShift(NodeImporter &n) {
  bool left = n.attrString("direction", "") == "LEFT";
  return binary(n, nullptr, [left](OpBuilder &b, Location loc, ValueRange a) -> Value {
    if (left)
      return arith::ShLIOp::create(b, loc, a[0], a[1]);
    return arith::ShRUIOp::create(b, loc, a[0], a[1]);
  });
}

LogicalResult importWhere(NodeImporter &n) {
  if (failed(n.expectInputs(3)))
    return failure();
  auto s = broadcastShapes(n.inputShape(0), n.inputShape(1));
  if (succeeded(s))
    s = broadcastShapes(*s, n.inputShape(2));
  if (failed(s))
    return n.fail("input shapes cannot be broadcast together");
  Value out = buildElementwise(
      n.b, n.loc, {n.input(0), n.input(1), n.input(2)},
      n.inputType(1).getElementType(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
      });
  n.setOutput(0, out, n.inputDtype(1));
  return success();
}

/// Clip: min/max come from inputs (opset >= 11) or attributes.
LogicalResult importClip(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool isFloat = inputsAreFloat(n);
  bool isUnsigned = isUnsignedDtype(n.inputDtype(0));
  Type element = n.inputType(0).getElementType();
  SmallVector<Value> ins = {n.input(0)};
  int minIndex = -1, maxIndex = -1;
  if (n.opset >= 11) {
    for (unsigned i : {1u, 2u}) {
      if (!n.hasInput(i))
        continue;
      if (n.inputType(i).getNumElements() != 1)
        return n.fail("min and max must be scalars");
      (i == 1 ? minIndex : maxIndex) = ins.size();
      ins.push_back(buildReshape(n.b, n.loc, n.input(i), {}));
    }
  }
  bool attrMin = n.opset < 11 && n.hasAttr("min");
  bool attrMax = n.opset < 11 && n.hasAttr("max");
  float minValue = n.attrFloat("min", 0), maxValue = n.attrFloat("max", 0);
  Value out = buildElementwise(
      n.b, n.loc, ins, element,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value v = a[0];
        auto clampTo = [&](Value bound, bool isMin) -> Value {
          if (isFloat) {
            Value cmp = arith::CmpFOp::create(
                b, loc, isMin ? arith::CmpFPredicate::OLT : arith::CmpFPredicate::OGT,
                v, bound);
            return arith::SelectOp::create(b, loc, cmp, bound, v);
          }
          arith::CmpIPredicate p =
              isMin ? (isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)
                    : (isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt);
          Value cmp = arith::CmpIOp::create(b, loc, p, v, bound);
          return arith::SelectOp::create(b, loc, cmp, bound, v);
        };
        if (minIndex >= 0) v = clampTo(a[minIndex], true);
        if (attrMin) v = clampTo(cst(b, loc, element, minValue), true);
        if (maxIndex >= 0) v = clampTo(a[maxIndex], false);
        if (attrMax) v = clampTo(cst(b, loc, element, maxValue), false);
        return v;
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult castTo(NodeImporter &n, OnnxDtype to) {
  if (failed(n.expectInputs(1)))
    return failure();
  Type element = elementTypeFor(n.b.getContext(), to);
  if (!element)
    return n.unsupported("cast target type " + Twine(to));
  OnnxDtype from = n.inputDtype(0);
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), element,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        return castScalar(b, loc, a[0], element, isUnsignedDtype(from),
                          isUnsignedDtype(to));
      });
  n.setOutput(0, out, to);
  return success();
}

LogicalResult importCast(NodeImporter &n) {
  if (!n.hasAttr("to"))
    return n.fail("missing attribute 'to'");
  return castTo(n, n.attrInt("to", 0));
}

LogicalResult importCastLike(NodeImporter &n) {
  if (failed(n.expectInputs(2)))
    return failure();
  return castTo(n, n.inputDtype(1));
}

LogicalResult importIdentity(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  n.setOutput(0, n.input(0), n.inputDtype(0));
  return success();
}

LogicalResult importNot(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.inputType(0).getElementType(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::XOrIOp::create(b, loc, a[0], cst(b, loc, a[0].getType(), -1));
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importAbs(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool isFloat = inputsAreFloat(n), isUnsigned = isUnsignedDtype(n.inputDtype(0));
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.inputType(0).getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isFloat) return math::AbsFOp::create(b, loc, a[0]);
        if (isUnsigned) return a[0];
        return math::AbsIOp::create(b, loc, a[0]);
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importNeg(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool isFloat = inputsAreFloat(n);
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.inputType(0).getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isFloat) return arith::NegFOp::create(b, loc, a[0]);
        return arith::SubIOp::create(b, loc, cst(b, loc, a[0].getType(), 0), a[0]);
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importSign(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool isFloat = inputsAreFloat(n);
  Type t = n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), t, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = cst(b, loc, t, 0), one = cst(b, loc, t, 1), minus = cst(b, loc, t, -1);
        Value pos, neg;
        if (isFloat) {
          pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a[0], zero);
          neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a[0], zero);
        } else {
          pos = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, a[0], zero);
          neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a[0], zero);
        }
        Value r = arith::SelectOp::create(b, loc, neg, minus, zero);
        return arith::SelectOp::create(b, loc, pos, one, r);
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importRelu(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool isFloat = inputsAreFloat(n);
  Type t = n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), t, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = cst(b, loc, t, 0);
        if (isFloat) return arith::MaximumFOp::create(b, loc, a[0], zero);
        return arith::MaxSIOp::create(b, loc, a[0], zero);
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importIsNaN(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.b.getI1Type(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);
      });
  n.setOutput(0, out, onnx::TensorProto::BOOL);
  return success();
}

LogicalResult importIsInf(NodeImporter &n) {
  if (failed(n.expectInputs(1)))
    return failure();
  bool detectPos = n.attrInt("detect_positive", 1), detectNeg = n.attrInt("detect_negative", 1);
  Type t = n.inputType(0).getElementType();
  Value out = buildElementwise(
      n.b, n.loc, n.input(0), n.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value inf = cst(b, loc, t, INFINITY), ninf = cst(b, loc, t, -INFINITY);
        Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0], inf);
        Value isNeg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a[0], ninf);
        Value f = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
        Value r = detectPos ? isPos : f;
        if (detectNeg) r = arith::OrIOp::create(b, loc, r, isNeg);
        return r;
      });
  n.setOutput(0, out, onnx::TensorProto::BOOL);
  return success();
}

/// A float unary formula that needs an attribute: registered through a
/// lambda that captures nothing and reads the node.
#define FLOAT_UNARY(NAME, ...)                                                \
  LogicalResult import##NAME(NodeImporter &n) {                               \
    return floatUnary(n, [&](OpBuilder &b, Location loc, ValueRange a) -> Value { \
      Value x = a[0];                                                          \
      Type t = x.getType();                                                    \
      (void)t;                                                                 \
      __VA_ARGS__                                                              \
    });                                                                        \
  }

#define MATH_UNARY(NAME, OP)                                                   \
  FLOAT_UNARY(NAME, return OP::create(b, loc, x);)

MATH_UNARY(Exp, math::ExpOp)
MATH_UNARY(Log, math::LogOp)
MATH_UNARY(Sqrt, math::SqrtOp)
MATH_UNARY(Tanh, math::TanhOp)
MATH_UNARY(Erf, math::ErfOp)
MATH_UNARY(Ceil, math::CeilOp)
MATH_UNARY(Floor, math::FloorOp)
MATH_UNARY(Round, math::RoundEvenOp)
MATH_UNARY(Sin, math::SinOp)
MATH_UNARY(Cos, math::CosOp)
MATH_UNARY(Tan, math::TanOp)
MATH_UNARY(Asin, math::AsinOp)
MATH_UNARY(Acos, math::AcosOp)
MATH_UNARY(Atan, math::AtanOp)
MATH_UNARY(Sinh, math::SinhOp)
MATH_UNARY(Cosh, math::CoshOp)
MATH_UNARY(Asinh, math::AsinhOp)
MATH_UNARY(Acosh, math::AcoshOp)
MATH_UNARY(Atanh, math::AtanhOp)

FLOAT_UNARY(Reciprocal, return arith::DivFOp::create(b, loc, cst(b, loc, t, 1), x);)
FLOAT_UNARY(Sigmoid, {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value d = arith::AddFOp::create(b, loc, cst(b, loc, t, 1), e);
  return arith::DivFOp::create(b, loc, cst(b, loc, t, 1), d);
})
FLOAT_UNARY(Softplus, {
  return math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, x));
})
FLOAT_UNARY(Softsign, {
  Value d = arith::AddFOp::create(b, loc, cst(b, loc, t, 1), math::AbsFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, x, d);
})
FLOAT_UNARY(LeakyRelu, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 0.01f));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, t, 0));
  return arith::SelectOp::create(b, loc, neg, arith::MulFOp::create(b, loc, alpha, x), x);
})
FLOAT_UNARY(ThresholdedRelu, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 1.0f));
  Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, alpha);
  return arith::SelectOp::create(b, loc, gt, x, cst(b, loc, t, 0));
})
FLOAT_UNARY(Elu, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 1.0f));
  Value em1 = math::ExpM1Op::create(b, loc, x);
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, t, 0));
  return arith::SelectOp::create(b, loc, neg, arith::MulFOp::create(b, loc, alpha, em1), x);
})
FLOAT_UNARY(Celu, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 1.0f));
  Value em1 = math::ExpM1Op::create(b, loc, arith::DivFOp::create(b, loc, x, alpha));
  Value negPart = arith::MinimumFOp::create(b, loc, cst(b, loc, t, 0),
                                            arith::MulFOp::create(b, loc, alpha, em1));
  Value posPart = arith::MaximumFOp::create(b, loc, cst(b, loc, t, 0), x);
  return arith::AddFOp::create(b, loc, posPart, negPart);
})
FLOAT_UNARY(Selu, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 1.67326319217681884765625f));
  Value gamma = cst(b, loc, t, n.attrFloat("gamma", 1.05070102214813232421875f));
  Value em1 = arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x), cst(b, loc, t, 1));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x, cst(b, loc, t, 0));
  Value v = arith::SelectOp::create(b, loc, neg, arith::MulFOp::create(b, loc, alpha, em1), x);
  return arith::MulFOp::create(b, loc, gamma, v);
})
FLOAT_UNARY(HardSigmoid, {
  Value alpha = cst(b, loc, t, n.attrFloat("alpha", 0.2f));
  Value beta = cst(b, loc, t, n.attrFloat("beta", 0.5f));
  Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, alpha, x), beta);
  v = arith::MaximumFOp::create(b, loc, v, cst(b, loc, t, 0));
  return arith::MinimumFOp::create(b, loc, v, cst(b, loc, t, 1));
})
FLOAT_UNARY(HardSwish, {
  Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, cst(b, loc, t, 1.0 / 6), x),
                                  cst(b, loc, t, 0.5));
  v = arith::MaximumFOp::create(b, loc, v, cst(b, loc, t, 0));
  v = arith::MinimumFOp::create(b, loc, v, cst(b, loc, t, 1));
  return arith::MulFOp::create(b, loc, x, v);
})
FLOAT_UNARY(Mish, {
  Value sp = math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, x));
  return arith::MulFOp::create(b, loc, x, math::TanhOp::create(b, loc, sp));
})
FLOAT_UNARY(Shrink, {
  Value lambd = cst(b, loc, t, n.attrFloat("lambd", 0.5f));
  Value bias = cst(b, loc, t, n.attrFloat("bias", 0.0f));
  Value nl = arith::NegFOp::create(b, loc, lambd);
  Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, nl);
  Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, lambd);
  Value r = arith::SelectOp::create(b, loc, gt, arith::SubFOp::create(b, loc, x, bias),
                                    cst(b, loc, t, 0));
  return arith::SelectOp::create(b, loc, lt, arith::AddFOp::create(b, loc, x, bias), r);
})
FLOAT_UNARY(Gelu, {
  Value half = cst(b, loc, t, 0.5), one = cst(b, loc, t, 1);
  Value inner;
  if (n.attrString("approximate", "none") == "tanh") {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value s = arith::AddFOp::create(b, loc, x,
                                    arith::MulFOp::create(b, loc, cst(b, loc, t, 0.044715), x3));
    s = arith::MulFOp::create(b, loc, cst(b, loc, t, 0.7978845608028654), s);
    inner = math::TanhOp::create(b, loc, s);
  } else {
    inner = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, t, 0.7071067811865476)));
  }
  Value v = arith::AddFOp::create(b, loc, one, inner);
  return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x), v);
})

LogicalResult importPRelu(NodeImporter &n) {
  return binary(n, [](OpBuilder &b, Location loc, ValueRange a) -> Value {
    Value zero = cst(b, loc, a[0].getType(), 0);
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a[0], zero);
    return arith::SelectOp::create(b, loc, neg, arith::MulFOp::create(b, loc, a[0], a[1]), a[0]);
  }, nullptr);
}

ScalarFn floatMax = [](OpBuilder &b, Location loc, ValueRange a) -> Value {
  return arith::MaximumFOp::create(b, loc, a[0], a[1]);
};
ScalarFn floatMin = [](OpBuilder &b, Location loc, ValueRange a) -> Value {
  return arith::MinimumFOp::create(b, loc, a[0], a[1]);
};

LogicalResult importMax(NodeImporter &n) {
  bool u = n.hasInput(0) && isUnsignedDtype(n.inputDtype(0));
  return variadic(n, floatMax, [u](OpBuilder &b, Location loc, ValueRange a) -> Value {
    if (u) return arith::MaxUIOp::create(b, loc, a[0], a[1]);
    return arith::MaxSIOp::create(b, loc, a[0], a[1]);
  });
}
LogicalResult importMin(NodeImporter &n) {
  bool u = n.hasInput(0) && isUnsignedDtype(n.inputDtype(0));
  return variadic(n, floatMin, [u](OpBuilder &b, Location loc, ValueRange a) -> Value {
    if (u) return arith::MinUIOp::create(b, loc, a[0], a[1]);
    return arith::MinSIOp::create(b, loc, a[0], a[1]);
  });
}
LogicalResult importSum(NodeImporter &n) {
  return variadic(
      n, [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::AddFOp::create(b, loc, a[0], a[1]);
      },
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::AddIOp::create(b, loc, a[0], a[1]);
      });
}
LogicalResult importMean(NodeImporter &n) {
  return variadic(
      n, [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::AddFOp::create(b, loc, a[0], a[1]);
      },
      nullptr, /*mean=*/true);
}

LogicalResult importAdd(NodeImporter &n) { return arithBinary<arith::AddFOp, arith::AddIOp>(n); }
LogicalResult importSub(NodeImporter &n) { return arithBinary<arith::SubFOp, arith::SubIOp>(n); }
LogicalResult importMul(NodeImporter &n) { return arithBinary<arith::MulFOp, arith::MulIOp>(n); }
LogicalResult importDiv(NodeImporter &n) {
  return arithBinary<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>(n);
}
LogicalResult importAnd(NodeImporter &n) { return arithBinary<arith::AndIOp, arith::AndIOp>(n); }
LogicalResult importOr(NodeImporter &n) { return arithBinary<arith::OrIOp, arith::OrIOp>(n); }
LogicalResult importXor(NodeImporter &n) { return arithBinary<arith::XOrIOp, arith::XOrIOp>(n); }

LogicalResult importEqual(NodeImporter &n) {
  return compare(n, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq, arith::CmpIPredicate::eq);
}
LogicalResult importLess(NodeImporter &n) {
  return compare(n, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt, arith::CmpIPredicate::ult);
}
LogicalResult importLessOrEqual(NodeImporter &n) {
  return compare(n, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle, arith::CmpIPredicate::ule);
}
LogicalResult importGreater(NodeImporter &n) {
  return compare(n, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt);
}
LogicalResult importGreaterOrEqual(NodeImporter &n) {
  return compare(n, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge, arith::CmpIPredicate::uge);
}

} // namespace

void registerElementwiseOps(NodeImportTable &t) {
  t["Add"] = importAdd; t["Sub"] = importSub; t["Mul"] = importMul;
  t["Div"] = importDiv; t["Pow"] = importPow; t["Mod"] = importMod;
  t["And"] = importAnd; t["Or"] = importOr; t["Xor"] = importXor;
  t["BitwiseAnd"] = importAnd; t["BitwiseOr"] = importOr;
  t["BitwiseXor"] = importXor; t["BitwiseNot"] = importNot; t["Not"] = importNot;
  t["BitShift"] = importBitShift;
  t["Equal"] = importEqual; t["Less"] = importLess;
  t["LessOrEqual"] = importLessOrEqual; t["Greater"] = importGreater;
  t["GreaterOrEqual"] = importGreaterOrEqual;
  t["Max"] = importMax; t["Min"] = importMin; t["Sum"] = importSum;
  t["Mean"] = importMean; t["Where"] = importWhere; t["Clip"] = importClip;
  t["Cast"] = importCast; t["CastLike"] = importCastLike;
  t["Identity"] = importIdentity; t["Abs"] = importAbs; t["Neg"] = importNeg;
  t["Sign"] = importSign; t["Relu"] = importRelu; t["IsNaN"] = importIsNaN;
  t["IsInf"] = importIsInf; t["PRelu"] = importPRelu;
  t["Exp"] = importExp; t["Log"] = importLog; t["Sqrt"] = importSqrt;
  t["Tanh"] = importTanh; t["Erf"] = importErf; t["Ceil"] = importCeil;
  t["Floor"] = importFloor; t["Round"] = importRound; t["Sin"] = importSin;
  t["Cos"] = importCos; t["Tan"] = importTan; t["Asin"] = importAsin;
  t["Acos"] = importAcos; t["Atan"] = importAtan; t["Sinh"] = importSinh;
  t["Cosh"] = importCosh; t["Asinh"] = importAsinh; t["Acosh"] = importAcosh;
  t["Atanh"] = importAtanh; t["Reciprocal"] = importReciprocal;
  t["Sigmoid"] = importSigmoid; t["Softplus"] = importSoftplus;
  t["Softsign"] = importSoftsign; t["LeakyRelu"] = importLeakyRelu;
  t["ThresholdedRelu"] = importThresholdedRelu; t["Elu"] = importElu;
  t["Celu"] = importCelu; t["Selu"] = importSelu;
  t["HardSigmoid"] = importHardSigmoid; t["HardSwish"] = importHardSwish;
  t["Mish"] = importMish; t["Shrink"] = importShrink; t["Gelu"] = importGelu;
}

} // namespace lathe::onnx_import
