//===- CpuCodegen.h - CPU code generation -----------------------*- C++ -*-===//
#ifndef LATHE_CODEGEN_CPU_CPUCODEGEN_H
#define LATHE_CODEGEN_CPU_CPUCODEGEN_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace lathe::cpu {

#define GEN_PASS_DECL
#include "codegen/cpu/CpuPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/cpu/CpuPasses.h.inc"

inline void registerCpuCodegenPasses() { registerLatheCpuPasses(); }

/// Unit attribute of a `memref.alloca` in a kernel's entry block: scratch
/// memory that lathe-cpu-prepare-abi places in the kernel's workspace.
constexpr llvm::StringLiteral kWorkspaceAttrName = "lathe.workspace";

/// A 64-byte aligned scratch buffer for code emitted at `user`: an alloca at
/// the start of its function's entry block, marked for the per-thread
/// workspace when that function is a kernel.
mlir::Value createScratchBuffer(mlir::Operation *user, mlir::MemRefType type);

/// Whether the innermost dimension of `type` is contiguous (vector loads and
/// stores need it).
inline bool hasUnitInnerStride(mlir::MemRefType type) {
  llvm::SmallVector<int64_t> strides;
  int64_t offset;
  return mlir::succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Indexing maps of the matmul that lathe-cpu-pack-weights leaves for the
/// microkernel, over loops (m, j, l, k): A[m, k], panels Bp[j, k, l] and C
/// viewed as [m, j, l].
llvm::SmallVector<mlir::AffineMap> packedMatmulMaps(mlir::MLIRContext *context);

/// Options of the compile pipeline that affect code generation.
struct CompileOptions {
  /// Workgroups to aim for per dispatch.
  int64_t workgroupTarget = 16;
  /// Loop iterations below which an op runs on the host thread.
  int64_t minDispatchWork = 8192;
  /// LLVM CPU name; empty means the host CPU.
  std::string cpu;
  /// Quantize the activations of Q4_0/Q4_1 matmuls to 8 bits for integer
  /// dot products (x86 with AVX2; ignored elsewhere).
  bool int8Activations = true;
};

/// Phases of the pipeline, in order; each adds its passes to `pm`.
void buildGraphOptimizationPipeline(mlir::OpPassManager &pm);
void buildDispatchPipeline(mlir::OpPassManager &pm, const CompileOptions &options);
void buildCpuLoweringPipeline(mlir::OpPassManager &pm,
                              const CompileOptions &options);

/// Translates an LLVM-dialect module to LLVM IR optimized at -O3 for the
/// target CPU. Writes the IR text to `irText` when non-null, and the object
/// file to `objectPath` when non-empty.
mlir::LogicalResult emitObject(mlir::ModuleOp module, const CompileOptions &options,
                               llvm::StringRef objectPath, std::string *irText);

/// Links an object file into the model shared library at `outputPath`.
mlir::LogicalResult linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef outputPath,
                                      std::string &error);

} // namespace lathe::cpu

#endif // LATHE_CODEGEN_CPU_CPUCODEGEN_H
