// RUN: lathe-opt --lathe-cpu-matmul-microkernel --split-input-file %s | FileCheck %s

// Enough rows to pack: both operands are copied into workspace buffers
// declared at the kernel's entry, B eight rows at a time into 16-column
// panels, A row by row, a cache line per copy, into one block per 6-row
// register tile. The register tile is 6 rows of vector<16xf32> accumulators
// updated by broadcast-FMA, and C is added after the k loop.
// CHECK-LABEL: func.func private @packed
// CHECK-DAG: %[[PB:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<4x128x16xf32>
// CHECK-DAG: %[[PA:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<8x6x128xf32>
// CHECK: scf.for
// CHECK-COUNT-8: vector.store %{{.*}}, %[[PB]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<4x128x16xf32>, vector<16xf32>
// CHECK: vector.load %{{.*}} : memref<48x128xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[PA]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<8x6x128xf32>, vector<16xf32>
// CHECK: memref.prefetch %{{.*}}, read, locality<2>, data
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %[[PB]]{{.*}} : memref<4x128x16xf32>, vector<16xf32>
// CHECK: memref.load %[[PA]]{{.*}} : memref<8x6x128xf32>
// CHECK-COUNT-6: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-6: arith.addf {{.*}} : vector<16xf32>
// CHECK-NOT: linalg.matmul
func.func private @packed(%a: memref<48x128xf32>, %b: memref<256x256xf32>, %c: memref<48x64xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %sub = memref.subview %b[0, %wg] [128, 64] [1, 1] : memref<256x256xf32> to memref<128x64xf32, strided<[256, 1], offset: ?>>
  linalg.matmul ins(%a, %sub : memref<48x128xf32>, memref<128x64xf32, strided<[256, 1], offset: ?>>) outs(%c : memref<48x64xf32>)
  return
}

// -----

// A single row reads B in place; 1 row is also the remainder tile.
// CHECK-LABEL: func.func private @direct
// CHECK-NOT: memref.alloca
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK: vector.load %{{.*}} : memref<40x32xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK-NOT: linalg.matmul
func.func private @direct(%a: memref<1x40xf32>, %b: memref<40x32xf32>, %c: memref<1x32xf32>) attributes {dispatch.kernel} {
  linalg.matmul ins(%a, %b : memref<1x40xf32>, memref<40x32xf32>) outs(%c : memref<1x32xf32>)
  return
}

// -----

// Left to linalg: N not a multiple of the register width, f16, a dynamic
// shape, and a matmul outside a kernel.
// CHECK-LABEL: func.func private @unsupported
// CHECK-COUNT-3: linalg.matmul
// CHECK-LABEL: func.func @host
// CHECK: linalg.matmul
func.func private @unsupported(%a: memref<8x8xf32>, %b: memref<8x24xf32>, %c: memref<8x24xf32>,
                               %ah: memref<8x8xf16>, %bh: memref<8x16xf16>, %ch: memref<8x16xf16>,
                               %ad: memref<?x8xf32>, %bd: memref<8x16xf32>, %cd: memref<?x16xf32>) attributes {dispatch.kernel} {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x24xf32>) outs(%c : memref<8x24xf32>)
  linalg.matmul ins(%ah, %bh : memref<8x8xf16>, memref<8x16xf16>) outs(%ch : memref<8x16xf16>)
  linalg.matmul ins(%ad, %bd : memref<?x8xf32>, memref<8x16xf32>) outs(%cd : memref<?x16xf32>)
  return
}
func.func @host(%a: memref<8x8xf32>, %b: memref<8x16xf32>, %c: memref<8x16xf32>) {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x16xf32>) outs(%c : memref<8x16xf32>)
  return
}

// -----

// With AVX-512 register tiles (6 x 64).
// CHECK-LABEL: func.func private @wide
// CHECK: memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<4x256x16xf32>
// RUN: lathe-opt --lathe-cpu-matmul-microkernel="register-width=64 cache-block-n=64" --split-input-file %s | FileCheck %s --check-prefix=WIDE
// WIDE-LABEL: func.func private @wide
// WIDE: memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<1x256x64xf32>
// WIDE: scf.for {{.*}} -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
func.func private @wide(%a: memref<96x256xf32>, %b: memref<256x64xf32>, %c: memref<96x64xf32>) attributes {dispatch.kernel} {
  linalg.matmul ins(%a, %b : memref<96x256xf32>, memref<256x64xf32>) outs(%c : memref<96x64xf32>)
  return
}

// -----

// A zero fill of C right before the matmul is dropped: the first K block
// stores its sums, later blocks add theirs to C. A fill with another value
// stays.
// CHECK-LABEL: func.func private @zero_init
// CHECK-NOT: linalg.fill
// CHECK: %[[K0:.+]] = arith.cmpi eq, %{{.+}}, %{{.+}} : index
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: scf.if %[[K0]] {
// CHECK-NOT: vector.load
// CHECK-COUNT-6: vector.store
// CHECK: } else {
// CHECK-COUNT-6: arith.addf
// CHECK-LABEL: func.func private @one_init
// CHECK: linalg.fill
// CHECK-NOT: scf.if
func.func private @zero_init(%a: memref<48x1024xf32>, %b: memref<1024x64xf32>, %c: memref<48x64xf32>) attributes {dispatch.kernel} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<48x64xf32>)
  linalg.matmul ins(%a, %b : memref<48x1024xf32>, memref<1024x64xf32>) outs(%c : memref<48x64xf32>)
  return
}
func.func private @one_init(%a: memref<48x1024xf32>, %b: memref<1024x64xf32>, %c: memref<48x64xf32>) attributes {dispatch.kernel} {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<48x64xf32>)
  linalg.matmul ins(%a, %b : memref<48x1024xf32>, memref<1024x64xf32>) outs(%c : memref<48x64xf32>)
  return
}

// -----

// B laid out in panels at compile time (lathe-cpu-pack-weights): no copy of
// B, each panel row is one vector load from the panels; C's panel view is
// collapsed back to rows. While A's rows span at most pack-a-span bytes
// (here 48 x 512 B), A is read in place too; beyond, it is packed, and B
// still is not.
// RUN: lathe-opt --lathe-cpu-matmul-microkernel=pack-a-span=4096 --split-input-file %s | FileCheck %s --check-prefix=PACK-A
// CHECK-LABEL: func.func private @prepacked
// CHECK-NOT: memref.alloca
// CHECK: %[[ROWS:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : memref<48x4x16xf32, strided<[256, 16, 1], offset: ?>> into memref<48x64xf32, strided<[256, 1], offset: ?>>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %{{.+}} : memref<4x128x16xf32, strided<[2048, 16, 1], offset: ?>>, vector<16xf32>
// CHECK: memref.load %{{.+}} : memref<48x128xf32>
// CHECK: vector.store %{{.+}}, %[[ROWS]]
// CHECK-NOT: linalg.generic
// PACK-A-LABEL: func.func private @prepacked
// PACK-A: memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<8x6x128xf32>
// PACK-A-NOT: memref.alloca()
// PACK-A: vector.load %{{.+}} : memref<4x128x16xf32, strided<[2048, 16, 1], offset: ?>>, vector<16xf32>
// PACK-A-NOT: linalg.generic
#a = affine_map<(m, j, l, k) -> (m, k)>
#b = affine_map<(m, j, l, k) -> (j, k, l)>
#c = affine_map<(m, j, l, k) -> (m, j, l)>
func.func private @prepacked(%a: memref<48x128xf32>, %panels: memref<16x128x16xf32>, %c: memref<48x16x16xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %j0 = arith.muli %wg, %wg : index
  %bp = memref.subview %panels[%j0, 0, 0] [4, 128, 16] [1, 1, 1] : memref<16x128x16xf32> to memref<4x128x16xf32, strided<[2048, 16, 1], offset: ?>>
  %cv = memref.subview %c[0, %j0, 0] [48, 4, 16] [1, 1, 1] : memref<48x16x16xf32> to memref<48x4x16xf32, strided<[256, 16, 1], offset: ?>>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %bp : memref<48x128xf32>, memref<4x128x16xf32, strided<[2048, 16, 1], offset: ?>>)
      outs(%cv : memref<48x4x16xf32, strided<[256, 16, 1], offset: ?>>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Panels of another width than the register tile's stay with linalg.
// CHECK-LABEL: func.func private @other_panel_width
// PACK-A-LABEL: func.func private @other_panel_width
// CHECK: linalg.generic
#a = affine_map<(m, j, l, k) -> (m, k)>
#b = affine_map<(m, j, l, k) -> (j, k, l)>
#c = affine_map<(m, j, l, k) -> (m, j, l)>
func.func private @other_panel_width(%a: memref<8x16xf32>, %bp: memref<2x16x8xf32>, %c: memref<8x2x8xf32>) attributes {dispatch.kernel} {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %bp : memref<8x16xf32>, memref<2x16x8xf32>) outs(%c : memref<8x2x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A batch_matmul runs the matmul loop nest on each batch's matrices
// (rank-reduced views); its zero fill still becomes the first K block's
// stores.
// CHECK-LABEL: func.func private @batched
// CHECK-NOT: linalg.fill
// CHECK: scf.for %[[B:.+]] = %c0 to %c2 step %c1
// CHECK-DAG: memref.subview %{{.+}}[%[[B]], 0, 0] [1, 8, 40] [1, 1, 1] : memref<2x8x40xf32> to memref<8x40xf32, strided<[40, 1], offset: ?>>
// CHECK-DAG: memref.subview %{{.+}}[%[[B]], 0, 0] [1, 40, 32] [1, 1, 1] : memref<2x40x32xf32> to memref<40x32xf32, strided<[32, 1], offset: ?>>
// CHECK-DAG: %[[C:.+]] = memref.subview %{{.+}}[%[[B]], 0, 0] [1, 8, 32] [1, 1, 1] : memref<2x8x32xf32> to memref<8x32xf32, strided<[32, 1], offset: ?>>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.store %{{.+}}, %[[C]]
// CHECK-NOT: linalg.batch_matmul
func.func private @batched(%a: memref<2x8x40xf32>, %b: memref<2x40x32xf32>, %c: memref<2x8x32xf32>) attributes {dispatch.kernel} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<2x8x32xf32>)
  linalg.batch_matmul ins(%a, %b : memref<2x8x40xf32>, memref<2x40x32xf32>) outs(%c : memref<2x8x32xf32>)
  return
}
