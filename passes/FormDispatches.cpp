//===- FormDispatches.cpp - Workgroup-parallel dispatch formation ---------===//
//
// Every linalg op of an entry function becomes one dispatch: its outermost
// parallel loop is tiled with scf.forall, and each forall iteration is one
// workgroup. A linalg.fill that only initializes another op's result is
// fused into that op's workgroups instead of getting a dispatch (and a pass
// over memory) of its own. Ops without a parallel loop of extent > 1 stay on
// the host, and ops with an empty iteration space (a zero-size loop) fold
// away.
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
    SmallVector<linalg::LinalgOp> roots, inits;
    SmallVector<lathe::dispatch::AttentionOp> attentions;
    getOperation().walk([&](func::FuncOp func) {
      if (!func->hasAttr("lathe.entry"))
        return;
      splitSharedFills(func);
      for (Operation &op : func.getBody().getOps()) {
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
          if (linalgOp.hasPureTensorSemantics())
            (isFusedInit(linalgOp) ? inits : roots).push_back(linalgOp);
        if (auto attention = dyn_cast<lathe::dispatch::AttentionOp>(&op))
          if (attention->getNumResults() == 1)
            attentions.push_back(attention);
      }
    });
    IRRewriter rewriter(&getContext());
    for (lathe::dispatch::AttentionOp op : attentions)
      formAttentionDispatch(rewriter, op);
    for (linalg::LinalgOp op : roots)
      if (failed(formDispatch(rewriter, op)))
        return signalPassFailure();
    // A fill that fusion took is dead now; one whose consumer stayed on the
    // host (or folded away) gets a dispatch of its own.
    for (linalg::LinalgOp fill : inits) {
      if (fill->use_empty())
        rewriter.eraseOp(fill);
      else if (failed(formDispatch(rewriter, fill)))
        return signalPassFailure();
    }
  }

  /// Gives every linalg op whose init is a fill shared with other users (CSE
  /// merges the zero fills of all same-shaped matmuls of a model) a fill of
  /// its own, which then fuses into its workgroups: a shared fill would be
  /// one dispatch, and bufferization would copy its buffer for every op that
  /// writes into it.
  static void splitSharedFills(func::FuncOp func) {
    SmallVector<linalg::FillOp> fills;
    for (Operation &op : func.getBody().getOps())
      if (auto fill = dyn_cast<linalg::FillOp>(&op))
        if (fill.hasPureTensorSemantics() && !fill->hasOneUse())
          fills.push_back(fill);
    for (linalg::FillOp fill : fills) {
      for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
        auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
        if (!consumer || !consumer.isDpsInit(&use) ||
            consumer->getBlock() != fill->getBlock())
          continue;
        OpBuilder b(consumer);
        use.set(b.clone(*fill)->getResult(0));
      }
      if (fill->use_empty())
        fill->erase();
    }
  }

  /// Whether `op` is a fill whose only use is the init of another linalg op
  /// in the same block: tiling that op fuses the fill into its workgroups.
  static bool isFusedInit(linalg::LinalgOp op) {
    if (!isa<linalg::FillOp>(op) || !op->hasOneUse())
      return false;
    OpOperand &use = *op->getUses().begin();
    auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
    return consumer && consumer->getBlock() == op->getBlock() &&
           consumer.isDpsInit(&use) && !isa<linalg::FillOp>(consumer);
  }

  /// The mapping of a workgroup forall with `rank` dimensions: it stays a
  /// dispatch even with a single workgroup.
  static SmallVector<Attribute> workgroupMapping(MLIRContext *context,
                                                 int64_t rank) {
    SmallVector<Attribute> mapping;
    for (int64_t d = 0; d < rank; ++d)
      mapping.push_back(lathe::dispatch::WorkgroupMappingAttr::get(context, d));
    return mapping;
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
    // Too little work to be worth waking the thread pool: on the host.
    int64_t iterations = 1;
    for (int64_t range : ranges) {
      if (ShapedType::isDynamic(range) || iterations >= minWork)
        break;
      iterations *= std::max<int64_t>(range, 1);
    }
    if (iterations < minWork)
      return {};
    if (op->hasAttr(lathe::graph::kQuantizedMatmulAttr) && ranges.size() == 3 &&
        splittable(1)) {
      tiles[1] = llvm::divideCeil(ranges[1], target);
      return tiles;
    }
    bool contraction = linalg::isaContractionOpInterface(op);
    if (contraction) {
      FailureOr<linalg::ContractionDimensions> dims =
          linalg::inferContractionDims(op);
      // Columns split along the outermost N loop; inner N loops (the
      // columns of each panel of a pre-packed operand) stay whole.
      if (succeeded(dims) && !dims->n.empty()) {
        unsigned n = *llvm::min_element(dims->n);
        int64_t panelWidth = 1;
        for (unsigned d : dims->n)
          if (d != n)
            panelWidth *= ranges[d];
        std::optional<unsigned> m;
        if (!dims->m.empty() && splittable(dims->m.back()))
          m = dims->m.back();
        std::optional<std::pair<int64_t, int64_t>> grid;
        if (splittable(n) && !ShapedType::isDynamic(panelWidth))
          grid = chooseContractionGrid(ranges, m, n, panelWidth, target);
        if (grid) {
          tiles[n] = grid->second;
          if (m)
            tiles[*m] = grid->first;
          return tiles;
        }
      }
    }
    // A contraction keeps static tiles, which the matmul kernels need: as
    // many workgroups (up to the target) as divide its first parallel loop,
    // one if none does.
    for (unsigned d = 0; d < ranges.size(); ++d) {
      if (!splittable(d))
        continue;
      int64_t count = std::min(target, ranges[d]);
      while (contraction && ranges[d] % count)
        --count;
      tiles[d] = llvm::divideCeil(ranges[d], count);
      return tiles;
    }
    return {};
  }

  /// Splits a contraction's result into a grid of (rows, columns) tiles of
  /// between target/4 (at least 2) and target/2 workgroups. Every workgroup
  /// reads, and the CPU microkernel packs, the rows of the left operand and
  /// the columns of the right operand that its tile needs, so a grid of
  /// gm x gn tiles reads the left operand gn times and the right one gm
  /// times: the grid minimizes that. Half the target of other ops still
  /// gives every thread of a small pool more than one tile, and made 1024^3
  /// and 4096^3 matmuls 5-10% faster (packing is memory-bound, 10-15% of
  /// their time with 8 tiles). Column tiles are multiples
  /// of the widest register tile (64) unless the columns stay whole, row
  /// tiles at least kMinRows, both dividing the extent exactly so that
  /// kernels keep static shapes. Each iteration of loop `n` covers
  /// `panelWidth` columns.
  std::optional<std::pair<int64_t, int64_t>>
  chooseContractionGrid(ArrayRef<int64_t> ranges, std::optional<unsigned> m,
                        unsigned n, int64_t panelWidth, int64_t target) const {
    constexpr int64_t kColumnQuantum = 64, kMinRows = 96;
    int64_t rows = m ? ranges[*m] : 1, columns = ranges[n] * panelWidth;
    std::optional<std::pair<int64_t, int64_t>> best;
    int64_t bestCost = 0;
    int64_t fewest = std::max<int64_t>(2, target / 4), most = target / 2;
    for (int64_t gn = 1; gn <= most; ++gn) {
      if (ranges[n] % gn || (gn > 1 && (columns / gn) % kColumnQuantum))
        continue;
      for (int64_t gm = 1; gm * gn <= most; ++gm) {
        if (gm > 1 && (!m || rows % gm || rows / gm < kMinRows))
          continue;
        if (gm * gn < fewest)
          continue;
        int64_t cost = gn * rows + gm * columns;
        if (!best || cost < bestCost) {
          best = std::make_pair(gm > 1 ? rows / gm : 0, ranges[n] / gn);
          bestCost = cost;
        }
      }
    }
    return best;
  }

  /// One workgroup per batch and key/value head, computing the query heads
  /// that read it (each key and value row is then read by one workgroup,
  /// which keeps them in its core's cache across its rows). With a single
  /// key/value head (and batch 1) the query heads are split instead; with a
  /// single query head the op stays on the host.
  static void formAttentionDispatch(IRRewriter &rewriter,
                                    lathe::dispatch::AttentionOp op) {
    ArrayRef<int64_t> q = cast<ShapedType>(op.getQ().getType()).getShape();
    ArrayRef<int64_t> k = cast<ShapedType>(op.getK().getType()).getShape();
    ArrayRef<int64_t> v = cast<ShapedType>(op.getV().getType()).getShape();
    int64_t batch = q[0], heads = q[1], groups = op.getGroupSize();
    if (batch * heads <= 1)
      return;
    int64_t perWorkgroup = batch * k[1] > 1 ? groups : 1;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    auto forall = scf::ForallOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(batch),
                               rewriter.getIndexAttr(heads / perWorkgroup)},
        ValueRange{op.getInit()},
        rewriter.getArrayAttr(workgroupMapping(rewriter.getContext(), 2)));
    Value b = forall.getInductionVar(0), h = forall.getInductionVar(1);
    Value out = forall.getRegionIterArgs()[0];
    rewriter.setInsertionPointToStart(forall.getBody());
    AffineExpr workgroup = rewriter.getAffineDimExpr(0);
    Value firstQuery =
        perWorkgroup == 1
            ? h
            : affine::AffineApplyOp::create(
                  rewriter, loc, AffineMap::get(1, 0, workgroup * perWorkgroup), h)
                  .getResult();
    Value kvHead = perWorkgroup == groups
                       ? h
                       : affine::AffineApplyOp::create(
                             rewriter, loc,
                             AffineMap::get(1, 0, workgroup.floorDiv(groups)), h)
                             .getResult();
    auto index = [&](int64_t i) -> OpFoldResult {
      return rewriter.getIndexAttr(i);
    };
    SmallVector<OpFoldResult> ones(4, index(1));
    SmallVector<OpFoldResult> queryAt = {b, firstQuery, index(0), index(0)};
    SmallVector<OpFoldResult> kvAt = {b, kvHead, index(0), index(0)};
    auto slice = [&](Value source, ArrayRef<OpFoldResult> at,
                     ArrayRef<int64_t> sizes) -> Value {
      auto type = cast<RankedTensorType>(source.getType());
      return tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get(sizes, type.getElementType()),
          source, at,
          llvm::map_to_vector(sizes, [&](int64_t n) { return index(n); }),
          ones);
    };
    // The mask's broadcast dimensions (size 1) stay whole.
    Value mask = op.getMask();
    if (mask) {
      ArrayRef<int64_t> m = cast<ShapedType>(mask.getType()).getShape();
      bool perHead = m[1] != 1;
      mask = slice(mask,
                   {m[0] == 1 ? index(0) : OpFoldResult(b),
                    perHead ? OpFoldResult(firstQuery) : index(0), index(0),
                    index(0)},
                   {1, perHead ? perWorkgroup : 1, m[2], m[3]});
    }
    SmallVector<int64_t> outSizes = {1, perWorkgroup, q[2], v[3]};
    Value tile = lathe::dispatch::AttentionOp::create(
                     rewriter, loc, TypeRange{RankedTensorType::get(
                                        outSizes, rewriter.getF32Type())},
                     slice(op.getQ(), queryAt, {1, perWorkgroup, q[2], q[3]}),
                     slice(op.getK(), kvAt, {1, 1, k[2], k[3]}),
                     slice(op.getV(), kvAt, {1, 1, v[2], v[3]}), mask,
                     op.getPast(), slice(out, queryAt, outSizes),
                     op.getScaleAttr(), op.getCausalAttr(), op.getSoftcapAttr(),
                     op.getPastLengthAttr())
                     .getResult()[0];
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        rewriter, loc, tile, out, queryAt,
        llvm::map_to_vector(outSizes, [&](int64_t n) { return index(n); }),
        ones);
    rewriter.replaceOp(op, forall.getResults());
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
    scf::SCFTilingOptions tiling;
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    tiling.setTileSizes(tileSizes);
    tiling.setMapping(workgroupMapping(
        rewriter.getContext(), llvm::count_if(tiles, [](int64_t t) { return t != 0; })));
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer,
           bool isDestination) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isDestination && isa<linalg::FillOp>(producer.getOwner()))
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          return std::nullopt;
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitOpError("could not be split into workgroups");
    for (OpResult result : op->getResults())
      rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace
