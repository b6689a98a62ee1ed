// The CPU pipeline's graph, dispatch and bufferization stages (as in
// lathe-compile) on a quantized matvec: the kernel reads the weight bytes in
// place, and no buffer of dequantized weights is allocated anywhere.
// RUN: lathe-opt %s --lathe-lower-graph --canonicalize --linalg-fuse-elementwise-ops \
// RUN:   --canonicalize --cse --lathe-form-dispatches --canonicalize --cse \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries=true function-boundary-type-conversion=identity-layout-map" \
// RUN:   --buffer-results-to-out-params="hoist-static-allocs=true modify-public-functions=true" \
// RUN:   --canonicalize --cse --buffer-deallocation-pipeline --canonicalize \
// RUN:   --lathe-outline-dispatches --canonicalize --cse | FileCheck %s

// CHECK-NOT: memref.alloc
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.+]]: memref<1x256xf32>, %[[W:.+]]: memref<512x272xi8>, %[[Y:.+]]: memref<1x512xf32>)
// CHECK: dispatch.launch @{{.+}} ({{.*}}%[[W]]{{.*}})
// CHECK: func.func private @{{.+}}({{.*}}%[[KW:[a-z0-9]+]]: memref<512x272xi8>{{.*}}) attributes {dispatch.kernel}
// CHECK: linalg.generic
// CHECK: memref.load %[[KW]][{{.+}}] : memref<512x272xi8>
// CHECK-NOT: memref.alloc
func.func @main(%x: tensor<1x256xf32>, %w: tensor<512x272xi8>) -> tensor<1x512xf32>
    attributes {lathe.entry, lathe.input_names = ["x", "w"], lathe.input_dtypes = ["f32", "i8"],
                lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x256xf32>, tensor<512x272xi8>
  return %y : tensor<1x512xf32>
}
