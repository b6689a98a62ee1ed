//===- PackWeights.cpp - Constant matmul operands in register panels ------===//
//
// The f32 matmul microkernel copies every block of B into panels of
// `width` columns before using it. When B is a constant (a model's weight),
// that copy is the same on every call: this pass does it once, at compile
// time, and rewrites the matmul to read the panels directly.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace lathe::cpu {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;

SmallVector<AffineMap> lathe::cpu::packedMatmulMaps(MLIRContext *context) {
  AffineExpr m, j, l, k;
  bindDims(context, m, j, l, k);
  return {AffineMap::get(4, 0, {m, k}, context),
          AffineMap::get(4, 0, {j, k, l}, context),
          AffineMap::get(4, 0, {m, j, l}, context)};
}

namespace {

/// A constant right operand of a matmul: its values, and whether they are
/// stored transposed (N x K) rather than K x N.
struct ConstantOperand {
  /// The matmul's operand.
  Value source;
  DenseElementsAttr values;
  bool transposed = false;
};

/// B itself, or the [1, 0] transpose of a constant.
std::optional<ConstantOperand> matchConstantOperand(Value b) {
  DenseElementsAttr values;
  if (matchPattern(b, m_Constant(&values)))
    return ConstantOperand{b, values, false};
  auto transpose = b.getDefiningOp<linalg::TransposeOp>();
  if (transpose && transpose.hasPureTensorSemantics() &&
      transpose.getPermutation() == ArrayRef<int64_t>{1, 0} &&
      matchPattern(transpose.getInput(), m_Constant(&values)))
    return ConstantOperand{b, values, true};
  return std::nullopt;
}

/// Bp[j, k, l] = B[k, j * width + l] as a [n / width, k, width] constant.
DenseElementsAttr packPanels(const ConstantOperand &b, int64_t k, int64_t n,
                             int64_t width) {
  auto type = RankedTensorType::get({n / width, k, width},
                                    b.values.getElementType());
  if (b.values.isSplat())
    return DenseElementsAttr::get(type, b.values.getSplatValue<Attribute>());
  auto source = b.values.getValues<float>();
  std::vector<float> panels(static_cast<size_t>(k * n));
  float *out = panels.data();
  for (int64_t j = 0; j < n / width; ++j)
    for (int64_t row = 0; row < k; ++row)
      for (int64_t l = 0; l < width; ++l) {
        int64_t column = j * width + l;
        *out++ = b.transposed ? source[column * k + row]
                              : source[row * n + column];
      }
  return DenseElementsAttr::get(type, ArrayRef<float>(panels));
}

struct PackWeightsPass : lathe::cpu::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;

  void runOnOperation() override {
    if (registerWidth < 1) {
      getOperation().emitError(
          "lathe-cpu-pack-weights: register-width must be positive");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::MatmulOp, ConstantOperand>> matmuls;
    getOperation().walk([&](func::FuncOp func) {
      if (!func->hasAttr("lathe.entry"))
        return;
      func.walk([&](linalg::MatmulOp mm) {
        if (!isSupported(mm))
          return;
        if (auto b = matchConstantOperand(mm.getDpsInputs()[1]))
          matmuls.emplace_back(mm, *b);
      });
    });
    for (auto &[mm, b] : matmuls)
      rewrite(mm, b);
  }

  /// f32 matmuls with static shapes whose N splits into whole panels.
  bool isSupported(linalg::MatmulOp mm) const {
    if (!mm.hasPureTensorSemantics() || mm.hasUserDefinedMaps())
      return false;
    for (Type type : mm->getOperandTypes()) {
      auto tensor = cast<RankedTensorType>(type);
      if (!tensor.getElementType().isF32() || !tensor.hasStaticShape())
        return false;
    }
    auto c = cast<RankedTensorType>(mm.getDpsInits()[0].getType());
    return c.getDimSize(1) % registerWidth == 0;
  }

  void rewrite(linalg::MatmulOp mm, const ConstantOperand &b) {
    OpBuilder builder(mm);
    Location loc = mm.getLoc();
    Value a = mm.getDpsInputs()[0], c = mm.getDpsInits()[0];
    auto cType = cast<RankedTensorType>(c.getType());
    int64_t m = cType.getDimSize(0), n = cType.getDimSize(1),
            k = cast<RankedTensorType>(a.getType()).getDimSize(1);
    Value panels = arith::ConstantOp::create(
        builder, loc, packPanels(b, k, n, registerWidth));

    // C as [m, n / width, width]. A fill of C becomes a fill of the view,
    // which dispatch formation fuses into the matmul's workgroups.
    SmallVector<int64_t> viewShape = {m, n / registerWidth, registerWidth};
    SmallVector<ReassociationIndices> columns = {{0}, {1, 2}};
    auto viewType = RankedTensorType::get(viewShape, cType.getElementType());
    Value init;
    if (auto fill = c.getDefiningOp<linalg::FillOp>()) {
      Value empty = tensor::EmptyOp::create(builder, loc, viewShape,
                                            cType.getElementType());
      init = linalg::FillOp::create(builder, loc, fill.value(), empty)
                 .getResult(0);
    } else {
      init = tensor::ExpandShapeOp::create(builder, loc, viewType, c, columns);
    }
    using utils::IteratorType;
    auto product = linalg::GenericOp::create(
        builder, loc, viewType, ValueRange{a, panels}, init,
        lathe::cpu::packedMatmulMaps(builder.getContext()),
        {IteratorType::parallel, IteratorType::parallel,
         IteratorType::parallel, IteratorType::reduction},
        [](OpBuilder &nested, Location loc, ValueRange args) {
          Value term = arith::MulFOp::create(nested, loc, args[0], args[1]);
          linalg::YieldOp::create(
              nested, loc,
              ValueRange{arith::AddFOp::create(nested, loc, args[2], term)});
        });
    Value result = tensor::CollapseShapeOp::create(
        builder, loc, cType, product.getResult(0), columns);
    mm->replaceAllUsesWith(ValueRange{result});
    mm->erase();
    // Dispatch formation comes next and would give a dead transpose or fill
    // a dispatch of its own.
    for (Value operand : {b.source, c})
      if (Operation *producer = operand.getDefiningOp())
        if (isa<linalg::TransposeOp, linalg::FillOp>(producer) &&
            producer->use_empty())
          producer->erase();
  }
};

} // namespace
