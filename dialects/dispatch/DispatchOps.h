//===- DispatchOps.h - dispatch dialect -------------------------*- C++ -*-===//
#ifndef LATHE_DIALECTS_DISPATCH_DISPATCHOPS_H
#define LATHE_DIALECTS_DISPATCH_DISPATCHOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mlir/Dialect/SCF/IR/DeviceMappingInterface.h"

#include "dialects/dispatch/DispatchOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dispatch/DispatchAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/dispatch/DispatchOps.h.inc"

namespace lathe::dispatch {
/// Unit attribute that marks a func.func as a kernel.
inline constexpr llvm::StringLiteral kKernelAttrName = "dispatch.kernel";
} // namespace lathe::dispatch

#endif // LATHE_DIALECTS_DISPATCH_DISPATCHOPS_H
