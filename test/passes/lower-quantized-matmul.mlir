// RUN: lathe-opt --lathe-lower-graph %s -split-input-file | FileCheck %s
// RUN: lathe-opt --lathe-lower-graph %s -split-input-file | FileCheck %s --check-prefix=FUSED

// No graph op survives, and no tensor of weights exists in any float type:
// the weights are decoded from their bytes inside the contraction.
// FUSED-NOT: graph.
// FUSED-NOT: tensor<{{[0-9]+}}x{{[0-9]+}}xf16>
// FUSED-NOT: tensor<9x64xf32>
// FUSED-NOT: tensor<64x9xf32>

// Q8_0: block k / 32 starts at byte (k / 32) * 34 of row n; its f16 scale is
// bytes 0-1 (little endian), weight k is the i8 at byte 2 + k % 32.
// CHECK-LABEL: func.func @q8_0
// CHECK-SAME: (%[[X:.+]]: tensor<1x64xf32>, %[[W:.+]]: tensor<9x68xi8>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<1x9xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<1x64xf32>) outs(%[[INIT]] : tensor<1x9xf32>)
// CHECK-NEXT: ^bb0(%[[XV:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK:   %[[N:.+]] = linalg.index 1 : index
// CHECK:   %[[K:.+]] = linalg.index 2 : index
// CHECK:   %[[BLOCK:.+]] = arith.divui %[[K]], %{{.+}} : index
// CHECK:   %[[START:.+]] = arith.muli %[[BLOCK]], %{{.+}} : index
// CHECK:   %[[POS:.+]] = arith.remui %[[K]], %{{.+}} : index
// CHECK:   %[[LO:.+]] = tensor.extract %[[W]][%[[N]], %[[START]]] : tensor<9x68xi8>
// CHECK:   %[[LO16:.+]] = arith.extui %[[LO]] : i8 to i16
// CHECK:   %[[HI:.+]] = tensor.extract %[[W]][%[[N]], %{{.+}}] : tensor<9x68xi8>
// CHECK:   %[[HI16:.+]] = arith.extui %[[HI]] : i8 to i16
// CHECK:   %[[HISH:.+]] = arith.shli %[[HI16]], %{{.+}} : i16
// CHECK:   %[[BITS:.+]] = arith.ori %[[LO16]], %[[HISH]] : i16
// CHECK:   %[[D16:.+]] = arith.bitcast %[[BITS]] : i16 to f16
// CHECK:   %[[D:.+]] = arith.extf %[[D16]] : f16 to f32
// CHECK:   %[[QOFF:.+]] = arith.addi %{{.+}}, %[[POS]] : index
// CHECK:   %[[Q:.+]] = tensor.extract %[[W]][%[[N]], %[[QOFF]]] : tensor<9x68xi8>
// CHECK:   %[[QF:.+]] = arith.sitofp %[[Q]] : i8 to f32
// CHECK:   %[[WV:.+]] = arith.mulf %[[D]], %[[QF]] : f32
// CHECK:   %[[P:.+]] = arith.mulf %[[XV]], %[[WV]] : f32
// CHECK:   %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK:   linalg.yield %[[S]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @q8_0(%x: tensor<1x64xf32>, %w: tensor<9x68xi8>) -> tensor<1x9xf32> {
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x64xf32>, tensor<9x68xi8>
  return %y : tensor<1x9xf32>
}

// -----

// Q4_0: 18-byte blocks; weight k is nibble (k % 32) / 16 of byte
// 2 + k % 16, centered by 8 in i8 before scaling.
// CHECK-LABEL: func.func @q4_0
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<3x64xf32>) outs(%{{.+}} : tensor<3x9xf32>)
// CHECK:   arith.constant 18 : index
// CHECK:   arith.bitcast %{{.+}} : i16 to f16
// CHECK:   %[[BYTE:.+]] = tensor.extract
// CHECK:   %[[SHIFT:.+]] = arith.index_castui %{{.+}} : index to i8
// CHECK:   %[[SH:.+]] = arith.shrui %[[BYTE]], %[[SHIFT]] : i8
// CHECK:   %[[NIB:.+]] = arith.andi %[[SH]], %{{.+}} : i8
// CHECK:   %[[C:.+]] = arith.subi %[[NIB]], %{{.+}} : i8
// CHECK:   arith.sitofp %[[C]] : i8 to f32
// CHECK-NOT: linalg.generic
func.func @q4_0(%x: tensor<3x64xf32>, %w: tensor<9x36xi8>) -> tensor<3x9xf32> {
  %y = graph.quantized_matmul q4_0 %x, %w : tensor<3x64xf32>, tensor<9x36xi8>
  return %y : tensor<3x9xf32>
}

// -----

// Q4_1: 20-byte blocks with scale d and minimum m: d * q + m.
// CHECK-LABEL: func.func @q4_1
// CHECK: linalg.generic
// CHECK:   arith.constant 20 : index
// CHECK:   %[[D:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[M:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[Q:.+]] = arith.uitofp %{{.+}} : i8 to f32
// CHECK:   %[[DQ:.+]] = arith.mulf %[[D]], %[[Q]] : f32
// CHECK:   arith.addf %[[DQ]], %[[M]] : f32
// CHECK-NOT: linalg.generic
func.func @q4_1(%x: tensor<3x64xf32>, %w: tensor<9x40xi8>) -> tensor<3x9xf32> {
  %y = graph.quantized_matmul q4_1 %x, %w : tensor<3x64xf32>, tensor<9x40xi8>
  return %y : tensor<3x9xf32>
}

// -----

// bf16 is the high half of an f32; f32 is four bytes bitcast.
// CHECK-LABEL: func.func @float_formats
// CHECK: linalg.generic
// CHECK:   arith.bitcast %{{.+}} : i16 to f16
// CHECK: linalg.generic
// CHECK:   %[[B:.+]] = arith.extui %{{.+}} : i16 to i32
// CHECK:   %[[SH:.+]] = arith.shli %[[B]], %{{.+}} : i32
// CHECK:   arith.bitcast %[[SH]] : i32 to f32
// CHECK: linalg.generic
// CHECK-COUNT-4: tensor.extract
// CHECK:   arith.bitcast %{{.+}} : i32 to f32
func.func @float_formats(%x: tensor<2x64xf32>, %w16: tensor<9x128xi8>, %w32: tensor<9x256xi8>)
    -> (tensor<2x9xf32>, tensor<2x9xf32>, tensor<2x9xf32>) {
  %a = graph.quantized_matmul f16 %x, %w16 : tensor<2x64xf32>, tensor<9x128xi8>
  %b = graph.quantized_matmul bf16 %x, %w16 : tensor<2x64xf32>, tensor<9x128xi8>
  %c = graph.quantized_matmul f32 %x, %w32 : tensor<2x64xf32>, tensor<9x256xi8>
  return %a, %b, %c : tensor<2x9xf32>, tensor<2x9xf32>, tensor<2x9xf32>
}
