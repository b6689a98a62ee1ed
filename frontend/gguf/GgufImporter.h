//===- GgufImporter.h - GGUF LLM to graph-level MLIR -------------*- C++ -*-===//
//
// Builds the forward pass of a llama-family LLM from a GGUF file's
// general.architecture and hyperparameters. The result is a module with three
// entry functions in tensor-level IR:
//
//   prefill(tokens: i32[C], position: i64) -> hidden: f32[C, dim]
//   decode(token: i32[1], position: i64)   -> logits: f32[1, vocab]
//   head(hidden: f32[1, dim])               -> logits: f32[1, vocab]
//
// `position` is the sequence position of the first token. Both entries bind
// the model's weights (function arguments marked `lathe.param`, kept in their
// GGUF block encodings) and a KV cache (arguments marked `lathe.state`,
// updated in place). The weights are served from a weights file that
// writeWeightsFile produces: a GGUF holding the source's metadata (tokenizer
// included) and the tensors the model uses.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_FRONTEND_GGUF_GGUFIMPORTER_H
#define LATHE_FRONTEND_GGUF_GGUFIMPORTER_H

#include "frontend/gguf/GgufReader.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace lathe::gguf_import {

struct LlmOptions {
  /// Positions the KV cache holds; 0 takes the model's context length
  /// (capped at kDefaultContextCap).
  int64_t contextLength = 0;
  /// Tokens per prefill call.
  int64_t prefillChunk = 64;
};

/// Largest context taken from a model by default: the cache is allocated in
/// full, and models declare contexts of 128K and more.
constexpr int64_t kDefaultContextCap = 4096;

/// Where each tensor the model uses goes in the weights file.
struct WeightsLayout {
  struct Tensor {
    const gguf::GgufTensorInfo *source;
    /// Offset of the data from the start of the weights file.
    uint64_t fileOffset;
  };
  std::vector<Tensor> tensors;
  uint64_t dataSectionOffset = 0;
  uint64_t fileSize = 0;
};

/// Architectures the importer builds, for messages.
llvm::StringRef supportedArchitectures();

/// Builds the module for `file` (read from `path`, which messages name).
/// Errors are reported on `context`. `layout` receives the weights file plan
/// that the module's parameter offsets refer to.
mlir::OwningOpRef<mlir::ModuleOp>
importGgufModel(mlir::MLIRContext &context, llvm::StringRef path,
                const gguf::GgufFile &file, const LlmOptions &options,
                WeightsLayout &layout);

/// Writes the weights file planned in `layout` to `outputPath`: the header
/// and metadata of `file`, then the listed tensors at their planned offsets.
/// One sequential copy of the tensor bytes.
bool writeWeightsFile(const gguf::GgufFile &file, const WeightsLayout &layout,
                      llvm::StringRef outputPath, std::string &error);

} // namespace lathe::gguf_import

#endif // LATHE_FRONTEND_GGUF_GGUFIMPORTER_H
