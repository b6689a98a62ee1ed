//===- DeduplicateKernels.cpp - One kernel per distinct body --------------===//
//
// The layers of a model repeat, and so do their kernels: once outlined, the
// kernels of layer 0 and layer 23 differ only in the buffers their launches
// bind. Every kernel that has the body, signature and attributes of an
// earlier one is erased and its launches call the earlier one, so that code
// generation runs once per distinct kernel rather than once per layer.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace lathe {
#define GEN_PASS_DEF_DEDUPLICATEKERNELS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// The attributes of a kernel other than its name and visibility.
DictionaryAttr kernelAttributes(func::FuncOp kernel) {
  NamedAttrList attrs(kernel->getAttrDictionary());
  attrs.erase(SymbolTable::getSymbolAttrName());
  attrs.erase(SymbolTable::getVisibilityAttrName());
  return attrs.getDictionary(kernel.getContext());
}

/// A hash of what `isDuplicate` compares: equal kernels hash equally.
llvm::hash_code kernelHash(func::FuncOp kernel) {
  llvm::hash_code hash = llvm::hash_combine(
      kernel.getFunctionType().getAsOpaquePointer(),
      kernelAttributes(kernel).getAsOpaquePointer());
  kernel.getBody().walk([&](Operation *op) {
    hash = llvm::hash_combine(
        hash, OperationEquivalence::computeHash(
                  op, OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

bool isDuplicate(func::FuncOp kernel, func::FuncOp original) {
  return kernel.getFunctionType() == original.getFunctionType() &&
         kernel.getArgAttrsAttr() == original.getArgAttrsAttr() &&
         kernel.getResAttrsAttr() == original.getResAttrsAttr() &&
         kernelAttributes(kernel) == kernelAttributes(original) &&
         OperationEquivalence::isRegionEquivalentTo(
             &kernel.getBody(), &original.getBody(),
             OperationEquivalence::IgnoreLocations);
}

struct DeduplicateKernelsPass
    : lathe::impl::DeduplicateKernelsBase<DeduplicateKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::DenseMap<llvm::hash_code, SmallVector<func::FuncOp, 1>> seen;
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> duplicates;
    for (auto kernel : module.getOps<func::FuncOp>()) {
      if (!kernel->hasAttr(lathe::dispatch::kKernelAttrName) ||
          kernel.isExternal())
        continue;
      SmallVector<func::FuncOp, 1> &bucket = seen[kernelHash(kernel)];
      auto original = llvm::find_if(
          bucket, [&](func::FuncOp other) { return isDuplicate(kernel, other); });
      if (original != bucket.end())
        duplicates.emplace_back(kernel, *original);
      else
        bucket.push_back(kernel);
    }
    // One walk redirects every launch (SymbolTable::replaceAllSymbolUses
    // would walk the module once per duplicate).
    llvm::DenseMap<StringAttr, FlatSymbolRefAttr> replacement;
    for (auto [kernel, original] : duplicates) {
      replacement[kernel.getSymNameAttr()] =
          FlatSymbolRefAttr::get(original.getSymNameAttr());
      kernel.erase();
    }
    module.walk([&](lathe::dispatch::LaunchOp launch) {
      if (FlatSymbolRefAttr to =
              replacement.lookup(launch.getKernelAttr().getAttr()))
        launch.setKernelAttr(to);
    });
  }
};

} // namespace
