// RUN: lathe-opt --lathe-outline-dispatches %s -split-input-file | FileCheck %s

// The loop body becomes a kernel: the buffers it touches are its bindings
// (only those it uses, in order of use), the induction variable is rebuilt
// from dispatch.workgroup_id, lower bound and step, and a constant the body
// captures is recreated inside. 64 rows in steps of 4 are 16 workgroups.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: memref<64x32xf32>, %[[UNUSED:[a-z0-9_]+]]: memref<64x32xf32>, %[[OUT:[a-z0-9_]+]]: memref<64x32xf32>)
// CHECK-NOT: scf.forall
// CHECK: dispatch.launch @main_dispatch_0[16] (%[[A]], %[[OUT]]) : memref<64x32xf32>, memref<64x32xf32>
// CHECK-NEXT: return
// CHECK: func.func private @main_dispatch_0(%[[KA:[a-z0-9_]+]]: memref<64x32xf32>, %[[KOUT:[a-z0-9_]+]]: memref<64x32xf32>) attributes {dispatch.kernel}
// CHECK-DAG: %[[TWO:.+]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[WG:.+]] = dispatch.workgroup_id
// CHECK-DAG: %[[FOUR:.+]] = arith.constant 4 : index
// CHECK: %[[ROW:.+]] = arith.muli %[[WG]], %[[FOUR]] : index
// CHECK: %[[SA:.+]] = memref.subview %[[KA]][%[[ROW]], 0] [4, 32] [1, 1]
// CHECK: %[[SO:.+]] = memref.subview %[[KOUT]][%[[ROW]], 0] [4, 32] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[SA]] : {{.*}}) outs(%[[SO]] : {{.*}})
// CHECK:   arith.mulf %{{.+}}, %[[TWO]] : f32
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%a: memref<64x32xf32>, %unused: memref<64x32xf32>, %out: memref<64x32xf32>) attributes {lathe.entry} {
  %two = arith.constant 2.0 : f32
  scf.forall (%wg) = (0) to (64) step (4) {
    %sa = memref.subview %a[%wg, 0] [4, 32] [1, 1] : memref<64x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
    %so = memref.subview %out[%wg, 0] [4, 32] [1, 1] : memref<64x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%sa : memref<4x32xf32, strided<[32, 1], offset: ?>>) outs(%so : memref<4x32xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%x: f32, %o: f32):
      %m = arith.mulf %x, %two : f32
      linalg.yield %m : f32
    }
  }
  return
}

// -----

// Views made on the host are rebuilt inside the kernel from their root
// buffer: here a host allocation, reshaped before the loop. A global is
// recreated inside the kernel rather than passed. A loop with unit step from
// zero uses the workgroup id as it is; one with a lower bound adds it.
// Kernels are numbered per entry in program order.
// CHECK-LABEL: func.func @views
// CHECK-SAME: (%[[OUT:[a-z0-9_]+]]: memref<4x8xf32>)
// CHECK: %[[BUF:.+]] = memref.alloc() : memref<32xf32>
// CHECK: dispatch.launch @views_dispatch_0[4] (%[[BUF]]) : memref<32xf32>
// CHECK: dispatch.launch @views_dispatch_1[2] (%[[BUF]], %[[OUT]]) : memref<32xf32>, memref<4x8xf32>
// CHECK: func.func private @views_dispatch_0(%[[KBUF:[a-z0-9_]+]]: memref<32xf32>) attributes {dispatch.kernel}
// CHECK-DAG: %[[TABLE:.+]] = memref.get_global @table : memref<8xf32>
// CHECK-DAG: %[[ROWS:.+]] = memref.expand_shape %[[KBUF]] {{\[}}[0, 1]] output_shape [4, 8] : memref<32xf32> into memref<4x8xf32>
// CHECK-DAG: %[[WG:.+]] = dispatch.workgroup_id
// CHECK: %[[ROW:.+]] = memref.subview %[[ROWS]][%[[WG]], 0] [1, 8] [1, 1]
// CHECK: memref.copy %[[TABLE]], %[[ROW]]
// CHECK: func.func private @views_dispatch_1(%[[KBUF:[a-z0-9_]+]]: memref<32xf32>, %[[KOUT:[a-z0-9_]+]]: memref<4x8xf32>) attributes {dispatch.kernel}
// CHECK-DAG: %[[ROWS:.+]] = memref.expand_shape %[[KBUF]]
// CHECK-DAG: %[[WG:.+]] = dispatch.workgroup_id
// CHECK-DAG: %[[TWO:.+]] = arith.constant 2 : index
// CHECK: %[[IV:.+]] = arith.addi %[[WG]], %[[TWO]] : index
// CHECK: %[[SRC:.+]] = memref.subview %[[ROWS]][%[[IV]], 0] [1, 8] [1, 1]
// CHECK: %[[DST:.+]] = memref.subview %[[KOUT]][%[[IV]], 0] [1, 8] [1, 1]
// CHECK: memref.copy %[[SRC]], %[[DST]]
memref.global "private" constant @table : memref<8xf32> = dense<1.0>
func.func @views(%out: memref<4x8xf32>) attributes {lathe.entry} {
  %buf = memref.alloc() : memref<32xf32>
  %rows = memref.expand_shape %buf [[0, 1]] output_shape [4, 8] : memref<32xf32> into memref<4x8xf32>
  %table = memref.get_global @table : memref<8xf32>
  scf.forall (%i) in (4) {
    %row = memref.subview %rows[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    memref.copy %table, %row : memref<8xf32> to memref<8xf32, strided<[1], offset: ?>>
  }
  scf.forall (%i) = (2) to (4) step (1) {
    %src = memref.subview %rows[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %dst = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    memref.copy %src, %dst : memref<8xf32, strided<[1], offset: ?>> to memref<8xf32, strided<[1], offset: ?>>
  }
  memref.dealloc %buf : memref<32xf32>
  return
}

// -----

// A two-dimensional loop of 2 x 2 workgroups is one launch of 4; the kernel
// recovers the indices row-major: i = (wg / 2) * 2, j = (wg % 2) * 3.
// With CSE, one constant 2 serves as divisor and step:
// RUN: lathe-opt --lathe-outline-dispatches --cse %s -split-input-file | FileCheck %s --check-prefix=GRID
// GRID-LABEL: func.func @grid
// GRID: dispatch.launch @grid_dispatch_0[4] (%{{.+}}) : memref<4x6xf32>
// GRID: func.func private @grid_dispatch_0(%[[OUT:[a-z0-9_]+]]: memref<4x6xf32>) attributes {dispatch.kernel}
// GRID-DAG: %[[WG:.+]] = dispatch.workgroup_id
// GRID-DAG: %[[C2:.+]] = arith.constant 2 : index
// GRID-DAG: %[[C3:.+]] = arith.constant 3 : index
// GRID-DAG: %[[ROWQ:.+]] = arith.divui %[[WG]], %[[C2]] : index
// GRID-DAG: %[[ROW:.+]] = arith.muli %[[ROWQ]], %[[C2]] : index
// GRID-DAG: %[[COLQ:.+]] = arith.remui %[[WG]], %[[C2]] : index
// GRID-DAG: %[[COL:.+]] = arith.muli %[[COLQ]], %[[C3]] : index
// GRID: memref.subview %[[OUT]][%[[ROW]], %[[COL]]] [2, 3] [1, 1]
func.func @grid(%out: memref<4x6xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) = (0, 0) to (4, 6) step (2, 3) {
    %tile = memref.subview %out[%i, %j] [2, 3] [1, 1] : memref<4x6xf32> to memref<2x3xf32, strided<[6, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%tile : memref<2x3xf32, strided<[6, 1], offset: ?>>)
  }
  return
}

// -----

// Left alone: loops of functions that are not entries and loops nested in
// other ops. A loop without iterations is dropped.
// CHECK-LABEL: func.func @not_an_entry
// CHECK: scf.forall
// CHECK-NOT: dispatch.launch
// CHECK-LABEL: func.func @nested
// CHECK: scf.execute_region
// CHECK: scf.forall
// CHECK-LABEL: func.func @empty_loop
// CHECK-NEXT: arith.constant
// CHECK-NEXT: return
// CHECK-NOT: dispatch.kernel
func.func @not_an_entry(%out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (4) {
    memref.store %zero, %out[%i] : memref<4xf32>
  }
  return
}
func.func @nested(%out: memref<4xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  scf.execute_region {
    scf.forall (%i) in (4) {
      memref.store %zero, %out[%i] : memref<4xf32>
    }
    scf.yield
  }
  return
}
func.func @empty_loop(%out: memref<4xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) = (3) to (1) step (1) {
    memref.store %zero, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// A kernel name that the module already uses gets a fresh suffix.
// CHECK-LABEL: func.func @main
// CHECK: dispatch.launch @[[KERNEL:main_dispatch_0_[0-9]+]][4]
// CHECK: func.func private @main_dispatch_0()
// CHECK-NOT: dispatch.kernel
// CHECK: func.func private @[[KERNEL]](%{{.+}}: memref<4xf32>) attributes {dispatch.kernel}
func.func @main(%out: memref<4xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (4) {
    memref.store %zero, %out[%i] : memref<4xf32>
  }
  return
}
func.func private @main_dispatch_0()
