// RUN: lathe-opt --lathe-lower-graph %s | FileCheck %s

// Each gathered row is decoded from its bytes: the id is clamped to the
// table's rows, then weight k of that row is read and decoded in the body.
// CHECK-LABEL: func.func @q4_0
// CHECK-SAME: (%[[TABLE:.+]]: tensor<7x36xi8>, %[[IDS:.+]]: tensor<3xi32>)
// CHECK-NOT: graph.
// CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<3x64xf32>
// CHECK: %[[Y:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[IDS]] : tensor<3xi32>) outs(%[[EMPTY]] : tensor<3x64xf32>)
// CHECK-NEXT: ^bb0(%[[ID:.+]]: i32, %{{.+}}: f32):
// CHECK:   %[[IDX:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:   %[[LOW:.+]] = arith.maxsi %[[IDX]], %{{.+}} : index
// CHECK:   %[[ROW:.+]] = arith.minsi %[[LOW]], %{{.+}} : index
// CHECK:   %[[K:.+]] = linalg.index 1 : index
// CHECK:   tensor.extract %[[TABLE]][%[[ROW]], %{{.+}}] : tensor<7x36xi8>
// CHECK:   arith.subi
// CHECK:   arith.sitofp
// CHECK:   %[[V:.+]] = arith.mulf
// CHECK:   linalg.yield %[[V]] : f32
// CHECK: return %[[Y]]
func.func @q4_0(%table: tensor<7x36xi8>, %ids: tensor<3xi32>) -> tensor<3x64xf32> {
  %y = graph.quantized_gather q4_0 %table, %ids : tensor<7x36xi8>, tensor<3xi32>
  return %y : tensor<3x64xf32>
}
