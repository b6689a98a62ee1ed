//===- GraphDialect.h - Lathe graph dialect ---------------------*- C++ -*-===//
#ifndef LATHE_DIALECTS_GRAPH_GRAPHDIALECT_H
#define LATHE_DIALECTS_GRAPH_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/graph/GraphDialect.h.inc"

#endif // LATHE_DIALECTS_GRAPH_GRAPHDIALECT_H
