//===- GgufTokenizer.h - The runtime tokenizer of a GGUF file ----*- C++ -*-===//
//
// Builds the runtime's tokenizer (lathe/tokenizer.h) from the
// tokenizer.ggml.* metadata of a GGUF file, with llama.cpp's defaults for
// absent keys.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_FRONTEND_GGUF_GGUFTOKENIZER_H
#define LATHE_FRONTEND_GGUF_GGUFTOKENIZER_H

#include "frontend/gguf/GgufReader.h"
#include "lathe/tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe::gguf {

struct TokenizerDeleter {
  void operator()(lathe_tokenizer *Tokenizer) const {
    lathe_tokenizer_free(Tokenizer);
  }
};
using TokenizerPtr = std::unique_ptr<lathe_tokenizer, TokenizerDeleter>;

/// The tokenizer of `File`; an error names what is missing or malformed.
GgufResult<TokenizerPtr> createTokenizer(const GgufFile &File);

/// Parses comma-separated token ids ("1,2,3"; "" is none) into `Ids`. On
/// failure returns false and sets `Bad` to the item that is not an id in the
/// i32 range.
bool parseTokenIds(const std::string &List, std::vector<int32_t> &Ids,
                   std::string &Bad);

} // namespace lathe::gguf

#endif // LATHE_FRONTEND_GGUF_GGUFTOKENIZER_H
