// RUN: lathe-opt --lathe-lower-graph %s -split-input-file -verify-diagnostics

func.func @dynamic_rows(%x: tensor<?x64xf32>, %w: tensor<9x68xi8>) -> tensor<?x9xf32> {
  // expected-error @+1 {{'graph.quantized_matmul' op has dynamic shape 'tensor<?x64xf32>'; lathe-lower-graph needs static shapes}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<?x64xf32>, tensor<9x68xi8>
  return %y : tensor<?x9xf32>
}
