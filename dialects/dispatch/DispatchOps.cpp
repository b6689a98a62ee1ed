//===- DispatchOps.cpp - dispatch dialect ---------------------------------===//
#include "dialects/dispatch/DispatchOps.h"

#include "dialects/ShapeFormat.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace lathe::dispatch;
using lathe::formatShape;

#include "dialects/dispatch/DispatchOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dispatch/DispatchAttrs.cpp.inc"

void DispatchDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/dispatch/DispatchOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/dispatch/DispatchAttrs.cpp.inc"
      >();
}

int64_t WorkgroupMappingAttr::getMappingId() const { return getDim(); }
bool WorkgroupMappingAttr::isLinearMapping() const { return false; }
int64_t WorkgroupMappingAttr::getRelativeIndex() const { return getDim(); }

LogicalResult DispatchDialect::verifyOperationAttribute(Operation *op,
                                                       NamedAttribute attr) {
  if (attr.getName() != kKernelAttrName)
    return op->emitError("unknown dispatch dialect attribute '")
           << attr.getName().getValue() << "'";
  if (!isa<UnitAttr>(attr.getValue()))
    return op->emitError("'")
           << kKernelAttrName << "' must be a unit attribute";
  // Kernels stay marked through lowering (func.func, then llvm.func).
  auto function = dyn_cast<FunctionOpInterface>(op);
  if (!function)
    return op->emitError("'") << kKernelAttrName
                              << "' may only be attached to a function";
  if (!function.getResultTypes().empty())
    return op->emitError("kernel '")
           << SymbolTable::getSymbolName(op).getValue()
           << "' must not return values; it writes its bindings";
  return success();
}

LogicalResult LaunchOp::verify() {
  for (auto [i, type] : llvm::enumerate(getBindings().getTypes())) {
    if (!cast<MemRefType>(type).getLayout().isIdentity())
      return emitOpError("binding #") << i << " must have the identity layout";
  }
  return success();
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto kernel =
      symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError("kernel '") << getKernel() << "' is not a func.func";
  if (!kernel->hasAttr(kKernelAttrName))
    return emitOpError("'") << getKernel() << "' is not marked "
                            << kKernelAttrName;
  if (!llvm::equal(kernel.getFunctionType().getInputs(),
                   getBindings().getTypes()))
    return emitOpError("binding types do not match the signature of '")
           << getKernel() << "'";
  return success();
}

LogicalResult WorkgroupIdOp::verify() {
  auto func = (*this)->getParentOfType<func::FuncOp>();
  if (!func || !func->hasAttr(kKernelAttrName))
    return emitOpError("must be inside a func.func marked ") << kKernelAttrName;
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getGroupSize() {
  auto q = cast<ShapedType>(getQ().getType());
  auto k = cast<ShapedType>(getK().getType());
  return q.getDimSize(1) / k.getDimSize(1);
}

LogicalResult AttentionOp::verify() {
  bool tensors = isa<RankedTensorType>(getInit().getType());
  for (Value operand : getOperation()->getOperands()) {
    if (tensors ? !isa<RankedTensorType>(operand.getType())
                : !isa<MemRefType>(operand.getType()))
      return emitOpError("operands must be all ranked tensors or all memrefs");
  }
  if (getNumResults() != (tensors ? 1u : 0u))
    return emitOpError() << "must have " << (tensors ? "one result" : "no results")
                         << " with " << (tensors ? "tensor" : "memref")
                         << " operands";
  if (tensors && getResult()[0].getType() != getInit().getType())
    return emitOpError("result type must be the type of init");

  StringRef names[] = {"q", "k", "v", "init"};
  Value values[] = {getQ(), getK(), getV(), getInit()};
  SmallVector<ArrayRef<int64_t>> shapes;
  for (auto [name, value] : llvm::zip(names, values)) {
    auto type = cast<ShapedType>(value.getType());
    if (type.getRank() != 4 || !type.hasStaticShape() ||
        !type.getElementType().isF32())
      return emitOpError() << name
                           << " must be a statically shaped 4-D f32 value, not "
                           << type;
    shapes.push_back(type.getShape());
  }
  ArrayRef<int64_t> q = shapes[0], k = shapes[1], v = shapes[2],
                    init = shapes[3];
  if (q[0] != k[0] || k[0] != v[0] || k[1] != v[1] || k[2] != v[2] ||
      q[3] != k[3] || k[1] == 0 || q[1] % k[1] != 0)
    return emitOpError() << "expects q [B, Hq, S, D], k [B, Hkv, L, D] and v "
                            "[B, Hkv, L, Dv] with Hq a multiple of Hkv, got q "
                         << formatShape(q) << ", k " << formatShape(k)
                         << ", v " << formatShape(v);
  SmallVector<int64_t> expected = {q[0], q[1], q[2], v[3]};
  if (ArrayRef<int64_t>(expected) != init)
    return emitOpError() << "init must have shape [B, Hq, S, Dv] = "
                         << formatShape(expected) << ", not "
                         << formatShape(init);
  if (Value mask = getMask()) {
    auto type = cast<ShapedType>(mask.getType());
    SmallVector<int64_t> scores = {q[0], q[1], q[2], k[2]};
    bool broadcasts = type.getRank() == 4 && type.hasStaticShape() &&
                      type.getElementType().isF32();
    for (int64_t d = 0; broadcasts && d < 4; ++d)
      broadcasts = type.getDimSize(d) == 1 || type.getDimSize(d) == scores[d];
    if (!broadcasts)
      return emitOpError() << "mask must be a statically shaped 4-D f32 value "
                              "whose dimensions are 1 or those of [B, Hq, S, "
                              "L] = "
                           << formatShape(scores) << ", not " << type;
  }
  if (getSoftcap().isNegative())
    return emitOpError("softcap must be >= 0 (0 disables it)");
  if (Value past = getPast()) {
    auto type = cast<ShapedType>(past.getType());
    if (type.getRank() != 0 || !type.getElementType().isInteger(64))
      return emitOpError() << "past must be a 0-D i64 value, not " << type;
    if (getPastLength())
      return emitOpError("takes the past length from the past operand or "
                         "the past_length attribute, not both");
  }
  if ((getPast() || getPastLength()) && !getCausal())
    return emitOpError("a past length needs causal = true");
  return success();
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

bool AttentionOp::bufferizesToMemoryRead(
    OpOperand &operand, const bufferization::AnalysisState &) {
  // Every element of init is overwritten without being read.
  return !isDpsInit(&operand);
}

bool AttentionOp::bufferizesToMemoryWrite(
    OpOperand &operand, const bufferization::AnalysisState &) {
  return isDpsInit(&operand);
}

bufferization::AliasingValueList
AttentionOp::getAliasingValues(OpOperand &operand,
                               const bufferization::AnalysisState &) {
  if (!isDpsInit(&operand))
    return {};
  return {{getResult()[0], bufferization::BufferRelation::Equivalent}};
}

LogicalResult
AttentionOp::bufferize(RewriterBase &rewriter,
                       const bufferization::BufferizationOptions &options,
                       bufferization::BufferizationState &state) {
  auto buffer = [&](Value operand) -> FailureOr<Value> {
    if (!operand)
      return Value();
    return bufferization::getBuffer(rewriter, operand, options, state);
  };
  FailureOr<Value> q = buffer(getQ()), k = buffer(getK()), v = buffer(getV()),
                   mask = buffer(getMask()), past = buffer(getPast()),
                   init = buffer(getInit());
  if (failed(q) || failed(k) || failed(v) || failed(mask) || failed(past) ||
      failed(init))
    return failure();
  rewriter.setInsertionPoint(*this);
  AttentionOp::create(rewriter, getLoc(), TypeRange{}, *q, *k, *v, *mask,
                      *past, *init, getScaleAttr(), getCausalAttr(),
                      getSoftcapAttr(), getPastLengthAttr());
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, *init);
  return success();
}

#define GET_OP_CLASSES
#include "dialects/dispatch/DispatchOps.cpp.inc"
