// RUN: lathe-opt %s -split-input-file -verify-diagnostics

func.func @k_not_whole_blocks(%x: tensor<1x40xf32>, %w: tensor<4x34xi8>) {
  // expected-error @+1 {{K = 40 (x.shape[1]) must be a multiple of the q8_0 block size 32}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x40xf32>, tensor<4x34xi8>
  return
}

// -----

func.func @q8_0_row_bytes(%x: tensor<1x64xf32>, %w: tensor<4x64xi8>) {
  // expected-error @+1 {{weight rows have 64 bytes (w.shape[1]); q8_0 rows of K = 64 weights take 68 (2 blocks of 34 bytes)}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x64xf32>, tensor<4x64xi8>
  return
}

// -----

func.func @q4_0_row_bytes(%x: tensor<1x64xf32>, %w: tensor<4x40xi8>) {
  // expected-error @+1 {{weight rows have 40 bytes (w.shape[1]); q4_0 rows of K = 64 weights take 36 (2 blocks of 18 bytes)}}
  %y = graph.quantized_matmul q4_0 %x, %w : tensor<1x64xf32>, tensor<4x40xi8>
  return
}

// -----

func.func @q4_K_row_bytes(%x: tensor<1x512xf32>, %w: tensor<4x272xi8>) {
  // expected-error @+1 {{weight rows have 272 bytes (w.shape[1]); q4_K rows of K = 512 weights take 288 (2 blocks of 144 bytes)}}
  %y = graph.quantized_matmul q4_K %x, %w : tensor<1x512xf32>, tensor<4x272xi8>
  return
}

// -----

func.func @q6_K_row_bytes(%x: tensor<1x512xf32>, %w: tensor<4x416xi8>) {
  // expected-error @+1 {{weight rows have 416 bytes (w.shape[1]); q6_K rows of K = 512 weights take 420 (2 blocks of 210 bytes)}}
  %y = graph.quantized_matmul q6_K %x, %w : tensor<1x512xf32>, tensor<4x416xi8>
  return
}

// -----

func.func @q4_K_not_whole_super_blocks(%x: tensor<1x384xf32>, %w: tensor<4x216xi8>) {
  // expected-error @+1 {{K = 384 (x.shape[1]) must be a multiple of the q4_K block size 256}}
  %y = graph.quantized_matmul q4_K %x, %w : tensor<1x384xf32>, tensor<4x216xi8>
  return
}

// -----

func.func @f16_row_bytes(%x: tensor<1x7xf32>, %w: tensor<4x7xi8>) {
  // expected-error @+1 {{weight rows have 7 bytes (w.shape[1]); f16 rows of K = 7 weights take 14 (7 blocks of 2 bytes)}}
  %y = graph.quantized_matmul f16 %x, %w : tensor<1x7xf32>, tensor<4x7xi8>
  return
}

// -----

func.func @dynamic_k_row_bytes(%x: tensor<1x?xf32>, %w: tensor<4x50xi8>) {
  // expected-error @+1 {{weight rows of 50 bytes (w.shape[1]) are not a whole number of 20-byte q4_1 blocks}}
  %y = graph.quantized_matmul q4_1 %x, %w : tensor<1x?xf32>, tensor<4x50xi8>
  return
}

// -----

func.func @unknown_format(%x: tensor<1x32xf32>, %w: tensor<4x34xi8>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'format' [f32, f16, q4_0, q4_1, q8_0, q4_K, q6_K, bf16]}}
  %y = graph.quantized_matmul q5_0 %x, %w : tensor<1x32xf32>, tensor<4x34xi8>
  return
}

// -----

func.func @x_not_f32(%x: tensor<1x32xf16>, %w: tensor<4x34xi8>) {
  // expected-error @+1 {{operand #0 must be 2D tensor of 32-bit float values}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x32xf16>, tensor<4x34xi8>
  return
}

// -----

func.func @w_not_bytes(%x: tensor<1x32xf32>, %w: tensor<4x17xi16>) {
  // expected-error @+1 {{operand #1 must be 2D tensor of 8-bit signless integer values}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<1x32xf32>, tensor<4x17xi16>
  return
}

// -----

func.func @x_rank(%x: tensor<2x1x32xf32>, %w: tensor<4x34xi8>) {
  // expected-error @+1 {{expects x and w to be rank-2 tensors}}
  %y = graph.quantized_matmul q8_0 %x, %w : tensor<2x1x32xf32>, tensor<4x34xi8>
  return
}

// -----

func.func @result_type(%x: tensor<1x32xf32>, %w: tensor<4x34xi8>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{'graph.quantized_matmul' op inferred type(s) 'tensor<1x4xf32>' are incompatible with return type(s) of operation 'tensor<1x5xf32>'}}
  %y = "graph.quantized_matmul"(%x, %w) {format = 8 : i32} : (tensor<1x32xf32>, tensor<4x34xi8>) -> tensor<1x5xf32>
  return
}
