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

#include "dialects/graph/GraphEnums.h.inc"

namespace lathe::graph {
/// How a ggml encoding packs weights: `weights` consecutive weights of a row
/// share one block of `bytes` bytes.
struct GgmlBlockLayout {
  int64_t weights;
  int64_t bytes;
};
GgmlBlockLayout getBlockLayout(GgmlType type);

/// The discardable attribute (a GgmlTypeAttr) that marks the linalg.generic
/// lowered from graph.quantized_matmul: loops (m, n, k), inputs x[m, k],
/// output y[m, n], weight bytes read in the body.
constexpr llvm::StringLiteral kQuantizedMatmulAttr = "lathe.quantized_matmul";
} // namespace lathe::graph

#define GET_OP_CLASSES
#include "dialects/graph/GraphOps.h.inc"

#endif // LATHE_DIALECTS_GRAPH_GRAPHOPS_H
