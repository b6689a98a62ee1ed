// RUN: lathe-opt --lathe-outline-dispatches %s -split-input-file -verify-diagnostics

func.func @not_bufferized(%out: tensor<4xf32>) -> tensor<4xf32> attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.forall' op expected a bufferized workgroup loop}}
  %r = scf.forall (%i) in (4) shared_outs(%o = %out) -> (tensor<4xf32>) {
    %t = tensor.from_elements %zero : tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[%i] [1] [1] : tensor<1xf32> into tensor<4xf32>
    }
  }
  return %r : tensor<4xf32>
}

// -----

func.func @dynamic_bound(%out: memref<4xf32>, %n: index) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.forall' op workgroup loop bounds must be static}}
  scf.forall (%i) in (%n) {
    memref.store %zero, %out[%i] : memref<4xf32>
  }
  return
}

// -----

func.func @captures_a_scalar(%out: memref<4xf32>, %v: f32) attributes {lathe.entry} {
  // expected-error @+1 {{'scf.forall' op captures a non-buffer value that a kernel cannot receive}}
  scf.forall (%i) in (4) {
    memref.store %v, %out[%i] : memref<4xf32>
  }
  return
}

// -----

func.func @dynamic_root(%out: memref<?xf32>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.forall' op captures a buffer whose root is not a static identity-layout allocation}}
  scf.forall (%i) in (4) {
    memref.store %zero, %out[%i] : memref<?xf32>
  }
  return
}

// -----

func.func @strided_root(%out: memref<4xf32, strided<[2]>>) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.forall' op captures a buffer whose root is not a static identity-layout allocation}}
  scf.forall (%i) in (4) {
    memref.store %zero, %out[%i] : memref<4xf32, strided<[2]>>
  }
  return
}

// -----

func.func @view_with_dynamic_offset(%out: memref<8xf32>, %offset: index) attributes {lathe.entry} {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'memref.subview' op view with a dynamic operand cannot be rebuilt inside a kernel}}
  %half = memref.subview %out[%offset] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
  scf.forall (%i) in (4) {
    memref.store %zero, %half[%i] : memref<4xf32, strided<[1], offset: ?>>
  }
  return
}
