//===- GraphOps.h - Lathe graph dialect ops ---------------------*- C++ -*-===//
//
// Everything a user of the graph dialect needs: the dialect and its ops.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_DIALECTS_GRAPH_GRAPHOPS_H
#define LATHE_DIALECTS_GRAPH_GRAPHOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/graph/GraphDialect.h"

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.h.inc"

#endif // LATHE_DIALECTS_GRAPH_GRAPHOPS_H
