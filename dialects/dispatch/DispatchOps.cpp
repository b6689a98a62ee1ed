//===- DispatchOps.cpp - dispatch dialect ---------------------------------===//
#include "dialects/dispatch/DispatchOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace lathe::dispatch;

#include "dialects/dispatch/DispatchOpsDialect.cpp.inc"

void DispatchDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/dispatch/DispatchOps.cpp.inc"
      >();
}

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

#define GET_OP_CLASSES
#include "dialects/dispatch/DispatchOps.cpp.inc"
