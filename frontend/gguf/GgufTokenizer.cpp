//===- GgufTokenizer.cpp - The runtime tokenizer of a GGUF file -----------===//
#include "frontend/gguf/GgufTokenizer.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace lathe::gguf {
namespace {

/// Thrown-free error plumbing: the first problem found, if any.
struct Reader {
  const GgufFile &File;
  std::optional<std::string> Problem;

  void fail(const std::string &Message) {
    if (!Problem)
      Problem = Message;
  }

  /// Reads the array `Key` of strings; false when absent.
  bool strings(const std::string &Key, std::vector<const char *> &Texts,
               std::vector<size_t> &Lengths) {
    const GgufValue *Value = File.findMetadata(Key);
    if (!Value)
      return false;
    if (!Value->isArray() || Value->getElementType() != GgufValueType::String) {
      fail(Key + " is not an array of strings");
      return false;
    }
    for (uint64_t I = 0; I < Value->getArraySize(); ++I) {
      std::string_view Text = *Value->getElement(I).asString();
      Texts.push_back(Text.data());
      Lengths.push_back(Text.size());
    }
    return true;
  }

  int32_t tokenId(const std::string &Key) {
    const GgufValue *Value = File.findMetadata(Key);
    if (!Value)
      return -1;
    std::optional<int64_t> Id = Value->asInt();
    if (!Id || *Id < -1 || *Id > INT32_MAX) {
      fail(Key + " is not a token id");
      return -1;
    }
    return static_cast<int32_t>(*Id);
  }

  std::optional<bool> flag(const std::string &Key) {
    const GgufValue *Value = File.findMetadata(Key);
    if (!Value)
      return std::nullopt;
    std::optional<bool> Flag = Value->asBool();
    if (!Flag)
      fail(Key + " is not a bool");
    return Flag;
  }
};

} // namespace

GgufResult<TokenizerPtr> createTokenizer(const GgufFile &File) {
  auto error = [](const std::string &Message) {
    return GgufResult<TokenizerPtr>(GgufError(Message, std::nullopt));
  };
  Reader R{File, std::nullopt};
  const GgufValue *Model = File.findMetadata("tokenizer.ggml.model");
  if (!Model)
    return error("no tokenizer (no tokenizer.ggml.model metadata)");
  std::optional<std::string_view> Name = Model->asString();
  if (!Name)
    return error("tokenizer.ggml.model is not a string");
  lathe_tokenizer_config Config{};
  if (*Name == "llama")
    Config.model = LATHE_TOKENIZER_LLAMA;
  else if (*Name == "gpt2")
    Config.model = LATHE_TOKENIZER_GPT2;
  else
    return error("tokenizer model \"" + escapeForDisplay(*Name) +
                 "\" is not supported (llama, gpt2)");
  bool Llama = Config.model == LATHE_TOKENIZER_LLAMA;

  std::vector<const char *> Tokens, Merges;
  std::vector<size_t> TokenLengths, MergeLengths;
  std::vector<float> Scores;
  std::vector<int32_t> TokenTypes;
  if (!R.strings("tokenizer.ggml.tokens", Tokens, TokenLengths))
    return error(R.Problem.value_or("no tokenizer.ggml.tokens"));
  size_t Count = Tokens.size();

  if (const GgufValue *Values = File.findMetadata("tokenizer.ggml.scores")) {
    if (!Values->isArray() || Values->getArraySize() != Count)
      return error("tokenizer.ggml.scores is not an array of one score per "
                   "token");
    for (uint64_t I = 0; I < Count; ++I) {
      std::optional<double> Score = Values->getElement(I).asFloat();
      if (!Score)
        return error("tokenizer.ggml.scores holds a non-float");
      Scores.push_back(static_cast<float>(*Score));
    }
  } else if (Llama) {
    return error("a llama tokenizer without tokenizer.ggml.scores");
  }
  if (const GgufValue *Types = File.findMetadata("tokenizer.ggml.token_type")) {
    if (!Types->isArray() || Types->getArraySize() != Count)
      return error("tokenizer.ggml.token_type is not an array of one type per "
                   "token");
    for (uint64_t I = 0; I < Count; ++I) {
      std::optional<int64_t> Type = Types->getElement(I).asInt();
      if (!Type || *Type < INT32_MIN || *Type > INT32_MAX)
        return error("tokenizer.ggml.token_type holds a non-integer");
      TokenTypes.push_back(static_cast<int32_t>(*Type));
    }
  }
  if (!R.strings("tokenizer.ggml.merges", Merges, MergeLengths) && !Llama &&
      !R.Problem)
    return error("a gpt2 tokenizer without tokenizer.ggml.merges");

  Config.token_count = Count;
  Config.tokens = Tokens.data();
  Config.token_lengths = TokenLengths.data();
  Config.scores = Scores.empty() ? nullptr : Scores.data();
  Config.token_types = TokenTypes.empty() ? nullptr : TokenTypes.data();
  Config.merge_count = Merges.size();
  Config.merges = Merges.data();
  Config.merge_lengths = MergeLengths.data();
  Config.bos_id = R.tokenId("tokenizer.ggml.bos_token_id");
  Config.eos_id = R.tokenId("tokenizer.ggml.eos_token_id");
  Config.unk_id = R.tokenId("tokenizer.ggml.unknown_token_id");
  Config.pad_id = R.tokenId("tokenizer.ggml.padding_token_id");
  // llama.cpp's defaults when the keys are absent.
  Config.add_bos = R.flag("tokenizer.ggml.add_bos_token").value_or(Llama);
  Config.add_space_prefix =
      R.flag("tokenizer.ggml.add_space_prefix").value_or(Llama);
  if (R.Problem)
    return error(*R.Problem);

  lathe_tokenizer *Tokenizer = nullptr;
  if (lathe_status Status = lathe_tokenizer_create(&Config, &Tokenizer)) {
    std::string Message = lathe_status_message(Status);
    lathe_status_free(Status);
    return error(Message);
  }
  return TokenizerPtr(Tokenizer);
}

bool parseTokenIds(const std::string &List, std::vector<int32_t> &Ids,
                   std::string &Bad) {
  size_t Start = 0;
  while (!List.empty() && Start <= List.size()) {
    size_t End = List.find(',', Start);
    if (End == std::string::npos)
      End = List.size();
    std::string Item = List.substr(Start, End - Start);
    char *Rest = nullptr;
    errno = 0;
    long long Id = std::strtoll(Item.c_str(), &Rest, 10);
    if (Item.empty() || *Rest || errno || Id < INT32_MIN || Id > INT32_MAX) {
      Bad = Item;
      return false;
    }
    Ids.push_back(static_cast<int32_t>(Id));
    Start = End + 1;
  }
  return true;
}

} // namespace lathe::gguf
