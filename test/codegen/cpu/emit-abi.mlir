// RUN: lathe-opt --lathe-cpu-emit-abi %s | FileCheck %s
// RUN: lathe-opt --lathe-cpu-emit-abi %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Input: the LLVM-dialect form of what lathe-cpu-prepare-abi produced, with
// bare-pointer buffers. The bodies become internal; the exported wrappers
// unpack the pointer tables.

// CHECK-NOT: lathe.metadata
// CHECK-NOT: lathe.kernels
// CHECK-NOT: lathe.entries
// CHECK: llvm.func internal @main(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr) -> i32
// CHECK: llvm.func internal @main_dispatch_0(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: !llvm.ptr {llvm.noalias}) attributes {dispatch.kernel}

// void lathe_kernel_<name>(void **bindings, int64_t wg, void *workspace):
// bindings[0..1], wg, workspace.
// CHECK-LABEL: llvm.func @lathe_kernel_main_dispatch_0
// CHECK-SAME: (%[[BINDINGS:.+]]: !llvm.ptr, %[[WG:.+]]: i64, %[[WS:.+]]: !llvm.ptr) {
// CHECK: %[[S0:.+]] = llvm.getelementptr %[[BINDINGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[B0:.+]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S1:.+]] = llvm.getelementptr %[[BINDINGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[B1:.+]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @main_dispatch_0(%[[B0]], %[[B1]], %[[WG]], %[[WS]]) : (!llvm.ptr, !llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.return{{$}}

// int32_t lathe_entry_<name>(void **buffers, const LatheHostABI *host):
// returns the status of the body.
// CHECK-LABEL: llvm.func @lathe_entry_main
// CHECK-SAME: (%[[BUFFERS:.+]]: !llvm.ptr, %[[HOST:.+]]: !llvm.ptr) -> i32 {
// CHECK: %[[IN:.+]] = llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[OUT_SLOT:.+]] = llvm.getelementptr %[[BUFFERS]][1]
// CHECK: %[[OUT:.+]] = llvm.load %[[OUT_SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[STATUS:.+]] = llvm.call @main(%[[IN]], %[[OUT]], %[[HOST]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-NEXT: llvm.return %[[STATUS]] : i32

// The metadata text, exported and NUL-terminated: 74 characters and the NUL.
// CHECK: llvm.mlir.global external constant @lathe_artifact_metadata("lathe-artifact 3\0Atarget cpu\0Akernel 0 lathe_kernel_main_dispatch_0 2 0\0Aend\0A\00")
// GENERIC: "llvm.mlir.global"() <{{[{].*}}constant, global_type = !llvm.array<75 x i8>, linkage = #llvm.linkage<external>, sym_name = "lathe_artifact_metadata"
module attributes {lathe.entries = ["main"], lathe.kernels = ["main_dispatch_0"], lathe.metadata = "lathe-artifact 3\0Atarget cpu\0Akernel 0 lathe_kernel_main_dispatch_0 2 0\0Aend\0A"} {
  llvm.func @main(%x: !llvm.ptr, %y: !llvm.ptr, %host: !llvm.ptr) -> i32 {
    %0 = llvm.mlir.constant(0 : i32) : i32
    llvm.return %0 : i32
  }
  llvm.func @main_dispatch_0(%a: !llvm.ptr, %b: !llvm.ptr, %wg: i64, %workspace: !llvm.ptr {llvm.noalias}) attributes {dispatch.kernel} {
    llvm.return
  }
}
