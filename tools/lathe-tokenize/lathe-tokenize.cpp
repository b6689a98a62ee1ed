//===- lathe-tokenize.cpp - Run a GGUF file's tokenizer -------------------===//
//
// lathe-tokenize [options] MODEL.gguf TEXT
// lathe-tokenize [options] MODEL.gguf --file PATH
//   prints the token ids of the text, comma-separated, on one line.
// lathe-tokenize MODEL.gguf --decode 1,2,3
//   prints the text of the ids.
// The vocabulary comes from the tokenizer.ggml.* metadata; the tokenizer is
// the runtime's (lathe/tokenizer.h).
//
//===----------------------------------------------------------------------===//
#include "frontend/gguf/GgufReader.h"
#include "lathe/tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace lathe::gguf;

namespace {

void printUsage(std::FILE *Stream) {
  std::fputs(
      "usage: lathe-tokenize [options] MODEL.gguf TEXT\n"
      "       lathe-tokenize [options] MODEL.gguf --file PATH\n"
      "       lathe-tokenize MODEL.gguf --decode ID,ID,...\n"
      "Prints the token ids of TEXT (comma-separated) with the tokenizer of\n"
      "MODEL.gguf, or the text of the ids.\n"
      "  --file PATH   tokenize the bytes of PATH\n"
      "  --bos         start with the BOS token\n"
      "  --no-bos      do not (default: tokenizer.ggml.add_bos_token)\n"
      "  --special     match control tokens (<s>, <|endoftext|>) in the text\n"
      "  --decode IDS  print the text of the comma-separated ids\n",
      Stream);
}

[[noreturn]] void fail(const std::string &Message) {
  std::fprintf(stderr, "lathe-tokenize: %s\n", Message.c_str());
  std::exit(1);
}

void check(lathe_status Status) {
  if (!Status)
    return;
  std::string Message = lathe_status_message(Status);
  lathe_status_free(Status);
  fail(Message);
}

/// The arrays of lathe_tokenizer_config, owned (the GgufFile's strings are
/// views into the file, which lives as long as this).
struct Vocabulary {
  lathe_tokenizer_config Config{};
  std::vector<const char *> Tokens;
  std::vector<size_t> TokenLengths;
  std::vector<float> Scores;
  std::vector<int32_t> TokenTypes;
  std::vector<const char *> Merges;
  std::vector<size_t> MergeLengths;
};

/// Reads the array `Key` of strings into Texts/Lengths; false when absent.
bool readStrings(const GgufFile &File, const std::string &Key,
                 std::vector<const char *> &Texts,
                 std::vector<size_t> &Lengths) {
  const GgufValue *Value = File.findMetadata(Key);
  if (!Value)
    return false;
  if (!Value->isArray() || Value->getElementType() != GgufValueType::String)
    fail(Key + " is not an array of strings");
  for (uint64_t I = 0; I < Value->getArraySize(); ++I) {
    std::string_view Text = *Value->getElement(I).asString();
    Texts.push_back(Text.data());
    Lengths.push_back(Text.size());
  }
  return true;
}

int32_t readTokenId(const GgufFile &File, const std::string &Key) {
  const GgufValue *Value = File.findMetadata(Key);
  if (!Value)
    return -1;
  std::optional<int64_t> Id = Value->asInt();
  if (!Id || *Id < -1 || *Id > INT32_MAX)
    fail(Key + " is not a token id");
  return static_cast<int32_t>(*Id);
}

std::optional<bool> readBool(const GgufFile &File, const std::string &Key) {
  const GgufValue *Value = File.findMetadata(Key);
  if (!Value)
    return std::nullopt;
  std::optional<bool> Flag = Value->asBool();
  if (!Flag)
    fail(Key + " is not a bool");
  return Flag;
}

void loadVocabulary(const GgufFile &File, const std::string &Path,
                    Vocabulary &Vocab) {
  const GgufValue *Model = File.findMetadata("tokenizer.ggml.model");
  if (!Model)
    fail(Path + " has no tokenizer (no tokenizer.ggml.model metadata)");
  std::optional<std::string_view> Name = Model->asString();
  if (!Name)
    fail("tokenizer.ggml.model is not a string");
  lathe_tokenizer_config &Config = Vocab.Config;
  if (*Name == "llama")
    Config.model = LATHE_TOKENIZER_LLAMA;
  else if (*Name == "gpt2")
    Config.model = LATHE_TOKENIZER_GPT2;
  else
    fail("tokenizer model \"" + escapeForDisplay(*Name) +
         "\" is not supported (llama, gpt2)");
  bool Llama = Config.model == LATHE_TOKENIZER_LLAMA;

  if (!readStrings(File, "tokenizer.ggml.tokens", Vocab.Tokens,
                   Vocab.TokenLengths))
    fail(Path + " has no tokenizer.ggml.tokens");
  size_t Count = Vocab.Tokens.size();

  if (const GgufValue *Scores = File.findMetadata("tokenizer.ggml.scores")) {
    if (!Scores->isArray() || Scores->getArraySize() != Count)
      fail("tokenizer.ggml.scores is not an array of one score per token");
    for (uint64_t I = 0; I < Count; ++I) {
      std::optional<double> Score = Scores->getElement(I).asFloat();
      if (!Score)
        fail("tokenizer.ggml.scores holds a non-float");
      Vocab.Scores.push_back(static_cast<float>(*Score));
    }
  } else if (Llama) {
    fail(Path + " has a llama tokenizer without tokenizer.ggml.scores");
  }
  if (const GgufValue *Types = File.findMetadata("tokenizer.ggml.token_type")) {
    if (!Types->isArray() || Types->getArraySize() != Count)
      fail("tokenizer.ggml.token_type is not an array of one type per token");
    for (uint64_t I = 0; I < Count; ++I) {
      std::optional<int64_t> Type = Types->getElement(I).asInt();
      if (!Type || *Type < INT32_MIN || *Type > INT32_MAX)
        fail("tokenizer.ggml.token_type holds a non-integer");
      Vocab.TokenTypes.push_back(static_cast<int32_t>(*Type));
    }
  }
  if (!readStrings(File, "tokenizer.ggml.merges", Vocab.Merges,
                   Vocab.MergeLengths) &&
      !Llama)
    fail(Path + " has a gpt2 tokenizer without tokenizer.ggml.merges");

  Config.token_count = Count;
  Config.tokens = Vocab.Tokens.data();
  Config.token_lengths = Vocab.TokenLengths.data();
  Config.scores = Vocab.Scores.empty() ? nullptr : Vocab.Scores.data();
  Config.token_types =
      Vocab.TokenTypes.empty() ? nullptr : Vocab.TokenTypes.data();
  Config.merge_count = Vocab.Merges.size();
  Config.merges = Vocab.Merges.data();
  Config.merge_lengths = Vocab.MergeLengths.data();
  Config.bos_id = readTokenId(File, "tokenizer.ggml.bos_token_id");
  Config.eos_id = readTokenId(File, "tokenizer.ggml.eos_token_id");
  Config.unk_id = readTokenId(File, "tokenizer.ggml.unknown_token_id");
  Config.pad_id = readTokenId(File, "tokenizer.ggml.padding_token_id");
  // llama.cpp's defaults when the keys are absent.
  Config.add_bos =
      readBool(File, "tokenizer.ggml.add_bos_token").value_or(Llama);
  Config.add_space_prefix =
      readBool(File, "tokenizer.ggml.add_space_prefix").value_or(Llama);
}

std::string readFile(const std::string &Path) {
  std::FILE *Stream = std::fopen(Path.c_str(), "rb");
  if (!Stream)
    fail("cannot open " + Path + ": " + std::strerror(errno));
  std::string Text;
  char Buffer[65536];
  size_t Read;
  while ((Read = std::fread(Buffer, 1, sizeof(Buffer), Stream)) > 0)
    Text.append(Buffer, Read);
  bool Failed = std::ferror(Stream);
  std::fclose(Stream);
  if (Failed)
    fail("cannot read " + Path);
  return Text;
}

std::vector<int32_t> parseIds(const std::string &List) {
  std::vector<int32_t> Ids;
  size_t Start = 0;
  while (Start <= List.size() && !List.empty()) {
    size_t End = List.find(',', Start);
    if (End == std::string::npos)
      End = List.size();
    std::string Item = List.substr(Start, End - Start);
    char *Rest = nullptr;
    errno = 0;
    long long Id = std::strtoll(Item.c_str(), &Rest, 10);
    if (Item.empty() || *Rest || errno || Id < INT32_MIN || Id > INT32_MAX)
      fail("--decode: \"" + Item + "\" is not a token id");
    Ids.push_back(static_cast<int32_t>(Id));
    Start = End + 1;
  }
  return Ids;
}

} // namespace

int main(int Argc, char **Argv) {
  std::optional<std::string> FilePath, DecodeList, Text;
  std::optional<bool> AddBos;
  bool Special = false;
  std::vector<std::string> Positional;
  for (int I = 1; I < Argc; ++I) {
    std::string Arg = Argv[I];
    auto takeValue = [&]() -> std::string {
      if (I + 1 >= Argc)
        fail(Arg + " needs a value");
      return Argv[++I];
    };
    if (Arg == "-h" || Arg == "--help") {
      printUsage(stdout);
      return 0;
    } else if (Arg == "--file") {
      FilePath = takeValue();
    } else if (Arg == "--decode") {
      DecodeList = takeValue();
    } else if (Arg == "--bos") {
      AddBos = true;
    } else if (Arg == "--no-bos") {
      AddBos = false;
    } else if (Arg == "--special") {
      Special = true;
    } else if (Arg == "--") {
      Positional.insert(Positional.end(), Argv + I + 1, Argv + Argc);
      break;
    } else if (Arg.size() > 1 && Arg[0] == '-') {
      std::fprintf(stderr, "lathe-tokenize: unknown option %s\n", Arg.c_str());
      printUsage(stderr);
      return 1;
    } else {
      Positional.push_back(Arg);
    }
  }
  size_t Wanted = FilePath || DecodeList ? 1 : 2;
  if (Positional.size() != Wanted || (FilePath && DecodeList)) {
    printUsage(stderr);
    return 1;
  }
  const std::string &ModelPath = Positional[0];

  GgufResult<GgufFile> File = GgufFile::open(ModelPath);
  if (!File)
    fail(ModelPath + ": " + File.getError().str());
  Vocabulary Vocab;
  loadVocabulary(*File, ModelPath, Vocab);
  lathe_tokenizer *Tokenizer = nullptr;
  check(lathe_tokenizer_create(&Vocab.Config, &Tokenizer));

  if (DecodeList) {
    std::vector<int32_t> Ids = parseIds(*DecodeList);
    size_t Length = 0;
    lathe_status Status = lathe_tokenizer_decode(
        Tokenizer, Ids.data(), Ids.size(), nullptr, 0, &Length);
    std::string Decoded(Length, '\0');
    if (Status) {
      lathe_status_free(Status);
      check(lathe_tokenizer_decode(Tokenizer, Ids.data(), Ids.size(),
                                   Decoded.data(), Decoded.size(), &Length));
    }
    std::fwrite(Decoded.data(), 1, Decoded.size(), stdout);
    std::fputc('\n', stdout);
    lathe_tokenizer_free(Tokenizer);
    return 0;
  }

  std::string Input = FilePath ? readFile(*FilePath) : Positional[1];
  bool Bos = AddBos.value_or(lathe_tokenizer_adds_bos(Tokenizer));
  // Every id covers at least one byte, but for the BOS and the space prefix.
  std::vector<int32_t> Ids(Input.size() + 2);
  size_t Count = 0;
  check(lathe_tokenizer_encode(Tokenizer, Input.data(), Input.size(), Bos,
                               Special, Ids.data(), Ids.size(), &Count));
  for (size_t I = 0; I < Count; ++I)
    std::printf(I ? ",%d" : "%d", static_cast<int>(Ids[I]));
  std::printf("\n");
  lathe_tokenizer_free(Tokenizer);
  return 0;
}
