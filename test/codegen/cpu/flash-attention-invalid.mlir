// RUN: lathe-opt --lathe-cpu-flash-attention %s -split-input-file -verify-diagnostics

func.func @tensors(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %init: tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{must be bufferized before lathe-cpu-flash-attention}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return %y : tensor<1x2x3x8xf32>
}
