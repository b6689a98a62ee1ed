// RUN: lathe-opt %s -split-input-file -verify-diagnostics

func.func private @k(%a: memref<4xf32>) attributes {dispatch.kernel} {
  return
}
func.func @zero_workgroups(%a: memref<4xf32>) {
  // expected-error @+1 {{attribute 'workgroup_count' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  dispatch.launch @k[0](%a) : memref<4xf32>
  return
}

// -----

func.func private @k(%a: memref<4xf32>) attributes {dispatch.kernel} {
  return
}
func.func @negative_workgroups(%a: memref<4xf32>) {
  // expected-error @+1 {{'workgroup_count' failed to satisfy constraint}}
  dispatch.launch @k[-2](%a) : memref<4xf32>
  return
}

// -----

func.func private @k(%a: memref<?xf32>) attributes {dispatch.kernel} {
  return
}
func.func @dynamic_binding(%a: memref<?xf32>) {
  // expected-error @+1 {{operand #0 must be variadic of statically shaped memref of any type values}}
  dispatch.launch @k[1](%a) : memref<?xf32>
  return
}

// -----

func.func private @k(%a: tensor<4xf32>) attributes {dispatch.kernel} {
  return
}
func.func @tensor_binding(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be variadic of statically shaped memref of any type values}}
  dispatch.launch @k[1](%a) : tensor<4xf32>
  return
}

// -----

func.func private @k(%a: memref<4xf32>, %b: memref<2xf32, strided<[2]>>) attributes {dispatch.kernel} {
  return
}
func.func @strided_binding(%a: memref<4xf32>, %b: memref<2xf32, strided<[2]>>) {
  // expected-error @+1 {{binding #1 must have the identity layout}}
  dispatch.launch @k[1](%a, %b) : memref<4xf32>, memref<2xf32, strided<[2]>>
  return
}

// -----

func.func @missing_kernel(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'nowhere' is not a func.func}}
  dispatch.launch @nowhere[1](%a) : memref<4xf32>
  return
}

// -----

memref.global "private" @table : memref<4xf32> = dense<0.0>
func.func @kernel_is_a_global(%a: memref<4xf32>) {
  // expected-error @+1 {{kernel 'table' is not a func.func}}
  dispatch.launch @table[1](%a) : memref<4xf32>
  return
}

// -----

func.func private @plain(%a: memref<4xf32>) {
  return
}
func.func @unmarked_kernel(%a: memref<4xf32>) {
  // expected-error @+1 {{'plain' is not marked dispatch.kernel}}
  dispatch.launch @plain[1](%a) : memref<4xf32>
  return
}

// -----

func.func private @k(%a: memref<4xf32>, %b: memref<4xf32>) attributes {dispatch.kernel} {
  return
}
func.func @too_few_bindings(%a: memref<4xf32>) {
  // expected-error @+1 {{binding types do not match the signature of 'k'}}
  dispatch.launch @k[1](%a) : memref<4xf32>
  return
}

// -----

func.func private @k(%a: memref<4xf32>) attributes {dispatch.kernel} {
  return
}
func.func @wrong_binding_type(%a: memref<4xf16>) {
  // expected-error @+1 {{binding types do not match the signature of 'k'}}
  dispatch.launch @k[1](%a) : memref<4xf16>
  return
}

// -----

func.func @workgroup_id_on_host() {
  // expected-error @+1 {{'dispatch.workgroup_id' op must be inside a func.func marked dispatch.kernel}}
  %wg = dispatch.workgroup_id
  return
}

// -----

llvm.func @workgroup_id_outside_func_func() attributes {dispatch.kernel} {
  // expected-error @+1 {{'dispatch.workgroup_id' op must be inside a func.func marked dispatch.kernel}}
  %wg = dispatch.workgroup_id
  llvm.return
}

// -----

func.func private @workgroup_id_not_index() attributes {dispatch.kernel} {
  // expected-error @+1 {{'dispatch.workgroup_id' op result #0 must be index, but got 'i32'}}
  %wg = "dispatch.workgroup_id"() : () -> i32
  return
}

// -----

// expected-error @+1 {{'dispatch.kernel' must be a unit attribute}}
func.func private @kernel_attr_not_unit() attributes {dispatch.kernel = 1 : i64} {
  return
}

// -----

// expected-error @+1 {{'dispatch.kernel' may only be attached to a function}}
memref.global "private" @not_a_function : memref<4xf32> = dense<0.0> {dispatch.kernel}

// -----

// expected-error @+1 {{kernel 'returns_value' must not return values; it writes its bindings}}
func.func private @returns_value() -> index attributes {dispatch.kernel} {
  %c0 = arith.constant 0 : index
  return %c0 : index
}

// -----

// expected-error @+1 {{unknown dispatch dialect attribute 'dispatch.kernal'}}
func.func private @misspelled() attributes {dispatch.kernal} {
  return
}

// -----

func.func @attention_mixed(%q: tensor<1x2x3x8xf32>, %k: memref<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{operands must be all ranked tensors or all memrefs}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, memref<1x2x5x8xf32>, tensor<1x2x5x8xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_memref_result(%q: memref<1x2x3x8xf32>, %k: memref<1x2x5x8xf32>, %v: memref<1x2x5x8xf32>, %init: memref<1x2x3x8xf32>) {
  // expected-error @+1 {{must have no results with memref operands}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : memref<1x2x3x8xf32>, memref<1x2x5x8xf32>, memref<1x2x5x8xf32>) outs(%init : memref<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_f16(%q: tensor<1x2x3x8xf16>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{q must be a statically shaped 4-D f32 value, not 'tensor<1x2x3x8xf16>'}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf16>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %init: tensor<1x3x3x8xf32>) {
  // expected-error @+1 {{expects q [B, Hq, S, D], k [B, Hkv, L, D] and v [B, Hkv, L, Dv] with Hq a multiple of Hkv, got q [1, 3, 3, 8], k [1, 2, 5, 8], v [1, 2, 5, 8]}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x3x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) outs(%init : tensor<1x3x3x8xf32>) -> tensor<1x3x3x8xf32>
  return
}

// -----

func.func @attention_init(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x4xf32>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{init must have shape [B, Hq, S, Dv] = [1, 2, 3, 4], not [1, 2, 3, 8]}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x4xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_past_type(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %past: tensor<1xi64>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{past must be a 0-D i64 value, not 'tensor<1xi64>'}}
  %y = dispatch.attention {scale = 1.0 : f32, causal = true} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) past(%past : tensor<1xi64>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_past_twice(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %past: tensor<i64>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{takes the past length from the past operand or the past_length attribute, not both}}
  %y = dispatch.attention {scale = 1.0 : f32, causal = true, past_length = 2 : i64} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) past(%past : tensor<i64>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_past_not_causal(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %past: tensor<i64>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{a past length needs causal = true}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) past(%past : tensor<i64>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %mask: tensor<1x2x3x4xf32>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{mask must be a statically shaped 4-D f32 value whose dimensions are 1 or those of [B, Hq, S, L] = [1, 2, 3, 5], not 'tensor<1x2x3x4xf32>'}}
  %y = dispatch.attention {scale = 1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) mask(%mask : tensor<1x2x3x4xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}

// -----

func.func @attention_softcap(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %init: tensor<1x2x3x8xf32>) {
  // expected-error @+1 {{softcap must be >= 0 (0 disables it)}}
  %y = dispatch.attention {scale = 1.0 : f32, softcap = -1.0 : f32} ins(%q, %k, %v : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) outs(%init : tensor<1x2x3x8xf32>) -> tensor<1x2x3x8xf32>
  return
}
