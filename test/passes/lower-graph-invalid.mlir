// RUN: lathe-opt --lathe-lower-graph %s -split-input-file -verify-diagnostics

func.func @rms_norm_dynamic(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'graph.rms_norm' op has dynamic shape 'tensor<?x64xf32>'; lathe-lower-graph needs static shapes}}
  %y = graph.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<?x64xf32>, tensor<64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @attention_dynamic_keys(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{'graph.attention' op has dynamic shape 'tensor<1x2x?x8xf32>'; lathe-lower-graph needs static shapes}}
  %y = graph.attention %q, %k, %v {scale = 0.5 : f32} : tensor<1x2x3x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
  return %y : tensor<1x2x3x8xf32>
}
