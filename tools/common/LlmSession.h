//===- LlmSession.h - Driving an LLM model library ---------------*- C++ -*-===//
//
// A model library compiled from a GGUF file has three entry points,
// `prefill` (a chunk of tokens, giving their final hidden rows), `head` (one
// hidden row to logits) and `decode` (one token to logits), and a KV cache
// as module state. A session feeds them a sequence: prompt chunks through
// prefill, then one token at a time through decode, keeping the position.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TOOLS_COMMON_LLMSESSION_H
#define LATHE_TOOLS_COMMON_LLMSESSION_H

#include "lathe/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

class LlmSession {
public:
  /// Checks that `module` has the LLM entry points; `error` says why not.
  static bool create(lathe_module *module, LlmSession &session,
                     std::string &error);

  int64_t vocabSize() const { return Vocab; }
  int64_t contextLength() const { return Context; }
  int64_t prefillChunk() const { return Chunk; }
  int64_t position() const { return Position; }

  /// Starts a new sequence (zeroes the KV cache).
  void reset();
  /// Feeds `tokens` at the current position, through prefill chunks (one
  /// decode call for a single token). `logits` receives one row of
  /// vocabSize() floats per token when `allRows`, else the last row only.
  bool feed(const std::vector<int32_t> &tokens, bool allRows,
            std::vector<float> &logits, std::string &error);

private:
  bool run(size_t entry, lathe_tensor *tokens, int64_t position,
           lathe_tensor *output, std::string &error);
  /// Appends the logits of one hidden row (hidden floats) to `logits`.
  bool headLogits(const float *hiddenRow, std::vector<float> &logits,
                  std::string &error);

  lathe_module *Module = nullptr;
  size_t Prefill = 0, Decode = 0, Head = 0;
  int64_t Vocab = 0, Hidden = 0, Context = 0, Chunk = 0, Position = 0;
};

} // namespace lathe

#endif // LATHE_TOOLS_COMMON_LLMSESSION_H
