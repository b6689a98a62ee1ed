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
// 2 + k % 16, centered by 8 in i8 before scaling. With more than one row the
// generic reads x transposed: x^T[k, m].
// CHECK: #[[KM:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @q4_0
// CHECK-SAME: (%[[X:.+]]: tensor<3x64xf32>
// CHECK: %[[XT:.+]] = linalg.transpose ins(%[[X]] : tensor<3x64xf32>) outs(%{{.+}} : tensor<64x3xf32>) permutation = [1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[KM]], #[[MN]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XT]] : tensor<64x3xf32>) outs(%{{.+}} : tensor<3x9xf32>)
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

// Q4_K: 144-byte super-blocks of 256 weights: d, dmin, 12 scale bytes, 128
// quant bytes. Sub-block j = p / 32 takes its 6-bit scale and minimum from
// bytes 4 + j, 8 + j and 4 + j % 4 (get_scale_min_k4), selected on j < 4;
// weight p is nibble j % 2 of byte 16 + 32 (p / 64) + p % 32:
// (d * sc) * q - dmin * m.
// CHECK-LABEL: func.func @q4_K
// CHECK-SAME: %[[W:[^:]+]]: tensor<3x288xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<512x2xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK:   %[[N:.+]] = linalg.index 1 : index
// CHECK:   %[[K:.+]] = linalg.index 2 : index
// CHECK:   %[[C256:.+]] = arith.constant 256 : index
// CHECK:   arith.divui %[[K]], %[[C256]] : index
// CHECK:   %[[C144:.+]] = arith.constant 144 : index
// CHECK:   %[[START:.+]] = arith.muli %{{.+}}, %[[C144]] : index
// CHECK:   %[[POS:.+]] = arith.remui %[[K]], %{{.+}} : index
// CHECK:   %[[D:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[DMIN:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[C32:.+]] = arith.constant 32 : index
// CHECK:   %[[J:.+]] = arith.divui %[[POS]], %[[C32]] : index
// CHECK:   %[[C4:.+]] = arith.constant 4 : index
// CHECK:   %[[SCALES:.+]] = arith.addi %[[START]], %[[C4]] : index
// CHECK:   %[[SJOFF:.+]] = arith.addi %[[SCALES]], %[[J]] : index
// CHECK:   %[[SJ:.+]] = tensor.extract %[[W]][%[[N]], %[[SJOFF]]]
// CHECK:   %[[SJ4OFF:.+]] = arith.addi %{{.+}}, %[[J]] : index
// CHECK:   %[[SJ4:.+]] = tensor.extract %[[W]][%[[N]], %[[SJ4OFF]]]
// CHECK:   %[[JM4:.+]] = arith.remui %[[J]], %{{.+}} : index
// CHECK:   %[[SJM4OFF:.+]] = arith.addi %[[SCALES]], %[[JM4]] : index
// CHECK:   %[[SJM4:.+]] = tensor.extract %[[W]][%[[N]], %[[SJM4OFF]]]
// CHECK:   %[[LOSC:.+]] = arith.andi %[[SJ]], %{{.+}} : i8
// CHECK:   %[[LOMIN:.+]] = arith.andi %[[SJ4]], %{{.+}} : i8
// CHECK:   %[[SCLO:.+]] = arith.andi %[[SJ4]], %{{.+}} : i8
// CHECK:   %[[SCTOP:.+]] = arith.shrui %[[SJM4]], %{{.+}} : i8
// CHECK:   %[[SCHI:.+]] = arith.shli %[[SCTOP]], %{{.+}} : i8
// CHECK:   %[[HISC:.+]] = arith.ori %[[SCLO]], %[[SCHI]] : i8
// CHECK:   %[[MINLO:.+]] = arith.shrui %[[SJ4]], %{{.+}} : i8
// CHECK:   %[[MINTOP:.+]] = arith.shrui %[[SJ]], %{{.+}} : i8
// CHECK:   %[[MINHI:.+]] = arith.shli %[[MINTOP]], %{{.+}} : i8
// CHECK:   %[[HIMIN:.+]] = arith.ori %[[MINLO]], %[[MINHI]] : i8
// CHECK:   %[[LOW:.+]] = arith.cmpi ult, %[[J]], %{{.+}} : index
// CHECK:   %[[SC:.+]] = arith.select %[[LOW]], %[[LOSC]], %[[HISC]] : i8
// CHECK:   %[[M:.+]] = arith.select %[[LOW]], %[[LOMIN]], %[[HIMIN]] : i8
// CHECK:   %[[QBYTE:.+]] = tensor.extract %[[W]]
// CHECK:   %[[H:.+]] = arith.remui %[[J]], %{{.+}} : index
// CHECK:   %[[SHIFT:.+]] = arith.muli %[[H]], %{{.+}} : index
// CHECK:   %[[SHIFT8:.+]] = arith.index_castui %[[SHIFT]] : index to i8
// CHECK:   %[[SH:.+]] = arith.shrui %[[QBYTE]], %[[SHIFT8]] : i8
// CHECK:   %[[Q:.+]] = arith.andi %[[SH]], %{{.+}} : i8
// CHECK:   %[[SCF:.+]] = arith.uitofp %[[SC]] : i8 to f32
// CHECK:   %[[D1:.+]] = arith.mulf %[[D]], %[[SCF]] : f32
// CHECK:   %[[MF:.+]] = arith.uitofp %[[M]] : i8 to f32
// CHECK:   %[[M1:.+]] = arith.mulf %[[DMIN]], %[[MF]] : f32
// CHECK:   %[[QF:.+]] = arith.uitofp %[[Q]] : i8 to f32
// CHECK:   %[[DQ:.+]] = arith.mulf %[[D1]], %[[QF]] : f32
// CHECK:   %[[WV:.+]] = arith.subf %[[DQ]], %[[M1]] : f32
// CHECK:   arith.mulf %{{.+}}, %[[WV]] : f32
// CHECK-NOT: linalg.generic
func.func @q4_K(%x: tensor<2x512xf32>, %w: tensor<3x288xi8>) -> tensor<2x3xf32> {
  %y = graph.quantized_matmul q4_K %x, %w : tensor<2x512xf32>, tensor<3x288xi8>
  return %y : tensor<2x3xf32>
}

// -----

// Q6_K: 210-byte super-blocks of 256 weights: ql[128], qh[64], 16 i8 scales,
// d. Weight p = 128 h + 32 c + l is (low | high << 4) - 32 in i8, low the
// nibble c / 2 of ql[64 h + 32 (c % 2) + l], high (qh[32 h + l] >> 2 c) & 3;
// it is scaled by (d * scales[p / 16]).
// CHECK-LABEL: func.func @q6_K
// CHECK-SAME: %[[W:[^:]+]]: tensor<3x210xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<256x2xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK:   %[[C210:.+]] = arith.constant 210 : index
// CHECK:   %[[START:.+]] = arith.muli %{{.+}}, %[[C210]] : index
// CHECK:   %[[POS:.+]] = arith.remui %{{.+}}, %{{.+}} : index
// CHECK:   %[[HALF:.+]] = arith.divui %[[POS]], %{{.+}} : index
// CHECK:   %[[R:.+]] = arith.remui %[[POS]], %{{.+}} : index
// CHECK:   %[[QUARTER:.+]] = arith.divui %[[R]], %{{.+}} : index
// CHECK:   %[[LANE:.+]] = arith.remui %[[POS]], %{{.+}} : index
// CHECK:   %[[LOOFF:.+]] = arith.addi %[[START]], %{{.+}} : index
// CHECK:   %[[LOBYTE:.+]] = tensor.extract %[[W]][%{{.+}}, %[[LOOFF]]] : tensor<3x210xi8>
// CHECK:   %[[LOSH:.+]] = arith.shrui %[[LOBYTE]], %{{.+}} : i8
// CHECK:   %[[LO:.+]] = arith.andi %[[LOSH]], %{{.+}} : i8
// CHECK:   %[[C128:.+]] = arith.constant 128 : index
// CHECK:   %[[QH:.+]] = arith.addi %[[START]], %[[C128]] : index
// CHECK:   %[[HIOFF:.+]] = arith.addi %[[QH]], %{{.+}} : index
// CHECK:   %[[HIBYTE:.+]] = tensor.extract %[[W]][%{{.+}}, %[[HIOFF]]] : tensor<3x210xi8>
// CHECK:   %[[HISHIFT:.+]] = arith.muli %[[QUARTER]], %{{.+}} : index
// CHECK:   %[[HISHIFT8:.+]] = arith.index_castui %[[HISHIFT]] : index to i8
// CHECK:   %[[HISH:.+]] = arith.shrui %[[HIBYTE]], %[[HISHIFT8]] : i8
// CHECK:   %[[C3:.+]] = arith.constant 3 : i8
// CHECK:   %[[HI2:.+]] = arith.andi %[[HISH]], %[[C3]] : i8
// CHECK:   %[[HI:.+]] = arith.shli %[[HI2]], %{{.+}} : i8
// CHECK:   %[[Q6:.+]] = arith.ori %[[LO]], %[[HI]] : i8
// CHECK:   %[[C32:.+]] = arith.constant 32 : i8
// CHECK:   %[[Q:.+]] = arith.subi %[[Q6]], %[[C32]] : i8
// CHECK:   %[[C192:.+]] = arith.constant 192 : index
// CHECK:   %[[SCALES:.+]] = arith.addi %[[START]], %[[C192]] : index
// CHECK:   %[[C16:.+]] = arith.constant 16 : index
// CHECK:   %[[SUB:.+]] = arith.divui %[[POS]], %[[C16]] : index
// CHECK:   %[[SCOFF:.+]] = arith.addi %[[SCALES]], %[[SUB]] : index
// CHECK:   %[[SC:.+]] = tensor.extract %[[W]][%{{.+}}, %[[SCOFF]]] : tensor<3x210xi8>
// CHECK:   %[[C208:.+]] = arith.constant 208 : index
// CHECK:   arith.addi %[[START]], %[[C208]] : index
// CHECK:   %[[D:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[SCF:.+]] = arith.sitofp %[[SC]] : i8 to f32
// CHECK:   %[[D1:.+]] = arith.mulf %[[D]], %[[SCF]] : f32
// CHECK:   %[[QF:.+]] = arith.sitofp %[[Q]] : i8 to f32
// CHECK:   %[[WV:.+]] = arith.mulf %[[D1]], %[[QF]] : f32
// CHECK:   arith.mulf %{{.+}}, %[[WV]] : f32
// CHECK-NOT: linalg.generic
func.func @q6_K(%x: tensor<2x256xf32>, %w: tensor<3x210xi8>) -> tensor<2x3xf32> {
  %y = graph.quantized_matmul q6_K %x, %w : tensor<2x256xf32>, tensor<3x210xi8>
  return %y : tensor<2x3xf32>
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
