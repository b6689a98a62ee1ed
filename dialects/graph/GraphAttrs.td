//===- GraphAttrs.td - Lathe graph dialect attributes ------*- tablegen -*-===//
//
// Enums carried by graph ops as attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LATHE_DIALECTS_GRAPH_GRAPHATTRS_TD
#define LATHE_DIALECTS_GRAPH_GRAPHATTRS_TD

include "mlir/IR/EnumAttr.td"

// Numbered and named as ggml's `enum ggml_type` and `ggml_type_name`, so a
// GGUF tensor's type id maps to a case directly. Only the encodings that
// `graph.quantized_matmul` can consume are listed.
def Graph_GgmlType : I32EnumAttr<"GgmlType", "ggml weight encoding", [
    I32EnumAttrCase<"F32", 0, "f32">,
    I32EnumAttrCase<"F16", 1, "f16">,
    I32EnumAttrCase<"Q4_0", 2, "q4_0">,
    I32EnumAttrCase<"Q4_1", 3, "q4_1">,
    I32EnumAttrCase<"Q8_0", 8, "q8_0">,
    I32EnumAttrCase<"Q4_K", 12, "q4_K">,
    I32EnumAttrCase<"Q6_K", 14, "q6_K">,
    I32EnumAttrCase<"BF16", 30, "bf16">
  ]> {
  let cppNamespace = "::lathe::graph";
}

// How far `graph.attention_scores` takes the scores.
def Graph_ScoreStage : I32EnumAttr<"ScoreStage", "stage of attention scores", [
    I32EnumAttrCase<"Scaled", 0, "scaled">,
    I32EnumAttrCase<"Biased", 1, "biased">,
    I32EnumAttrCase<"Probabilities", 2, "probabilities">
  ]> {
  let cppNamespace = "::lathe::graph";
}

#endif // LATHE_DIALECTS_GRAPH_GRAPHATTRS_TD
