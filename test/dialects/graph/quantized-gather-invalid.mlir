// RUN: lathe-opt %s -split-input-file -verify-diagnostics

func.func @partial_block(%table: tensor<4x40xi8>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{table rows of 40 bytes (table.shape[1]) are not a whole number of 34-byte q8_0 blocks}}
  %y = graph.quantized_gather q8_0 %table, %ids : tensor<4x40xi8>, tensor<2xi32>
  return
}

// -----

func.func @no_rows(%table: tensor<0x18xi8>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{table has no rows to gather}}
  %y = graph.quantized_gather q4_0 %table, %ids : tensor<0x18xi8>, tensor<2xi32>
  return
}

// -----

func.func @wrong_result(%table: tensor<4x18xi8>, %ids: tensor<2xi32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x32xf32>' are incompatible with return type(s) of operation 'tensor<2x16xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = "graph.quantized_gather"(%table, %ids) <{format = 2 : i32}> : (tensor<4x18xi8>, tensor<2xi32>) -> tensor<2x16xf32>
  return
}
