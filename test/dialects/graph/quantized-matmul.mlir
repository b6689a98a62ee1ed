// RUN: lathe-opt %s | lathe-opt | FileCheck %s
// RUN: lathe-opt %s --mlir-print-op-generic | lathe-opt | FileCheck %s

// Row bytes per format for K = 64: q8_0 2 x 34, q4_0 2 x 18, q4_1 2 x 20,
// f16/bf16 64 x 2, f32 64 x 4; for K = 512: q4_K 2 x 144, q6_K 2 x 210.

// CHECK-LABEL: func.func @q8_0_matvec
func.func @q8_0_matvec(%x: tensor<1x64xf32>, %w: tensor<9x68xi8>) -> tensor<1x9xf32> {
  // CHECK: %{{.*}} = graph.quantized_matmul q8_0 %{{.*}}, %{{.*}} : tensor<1x64xf32>, tensor<9x68xi8>
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x64xf32>, tensor<9x68xi8>
  return %y : tensor<1x9xf32>
}

// CHECK-LABEL: func.func @q4_0
func.func @q4_0(%x: tensor<5x64xf32>, %w: tensor<8x36xi8>) -> tensor<5x8xf32> {
  // CHECK: graph.quantized_matmul q4_0 %{{.*}}, %{{.*}} : tensor<5x64xf32>, tensor<8x36xi8>
  %y = graph.quantized_matmul q4_0 %x, %w : tensor<5x64xf32>, tensor<8x36xi8>
  return %y : tensor<5x8xf32>
}

// CHECK-LABEL: func.func @q4_1
func.func @q4_1(%x: tensor<5x64xf32>, %w: tensor<8x40xi8>) -> tensor<5x8xf32> {
  // CHECK: graph.quantized_matmul q4_1 %{{.*}}, %{{.*}} : tensor<5x64xf32>, tensor<8x40xi8>
  %y = graph.quantized_matmul q4_1 %x, %w : tensor<5x64xf32>, tensor<8x40xi8>
  return %y : tensor<5x8xf32>
}

// CHECK-LABEL: func.func @k_quants
func.func @k_quants(%x: tensor<3x512xf32>, %w4: tensor<8x288xi8>, %w6: tensor<8x420xi8>)
    -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  // CHECK: graph.quantized_matmul q4_K %{{.*}}, %{{.*}} : tensor<3x512xf32>, tensor<8x288xi8>
  // CHECK: graph.quantized_matmul q6_K %{{.*}}, %{{.*}} : tensor<3x512xf32>, tensor<8x420xi8>
  %a = graph.quantized_matmul q4_K %x, %w4 : tensor<3x512xf32>, tensor<8x288xi8>
  %b = graph.quantized_matmul q6_K %x, %w6 : tensor<3x512xf32>, tensor<8x420xi8>
  return %a, %b : tensor<3x8xf32>, tensor<3x8xf32>
}

// CHECK-LABEL: func.func @float_formats
func.func @float_formats(%x: tensor<2x64xf32>, %w16: tensor<3x128xi8>, %w32: tensor<3x256xi8>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK: graph.quantized_matmul f16 %{{.*}}, %{{.*}} : tensor<2x64xf32>, tensor<3x128xi8>
  // CHECK: graph.quantized_matmul bf16 %{{.*}}, %{{.*}} : tensor<2x64xf32>, tensor<3x128xi8>
  // CHECK: graph.quantized_matmul f32 %{{.*}}, %{{.*}} : tensor<2x64xf32>, tensor<3x256xi8>
  %a = graph.quantized_matmul f16 %x, %w16 : tensor<2x64xf32>, tensor<3x128xi8>
  %b = graph.quantized_matmul bf16 %x, %w16 : tensor<2x64xf32>, tensor<3x128xi8>
  %c = graph.quantized_matmul f32 %x, %w32 : tensor<2x64xf32>, tensor<3x256xi8>
  return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// A dynamic M gives a dynamic M in the result; a dynamic K is checked
// against whole blocks only.
// CHECK-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<?x64xf32>, %w: tensor<4x68xi8>, %xk: tensor<2x?xf32>)
    -> (tensor<?x4xf32>, tensor<2x4xf32>) {
  // CHECK: graph.quantized_matmul q8_0 %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<4x68xi8>
  // CHECK: graph.quantized_matmul q8_0 %{{.*}}, %{{.*}} : tensor<2x?xf32>, tensor<4x68xi8>
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<?x64xf32>, tensor<4x68xi8>
  %z = graph.quantized_matmul q8_0 %xk, %w : tensor<2x?xf32>, tensor<4x68xi8>
  return %y, %z : tensor<?x4xf32>, tensor<2x4xf32>
}
