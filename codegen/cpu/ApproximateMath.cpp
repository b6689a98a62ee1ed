//===- ApproximateMath.cpp - Inline polynomial exp, tanh and erf ---------===//
#include "codegen/cpu/CpuCodegen.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe::cpu {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;

namespace {

struct ApproximateMathPass
    : lathe::cpu::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns,
        [](StringRef name) {
          return name == "math.exp" || name == "math.tanh" || name == "math.erf";
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
