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
#include "frontend/gguf/GgufTokenizer.h"
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
  GgufResult<TokenizerPtr> Created = createTokenizer(*File);
  if (!Created)
    fail(ModelPath + ": " + Created.getError().getMessage());
  lathe_tokenizer *Tokenizer = Created->get();

  if (DecodeList) {
    std::vector<int32_t> Ids;
    std::string Bad;
    if (!parseTokenIds(*DecodeList, Ids, Bad))
      fail("--decode: \"" + Bad + "\" is not a token id");
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
  return 0;
}
