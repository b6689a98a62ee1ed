// RUN: lathe-opt %s | lathe-opt | FileCheck %s
// RUN: lathe-opt %s --mlir-print-op-generic | lathe-opt | FileCheck %s

// K follows from the row bytes: q8_0 3 x 34 bytes -> 96 weights, f32 4 x 4
// bytes -> 4 weights.

// CHECK-LABEL: func.func @q8_0_rows
func.func @q8_0_rows(%table: tensor<11x102xi8>, %ids: tensor<5xi32>) -> tensor<5x96xf32> {
  // CHECK: graph.quantized_gather q8_0 %{{.*}}, %{{.*}} : tensor<11x102xi8>, tensor<5xi32>
  %y = graph.quantized_gather q8_0 %table, %ids : tensor<11x102xi8>, tensor<5xi32>
  return %y : tensor<5x96xf32>
}

// CHECK-LABEL: func.func @f32_rows
func.func @f32_rows(%table: tensor<3x16xi8>, %ids: tensor<1xi32>) -> tensor<1x4xf32> {
  // CHECK: graph.quantized_gather f32 %{{.*}}, %{{.*}} : tensor<3x16xi8>, tensor<1xi32>
  %y = graph.quantized_gather f32 %table, %ids : tensor<3x16xi8>, tensor<1xi32>
  return %y : tensor<1x4xf32>
}
