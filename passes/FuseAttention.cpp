//===- FuseAttention.cpp - Attention as one kernel ------------------------===//
//
// graph.attention lowered to linalg is a chain of loop nests: scores, scale
// and mask, row max, exponentials, row sums, probabilities and their product
// with v, with [B, Hq, S, L] score tensors between them. The attention ops
// that a target computes as one kernel become dispatch.attention instead.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/IR/PatternMatch.h"

namespace lathe {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Whether dispatch.attention computes `op`: f32, static shapes, no mask
/// tensor and no softcap.
bool isFusable(lathe::graph::AttentionOp op) {
  for (Value value : {op.getQ(), op.getK(), op.getV()}) {
    auto type = cast<RankedTensorType>(value.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32())
      return false;
  }
  return !op.getMask() && op.getSoftcap().isZero();
}

struct FuseAttentionPass : lathe::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<lathe::graph::AttentionOp> ops;
    getOperation().walk([&](lathe::graph::AttentionOp op) {
      if (isFusable(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (lathe::graph::AttentionOp op : ops) {
      rewriter.setInsertionPoint(op);
      auto type = cast<RankedTensorType>(op.getType());
      Value init = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                           type.getShape(),
                                           type.getElementType());
      rewriter.replaceOpWithNewOp<lathe::dispatch::AttentionOp>(
          op, TypeRange{type}, op.getQ(), op.getK(), op.getV(), op.getPast(),
          init, op.getScaleAttr(), op.getCausalAttr(), op.getPastLengthAttr());
    }
  }
};

} // namespace
