// RUN: lathe-opt --lathe-elide-result-copies --split-input-file %s | FileCheck %s

// The result is a reshape of an allocation: the allocation becomes a view of
// the output buffer, so the fill writes the output and the copy goes.
// CHECK-LABEL: func.func @reshaped
// CHECK-SAME: (%[[IN:.+]]: memref<4x8xf32>, %[[OUT:.+]]: memref<32xf32>)
// CHECK: %[[VIEW:.+]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [4, 8], strides: [8, 1] : memref<32xf32> to memref<4x8xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<4x8xf32>) outs(%[[VIEW]] : memref<4x8xf32>)
// CHECK: memref.collapse_shape %[[VIEW]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
func.func @reshaped(%in: memref<4x8xf32>, %out: memref<32xf32>) attributes {lathe.entry} {
  %alloc = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%alloc : memref<4x8xf32>)
  %flat = memref.collapse_shape %alloc [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  return
}

// -----

// Copies that stay: the allocation is read after the copy; the output
// buffer has another use; the source is an input, not an allocation.
// CHECK-LABEL: func.func @read_after
// CHECK: memref.alloc
// CHECK: memref.copy
// CHECK-LABEL: func.func @output_used
// CHECK: memref.alloc
// CHECK: memref.copy
// CHECK-LABEL: func.func @input_source
// CHECK: memref.copy
func.func @read_after(%in: memref<4x8xf32>, %out: memref<32xf32>, %out2: memref<4x8xf32>) attributes {lathe.entry} {
  %alloc = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%alloc : memref<4x8xf32>)
  %flat = memref.collapse_shape %alloc [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  linalg.copy ins(%alloc : memref<4x8xf32>) outs(%out2 : memref<4x8xf32>)
  return
}
func.func @output_used(%in: memref<4x8xf32>, %out: memref<32xf32>) attributes {lathe.entry} {
  %alloc = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%alloc : memref<4x8xf32>)
  %flat = memref.collapse_shape %alloc [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<32xf32>)
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  return
}
func.func @input_source(%in: memref<4x8xf32>, %out: memref<32xf32>) attributes {lathe.entry} {
  %flat = memref.collapse_shape %in [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  return
}
