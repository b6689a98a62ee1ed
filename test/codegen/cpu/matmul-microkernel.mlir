// RUN: lathe-opt --lathe-cpu-matmul-microkernel --split-input-file %s | FileCheck %s

// Enough rows to pack: both operands are copied into stack buffers at the
// kernel's entry, the register tile is 6 rows of vector<16xf32> accumulators
// updated by broadcast-FMA, and C is added after the k loop.
// CHECK-LABEL: func.func private @packed
// CHECK-DAG: memref.alloca() {alignment = 64 : i64} : memref<4x128x16xf32>
// CHECK-DAG: memref.alloca() {alignment = 64 : i64} : memref<48x128xf32>
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<128x64xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
// CHECK: vector.store %{{.*}} : memref<4x128x16xf32>, vector<16xf32>
// CHECK: memref.prefetch %{{.*}}, read, locality<2>, data
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %{{.*}} : memref<4x128x16xf32>, vector<16xf32>
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
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<4x256x16xf32>
// RUN: lathe-opt --lathe-cpu-matmul-microkernel="register-width=64 cache-block-n=64" --split-input-file %s | FileCheck %s --check-prefix=WIDE
// WIDE-LABEL: func.func private @wide
// WIDE: memref.alloca() {alignment = 64 : i64} : memref<1x256x64xf32>
// WIDE: scf.for {{.*}} -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
func.func private @wide(%a: memref<96x256xf32>, %b: memref<256x64xf32>, %c: memref<96x64xf32>) attributes {dispatch.kernel} {
  linalg.matmul ins(%a, %b : memref<96x256xf32>, memref<256x64xf32>) outs(%c : memref<96x64xf32>)
  return
}
