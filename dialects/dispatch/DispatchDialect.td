//===- DispatchDialect.td - dispatch dialect ---------------*- tablegen -*-===//
#ifndef LATHE_DISPATCH_DIALECT_TD
#define LATHE_DISPATCH_DIALECT_TD

include "mlir/IR/OpBase.td"

def Dispatch_Dialect : Dialect {
  let name = "dispatch";
  let cppNamespace = "::lathe::dispatch";
  let summary = "Kernels and how the host program launches them";
  let description = [{
    The `dispatch` dialect separates a model into kernels and the host program
    that drives them. A kernel is a `func.func` marked with the unit attribute
    `dispatch.kernel`: its arguments are buffer bindings and its body computes
    one workgroup, identified by `dispatch.workgroup_id`. The host program
    launches kernels over a grid of workgroups with `dispatch.launch`.
    Nothing here names a target: CPU, CUDA and Vulkan code generation each
    map workgroups and bindings onto their own execution model.
  }];
  // dispatch.kernel is a discardable attribute on functions.
  let hasOperationAttrVerify = 1;
  let useDefaultAttributePrinterParser = 1;
}

class Dispatch_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dispatch_Dialect, mnemonic, traits>;

#endif // LATHE_DISPATCH_DIALECT_TD
