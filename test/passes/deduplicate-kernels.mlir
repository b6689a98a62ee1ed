// RUN: lathe-opt --lathe-deduplicate-kernels %s | FileCheck %s

// @k0 and @k1 differ only in their value names and locations: @k1 goes and
// its launch calls @k0. @k2 multiplies by another constant and @k3 has
// another signature: both stay. Host functions are never merged.
// CHECK-LABEL: func.func @main
// CHECK: dispatch.launch @k0[2] (%{{.+}}, %{{.+}})
// CHECK: dispatch.launch @k0[4] (%{{.+}}, %{{.+}})
// CHECK: dispatch.launch @k2[2] (%{{.+}}, %{{.+}})
// CHECK: dispatch.launch @k3[2] (%{{.+}}, %{{.+}})
// CHECK: func.func private @k0(
// CHECK-NOT: func.func private @k1(
// CHECK: func.func private @k2(
// CHECK: func.func private @k3(
// CHECK: func.func @host_a(
// CHECK: func.func @host_b(
func.func @main(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<16xf32>) attributes {lathe.entry} {
  dispatch.launch @k0[2] (%a, %b) : memref<8xf32>, memref<8xf32>
  dispatch.launch @k1[4] (%b, %a) : memref<8xf32>, memref<8xf32>
  dispatch.launch @k2[2] (%a, %b) : memref<8xf32>, memref<8xf32>
  dispatch.launch @k3[2] (%a, %c) : memref<8xf32>, memref<16xf32>
  return
}
func.func private @k0(%x: memref<8xf32>, %y: memref<8xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %two = arith.constant 2.0 : f32
  %v = memref.load %x[%wg] : memref<8xf32>
  %m = arith.mulf %v, %two : f32
  memref.store %m, %y[%wg] : memref<8xf32>
  return
}
func.func private @k1(%p: memref<8xf32>, %q: memref<8xf32>) attributes {dispatch.kernel} {
  %id = dispatch.workgroup_id
  %c = arith.constant 2.0 : f32 loc("elsewhere")
  %loaded = memref.load %p[%id] : memref<8xf32>
  %product = arith.mulf %loaded, %c : f32
  memref.store %product, %q[%id] : memref<8xf32>
  return
}
func.func private @k2(%x: memref<8xf32>, %y: memref<8xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %three = arith.constant 3.0 : f32
  %v = memref.load %x[%wg] : memref<8xf32>
  %m = arith.mulf %v, %three : f32
  memref.store %m, %y[%wg] : memref<8xf32>
  return
}
func.func private @k3(%x: memref<8xf32>, %y: memref<16xf32>) attributes {dispatch.kernel} {
  %wg = dispatch.workgroup_id
  %two = arith.constant 2.0 : f32
  %v = memref.load %x[%wg] : memref<8xf32>
  %m = arith.mulf %v, %two : f32
  memref.store %m, %y[%wg] : memref<16xf32>
  return
}
func.func @host_a(%x: memref<8xf32>) {
  return
}
func.func @host_b(%y: memref<8xf32>) {
  return
}
