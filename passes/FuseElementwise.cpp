//===- FuseElementwise.cpp - Elementwise fusion that spares marked ops -----===//
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Quantized matmuls and contractions (matmul, batch_matmul, ...) keep their
/// form, so that a target can recognize them and give them a kernel of its
/// own: nothing fuses into them, and reshapes do not expand their loops.
bool keepsItsForm(Operation *op) {
  if (!op)
    return false;
  if (op->hasAttr(lathe::graph::kQuantizedMatmulAttr))
    return true;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaContractionOpInterface(linalgOp);
}

struct FuseElementwisePass
    : lathe::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // As upstream's pass: fuse a producer with a single use; never across a
    // quantized matmul or a contraction.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() && !keepsItsForm(producer) &&
             !keepsItsForm(fused->getOwner());
    };
    // Transposes of computed values (splitting and joining attention heads)
    // become generics, so they fuse with the elementwise ops around them
    // instead of taking a pass over memory of their own. Transposes of
    // constants stay: target passes lay out such weights at compile time.
    IRRewriter rewriter(context);
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (op.hasPureTensorSemantics() &&
          !matchPattern(op.getInput(), m_Constant()))
        transposes.push_back(op);
    });
    for (linalg::TransposeOp op : transposes) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }

    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
