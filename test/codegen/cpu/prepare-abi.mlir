// RUN: lathe-opt --lathe-cpu-prepare-abi %s -split-input-file | FileCheck %s

// Metadata: kernels numbered in module order with their binding counts and
// workspace bytes, then
// the entry with its inputs and outputs (names with spaces get '_', rank 0
// prints as `scalar`), following runtime/include/lathe/model_abi.h.
// CHECK: module attributes {lathe.entries = ["main"], lathe.kernels = ["main_dispatch_0", "main_dispatch_1"],
// CHECK-SAME: lathe.metadata = "lathe-artifact 3\0Atarget cpu\0Akernel 0 lathe_kernel_main_dispatch_0 2 0\0Akernel 1 lathe_kernel_main_dispatch_1 0 0\0Aentry main lathe_entry_main 2 1\0Ainput x f32 4,8\0Ainput the_scale f32 scalar\0Aoutput y f32 4,8\0Aend\0A"}

// The entry takes the host ABI pointer last and returns an i32 status: the
// first non-zero result of host->dispatch, kept in a stack slot.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: memref<4x8xf32>, %{{[a-z0-9_]+}}: memref<f32>, %[[Y:[a-z0-9_]+]]: memref<4x8xf32>, %[[HOST:[a-z0-9_]+]]: !llvm.ptr) -> i32
// CHECK: %[[STATUS:.+]] = llvm.alloca %{{.+}} x i32
// CHECK: llvm.store %{{.+}}, %[[STATUS]] : i32, !llvm.ptr
// CHECK-NOT: dispatch.launch

// First launch: a two-entry table of binding pointers...
// CHECK: %[[TABLE:.+]] = llvm.alloca %{{.+}} x !llvm.ptr : (i64) -> !llvm.ptr
// CHECK: %[[XADDR:.+]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: %[[XINT:.+]] = arith.index_cast %[[XADDR]] : index to i64
// CHECK: %[[XPTR:.+]] = llvm.inttoptr %[[XINT]] : i64 to !llvm.ptr
// CHECK: %[[SLOT0:.+]] = llvm.getelementptr %[[TABLE]][0]
// CHECK: llvm.store %[[XPTR]], %[[SLOT0]]
// CHECK: memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK: %[[SLOT1:.+]] = llvm.getelementptr %[[TABLE]][1]
// CHECK: llvm.store %{{.+}}, %[[SLOT1]]
// ...then host->dispatch(host->context, kernel 0, table, 4 workgroups).
// CHECK: %[[CTX:.+]] = llvm.load %[[HOST]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[FNSLOT:.+]] = llvm.getelementptr %[[HOST]][1]
// CHECK: %[[FN:.+]] = llvm.load %[[FNSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK-DAG: %[[K0:.+]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[N4:.+]] = llvm.mlir.constant(4 : i64) : i64
// CHECK: %[[R0:.+]] = llvm.call %[[FN]](%[[CTX]], %[[K0]], %[[TABLE]], %[[N4]]) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, i64) -> i32
// CHECK: %[[OLD:.+]] = llvm.load %[[STATUS]] : !llvm.ptr -> i32
// CHECK: %[[CLEAN:.+]] = llvm.icmp "eq" %[[OLD]], %{{.+}} : i32
// CHECK: %[[FIRST:.+]] = llvm.select %[[CLEAN]], %[[R0]], %[[OLD]] : i1, i32
// CHECK: llvm.store %[[FIRST]], %[[STATUS]]

// Second launch: no bindings, a null table, kernel 1, one workgroup.
// CHECK: %[[NULL:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK-DAG: %[[K1:.+]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: llvm.call %{{.+}}(%{{.+}}, %[[K1]], %[[NULL]], %{{.+}}) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, i64) -> i32
// CHECK: llvm.store %{{.+}}, %[[STATUS]]
// CHECK-NEXT: %[[RESULT:.+]] = llvm.load %[[STATUS]] : !llvm.ptr -> i32
// CHECK-NEXT: return %[[RESULT]] : i32

// Kernels take their workgroup id and a noalias workspace (here empty) as
// trailing arguments.
// CHECK-LABEL: func.func private @main_dispatch_0
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: memref<4x8xf32>, %[[B:[a-z0-9_]+]]: memref<4x8xf32>, %[[WG:[a-z0-9_]+]]: index, %{{[a-z0-9_]+}}: memref<0xi8> {llvm.noalias}) attributes {dispatch.kernel}
// CHECK-NOT: dispatch.workgroup_id
// CHECK: memref.load %[[A]][%[[WG]], %{{.+}}]
// CHECK: memref.store %{{.+}}, %[[B]][%[[WG]], %{{.+}}]
// CHECK-LABEL: func.func private @main_dispatch_1
// CHECK-SAME: (%{{.+}}: index, %{{.+}}: memref<0xi8> {llvm.noalias}) attributes {dispatch.kernel}
module {
  func.func @main(%x: memref<4x8xf32>, %s: memref<f32>, %y: memref<4x8xf32>) attributes {lathe.entry, lathe.input_names = ["x", "the scale"], lathe.input_dtypes = ["f32", "f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
    dispatch.launch @main_dispatch_0[4](%x, %y) : memref<4x8xf32>, memref<4x8xf32>
    dispatch.launch @main_dispatch_1[1]()
    return
  }
  func.func private @main_dispatch_0(%a: memref<4x8xf32>, %b: memref<4x8xf32>) attributes {dispatch.kernel} {
    %wg = dispatch.workgroup_id
    %c0 = arith.constant 0 : index
    %v = memref.load %a[%wg, %c0] : memref<4x8xf32>
    memref.store %v, %b[%wg, %c0] : memref<4x8xf32>
    return
  }
  func.func private @main_dispatch_1() attributes {dispatch.kernel} {
    return
  }
}

// -----

// A copy between strided views becomes linalg.copy (a loop nest later); a
// copy between identity-layout buffers stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.+}} : memref<4xf32, strided<[2]>>) outs(%{{.+}} : memref<4xf32>)
// CHECK-NOT: memref.copy %{{.+}} : memref<4xf32, strided<[2]>>
// CHECK: memref.copy %{{.+}}, %{{.+}} : memref<4xf32> to memref<4xf32>
func.func @copies(%a: memref<8xf32>, %b: memref<4xf32>) attributes {lathe.entry, lathe.input_names = ["a"], lathe.input_dtypes = ["f32"], lathe.output_names = ["b"], lathe.output_dtypes = ["f32"]} {
  %even = memref.subview %a[0] [4] [2] : memref<8xf32> to memref<4xf32, strided<[2]>>
  memref.copy %even, %b : memref<4xf32, strided<[2]>> to memref<4xf32>
  %head = memref.alloc() : memref<4xf32>
  memref.copy %head, %b : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A buffer with no elements is passed as memref<0xT> (MLIR's bare-pointer
// convention has no strides for 2x0x4); its uses get a local empty buffer.
// The metadata still describes the declared shape.
// CHECK: lathe.metadata = "{{.*}}input empty f32 2,0,4\0Aoutput y f32 2\0A
// CHECK-LABEL: func.func @empty_input
// CHECK-SAME: (%{{.+}}: memref<0xf32>, %{{.+}}: memref<2xf32>, %{{.+}}: !llvm.ptr) -> i32
// CHECK: %[[LOCAL:.+]] = memref.alloca() : memref<2x0x4xf32>
// CHECK: memref.dim %[[LOCAL]]
func.func @empty_input(%e: memref<2x0x4xf32>, %y: memref<2xf32>) attributes {lathe.entry, lathe.input_names = ["empty"], lathe.input_dtypes = ["f32"], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  %c1 = arith.constant 1 : index
  %d = memref.dim %e, %c1 : memref<2x0x4xf32>
  return
}

// -----

// Allocas marked lathe.workspace become views of the workspace, one after the
// other at 64-byte aligned offsets (or the alloca's larger alignment); the
// metadata gives the total. Unmarked allocas stay on the stack.
// CHECK: kernel 0 lathe_kernel_scratch 1 4352\0A
// CHECK-LABEL: func.func private @scratch
// CHECK-SAME: (%[[OUT:[a-z0-9_]+]]: memref<4xf32>, %{{.+}}: index, %[[WS:[a-z0-9_]+]]: memref<4352xi8> {llvm.noalias})
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[C4096:.+]] = arith.constant 4096 : index
// CHECK-DAG: memref.view %[[WS]][%[[C0]]][] : memref<4352xi8> to memref<3xf32>
// CHECK-DAG: memref.view %[[WS]][%[[C64]]][] : memref<4352xi8> to memref<2x3xf64>
// CHECK-DAG: memref.view %[[WS]][%[[C4096]]][] : memref<4352xi8> to memref<64xf32>
// CHECK-DAG: memref.alloca() : memref<2xf32>
func.func @uses_scratch(%y: memref<4xf32>) attributes {lathe.entry, lathe.input_names = [], lathe.input_dtypes = [], lathe.output_names = ["y"], lathe.output_dtypes = ["f32"]} {
  dispatch.launch @scratch[1](%y) : memref<4xf32>
  return
}
func.func private @scratch(%out: memref<4xf32>) attributes {dispatch.kernel} {
  %a = memref.alloca() {lathe.workspace} : memref<3xf32>
  %b = memref.alloca() {lathe.workspace} : memref<2x3xf64>
  %c = memref.alloca() {alignment = 4096 : i64, lathe.workspace} : memref<64xf32>
  %d = memref.alloca() : memref<2xf32>
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<3xf32>
  %w = memref.load %c[%c0] : memref<64xf32>
  %s = arith.addf %v, %w : f32
  memref.store %s, %d[%c0] : memref<2xf32>
  memref.store %s, %out[%c0] : memref<4xf32>
  return
}
