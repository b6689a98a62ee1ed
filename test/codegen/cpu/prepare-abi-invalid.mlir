// RUN: lathe-opt --lathe-cpu-prepare-abi %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'func.func' op entry signature does not match its names (expected results passed as trailing buffers)}}
func.func @no_names(%x: memref<4xf32>) attributes {lathe.entry} {
  return
}

// -----

// expected-error @+1 {{'func.func' op entry signature does not match its names (expected results passed as trailing buffers)}}
func.func @returns_tensor(%x: memref<4xf32>) -> memref<4xf32> attributes {lathe.entry, lathe.input_names = ["x"], lathe.input_dtypes = ["f32"], lathe.output_names = [], lathe.output_dtypes = []} {
  return %x : memref<4xf32>
}

// -----

// expected-error @+1 {{'func.func' op entry signature does not match its names (expected results passed as trailing buffers)}}
func.func @missing_output_buffer(%x: memref<4xf32>) attributes {lathe.entry, lathe.input_names = ["x"], lathe.input_dtypes = ["f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  return
}

// -----

// expected-error @+1 {{'func.func' op entry argument #1 is not a static buffer}}
func.func @dynamic_output(%x: memref<4xf32>, %y: memref<?xf32>) attributes {lathe.entry, lathe.input_names = ["x"], lathe.input_dtypes = ["f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  return
}

// -----

// expected-error @+1 {{'func.func' op entry argument #0 is not a static buffer}}
func.func @tensor_input(%x: tensor<4xf32>, %y: memref<4xf32>) attributes {lathe.entry, lathe.input_names = ["x"], lathe.input_dtypes = ["f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  return
}

// -----

// expected-error @+1 {{'func.func' op entry signature does not match its names (expected results passed as trailing buffers)}}
func.func @names_not_strings(%x: memref<4xf32>, %y: memref<4xf32>) attributes {lathe.entry, lathe.input_names = [1], lathe.input_dtypes = ["f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  return
}

// -----

// expected-error @+1 {{'func.func' op entry signature does not match its names (expected results passed as trailing buffers)}}
func.func @dtype_missing(%x: memref<4xf32>, %y: memref<4xf32>) attributes {lathe.entry, lathe.input_names = ["x"], lathe.input_dtypes = [], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  return
}

// -----

// A workspace buffer needs a size known when the metadata is written.
func.func private @dynamic_scratch(%n: index) attributes {dispatch.kernel} {
  // expected-error @+1 {{in the workspace must be in the kernel's entry block, with a static identity-layout type of whole bytes}}
  %a = memref.alloca(%n) {lathe.workspace} : memref<?xf32>
  return
}

// -----

// The runtime gives kernels at most 256 MiB of workspace.
// expected-error @+1 {{needs a workspace of 268435460 bytes, more than the runtime's limit of 268435456}}
func.func private @huge_scratch() attributes {dispatch.kernel} {
  %a = memref.alloca() {lathe.workspace} : memref<67108865xf32>
  return
}
