//===- lathe-compile.cpp - Model to artifact compiler driver --------------===//
//
//   lathe-compile MODEL.onnx -o MODEL.so [--target=cpu] [--emit=PHASE]
//   lathe-compile MODEL.gguf -o MODEL.so [--context=N] [--prefill-chunk=N]
//
// A GGUF model also gets a weights file beside the library, MODEL.weights.gguf,
// which the runtime maps when it loads the library.
//
// Phases: graph (imported IR), dispatch (kernels and host program after
// bufferization), llvm (optimized LLVM IR), artifact (default).
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"
#include "dialects/dispatch/DispatchOps.h"
#include "dialects/graph/GraphOps.h"
#include "frontend/gguf/GgufImporter.h"
#include "frontend/onnx/OnnxImporter.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("lathe-compile options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx|model.gguf>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output artifact (.so) or IR file"),
                                cl::value_desc("path"), cl::cat(category));
enum class Phase { Graph, Dispatch, LLVM, Artifact };
cl::opt<Phase> emit(
    "emit", cl::desc("Stop after a phase and print its IR"),
    cl::values(clEnumValN(Phase::Graph, "graph", "imported graph-level IR"),
               clEnumValN(Phase::Dispatch, "dispatch", "kernels and host program"),
               clEnumValN(Phase::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(Phase::Artifact, "artifact", "model library (default)")),
    cl::init(Phase::Artifact), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("Target: cpu"), cl::init("cpu"),
                            cl::cat(category));
cl::opt<std::string> cpuName("cpu", cl::desc("LLVM CPU name (default: host)"),
                             cl::cat(category));
cl::opt<int64_t> workgroups("workgroups",
                            cl::desc("Workgroups to aim for per dispatch"),
                            cl::init(16), cl::cat(category));
cl::opt<int64_t> minDispatchWork(
    "min-dispatch-work",
    cl::desc("Loop iterations below which an op runs on the host thread"),
    cl::init(8192), cl::cat(category));
cl::list<std::string> dims("dim", cl::desc("Size of a symbolic input dimension"),
                           cl::value_desc("NAME=N"), cl::cat(category));
cl::list<std::string> constInputs(
    "const-input", cl::desc("Specialise a graph input to a constant TensorProto"),
    cl::value_desc("NAME=FILE.pb"), cl::cat(category));
cl::opt<int64_t> contextLength(
    "context", cl::desc("GGUF: positions in the KV cache (default: the model's, "
                        "at most 4096)"),
    cl::init(0), cl::cat(category));
enum class Activations { I8, F32 };
cl::opt<Activations> activations(
    "activations",
    cl::desc("GGUF: activations of Q4_0/Q4_1 decode matvecs (AVX2 hosts)"),
    cl::values(clEnumValN(Activations::I8, "i8",
                          "quantized to 8 bits per block, integer dot "
                          "products (default, as llama.cpp)"),
               clEnumValN(Activations::F32, "f32", "kept f32 (exact, slower)")),
    cl::init(Activations::I8), cl::cat(category));
cl::opt<int64_t> prefillChunk("prefill-chunk",
                              cl::desc("GGUF: tokens per prefill call"),
                              cl::init(64), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "lathe-compile: error: " << message << "\n";
  return 1;
}

bool runPasses(ModuleOp module, llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return false;
  build(pm);
  return succeeded(pm.run(module));
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Lathe model compiler: ONNX or GGUF model -> model library\n\n"
      "  lathe-compile model.onnx -o model.so\n"
      "  lathe-compile model.gguf -o model.so   (+ model.weights.gguf)\n"
      "  lathe-compile model.onnx --emit=graph\n\n"
      "MLIR pass-manager flags such as --mlir-print-ir-after-all also work.\n");

  if (target != "cpu")
    return fail("unsupported target '" + target + "' (supported: cpu)");
  if (emit == Phase::Artifact && outputPath.empty())
    return fail("missing -o OUTPUT");
  if (workgroups <= 0)
    return fail("--workgroups expects N > 0, got " + llvm::Twine(workgroups));
  if (minDispatchWork < 0)
    return fail("--min-dispatch-work expects N >= 0, got " +
                llvm::Twine(minDispatchWork));
  // An output that cannot be written is found now, not after compiling.
  if (!outputPath.empty() && outputPath != "-") {
    llvm::StringRef dir = llvm::sys::path::parent_path(outputPath);
    if (dir.empty())
      dir = ".";
    if (llvm::sys::fs::is_directory(outputPath))
      return fail("cannot write '" + outputPath + "': it is a directory");
    if (!llvm::sys::fs::exists(dir))
      return fail("cannot write '" + outputPath + "': directory '" + dir +
                  "' does not exist");
    if (!llvm::sys::fs::is_directory(dir))
      return fail("cannot write '" + outputPath + "': '" + dir +
                  "' is not a directory");
    if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
      return fail("cannot write '" + outputPath + "': directory '" + dir +
                  "' is not writable");
  }

  lathe::onnx_import::ImportOptions importOptions;
  for (const std::string &d : dims) {
    auto [name, value] = llvm::StringRef(d).split('=');
    int64_t size;
    if (name.empty() || value.getAsInteger(10, size) || size <= 0)
      return fail("--dim expects NAME=N with N > 0, got '" + d + "'");
    importOptions.dims[name] = size;
  }
  for (const std::string &c : constInputs) {
    auto [name, file] = llvm::StringRef(c).split('=');
    if (name.empty() || file.empty())
      return fail("--const-input expects NAME=FILE.pb, got '" + c + "'");
    importOptions.constantInputs[name] = file.str();
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<lathe::dispatch::DispatchDialect, lathe::graph::GraphDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler diagnostics(&context, [](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error &&
        diag.getSeverity() != DiagnosticSeverity::Warning)
      return success();
    auto &os = llvm::errs();
    os << "lathe-compile: "
       << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: " : "warning: ")
       << diag.str();
    if (!isa<UnknownLoc>(diag.getLocation()))
      os << " (at " << diag.getLocation() << ")";
    os << "\n";
    for (const Diagnostic &note : diag.getNotes())
      os << "  note: " << note.str() << "\n";
    return success();
  });

  // GGUF files are recognised by their magic, anything else is ONNX.
  bool isGguf = false;
  {
    char magic[4] = {};
    std::ifstream in(inputPath, std::ios::binary);
    isGguf = in.read(magic, 4) && std::string(magic, 4) == "GGUF";
  }
  std::optional<lathe::gguf::GgufFile> gguf;
  lathe::gguf_import::WeightsLayout weightsLayout;
  std::string weightsPath;
  OwningOpRef<ModuleOp> module;
  if (isGguf) {
    if (!dims.empty() || !constInputs.empty())
      return fail("--dim and --const-input apply to ONNX models only");
    auto opened = lathe::gguf::GgufFile::open(inputPath);
    if (!opened)
      return fail(inputPath + ": " + opened.getError().str());
    gguf.emplace(std::move(*opened));
    lathe::gguf_import::LlmOptions llm;
    llm.contextLength = contextLength;
    llm.prefillChunk = prefillChunk;
    if (contextLength < 0 || prefillChunk <= 0)
      return fail("--context expects N >= 0 and --prefill-chunk N > 0");
    module = lathe::gguf_import::importGgufModel(context, inputPath, *gguf, llm,
                                                 weightsLayout);
    if (!module)
      return 1;
    llvm::SmallString<128> weights(outputPath.empty() ? std::string(inputPath)
                                                      : std::string(outputPath));
    llvm::sys::path::replace_extension(weights, "weights.gguf");
    weightsPath = std::string(weights);
    (*module)->setAttr(
        "lathe.weights",
        DictionaryAttr::get(
            &context,
            {NamedAttribute(StringAttr::get(&context, "file"),
                            StringAttr::get(&context,
                                            llvm::sys::path::filename(weightsPath))),
             NamedAttribute(StringAttr::get(&context, "size"),
                            IntegerAttr::get(IntegerType::get(&context, 64),
                                             weightsLayout.fileSize))}));
  } else {
    module = lathe::onnx_import::importOnnxFile(context, inputPath, importOptions);
  }
  if (!module)
    return 1;
  if (failed(verify(*module)))
    return fail(inputPath + ": imported IR does not verify (importer bug)");

  auto printTo = [&](auto &&print) -> int {
    std::string error;
    auto out = openOutputFile(outputPath.empty() ? std::string("-") : std::string(outputPath), &error);
    if (!out)
      return fail(error);
    print(out->os());
    out->keep();
    return 0;
  };
  if (emit == Phase::Graph)
    return printTo([&](llvm::raw_ostream &os) { module->print(os); });

  lathe::cpu::CompileOptions options;
  options.workgroupTarget = workgroups;
  options.minDispatchWork = minDispatchWork;
  options.cpu = cpuName;
  options.int8Activations = activations == Activations::I8;
  if (!runPasses(*module, [&](OpPassManager &pm) {
        lathe::cpu::buildGraphOptimizationPipeline(pm);
        lathe::cpu::buildDispatchPipeline(pm, options);
      }))
    return fail(inputPath + ": dispatch formation failed");
  if (emit == Phase::Dispatch)
    return printTo([&](llvm::raw_ostream &os) { module->print(os); });

  if (!runPasses(*module, [&](OpPassManager &pm) {
        lathe::cpu::buildCpuLoweringPipeline(pm, options);
      }))
    return fail(inputPath + ": lowering to LLVM failed");

  if (emit == Phase::LLVM) {
    std::string ir;
    if (failed(lathe::cpu::emitObject(*module, options, "", &ir)))
      return 1;
    return printTo([&](llvm::raw_ostream &os) { os << ir; });
  }

  llvm::SmallString<128> objectPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("lathe-model", "o", objectPath))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeObject(objectPath);
  if (failed(lathe::cpu::emitObject(*module, options, objectPath, nullptr)))
    return 1;
  std::string error;
  if (failed(lathe::cpu::linkSharedLibrary(objectPath, outputPath, error)))
    return fail("linking " + outputPath + " failed: " + error);
  if (gguf && !lathe::gguf_import::writeWeightsFile(*gguf, weightsLayout,
                                                    weightsPath, error))
    return fail(error);
  return 0;
}
