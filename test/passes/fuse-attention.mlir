// RUN: lathe-opt --lathe-fuse-attention %s -split-input-file | FileCheck %s

// f32 attention becomes one kernel op, written into an empty tensor; the
// run-time past length goes along.
// CHECK-LABEL: func.func @causal_past
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x4x16xf32>, %[[K:.+]]: tensor<1x2x32x16xf32>, %[[V:.+]]: tensor<1x2x32x8xf32>, %[[P:.+]]: tensor<i64>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<1x8x4x8xf32>
// CHECK: %[[Y:.+]] = dispatch.attention {causal = true, scale = 1.250000e-01 : f32} ins(%[[Q]], %[[K]], %[[V]] : {{.+}}) past(%[[P]] : tensor<i64>) outs(%[[INIT]] : tensor<1x8x4x8xf32>) -> tensor<1x8x4x8xf32>
// CHECK-NOT: graph.attention
// CHECK: return %[[Y]]
func.func @causal_past(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x32x16xf32>, %v: tensor<1x2x32x8xf32>, %past: tensor<i64>) -> tensor<1x8x4x8xf32> {
  %y = graph.attention %q, %k, %v past(%past : tensor<i64>) {scale = 0.125 : f32, causal = true}
      : tensor<1x8x4x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x8xf32>
  return %y : tensor<1x8x4x8xf32>
}

// -----

// A static past length and full attention keep their meaning.
// CHECK-LABEL: func.func @static_past_and_full
// CHECK: dispatch.attention {causal = true, past_length = 0 : i64, scale = 5.000000e-01 : f32}
// CHECK: dispatch.attention {scale = 5.000000e-01 : f32}
func.func @static_past_and_full(%q: tensor<2x3x4x8xf32>, %k: tensor<2x3x6x8xf32>, %v: tensor<2x3x6x8xf32>) -> (tensor<2x3x4x8xf32>, tensor<2x3x4x8xf32>) {
  %y = graph.attention %q, %k, %v {scale = 0.5 : f32, causal = true, past_length = 0 : i64}
      : tensor<2x3x4x8xf32>, tensor<2x3x6x8xf32>, tensor<2x3x6x8xf32>
  %z = graph.attention %q, %k, %v {scale = 0.5 : f32}
      : tensor<2x3x4x8xf32>, tensor<2x3x6x8xf32>, tensor<2x3x6x8xf32>
  return %y, %z : tensor<2x3x4x8xf32>, tensor<2x3x4x8xf32>
}

// -----

// A boolean mask becomes an additive f32 mask (0 where kept, -inf where
// dropped); a float mask and the softcap go along as they are.
// CHECK-LABEL: func.func @masks_softcap
// CHECK-SAME: (%[[Q:[a-z0-9_]+]]: {{.+}}, %[[K:[a-z0-9_]+]]: {{.+}}, %[[V:[a-z0-9_]+]]: {{.+}}, %[[BOOL:[a-z0-9_]+]]: tensor<1x1x3x5xi1>, %[[FLOAT:[a-z0-9_]+]]: tensor<1x2x1x5xf32>)
// CHECK: %[[BIAS:.+]] = linalg.generic {{.+}} ins(%[[BOOL]] : tensor<1x1x3x5xi1>) outs(%{{.+}} : tensor<1x1x3x5xf32>)
// CHECK:   %[[KEEP:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[DROP:.+]] = arith.constant 0xFF800000 : f32
// CHECK:   arith.select %{{.+}}, %[[KEEP]], %[[DROP]] : f32
// CHECK: dispatch.attention {scale = 5.000000e-01 : f32} ins(%[[Q]], %[[K]], %[[V]] : {{.+}}) mask(%[[BIAS]] : tensor<1x1x3x5xf32>)
// CHECK: dispatch.attention {causal = true, scale = 5.000000e-01 : f32, softcap = 2.000000e+01 : f32} ins(%[[Q]], %[[K]], %[[V]] : {{.+}}) mask(%[[FLOAT]] : tensor<1x2x1x5xf32>)
func.func @masks_softcap(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %mask: tensor<1x1x3x5xi1>,
                         %bias: tensor<1x2x1x5xf32>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) {
  %a = graph.attention %q, %k, %v, %mask {scale = 0.5 : f32}
      : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x1x3x5xi1>
  %b = graph.attention %q, %k, %v, %bias {scale = 0.5 : f32, causal = true, softcap = 20.0 : f32}
      : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x1x5xf32>
  return %a, %b : tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>
}

// -----

// f16 attention stays graph.attention, for lathe-lower-graph.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: dispatch.attention
// CHECK: graph.attention
// CHECK-NOT: dispatch.attention
func.func @not_fused(%qh: tensor<1x2x3x8xf16>, %kh: tensor<1x2x5x8xf16>, %vh: tensor<1x2x5x8xf16>) -> tensor<1x2x3x8xf16> {
  %c = graph.attention %qh, %kh, %vh {scale = 0.5 : f32}
      : tensor<1x2x3x8xf16>, tensor<1x2x5x8xf16>, tensor<1x2x5x8xf16>
  return %c : tensor<1x2x3x8xf16>
}
