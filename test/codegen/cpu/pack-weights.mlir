// RUN: lathe-opt --lathe-cpu-pack-weights=register-width=2 --split-input-file %s | FileCheck %s

// B[k, n] = 10 k + n becomes two panels of two columns, Bp[j, k, l] =
// B[k, 2 j + l]; the zero fill moves to C's panel view, and the result is
// the view collapsed back.
// CHECK-LABEL: func.func @constant
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[PANELS:.+]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00], [1.000000e+01, 1.100000e+01], [2.000000e+01, 2.100000e+01]], {{\[\[}}2.000000e+00, 3.000000e+00], [1.200000e+01, 1.300000e+01], [2.200000e+01, 2.300000e+01]]]> : tensor<2x3x2xf32>
// CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<5x2x2xf32>
// CHECK: %[[FILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<5x2x2xf32>)
// CHECK: %[[PRODUCT:.+]] = linalg.generic {indexing_maps = [#[[A:.+]], #[[B:.+]], #[[C:.+]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%arg0, %[[PANELS]] : tensor<5x3xf32>, tensor<2x3x2xf32>) outs(%[[FILL]] : tensor<5x2x2xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[RESULT:.+]] = tensor.collapse_shape %[[PRODUCT]] {{\[}}[0], [1, 2]] : tensor<5x2x2xf32> into tensor<5x4xf32>
// CHECK: return %[[RESULT]]
// CHECK-NOT: linalg.matmul
func.func @constant(%a: tensor<5x3xf32>) -> tensor<5x4xf32> attributes {lathe.entry} {
  %b = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 13.0], [20.0, 21.0, 22.0, 23.0]]> : tensor<3x4xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<5x4xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<5x4xf32>) -> tensor<5x4xf32>
  %r = linalg.matmul ins(%a, %b : tensor<5x3xf32>, tensor<3x4xf32>) outs(%c : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %r : tensor<5x4xf32>
}

// -----

// B as the transpose of a constant Bt[n, k] (ONNX Gemm with transB): the
// panels come from Bt, the transpose goes; C that is not a fill is
// expanded to the panel view.
// CHECK-LABEL: func.func @transposed
// CHECK: %[[PANELS:.+]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00], [1.000000e+01, 1.100000e+01]]]> : tensor<1x2x2xf32>
// CHECK: %[[VIEW:.+]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [3, 1, 2] : tensor<3x2xf32> into tensor<3x1x2xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %[[PANELS]] : tensor<3x2xf32>, tensor<1x2x2xf32>) outs(%[[VIEW]] : tensor<3x1x2xf32>)
// CHECK-NOT: linalg.transpose
func.func @transposed(%a: tensor<3x2xf32>, %c: tensor<3x2xf32>) -> tensor<3x2xf32> attributes {lathe.entry} {
  %bt = arith.constant dense<[[0.0, 10.0], [1.0, 11.0]]> : tensor<2x2xf32>
  %empty = tensor.empty() : tensor<2x2xf32>
  %b = linalg.transpose ins(%bt : tensor<2x2xf32>) outs(%empty : tensor<2x2xf32>) permutation = [1, 0]
  %r = linalg.matmul ins(%a, %b : tensor<3x2xf32>, tensor<2x2xf32>) outs(%c : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// A splat constant stays a splat.
// CHECK-LABEL: func.func @splat
// CHECK: arith.constant dense<5.000000e-01> : tensor<2x8x2xf32>
// CHECK: linalg.generic
func.func @splat(%a: tensor<4x8xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> attributes {lathe.entry} {
  %b = arith.constant dense<0.5> : tensor<8x4xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// Unchanged: B computed at run time, N not a multiple of the panel width,
// f16, and a matmul outside an entry function.
// CHECK-LABEL: func.func @unchanged
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func @not_an_entry
// CHECK: linalg.matmul
func.func @unchanged(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>,
                     %c3: tensor<4x3xf32>, %a16: tensor<4x8xf16>, %c16: tensor<4x4xf16>)
    -> (tensor<4x4xf32>, tensor<4x3xf32>, tensor<4x4xf16>) attributes {lathe.entry} {
  %r0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  %b3 = arith.constant dense<1.0> : tensor<8x3xf32>
  %r1 = linalg.matmul ins(%a, %b3 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%c3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %b16 = arith.constant dense<1.0> : tensor<8x4xf16>
  %r2 = linalg.matmul ins(%a16, %b16 : tensor<4x8xf16>, tensor<8x4xf16>) outs(%c16 : tensor<4x4xf16>) -> tensor<4x4xf16>
  return %r0, %r1, %r2 : tensor<4x4xf32>, tensor<4x3xf32>, tensor<4x4xf16>
}
func.func @not_an_entry(%a: tensor<4x8xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %b = arith.constant dense<1.0> : tensor<8x4xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

