//===- lathe-bench.cpp - LLM throughput of a Lathe model library ----------===//
//
// llama-bench for Lathe: times prompt processing (pp: P tokens through
// prefill from an empty context) and text generation (tg: N single-token
// decode steps from an empty context) of a model library compiled from a
// GGUF file, at one or more thread counts, and prints tokens/s (mean ±
// stddev over the repetitions) as a markdown table or as JSON lines.
//
//===----------------------------------------------------------------------===//
#include "CommandLine.h"
#include "LlmSession.h"
#include "frontend/gguf/GgufReader.h"
#include "lathe/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace lathe;

namespace {

const char HelpText[] =
    R"(usage: lathe-bench MODEL.so [-p P] [-n N] [-d D] [-r R] [--threads N[,N...]] [--json]
Times an LLM compiled by lathe-compile from a GGUF file, like llama-bench:
  ppP: P prompt tokens through prefill (tokens/s)
  tgN: N tokens decoded one at a time (tokens/s)
both from an empty context, or after D tokens already in it ("@ dD").
Token ids are fixed pseudo-random ids in the vocabulary. Each test runs R
times after a warm-up; t/s is the mean ± sample stddev of the R runs.
  -p, --n-prompt P     prompt tokens of the pp test (default 512; 0: skip)
  -n, --n-gen N        decode steps of the tg test (default 128; 0: skip)
  -d, --n-depth D      tokens in the context before each test (default 0)
  -r, --repetitions R  runs per test (default 3)
  -t, --threads LIST   comma-separated thread counts (default 0: one per CPU)
  --json               one JSON object per result instead of the table
                       (model, threads, test, tokens_per_second_mean,
                       tokens_per_second_stddev, ...)
  -h, --help           this help
D + P and D + N must fit the compiled context (lathe-compile --context).
Columns: size = the weights file (MODEL.weights.gguf), params = elements
of its tensors. Progress goes to stderr. Exit: 0 ok, 2 error.
)";

struct Options {
  std::string Artifact;
  unsigned long Prompt = 512;
  unsigned long Generate = 128;
  unsigned long Depth = 0;
  unsigned long Repetitions = 3;
  std::vector<unsigned long> Threads{0};
  bool Json = false;
};

struct StatusDeleter {
  void operator()(lathe_status_impl *Status) const {
    lathe_status_free(Status);
  }
};
using StatusPtr = std::unique_ptr<lathe_status_impl, StatusDeleter>;
struct RuntimeDeleter {
  void operator()(lathe_runtime *Runtime) const { lathe_runtime_free(Runtime); }
};
struct ModuleDeleter {
  void operator()(lathe_module *Module) const { lathe_module_free(Module); }
};

constexpr const char *Tool = "lathe-bench";

[[noreturn]] void exitWithError(const std::string &File,
                                const std::string &Reason) {
  cli::exitWithError(Tool, File, Reason);
}

[[noreturn]] void exitWithUsageError(const std::string &Reason) {
  cli::exitWithUsageError(Tool, Reason);
}

unsigned long parseCount(const std::string &Option, const std::string &Text,
                         unsigned long Min, unsigned long Max) {
  return cli::parseCount(Tool, Option, Text, Min, Max);
}

std::vector<unsigned long> parseCountList(const std::string &Option,
                                          const std::string &Text,
                                          unsigned long Min,
                                          unsigned long Max) {
  std::vector<unsigned long> Values;
  size_t Start = 0;
  while (true) {
    size_t Comma = Text.find(',', Start);
    std::string Item = Text.substr(
        Start, Comma == std::string::npos ? std::string::npos : Comma - Start);
    Values.push_back(parseCount(Option, Item, Min, Max));
    if (Comma == std::string::npos)
      break;
    Start = Comma + 1;
  }
  return Values;
}

Options parseOptions(int Argc, char **Argv) {
  Options Result;
  for (int I = 1; I < Argc; ++I) {
    std::string Argument = Argv[I];
    if (Argument == "-h" || Argument == "--help") {
      std::fputs(HelpText, stdout);
      std::exit(0);
    }
    if (Argument.size() < 2 || Argument[0] != '-') {
      if (!Result.Artifact.empty())
        exitWithUsageError("more than one model given ('" + Result.Artifact +
                           "' and '" + Argument + "')");
      Result.Artifact = Argument;
      continue;
    }
    if (Argument == "--json") {
      Result.Json = true;
      continue;
    }
    // Every other option takes a value.
    auto [Name, Value] = cli::readValueOption(
        Tool, Argc, Argv, I,
        {"-p", "--n-prompt", "-n", "--n-gen", "-d", "--n-depth", "-r",
         "--repetitions", "-t", "--threads"});
    if (Name == "-p" || Name == "--n-prompt")
      Result.Prompt = parseCount(Name, Value, 0, 1 << 24);
    else if (Name == "-n" || Name == "--n-gen")
      Result.Generate = parseCount(Name, Value, 0, 1 << 24);
    else if (Name == "-d" || Name == "--n-depth")
      Result.Depth = parseCount(Name, Value, 0, 1 << 24);
    else if (Name == "-r" || Name == "--repetitions")
      Result.Repetitions = parseCount(Name, Value, 1, 100000);
    else
      Result.Threads = parseCountList(Name, Value, 0, 1024);
  }
  if (Result.Artifact.empty())
    exitWithUsageError("no model given");
  if (Result.Prompt == 0 && Result.Generate == 0)
    exitWithUsageError("-p and -n are both 0: nothing to time");
  return Result;
}

/// Fixed pseudo-random token ids (splitmix64), the same on every run.
std::vector<int32_t> tokenIds(size_t Count, int64_t Vocab, uint64_t Seed) {
  std::vector<int32_t> Ids(Count);
  uint64_t State = Seed;
  for (int32_t &Id : Ids) {
    uint64_t Z = (State += 0x9e3779b97f4a7c15ull);
    Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ull;
    Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebull;
    Z ^= Z >> 31;
    Id = static_cast<int32_t>(Z % static_cast<uint64_t>(Vocab));
  }
  return Ids;
}

double secondsSince(std::chrono::steady_clock::time_point Start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
      .count();
}

std::string format(const char *Format, double Value) {
  char Buffer[64];
  std::snprintf(Buffer, sizeof(Buffer), Format, Value);
  return Buffer;
}

std::string formatSize(uint64_t Bytes) {
  double MiB = Bytes / (1024.0 * 1024.0);
  if (MiB >= 1024)
    return format("%.2f GiB", MiB / 1024);
  return format("%.2f MiB", MiB);
}

std::string formatParams(uint64_t Params) {
  if (Params == 0)
    return "-";
  if (Params >= 1000000000)
    return format("%.2f B", Params / 1e9);
  if (Params >= 1000000)
    return format("%.2f M", Params / 1e6);
  if (Params >= 1000)
    return format("%.2f K", Params / 1e3);
  return std::to_string(Params);
}

std::string jsonString(const std::string &Text) {
  std::string Result = "\"";
  for (char C : Text) {
    unsigned char U = static_cast<unsigned char>(C);
    if (C == '"' || C == '\\') {
      Result += '\\';
      Result += C;
    } else if (U < 0x20) {
      char Escape[8];
      std::snprintf(Escape, sizeof(Escape), "\\u%04x", U);
      Result += Escape;
    } else {
      Result += C;
    }
  }
  return Result + "\"";
}

std::string baseName(const std::string &Path) {
  size_t Slash = Path.find_last_of('/');
  return Slash == std::string::npos ? Path : Path.substr(Slash + 1);
}

/// Characters of UTF-8 `Text` ("±" is two bytes, one column).
size_t displayWidth(const std::string &Text) {
  return std::count_if(Text.begin(), Text.end(), [](char C) {
    return (static_cast<unsigned char>(C) & 0xc0) != 0x80;
  });
}

/// One markdown row; right-aligned cells but the first.
void printRow(const std::vector<std::string> &Cells,
              const std::vector<size_t> &Widths) {
  std::string Line = "|";
  for (size_t I = 0; I < Cells.size(); ++I) {
    size_t Width = displayWidth(Cells[I]);
    std::string Pad(Widths[I] > Width ? Widths[I] - Width : 0, ' ');
    Line += " " + (I == 0 ? Cells[I] + Pad : Pad + Cells[I]) + " |";
  }
  std::printf("%s\n", Line.c_str());
  std::fflush(stdout);
}

struct Stats {
  double Mean = 0, Stddev = 0;
  std::vector<double> Samples;
};

Stats summarize(std::vector<double> Samples) {
  Stats Result;
  for (double S : Samples)
    Result.Mean += S;
  Result.Mean /= Samples.size();
  if (Samples.size() > 1) {
    double Sum = 0;
    for (double S : Samples)
      Sum += (S - Result.Mean) * (S - Result.Mean);
    Result.Stddev = std::sqrt(Sum / (Samples.size() - 1));
  }
  Result.Samples = std::move(Samples);
  return Result;
}

} // namespace

int main(int Argc, char **Argv) {
  Options Opts = parseOptions(Argc, Argv);
  const std::string &Artifact = Opts.Artifact;
  std::string Model = baseName(Artifact);

  std::vector<std::string> Tests;
  std::string AtDepth =
      Opts.Depth ? " @ d" + std::to_string(Opts.Depth) : std::string();
  if (Opts.Prompt)
    Tests.push_back("pp" + std::to_string(Opts.Prompt) + AtDepth);
  if (Opts.Generate)
    Tests.push_back("tg" + std::to_string(Opts.Generate) + AtDepth);

  size_t TestWidth = 6;
  for (const std::string &Test : Tests)
    TestWidth = std::max(TestWidth, Test.size());
  std::vector<size_t> Widths = {std::max<size_t>(displayWidth(Model), 5), 10,
                                9, 7, TestWidth, 20};
  bool PrintedHeader = false;
  uint64_t SizeBytes = 0, Params = 0;

  for (size_t ThreadIndex = 0; ThreadIndex < Opts.Threads.size();
       ++ThreadIndex) {
    lathe_runtime *RawRuntime = nullptr;
    if (StatusPtr Status(lathe_runtime_create(Opts.Threads[ThreadIndex],
                                              &RawRuntime));
        Status)
      exitWithError("", lathe_status_message(Status.get()));
    std::unique_ptr<lathe_runtime, RuntimeDeleter> Runtime(RawRuntime);
    lathe_module *RawModule = nullptr;
    if (StatusPtr Status(
            lathe_module_load(Runtime.get(), Artifact.c_str(), &RawModule));
        Status)
      exitWithError("", lathe_status_message(Status.get()));
    std::unique_ptr<lathe_module, ModuleDeleter> Module(RawModule);
    size_t Threads = lathe_runtime_thread_count(Runtime.get());

    std::string Error;
    LlmSession Session;
    if (!LlmSession::create(Module.get(), Session, Error))
      exitWithError(Artifact, Error);

    if (ThreadIndex == 0) {
      // Before any timing: the tests must fit the compiled context.
      for (auto [Flag, Count] : {std::pair<const char *, unsigned long>{
                                     "-p", Opts.Prompt},
                                 {"-n", Opts.Generate}})
        if (Count &&
            static_cast<int64_t>(Opts.Depth + Count) > Session.contextLength())
          exitWithError(
              Artifact,
              std::string(Flag) + " " + std::to_string(Count) +
                  (Opts.Depth ? " after -d " + std::to_string(Opts.Depth)
                              : std::string()) +
                  " needs " + std::to_string(Opts.Depth + Count) +
                  " positions, beyond the compiled context of " +
                  std::to_string(Session.contextLength()) +
                  " (recompile with lathe-compile --context " +
                  std::to_string(Opts.Depth + Count) + " or more)");
      // Size and parameters from the weights file.
      if (const char *Path = lathe_module_weights_path(Module.get())) {
        auto Weights = gguf::GgufFile::open(Path);
        if (!Weights)
          exitWithError(Path, Weights.getError().str());
        SizeBytes = Weights->getFileSize();
        for (const gguf::GgufTensorInfo &Tensor : Weights->getTensors())
          Params += Tensor.NumElements;
      } else {
        struct stat Info;
        if (::stat(Artifact.c_str(), &Info) == 0)
          SizeBytes = static_cast<uint64_t>(Info.st_size);
      }
    }

    std::vector<int32_t> PromptIds =
        tokenIds(Opts.Prompt, Session.vocabSize(), 1);
    std::vector<int32_t> GenerateIds =
        tokenIds(Opts.Generate, Session.vocabSize(), 2);
    std::vector<int32_t> DepthIds = tokenIds(Opts.Depth, Session.vocabSize(), 3);
    std::vector<float> Logits;
    auto feed = [&](const std::vector<int32_t> &Tokens) {
      if (!Session.feed(Tokens, /*allRows=*/false, Logits, Error))
        exitWithError(Artifact, Error);
    };

    // Warm-up: one prefill chunk and one decode step, which maps in the
    // weights and the code of both entry points.
    Session.reset();
    if (Opts.Prompt)
      feed(std::vector<int32_t>(
          PromptIds.begin(),
          PromptIds.begin() + std::min<int64_t>(Session.prefillChunk(),
                                                PromptIds.size())));
    Session.reset();
    feed({GenerateIds.empty() ? 0 : GenerateIds[0]});

    for (const std::string &Test : Tests) {
      bool Prompt = Test[0] == 'p';
      size_t Count = Prompt ? Opts.Prompt : Opts.Generate;
      std::fprintf(stderr, "lathe-bench: %s, %zu thread%s, %lu run%s...\n",
                   Test.c_str(), Threads, Threads == 1 ? "" : "s",
                   Opts.Repetitions, Opts.Repetitions == 1 ? "" : "s");
      std::vector<double> Samples;
      for (unsigned long Run = 0; Run < Opts.Repetitions; ++Run) {
        Session.reset();
        if (!DepthIds.empty())
          feed(DepthIds);
        auto Start = std::chrono::steady_clock::now();
        if (Prompt) {
          feed(PromptIds);
        } else {
          for (int32_t Id : GenerateIds)
            feed({Id});
        }
        double Seconds = secondsSince(Start);
        Samples.push_back(Count / std::max(Seconds, 1e-9));
      }
      Stats Result = summarize(std::move(Samples));

      if (Opts.Json) {
        std::string Line =
            "{\"model\": " + jsonString(Model) +
            ", \"size_bytes\": " + std::to_string(SizeBytes) +
            ", \"params\": " + std::to_string(Params) +
            ", \"threads\": " + std::to_string(Threads) +
            ", \"test\": " + jsonString(Test) +
            ", \"n_prompt\": " + std::to_string(Prompt ? Count : 0) +
            ", \"n_gen\": " + std::to_string(Prompt ? 0 : Count) +
            ", \"n_depth\": " + std::to_string(Opts.Depth) +
            ", \"repetitions\": " + std::to_string(Opts.Repetitions) +
            ", \"tokens_per_second_mean\": " + format("%.6g", Result.Mean) +
            ", \"tokens_per_second_stddev\": " +
            format("%.6g", Result.Stddev) + ", \"samples_tokens_per_second\": [";
        for (size_t I = 0; I < Result.Samples.size(); ++I)
          Line += (I ? ", " : "") + format("%.6g", Result.Samples[I]);
        std::printf("%s]}\n", Line.c_str());
        std::fflush(stdout);
        continue;
      }
      if (!PrintedHeader) {
        printRow({"model", "size", "params", "threads", "test", "t/s"}, Widths);
        std::string Rule = "|";
        for (size_t I = 0; I < Widths.size(); ++I)
          Rule += " " + std::string(Widths[I] - (I ? 1 : 0), '-') +
                  (I ? ": |" : " |");
        std::printf("%s\n", Rule.c_str());
        PrintedHeader = true;
      }
      printRow({Model, formatSize(SizeBytes), formatParams(Params),
                std::to_string(Threads), Test,
                format("%.2f", Result.Mean) + " ± " +
                    format("%.2f", Result.Stddev)},
               Widths);
    }
  }
  return 0;
}
