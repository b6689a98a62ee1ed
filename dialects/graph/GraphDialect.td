//===- GraphDialect.td - Lathe graph dialect ---------------*- tablegen -*-===//
//
// The tensor-level dialect that carries model semantics (attention, norms,
// RoPE, ...) which upstream dialects lack and which passes must recognise.
//
//===----------------------------------------------------------------------===//

#ifndef LATHE_DIALECTS_GRAPH_GRAPHDIALECT_TD
#define LATHE_DIALECTS_GRAPH_GRAPHDIALECT_TD

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::lathe::graph";
  let summary = "Tensor-level model ops of the Lathe compiler";
  let description = [{
    The `graph` dialect holds the model operations that upstream MLIR has no
    op for, or that a pass has to recognise as a whole: normalizations,
    rotary position embeddings, attention and matmul on weights kept in a
    ggml block encoding. Everything else (plain matmul, elementwise math,
    reshapes) stays in `linalg`, `tensor`, `arith` and `math`. All ops work
    on ranked tensors of floating-point elements, except that encoded
    weights are tensors of their raw bytes (`i8`); `lathe-lower-graph`
    rewrites them into `linalg` on tensors.
  }];
}

class Graph_Op<string mnemonic, list<Trait> traits = []>
    : Op<Graph_Dialect, mnemonic, traits>;

#endif // LATHE_DIALECTS_GRAPH_GRAPHDIALECT_TD
