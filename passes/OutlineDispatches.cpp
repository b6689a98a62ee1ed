//===- OutlineDispatches.cpp - Workgroup loops to kernels -----------------===//
//
// After bufferization each dispatch is an scf.forall over workgroups whose
// body reads and writes views of host buffers. The body moves into a kernel
// function; the buffers it touches are passed by their root allocation (an
// identity-layout, statically shaped buffer) and the views are rebuilt inside
// the kernel, so that every target can pass bindings as plain pointers.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace lathe {
#define GEN_PASS_DEF_OUTLINEDISPATCHES
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Whether `op` may be recreated inside a kernel instead of being passed.
bool isRematerializable(Operation *op) {
  return op && (op->hasTrait<OpTrait::ConstantLike>() ||
                isa<memref::GetGlobalOp>(op));
}

/// The chain of view ops from a root buffer to `value`, root first; the root
/// is a block argument or an allocation-like op result.
Value findRoot(Value value, SmallVectorImpl<Operation *> &chain) {
  while (Operation *def = value.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    chain.push_back(def);
    value = view.getViewSource();
  }
  std::reverse(chain.begin(), chain.end());
  return value;
}

struct OutlineDispatchesPass
    : lathe::impl::OutlineDispatchesBase<OutlineDispatchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    module.walk([&](func::FuncOp f) {
      if (f->hasAttr("lathe.entry"))
        entries.push_back(f);
    });
    for (func::FuncOp entry : entries) {
      SmallVector<scf::ForallOp> loops;
      for (Operation &op : entry.getBody().getOps())
        if (auto loop = dyn_cast<scf::ForallOp>(&op))
          loops.push_back(loop);
      unsigned index = 0;
      for (scf::ForallOp loop : loops)
        if (failed(outline(symbols, entry, loop, index)))
          return signalPassFailure();
    }
  }

  LogicalResult outline(SymbolTable &symbols, func::FuncOp entry,
                        scf::ForallOp loop, unsigned &index) {
    if (!loop.getOutputs().empty())
      return loop.emitOpError("expected a bufferized workgroup loop");
    // The workgroups of a multi-dimensional loop are numbered row-major.
    SmallVector<int64_t> lbs, steps, counts;
    int64_t count = 1;
    for (unsigned d = 0; d < loop.getRank(); ++d) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getMixedLowerBound()[d]);
      std::optional<int64_t> ub = getConstantIntValue(loop.getMixedUpperBound()[d]);
      std::optional<int64_t> step = getConstantIntValue(loop.getMixedStep()[d]);
      if (!lb || !ub || !step || *step <= 0)
        return loop.emitOpError("workgroup loop bounds must be static");
      lbs.push_back(*lb);
      steps.push_back(*step);
      counts.push_back(std::max<int64_t>((*ub - *lb + *step - 1) / *step, 0));
      count *= counts.back();
    }
    if (count <= 0) {
      loop.erase();
      return success();
    }

    // Sort the captured values into bindings (root buffers) and values that
    // the kernel recreates itself.
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(loop.getRegion(), captured);
    SmallVector<Value> bindings;
    SmallVector<Operation *> toClone;
    llvm::SetVector<Operation *> cloneSet;
    for (Value v : captured) {
      if (isRematerializable(v.getDefiningOp())) {
        cloneSet.insert(v.getDefiningOp());
        continue;
      }
      if (!isa<MemRefType>(v.getType()))
        return loop.emitOpError("captures a non-buffer value that a kernel "
                                "cannot receive");
      SmallVector<Operation *> chain;
      Value root = findRoot(v, chain);
      auto rootType = dyn_cast<MemRefType>(root.getType());
      if (!rootType || !rootType.hasStaticShape() ||
          !rootType.getLayout().isIdentity())
        return loop.emitOpError("captures a buffer whose root is not a "
                                "static identity-layout allocation");
      for (Operation *op : chain)
        for (Value operand : op->getOperands())
          if (operand != root && !isRematerializable(operand.getDefiningOp()) &&
              !llvm::is_contained(chain, operand.getDefiningOp()))
            return op->emitOpError("view with a dynamic operand cannot be "
                                   "rebuilt inside a kernel");
      for (Operation *op : chain) {
        cloneSet.insert(op);
        for (Value operand : op->getOperands())
          if (isRematerializable(operand.getDefiningOp()))
            cloneSet.insert(operand.getDefiningOp());
      }
      if (isRematerializable(root.getDefiningOp()))
        cloneSet.insert(root.getDefiningOp());
      else if (!llvm::is_contained(bindings, root))
        bindings.push_back(root);
    }
    toClone.assign(cloneSet.begin(), cloneSet.end());
    llvm::sort(toClone, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });

    OpBuilder builder(loop.getContext());
    std::string name = (entry.getName() + "_dispatch_" + Twine(index++)).str();
    SmallVector<Type> argTypes;
    for (Value b : bindings)
      argTypes.push_back(b.getType());
    auto kernel = func::FuncOp::create(loop.getLoc(), name,
                                       builder.getFunctionType(argTypes, {}));
    // Appended to the module, renamed if the model already uses the name.
    StringAttr kernelName = symbols.insert(kernel);
    kernel->setAttr(lathe::dispatch::kKernelAttrName, builder.getUnitAttr());
    kernel.setPrivate();
    Block *body = kernel.addEntryBlock();
    builder.setInsertionPointToStart(body);
    IRMapping map;
    for (auto [b, arg] : llvm::zip(bindings, body->getArguments()))
      map.map(b, arg);
    for (Operation *op : toClone)
      builder.clone(*op, map);
    Location loc = loop.getLoc();
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    Value wg = lathe::dispatch::WorkgroupIdOp::create(builder, loc);
    int64_t inner = count;
    for (unsigned d = 0; d < loop.getRank(); ++d) {
      inner /= counts[d];
      Value index = wg;
      if (d > 0)
        index = arith::RemUIOp::create(builder, loc, index,
                                       constant(counts[d] * inner));
      if (inner != 1)
        index = arith::DivUIOp::create(builder, loc, index, constant(inner));
      if (steps[d] != 1)
        index = arith::MulIOp::create(builder, loc, index, constant(steps[d]));
      if (lbs[d] != 0)
        index = arith::AddIOp::create(builder, loc, index, constant(lbs[d]));
      map.map(loop.getInductionVars()[d], index);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      builder.clone(op, map);
    func::ReturnOp::create(builder, loop.getLoc());

    builder.setInsertionPoint(loop);
    lathe::dispatch::LaunchOp::create(builder, loop.getLoc(), kernelName, count,
                                      bindings);
    loop.erase();
    return success();
  }
};

} // namespace
