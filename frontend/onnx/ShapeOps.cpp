//===- ShapeOps.cpp - Layout, indexing and constant ONNX ops --------------===//
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace lathe::onnx_import {
namespace {

Value constantI64(OpBuilder &b, Location loc, ArrayRef<int64_t> values,
                  bool scalar = false) {
  SmallVector<int64_t> shape;
  if (!scalar)
    shape.push_back(values.size());
  auto type = RankedTensorType::get(shape, b.getI64Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
}

LogicalResult importReshape(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  auto shape = n.constantInts(1, "shape input");
  if (failed(shape))
    return failure();
  bool allowZero = n.attrInt("allowzero", 0) != 0;
  ArrayRef<int64_t> in = n.inputShape(0);
  SmallVector<int64_t> out(*shape);
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(out)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.fail("shape copies dimension " + Twine(i) + " that the input lacks");
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.fail("shape has more than one -1");
      inferred = i;
      continue;
    }
    if (d < 0)
      return n.fail("shape has a negative dimension");
    if (llvm::MulOverflow(known, d, known))
      return n.fail("shape has more elements than can be counted");
  }
  int64_t total = n.inputType(0).getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return n.fail("cannot infer the -1 dimension");
    out[inferred] = total / known;
  } else if (known != total) {
    return n.fail("shape has " + Twine(known) + " elements, the input " + Twine(total));
  }
  n.setOutput(0, buildReshape(n.b, n.loc, n.input(0), out), n.inputDtype(0));
  return success();
}

LogicalResult importFlatten(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  int64_t rank = n.inputRank(0);
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= n.inputShape(0)[d];
  n.setOutput(0, buildReshape(n.b, n.loc, n.input(0), {outer, inner}), n.inputDtype(0));
  return success();
}

FailureOr<SmallVector<int64_t>> axesOf(NodeImporter &n, int64_t since, int64_t rank) {
  SmallVector<int64_t> axes;
  if (n.opset >= since) {
    if (n.hasInput(1)) {
      auto v = n.constantInts(1, "axes input");
      if (failed(v)) return failure();
      axes = *v;
    }
  } else {
    axes = n.attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  for (int64_t &a : axes) {
    auto norm = n.normalizeAxis(a, rank);
    if (failed(norm)) return failure();
    a = *norm;
  }
  return axes;
}

LogicalResult importSqueeze(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  auto axes = axesOf(n, 13, in.size());
  if (failed(axes)) return failure();
  SmallVector<int64_t> out;
  for (auto [d, extent] : llvm::enumerate(in)) {
    bool listed = llvm::is_contained(*axes, (int64_t)d);
    if (listed && extent != 1)
      return n.fail("cannot squeeze dimension " + Twine(d) + " of size " + Twine(extent));
    if (listed || (axes->empty() && extent == 1))
      continue;
    out.push_back(extent);
  }
  n.setOutput(0, buildReshape(n.b, n.loc, n.input(0), out), n.inputDtype(0));
  return success();
}

LogicalResult importUnsqueeze(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  int64_t outRank = in.size();
  SmallVector<int64_t> raw;
  if (n.opset >= 13) {
    auto v = n.constantInts(1, "axes input");
    if (failed(v)) return failure();
    raw = *v;
  } else {
    raw = n.attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  outRank += raw.size();
  SmallVector<int64_t> axes;
  for (int64_t a : raw) {
    auto norm = n.normalizeAxis(a, outRank);
    if (failed(norm)) return failure();
    if (llvm::is_contained(axes, *norm))
      return n.fail("axes name dimension " + Twine(*norm) + " twice");
    axes.push_back(*norm);
  }
  SmallVector<int64_t> out;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    out.push_back(llvm::is_contained(axes, d) ? 1 : in[next++]);
  n.setOutput(0, buildReshape(n.b, n.loc, n.input(0), out), n.inputDtype(0));
  return success();
}

LogicalResult importTranspose(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  int64_t rank = n.inputRank(0);
  SmallVector<int64_t> perm;
  if (auto p = n.attrInts("perm")) {
    perm = *p;
  } else {
    for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  bool isPermutation = (int64_t)sorted.size() == rank;
  for (int64_t d = 0; isPermutation && d < rank; ++d)
    isPermutation = sorted[d] == d;
  if (!isPermutation)
    return n.fail("perm is not a permutation of the input's dimensions");
  if (rank == 0) { // A scalar is its own transpose.
    n.setOutput(0, n.input(0), n.inputDtype(0));
    return success();
  }
  n.setOutput(0, buildTranspose(n.b, n.loc, n.input(0), perm), n.inputDtype(0));
  return success();
}

LogicalResult importConcat(NodeImporter &n) {
  if (n.numInputs() == 0 || failed(n.expectInputs(n.numInputs())) ||
      failed(n.expectNonScalar(0, "input #0")))
    return failure();
  int64_t rank = n.inputRank(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis)) return failure();
  SmallVector<int64_t> out(n.inputShape(0));
  out[*axis] = 0;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    if (n.inputRank(i) != rank) return n.fail("inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && n.inputShape(i)[d] != out[d])
        return n.fail("inputs differ in dimension " + Twine(d));
    out[*axis] += n.inputShape(i)[*axis];
  }
  Value acc = tensor::EmptyOp::create(n.b, n.loc, out, n.inputType(0).getElementType());
  int64_t offset = 0;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    SmallVector<OpFoldResult> offsets(rank, n.b.getIndexAttr(0)), sizes, strides(rank, n.b.getIndexAttr(1));
    offsets[*axis] = n.b.getIndexAttr(offset);
    for (int64_t e : n.inputShape(i)) sizes.push_back(n.b.getIndexAttr(e));
    acc = tensor::InsertSliceOp::create(n.b, n.loc, n.input(i), acc, offsets, sizes, strides);
    offset += n.inputShape(i)[*axis];
  }
  n.setOutput(0, acc, n.inputDtype(0));
  return success();
}

LogicalResult importSlice(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  int64_t rank = in.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (n.opset >= 10) {
    auto s = n.constantInts(1, "starts input"), e = n.constantInts(2, "ends input");
    if (failed(s) || failed(e)) return failure();
    starts = *s; ends = *e;
    if (n.hasInput(3)) { auto a = n.constantInts(3, "axes input"); if (failed(a)) return failure(); axes = *a; }
    if (n.hasInput(4)) { auto st = n.constantInts(4, "steps input"); if (failed(st)) return failure(); steps = *st; }
  } else {
    starts = n.attrInts("starts").value_or(SmallVector<int64_t>{});
    ends = n.attrInts("ends").value_or(SmallVector<int64_t>{});
    axes = n.attrInts("axes").value_or(SmallVector<int64_t>{});
  }
  if (starts.size() != ends.size()) return n.fail("starts and ends differ in length");
  if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return n.fail("starts, ends, axes and steps differ in length");
  SmallVector<int64_t> offset(rank, 0), size(in), stride(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = n.normalizeAxis(axes[i], rank);
    if (failed(axis)) return failure();
    int64_t dim = in[*axis], step = steps[i];
    if (step == 0) return n.fail("step 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    // |step| as unsigned: -INT64_MIN does not fit an int64_t.
    uint64_t absStep = step > 0 ? uint64_t(step) : 0 - uint64_t(step);
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size[*axis] = e > s ? 1 + uint64_t(e - s - 1) / absStep : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size[*axis] = s > e ? 1 + uint64_t(s - e - 1) / absStep : 0;
    }
    offset[*axis] = s;
    stride[*axis] = step;
  }
  for (int64_t extent : size)
    if (extent == 0) return n.unsupported("slice with an empty result");
  // out[i] = in[offset + i * stride] along every dimension.
  Type t = n.inputType(0).getElementType();
  Value input = n.input(0);
  Value init = tensor::EmptyOp::create(n.b, n.loc, size, t);
  MLIRContext *ctx = n.b.getContext();
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx)}, iters,
      [&](OpBuilder &b, Location loc, ValueRange) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(b, loc, d);
          Value scaled = arith::MulIOp::create(b, loc, i, arith::ConstantIndexOp::create(b, loc, stride[d]));
          idx.push_back(arith::AddIOp::create(b, loc, scaled, arith::ConstantIndexOp::create(b, loc, offset[d])));
        }
        linalg::YieldOp::create(b, loc, tensor::ExtractOp::create(b, loc, input, idx).getResult());
      });
  n.setOutput(0, generic.getResult(0), n.inputDtype(0));
  return success();
}

LogicalResult importGather(NodeImporter &n) {
  if (failed(n.expectInputs(2)) || failed(n.expectNonScalar(0, "data")))
    return failure();
  ArrayRef<int64_t> data = n.inputShape(0), indices = n.inputShape(1);
  int64_t rank = data.size(), q = indices.size();
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis)) return failure();
  if (isFloatDtype(n.inputDtype(1))) return n.fail("indices must be integers");
  SmallVector<int64_t> out(data.begin(), data.begin() + *axis);
  out.append(indices.begin(), indices.end());
  out.append(data.begin() + *axis + 1, data.end());
  int64_t outRank = out.size();
  MLIRContext *ctx = n.b.getContext();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t k = 0; k < q; ++k) idxExprs.push_back(getAffineDimExpr(*axis + k, ctx));
  Value dataV = n.input(0);
  int64_t ax = *axis;
  Value init = tensor::EmptyOp::create(n.b, n.loc, out, n.inputType(0).getElementType());
  SmallVector<utils::IteratorType> iters(outRank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{n.input(1)}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(outRank, 0, idxExprs, ctx),
                          AffineMap::getMultiDimIdentityMap(outRank, ctx)},
      iters, [&](OpBuilder &b, Location loc, ValueRange a) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < ax; ++d) idx.push_back(linalg::IndexOp::create(b, loc, d));
        idx.push_back(normalizeIndex(b, loc, a[0], data[ax]));
        for (int64_t d = ax + 1; d < rank; ++d)
          idx.push_back(linalg::IndexOp::create(b, loc, d - 1 + q));
        linalg::YieldOp::create(b, loc, tensor::ExtractOp::create(b, loc, dataV, idx).getResult());
      });
  n.setOutput(0, generic.getResult(0), n.inputDtype(0));
  return success();
}

LogicalResult importGatherElements(NodeImporter &n) {
  if (failed(n.expectInputs(2)) || failed(n.expectNonScalar(0, "data")))
    return failure();
  ArrayRef<int64_t> data = n.inputShape(0), indices = n.inputShape(1);
  int64_t rank = data.size();
  if ((int64_t)indices.size() != rank) return n.fail("indices rank differs from data rank");
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis)) return failure();
  int64_t ax = *axis;
  Value dataV = n.input(0);
  Value out = buildElementwise(
      n.b, n.loc, n.input(1), n.inputType(0).getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d)
          idx.push_back(d == ax ? normalizeIndex(b, loc, a[0], data[ax])
                                : linalg::IndexOp::create(b, loc, d).getResult());
        return tensor::ExtractOp::create(b, loc, dataV, idx);
      });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importExpand(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  auto shape = n.constantInts(1, "shape input");
  if (failed(shape)) return failure();
  auto out = broadcastShapes(n.inputShape(0), *shape);
  if (failed(out)) return n.fail("shape is not broadcast-compatible with the input");
  n.setOutput(0, buildBroadcastTo(n.b, n.loc, n.input(0), *out), n.inputDtype(0));
  return success();
}

LogicalResult importShape(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  int64_t rank = in.size();
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  SmallVector<int64_t> dims(in.begin() + start, in.begin() + std::max(start, end));
  n.setOutput(0, constantI64(n.b, n.loc, dims), onnx::TensorProto::INT64);
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  n.setOutput(0, constantI64(n.b, n.loc, {n.inputType(0).getNumElements()}, true),
              onnx::TensorProto::INT64);
  return success();
}

LogicalResult importConstant(NodeImporter &n) {
  auto error = [&](const Twine &m) { return n.fail(m); };
  if (const onnx::AttributeProto *a = n.attr("value")) {
    auto attr = convertTensorProto(a->t(), n.b.getContext(), n.getModelPath(), error);
    if (failed(attr)) return failure();
    n.setOutput(0, arith::ConstantOp::create(n.b, n.loc, *attr), a->t().data_type());
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_float")) {
    auto type = RankedTensorType::get({}, n.b.getF32Type());
    n.setOutput(0, arith::ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, a->f())),
                onnx::TensorProto::FLOAT);
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    auto type = RankedTensorType::get({(int64_t)v.size()}, n.b.getF32Type());
    n.setOutput(0, arith::ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, ArrayRef<float>(v))),
                onnx::TensorProto::FLOAT);
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_int")) {
    n.setOutput(0, constantI64(n.b, n.loc, {a->i()}, true), onnx::TensorProto::INT64);
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    n.setOutput(0, constantI64(n.b, n.loc, v), onnx::TensorProto::INT64);
    return success();
  }
  return n.unsupported("Constant attribute (only value, value_float(s), value_int(s))");
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  auto shape = n.constantInts(0, "shape input");
  if (failed(shape)) return failure();
  for (int64_t d : *shape)
    if (d <= 0) return n.unsupported("empty or negative shape");
  OnnxDtype dtype = onnx::TensorProto::FLOAT;
  TypedAttr value = n.b.getF32FloatAttr(0);
  if (const onnx::AttributeProto *a = n.attr("value")) {
    auto attr = convertTensorProto(a->t(), n.b.getContext(), n.getModelPath(),
                                   [&](const Twine &m) { return n.fail(m); });
    if (failed(attr)) return failure();
    if (attr->getNumElements() != 1) return n.fail("value must have one element");
    dtype = a->t().data_type();
    value = cast<TypedAttr>(*attr->value_begin<Attribute>());
  }
  n.setOutput(0, buildSplat(n.b, n.loc, *shape, value), dtype);
  return success();
}

LogicalResult importSplit(NodeImporter &n) {
  if (failed(n.expectInputs(1)) || failed(n.expectNonScalar(0, "input")))
    return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  auto axis = n.normalizeAxis(n.attrInt("axis", 0), in.size());
  if (failed(axis)) return failure();
  int64_t dim = in[*axis];
  unsigned outputs = n.numOutputs();
  SmallVector<int64_t> sizes;
  if (n.opset >= 13 && n.hasInput(1)) {
    auto s = n.constantInts(1, "split input");
    if (failed(s)) return failure();
    sizes = *s;
  } else if (auto s = n.attrInts("split")) {
    sizes = *s;
  } else {
    int64_t chunk = (dim + outputs - 1) / outputs;
    for (unsigned i = 0; i < outputs; ++i)
      sizes.push_back(std::min<int64_t>(chunk, dim - chunk * i));
  }
  if (sizes.size() != outputs) return n.fail("split sizes do not match the number of outputs");
  int64_t offset = 0;
  for (unsigned i = 0; i < outputs; ++i) {
    if (sizes[i] <= 0) return n.unsupported("empty split");
    SmallVector<OpFoldResult> offs(in.size(), n.b.getIndexAttr(0)), szs, strides(in.size(), n.b.getIndexAttr(1));
    for (int64_t e : in) szs.push_back(n.b.getIndexAttr(e));
    offs[*axis] = n.b.getIndexAttr(offset);
    szs[*axis] = n.b.getIndexAttr(sizes[i]);
    offset += sizes[i];
    if (offset > dim) return n.fail("split sizes exceed the dimension");
    Value part = tensor::ExtractSliceOp::create(n.b, n.loc, n.input(0), offs, szs, strides);
    n.setOutput(i, part, n.inputDtype(0));
  }
  return success();
}

LogicalResult importTrilu(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  int64_t rank = n.inputRank(0);
  if (rank < 2) return n.fail("input rank must be at least 2");
  int64_t k = 0;
  if (n.hasInput(1)) {
    auto v = n.constantInts(1, "k input");
    if (failed(v)) return failure();
    if (v->size() != 1) return n.fail("k must hold one value");
    k = (*v)[0];
  }
  bool upper = n.attrInt("upper", 1) != 0;
  Type t = n.inputType(0).getElementType();
  Value out = buildElementwise(n.b, n.loc, n.input(0), t,
                               [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
    Value i = linalg::IndexOp::create(b, loc, rank - 2);
    Value j = linalg::IndexOp::create(b, loc, rank - 1);
    Value diff = arith::SubIOp::create(b, loc, j, i);
    Value kk = arith::ConstantIndexOp::create(b, loc, k);
    Value keep = arith::CmpIOp::create(b, loc, upper ? arith::CmpIPredicate::sge
                                                     : arith::CmpIPredicate::sle, diff, kk);
    return arith::SelectOp::create(b, loc, keep, a[0], scalarConstant(b, loc, t, 0));
  });
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

LogicalResult importTile(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  auto repeats = n.constantInts(1, "repeats input");
  if (failed(repeats)) return failure();
  ArrayRef<int64_t> in = n.inputShape(0);
  if (repeats->size() != in.size()) return n.fail("repeats length differs from input rank");
  SmallVector<int64_t> out;
  for (auto [d, r] : llvm::zip(in, *repeats)) {
    if (r <= 0) return n.unsupported("non-positive repeats");
    int64_t extent;
    if (llvm::MulOverflow(d, r, extent))
      return n.fail("repeats make a dimension too large");
    out.push_back(extent);
  }
  Value input = n.input(0);
  int64_t rank = in.size();
  Value init = tensor::EmptyOp::create(n.b, n.loc, out, n.inputType(0).getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, n.b.getContext())}, iters,
      [&](OpBuilder &b, Location loc, ValueRange) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d)
          idx.push_back(arith::RemUIOp::create(b, loc, linalg::IndexOp::create(b, loc, d),
                                               arith::ConstantIndexOp::create(b, loc, in[d])));
        linalg::YieldOp::create(b, loc, tensor::ExtractOp::create(b, loc, input, idx).getResult());
      });
  n.setOutput(0, generic.getResult(0), n.inputDtype(0));
  return success();
}

LogicalResult importDropout(NodeImporter &n) {
  if (failed(n.expectInputs(1))) return failure();
  // Inference: the identity, with an all-true mask.
  if (n.hasInput(2)) {
    DenseElementsAttr training = n.constantInput(2);
    if (!training || training.getSplatValue<bool>())
      return n.unsupported("Dropout in training mode");
  }
  n.setOutput(0, n.input(0), n.inputDtype(0));
  if (n.wantsOutput(1))
    n.setOutput(1, buildSplat(n.b, n.loc, n.inputShape(0), n.b.getBoolAttr(true)),
                onnx::TensorProto::BOOL);
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  DenseElementsAttr start = n.constantInput(0), limit = n.constantInput(1), delta = n.constantInput(2);
  if (!start || !limit || !delta)
    return n.unsupported("Range whose start, limit and delta are not compile-time constants");
  auto get = [](DenseElementsAttr a) {
    if (isa<FloatType>(a.getElementType()))
      return (*a.value_begin<APFloat>()).convertToDouble();
    return (double)(*a.value_begin<APInt>()).getSExtValue();
  };
  double s = get(start), l = get(limit), d = get(delta);
  if (d == 0) return n.fail("delta is zero");
  double steps = std::ceil((l - s) / d);
  if (!(steps < double(int64_t(1) << 40)))
    return n.fail("Range has too many elements");
  int64_t count = std::max<int64_t>((int64_t)steps, 0);
  if (count == 0) return n.unsupported("empty Range");
  Type t = n.inputType(0).getElementType();
  bool isFloat = isa<FloatType>(t);
  Value out = buildElementwise(n.b, n.loc, ValueRange{}, t,
                               [&](OpBuilder &b, Location loc, ValueRange) -> Value {
    Value i = linalg::IndexOp::create(b, loc, 0);
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
    if (isFloat) {
      Value f = arith::SIToFPOp::create(b, loc, t, i64);
      return arith::AddFOp::create(b, loc, scalarConstant(b, loc, t, s),
                                   arith::MulFOp::create(b, loc, f, scalarConstant(b, loc, t, d)));
    }
    Value v = castScalar(b, loc, i64, t, false, false);
    return arith::AddIOp::create(b, loc, scalarConstant(b, loc, t, s),
                                 arith::MulIOp::create(b, loc, v, scalarConstant(b, loc, t, d)));
  }, ArrayRef<int64_t>{count});
  n.setOutput(0, out, n.inputDtype(0));
  return success();
}

} // namespace

void registerShapeOps(NodeImportTable &t) {
  t["Reshape"] = importReshape; t["Flatten"] = importFlatten;
  t["Squeeze"] = importSqueeze; t["Unsqueeze"] = importUnsqueeze;
  t["Transpose"] = importTranspose; t["Concat"] = importConcat;
  t["Slice"] = importSlice; t["Gather"] = importGather;
  t["GatherElements"] = importGatherElements; t["Expand"] = importExpand;
  t["Shape"] = importShape; t["Size"] = importSize;
  t["Constant"] = importConstant; t["ConstantOfShape"] = importConstantOfShape;
  t["Split"] = importSplit; t["Trilu"] = importTrilu; t["Tile"] = importTile;
  t["Dropout"] = importDropout; t["Range"] = importRange;
}

} // namespace lathe::onnx_import
