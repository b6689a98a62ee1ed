// RUN: lathe-opt --lathe-lower-graph %s -split-input-file | FileCheck %s
// RUN: lathe-opt --lathe-lower-graph %s -split-input-file | FileCheck %s --check-prefix=NOGRAPH

// NOGRAPH-NOT: graph.

// Sum of squares in f32 for f16 input, then 1/sqrt(mean + eps) per row, then
// x * inv_rms * scale truncated back to f16.
// CHECK-LABEL: func.func @rms_norm_f16
// CHECK-SAME: (%[[X:.+]]: tensor<2x7x64xf16>, %[[W:.+]]: tensor<64xf16>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<2x7xf32>)
// CHECK: %[[SUMSQ:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<2x7x64xf16>) outs(%[[INIT]] : tensor<2x7xf32>)
// CHECK:   %[[E:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[SQ:.+]] = arith.mulf %[[E]], %[[E]] : f32
// CHECK:   arith.addf %{{.+}}, %[[SQ]] : f32
// CHECK: %[[INV:.+]] = linalg.generic {{.*}} ins(%[[SUMSQ]] : tensor<2x7xf32>) outs(%{{.+}} : tensor<2x7xf32>)
// CHECK:   arith.constant 6.400000e+01 : f32
// CHECK:   arith.divf
// CHECK:   arith.constant 9.99999997E-7 : f32
// CHECK:   arith.addf
// CHECK:   math.sqrt
// CHECK:   arith.divf
// CHECK: %[[Y:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[INV]], %[[W]] : tensor<2x7x64xf16>, tensor<2x7xf32>, tensor<64xf16>) outs(%{{.+}} : tensor<2x7x64xf16>)
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.truncf %{{.+}} : f32 to f16
// CHECK: return %[[Y]]
func.func @rms_norm_f16(%x: tensor<2x7x64xf16>, %w: tensor<64xf16>) -> tensor<2x7x64xf16> {
  %y = graph.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-6 : f32} : tensor<2x7x64xf16>, tensor<64xf16>
  return %y : tensor<2x7x64xf16>
}

// -----

// Two-pass statistics over the last two dims; mean and inv_std_dev come back
// with the reduced dims kept as ones.
// CHECK-LABEL: func.func @layer_norm_bias
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x8xf32>, %[[S:.+]]: tensor<3x8xf32>, %[[B:.+]]: tensor<3x8xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<2x3x8xf32>) outs(%{{.+}} : tensor<2xf32>)
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>)
// CHECK:   arith.constant 2.400000e+01 : f32
// CHECK:   arith.divf
// CHECK: %[[SQDEV:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<2x3x8xf32>, tensor<2xf32>) outs(%{{.+}} : tensor<2xf32>)
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[INV:.+]] = linalg.generic {{.*}} ins(%[[SQDEV]] : tensor<2xf32>)
// CHECK:   math.sqrt
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[INV]], %[[S]], %[[B]] : tensor<2x3x8xf32>, tensor<2xf32>, tensor<2xf32>, tensor<3x8xf32>, tensor<3x8xf32>)
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[MEAN_OUT:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1, 2]] output_shape [2, 1, 1] : tensor<2xf32> into tensor<2x1x1xf32>
// CHECK: %[[INV_OUT:.+]] = tensor.expand_shape %[[INV]] {{\[}}[0, 1, 2]] output_shape [2, 1, 1] : tensor<2xf32> into tensor<2x1x1xf32>
// CHECK: return %[[Y]], %[[MEAN_OUT]], %[[INV_OUT]]
func.func @layer_norm_bias(%x: tensor<2x3x8xf32>, %s: tensor<3x8xf32>, %b: tensor<3x8xf32>)
    -> (tensor<2x3x8xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %y, %mean, %inv = graph.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32}
      : tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>
  return %y, %mean, %inv : tensor<2x3x8xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// f64 input: statistics in f64, truncated to f32 for the statistics results;
// axis 0 reduces to rank-0 row tensors.
// CHECK-LABEL: func.func @layer_norm_all_dims_f64
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]} ins(%{{.+}} : tensor<3x4xf64>) outs(%{{.+}} : tensor<f64>)
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<3x4xf64>)
// CHECK-NOT: arith.addf
// CHECK: arith.truncf %{{.+}} : f64 to f32
// CHECK: tensor.expand_shape %{{.+}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: arith.truncf %{{.+}} : f64 to f32
// CHECK: tensor.expand_shape %{{.+}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @layer_norm_all_dims_f64(%x: tensor<3x4xf64>, %s: tensor<3x4xf64>)
    -> (tensor<3x4xf64>, tensor<1x1xf32>, tensor<1x1xf32>) {
  %y, %mean, %inv = graph.layer_norm %x, %s {axis = 0 : i64, epsilon = 1.0e-5 : f32}
      : tensor<3x4xf64>, tensor<3x4xf64>
  return %y, %mean, %inv : tensor<3x4xf64>, tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// Half rotation of the first 8 of 16 channels: pairs (i, i + 4); channels
// 8..15 keep the values of x, which is the destination of the inserts.
// CHECK-LABEL: func.func @rope_half_partial
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x5x16xf32>, %[[COS:.+]]: tensor<1x5x4xf32>, %[[SIN:.+]]: tensor<1x5x4xf32>)
// CHECK-DAG: %[[A:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 4, 5, 4] [1, 1, 1, 1]
// CHECK-DAG: %[[B:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 4] [1, 4, 5, 4] [1, 1, 1, 1]
// CHECK: %[[ROT:.+]]:2 = linalg.generic {{.*}} ins(%[[A]], %[[B]], %[[COS]], %[[SIN]] : {{.*}}) outs(%{{.+}}, %{{.+}} : tensor<1x4x5x4xf32>, tensor<1x4x5x4xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[Y0:.+]] = tensor.insert_slice %[[ROT]]#0 into %[[X]][0, 0, 0, 0] [1, 4, 5, 4] [1, 1, 1, 1]
// CHECK: %[[Y1:.+]] = tensor.insert_slice %[[ROT]]#1 into %[[Y0]][0, 0, 0, 4] [1, 4, 5, 4] [1, 1, 1, 1]
// CHECK: return %[[Y1]]
func.func @rope_half_partial(%x: tensor<1x4x5x16xf32>, %cos: tensor<1x5x4xf32>, %sin: tensor<1x5x4xf32>) -> tensor<1x4x5x16xf32> {
  %y = graph.rope %x, %cos, %sin {interleaved = false} : tensor<1x4x5x16xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32>
  return %y : tensor<1x4x5x16xf32>
}

// -----

// Adjacent pairs (2i, 2i + 1) over the whole head as stride-2 slices; the
// cos/sin tables of batch 1 are read by every batch entry.
// CHECK-DAG: #[[$TABLE:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d2, d3)>
// CHECK-LABEL: func.func @rope_interleaved_shared_table
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x5x8xbf16>
// CHECK-DAG: %[[A:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 4, 5, 4] [1, 1, 1, 2]
// CHECK-DAG: %[[B:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [2, 4, 5, 4] [1, 1, 1, 2]
// CHECK: %[[ROT:.+]]:2 = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[$TABLE]], #[[$TABLE]], #{{.+}}, #{{.+}}]
// CHECK:   arith.extf %{{.+}} : bf16 to f32
// CHECK:   arith.truncf %{{.+}} : f32 to bf16
// CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<2x4x5x8xbf16>
// CHECK: %[[Y0:.+]] = tensor.insert_slice %[[ROT]]#0 into %[[EMPTY]][0, 0, 0, 0] [2, 4, 5, 4] [1, 1, 1, 2]
// CHECK: tensor.insert_slice %[[ROT]]#1 into %[[Y0]][0, 0, 0, 1] [2, 4, 5, 4] [1, 1, 1, 2]
func.func @rope_interleaved_shared_table(%x: tensor<2x4x5x8xbf16>, %cos: tensor<1x5x4xbf16>, %sin: tensor<1x5x4xbf16>) -> tensor<2x4x5x8xbf16> {
  %y = graph.rope %x, %cos, %sin {interleaved = true} : tensor<2x4x5x8xbf16>, tensor<1x5x4xbf16>, tensor<1x5x4xbf16>
  return %y : tensor<2x4x5x8xbf16>
}

// -----

// Grouped-query attention: q is viewed as [B, Hkv, G, S, D] so that every
// map is a projection; causal with the default past length L - S = 4; the
// boolean mask broadcasts over heads; softcap with tanh; stable softmax.
// CHECK-DAG: #[[$Q:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[$K:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[$OUT6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[$MASK:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d3, d4)>
// CHECK-DAG: #[[$ID5:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @attention_gqa_causal_mask_softcap
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x3x16xf16>, %[[K:.+]]: tensor<1x2x7x16xf16>, %[[V:.+]]: tensor<1x2x7x16xf16>, %[[M:.+]]: tensor<1x1x3x7xi1>)
// CHECK: %[[QG:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 3, 16]
// CHECK: %[[SCORES:.+]] = linalg.generic {indexing_maps = [#[[$Q]], #[[$K]], #[[$OUT6]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QG]], %[[K]] : {{.*}}) outs(%{{.+}} : tensor<1x2x4x3x7xf32>)
// CHECK:   arith.extf
// CHECK:   arith.extf
// CHECK:   arith.mulf {{.+}} fastmath<reassoc,contract>
// CHECK:   arith.addf {{.+}} fastmath<reassoc,contract>
// CHECK: %[[LOGITS:.+]] = linalg.generic {indexing_maps = [#[[$ID5]], #[[$MASK]], #[[$ID5]]], {{.*}} ins(%[[SCORES]], %[[M]] : tensor<1x2x4x3x7xf32>, tensor<1x1x3x7xi1>)
// CHECK:   arith.constant 2.500000e-01 : f32
// CHECK:   arith.mulf
// CHECK:   arith.constant 3.000000e+01 : f32
// CHECK:   arith.divf
// CHECK:   math.tanh
// CHECK:   arith.mulf
// CHECK:   %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:   %[[MASK_BIAS:.+]] = arith.select %{{.+}}, %{{.+}}, %[[NEG_INF]] : f32
// CHECK:   %[[QUERY:.+]] = linalg.index 3 : index
// CHECK:   %[[KEY:.+]] = linalg.index 4 : index
// CHECK:   %[[DIST:.+]] = arith.subi %[[KEY]], %[[QUERY]] : index
// CHECK:   %[[PAST:.+]] = arith.constant 4 : index
// CHECK:   %[[VISIBLE:.+]] = arith.cmpi sle, %[[DIST]], %[[PAST]] : index
// CHECK:   %[[BIAS:.+]] = arith.select %[[VISIBLE]], %[[MASK_BIAS]], %[[NEG_INF]] : f32
// CHECK:   arith.addf %{{.+}}, %[[BIAS]] : f32
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[$ID5]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[LOGITS]] : {{.*}})
// CHECK:   arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic {{.*}} ins(%[[LOGITS]], %[[MAX]] : {{.*}})
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[$ID5]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[EXP]] : {{.*}})
// CHECK:   arith.addf
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]] : {{.*}}) outs(%{{.+}} : tensor<1x2x4x3x7xf16>)
// CHECK:   arith.divf
// CHECK:   arith.truncf %{{.+}} : f32 to f16
// The sum over keys (d4) is outside the loop over value channels (d5), so
// that each key's value row is read contiguously.
// CHECK: %[[PV:.+]] = linalg.generic {indexing_maps = [#[[$OUT6]], #[[$K]], #[[$Q]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[P]], %[[V]] : {{.*}}) outs(%{{.+}} : tensor<1x2x4x3x16xf32>)
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[PV]] : tensor<1x2x4x3x16xf32>) outs(%{{.+}} : tensor<1x2x4x3x16xf16>)
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x4x3x16xf16> into tensor<1x8x3x16xf16>
// CHECK: return %[[Y]]
func.func @attention_gqa_causal_mask_softcap(%q: tensor<1x8x3x16xf16>, %k: tensor<1x2x7x16xf16>, %v: tensor<1x2x7x16xf16>,
    %mask: tensor<1x1x3x7xi1>) -> tensor<1x8x3x16xf16> {
  %y = graph.attention %q, %k, %v, %mask {scale = 0.25 : f32, causal = true, softcap = 30.0 : f32}
      : tensor<1x8x3x16xf16>, tensor<1x2x7x16xf16>, tensor<1x2x7x16xf16>, tensor<1x1x3x7xi1>
  return %y : tensor<1x8x3x16xf16>
}

// -----

// A per-head float mask is split like q; an explicit past_length replaces
// L - S; no softcap, so no tanh.
// CHECK-LABEL: func.func @attention_head_mask_past_length
// CHECK-SAME: %[[M:[^:]+]]: tensor<2x4x3x9xf32>
// CHECK: %[[MG:.+]] = tensor.expand_shape %[[M]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 2, 3, 9]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[MG]] : tensor<2x2x2x3x9xf32>, tensor<2x2x2x3x9xf32>)
// CHECK-NOT: math.tanh
// CHECK:   arith.constant 4 : index
// CHECK:   arith.cmpi sle
// CHECK:   arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK:   arith.addf
// CHECK: tensor.collapse_shape {{.*}} into tensor<2x4x3x8xf32>
func.func @attention_head_mask_past_length(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x9x8xf32>, %v: tensor<2x2x9x8xf32>,
    %mask: tensor<2x4x3x9xf32>) -> tensor<2x4x3x8xf32> {
  %y = graph.attention %q, %k, %v, %mask {scale = 0.35 : f32, causal = true, past_length = 4 : i64}
      : tensor<2x4x3x8xf32>, tensor<2x2x9x8xf32>, tensor<2x2x9x8xf32>, tensor<2x4x3x9xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

// A run-time past length is a 0-D input of the logits generic.
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<(d0, d1, d2, d3, d4) -> ()>
// CHECK-LABEL: func.func @attention_past_operand
// CHECK-SAME: %[[P:[a-z0-9_]+]]: tensor<i64>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]], #[[$ID]]], {{.*}} ins(%{{.+}}, %[[P]] : tensor<1x2x2x2x16xf32>, tensor<i64>)
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %[[PAST:.+]]: i64, %{{.+}}: f32):
// CHECK:   %[[QUERY:.+]] = linalg.index 3
// CHECK:   %[[KEY:.+]] = linalg.index 4
// CHECK:   %[[DISTANCE:.+]] = arith.subi %[[KEY]], %[[QUERY]]
// CHECK:   %[[LIMIT:.+]] = arith.index_cast %[[PAST]] : i64 to index
// CHECK:   arith.cmpi sle, %[[DISTANCE]], %[[LIMIT]]
func.func @attention_past_operand(%q: tensor<1x4x2x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>,
    %past: tensor<i64>) -> tensor<1x4x2x8xf32> {
  %y = graph.attention %q, %k, %v past(%past : tensor<i64>) {scale = 0.5 : f32, causal = true}
      : tensor<1x4x2x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  return %y : tensor<1x4x2x8xf32>
}

// -----

// Attention scores: `scaled` stops after scale (and softcap), without the
// mask or the causal bias; `probabilities` adds them and takes the softmax;
// both are collapsed back to [B, Hq, S, L].
// CHECK-LABEL: func.func @attention_scores
// CHECK-SAME: %[[M:[a-z0-9_]+]]: tensor<1x1x2x6xf32>
// CHECK: %[[S0:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: %[[L0:.+]] = linalg.generic {{.+}} ins(%[[S0]] : tensor<1x2x2x2x6xf32>)
// CHECK-NOT: arith.cmpi
// CHECK: tensor.collapse_shape %[[L0]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x2x6xf32> into tensor<1x4x2x6xf32>
// CHECK: %[[S1:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: linalg.generic {{.+}} ins(%[[S1]], %[[M]] : tensor<1x2x2x2x6xf32>, tensor<1x1x2x6xf32>)
// CHECK:   arith.cmpi sle
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: %[[P:.+]] = linalg.generic
// CHECK:   arith.divf
// CHECK: tensor.collapse_shape %[[P]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x2x6xf32> into tensor<1x4x2x6xf32>
func.func @attention_scores(%q: tensor<1x4x2x8xf32>, %k: tensor<1x2x6x8xf32>, %mask: tensor<1x1x2x6xf32>) -> (tensor<1x4x2x6xf32>, tensor<1x4x2x6xf32>) {
  %a = graph.attention_scores scaled %q, %k, %mask {scale = 0.5 : f32, causal = true}
      : tensor<1x4x2x8xf32>, tensor<1x2x6x8xf32>, tensor<1x1x2x6xf32>
  %b = graph.attention_scores probabilities %q, %k, %mask {scale = 0.5 : f32, causal = true}
      : tensor<1x4x2x8xf32>, tensor<1x2x6x8xf32>, tensor<1x1x2x6xf32>
  return %a, %b : tensor<1x4x2x6xf32>, tensor<1x4x2x6xf32>
}

// -----

// No mask and not causal: the logits are just the scaled scores.
// CHECK-LABEL: func.func @attention_plain
// CHECK: linalg.generic {{.*}} ins(%{{.+}} : tensor<2x4x1x3x5xf32>) outs(%{{.+}} : tensor<2x4x1x3x5xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   arith.constant 5.000000e-01 : f32
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   linalg.yield
// CHECK: tensor.collapse_shape {{.*}} : tensor<2x4x1x3x6xf32> into tensor<2x4x3x6xf32>
func.func @attention_plain(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x5x8xf32>, %v: tensor<2x4x5x6xf32>) -> tensor<2x4x3x6xf32> {
  %y = graph.attention %q, %k, %v {scale = 0.5 : f32} : tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x6xf32>
  return %y : tensor<2x4x3x6xf32>
}
