//===- CpuABI.cpp - Model library ABI for the CPU target ------------------===//
//
// Connects generated code to runtime/include/lathe/model_abi.h: kernels and
// entry functions get the uniform exported signatures, dispatch.launch calls
// the runtime's dispatch callback, and the metadata string describes it all.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "dialects/dispatch/DispatchOps.h"
#include "lathe/model_abi.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/raw_ostream.h"

namespace lathe::cpu {
#define GEN_PASS_DEF_PREPARECPUABI
#define GEN_PASS_DEF_EMITCPUABI
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMetadataAttr = "lathe.metadata";
constexpr llvm::StringLiteral kKernelsAttr = "lathe.kernels";
constexpr llvm::StringLiteral kEntriesAttr = "lathe.entries";
constexpr int64_t kMaxWorkspaceBytes = LATHE_MAX_WORKSPACE_BYTES;

/// Metadata names may not contain whitespace.
std::string metadataName(StringRef name) {
  std::string out = name.str();
  for (char &c : out)
    if (isspace(static_cast<unsigned char>(c)))
      c = '_';
  return out.empty() ? "_" : out;
}

/// MLIR's bare-pointer calling convention cannot pass a buffer with a
/// zero-size dimension after the first (it finds no strides for it). Such a
/// buffer holds no elements, so the function takes it as a `memref<0xT>` and
/// its uses get a local zero-size buffer of the original type instead.
void passEmptyBuffersAsRankOne(func::FuncOp func) {
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() != 0 ||
        type.getRank() == 1)
      continue;
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Value local = memref::AllocaOp::create(b, func.getLoc(), type);
    arg.replaceAllUsesWith(local);
    arg.setType(MemRefType::get({0}, type.getElementType(), AffineMap(),
                                type.getMemorySpace()));
  }
  func.setFunctionType(FunctionType::get(
      func.getContext(), body.getArgumentTypes(), func.getResultTypes()));
}

/// Replaces the allocas of `kernel` marked lathe.workspace by views of a new
/// trailing `memref<N x i8>` workspace argument (noalias: the runtime's
/// per-thread scratch memory, lathe/model_abi.h) and returns N, or fails.
/// The buffers follow each other, each aligned as its alloca asks and to at
/// least 64 bytes.
FailureOr<int64_t> placeInWorkspace(func::FuncOp kernel) {
  SmallVector<memref::AllocaOp> buffers;
  WalkResult walk = kernel.walk([&](memref::AllocaOp alloca) {
    if (!alloca->hasAttr(lathe::cpu::kWorkspaceAttrName))
      return WalkResult::advance();
    MemRefType type = alloca.getType();
    if (alloca->getBlock() != &kernel.getBody().front() ||
        !type.hasStaticShape() || !type.getLayout().isIdentity() ||
        type.getMemorySpace() || type.getElementTypeBitWidth() % 8 != 0) {
      alloca.emitOpError("in the workspace must be in the kernel's entry "
                         "block, with a static identity-layout type of whole "
                         "bytes");
      return WalkResult::interrupt();
    }
    buffers.push_back(alloca);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  SmallVector<int64_t> offsets;
  int64_t size = 0;
  for (memref::AllocaOp alloca : buffers) {
    int64_t alignment = std::max<int64_t>(alloca.getAlignment().value_or(1), 64);
    size = llvm::alignTo(size, alignment);
    offsets.push_back(size);
    MemRefType type = alloca.getType();
    size += type.getNumElements() * type.getElementTypeBitWidth() / 8;
  }
  if (size > kMaxWorkspaceBytes)
    return kernel.emitOpError("needs a workspace of ")
           << size << " bytes, more than the runtime's limit of "
           << kMaxWorkspaceBytes;
  MLIRContext *ctx = kernel.getContext();
  auto workspaceType = MemRefType::get({size}, IntegerType::get(ctx, 8));
  unsigned index = kernel.getNumArguments();
  if (failed(kernel.insertArgument(index, workspaceType, {}, kernel.getLoc())))
    return failure();
  kernel.setArgAttr(index, LLVM::LLVMDialect::getNoAliasAttrName(),
                    UnitAttr::get(ctx));
  Value workspace = kernel.getArgument(index);
  for (auto [alloca, offset] : llvm::zip(buffers, offsets)) {
    OpBuilder b(alloca);
    Value at = arith::ConstantIndexOp::create(b, alloca.getLoc(), offset);
    Value view = memref::ViewOp::create(b, alloca.getLoc(), alloca.getType(),
                                        workspace, at, ValueRange{});
    alloca.replaceAllUsesWith(view);
    alloca.erase();
  }
  return size;
}

void printDims(llvm::raw_ostream &os, MemRefType type) {
  if (type.getRank() == 0) {
    os << "scalar";
    return;
  }
  llvm::interleave(type.getShape(), os, ",");
}

/// The kind ("param" or "state") and name of entry argument `i` when the
/// runtime binds it rather than the caller.
std::optional<std::pair<StringRef, StringRef>> boundBuffer(func::FuncOp func,
                                                           unsigned i) {
  if (auto name = func.getArgAttrOfType<StringAttr>(i, "lathe.param"))
    return std::make_pair(StringRef("param"), name.getValue());
  if (auto name = func.getArgAttrOfType<StringAttr>(i, "lathe.state"))
    return std::make_pair(StringRef("state"), name.getValue());
  return std::nullopt;
}

/// The metadata dtype of a buffer element type; empty if it has none.
StringRef dtypeName(Type type) {
  if (type.isF32()) return "f32";
  if (type.isF16()) return "f16";
  if (type.isBF16()) return "bf16";
  if (type.isF64()) return "f64";
  if (type.isInteger(8)) return "i8";
  if (type.isInteger(32)) return "i32";
  if (type.isInteger(64)) return "i64";
  return "";
}

/// Writes the module-level `weights`, `param` and `state` records of the
/// buffers that entries bind (lathe.param / lathe.state arguments). Entries
/// that bind one name must agree on its type (and a parameter's offset).
LogicalResult describeBoundBuffers(ModuleOp module, llvm::raw_ostream &os) {
  struct Record {
    MemRefType type;
    int64_t offset;
  };
  llvm::MapVector<std::pair<StringRef, StringRef>, Record> records;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr("lathe.entry"))
      continue;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      std::optional<std::pair<StringRef, StringRef>> bound = boundBuffer(func, i);
      if (!bound)
        continue;
      auto type = dyn_cast<MemRefType>(func.getArgumentTypes()[i]);
      if (!type || !type.hasStaticShape() ||
          dtypeName(type.getElementType()).empty())
        return func.emitOpError("bound argument #")
               << i << " is not a static buffer of a supported type";
      int64_t offset = -1;
      if (bound->first == "param") {
        auto attr = func.getArgAttrOfType<IntegerAttr>(i, "lathe.param_offset");
        if (!attr || attr.getInt() < 0)
          return func.emitOpError("parameter argument #")
                 << i << " has no lathe.param_offset";
        offset = attr.getInt();
      }
      auto [it, inserted] = records.insert({*bound, Record{type, offset}});
      if (!inserted && (it->second.type != type || it->second.offset != offset))
        return func.emitOpError("binds ")
               << bound->first << " '" << bound->second
               << "' with a different type or offset than another entry";
    }
  }
  bool hasParams = llvm::any_of(
      records, [](const auto &r) { return r.first.first == "param"; });
  auto weights = module->getAttrOfType<DictionaryAttr>("lathe.weights");
  if (hasParams) {
    auto file = weights ? weights.getAs<StringAttr>("file") : StringAttr();
    auto size = weights ? weights.getAs<IntegerAttr>("size") : IntegerAttr();
    if (!file || !size)
      return module.emitError("entries bind parameters but the module has no "
                              "lathe.weights {file, size}");
    os << "weights " << metadataName(file.getValue()) << " " << size.getInt()
       << "\n";
  }
  for (const auto &[key, record] : records) {
    os << key.first << " " << metadataName(key.second) << " "
       << dtypeName(record.type.getElementType()) << " ";
    printDims(os, record.type);
    if (key.first == "param")
      os << " " << record.offset;
    os << "\n";
  }
  return success();
}

struct PrepareCpuABIPass
    : lathe::cpu::impl::PrepareCpuABIBase<PrepareCpuABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // A copy between strided views lowers to a call of MLIR's C runner
    // library, which a model library does not link: make it a loop nest.
    module.walk([](memref::CopyOp copy) {
      auto source = cast<MemRefType>(copy.getSource().getType());
      auto target = cast<MemRefType>(copy.getTarget().getType());
      if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
        return;
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
    std::string metadata;
    llvm::raw_string_ostream os(metadata);
    os << "lathe-artifact 3\ntarget cpu\n";

    SmallVector<Attribute> kernelNames;
    llvm::StringMap<int64_t> kernelIndex;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!func->hasAttr(lathe::dispatch::kKernelAttrName))
        continue;
      unsigned bindings = func.getNumArguments();
      Location loc = func.getLoc();
      if (failed(func.insertArgument(bindings, IndexType::get(ctx), {}, loc)))
        return signalPassFailure();
      Value wg = func.getArgument(bindings);
      func.walk([&](lathe::dispatch::WorkgroupIdOp op) {
        op.replaceAllUsesWith(wg);
        op.erase();
      });
      FailureOr<int64_t> workspaceBytes = placeInWorkspace(func);
      if (failed(workspaceBytes))
        return signalPassFailure();
      kernelIndex[func.getName()] = kernelNames.size();
      os << "kernel " << kernelNames.size() << " lathe_kernel_" << func.getName()
         << " " << bindings << " " << *workspaceBytes << "\n";
      kernelNames.push_back(StringAttr::get(ctx, func.getName()));
    }

    SmallVector<Attribute> entryNames;
    if (failed(describeBoundBuffers(module, os)))
      return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!func->hasAttr("lathe.entry"))
        continue;
      auto inNames = func->getAttrOfType<ArrayAttr>("lathe.input_names");
      auto inDtypes = func->getAttrOfType<ArrayAttr>("lathe.input_dtypes");
      auto outNames = func->getAttrOfType<ArrayAttr>("lathe.output_names");
      auto outDtypes = func->getAttrOfType<ArrayAttr>("lathe.output_dtypes");
      auto strings = [](ArrayAttr a) {
        return a && llvm::all_of(a, llvm::IsaPred<StringAttr>);
      };
      unsigned bound = 0;
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (boundBuffer(func, i))
          ++bound;
      if (!strings(inNames) || !strings(inDtypes) || !strings(outNames) ||
          !strings(outDtypes) || inNames.size() != inDtypes.size() ||
          outNames.size() != outDtypes.size() ||
          inNames.size() + bound + outNames.size() != func.getNumArguments() ||
          func.getNumResults() != 0) {
        func.emitOpError("entry signature does not match its names (expected "
                         "results passed as trailing buffers)");
        return signalPassFailure();
      }
      os << "entry " << metadataName(func.getName()) << " lathe_entry_"
         << func.getName() << " " << inNames.size() << " " << outNames.size();
      if (bound)
        os << " " << bound;
      os << "\n";
      // Buffers in argument order: inputs, bound buffers, outputs.
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto type = dyn_cast<MemRefType>(func.getArgumentTypes()[i]);
        if (!type || !type.hasStaticShape()) {
          func.emitOpError("entry argument #") << i << " is not a static buffer";
          return signalPassFailure();
        }
        bool isInput = i < inNames.size();
        bool isBound = !isInput && i < inNames.size() + bound;
        std::optional<std::pair<StringRef, StringRef>> binding =
            boundBuffer(func, i);
        if (isBound != binding.has_value()) {
          func.emitOpError("bound buffers must follow the inputs");
          return signalPassFailure();
        }
        if (binding) {
          os << "bind " << binding->first << " "
             << metadataName(binding->second) << "\n";
          continue;
        }
        unsigned k = isInput ? i : i - inNames.size() - bound;
        os << (isInput ? "input " : "output ")
           << metadataName(cast<StringAttr>((isInput ? inNames : outNames)[k]).getValue())
           << " " << cast<StringAttr>((isInput ? inDtypes : outDtypes)[k]).getValue()
           << " ";
        printDims(os, type);
        os << "\n";
      }
      entryNames.push_back(StringAttr::get(ctx, func.getName()));
      auto ptrType = LLVM::LLVMPointerType::get(ctx);
      unsigned hostIndex = func.getNumArguments();
      if (failed(func.insertArgument(hostIndex, ptrType, {}, func.getLoc())))
        return signalPassFailure();
      Value host = func.getArgument(hostIndex);
      // The entry returns the first non-zero status of its dispatches
      // (runtime/include/lathe/model_abi.h), kept in a stack slot.
      OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
      Location loc = func.getLoc();
      auto i32 = b.getI32Type();
      Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                           b.getI64IntegerAttr(1));
      Value status = LLVM::AllocaOp::create(b, loc, ptrType, i32, one);
      LLVM::StoreOp::create(
          b, loc,
          LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0)),
          status);
      SmallVector<lathe::dispatch::LaunchOp> launches;
      func.walk([&](lathe::dispatch::LaunchOp op) { launches.push_back(op); });
      for (auto launch : launches)
        lowerLaunch(launch, host, status,
                    kernelIndex.lookup(launch.getKernel()));
      func.walk([&](func::ReturnOp ret) {
        OpBuilder rb(ret);
        Value result = LLVM::LoadOp::create(rb, ret.getLoc(), i32, status);
        ret.getOperandsMutable().assign(result);
      });
      func.setFunctionType(
          FunctionType::get(ctx, func.getArgumentTypes(), {i32}));
    }
    os << "end\n";
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("lathe.entry") ||
          func->hasAttr(lathe::dispatch::kKernelAttrName))
        passEmptyBuffersAsRankOne(func);
    module->setAttr(kMetadataAttr, StringAttr::get(ctx, metadata));
    module->setAttr(kKernelsAttr, ArrayAttr::get(ctx, kernelNames));
    module->setAttr(kEntriesAttr, ArrayAttr::get(ctx, entryNames));
  }

  /// dispatch.launch -> bindings table + host->dispatch(ctx, k, table, n);
  /// a non-zero result is stored to `status` unless one is there already.
  void lowerLaunch(lathe::dispatch::LaunchOp launch, Value host, Value status,
                   int64_t kernel) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    MLIRContext *ctx = b.getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    auto i32 = b.getI32Type();
    auto constant = [&](int64_t v) {
      return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
    };
    unsigned count = launch.getBindings().size();
    Value table = LLVM::ZeroOp::create(b, loc, ptrType);
    if (count) {
      table = LLVM::AllocaOp::create(b, loc, ptrType, ptrType, constant(count));
      for (auto [i, binding] : llvm::enumerate(launch.getBindings())) {
        Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, binding);
        Value asInt = arith::IndexCastOp::create(b, loc, i64, address);
        Value pointer = LLVM::IntToPtrOp::create(b, loc, ptrType, asInt);
        Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, table,
                                         ArrayRef<LLVM::GEPArg>{(int32_t)i});
        LLVM::StoreOp::create(b, loc, pointer, slot);
      }
    }
    Value context = LLVM::LoadOp::create(b, loc, ptrType, host);
    Value fnSlot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, host,
                                       ArrayRef<LLVM::GEPArg>{1});
    Value fn = LLVM::LoadOp::create(b, loc, ptrType, fnSlot);
    auto fnType = LLVM::LLVMFunctionType::get(i32, {ptrType, i64, ptrType, i64});
    Value result =
        LLVM::CallOp::create(b, loc, fnType,
                             ValueRange{fn, context, constant(kernel), table,
                                        constant(launch.getWorkgroupCount())})
            .getResult();
    Value previous = LLVM::LoadOp::create(b, loc, i32, status);
    Value zero = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
    Value clean = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                       previous, zero);
    Value first = LLVM::SelectOp::create(b, loc, clean, result, previous);
    LLVM::StoreOp::create(b, loc, first, status);
    launch.erase();
  }
};

struct EmitCpuABIPass : lathe::cpu::impl::EmitCpuABIBase<EmitCpuABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto metadata = module->getAttrOfType<StringAttr>(kMetadataAttr);
    auto kernels = module->getAttrOfType<ArrayAttr>(kKernelsAttr);
    auto entries = module->getAttrOfType<ArrayAttr>(kEntriesAttr);
    if (!metadata || !kernels || !entries) {
      module.emitError("run lathe-cpu-prepare-abi first");
      return signalPassFailure();
    }
    auto symbols = [](ArrayAttr a) {
      return llvm::all_of(a, llvm::IsaPred<StringAttr>);
    };
    if (!symbols(kernels) || !symbols(entries)) {
      module.emitError("lathe.kernels and lathe.entries must list function "
                       "names as strings");
      return signalPassFailure();
    }
    OpBuilder b(&getContext());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(&getContext());
    auto i64 = b.getI64Type();
    auto i32 = b.getI32Type();

    // Kernel and entry wrappers: load the pointer table, call the body.
    // Entries: (buffers..., host) -> i32 status; kernels: (bindings..., wg,
    // workspace). The arguments after the buffers pass through.
    auto wrap = [&](StringRef inner, StringRef exported, bool isEntry) -> LogicalResult {
      auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(inner);
      if (!callee)
        return module.emitError("missing lowered function ") << inner;
      Type result =
          isEntry ? (Type)i32 : LLVM::LLVMVoidType::get(&getContext());
      SmallVector<Type> trailing = isEntry ? SmallVector<Type>{ptrType}
                                           : SmallVector<Type>{i64, ptrType};
      auto params = callee.getFunctionType().getParams();
      if (params.size() < trailing.size() ||
          params.take_back(trailing.size()) != ArrayRef<Type>(trailing) ||
          callee.getFunctionType().getReturnType() != result)
        return callee.emitError("expected the signature ")
               << (isEntry ? "(!llvm.ptr..., !llvm.ptr) -> i32"
                           : "(!llvm.ptr..., i64, !llvm.ptr) -> void")
               << " of a lowered " << (isEntry ? "entry" : "kernel");
      callee.setLinkage(LLVM::Linkage::Internal);
      unsigned pointers = params.size() - trailing.size();
      SmallVector<Type> wrapperParams{ptrType};
      wrapperParams.append(trailing);
      auto type = LLVM::LLVMFunctionType::get(result, wrapperParams);
      b.setInsertionPointToEnd(module.getBody());
      auto wrapper = LLVM::LLVMFuncOp::create(b, loc, exported, type);
      Block *block = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      SmallVector<Value> args;
      for (unsigned i = 0; i < pointers; ++i) {
        if (!isa<LLVM::LLVMPointerType>(params[i]))
          return callee.emitError("expected bare-pointer buffer arguments");
        Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, block->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{(int32_t)i});
        args.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
      llvm::append_range(args, block->getArguments().drop_front());
      auto call = LLVM::CallOp::create(b, loc, callee, args);
      LLVM::ReturnOp::create(b, loc, call.getResults());
      return success();
    };
    for (Attribute k : kernels) {
      StringRef name = cast<StringAttr>(k).getValue();
      if (failed(wrap(name, ("lathe_kernel_" + name).str(), false)))
        return signalPassFailure();
    }
    for (Attribute e : entries) {
      StringRef name = cast<StringAttr>(e).getValue();
      if (failed(wrap(name, ("lathe_entry_" + name).str(), true)))
        return signalPassFailure();
    }

    std::string text = metadata.getValue().str();
    text.push_back('\0');
    b.setInsertionPointToEnd(module.getBody());
    auto arrayType = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
    LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                           LLVM::Linkage::External, "lathe_artifact_metadata",
                           b.getStringAttr(text));
    module->removeAttr(kMetadataAttr);
    module->removeAttr(kKernelsAttr);
    module->removeAttr(kEntriesAttr);
  }
};

} // namespace

Value lathe::cpu::createScratchBuffer(Operation *user, MemRefType type) {
  auto func = user->getParentOfType<FunctionOpInterface>();
  OpBuilder entry = OpBuilder::atBlockBegin(&func.getFunctionBody().front());
  auto alloca = memref::AllocaOp::create(entry, user->getLoc(), type,
                                         entry.getI64IntegerAttr(64));
  if (func->hasAttr(lathe::dispatch::kKernelAttrName))
    alloca->setAttr(kWorkspaceAttrName, entry.getUnitAttr());
  return alloca;
}
