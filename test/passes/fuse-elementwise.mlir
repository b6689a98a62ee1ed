// RUN: lathe-opt --lathe-fuse-elementwise %s -split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#x = affine_map<(m, n, k) -> (m, k)>
#y = affine_map<(m, n, k) -> (m, n)>

// Elementwise producers fuse into their consumers...
// CHECK-LABEL: func.func @fuses
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
func.func @fuses(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%0 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#x = affine_map<(m, n, k) -> (m, k)>
#y = affine_map<(m, n, k) -> (m, n)>

// ...but never into or out of a quantized matmul, which keeps its (m, n, k)
// form and its mark.
// CHECK-LABEL: func.func @keeps_quantized_matmul
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<2x64xf32>)
// CHECK: %[[QMM:.+]] = linalg.generic {{.+}}iterator_types = ["parallel", "parallel", "reduction"]{{.+}}lathe.quantized_matmul = 8 : i32
// CHECK: linalg.generic {{.+}} ins(%[[QMM]] : tensor<2x4xf32>)
func.func @keeps_quantized_matmul(%a: tensor<2x64xf32>, %w: tensor<4x68xi8>, %init: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %e = tensor.empty() : tensor<2x64xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<2x64xf32>) outs(%e : tensor<2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<2x64xf32>
  %y = linalg.generic {indexing_maps = [#x, #y], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x64xf32>) outs(%init : tensor<2x4xf32>) attrs = {lathe.quantized_matmul = 8 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %k = linalg.index 2 : index
    %q = tensor.extract %w[%n, %k] : tensor<4x68xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<2x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<2x4xf32>) outs(%e2 : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Nor into or out of a contraction: the matmul stays a linalg.matmul (its
// elementwise producer is not folded into it, and the reshape of its result
// does not expand its loops), so that targets still see a matmul.
// CHECK-LABEL: func.func @keeps_matmul
// CHECK: %[[NEG:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<8x16xf32>)
// CHECK: %[[MM:.+]] = linalg.matmul ins(%[[NEG]], %{{.+}} : tensor<8x16xf32>, tensor<16x12xf32>)
// CHECK: %[[HEADS:.+]] = tensor.expand_shape %[[MM]]
// CHECK: linalg.generic {{.+}} ins(%[[HEADS]] : tensor<8x3x4xf32>)
func.func @keeps_matmul(%a: tensor<8x16xf32>, %b: tensor<16x12xf32>, %init: tensor<8x12xf32>) -> tensor<8x3x4xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8x16xf32>
  %y = linalg.matmul ins(%x, %b : tensor<8x16xf32>, tensor<16x12xf32>) outs(%init : tensor<8x12xf32>) -> tensor<8x12xf32>
  %h = tensor.expand_shape %y [[0], [1, 2]] output_shape [8, 3, 4] : tensor<8x12xf32> into tensor<8x3x4xf32>
  %e2 = tensor.empty() : tensor<8x3x4xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%h : tensor<8x3x4xf32>) outs(%e2 : tensor<8x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8x3x4xf32>
  return %z : tensor<8x3x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A transpose of a computed value becomes a generic and fuses with its
// elementwise producer (one loop nest writes the transposed sum); a
// transpose of a constant (a weight for compile-time layout) stays.
// CHECK-LABEL: func.func @transposes
// CHECK: %[[T:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<8x4xf32>, tensor<8x4xf32>) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: %[[W:.+]] = linalg.transpose ins(%{{.+}} : tensor<4x8xf32>)
// CHECK: return %[[T]], %[[W]]
func.func @transposes(%a: tensor<8x4xf32>, %b: tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %e = tensor.empty() : tensor<8x4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  %et = tensor.empty() : tensor<4x8xf32>
  %t = linalg.transpose ins(%sum : tensor<8x4xf32>) outs(%et : tensor<4x8xf32>) permutation = [1, 0]
  %c = arith.constant dense<1.0> : tensor<4x8xf32>
  %ew = tensor.empty() : tensor<8x4xf32>
  %w = linalg.transpose ins(%c : tensor<4x8xf32>) outs(%ew : tensor<8x4xf32>) permutation = [1, 0]
  return %t, %w : tensor<4x8xf32>, tensor<8x4xf32>
}
