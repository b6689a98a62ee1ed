//===- DispatchAttrs.td - dispatch dialect attributes ------*- tablegen -*-===//
#ifndef LATHE_DISPATCH_ATTRS_TD
#define LATHE_DISPATCH_ATTRS_TD

include "dialects/dispatch/DispatchDialect.td"
include "mlir/Dialect/SCF/IR/DeviceMappingInterface.td"
include "mlir/IR/AttrTypeBase.td"

def Dispatch_WorkgroupMappingAttr : AttrDef<Dispatch_Dialect, "WorkgroupMapping",
    [DeclareAttrInterfaceMethods<DeviceMappingAttrInterface>]> {
  let mnemonic = "workgroup";
  let summary = "Maps a loop of an scf.forall onto the workgroups of a dispatch";
  let description = [{
    Dispatch formation tiles each op into an `scf.forall` whose iterations
    are the workgroups of one dispatch; `#dispatch.workgroup<d>` on its
    dimension `d` says so. Mapped loops stay loops: a workgroup grid of one
    is still a dispatch (canonicalization folds single-iteration foralls only
    when they are not mapped), and dispatch outlining turns each such forall
    into a kernel launch.

    Example:

    ```mlir
    scf.forall (%i, %j) in (2, 4) ... {
      ...
    } {mapping = [#dispatch.workgroup<0>, #dispatch.workgroup<1>]}
    ```
  }];
  let parameters = (ins "int64_t":$dim);
  let assemblyFormat = "`<` $dim `>`";
}

#endif // LATHE_DISPATCH_ATTRS_TD
