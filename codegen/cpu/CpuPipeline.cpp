//===- CpuPipeline.cpp - Pipeline phases and object emission --------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "dialects/dispatch/DispatchOps.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace lathe::cpu {

void buildGraphOptimizationPipeline(OpPassManager &pm) {
  pm.addPass(lathe::createLowerGraphToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildDispatchPipeline(OpPassManager &pm, const CompileOptions &options) {
  lathe::FormDispatchesOptions form;
  form.workgroupTarget = options.workgroupTarget;
  pm.addPass(lathe::createFormDispatches(form));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Results are written straight into caller-provided output buffers.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(lathe::createOutlineDispatches());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildCpuLoweringPipeline(OpPassManager &pm) {
  pm.addPass(lathe::cpu::createPrepareCpuABI());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll(true)));
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(lathe::cpu::createEmitCpuABI());
}

/// Register-tiled f32 matmul: 6xN register tiles with K innermost, vectorized
/// to FMA outer products; N is four vector registers with AVX-512 (6x64: 24
/// zmm accumulators, 95% of FMA peak at 1024^3) and two with AVX2 (6x16: 12
/// of the 16 ymm registers). Applies to matmuls marked `lathe.matmul_recipe`,
/// whose sizes it divides statically. `@REGISTER_N@` is the register tile.
static constexpr llvm::StringLiteral kMatmulRecipe = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} attributes {lathe.matmul_recipe} in %root : (!transform.any_op) -> !transform.any_op
    %t1, %l1:3 = transform.structured.tile_using_for %mm tile_sizes [256, 256, 256]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %t2, %l2:3 = transform.structured.tile_using_for %t1 tile_sizes [6, @REGISTER_N@, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %lm = transform.cast %l2#0 : !transform.any_op to !transform.op<"scf.for">
    %main, %rem = transform.loop.peel %lm : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
    %f0 = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f0 { transform.apply_patterns.canonicalization } : !transform.any_op
    %mms = transform.structured.match ops{["linalg.matmul"]} attributes {lathe.matmul_recipe} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %mms {create_named_contraction} : !transform.any_op
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.memref.fold_memref_alias_ops
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %f2 = transform.structured.hoist_redundant_vector_transfers %f : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f2 {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
    } : !transform.any_op
    transform.apply_patterns to %f2 {
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.lower_broadcast
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// Width of the widest f32 vector registers the target CPU has, in bits.
static unsigned vectorRegisterBits(const CompileOptions &options) {
  if (!options.cpu.empty())
    return StringRef(options.cpu).contains("avx512") ||
                   StringRef(options.cpu).starts_with("znver4") ||
                   StringRef(options.cpu).starts_with("znver5") ||
                   StringRef(options.cpu).contains("sapphirerapids")
               ? 512
               : 256;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512f") ? 512 : 256;
}

LogicalResult applyMatmulRecipe(ModuleOp module, const CompileOptions &options) {
  bool any = false;
  module.walk([&](func::FuncOp func) {
    if (!func->hasAttr(lathe::dispatch::kKernelAttrName))
      return;
    func.walk([&](linalg::MatmulOp mm) {
      if (!mm.hasPureBufferSemantics())
        return;
      auto types = llvm::map_to_vector(mm->getOperandTypes(), [](Type t) {
        return cast<MemRefType>(t);
      });
      if (!llvm::all_of(types, [](MemRefType t) {
            return t.getElementType().isF32() && t.hasStaticShape();
          }))
        return;
      int64_t m = types[0].getDimSize(0), k = types[0].getDimSize(1),
              n = types[1].getDimSize(1);
      // Each level of the recipe must tile these sizes without remainder,
      // except the 6-row register tile, whose remainder is peeled.
      bool divides = (m <= 256 || m % 256 == 0) && n % 256 == 0 &&
                     k % 256 == 0 && m >= 6;
      if (!divides)
        return;
      mm->setAttr("lathe.matmul_recipe", UnitAttr::get(mm.getContext()));
      any = true;
    });
  });
  if (!any)
    return success();
  std::string text = kMatmulRecipe.str();
  unsigned registerN = vectorRegisterBits(options) == 512 ? 64 : 16;
  size_t at = text.find("@REGISTER_N@");
  text.replace(at, strlen("@REGISTER_N@"), std::to_string(registerN));
  OwningOpRef<ModuleOp> recipe =
      parseSourceString<ModuleOp>(text, module.getContext());
  if (!recipe)
    return module.emitError("internal error: matmul recipe does not parse");
  auto entry = transform::detail::findTransformEntryPoint(
      *recipe, ModuleOp(), transform::TransformDialect::kTransformEntryPointSymbolName);
  if (!entry)
    return module.emitError("internal error: matmul recipe has no entry point");
  if (failed(transform::applyTransformNamedSequence(
          module, entry, *recipe, transform::TransformOptions())))
    return failure();
  module.walk([](linalg::MatmulOp mm) { mm->removeAttr("lathe.matmul_recipe"); });
  return success();
}

LogicalResult emitObject(ModuleOp module, const CompileOptions &options,
                         StringRef objectPath, std::string *irText) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "lathe_model");
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError("no LLVM target for ") << triple.str() << ": " << error;
  std::string cpu = options.cpu.empty() ? llvm::sys::getHostCPUName().str() : options.cpu;
  std::string features;
  if (options.cpu.empty()) {
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", cpu);
    if (!features.empty())
      f.addFnAttr("target-features", features);
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(machine.get());
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(*llvmModule, mam);

  if (irText) {
    llvm::raw_string_ostream os(*irText);
    llvmModule->print(os, nullptr);
  }
  if (objectPath.empty())
    return success();
  std::error_code ec;
  llvm::raw_fd_ostream out(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec)
    return module.emitError("cannot write ") << objectPath << ": " << ec.message();
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return module.emitError("the target cannot emit object files");
  codegen.run(*llvmModule);
  return success();
}

LogicalResult linkSharedLibrary(StringRef objectPath, StringRef outputPath,
                                std::string &error) {
  auto clang = llvm::sys::findProgramByName("clang-22");
  std::string program = clang ? *clang : std::string(LATHE_CLANG_PATH);
  SmallVector<StringRef> args = {program, "-shared", "-fuse-ld=lld",
                                 "-o", outputPath, objectPath, "-lm"};
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    if (error.empty())
      error = "linker exited with status " + std::to_string(rc);
    return failure();
  }
  return success();
}

} // namespace lathe::cpu
