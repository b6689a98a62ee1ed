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
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
  pm.addPass(createCanonicalizerPass());
  pm.addPass(lathe::createRaiseAttention());
  pm.addPass(lathe::createFuseAttention());
  pm.addPass(lathe::createLowerGraphToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(lathe::createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Whether the target CPU (the host's, or options.cpu) has an x86 feature
/// such as "avx2".
static bool targetHasFeature(const CompileOptions &options, StringRef feature) {
  if (options.cpu.empty())
    return llvm::sys::getHostCPUFeatures().lookup(feature);
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, options.cpu, ""));
  return info && info->checkFeatures(("+" + feature).str());
}

/// Register and cache blocking of the f32 matmul microkernel.
static lathe::cpu::MatmulMicrokernelOptions
matmulOptions(const CompileOptions &options) {
  // 6 x 16 f32 uses 12 of AVX2's 16 ymm registers for accumulators. With
  // AVX-512, 14 x 32 uses 28 of 32 zmm (2 loads of B and 14 broadcasts per
  // 28 FMAs), and K blocks of 256 keep the panel of B that stays in L1 at
  // 32 KiB. On a 2-core AVX-512 Xeon (48 KiB L1, 2 MiB L2) this ran a 4096^3
  // matmul 1.12x faster than 6 x 64 with K blocks of 128 (which adds C into
  // memory twice as often and packs A with 6-row tiles); 12 x 32 was 1.03x.
  lathe::cpu::MatmulMicrokernelOptions matmul;
  if (targetHasFeature(options, "avx512f")) {
    matmul.registerRows = 14;
    matmul.registerWidth = 32;
    matmul.cacheBlockM = 70;
    matmul.cacheBlockK = 256;
  }
  return matmul;
}

void buildDispatchPipeline(OpPassManager &pm, const CompileOptions &options) {
  // Constant weights of f32 matmuls in the microkernel's panels.
  lathe::cpu::PackWeightsOptions pack;
  pack.registerWidth = matmulOptions(options).registerWidth;
  pm.addPass(lathe::cpu::createPackWeights(pack));
  lathe::FormDispatchesOptions form;
  form.workgroupTarget = options.workgroupTarget;
  form.minWork = options.minDispatchWork;
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
  pm.addPass(lathe::createElideResultCopies());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(lathe::createOutlineDispatches());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(lathe::createDeduplicateKernels());
}

void buildCpuLoweringPipeline(OpPassManager &pm, const CompileOptions &options) {
  lathe::cpu::MatmulMicrokernelOptions matmul = matmulOptions(options);
  // Q4_0/Q4_1 matvecs with f32 activations are bound by unpacking nibbles
  // and converting them to float, at ~40% of memory bandwidth; with 8-bit
  // activations (as llama.cpp) they decode 1.6x faster. Q8_0 matvecs stream
  // at memory speed either way, so they keep exact f32 activations. The
  // 1 KiB prefetch distance keeps each thread's weight stream ahead of its
  // matvec (decode 1.2-1.3x faster with it).
  lathe::cpu::QuantizedMatmulOptions quantized;
  if (options.int8Activations && targetHasFeature(options, "avx2"))
    quantized.integerDot = {"q4_0", "q4_1"};
  quantized.prefetchDistance = 1024;
  // vpdpbusd replaces the vpmaddubsw/vpmaddwd pair: 1.1x faster decode.
  quantized.vnni = targetHasFeature(options, "avxvnni") ||
                   (targetHasFeature(options, "avx512vnni") &&
                    targetHasFeature(options, "avx512vl"));
  // With AVX512-VNNI, Q4_0/Q4_1 take pairs of blocks per 512-bit vpdpbusd
  // and two weight rows per activation load: 1.1x faster decode.
  quantized.wide = targetHasFeature(options, "avx512vnni") &&
                   targetHasFeature(options, "avx512bw");
  // Prefill (the transposed form) uses the f32 matmul's register tiles.
  quantized.panelRows = matmul.registerRows;
  quantized.panelWidth = matmul.registerWidth;
  // Query rows in the lanes of a full f32 vector, and as many keys per
  // step (score vectors in registers: 16 of AVX-512's 32, 8 of AVX2's 16).
  lathe::cpu::FlashAttentionOptions attention;
  if (targetHasFeature(options, "avx512f")) {
    attention.lanes = 16;
    attention.keyBlock = 16;
  }
  pm.addPass(lathe::cpu::createFlashAttention(attention));
  pm.addPass(lathe::cpu::createQuantizedMatmul(quantized));
  pm.addPass(lathe::cpu::createMatmulMicrokernel(matmul));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(lathe::cpu::createPrepareCpuABI());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll(true)));
  pm.addPass(lathe::cpu::createApproximateMath());
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
  // compiler-rt's builtins hold the libcalls LLVM emits for conversions a
  // CPU lacks (f32 -> bf16 without AVX512-BF16 is __truncsfbf2, which
  // Debian 12's libgcc does not have); they link into the library.
  SmallVector<StringRef> args = {program, "-shared", "-fuse-ld=lld",
                                 "-rtlib=compiler-rt", "-o", outputPath,
                                 objectPath, "-lm"};
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    if (error.empty())
      error = "linker exited with status " + std::to_string(rc);
    return failure();
  }
  return success();
}

} // namespace lathe::cpu
