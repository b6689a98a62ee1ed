// RUN: lathe-opt --lathe-cpu-emit-abi %s -split-input-file -verify-diagnostics

// expected-error @+1 {{run lathe-cpu-prepare-abi first}}
module {
  llvm.func @main(%host: !llvm.ptr) -> i32 {
    %0 = llvm.mlir.constant(0 : i32) : i32
    llvm.return %0 : i32
  }
}

// -----

// expected-error @+1 {{missing lowered function main}}
module attributes {lathe.entries = ["main"], lathe.kernels = [], lathe.metadata = "end\0A"} {
  func.func @main() {
    return
  }
}

// -----

module attributes {lathe.entries = [], lathe.kernels = ["k"], lathe.metadata = "end\0A"} {
  // expected-error @+1 {{expected the signature (!llvm.ptr..., i64, !llvm.ptr) -> void of a lowered kernel}}
  llvm.func @k() attributes {dispatch.kernel} {
    llvm.return
  }
}

// -----

module attributes {lathe.entries = ["main"], lathe.kernels = [], lathe.metadata = "end\0A"} {
  // expected-error @+1 {{expected the signature (!llvm.ptr..., !llvm.ptr) -> i32 of a lowered entry}}
  llvm.func @main(%x: !llvm.ptr, %host: !llvm.ptr) {
    llvm.return
  }
}

// -----

module attributes {lathe.entries = [], lathe.kernels = ["k"], lathe.metadata = "end\0A"} {
  // expected-error @+1 {{expected bare-pointer buffer arguments}}
  llvm.func @k(%x: !llvm.ptr, %descriptor_size: i64, %wg: i64, %workspace: !llvm.ptr) attributes {dispatch.kernel} {
    llvm.return
  }
}

// -----

// expected-error @+1 {{lathe.kernels and lathe.entries must list function names as strings}}
module attributes {lathe.entries = [3], lathe.kernels = [], lathe.metadata = "end\0A"} {
}
