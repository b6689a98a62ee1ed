//===- DispatchOps.td - dispatch dialect ops ---------------*- tablegen -*-===//
#ifndef LATHE_DISPATCH_OPS_TD
#define LATHE_DISPATCH_OPS_TD

include "dialects/dispatch/DispatchDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Dispatch_LaunchOp : Dispatch_Op<"launch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Run every workgroup of a kernel over the given bindings";
  let description = [{
    Launches `workgroup_count` workgroups of the kernel `kernel` and waits for
    all of them. Each binding is a statically shaped buffer with the identity
    layout; they are passed to the kernel in order. Workgroups of one launch
    may run concurrently and in any order; launches run in program order.

    Example:

    ```mlir
    dispatch.launch @add_kernel[16](%a, %b, %out)
        : memref<64x32xf32>, memref<64x32xf32>, memref<64x32xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel,
                       ConfinedAttr<I64Attr, [IntPositive]>:$workgroup_count,
                       Variadic<AnyStaticShapeMemRef>:$bindings);
  let assemblyFormat = [{
    $kernel `[` $workgroup_count `]` `(` $bindings `)` attr-dict
    (`:` type($bindings)^)?
  }];
  let hasVerifier = 1;
}

def Dispatch_WorkgroupIdOp : Dispatch_Op<"workgroup_id",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Index of the workgroup this kernel invocation computes";
  let description = [{
    Only valid inside a kernel (a `func.func` with the `dispatch.kernel`
    attribute). Ranges over [0, workgroup_count) of the launching
    `dispatch.launch`.

    ```mlir
    %wg = dispatch.workgroup_id
    ```
  }];
  let results = (outs Index:$result);
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

#endif // LATHE_DISPATCH_OPS_TD
