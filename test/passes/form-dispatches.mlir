// RUN: lathe-opt --lathe-form-dispatches=min-work=0 %s -split-input-file | FileCheck %s
// RUN: lathe-opt --lathe-form-dispatches="workgroup-target=4 min-work=0" %s -split-input-file | FileCheck %s --check-prefix=WG4
// RUN: lathe-opt --lathe-form-dispatches %s -split-input-file | FileCheck %s --check-prefix=MIN-WORK

// 64 rows for 16 workgroups: tiles of 4 rows, the whole row range of the
// other dim inside each workgroup.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: tensor<64x32xf32>, %[[B:[a-z0-9_]+]]: tensor<64x32xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<64x32xf32>
// CHECK: %[[R:.+]] = scf.forall (%[[WG:.+]]) = (0) to (64) step (4) shared_outs(%[[OUT:.+]] = %[[INIT]]) -> (tensor<64x32xf32>) {
// CHECK-DAG: %[[SA:.+]] = tensor.extract_slice %[[A]][%[[WG]], 0] [4, 32] [1, 1] : tensor<64x32xf32> to tensor<4x32xf32>
// CHECK-DAG: %[[SB:.+]] = tensor.extract_slice %[[B]][%[[WG]], 0] [4, 32] [1, 1] : tensor<64x32xf32> to tensor<4x32xf32>
// CHECK-DAG: %[[SO:.+]] = tensor.extract_slice %[[OUT]][%[[WG]], 0] [4, 32] [1, 1] : tensor<64x32xf32> to tensor<4x32xf32>
// CHECK: %[[T:.+]] = linalg.generic {{.*}} ins(%[[SA]], %[[SB]] : tensor<4x32xf32>, tensor<4x32xf32>) outs(%[[SO]] : tensor<4x32xf32>)
// CHECK:   arith.addf
// CHECK: scf.forall.in_parallel {
// CHECK:   tensor.parallel_insert_slice %[[T]] into %[[OUT]][%[[WG]], 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<64x32xf32>
// CHECK: return %[[R]]
// WG4-LABEL: func.func @elementwise
// WG4: scf.forall (%{{.+}}) = (0) to (64) step (16)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: tensor<64x32xf32>, %b: tensor<64x32xf32>) -> tensor<64x32xf32> attributes {lathe.entry} {
  %init = tensor.empty() : tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<64x32xf32>, tensor<64x32xf32>) outs(%init : tensor<64x32xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// The reduction loop is not split: the first parallel loop (d1) is, and each
// workgroup reduces its columns over all 8 rows. With fewer columns than
// workgroups, one column per workgroup; with a tile that does not divide the
// extent (10 / 4 workgroups -> tiles of 3), the last tile is clamped.
// CHECK-LABEL: func.func @column_sum
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: tensor<8x10xf32>, %[[INIT:[a-z0-9_]+]]: tensor<10xf32>)
// CHECK: scf.forall (%[[WG:.+]]) in (10) shared_outs(%[[OUT:.+]] = %[[INIT]])
// CHECK: tensor.extract_slice %[[A]][0, %[[WG]]] [8, 1] [1, 1] : tensor<8x10xf32> to tensor<8x1xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{.+}} : tensor<8x1xf32>) outs(%{{.+}} : tensor<1xf32>)
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[OUT]][%[[WG]]] [1] [1] : tensor<1xf32> into tensor<10xf32>
// WG4-DAG: #[[CLAMP:.+]] = affine_map<(d0) -> (-d0 + 10, 3)>
// WG4-LABEL: func.func @column_sum
// WG4: scf.forall (%[[WG:.+]]) = (0) to (10) step (3)
// WG4: %[[SIZE:.+]] = affine.min #[[CLAMP]](%[[WG]])
// WG4: tensor.extract_slice %{{.+}}[0, %[[WG]]] [8, %[[SIZE]]] [1, 1] : tensor<8x10xf32> to tensor<8x?xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%a: tensor<8x10xf32>, %init: tensor<10xf32>) -> tensor<10xf32> attributes {lathe.entry} {
  %r = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%a : tensor<8x10xf32>) outs(%init : tensor<10xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %r : tensor<10xf32>
}

// -----

// Each root op is its own dispatch; the second reads the result of the first.
// CHECK-LABEL: func.func @two_dispatches
// CHECK: %[[FIRST:.+]] = scf.forall
// CHECK:   linalg.fill
// CHECK: %[[SECOND:.+]] = scf.forall (%[[WG:.+]]) = (0) to (32) step (2) shared_outs(%{{.+}} = %{{.+}})
// CHECK:   tensor.extract_slice %[[FIRST]][%[[WG]]] [2] [1]
// CHECK:   linalg.generic
// CHECK:     math.exp
// CHECK: return %[[SECOND]]
#id1 = affine_map<(d0) -> (d0)>
func.func @two_dispatches(%c: tensor<32xf32>, %d: tensor<32xf32>) -> tensor<32xf32> attributes {lathe.entry} {
  %one = arith.constant 1.0 : f32
  %f = linalg.fill ins(%one : f32) outs(%c : tensor<32xf32>) -> tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%f : tensor<32xf32>) outs(%d : tensor<32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// -----

// A fill that only initializes another op's result runs in that op's
// workgroups, on their slices, instead of in a dispatch of its own.
// CHECK-LABEL: func.func @fill_fused_into_init
// CHECK-SAME: (%[[C:.+]]: tensor<32xf32>)
// CHECK: %[[R:.+]] = scf.forall (%[[WG:.+]]) = (0) to (32) step (2) shared_outs(%[[OUT:.+]] = %[[C]])
// CHECK:   %[[SLICE:.+]] = tensor.extract_slice %[[OUT]][%[[WG]]] [2] [1]
// CHECK:   %[[FILLED:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[SLICE]] : tensor<2xf32>)
// CHECK:   linalg.generic {{.*}} outs(%[[FILLED]] : tensor<2xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: return %[[R]]
#id2 = affine_map<(d0) -> (d0)>
func.func @fill_fused_into_init(%c: tensor<32xf32>) -> tensor<32xf32> attributes {lathe.entry} {
  %one = arith.constant 1.0 : f32
  %f = linalg.fill ins(%one : f32) outs(%c : tensor<32xf32>) -> tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel"]} outs(%f : tensor<32xf32>) {
  ^bb0(%o: f32):
    %e = math.exp %o : f32
    linalg.yield %e : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// -----

// A fill shared by two ops (as CSE leaves the zero fills of same-shaped
// matmuls) is cloned for each, and each clone runs in its op's workgroups:
// no dispatch fills a buffer that the ops would copy.
// CHECK-LABEL: func.func @shared_fill
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (
// CHECK:   linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2xf32>)
// CHECK:   linalg.generic
// CHECK: scf.forall (
// CHECK:   linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2xf32>)
// CHECK:   linalg.generic
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall (
// CHECK: return
#id3 = affine_map<(d0) -> (d0)>
func.func @shared_fill(%c: tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>) attributes {lathe.entry} {
  %one = arith.constant 1.0 : f32
  %f = linalg.fill ins(%one : f32) outs(%c : tensor<32xf32>) -> tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]} outs(%f : tensor<32xf32>) {
  ^bb0(%o: f32):
    %e = math.exp %o : f32
    linalg.yield %e : f32
  } -> tensor<32xf32>
  %s = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]} outs(%f : tensor<32xf32>) {
  ^bb0(%o: f32):
    %e = math.log %o : f32
    linalg.yield %e : f32
  } -> tensor<32xf32>
  return %r, %s : tensor<32xf32>, tensor<32xf32>
}

// -----

// A large matmul is split into a grid of result tiles, between a quarter and
// a half of the workgroup target, minimizing the operand rows and columns
// all tiles read (16: 2 x 2 tiles; 4: 2 x 1); its zero fill runs in the
// same workgroups.
// CHECK-LABEL: func.func @matmul_grid
// CHECK: scf.forall (%[[I:.+]], %[[J:.+]]) = (0, 0) to (512, 512) step (256, 256)
// CHECK:   linalg.fill {{.*}} -> tensor<256x256xf32>
// CHECK:   linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<256x256xf32>, tensor<256x256xf32>)
// CHECK-NOT: scf.forall (
// CHECK: return
// WG4-LABEL: func.func @matmul_grid
// WG4: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (512, 512) step (256, 512)
func.func @matmul_grid(%a: tensor<512x256xf32>, %b: tensor<256x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  %r = linalg.matmul ins(%a, %b : tensor<512x256xf32>, tensor<256x512xf32>) outs(%f : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %r : tensor<512x512xf32>
}

// -----

// A matmul reading B in panels (lathe-cpu-pack-weights) splits its columns
// along the panels, each panel's 32 columns whole: 512 x 16 x 32 splits as
// the plain 512 x 512 matmul above.
// CHECK-LABEL: func.func @matmul_panels
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (512, 16) step (256, 8)
// CHECK:   linalg.fill {{.*}} -> tensor<256x8x32xf32>
// CHECK:   linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<256x256xf32>, tensor<8x256x32xf32>) outs(%{{.+}} : tensor<256x8x32xf32>)
#a = affine_map<(m, j, l, k) -> (m, k)>
#b = affine_map<(m, j, l, k) -> (j, k, l)>
#c = affine_map<(m, j, l, k) -> (m, j, l)>
func.func @matmul_panels(%a: tensor<512x256xf32>, %bp: tensor<16x256x32xf32>, %c: tensor<512x16x32xf32>) -> tensor<512x16x32xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%c : tensor<512x16x32xf32>) -> tensor<512x16x32xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %bp : tensor<512x256xf32>, tensor<16x256x32xf32>) outs(%f : tensor<512x16x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<512x16x32xf32>
  return %r : tensor<512x16x32xf32>
}

// -----

// Columns that are not a multiple of 64 stay whole and rows split alone
// (1000 = 4 x 250); rows that no workgroup count divides (97) give one
// workgroup: either way the tiles keep the static shapes the matmul kernel
// needs. Workgroup loops are mapped to workgroups, so that a single one is
// not folded away.
// CHECK-LABEL: func.func @matmul_narrow
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (1000, 32) step (250, 32)
// CHECK:   linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<250x64xf32>, tensor<64x32xf32>)
// CHECK: } {mapping = [#dispatch.workgroup<0>, #dispatch.workgroup<1>]}
// CHECK-LABEL: func.func @matmul_prime_rows
// CHECK: scf.forall (%{{.+}}) = (0) to (97) step (97)
// CHECK:   linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<97x64xf32>, tensor<64x32xf32>)
// CHECK: } {mapping = [#dispatch.workgroup<0>]}
func.func @matmul_narrow(%a: tensor<1000x64xf32>, %b: tensor<64x32xf32>, %c: tensor<1000x32xf32>) -> tensor<1000x32xf32> attributes {lathe.entry} {
  %r = linalg.matmul ins(%a, %b : tensor<1000x64xf32>, tensor<64x32xf32>) outs(%c : tensor<1000x32xf32>) -> tensor<1000x32xf32>
  return %r : tensor<1000x32xf32>
}
func.func @matmul_prime_rows(%a: tensor<97x64xf32>, %b: tensor<64x32xf32>, %c: tensor<97x32xf32>) -> tensor<97x32xf32> attributes {lathe.entry} {
  %r = linalg.matmul ins(%a, %b : tensor<97x64xf32>, tensor<64x32xf32>) outs(%c : tensor<97x32xf32>) -> tensor<97x32xf32>
  return %r : tensor<97x32xf32>
}

// -----

// Named ops tile the same way: a matmul is split over rows of the result; a
// leading loop of extent 1 is skipped.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.forall (%[[WG:.+]]) in (6)
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<1x4xf32>, tensor<4x5xf32>) outs(%{{.+}} : tensor<1x5xf32>)
// CHECK: tensor.parallel_insert_slice %{{.+}}[%[[WG]], 0] [1, 5] [1, 1] : tensor<1x5xf32> into tensor<6x5xf32>
// CHECK-LABEL: func.func @unit_leading_dim
// CHECK: scf.forall (%[[WG:.+]]) = (0) to (48) step (3)
// CHECK: linalg.fill {{.*}} -> tensor<1x3xf32>
// CHECK: tensor.parallel_insert_slice %{{.+}}[0, %[[WG]]] [1, 3] [1, 1] : tensor<1x3xf32> into tensor<1x48xf32>
func.func @matmul(%a: tensor<6x4xf32>, %b: tensor<4x5xf32>, %c: tensor<6x5xf32>) -> tensor<6x5xf32> attributes {lathe.entry} {
  %r = linalg.matmul ins(%a, %b : tensor<6x4xf32>, tensor<4x5xf32>) outs(%c : tensor<6x5xf32>) -> tensor<6x5xf32>
  return %r : tensor<6x5xf32>
}
func.func @unit_leading_dim(%c: tensor<1x48xf32>) -> tensor<1x48xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %r = linalg.fill ins(%zero : f32) outs(%c : tensor<1x48xf32>) -> tensor<1x48xf32>
  return %r : tensor<1x48xf32>
}

// -----

// Left on the host: functions that are not entries, ops with no parallel loop
// of extent > 1 (a full reduction, a single element, dynamic extents), ops on
// buffers and ops nested in other regions.
// CHECK-LABEL: func.func @not_an_entry
// CHECK-NOT: scf.forall
// CHECK: linalg.fill
// CHECK-LABEL: func.func @full_reduction
// CHECK-NOT: scf.forall
// CHECK: linalg.reduce
// CHECK-LABEL: func.func @single_element
// CHECK-NOT: scf.forall
// CHECK: linalg.fill
// CHECK-LABEL: func.func @dynamic_rows
// CHECK-NOT: scf.forall
// CHECK: linalg.fill
// CHECK-LABEL: func.func @buffers
// CHECK-NOT: scf.forall
// CHECK: linalg.fill
// CHECK-LABEL: func.func @nested
// CHECK-NOT: scf.forall
// CHECK: scf.execute_region
// CHECK: linalg.fill
// CHECK-NOT: scf.forall
// CHECK: return
func.func @not_an_entry(%c: tensor<64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.fill ins(%zero : f32) outs(%c : tensor<64xf32>) -> tensor<64xf32>
  return %r : tensor<64xf32>
}
func.func @full_reduction(%a: tensor<64xf32>, %c: tensor<f32>) -> tensor<f32> attributes {lathe.entry} {
  %r = linalg.reduce ins(%a : tensor<64xf32>) outs(%c : tensor<f32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<f32>
}
func.func @single_element(%c: tensor<1x1xf32>) -> tensor<1x1xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %r = linalg.fill ins(%zero : f32) outs(%c : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %r : tensor<1x1xf32>
}
func.func @dynamic_rows(%c: tensor<?xf32>) -> tensor<?xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %r = linalg.fill ins(%zero : f32) outs(%c : tensor<?xf32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}
func.func @buffers(%c: memref<64xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64xf32>)
  return
}
func.func @nested(%c: tensor<64xf32>) -> tensor<64xf32> attributes {lathe.entry} {
  %r = scf.execute_region -> tensor<64xf32> {
    %zero = arith.constant 0.0 : f32
    %f = linalg.fill ins(%zero : f32) outs(%c : tensor<64xf32>) -> tensor<64xf32>
    scf.yield %f : tensor<64xf32>
  }
  return %r : tensor<64xf32>
}

// -----

// An op with a zero-size loop computes nothing: its results are its inits.
// Here the sum over an empty axis is the fill's zeros, which alone become a
// dispatch.
// CHECK-LABEL: func.func @sum_over_empty_axis
// CHECK-SAME: (%{{.+}}: tensor<2x0x4xf32>)
// CHECK: %[[FILLED:.+]] = scf.forall
// CHECK:   linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: return %[[FILLED]] : tensor<2x4xf32>
// CHECK-LABEL: func.func @empty_elementwise
// CHECK-SAME: (%{{.+}}: tensor<3x0xf32>, %[[INIT:[a-z0-9_]+]]: tensor<3x0xf32>)
// CHECK-NEXT: return %[[INIT]] : tensor<3x0xf32>
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d2)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @sum_over_empty_axis(%a: tensor<2x0x4xf32>) -> tensor<2x4xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a : tensor<2x0x4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
func.func @empty_elementwise(%a: tensor<3x0xf32>, %init: tensor<3x0xf32>) -> tensor<3x0xf32> attributes {lathe.entry} {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<3x0xf32>) outs(%init : tensor<3x0xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.negf %x : f32
    linalg.yield %s : f32
  } -> tensor<3x0xf32>
  return %r : tensor<3x0xf32>
}

// -----

// A workgroup target below one means one workgroup, never a zero tile size.
// RUN: lathe-opt --lathe-form-dispatches="workgroup-target=0 min-work=0" %s -split-input-file | FileCheck %s --check-prefix=WG0
// WG0-LABEL: func.func @elementwise
// WG0: scf.forall (%{{.+}}) = (0) to (64) step (64)
// WG0: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<64x32xf32>, tensor<64x32xf32>)

// -----

// Attention: one workgroup per batch and key/value head, computing the query
// heads of that key/value head; with a single key/value head, one workgroup
// per query head.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[a-z0-9_]+]]: tensor<2x8x4x16xf32>, %[[K:[a-z0-9_]+]]: tensor<2x2x32x16xf32>, %[[V:[a-z0-9_]+]]: tensor<2x2x32x8xf32>, %[[P:[a-z0-9_]+]]: tensor<i64>)
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]]) in (2, 2) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<2x8x4x8xf32>)
// CHECK-DAG: %[[HQ:.+]] = affine.apply #{{.+}}(%[[H]])
// CHECK-DAG: %[[OT:.+]] = tensor.extract_slice %[[OUT]][%[[B]], %[[HQ]], 0, 0] [1, 4, 4, 8]
// CHECK-DAG: %[[VT:.+]] = tensor.extract_slice %[[V]][%[[B]], %[[H]], 0, 0] [1, 1, 32, 8]
// CHECK-DAG: %[[KT:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[H]], 0, 0] [1, 1, 32, 16]
// CHECK-DAG: %[[QT:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[HQ]], 0, 0] [1, 4, 4, 16]
// CHECK: %[[Y:.+]] = dispatch.attention {causal = true, scale = 1.250000e-01 : f32} ins(%[[QT]], %[[KT]], %[[VT]] : {{.+}}) past(%[[P]] : tensor<i64>) outs(%[[OT]] : tensor<1x4x4x8xf32>)
// CHECK: tensor.parallel_insert_slice %[[Y]] into %[[OUT]][%[[B]], %[[HQ]], 0, 0] [1, 4, 4, 8]
// CHECK-LABEL: func.func @attention_mask
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]]) in (2, 2)
// CHECK: %[[HQ:.+]] = affine.apply #{{.+}}(%[[H]])
// CHECK: %[[MT:.+]] = tensor.extract_slice %{{.+}}[0, %[[HQ]], 0, 0] [1, 4, 1, 32]
// CHECK: dispatch.attention {{.+}} mask(%[[MT]] : tensor<1x4x1x32xf32>)
// CHECK-LABEL: func.func @attention_one_head
// CHECK-SAME: (%[[Q:[a-z0-9_]+]]: tensor<1x3x4x16xf32>, %[[K:[a-z0-9_]+]]: tensor<1x1x32x16xf32>
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]]) in (1, 3)
// CHECK: %[[KV:.+]] = affine.apply #{{.+}}(%[[H]])
// CHECK-DAG: tensor.extract_slice %[[K]][%[[B]], %[[KV]], 0, 0] [1, 1, 32, 16]
// CHECK-DAG: tensor.extract_slice %[[Q]][%[[B]], %[[H]], 0, 0] [1, 1, 4, 16]
// CHECK: dispatch.attention {{.+}} -> tensor<1x1x4x16xf32>
func.func @attention(%q: tensor<2x8x4x16xf32>, %k: tensor<2x2x32x16xf32>, %v: tensor<2x2x32x8xf32>, %past: tensor<i64>) -> tensor<2x8x4x8xf32> attributes {lathe.entry} {
  %init = tensor.empty() : tensor<2x8x4x8xf32>
  %y = dispatch.attention {scale = 0.125 : f32, causal = true}
      ins(%q, %k, %v : tensor<2x8x4x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x8xf32>) past(%past : tensor<i64>)
      outs(%init : tensor<2x8x4x8xf32>) -> tensor<2x8x4x8xf32>
  return %y : tensor<2x8x4x8xf32>
}
func.func @attention_mask(%q: tensor<2x8x4x16xf32>, %k: tensor<2x2x32x16xf32>, %v: tensor<2x2x32x8xf32>, %mask: tensor<1x8x1x32xf32>) -> tensor<2x8x4x8xf32> attributes {lathe.entry} {
  %init = tensor.empty() : tensor<2x8x4x8xf32>
  %y = dispatch.attention {scale = 0.125 : f32}
      ins(%q, %k, %v : tensor<2x8x4x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x8xf32>) mask(%mask : tensor<1x8x1x32xf32>)
      outs(%init : tensor<2x8x4x8xf32>) -> tensor<2x8x4x8xf32>
  return %y : tensor<2x8x4x8xf32>
}
func.func @attention_one_head(%q: tensor<1x3x4x16xf32>, %k: tensor<1x1x32x16xf32>, %v: tensor<1x1x32x16xf32>) -> tensor<1x3x4x16xf32> attributes {lathe.entry} {
  %init = tensor.empty() : tensor<1x3x4x16xf32>
  %y = dispatch.attention {scale = 0.125 : f32}
      ins(%q, %k, %v : tensor<1x3x4x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>)
      outs(%init : tensor<1x3x4x16xf32>) -> tensor<1x3x4x16xf32>
  return %y : tensor<1x3x4x16xf32>
}

// -----

// With the default min-work (8192 loop iterations), a small op stays on the
// host; a large one is dispatched.
// MIN-WORK-LABEL: func.func @small_and_large
// MIN-WORK: linalg.generic {{.+}} outs(%{{.+}} : tensor<64x32xf32>)
// MIN-WORK: scf.forall
// MIN-WORK: linalg.generic {{.+}} outs(%{{.+}} : tensor<8x256xf32>)
func.func @small_and_large(%a: tensor<64x32xf32>, %b: tensor<128x256xf32>) -> (tensor<64x32xf32>, tensor<128x256xf32>) attributes {lathe.entry} {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<64x32xf32>) outs(%a : tensor<64x32xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<64x32xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<128x256xf32>) outs(%b : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  return %r, %t : tensor<64x32xf32>, tensor<128x256xf32>
}
