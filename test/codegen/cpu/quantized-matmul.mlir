// RUN: lathe-opt --lathe-cpu-quantized-matmul %s -split-input-file | FileCheck %s
// RUN: lathe-opt --lathe-cpu-quantized-matmul="integer-dot=q8_0,q4_0,q4_1" %s -split-input-file | FileCheck %s --check-prefix=INT
// RUN: lathe-opt --lathe-cpu-quantized-matmul="integer-dot=q8_0 vnni=true" %s -split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: lathe-opt --lathe-cpu-quantized-matmul="integer-dot=q4_0 vnni=true wide=true" %s -split-input-file | FileCheck %s --check-prefix=WIDE
// RUN: lathe-opt --lathe-cpu-quantized-matmul="prefetch-distance=512" %s -split-input-file | FileCheck %s --check-prefix=PREFETCH
// RUN: lathe-opt --lathe-cpu-quantized-matmul="integer-dot=q8_0 panel-rows=3 panel-width=16" %s -split-input-file | FileCheck %s --check-prefix=PANEL
// RUN: not lathe-opt --lathe-cpu-quantized-matmul="integer-dot=q6_K" %s -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD-FORMAT
// BAD-FORMAT: error: lathe-cpu-quantized-matmul: integer-dot supports q8_0, q4_0 and q4_1, not 'q6_K'
// RUN: not lathe-opt --lathe-cpu-quantized-matmul="panel-width=0" %s -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD-PANEL
// BAD-PANEL: error: lathe-cpu-quantized-matmul: panel-rows and panel-width must be positive

// A kernel's quantized matmul (Q8_0, two 32-weight blocks per row, weight
// rows starting at %wg): loops over the weight rows and the activation rows
// around a loop over blocks that decodes 32 weights at a time in vectors.
// CHECK-LABEL: func.func @q8_0
// CHECK-SAME: (%[[X:.+]]: memref<2x64xf32>, %[[W:.+]]: memref<8x68xi8>, %[[Y:.+]]: memref<2x4xf32>, %[[WG:.+]]: index)
// CHECK-NOT: linalg.generic
// CHECK: %[[FIRST:.+]] = arith.addi %{{.+}}, %[[WG]] : index
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK:   %[[ROW:.+]] = arith.addi %[[FIRST]], %[[N]] : index
// CHECK:   scf.for %[[M:.+]] = %{{.+}} to %{{.+}} step
// CHECK:     %[[ACC:.+]] = scf.for {{.+}} -> (vector<32xf32>)
// CHECK:       %[[Q:.+]] = vector.load %[[W]][%[[ROW]], %{{.+}}] : memref<8x68xi8>, vector<32xi8>
// CHECK:       arith.sitofp %[[Q]] : vector<32xi8> to vector<32xf32>
// CHECK:       vector.bitcast %{{.+}} : vector<2xi8> to vector<1xf16>
// CHECK:       %[[WV:.+]] = arith.mulf
// CHECK:       %[[X0:.+]] = vector.load %[[X]][%[[M]], %{{.+}}] : memref<2x64xf32>, vector<32xf32>
// CHECK:       vector.fma %[[X0]], %[[WV]], %{{.+}} : vector<32xf32>
// CHECK:     %[[SUM:.+]] = vector.reduction <add>, %[[ACC]] fastmath<reassoc> : vector<32xf32> into f32
// CHECK:     %[[OLD:.+]] = memref.load %[[Y]][%[[M]], %[[N]]]
// CHECK:     %[[NEW:.+]] = arith.addf %[[OLD]], %[[SUM]] : f32
// CHECK:     memref.store %[[NEW]], %[[Y]][%[[M]], %[[N]]]

// With a prefetch distance, each block step first prefetches the weight
// bytes that far ahead in the row.
// PREFETCH-LABEL: func.func @q8_0
// PREFETCH: scf.for
// PREFETCH:   scf.for
// PREFETCH:     scf.for %[[G:.+]] = {{.+}} iter_args
// PREFETCH:       %[[START:.+]] = arith.muli %[[G]], %{{.+}} : index
// PREFETCH:       %[[AHEAD:.+]] = arith.addi %[[START]], %{{.+}} : index
// PREFETCH:       memref.prefetch %{{.+}}[%{{.+}}, %[[AHEAD]]], read, locality<3>, data : memref<8x68xi8>

// With integer-dot the activations are first quantized per block on the
// stack, then each block is one vpmaddubsw/vpmaddwd pair.
// INT-LABEL: func.func @q8_0
// INT: %[[QX:.+]] = memref.alloca() : memref<2x64xi8>
// INT: %[[DX:.+]] = memref.alloca() : memref<2x2xf32>
// INT: math.roundeven %{{.+}} : vector<32xf32>
// INT: vector.store %{{.+}}, %[[QX]]
// INT: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// INT: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// INT: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// INT: memref.load %[[DX]]
// INT: vector.fma %{{.+}} : vector<8xf32>

// With vnni each block is one vpdpbusd.
// VNNI-LABEL: func.func @q8_0
// VNNI: %[[QX:.+]] = memref.alloca() : memref<2x64xi8>
// VNNI: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (vector<8xf32>, f32)
// VNNI:   vector.load %{{.+}} : memref<8x68xi8>, vector<32xi8>
// VNNI:   vector.load %[[QX]]
// VNNI:   llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// VNNI-NOT: pmadd
// VNNI: scf.yield
func.func @q8_0(%x: memref<2x64xf32>, %w: memref<8x68xi8>, %y: memref<2x4xf32>, %wg: index) attributes {dispatch.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x64xf32>) outs(%y : memref<2x4xf32>) attrs = {lathe.quantized_matmul = 8 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %row = arith.addi %n, %wg : index
    %k = linalg.index 2 : index
    %c32 = arith.constant 32 : index
    %c34 = arith.constant 34 : index
    %b = arith.divui %k, %c32 : index
    %off = arith.muli %b, %c34 : index
    %q = memref.load %w[%row, %off] : memref<8x68xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// wide: Q4_0 with 512-bit vpdpbusd over pairs of blocks. The nibbles stay
// unsigned and each activation row's accumulator starts at -8 times the sums
// of its lanes' activations (precomputed with each block's scale in 8 lanes);
// two weight rows share every activation row's loads, so the loop carries
// 2 vector sums (and 2 unused offsets).
// WIDE-LABEL: func.func @q4_0
// WIDE-DAG: %[[QX:.+]] = memref.alloca() : memref<2x64xi8>
// WIDE-DAG: %[[LANES:.+]] = memref.alloca() : memref<2x16xf32>
// WIDE-DAG: %[[START:.+]] = memref.alloca() : memref<2x16xi32>
// WIDE: arith.muli %{{.+}}, %{{.+}} : vector<8xi32>
// WIDE: vector.store %{{.+}}, %[[START]]
// WIDE: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %[[TWO:.+]] {
// WIDE: scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, f32, f32)
// WIDE-COUNT-2: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, {{.+}}] : vector<32xi8>, vector<32xi8>
// WIDE: vector.load %[[QX]]{{.+}} : memref<2x64xi8>, vector<64xi8>
// WIDE: vector.load %[[START]]{{.+}} : memref<2x16xi32>, vector<16xi32>
// WIDE-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// WIDE-NOT: vpdpbusd
// WIDE-NOT: pmadd
// WIDE: scf.yield
func.func @q4_0(%x: memref<2x64xf32>, %w: memref<4x36xi8>, %y: memref<2x4xf32>) attributes {dispatch.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x64xf32>) outs(%y : memref<2x4xf32>) attrs = {lathe.quantized_matmul = 2 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %k = linalg.index 2 : index
    %c32 = arith.constant 32 : index
    %c18 = arith.constant 18 : index
    %b = arith.divui %k, %c32 : index
    %off = arith.muli %b, %c18 : index
    %q = memref.load %w[%n, %off] : memref<4x36xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Q4_K: one 256-weight super-block per row is eight 32-weight chunks, each
// with its own scale and min decoded from the packed 6-bit scales.
// CHECK-LABEL: func.func @q4_K
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}) -> (vector<32xf32>)
// CHECK-COUNT-8: vector.fma
// CHECK-NOT: vector.fma
// CHECK: vector.reduction <add>
func.func @q4_K(%x: memref<1x256xf32>, %w: memref<3x144xi8>, %y: memref<1x3xf32>) attributes {dispatch.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<1x256xf32>) outs(%y : memref<1x3xf32>) attrs = {lathe.quantized_matmul = 12 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %k = linalg.index 2 : index
    %q = memref.load %w[%n, %k] : memref<3x144xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The transposed form (x^T[k, m], several activation rows) takes the panel
// kernel even where integer-dot lists the format: 5 weight rows are a tile of
// 3 and one of 2, each decoded whole into f32 workspace rows (K + 16 floats
// long) before register tiles of 16 activation rows run down K: one load of
// x^T and a broadcast-FMA per weight row and k. The 4 activation rows past
// the last full tile are a masked tile; every tile adds its sums into y
// through a workspace tile.
// PANEL-LABEL: func.func @panel
// PANEL-SAME: (%[[XT:.+]]: memref<64x20xf32>, %[[W:.+]]: memref<8x68xi8>, %[[Y:.+]]: memref<20x5xf32>, %[[WG:.+]]: index)
// PANEL-DAG: %[[DEC:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<3x80xf32>
// PANEL-DAG: %[[SUMS:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<3x16xf32>
// PANEL-NOT: vpdpbusd
// PANEL: scf.for %[[N0:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// PANEL:   scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// PANEL:     %[[R:.+]] = arith.addi %[[N0]], %[[I]] : index
// PANEL:     %[[ROW:.+]] = arith.addi %{{.+}}, %[[R]] : index
// PANEL:     scf.for
// PANEL:       vector.load %[[W]][%[[ROW]], %{{.+}}] : memref<8x68xi8>, vector<32xi8>
// PANEL:       vector.store %{{.+}}, %[[DEC]][%[[I]], %{{.+}}] : memref<3x80xf32>, vector<32xf32>
// PANEL:   scf.for %[[M0:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// PANEL:     %[[ACC:.+]]:3 = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// PANEL:       %[[XV:.+]] = vector.load %[[XT]][%[[K]], %[[M0]]] : memref<64x20xf32>, vector<16xf32>
// PANEL:       %[[A0:.+]] = memref.load %[[DEC]][%{{.+}}, %[[K]]] : memref<3x80xf32>
// PANEL:       %[[S0:.+]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// PANEL:       vector.fma %[[S0]], %[[XV]], %{{.+}} : vector<16xf32>
// PANEL-COUNT-2: vector.fma %{{.+}}, %[[XV]], %{{.+}} : vector<16xf32>
// PANEL:     vector.store %[[ACC]]#0, %[[SUMS]]
// PANEL:     scf.for %[[LANE:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// PANEL:       %[[M:.+]] = arith.addi %[[M0]], %[[LANE]] : index
// PANEL:       %[[SUM:.+]] = memref.load %[[SUMS]][%{{.+}}, %[[LANE]]]
// PANEL:       %[[OLD:.+]] = memref.load %[[Y]][%[[M]], %[[N0]]]
// PANEL:       %[[NEW:.+]] = arith.addf %[[OLD]], %[[SUM]] : f32
// PANEL:       memref.store %[[NEW]], %[[Y]][%[[M]], %[[N0]]]
// PANEL:   scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// PANEL:     vector.maskedload %[[XT]][%{{.+}}, %{{.+}}], %{{.+}}, %{{.+}} : memref<64x20xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// PANEL:   scf.for %{{.+}} = %{{.+}} to %[[C4:.+]] step
// The remaining 2 weight rows.
// PANEL: scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>) {
// PANEL: vector.maskedload
func.func @panel(%xt: memref<64x20xf32>, %w: memref<8x68xi8>, %y: memref<20x5xf32>, %wg: index) attributes {dispatch.kernel} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%xt : memref<64x20xf32>) outs(%y : memref<20x5xf32>) attrs = {lathe.quantized_matmul = 8 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %row = arith.addi %n, %wg : index
    %k = linalg.index 2 : index
    %c32 = arith.constant 32 : index
    %c34 = arith.constant 34 : index
    %b = arith.divui %k, %c32 : index
    %off = arith.muli %b, %c34 : index
    %q = memref.load %w[%row, %off] : memref<8x68xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Without the mark, or with activations that are not contiguous, the
// generic keeps its scalar body.
// CHECK-LABEL: func.func @strided
// CHECK: linalg.generic
func.func @strided(%x: memref<1x64xf32, strided<[128, 2]>>, %w: memref<4x68xi8>, %y: memref<1x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<1x64xf32, strided<[128, 2]>>) outs(%y : memref<1x4xf32>) attrs = {lathe.quantized_matmul = 8 : i32} {
  ^bb0(%in: f32, %out: f32):
    %n = linalg.index 1 : index
    %q = memref.load %w[%n, %n] : memref<4x68xi8>
    %f = arith.sitofp %q : i8 to f32
    %p = arith.mulf %in, %f : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}
