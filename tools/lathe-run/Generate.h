//===- Generate.h - Text generation with a compiled LLM -----------*- C++ -*-===//
#ifndef LATHE_TOOLS_LATHE_RUN_GENERATE_H
#define LATHE_TOOLS_LATHE_RUN_GENERATE_H

#include "lathe/runtime.h"

#include <optional>
#include <string>

namespace lathe {

struct GenerateOptions {
  std::optional<std::string> Prompt;       // text, tokenized with the model's
  std::optional<std::string> PromptTokens; // comma-separated ids
  unsigned long Tokens = 32;               // -n
  std::string LogitsOut;                   // .npy of [steps, vocab]
  std::string TokensOut;                   // generated ids, comma-separated
  float Temperature = 0.0f;                // greedy by default
  long TopK = 40;
  float TopP = 0.95f;
  float RepeatPenalty = 1.0f;
  unsigned long long Seed = 0;
  bool IgnoreEos = false;
};

/// Generates text with the LLM `module`; returns the process exit status.
/// Errors are printed (naming `artifact`) with status 2.
int generate(lathe_module *Module, const std::string &Artifact,
             const GenerateOptions &Options);

} // namespace lathe

#endif // LATHE_TOOLS_LATHE_RUN_GENERATE_H
