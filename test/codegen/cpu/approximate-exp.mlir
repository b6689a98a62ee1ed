// RUN: lathe-opt --lathe-cpu-approximate-exp %s | FileCheck %s

// f32 exponentials, scalar or vector, become inline arithmetic: range
// reduction by ln 2 (floor), a polynomial of fmas, and 2^n built in the
// exponent bits. Other types and functions keep their math op (and libm).
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp %{{.+}} : f32
// CHECK: math.floor %{{.+}} : f32
// CHECK: math.fma %{{.+}} : f32
// CHECK: arith.bitcast %{{.+}} : i32 to f32
// CHECK-NOT: math.exp %{{.+}} : vector<8xf32>
// CHECK: math.floor %{{.+}} : vector<8xf32>
// CHECK: arith.bitcast %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK: math.exp %{{.+}} : f64
// CHECK: math.log %{{.+}} : f32
func.func @exp(%x: f32, %v: vector<8xf32>, %d: f64) -> (f32, vector<8xf32>, f64, f32) {
  %a = math.exp %x : f32
  %b = math.exp %v : vector<8xf32>
  %c = math.exp %d : f64
  %e = math.log %x : f32
  return %a, %b, %c, %e : f32, vector<8xf32>, f64, f32
}
