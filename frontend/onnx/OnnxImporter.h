//===- OnnxImporter.h - ONNX model to graph-level MLIR ----------*- C++ -*-===//
#ifndef LATHE_FRONTEND_ONNX_ONNXIMPORTER_H
#define LATHE_FRONTEND_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace lathe::onnx_import {

/// Reads the ONNX model at `path` (external data files are resolved next to
/// it) and returns a module with one entry function, `main`, in tensor-level
/// IR: graph dialect ops plus upstream linalg/tensor/arith/math. Failures are
/// reported as diagnostics on `context` naming the file, node and reason.
struct ImportOptions {
  /// Sizes of symbolic input dimensions, by dim_param name.
  llvm::StringMap<int64_t> dims;
  /// Graph inputs specialised to constants: input name -> TensorProto file.
  /// They leave the entry signature and fold into the program.
  llvm::StringMap<std::string> constantInputs;
};

mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path,
               const ImportOptions &options);

/// Dialects the imported IR uses.
void registerImportDialects(mlir::DialectRegistry &registry);

} // namespace lathe::onnx_import

#endif // LATHE_FRONTEND_ONNX_ONNXIMPORTER_H
