//===- GraphOps.cpp - Lathe graph dialect ops -----------------------------===//

#include "dialects/graph/GraphOps.h"

#include "dialects/ShapeFormat.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace lathe::graph;
using lathe::formatShape;

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

namespace {

/// A dynamic size is compatible with any size.
bool dimsCompatible(int64_t lhs, int64_t rhs) {
  return ShapedType::isDynamic(lhs) || ShapedType::isDynamic(rhs) || lhs == rhs;
}

/// Checks the normalization axis of `rms_norm` / `layer_norm` against the
/// rank of `x`. `emitError` is called only on failure.
LogicalResult verifyNormAxis(function_ref<InFlightDiagnostic()> emitError,
                             int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return emitError() << "axis " << axis
                       << " is out of range for an input of rank " << rank
                       << "; expected 0 <= axis < rank";
  return success();
}

/// Checks that a per-channel operand (`scale`, `bias`) of a normalization has
/// the normalized shape `x.shape[axis:]` and the element type of `x`.
LogicalResult verifyNormParameter(Operation *op, StringRef name,
                                  RankedTensorType xType, int64_t axis,
                                  Value parameter) {
  auto type = cast<RankedTensorType>(parameter.getType());
  ArrayRef<int64_t> normalized = xType.getShape().drop_front(axis);
  if (failed(verifyCompatibleShape(type.getShape(), normalized)))
    return op->emitOpError()
           << name << " shape " << formatShape(type.getShape())
           << " must equal the normalized shape x.shape[" << axis
           << ":] = " << formatShape(normalized);
  if (type.getElementType() != xType.getElementType())
    return op->emitOpError()
           << name << " element type " << type.getElementType()
           << " must match the element type of x (" << xType.getElementType()
           << ")";
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult
RmsNormOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                            Adaptor adaptor,
                            SmallVectorImpl<Type> &inferredReturnTypes) {
  inferredReturnTypes.push_back(adaptor.getX().getType());
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType xType = getX().getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (failed(
          verifyNormAxis([&] { return emitOpError(); }, axis, xType.getRank())))
    return failure();
  return verifyNormParameter(*this, "scale", xType, axis, getScale());
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult
LayerNormOp::inferReturnTypes(MLIRContext *context,
                              std::optional<Location> location, Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (!xType)
    return emitOptionalError(location, "expects x to be a ranked tensor");
  // The parser infers types before it moves the attribute dictionary into
  // the op's properties, so look in both.
  IntegerAttr axisAttr = adaptor.getAxisAttr();
  if (!axisAttr && adaptor.getAttributes())
    axisAttr = dyn_cast_or_null<IntegerAttr>(adaptor.getAttributes().get(
        getAxisAttrName(OperationName(getOperationName(), context))));
  if (!axisAttr)
    return emitOptionalError(location, "requires attribute 'axis'");
  int64_t axis = axisAttr.getInt();
  // Parsing infers types before the verifier runs, so check here what the
  // inference relies on.
  auto emitError = [&] {
    return location ? mlir::emitError(*location) : InFlightDiagnostic();
  };
  if (failed(verifyNormAxis(emitError, axis, xType.getRank())))
    return failure();
  // Statistics keep the reduced dimensions as ones, like ONNX's Mean and
  // InvStdDev outputs.
  SmallVector<int64_t> statsShape(xType.getShape().take_front(axis));
  statsShape.append(xType.getRank() - axis, 1);
  auto statsType = RankedTensorType::get(statsShape, Float32Type::get(context));
  inferredReturnTypes.append({xType, statsType, statsType});
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType xType = getX().getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (failed(
          verifyNormAxis([&] { return emitOpError(); }, axis, xType.getRank())))
    return failure();
  if (failed(verifyNormParameter(*this, "scale", xType, axis, getScale())))
    return failure();
  if (Value bias = getBias())
    return verifyNormParameter(*this, "bias", xType, axis, bias);
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult
RopeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                         Adaptor adaptor,
                         SmallVectorImpl<Type> &inferredReturnTypes) {
  inferredReturnTypes.push_back(adaptor.getX().getType());
  return success();
}

LogicalResult RopeOp::verify() {
  RankedTensorType xType = getX().getType();
  RankedTensorType cosType = getCos().getType();
  if (cosType != getSin().getType())
    return emitOpError() << "cos and sin must have the same type, got "
                         << cosType << " and " << getSin().getType();
  if (cosType.getElementType() != xType.getElementType())
    return emitOpError() << "cos/sin element type " << cosType.getElementType()
                         << " must match the element type of x ("
                         << xType.getElementType() << ")";

  // x: [B, H, S, D]; cos, sin: [B or 1, S, R/2].
  ArrayRef<int64_t> x = xType.getShape();
  ArrayRef<int64_t> table = cosType.getShape();
  if (table[0] != 1 && !dimsCompatible(table[0], x[0]))
    return emitOpError() << "cos/sin shape " << formatShape(table)
                         << " must have batch dimension 1 or the batch size "
                            "of x "
                         << formatShape(x);
  if (!dimsCompatible(table[1], x[2]))
    return emitOpError() << "cos/sin shape " << formatShape(table)
                         << " must have the sequence length of x "
                         << formatShape(x) << " (dimension 2)";
  if (!ShapedType::isDynamic(table[2]) && !ShapedType::isDynamic(x[3]) &&
      2 * table[2] > x[3])
    return emitOpError() << "rotary dimension " << 2 * table[2]
                         << " (twice the last dimension of cos/sin) exceeds "
                            "the head size "
                         << x[3];
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult
AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  auto qType = dyn_cast<RankedTensorType>(adaptor.getQ().getType());
  auto vType = dyn_cast<RankedTensorType>(adaptor.getV().getType());
  if (!qType || !vType || qType.getRank() != 4 || vType.getRank() != 4)
    return emitOptionalError(location, "expects q and v to be rank-4 tensors");
  // [B, Hq, S, Dv]
  ArrayRef<int64_t> q = qType.getShape();
  inferredReturnTypes.push_back(RankedTensorType::get(
      {q[0], q[1], q[2], vType.getDimSize(3)}, qType.getElementType()));
  return success();
}

/// Checks of graph.attention and graph.attention_scores (`values` is k for the
/// latter, which has no values).
template <typename OpTy>
static LogicalResult verifyAttention(OpTy op, Value values) {
  RankedTensorType qType = op.getQ().getType();
  RankedTensorType kType = op.getK().getType();
  auto vType = cast<RankedTensorType>(values.getType());
  Type elementType = qType.getElementType();
  if (kType.getElementType() != elementType ||
      vType.getElementType() != elementType)
    return op.emitOpError() << "k and v element types (" << kType.getElementType()
                         << ", " << vType.getElementType()
                         << ") must match the element type of q ("
                         << elementType << ")";

  // q: [B, Hq, S, D], k: [B, Hkv, L, D], v: [B, Hkv, L, Dv].
  ArrayRef<int64_t> q = qType.getShape();
  ArrayRef<int64_t> k = kType.getShape();
  ArrayRef<int64_t> v = vType.getShape();
  auto shapes = [&] {
    return "(q " + formatShape(q) + ", k " + formatShape(k) + ", v " +
           formatShape(v) + ")";
  };
  if (!dimsCompatible(q[0], k[0]) || !dimsCompatible(q[0], v[0]) ||
      !dimsCompatible(k[0], v[0]))
    return op.emitOpError() << "q, k and v must have the same batch size "
                         << shapes();
  if (!dimsCompatible(k[1], v[1]))
    return op.emitOpError() << "k and v must have the same number of heads "
                         << shapes();
  if (!dimsCompatible(k[2], v[2]))
    return op.emitOpError() << "k and v must have the same sequence length "
                         << shapes();
  if (!dimsCompatible(q[3], k[3]))
    return op.emitOpError() << "q and k must have the same head size " << shapes();
  int64_t kvHeads = ShapedType::isDynamic(k[1]) ? v[1] : k[1];
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || q[1] % kvHeads != 0))
    return op.emitOpError() << "number of query heads (" << q[1]
                         << ") must be a multiple of the number of key/value "
                            "heads ("
                         << kvHeads << ")";

  if (Value mask = op.getMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    Type maskElementType = maskType.getElementType();
    if (!maskElementType.isInteger(1) && maskElementType != elementType)
      return op.emitOpError() << "float mask element type " << maskElementType
                           << " must match the element type of q ("
                           << elementType << ")";
    int64_t keyLength = ShapedType::isDynamic(k[2]) ? v[2] : k[2];
    SmallVector<int64_t> scoresShape = {q[0], q[1], q[2], keyLength};
    for (auto [dim, maskDim, scoresDim] :
         llvm::enumerate(maskType.getShape(), scoresShape)) {
      if (maskDim == 1 || dimsCompatible(maskDim, scoresDim))
        continue;
      return op.emitOpError() << "mask shape " << formatShape(maskType.getShape())
                           << " does not broadcast to the scores shape "
                              "[B, Hq, S, L] = "
                           << formatShape(scoresShape) << ": dimension " << dim
                           << " must be 1 or " << scoresDim;
    }
  }

  if (std::optional<uint64_t> pastLength = op.getPastLength()) {
    if (!op.getCausal())
      return op.emitOpError() << "past_length only applies to causal attention "
                              "(causal = true)";
    if (static_cast<int64_t>(*pastLength) < 0)
      return op.emitOpError() << "past_length must be >= 0, got "
                           << static_cast<int64_t>(*pastLength);
  }

  if (op.getPast()) {
    if (!op.getCausal())
      return op.emitOpError() << "a past operand only applies to causal "
                              "attention (causal = true)";
    if (op.getPastLength())
      return op.emitOpError() << "takes the past length from the past operand "
                              "or the past_length attribute, not both";
  }

  if (op.getSoftcap().isNegative())
    return op.emitOpError() << "softcap must be >= 0 (0 disables it), got "
                         << op.getSoftcap().convertToFloat();
  return success();
}

LogicalResult AttentionOp::verify() { return verifyAttention(*this, getV()); }

//===----------------------------------------------------------------------===//
// AttentionScoresOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionScoresOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto qType = dyn_cast<RankedTensorType>(adaptor.getQ().getType());
  auto kType = dyn_cast<RankedTensorType>(adaptor.getK().getType());
  if (!qType || !kType || qType.getRank() != 4 || kType.getRank() != 4)
    return emitOptionalError(location, "expects q and k to be rank-4 tensors");
  // [B, Hq, S, L]
  ArrayRef<int64_t> q = qType.getShape();
  inferredReturnTypes.push_back(RankedTensorType::get(
      {q[0], q[1], q[2], kType.getDimSize(2)}, qType.getElementType()));
  return success();
}

LogicalResult AttentionScoresOp::verify() {
  return verifyAttention(*this, getK());
}

//===----------------------------------------------------------------------===//
// QuantizedMatmulOp
//===----------------------------------------------------------------------===//

GgmlBlockLayout lathe::graph::getBlockLayout(GgmlType type) {
  switch (type) {
  case GgmlType::F32:
    return {1, 4};
  case GgmlType::F16:
  case GgmlType::BF16:
    return {1, 2};
  case GgmlType::Q4_0:
    return {32, 2 + 16};
  case GgmlType::Q4_1:
    return {32, 2 + 2 + 16};
  case GgmlType::Q8_0:
    return {32, 2 + 32};
  case GgmlType::Q4_K:
    // d, dmin, 12 bytes of packed 6-bit scales and minimums, 128 quant bytes.
    return {256, 2 + 2 + 12 + 256 / 2};
  case GgmlType::Q6_K:
    // ql, qh, 16 i8 scales, d.
    return {256, 256 / 2 + 256 / 4 + 256 / 16 + 2};
  }
  llvm_unreachable("unknown ggml type");
}

LogicalResult QuantizedMatmulOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  auto wType = dyn_cast<RankedTensorType>(adaptor.getW().getType());
  if (!xType || !wType || xType.getRank() != 2 || wType.getRank() != 2)
    return emitOptionalError(location, "expects x and w to be rank-2 tensors");
  // [M, N]
  inferredReturnTypes.push_back(RankedTensorType::get(
      {xType.getDimSize(0), wType.getDimSize(0)}, Float32Type::get(context)));
  return success();
}

LogicalResult QuantizedMatmulOp::verify() {
  GgmlType format = getFormat();
  StringRef name = stringifyGgmlType(format);
  GgmlBlockLayout layout = getBlockLayout(format);
  int64_t k = getX().getType().getDimSize(1);
  int64_t rowBytes = getW().getType().getDimSize(1);
  if (!ShapedType::isDynamic(k) && k % layout.weights != 0)
    return emitOpError() << "K = " << k << " (x.shape[1]) must be a multiple "
                         << "of the " << name << " block size "
                         << layout.weights;
  if (ShapedType::isDynamic(rowBytes))
    return success();
  if (ShapedType::isDynamic(k)) {
    if (rowBytes % layout.bytes != 0)
      return emitOpError() << "weight rows of " << rowBytes
                           << " bytes (w.shape[1]) are not a whole number of "
                           << layout.bytes << "-byte " << name << " blocks";
    return success();
  }
  int64_t blocks = k / layout.weights;
  if (rowBytes != blocks * layout.bytes)
    return emitOpError() << "weight rows have " << rowBytes
                         << " bytes (w.shape[1]); " << name
                         << " rows of K = " << k << " weights take "
                         << blocks * layout.bytes << " (" << blocks
                         << " blocks of " << layout.bytes << " bytes)";
  return success();
}

#include "dialects/graph/GraphEnums.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.cpp.inc"

//===----------------------------------------------------------------------===//
// QuantizedGatherOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizedGatherOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto tableType = dyn_cast<RankedTensorType>(adaptor.getTable().getType());
  auto idsType = dyn_cast<RankedTensorType>(adaptor.getIds().getType());
  if (!tableType || !idsType || tableType.getRank() != 2 ||
      idsType.getRank() != 1)
    return emitOptionalError(location,
                             "expects a rank-2 table and rank-1 ids");
  GgmlBlockLayout layout = getBlockLayout(adaptor.getFormat());
  int64_t rowBytes = tableType.getDimSize(1);
  int64_t k = ShapedType::isDynamic(rowBytes)
                  ? ShapedType::kDynamic
                  : rowBytes / layout.bytes * layout.weights;
  // [S, K]
  inferredReturnTypes.push_back(RankedTensorType::get(
      {idsType.getDimSize(0), k}, Float32Type::get(context)));
  return success();
}

LogicalResult QuantizedGatherOp::verify() {
  GgmlType format = getFormat();
  GgmlBlockLayout layout = getBlockLayout(format);
  int64_t rowBytes = getTable().getType().getDimSize(1);
  if (!ShapedType::isDynamic(rowBytes) && rowBytes % layout.bytes != 0)
    return emitOpError() << "table rows of " << rowBytes
                         << " bytes (table.shape[1]) are not a whole number of "
                         << layout.bytes << "-byte " << stringifyGgmlType(format)
                         << " blocks";
  if (getTable().getType().getDimSize(0) == 0)
    return emitOpError() << "table has no rows to gather";
  return success();
}
