//===- DispatchOps.td - dispatch dialect ops ---------------*- tablegen -*-===//
#ifndef LATHE_DISPATCH_OPS_TD
#define LATHE_DISPATCH_OPS_TD

include "dialects/dispatch/DispatchAttrs.td"
include "dialects/dispatch/DispatchDialect.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
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

def Dispatch_AttentionOp : Dispatch_Op<"attention", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<BufferizableOpInterface,
        ["bufferizesToMemoryRead", "bufferizesToMemoryWrite",
         "getAliasingValues", "bufferize"]>]> {
  let summary = "Attention as one kernel, in destination-passing style";
  let description = [{
    Scaled dot-product attention written into `init`: the form of
    `graph.attention` that a target turns into one fused kernel (scores,
    softmax and the product with `v` in one pass over the keys, flash style)
    instead of a chain of loop nests with materialized scores. Operands are
    f32 and statically shaped: `q` `[B, Hq, S, D]`, `k` `[B, Hkv, L, D]`,
    `v` `[B, Hkv, L, Dv]`, `init` `[B, Hq, S, Dv]`, with query head `h`
    reading key/value head `h / (Hq / Hkv)`. They are all tensors (the op
    then has one result, the updated `init`) or all memrefs (no result).

    ```
    s[b, h, i, j] = scale * q[b, h, i, :] . k[b, h / G, j, :]
    s             = softcap * tanh(s / softcap)          // if softcap > 0
    s             = s + mask[b, h, i, j]                 // if a mask is given
    y[b, h, i, :] = softmax_j(s) . v[b, h / G, j, :]
    ```

    The optional f32 `mask` is an additive bias whose dimensions are each 1
    (broadcast) or those of `[B, Hq, S, L]`. With `causal`, query `i`
    attends key `j` only if `j <= i + P`, where the past length `P` is the
    value of the optional 0-D i64 operand `past`, else the `past_length`
    attribute, else `L - S`. A query that attends no key (or whose keys are
    all masked with -inf) gives zeros. Every key row the result depends on
    must hold finite values.

    Example:

    ```mlir
    %y = dispatch.attention {scale = 0.125 : f32, causal = true}
        ins(%q, %k, %v : tensor<1x16x64x64xf32>, tensor<1x4x512x64xf32>,
                         tensor<1x4x512x64xf32>)
        past(%position : tensor<i64>)
        outs(%init : tensor<1x16x64x64xf32>) -> tensor<1x16x64x64xf32>
    ```
  }];
  let arguments = (ins AnyShaped:$q, AnyShaped:$k, AnyShaped:$v,
                       Optional<AnyShaped>:$mask, Optional<AnyShaped>:$past,
                       AnyShaped:$init,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                       OptionalAttr<I64Attr>:$past_length);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    attr-dict `ins` `(` $q `,` $k `,` $v `:` type($q) `,` type($k) `,`
    type($v) `)` (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`past` `(` $past^ `:` type($past) `)`)? `outs` `(` $init `:` type($init)
    `)` (`->` type($result)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// Query heads per key/value head.
    int64_t getGroupSize();
  }];
  let hasVerifier = 1;
}

#endif // LATHE_DISPATCH_OPS_TD
