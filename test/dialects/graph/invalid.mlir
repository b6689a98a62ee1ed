// RUN: lathe-opt %s -split-input-file -verify-diagnostics

func.func @rms_norm_not_float(%x: tensor<4x8xi32>, %w: tensor<8xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %y = graph.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xi32>, tensor<8xi32>
  return
}

// -----

func.func @rms_norm_axis_out_of_range(%x: tensor<4x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for an input of rank 2; expected 0 <= axis < rank}}
  %y = graph.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @rms_norm_scale_shape(%x: tensor<4x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{scale shape [4, 8] must equal the normalized shape x.shape[1:] = [8]}}
  %y = graph.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @rms_norm_scale_element_type(%x: tensor<4x8xf16>, %w: tensor<8xf32>) {
  // expected-error @+1 {{scale element type 'f32' must match the element type of x ('f16')}}
  %y = graph.rms_norm %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf16>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_axis_out_of_range(%x: tensor<4x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{axis -1 is out of range for an input of rank 2; expected 0 <= axis < rank}}
  %y, %m, %i = graph.layer_norm %x, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<2x4x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{scale shape [8] must equal the normalized shape x.shape[1:] = [4, 8]}}
  %y, %m, %i = graph.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias shape [4] must equal the normalized shape x.shape[1:] = [8]}}
  %y, %m, %i = graph.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32>
  return
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<4x8xbf16>, %s: tensor<8xbf16>, %b: tensor<8xf16>) {
  // expected-error @+1 {{bias element type 'f16' must match the element type of x ('bf16')}}
  %y, %m, %i = graph.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<4x8xbf16>, tensor<8xbf16>, tensor<8xf16>
  return
}

// -----

func.func @layer_norm_statistics_type(%x: tensor<4x8xf16>, %s: tensor<8xf16>) {
  // expected-error @+2 {{'graph.layer_norm' op inferred type(s) 'tensor<4x8xf16>', 'tensor<4x1xf32>', 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf16>', 'tensor<4xf32>', 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y:3 = "graph.layer_norm"(%x, %s) <{axis = 1 : i64, epsilon = 1.0e-5 : f32}> : (tensor<4x8xf16>, tensor<8xf16>) -> (tensor<4x8xf16>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @rope_cos_sin_types(%x: tensor<1x2x3x8xf32>, %c: tensor<1x3x4xf32>, %s: tensor<1x3x2xf32>) {
  // expected-error @+1 {{cos and sin must have the same type, got 'tensor<1x3x4xf32>' and 'tensor<1x3x2xf32>'}}
  %y = graph.rope %x, %c, %s {interleaved = false} : tensor<1x2x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x2xf32>
  return
}

// -----

func.func @rope_element_type(%x: tensor<1x2x3x8xf32>, %c: tensor<1x3x4xf16>, %s: tensor<1x3x4xf16>) {
  // expected-error @+1 {{cos/sin element type 'f16' must match the element type of x ('f32')}}
  %y = graph.rope %x, %c, %s {interleaved = false} : tensor<1x2x3x8xf32>, tensor<1x3x4xf16>, tensor<1x3x4xf16>
  return
}

// -----

func.func @rope_batch(%x: tensor<2x2x3x8xf32>, %c: tensor<3x3x4xf32>, %s: tensor<3x3x4xf32>) {
  // expected-error @+1 {{cos/sin shape [3, 3, 4] must have batch dimension 1 or the batch size of x [2, 2, 3, 8]}}
  %y = graph.rope %x, %c, %s {interleaved = false} : tensor<2x2x3x8xf32>, tensor<3x3x4xf32>, tensor<3x3x4xf32>
  return
}

// -----

func.func @rope_sequence_length(%x: tensor<1x2x3x8xf32>, %c: tensor<1x5x4xf32>, %s: tensor<1x5x4xf32>) {
  // expected-error @+1 {{cos/sin shape [1, 5, 4] must have the sequence length of x [1, 2, 3, 8] (dimension 2)}}
  %y = graph.rope %x, %c, %s {interleaved = true} : tensor<1x2x3x8xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32>
  return
}

// -----

func.func @rope_rotary_dim(%x: tensor<1x2x3x8xf32>, %c: tensor<1x3x5xf32>, %s: tensor<1x3x5xf32>) {
  // expected-error @+1 {{rotary dimension 10 (twice the last dimension of cos/sin) exceeds the head size 8}}
  %y = graph.rope %x, %c, %s {interleaved = true} : tensor<1x2x3x8xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<2x3x8xf32>, %c: tensor<1x3x4xf32>, %s: tensor<1x3x4xf32>) {
  // expected-error @+1 {{operand #0 must be 4D tensor of floating-point values}}
  %y = graph.rope %x, %c, %s {interleaved = true} : tensor<2x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<8x7x64xf32>, %k: tensor<1x8x7x64xf32>, %v: tensor<1x8x7x64xf32>) {
  // expected-error @+1 {{expects q and v to be rank-4 tensors}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>
  return
}

// -----

func.func @attention_element_types(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x7x64xf16>, %v: tensor<1x8x7x64xf16>) {
  // expected-error @+1 {{k and v element types ('f16', 'f16') must match the element type of q ('f32')}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x64xf16>, tensor<1x8x7x64xf16>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x8x7x64xf32>, %k: tensor<1x8x7x64xf32>, %v: tensor<1x8x7x64xf32>) {
  // expected-error @+1 {{q, k and v must have the same batch size (q [2, 8, 7, 64], k [1, 8, 7, 64], v [1, 8, 7, 64])}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<2x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<1x8x7x64xf32>, %k: tensor<1x4x7x64xf32>, %v: tensor<1x2x7x64xf32>) {
  // expected-error @+1 {{k and v must have the same number of heads}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x4x7x64xf32>, tensor<1x2x7x64xf32>
  return
}

// -----

func.func @attention_kv_length(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x7x64xf32>) {
  // expected-error @+1 {{k and v must have the same sequence length}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x7x64xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x7x32xf32>, %v: tensor<1x8x7x64xf32>) {
  // expected-error @+1 {{q and k must have the same head size}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x32xf32>, tensor<1x8x7x64xf32>
  return
}

// -----

func.func @attention_group_size(%q: tensor<1x6x7x64xf32>, %k: tensor<1x4x7x64xf32>, %v: tensor<1x4x7x64xf32>) {
  // expected-error @+1 {{number of query heads (6) must be a multiple of the number of key/value heads (4)}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x6x7x64xf32>, tensor<1x4x7x64xf32>, tensor<1x4x7x64xf32>
  return
}

// -----

func.func @attention_mask_element_type(%q: tensor<1x8x7x64xf16>, %k: tensor<1x8x7x64xf16>, %v: tensor<1x8x7x64xf16>, %m: tensor<1x1x7x7xf32>) {
  // expected-error @+1 {{float mask element type 'f32' must match the element type of q ('f16')}}
  %y = graph.attention %q, %k, %v, %m {scale = 0.125 : f32} : tensor<1x8x7x64xf16>, tensor<1x8x7x64xf16>, tensor<1x8x7x64xf16>, tensor<1x1x7x7xf32>
  return
}

// -----

func.func @attention_mask_integer(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x7x64xf32>, %v: tensor<1x8x7x64xf32>, %m: tensor<1x1x7x7xi8>) {
  // expected-error @+1 {{operand #3 must be 4D tensor of 1-bit signless integer or floating-point values}}
  %y = graph.attention %q, %k, %v, %m {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x1x7x7xi8>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>, %m: tensor<1x1x7x7xi1>) {
  // expected-error @+1 {{mask shape [1, 1, 7, 7] does not broadcast to the scores shape [B, Hq, S, L] = [1, 8, 7, 9]: dimension 3 must be 1 or 9}}
  %y = graph.attention %q, %k, %v, %m {scale = 0.125 : f32, causal = true} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>, tensor<1x1x7x7xi1>
  return
}

// -----

func.func @attention_softcap(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x7x64xf32>, %v: tensor<1x8x7x64xf32>) {
  // expected-error @+1 {{softcap must be >= 0 (0 disables it), got -3}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32, softcap = -3.0 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>, tensor<1x8x7x64xf32>
  return
}

// -----

func.func @attention_past_length_without_causal(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>) {
  // expected-error @+1 {{past_length only applies to causal attention (causal = true)}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32, past_length = 2 : i64} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>
  return
}

// -----

func.func @attention_past_operand_without_causal(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>, %past: tensor<i64>) {
  // expected-error @+1 {{a past operand only applies to causal attention (causal = true)}}
  %y = graph.attention %q, %k, %v past(%past : tensor<i64>) {scale = 0.125 : f32} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>
  return
}

// -----

func.func @attention_past_operand_and_attribute(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>, %past: tensor<i64>) {
  // expected-error @+1 {{takes the past length from the past operand or the past_length attribute, not both}}
  %y = graph.attention %q, %k, %v past(%past : tensor<i64>) {scale = 0.125 : f32, causal = true, past_length = 2 : i64} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>
  return
}

// -----

func.func @attention_past_operand_type(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>, %past: tensor<i32>) {
  // expected-error @+1 {{operand #3 must be 0D tensor of 64-bit signless integer values}}
  %y = graph.attention %q, %k, %v past(%past : tensor<i32>) {scale = 0.125 : f32, causal = true} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>
  return
}

// -----

func.func @attention_negative_past_length(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x9x64xf32>, %v: tensor<1x8x9x64xf32>) {
  // expected-error @+1 {{past_length must be >= 0, got -1}}
  %y = graph.attention %q, %k, %v {scale = 0.125 : f32, causal = true, past_length = -1 : i64} : tensor<1x8x7x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32>
  return
}

// -----

func.func @attention_scores_heads(%q: tensor<1x3x4x16xf32>, %k: tensor<1x2x9x16xf32>) {
  // expected-error @+1 {{number of query heads (3) must be a multiple of the number of key/value heads (2)}}
  %a = graph.attention_scores scaled %q, %k {scale = 0.25 : f32} : tensor<1x3x4x16xf32>, tensor<1x2x9x16xf32>
  return
}

// -----

func.func @attention_scores_stage(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x9x16xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'stage' [scaled, biased, probabilities]}}
  %a = graph.attention_scores %q, %k {scale = 0.25 : f32} : tensor<1x2x4x16xf32>, tensor<1x2x9x16xf32>
  return
}
