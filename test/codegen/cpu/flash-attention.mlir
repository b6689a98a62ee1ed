// RUN: lathe-opt --lathe-cpu-flash-attention="lanes=16 key-block=2" --canonicalize --cse %s -split-input-file | FileCheck %s
// RUN: not lathe-opt --lathe-cpu-flash-attention="lanes=0" %s -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD-LANES

// A kernel's attention: query rows in the 16 lanes, transposed and scaled
// into the workspace; the causal key loop ends at the last key of the tile's
// last row (from the run-time past length, clamped). Whole blocks of 2 keys
// run in the loop, a partial last block under scf.if: two score vectors by
// broadcast-FMA, the online softmax lane by lane, and the product with v
// into the transposed output tile (its 8 rows as 8 independent FMA chains).
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%[[Q:[a-z0-9_]+]]: memref<1x4x4x16xf32>, %[[K:[a-z0-9_]+]]: memref<1x1x32x16xf32>, %[[V:[a-z0-9_]+]]: memref<1x1x32x8xf32>, %[[P:[a-z0-9_]+]]: memref<i64>, %[[OUT:[a-z0-9_]+]]: memref<1x4x4x8xf32>)
// CHECK-DAG: %[[QT:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<16x16xf32>
// CHECK-DAG: %[[OT:.+]] = memref.alloca() {alignment = 64 : i64, lathe.workspace} : memref<8x16xf32>
// CHECK: %[[PAST:.+]] = memref.load %[[P]][] : memref<i64>
// CHECK: arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: memref.store %{{.+}}, %[[QT]]
// CHECK: vector.reduction <maxsi>
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %c32 : index
// CHECK: %[[REM:.+]] = arith.remui %[[END]], %c2
// CHECK: %[[WHOLE:.+]] = arith.subi %[[END]], %[[REM]]
// CHECK: %[[BLOCKS:.+]]:2 = scf.for %[[KB:.+]] = %c0 to %[[WHOLE]] step %c2 iter_args(%[[MAX:.+]] = %{{.+}}, %[[SUM:.+]] = %{{.+}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK:   vector.load %[[QT]]
// CHECK:   memref.load %[[K]]
// CHECK:   vector.fma
// CHECK:   memref.load %[[K]]
// CHECK:   vector.fma
// CHECK: arith.cmpi sle, %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK: arith.maximumf %[[MAX]]
// CHECK: math.exp
// CHECK: math.exp
// CHECK: math.exp
// CHECK-COUNT-8: vector.load %[[OT]]
// CHECK-COUNT-16: vector.fma
// CHECK-COUNT-8: vector.store %{{.+}}, %[[OT]]
// CHECK: %[[PARTIAL:.+]] = arith.cmpi ult, %[[WHOLE]], %[[END]]
// CHECK: %[[LAST:.+]] = scf.if %[[PARTIAL]] -> (vector<16xf32>)
// CHECK:   arith.minui
// CHECK:   scf.yield
// CHECK: } else {
// CHECK:   scf.yield %[[BLOCKS]]#1
// CHECK: arith.divf %{{.+}}, %[[LAST]]
// CHECK: memref.store %{{.+}}, %[[OUT]]
// CHECK-NOT: dispatch.attention
func.func private @kernel(%q: memref<1x4x4x16xf32>, %k: memref<1x1x32x16xf32>, %v: memref<1x1x32x8xf32>, %past: memref<i64>, %out: memref<1x4x4x8xf32>) attributes {dispatch.kernel} {
  dispatch.attention {scale = 0.25 : f32, causal = true}
      ins(%q, %k, %v : memref<1x4x4x16xf32>, memref<1x1x32x16xf32>, memref<1x1x32x8xf32>) past(%past : memref<i64>)
      outs(%out : memref<1x4x4x8xf32>)
  return
}

// -----

// On the host (not a kernel) the scratch buffers are plain stack buffers;
// full attention runs over every key, with loops over batch and heads.
// CHECK-LABEL: func.func @host
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<8x16xf32>
// CHECK-NOT: lathe.workspace
// CHECK: scf.for %{{.+}} = %c0 to %c2 step %c1
// CHECK: scf.for %{{.+}} = %c0 to %c3 step %c1
// CHECK: scf.for %{{.+}} = %c0 to %c4 step %c2 iter_args
// CHECK-NOT: arith.cmpi sle
// CHECK-NOT: dispatch.attention
func.func @host(%q: memref<2x3x4x8xf32>, %k: memref<2x3x5x8xf32>, %v: memref<2x3x5x8xf32>, %out: memref<2x3x4x8xf32>) {
  dispatch.attention {scale = 0.25 : f32}
      ins(%q, %k, %v : memref<2x3x4x8xf32>, memref<2x3x5x8xf32>, memref<2x3x5x8xf32>)
      outs(%out : memref<2x3x4x8xf32>)
  return
}

// -----

// BAD-LANES: lathe-cpu-flash-attention: lanes and key-block must be positive
func.func @no_op() {
  return
}

// -----

// Decoding (4 query rows per key/value head, head sizes multiples of the 16
// lanes): keys in the lanes. Each row loads its scaled query (4 vectors),
// runs to its own last key, sums the 16 per-key products across lanes with a
// shuffle tree (8 + 4 + 2 + 1 pairs), reduces the block max by halving,
// keeps max, sum and its 4 output vectors as loop state, and stores its
// output row.
// CHECK-LABEL: func.func private @decode
// CHECK-NOT: memref.alloca
// CHECK: scf.for %[[ROW:.+]] = %c0 to %c4 step %c1
// CHECK-COUNT-4: vector.load %{{.+}} : memref<1x4x1x64xf32>, vector<16xf32>
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %c48 : index
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c16 iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f32, f32, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-30: vector.shuffle {{.+}} : vector<16xf32>, vector<16xf32>
// CHECK: vector.shuffle %{{.+}}, %{{.+}} [8, 9, 10, 11, 12, 13, 14, 15] : vector<16xf32>, vector<16xf32>
// CHECK: math.exp %{{.+}} : f32
// CHECK: math.exp %{{.+}} : vector<16xf32>
// CHECK: scf.if
// CHECK-COUNT-4: vector.store %{{.+}}, %{{.+}} : memref<1x4x1x64xf32>, vector<16xf32>
func.func private @decode(%q: memref<1x4x1x64xf32>, %k: memref<1x1x48x64xf32>, %v: memref<1x1x48x64xf32>, %past: memref<i64>, %out: memref<1x4x1x64xf32>) attributes {dispatch.kernel} {
  dispatch.attention {scale = 0.125 : f32, causal = true}
      ins(%q, %k, %v : memref<1x4x1x64xf32>, memref<1x1x48x64xf32>, memref<1x1x48x64xf32>) past(%past : memref<i64>)
      outs(%out : memref<1x4x1x64xf32>)
  return
}
