//===- DispatchOps.cpp - dispatch dialect ---------------------------------===//
#include "dialects/dispatch/DispatchOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace lathe::dispatch;

#include "dialects/dispatch/DispatchOpsDialect.cpp.inc"

void DispatchDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/dispatch/DispatchOps.cpp.inc"
      >();
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
