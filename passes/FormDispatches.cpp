//===- FormDispatches.cpp - Workgroup-parallel dispatch formation ---------===//
//
// Every linalg op of an entry function becomes one dispatch: its outermost
// parallel loop is tiled with scf.forall, and each forall iteration is one
// workgroup. Ops without a parallel loop of extent > 1 stay on the host.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace lathe {
#define GEN_PASS_DEF_FORMDISPATCHES
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

struct FormDispatchesPass
    : lathe::impl::FormDispatchesBase<FormDispatchesPass> {
  using FormDispatchesBase::FormDispatchesBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> roots;
    getOperation().walk([&](func::FuncOp func) {
      if (!func->hasAttr("lathe.entry"))
        return;
      for (Operation &op : func.getBody().getOps())
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
          if (linalgOp.hasPureTensorSemantics())
            roots.push_back(linalgOp);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : roots)
      if (failed(formDispatch(rewriter, op)))
        return signalPassFailure();
  }

  LogicalResult formDispatch(IRRewriter &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto iterators = op.getIteratorTypesArray();
    std::optional<unsigned> dim;
    for (unsigned d = 0; d < ranges.size(); ++d) {
      if (iterators[d] == utils::IteratorType::parallel &&
          !ShapedType::isDynamic(ranges[d]) && ranges[d] > 1) {
        dim = d;
        break;
      }
    }
    if (!dim)
      return success();
    int64_t extent = ranges[*dim];
    int64_t target = std::max<int64_t>(workgroupTarget, 1);
    int64_t tile = (extent + target - 1) / target;
    SmallVector<OpFoldResult> tileSizes(ranges.size(),
                                        rewriter.getIndexAttr(0));
    tileSizes[*dim] = rewriter.getIndexAttr(tile);
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTileSizes(tileSizes);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitOpError("could not be split into workgroups");
    rewriter.replaceOp(op, tiled->replacements);
    return success();
  }
};

} // namespace
