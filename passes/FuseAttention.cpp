//===- FuseAttention.cpp - Attention as one kernel ------------------------===//
//
// graph.attention lowered to linalg is a chain of loop nests: scores, scale
// and mask, row max, exponentials, row sums, probabilities and their product
// with v, with [B, Hq, S, L] score tensors between them. The attention ops
// that a target computes as one kernel (f32) become dispatch.attention
// instead, a boolean mask turned into an additive one.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace lathe {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Whether dispatch.attention computes `op`: f32 and static shapes.
bool isFusable(lathe::graph::AttentionOp op) {
  for (Value value : {op.getQ(), op.getK(), op.getV(), op.getMask()}) {
    if (!value)
      continue;
    auto type = cast<RankedTensorType>(value.getType());
    if (!type.hasStaticShape() ||
        !(type.getElementType().isF32() || type.getElementType().isInteger(1)))
      return false;
  }
  return cast<RankedTensorType>(op.getQ().getType()).getElementType().isF32();
}

/// The mask as an additive f32 bias: a boolean mask keeps keys where it is
/// true (0) and drops them elsewhere (-inf).
Value additiveMask(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  if (type.getElementType().isF32())
    return mask;
  auto biasType = RankedTensorType::get(type.getShape(), b.getF32Type());
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, biasType, mask,
             tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type())
                 .getResult(),
             ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value keep = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
               Value drop = arith::ConstantOp::create(
                   nb, l, nb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
               linalg::YieldOp::create(
                   nb, l, arith::SelectOp::create(nb, l, args[0], keep, drop)
                              .getResult());
             })
      .getResult(0);
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
      Value mask = op.getMask();
      if (mask)
        mask = additiveMask(rewriter, op.getLoc(), mask);
      rewriter.replaceOpWithNewOp<lathe::dispatch::AttentionOp>(
          op, TypeRange{type}, op.getQ(), op.getK(), op.getV(), mask,
          op.getPast(), init, op.getScaleAttr(), op.getCausalAttr(),
          op.getSoftcapAttr(), op.getPastLengthAttr());
    }
  }
};

} // namespace
