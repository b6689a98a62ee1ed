// RUN: lathe-opt --lathe-cpu-approximate-math %s | FileCheck %s

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

// f32 tanh, scalar or vector, becomes a clamped rational approximation.
// CHECK-LABEL: func.func @tanh
// CHECK-NOT: math.tanh %{{.+}} : f32
// CHECK: arith.divf %{{.+}} : f32
// CHECK-NOT: math.tanh %{{.+}} : vector<16xf32>
// CHECK: arith.divf %{{.+}} : vector<16xf32>
// CHECK: math.tanh %{{.+}} : f16
func.func @tanh(%x: f32, %v: vector<16xf32>, %h: f16) -> (f32, vector<16xf32>, f16) {
  %a = math.tanh %x : f32
  %b = math.tanh %v : vector<16xf32>
  %c = math.tanh %h : f16
  return %a, %b, %c : f32, vector<16xf32>, f16
}

// f32 erf (ONNX Erf and Gelu), scalar or vector, becomes piecewise rational
// approximations (max error ~2e-7 on [-6, 6]).
// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf %{{.+}} : f32
// CHECK: arith.divf %{{.+}} : f32
// CHECK-NOT: math.erf %{{.+}} : vector<16xf32>
// CHECK: arith.divf %{{.+}} : vector<16xf32>
// CHECK: math.erf %{{.+}} : f64
func.func @erf(%x: f32, %v: vector<16xf32>, %d: f64) -> (f32, vector<16xf32>, f64) {
  %a = math.erf %x : f32
  %b = math.erf %v : vector<16xf32>
  %c = math.erf %d : f64
  return %a, %b, %c : f32, vector<16xf32>, f64
}
