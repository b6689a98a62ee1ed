//===- FormDispatches.cpp - Workgroup-parallel dispatch formation ---------===//
//
// Every linalg op of an entry function becomes one dispatch: its outermost
// parallel loop is tiled with scf.forall, and each forall iteration is one
// workgroup. Ops without a parallel loop of extent > 1 stay on the host, and
// ops with an empty iteration space (a zero-size loop) fold away.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

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

  /// Workgroup tile sizes, one per loop (0: not split); empty if the op has
  /// no loop to split.
  SmallVector<int64_t> chooseWorkgroupTiles(linalg::LinalgOp op) const {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto iterators = op.getIteratorTypesArray();
    auto splittable = [&](unsigned d) {
      return iterators[d] == utils::IteratorType::parallel &&
             !ShapedType::isDynamic(ranges[d]) && ranges[d] > 1;
    };
    int64_t target = std::max<int64_t>(workgroupTarget, 1);
    SmallVector<int64_t> tiles(ranges.size(), 0);
    if (op->hasAttr(lathe::graph::kQuantizedMatmulAttr) && ranges.size() == 3 &&
        splittable(1)) {
      tiles[1] = llvm::divideCeil(ranges[1], target);
      return tiles;
    }
    if (linalg::isaContractionOpInterface(op)) {
      FailureOr<linalg::ContractionDimensions> dims =
          linalg::inferContractionDims(op);
      if (succeeded(dims) && !dims->n.empty() && splittable(dims->n.back())) {
        std::optional<unsigned> m;
        if (!dims->m.empty() && splittable(dims->m.back()))
          m = dims->m.back();
        if (auto grid = chooseContractionGrid(ranges, m, dims->n.back(), target)) {
          tiles[dims->n.back()] = grid->second;
          if (m)
            tiles[*m] = grid->first;
          return tiles;
        }
      }
    }
    for (unsigned d = 0; d < ranges.size(); ++d) {
      if (splittable(d)) {
        tiles[d] = llvm::divideCeil(ranges[d], target);
        return tiles;
      }
    }
    return {};
  }

  /// Splits a contraction's result into a grid of (rows, columns) tiles of
  /// between target/2 and target workgroups. Every workgroup reads the rows of
  /// the left operand and the columns of the right operand that its tile
  /// needs, so a grid of gm x gn tiles reads the left operand gn times and the
  /// right one gm times: the grid minimizes that. Column tiles are multiples
  /// of the widest register tile (64), row tiles at least kMinRows, both
  /// dividing the extent exactly so that kernels keep static shapes.
  std::optional<std::pair<int64_t, int64_t>>
  chooseContractionGrid(ArrayRef<int64_t> ranges, std::optional<unsigned> m,
                        unsigned n, int64_t target) const {
    constexpr int64_t kColumnQuantum = 64, kMinRows = 96;
    int64_t rows = m ? ranges[*m] : 1, columns = ranges[n];
    std::optional<std::pair<int64_t, int64_t>> best;
    int64_t bestCost = 0;
    for (int64_t gn = 1; gn <= target; ++gn) {
      if (columns % gn || (columns / gn) % kColumnQuantum)
        continue;
      for (int64_t gm = 1; gm * gn <= target; ++gm) {
        if (gm > 1 && (!m || rows % gm || rows / gm < kMinRows))
          continue;
        if (gm * gn < std::max<int64_t>(2, target / 2))
          continue;
        int64_t cost = gn * rows + gm * columns;
        if (!best || cost < bestCost) {
          best = std::make_pair(gm > 1 ? rows / gm : 0, columns / gn);
          bestCost = cost;
        }
      }
    }
    return best;
  }

  LogicalResult formDispatch(IRRewriter &rewriter, linalg::LinalgOp op) {
    // No iteration writes anything, so each result is its init operand. This
    // also keeps zero-size loops away from the tiler, which crashes on them.
    if (llvm::is_contained(op.getStaticLoopRanges(), 0)) {
      rewriter.replaceOp(op, op.getDpsInits());
      return success();
    }
    SmallVector<int64_t> tiles = chooseWorkgroupTiles(op);
    if (tiles.empty())
      return success();
    SmallVector<OpFoldResult> tileSizes = llvm::map_to_vector(
        tiles, [&](int64_t t) -> OpFoldResult { return rewriter.getIndexAttr(t); });
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
