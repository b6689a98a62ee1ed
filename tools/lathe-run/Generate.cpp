//===- Generate.cpp - Text generation with a compiled LLM -----------------===//
//
// Prompt -> tokens (the tokenizer stored in the model's weights file) ->
// prefill -> sample, print, decode, ... The generated text streams to
// stdout; throughput goes to stderr.
//
//===----------------------------------------------------------------------===//
#include "Generate.h"

#include "CommandLine.h"
#include "HostTensor.h"
#include "LlmSession.h"
#include "TensorFile.h"
#include "frontend/gguf/GgufTokenizer.h"
#include "lathe/sampler.h"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace lathe {
namespace {

int failWith(const std::string &Artifact, const std::string &Message) {
  std::fflush(stdout);
  std::fprintf(stderr, "lathe-run: error: %s: %s\n", Artifact.c_str(),
               Message.c_str());
  return cli::ExitError;
}

void printPiece(const lathe_tokenizer *Tokenizer, int32_t Id) {
  char Piece[256];
  size_t Length = 0;
  lathe_status Status = lathe_tokenizer_token_to_piece(
      Tokenizer, Id, /*special=*/0, Piece, sizeof(Piece), &Length);
  if (Status) {
    lathe_status_free(Status);
    return;
  }
  std::fwrite(Piece, 1, Length, stdout);
  std::fflush(stdout);
}

double secondsSince(std::chrono::steady_clock::time_point Start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
      .count();
}

} // namespace

int generate(lathe_module *Module, const std::string &Artifact,
             const GenerateOptions &Options) {
  std::string Error;
  LlmSession Session;
  if (!LlmSession::create(Module, Session, Error))
    return failWith(Artifact, Error);

  // The tokenizer lives in the weights file's metadata.
  std::optional<gguf::GgufFile> Weights;
  gguf::TokenizerPtr Tokenizer;
  if (const char *Path = lathe_module_weights_path(Module)) {
    auto Opened = gguf::GgufFile::open(Path);
    if (!Opened)
      return failWith(Path, Opened.getError().str());
    Weights.emplace(std::move(*Opened));
    auto Created = gguf::createTokenizer(*Weights);
    if (Created)
      Tokenizer = std::move(*Created);
    else if (Options.Prompt)
      return failWith(Path, Created.getError().getMessage());
  } else if (Options.Prompt) {
    return failWith(Artifact, "no weights file, so no tokenizer for --prompt");
  }

  std::vector<int32_t> Prompt;
  if (Options.PromptTokens) {
    std::string Bad;
    if (!gguf::parseTokenIds(*Options.PromptTokens, Prompt, Bad))
      return failWith(Artifact, "--prompt-tokens: '" + Bad +
                                    "' is not a token id");
  } else {
    const std::string &Text = *Options.Prompt;
    std::vector<int32_t> Ids(Text.size() + 2);
    size_t Count = 0;
    lathe_status Status = lathe_tokenizer_encode(
        Tokenizer.get(), Text.data(), Text.size(),
        lathe_tokenizer_adds_bos(Tokenizer.get()), /*parse_special=*/0,
        Ids.data(), Ids.size(), &Count);
    if (Status) {
      Error = lathe_status_message(Status);
      lathe_status_free(Status);
      return failWith(Artifact, Error);
    }
    Prompt.assign(Ids.begin(), Ids.begin() + Count);
  }
  if (Prompt.empty())
    return failWith(Artifact, "the prompt has no tokens");
  for (int32_t Id : Prompt)
    if (Id < 0 || Id >= Session.vocabSize())
      return failWith(Artifact, "prompt token id " + std::to_string(Id) +
                                    " is outside the vocabulary of " +
                                    std::to_string(Session.vocabSize()));

  lathe_sampler_params Params = lathe_sampler_default_params();
  Params.temperature = Options.Temperature;
  Params.top_k = static_cast<int32_t>(Options.TopK);
  Params.top_p = Options.TopP;
  Params.repeat_penalty = Options.RepeatPenalty;
  Params.seed = Options.Seed;
  lathe_sampler *RawSampler = nullptr;
  if (lathe_status Status = lathe_sampler_create(
          &Params, static_cast<size_t>(Session.vocabSize()), &RawSampler)) {
    Error = lathe_status_message(Status);
    lathe_status_free(Status);
    return failWith(Artifact, Error);
  }
  std::unique_ptr<lathe_sampler, void (*)(lathe_sampler *)> Sampler(
      RawSampler, lathe_sampler_free);
  if (lathe_status Status =
          lathe_sampler_accept(Sampler.get(), Prompt.data(), Prompt.size())) {
    Error = lathe_status_message(Status);
    lathe_status_free(Status);
    return failWith(Artifact, Error);
  }

  if (Tokenizer) {
    // The prompt as text (decoding drops the space a llama tokenizer adds
    // in front), then the generated pieces as they come.
    size_t Length = 0;
    lathe_status Status = lathe_tokenizer_decode(
        Tokenizer.get(), Prompt.data(), Prompt.size(), nullptr, 0, &Length);
    lathe_status_free(Status);
    std::string Text(Length, '\0');
    Status = lathe_tokenizer_decode(Tokenizer.get(), Prompt.data(),
                                    Prompt.size(), Text.data(), Text.size(),
                                    &Length);
    if (!Status)
      std::fwrite(Text.data(), 1, Length, stdout);
    lathe_status_free(Status);
  }

  bool KeepLogits = !Options.LogitsOut.empty();
  std::vector<float> AllLogits, Logits;
  Session.reset();
  auto PromptStart = std::chrono::steady_clock::now();
  if (!Session.feed(Prompt, KeepLogits, Logits, Error))
    return failWith(Artifact, Error);
  double PromptSeconds = secondsSince(PromptStart);
  if (KeepLogits) {
    AllLogits = Logits;
    Logits.assign(AllLogits.end() - Session.vocabSize(), AllLogits.end());
  }

  std::vector<int32_t> Generated;
  int32_t Eos = Tokenizer ? lathe_tokenizer_eos(Tokenizer.get()) : -1;
  auto GenerateStart = std::chrono::steady_clock::now();
  for (unsigned long I = 0; I < Options.Tokens; ++I) {
    int32_t Token = 0;
    if (lathe_status Status =
            lathe_sampler_sample(Sampler.get(), Logits.data(), &Token)) {
      Error = lathe_status_message(Status);
      lathe_status_free(Status);
      return failWith(Artifact, Error);
    }
    Generated.push_back(Token);
    if (Tokenizer)
      printPiece(Tokenizer.get(), Token);
    if ((Token == Eos && !Options.IgnoreEos) || I + 1 == Options.Tokens)
      break;
    if (!Session.feed({Token}, true, Logits, Error))
      return failWith(Artifact, Error);
    if (KeepLogits)
      AllLogits.insert(AllLogits.end(), Logits.begin(), Logits.end());
  }
  double GenerateSeconds = secondsSince(GenerateStart);
  std::printf("\n");
  std::fflush(stdout);
  // Decode steps: one per generated token but the last.
  size_t Steps = Generated.empty() ? 0 : Generated.size() - 1;
  std::fprintf(stderr,
               "prompt: %zu tokens, %.1f tokens/s; generation: %zu tokens, "
               "%.1f tokens/s\n",
               Prompt.size(), Prompt.size() / PromptSeconds, Generated.size(),
               Steps ? Steps / GenerateSeconds : 0.0);

  if (KeepLogits) {
    int64_t Dims[2] = {
        static_cast<int64_t>(AllLogits.size() / Session.vocabSize()),
        Session.vocabSize()};
    lathe_tensor *Raw = nullptr;
    if (lathe_status Status =
            lathe_tensor_create(LATHE_DTYPE_F32, 2, Dims, &Raw)) {
      lathe_status_free(Status);
      return failWith(Options.LogitsOut, "out of memory");
    }
    TensorPtr Tensor(Raw);
    std::memcpy(lathe_tensor_data(Raw), AllLogits.data(),
                AllLogits.size() * sizeof(float));
    if (!writeNpyFile(Options.LogitsOut, Raw, Error))
      return failWith(Options.LogitsOut, Error);
  }
  if (!Options.TokensOut.empty()) {
    std::FILE *Out = std::fopen(Options.TokensOut.c_str(), "w");
    if (!Out)
      return failWith(Options.TokensOut, std::strerror(errno));
    for (size_t I = 0; I < Generated.size(); ++I)
      std::fprintf(Out, I ? ",%d" : "%d", static_cast<int>(Generated[I]));
    std::fprintf(Out, "\n");
    if (std::fclose(Out) != 0)
      return failWith(Options.TokensOut, "cannot write");
  }
  return 0;
}

} // namespace lathe
