// Lowers each graph op on random inputs, runs the result with mlir-runner and
// compares it with ONNX's reference implementations (onnx.reference.ops).
// RUN: %python %lathe_src/test/dialects/graph/Inputs/lower_graph_numerics.py | FileCheck %s

// CHECK-NOT: FAIL
// CHECK: 0 failure(s)
