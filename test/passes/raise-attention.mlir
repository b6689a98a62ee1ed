// RUN: lathe-opt --lathe-raise-attention --split-input-file %s | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
#keys = affine_map<(d0, d1, d2, d3) -> (0, 0, 0, d3)>

// As exporters write it: Q K^T on [B*H, ., .] matrices, reshaped to
// [B, H, S, L], divided by sqrt(D), plus a [1, 1, 1, L] padding mask,
// softmax over the keys, times V. One graph.attention on the [B, H, ., .]
// views (K transposed back) with scale 1/8 and the mask; its result is
// collapsed to the second matmul's shape, and the chain is gone.
// CHECK-LABEL: func.func @exporter_form
// CHECK-SAME: (%[[Q:.+]]: tensor<8x16x64xf32>, %[[KT:.+]]: tensor<8x64x24xf32>, %[[V:.+]]: tensor<8x24x32xf32>, %[[MASK:.+]]: tensor<1x1x1x24xf32>)
// CHECK-DAG: %[[Q4:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1], [2], [3]] output_shape [2, 4, 16, 64] : tensor<8x16x64xf32> into tensor<2x4x16x64xf32>
// CHECK-DAG: %[[KT4:.+]] = tensor.expand_shape %[[KT]] {{\[}}[0, 1], [2], [3]] output_shape [2, 4, 64, 24] : tensor<8x64x24xf32> into tensor<2x4x64x24xf32>
// CHECK-DAG: %[[K4:.+]] = linalg.transpose ins(%[[KT4]] : tensor<2x4x64x24xf32>) outs(%{{.+}} : tensor<2x4x24x64xf32>) permutation = [0, 1, 3, 2]
// CHECK-DAG: %[[V4:.+]] = tensor.expand_shape %[[V]] {{\[}}[0, 1], [2], [3]] output_shape [2, 4, 24, 32] : tensor<8x24x32xf32> into tensor<2x4x24x32xf32>
// CHECK: %[[Y:.+]] = graph.attention %[[Q4]], %[[K4]], %[[V4]], %[[MASK]] {scale = 1.250000e-01 : f32} : tensor<2x4x16x64xf32>, tensor<2x4x24x64xf32>, tensor<2x4x24x32xf32>, tensor<1x1x1x24xf32>
// CHECK: %[[R:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1], [2], [3]] : tensor<2x4x16x32xf32> into tensor<8x16x32xf32>
// CHECK: return %[[R]]
// CHECK-NOT: linalg.softmax
// CHECK-NOT: linalg.batch_matmul
func.func @exporter_form(%q: tensor<8x16x64xf32>, %kt: tensor<8x64x24xf32>, %v: tensor<8x24x32xf32>, %mask: tensor<1x1x1x24xf32>) -> tensor<8x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %sqrt = arith.constant dense<8.0> : tensor<f32>
  %e0 = tensor.empty() : tensor<8x16x24xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<8x16x64xf32>, tensor<8x64x24xf32>) outs(%f0 : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 16, 24] : tensor<8x16x24xf32> into tensor<2x4x16x24xf32>
  %e1 = tensor.empty() : tensor<2x4x16x24xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s4, %sqrt : tensor<2x4x16x24xf32>, tensor<f32>) outs(%e1 : tensor<2x4x16x24xf32>) {
  ^bb0(%x: f32, %c: f32, %o: f32):
    %d = arith.divf %x, %c : f32
    linalg.yield %d : f32
  } -> tensor<2x4x16x24xf32>
  %e2 = tensor.empty() : tensor<2x4x16x24xf32>
  %masked = linalg.generic {indexing_maps = [#id, #keys, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled, %mask : tensor<2x4x16x24xf32>, tensor<1x1x1x24xf32>) outs(%e2 : tensor<2x4x16x24xf32>) {
  ^bb0(%x: f32, %m: f32, %o: f32):
    %a = arith.addf %x, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x4x16x24xf32>
  %e3 = tensor.empty() : tensor<2x4x16x24xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x4x16x24xf32>) outs(%e3 : tensor<2x4x16x24xf32>) -> tensor<2x4x16x24xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x16x24xf32> into tensor<8x16x24xf32>
  %e4 = tensor.empty() : tensor<8x16x32xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  %y = linalg.batch_matmul ins(%p3, %v : tensor<8x16x24xf32>, tensor<8x24x32xf32>) outs(%f4 : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  return %y : tensor<8x16x32xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#splat = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Rank-3 scores, scaled by a multiplication with the constant first, no
// mask: one batch of N heads, scale 0.25.
// CHECK-LABEL: func.func @three_dims
// CHECK: graph.attention %{{.+}}, %{{.+}}, %{{.+}} {scale = 2.500000e-01 : f32} : tensor<1x3x5x4xf32>, tensor<1x3x6x4xf32>, tensor<1x3x6x4xf32>
// CHECK-NOT: linalg.softmax
func.func @three_dims(%q: tensor<3x5x4xf32>, %kt: tensor<3x4x6xf32>, %v: tensor<3x6x4xf32>) -> tensor<3x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant dense<0.25> : tensor<3x5x6xf32>
  %e0 = tensor.empty() : tensor<3x5x6xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<3x5x4xf32>, tensor<3x4x6xf32>) outs(%f0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e1 = tensor.empty() : tensor<3x5x6xf32>
  %scaled = linalg.generic {indexing_maps = [#splat, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%quarter, %s : tensor<3x5x6xf32>, tensor<3x5x6xf32>) outs(%e1 : tensor<3x5x6xf32>) {
  ^bb0(%c: f32, %x: f32, %o: f32):
    %m = arith.mulf %c, %x : f32
    linalg.yield %m : f32
  } -> tensor<3x5x6xf32>
  %e2 = tensor.empty() : tensor<3x5x6xf32>
  %p = linalg.softmax dimension(2) ins(%scaled : tensor<3x5x6xf32>) outs(%e2 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e3 = tensor.empty() : tensor<3x5x4xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  %y = linalg.batch_matmul ins(%p, %v : tensor<3x5x6xf32>, tensor<3x6x4xf32>) outs(%f3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  return %y : tensor<3x5x4xf32>
}

// -----

// Left alone: the softmax is not over the keys; the scores have another
// user; the constant divides instead of being divided.
// CHECK-LABEL: func.func @not_over_keys
// CHECK: linalg.softmax
// CHECK-NOT: graph.attention
// CHECK-LABEL: func.func @scores_used_twice
// CHECK: linalg.softmax
// CHECK-NOT: graph.attention
// CHECK-LABEL: func.func @constant_divided
// CHECK: linalg.softmax
// CHECK-NOT: graph.attention
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#scalar3 = affine_map<(d0, d1, d2) -> ()>
func.func @not_over_keys(%q: tensor<3x5x4xf32>, %kt: tensor<3x4x6xf32>, %v: tensor<3x6x4xf32>) -> tensor<3x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<3x5x6xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<3x5x4xf32>, tensor<3x4x6xf32>) outs(%f0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e2 = tensor.empty() : tensor<3x5x6xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<3x5x6xf32>) outs(%e2 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e3 = tensor.empty() : tensor<3x5x4xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  %y = linalg.batch_matmul ins(%p, %v : tensor<3x5x6xf32>, tensor<3x6x4xf32>) outs(%f3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  return %y : tensor<3x5x4xf32>
}
func.func @scores_used_twice(%q: tensor<3x5x4xf32>, %kt: tensor<3x4x6xf32>, %v: tensor<3x6x4xf32>) -> (tensor<3x5x4xf32>, tensor<3x5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<3x5x6xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<3x5x4xf32>, tensor<3x4x6xf32>) outs(%f0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e2 = tensor.empty() : tensor<3x5x6xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<3x5x6xf32>) outs(%e2 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e3 = tensor.empty() : tensor<3x5x4xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  %y = linalg.batch_matmul ins(%p, %v : tensor<3x5x6xf32>, tensor<3x6x4xf32>) outs(%f3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  return %y, %s : tensor<3x5x4xf32>, tensor<3x5x6xf32>
}
func.func @constant_divided(%q: tensor<3x5x4xf32>, %kt: tensor<3x4x6xf32>, %v: tensor<3x6x4xf32>) -> tensor<3x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant dense<2.0> : tensor<f32>
  %e0 = tensor.empty() : tensor<3x5x6xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<3x5x4xf32>, tensor<3x4x6xf32>) outs(%f0 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e1 = tensor.empty() : tensor<3x5x6xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, #scalar3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %two : tensor<3x5x6xf32>, tensor<f32>) outs(%e1 : tensor<3x5x6xf32>) {
  ^bb0(%x: f32, %c: f32, %o: f32):
    %d = arith.divf %c, %x : f32
    linalg.yield %d : f32
  } -> tensor<3x5x6xf32>
  %e2 = tensor.empty() : tensor<3x5x6xf32>
  %p = linalg.softmax dimension(2) ins(%scaled : tensor<3x5x6xf32>) outs(%e2 : tensor<3x5x6xf32>) -> tensor<3x5x6xf32>
  %e3 = tensor.empty() : tensor<3x5x4xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  %y = linalg.batch_matmul ins(%p, %v : tensor<3x5x6xf32>, tensor<3x6x4xf32>) outs(%f3 : tensor<3x5x4xf32>) -> tensor<3x5x4xf32>
  return %y : tensor<3x5x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
#causal = affine_map<(d0, d1, d2, d3) -> (0, 0, d2, d3)>
#padding = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>

// GPT-2's form: Where(keep, scores, lowest) for causality, then an added
// padding mask. Both become one f32 mask of their combined shape,
// padding + select(keep, 0, lowest).
// CHECK-LABEL: func.func @where_and_padding
// CHECK-SAME: (%{{.+}}: tensor<4x5x4xf32>, %{{.+}}: tensor<4x4x5xf32>, %{{.+}}: tensor<4x5x4xf32>, %[[KEEP:.+]]: tensor<1x1x5x5xi1>, %[[PAD:.+]]: tensor<2x1x1x5xf32>)
// CHECK: %[[MASK:.+]] = linalg.generic {{.+}} ins(%[[PAD]], %[[KEEP]] : tensor<2x1x1x5xf32>, tensor<1x1x5x5xi1>) outs(%{{.+}} : tensor<2x1x5x5xf32>)
// CHECK: arith.addf
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
// CHECK: arith.addf
// CHECK: graph.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[MASK]] {scale = 1.000000e+00 : f32} : tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x1x5x5xf32>
// CHECK-NOT: linalg.softmax
func.func @where_and_padding(%q: tensor<4x5x4xf32>, %kt: tensor<4x4x5xf32>, %v: tensor<4x5x4xf32>, %keep: tensor<1x1x5x5xi1>, %pad: tensor<2x1x1x5xf32>) -> tensor<4x5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %e0 = tensor.empty() : tensor<4x5x5xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x5x5xf32>) -> tensor<4x5x5xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x5x4xf32>, tensor<4x4x5xf32>) outs(%f0 : tensor<4x5x5xf32>) -> tensor<4x5x5xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 2, 5, 5] : tensor<4x5x5xf32> into tensor<2x2x5x5xf32>
  %e1 = tensor.empty() : tensor<2x2x5x5xf32>
  %causal = linalg.generic {indexing_maps = [#causal, #id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%keep, %s4, %lowest : tensor<1x1x5x5xi1>, tensor<2x2x5x5xf32>, tensor<f32>) outs(%e1 : tensor<2x2x5x5xf32>) {
  ^bb0(%k: i1, %x: f32, %l: f32, %o: f32):
    %w = arith.select %k, %x, %l : f32
    linalg.yield %w : f32
  } -> tensor<2x2x5x5xf32>
  %e2 = tensor.empty() : tensor<2x2x5x5xf32>
  %masked = linalg.generic {indexing_maps = [#id, #padding, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%causal, %pad : tensor<2x2x5x5xf32>, tensor<2x1x1x5xf32>) outs(%e2 : tensor<2x2x5x5xf32>) {
  ^bb0(%x: f32, %m: f32, %o: f32):
    %a = arith.addf %x, %m : f32
    linalg.yield %a : f32
  } -> tensor<2x2x5x5xf32>
  %e3 = tensor.empty() : tensor<2x2x5x5xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x5x5xf32>) outs(%e3 : tensor<2x2x5x5xf32>) -> tensor<2x2x5x5xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x2x5x5xf32> into tensor<4x5x5xf32>
  %e4 = tensor.empty() : tensor<4x5x4xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4x5x4xf32>) -> tensor<4x5x4xf32>
  %y = linalg.batch_matmul ins(%p3, %v : tensor<4x5x5xf32>, tensor<4x5x4xf32>) outs(%f4 : tensor<4x5x4xf32>) -> tensor<4x5x4xf32>
  return %y : tensor<4x5x4xf32>
}
