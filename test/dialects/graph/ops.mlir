// RUN: lathe-opt %s | lathe-opt | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<2x7x64xf16>, %w: tensor<64xf16>) -> tensor<2x7x64xf16> {
  // CHECK: %{{.*}} = graph.rms_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : tensor<2x7x64xf16>, tensor<64xf16>
  %y = graph.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-6 : f32} : tensor<2x7x64xf16>, tensor<64xf16>
  return %y : tensor<2x7x64xf16>
}

// CHECK-LABEL: func.func @rms_norm_over_trailing_dims
func.func @rms_norm_over_trailing_dims(%x: tensor<3x4x5xbf16>, %w: tensor<4x5xbf16>) -> tensor<3x4x5xbf16> {
  // CHECK: graph.rms_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = {{.*}} : f32} : tensor<3x4x5xbf16>, tensor<4x5xbf16>
  %y = graph.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<3x4x5xbf16>, tensor<4x5xbf16>
  return %y : tensor<3x4x5xbf16>
}

// CHECK-LABEL: func.func @layer_norm_with_bias
func.func @layer_norm_with_bias(%x: tensor<2x7x768xf32>, %s: tensor<768xf32>, %b: tensor<768xf32>)
    -> (tensor<2x7x768xf32>, tensor<2x7x1xf32>, tensor<2x7x1xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = graph.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = {{.*}} : f32} : tensor<2x7x768xf32>, tensor<768xf32>, tensor<768xf32>
  %y, %mean, %inv = graph.layer_norm %x, %s, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32}
      : tensor<2x7x768xf32>, tensor<768xf32>, tensor<768xf32>
  return %y, %mean, %inv : tensor<2x7x768xf32>, tensor<2x7x1xf32>, tensor<2x7x1xf32>
}

// CHECK-LABEL: func.func @layer_norm_without_bias
func.func @layer_norm_without_bias(%x: tensor<2x3x4xf16>, %s: tensor<3x4xf16>)
    -> (tensor<2x3x4xf16>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  // CHECK: graph.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = {{.*}} : f32} : tensor<2x3x4xf16>, tensor<3x4xf16>{{$}}
  %y, %mean, %inv = graph.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-5 : f32}
      : tensor<2x3x4xf16>, tensor<3x4xf16>
  return %y, %mean, %inv : tensor<2x3x4xf16>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// CHECK-LABEL: func.func @layer_norm_over_all_dims
func.func @layer_norm_over_all_dims(%x: tensor<3x4xf32>, %s: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
  // CHECK: graph.layer_norm %{{.*}}, %{{.*}} {axis = 0 : i64
  %y, %mean, %inv = graph.layer_norm %x, %s {axis = 0 : i64, epsilon = 1.0e-5 : f32}
      : tensor<3x4xf32>, tensor<3x4xf32>
  return %y, %mean, %inv : tensor<3x4xf32>, tensor<1x1xf32>, tensor<1x1xf32>
}

// CHECK-LABEL: func.func @rope_half
func.func @rope_half(%x: tensor<1x32x7x128xf16>, %cos: tensor<1x7x64xf16>, %sin: tensor<1x7x64xf16>) -> tensor<1x32x7x128xf16> {
  // CHECK: graph.rope %{{.*}}, %{{.*}}, %{{.*}} {interleaved = false} : tensor<1x32x7x128xf16>, tensor<1x7x64xf16>, tensor<1x7x64xf16>
  %y = graph.rope %x, %cos, %sin {interleaved = false} : tensor<1x32x7x128xf16>, tensor<1x7x64xf16>, tensor<1x7x64xf16>
  return %y : tensor<1x32x7x128xf16>
}

// CHECK-LABEL: func.func @rope_interleaved_partial
func.func @rope_interleaved_partial(%x: tensor<2x4x5x16xf32>, %cos: tensor<2x5x4xf32>, %sin: tensor<2x5x4xf32>) -> tensor<2x4x5x16xf32> {
  // CHECK: graph.rope %{{.*}}, %{{.*}}, %{{.*}} {interleaved = true} : tensor<2x4x5x16xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>
  %y = graph.rope %x, %cos, %sin {interleaved = true} : tensor<2x4x5x16xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>
  return %y : tensor<2x4x5x16xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x7x64xf32>, %v: tensor<1x8x7x64xf32>) -> tensor<1x8x7x64xf32> {
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>{{$}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>
  return %y : tensor<1x8x7x64xf32>
}

// CHECK-LABEL: func.func @attention_gqa_causal_boolean_mask
func.func @attention_gqa_causal_boolean_mask(%q: tensor<1x32x7x128xf16>, %k: tensor<1x8x19x128xf16>, %v: tensor<1x8x19x96xf16>,
    %mask: tensor<1x1x7x19xi1>) -> tensor<1x32x7x96xf16> {
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal = true, scale = {{.*}} : f32, softcap = 5.000000e+01 : f32} : tensor<1x32x7x128xf16>, tensor<1x8x19x128xf16>, tensor<1x8x19x96xf16>, tensor<1x1x7x19xi1>
  %y = graph.attention %q, %k, %v, %mask {scale = 0.0883883461 : f32, causal = true, softcap = 50.0 : f32}
      : tensor<1x32x7x128xf16>, tensor<1x8x19x128xf16>, tensor<1x8x19x96xf16>, tensor<1x1x7x19xi1>
  return %y : tensor<1x32x7x96xf16>
}

// CHECK-LABEL: func.func @attention_float_mask
func.func @attention_float_mask(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x5x8xf32>, %v: tensor<2x2x5x8xf32>,
    %mask: tensor<2x4x1x5xf32>) -> tensor<2x4x3x8xf32> {
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = {{.*}} : f32} : tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x4x1x5xf32>
  %y = graph.attention %q, %k, %v, %mask {scale = 0.35355339 : f32}
      : tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x4x1x5xf32>
  return %y : tensor<2x4x3x8xf32>
}

// A decoder's past length, known at run time; with a mask too.
// CHECK-LABEL: func.func @attention_past_operand
func.func @attention_past_operand(%q: tensor<1x4x2x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>,
    %mask: tensor<1x1x2x16xi1>, %past: tensor<i64>) -> tensor<1x4x2x8xf32> {
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}} : tensor<i64>) {causal = true, scale = {{.*}} : f32} : tensor<1x4x2x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>{{$}}
  %y = graph.attention %q, %k, %v past(%past : tensor<i64>) {scale = 0.35355339 : f32, causal = true}
      : tensor<1x4x2x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}} : tensor<i64>) {causal = true, scale = {{.*}} : f32} : tensor<1x4x2x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x1x2x16xi1>
  %z = graph.attention %q, %k, %v, %mask past(%past : tensor<i64>) {scale = 0.35355339 : f32, causal = true}
      : tensor<1x4x2x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x1x2x16xi1>
  return %z : tensor<1x4x2x8xf32>
}

// ONNX-style causal attention without a cache: past length 0, not L - S.
// CHECK-LABEL: func.func @attention_causal_past_length
func.func @attention_causal_past_length(%q: tensor<2x3x4x8xf32>, %k: tensor<2x3x6x8xf32>, %v: tensor<2x3x6x10xf32>) -> tensor<2x3x4x10xf32> {
  // CHECK: graph.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true, past_length = 0 : i64, scale = {{.*}} : f32} : tensor<2x3x4x8xf32>, tensor<2x3x6x8xf32>, tensor<2x3x6x10xf32>
  %y = graph.attention %q, %k, %v {scale = 0.35355339 : f32, causal = true, past_length = 0 : i64}
      : tensor<2x3x4x8xf32>, tensor<2x3x6x8xf32>, tensor<2x3x6x10xf32>
  return %y : tensor<2x3x4x10xf32>
}

// Generic form: the parser and the verifier agree on the inferred types.
// CHECK-LABEL: func.func @generic_form
func.func @generic_form(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK: graph.rms_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = {{.*}} : f32} : tensor<4x8xf32>, tensor<8xf32>
  %y = "graph.rms_norm"(%x, %w) <{axis = 1 : i64, epsilon = 1.0e-5 : f32}> : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// The scores of attention at each stage.
// CHECK-LABEL: func.func @attention_scores
func.func @attention_scores(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x9x16xf32>, %mask: tensor<1x1x4x9xi1>,
    %past: tensor<i64>) -> (tensor<1x8x4x9xf32>, tensor<1x8x4x9xf32>, tensor<1x8x4x9xf32>) {
  // CHECK: graph.attention_scores scaled %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32} : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>{{$}}
  %a = graph.attention_scores scaled %q, %k {scale = 0.25 : f32, softcap = 30.0 : f32}
      : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>
  // CHECK: graph.attention_scores biased %{{.*}}, %{{.*}}, %{{.*}} past(%{{.*}} : tensor<i64>) {causal = true, scale = 2.500000e-01 : f32} : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>, tensor<1x1x4x9xi1>
  %b = graph.attention_scores biased %q, %k, %mask past(%past : tensor<i64>) {scale = 0.25 : f32, causal = true}
      : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>, tensor<1x1x4x9xi1>
  // CHECK: graph.attention_scores probabilities %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32} : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>, tensor<1x1x4x9xi1>
  %c = graph.attention_scores probabilities %q, %k, %mask {scale = 0.25 : f32}
      : tensor<1x8x4x16xf32>, tensor<1x2x9x16xf32>, tensor<1x1x4x9xi1>
  return %a, %b, %c : tensor<1x8x4x9xf32>, tensor<1x8x4x9xf32>, tensor<1x8x4x9xf32>
}
