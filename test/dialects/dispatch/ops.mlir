// RUN: lathe-opt %s | lathe-opt | FileCheck %s
// RUN: lathe-opt %s --mlir-print-op-generic | lathe-opt | FileCheck %s

// A kernel computes one workgroup: the id comes from dispatch.workgroup_id,
// the buffers are its arguments.
// CHECK-LABEL: func.func private @add_kernel
// CHECK-SAME: (%{{.+}}: memref<64x32xf32>, %{{.+}}: memref<64x32xf32>, %{{.+}}: memref<64x32xf32>)
// CHECK-SAME: attributes {dispatch.kernel}
// CHECK: %[[WG:.+]] = dispatch.workgroup_id{{$}}
// CHECK: arith.muli %[[WG]], %[[WG]] : index
func.func private @add_kernel(%a: memref<64x32xf32>, %b: memref<64x32xf32>, %out: memref<64x32xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %row = arith.muli %wg, %wg : index
  return
}

// CHECK-LABEL: func.func private @no_bindings
// CHECK: dispatch.workgroup_id {tag = 3 : i64}
func.func private @no_bindings() attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id {tag = 3 : i64}
  return
}

// The workgroup id may be used in nested regions of the kernel.
// CHECK-LABEL: func.func private @nested_id
// CHECK: scf.execute_region
// CHECK:   dispatch.workgroup_id
func.func private @nested_id(%x: memref<4xf32>) attributes {dispatch.kernel} {
  scf.execute_region {
    %wg = dispatch.workgroup_id
    %v = memref.load %x[%wg] : memref<4xf32>
    scf.yield
  }
  return
}

// CHECK-LABEL: func.func @host
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: memref<64x32xf32>, %[[B:[a-z0-9_]+]]: memref<64x32xf32>, %[[C:[a-z0-9_]+]]: memref<64x32xf32>, %[[X:[a-z0-9_]+]]: memref<4xf32>)
// CHECK: dispatch.launch @add_kernel[16] (%[[A]], %[[B]], %[[C]]) : memref<64x32xf32>, memref<64x32xf32>, memref<64x32xf32>
// CHECK: dispatch.launch @no_bindings[1] (){{$}}
// CHECK: dispatch.launch @nested_id[4] (%[[X]]) {note = "x"} : memref<4xf32>
func.func @host(%a: memref<64x32xf32>, %b: memref<64x32xf32>, %c: memref<64x32xf32>, %x: memref<4xf32>) {
  dispatch.launch @add_kernel[16](%a, %b, %c) : memref<64x32xf32>, memref<64x32xf32>, memref<64x32xf32>
  dispatch.launch @no_bindings[1]()
  dispatch.launch @nested_id[4](%x) {note = "x"} : memref<4xf32>
  return
}

// Kernels stay marked after lowering to the LLVM dialect.
// CHECK-LABEL: llvm.func @lowered_kernel
// CHECK-SAME: attributes {dispatch.kernel}
llvm.func @lowered_kernel(%bindings: !llvm.ptr, %wg: i64) attributes {dispatch.kernel} {
  llvm.return
}

// Attention in destination-passing style: on tensors it returns the updated
// init; on memrefs it writes init.
// CHECK-LABEL: func.func @attention_tensors
// CHECK: %[[Y:.+]] = dispatch.attention {causal = true, scale = 1.250000e-01 : f32} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x8x4x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x8xf32>) past(%{{.+}} : tensor<i64>) outs(%{{.+}} : tensor<1x8x4x8xf32>) -> tensor<1x8x4x8xf32>
// CHECK: return %[[Y]]
func.func @attention_tensors(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x32x16xf32>, %v: tensor<1x2x32x8xf32>,
                             %past: tensor<i64>, %init: tensor<1x8x4x8xf32>) -> tensor<1x8x4x8xf32> {
  %y = dispatch.attention {scale = 0.125 : f32, causal = true}
      ins(%q, %k, %v : tensor<1x8x4x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x8xf32>) past(%past : tensor<i64>)
      outs(%init : tensor<1x8x4x8xf32>) -> tensor<1x8x4x8xf32>
  return %y : tensor<1x8x4x8xf32>
}

// CHECK-LABEL: func.func @attention_memrefs
// CHECK: dispatch.attention {causal = true, past_length = 3 : i64, scale = 5.000000e-01 : f32} ins(%{{.+}}, %{{.+}}, %{{.+}} : memref<2x4x3x8xf32>, memref<2x4x6x8xf32, strided<[192, 48, 8, 1]>>, memref<2x4x6x8xf32>) outs(%{{.+}} : memref<2x4x3x8xf32>){{$}}
// CHECK: dispatch.attention {scale = 5.000000e-01 : f32} ins
func.func @attention_memrefs(%q: memref<2x4x3x8xf32>, %k: memref<2x4x6x8xf32, strided<[192, 48, 8, 1]>>,
                             %v: memref<2x4x6x8xf32>, %out: memref<2x4x3x8xf32>) {
  dispatch.attention {scale = 0.5 : f32, causal = true, past_length = 3 : i64}
      ins(%q, %k, %v : memref<2x4x3x8xf32>, memref<2x4x6x8xf32, strided<[192, 48, 8, 1]>>, memref<2x4x6x8xf32>)
      outs(%out : memref<2x4x3x8xf32>)
  dispatch.attention {scale = 0.5 : f32}
      ins(%q, %k, %v : memref<2x4x3x8xf32>, memref<2x4x6x8xf32, strided<[192, 48, 8, 1]>>, memref<2x4x6x8xf32>)
      outs(%out : memref<2x4x3x8xf32>)
  return
}

// An additive mask (broadcast over heads) and a softcap.
// CHECK-LABEL: func.func @attention_mask
// CHECK: dispatch.attention {scale = 5.000000e-01 : f32, softcap = 3.000000e+01 : f32} ins(%{{.+}}, %{{.+}}, %{{.+}} : memref<2x4x3x8xf32>, memref<2x4x6x8xf32>, memref<2x4x6x8xf32>) mask(%{{.+}} : memref<2x1x3x6xf32>) outs(%{{.+}} : memref<2x4x3x8xf32>){{$}}
func.func @attention_mask(%q: memref<2x4x3x8xf32>, %k: memref<2x4x6x8xf32>, %v: memref<2x4x6x8xf32>,
                          %mask: memref<2x1x3x6xf32>, %out: memref<2x4x3x8xf32>) {
  dispatch.attention {scale = 0.5 : f32, softcap = 30.0 : f32}
      ins(%q, %k, %v : memref<2x4x3x8xf32>, memref<2x4x6x8xf32>, memref<2x4x6x8xf32>)
      mask(%mask : memref<2x1x3x6xf32>)
      outs(%out : memref<2x4x3x8xf32>)
  return
}

// Workgroup loops carry #dispatch.workgroup<d> mappings (a device mapping,
// as scf.forall expects).
// CHECK-LABEL: func.func @workgroup_mapping
// CHECK: } {mapping = [#dispatch.workgroup<0>, #dispatch.workgroup<1>]}
func.func @workgroup_mapping(%out: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = scf.forall (%i, %j) in (2, 4) shared_outs(%o = %out) -> (tensor<4x8xf32>) {
    scf.forall.in_parallel {
    }
  } {mapping = [#dispatch.workgroup<0>, #dispatch.workgroup<1>]}
  return %r : tensor<4x8xf32>
}
