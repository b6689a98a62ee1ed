// Lowers graph.quantized_matmul on weights encoded by gguf-py, runs the result
// with mlir-runner and compares with gguf-py's dequantization in numpy.
// RUN: %python %lathe_src/test/passes/Inputs/lower_quantized_matmul_numerics.py | FileCheck %s

// CHECK-NOT: FAIL
// CHECK: 0 failure(s)
