//===- ElideResultCopies.cpp - Results written in their output buffers ----===//
//
// One-shot bufferization with out-params writes a returned allocation
// straight into the caller's buffer, but a returned reshape of one is
// copied. This pass aliases such an allocation to the output buffer.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace lathe {
#define GEN_PASS_DEF_ELIDERESULTCOPIES
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// The allocation that `value` reshapes (through expand_shape and
/// collapse_shape only, so the view is the whole contiguous buffer), with
/// the reshapes, root first; null if there is none.
memref::AllocOp findReshapedAllocation(Value value,
                                       SmallVectorImpl<Operation *> &views) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def)) {
      std::reverse(views.begin(), views.end());
      return alloc;
    }
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      return {};
    views.push_back(def);
    value = def->getOperand(0);
  }
  return {};
}

/// Whether every use of `value` (and of views of it in `views`) sits in an
/// op of `block` before `last`, or is `last` itself.
bool allUsesBefore(Value value, Operation *last, Block *block,
                   ArrayRef<Operation *> views) {
  for (Operation *user : value.getUsers()) {
    if (user == last)
      continue;
    if (llvm::is_contained(views, user)) {
      if (!allUsesBefore(user->getResult(0), last, block, views))
        return false;
      continue;
    }
    Operation *ancestor = block->findAncestorOpInBlock(*user);
    if (!ancestor || !ancestor->isBeforeInBlock(last))
      return false;
  }
  return true;
}

struct ElideResultCopiesPass
    : lathe::impl::ElideResultCopiesBase<ElideResultCopiesPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (!func->hasAttr("lathe.entry") || func.isExternal())
        return;
      Block &body = func.getBody().front();
      SmallVector<memref::CopyOp> copies;
      for (Operation &op : body)
        if (auto copy = dyn_cast<memref::CopyOp>(&op))
          copies.push_back(copy);
      for (memref::CopyOp copy : copies)
        elide(copy, body);
    });
  }

  static void elide(memref::CopyOp copy, Block &body) {
    auto output = dyn_cast<BlockArgument>(copy.getTarget());
    if (!output || output.getOwner() != &body || !output.hasOneUse())
      return;
    auto outputType = dyn_cast<MemRefType>(output.getType());
    SmallVector<Operation *> views;
    memref::AllocOp alloc = findReshapedAllocation(copy.getSource(), views);
    if (!alloc || !outputType || !outputType.getLayout().isIdentity() ||
        alloc->getBlock() != &body || !alloc.getDynamicSizes().empty())
      return;
    MemRefType allocType = alloc.getType();
    if (!allocType.getLayout().isIdentity() ||
        allocType.getElementType() != outputType.getElementType() ||
        allocType.getMemorySpace() != outputType.getMemorySpace() ||
        !allUsesBefore(alloc.getResult(), copy, &body, views))
      return;
    // The output argument dominates everything in the body.
    OpBuilder b(alloc);
    SmallVector<int64_t> strides = allocType.getStridesAndOffset().first;
    Value aliased = memref::ReinterpretCastOp::create(
        b, alloc.getLoc(), allocType, output, /*offset=*/0,
        allocType.getShape(), strides);
    copy.erase();
    alloc.replaceAllUsesWith(aliased);
    alloc.erase();
  }
};

} // namespace
