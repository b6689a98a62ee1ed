//===- lathe-run.cpp - Runs a Lathe model library -------------------------===//
//
// Loads a compiled model, feeds it tensors from .npy or ONNX TensorProto
// files, prints its outputs, and optionally compares them with expected
// outputs, times repeated runs and saves the outputs as .npy files. With
// --prompt or --prompt-tokens it generates text with a compiled LLM.
//
//===----------------------------------------------------------------------===//
#include "CommandLine.h"
#include "Generate.h"
#include "HostTensor.h"
#include "TensorFile.h"

#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <climits>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace lathe;

namespace {

/// Exit statuses.
constexpr int ExitMismatch = 1;

/// How many leading values a summary shows.
constexpr size_t SummaryValues = 8;

const char HelpText[] =
    R"(usage: lathe-run MODEL.so [--entry NAME] --input FILE... [options]
       lathe-run LLM.so --prompt TEXT [-n N] [options]
Runs an entry point of a Lathe model library and prints its outputs, or
generates text with a library compiled from a GGUF model.
  --entry NAME        entry point (required if there are several)
  --input FILE        an input tensor (.npy or TensorProto .pb), in order
  --expected FILE     an expected output, in order; exit 1 on a mismatch
  --rtol R, --atol A  match when |out - exp| <= A + R*|exp| (1e-3, 1e-5)
  --threads N         kernel threads (default 0: one per CPU)
  --repeat N          time N runs after a warm-up (min/median latency)
  --output-dir DIR    write each output to DIR/<output name>.npy
  --prompt TEXT       prompt text (the model's tokenizer)
  --prompt-tokens L   prompt as comma-separated token ids
  -n N                tokens to generate (default 32; stops at EOS)
  --temp T            temperature (default 0: greedy); also --top-k K (40),
                      --top-p P (0.95), --repeat-penalty R (1), --seed S
  --ignore-eos        keep generating after the end-of-sequence token
  --logits-out F      logits of every prompt position and decode step
                      (.npy, f32 [steps, vocab])
  --tokens-out F      the generated token ids, comma-separated
  -h, --help          this help
bf16 .npy files hold uint16 bit patterns. Exit: 0 ok, 1 mismatch, 2 error.
)";

struct Options {
  std::string Artifact;
  std::string Entry;
  std::vector<std::string> Inputs;
  std::vector<std::string> Expected;
  double RelativeTolerance = 1e-3;
  double AbsoluteTolerance = 1e-5;
  unsigned long Threads = 0;
  unsigned long Repeat = 0;
  std::string OutputDir;
  GenerateOptions Generate;
  bool Generating = false;
};

constexpr const char *Tool = "lathe-run";

[[noreturn]] void exitWithError(const std::string &File,
                                const std::string &Reason) {
  cli::exitWithError(Tool, File, Reason);
}

/// Runtime messages already start with the file they are about.
[[noreturn]] void exitWithStatus(const StatusPtr &Status) {
  exitWithError("", lathe_status_message(Status.get()));
}

[[noreturn]] void exitWithUsageError(const std::string &Reason) {
  cli::exitWithUsageError(Tool, Reason);
}

double parseTolerance(const std::string &Option, const std::string &Text) {
  char *End = nullptr;
  errno = 0;
  double Value = std::strtod(Text.c_str(), &End);
  if (Text.empty() || *End != '\0' || errno != 0 || !std::isfinite(Value) ||
      Value < 0)
    exitWithUsageError(Option + " expects a non-negative number, got '" + Text +
                       "'");
  return Value;
}

unsigned long parseCount(const std::string &Option, const std::string &Text,
                         unsigned long Min, unsigned long Max) {
  return cli::parseCount(Tool, Option, Text, Min, Max);
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
        exitWithUsageError("more than one artifact given ('" + Result.Artifact +
                           "' and '" + Argument + "')");
      Result.Artifact = Argument;
      continue;
    }

    if (Argument == "--ignore-eos") {
      Result.Generate.IgnoreEos = true;
      continue;
    }
    // Every other option takes a value.
    auto [Name, Value] = cli::readValueOption(
        Tool, Argc, Argv, I,
        {"--entry", "--input", "--expected", "--rtol", "--atol", "--threads",
         "--repeat", "--output-dir", "--prompt", "--prompt-tokens", "-n",
         "--temp", "--top-k", "--top-p", "--repeat-penalty", "--seed",
         "--logits-out", "--tokens-out"});
    if (Name == "--entry")
      Result.Entry = Value;
    else if (Name == "--input")
      Result.Inputs.push_back(Value);
    else if (Name == "--expected")
      Result.Expected.push_back(Value);
    else if (Name == "--rtol")
      Result.RelativeTolerance = parseTolerance(Name, Value);
    else if (Name == "--atol")
      Result.AbsoluteTolerance = parseTolerance(Name, Value);
    else if (Name == "--threads")
      Result.Threads = parseCount(Name, Value, 0, 1024);
    else if (Name == "--repeat")
      Result.Repeat = parseCount(Name, Value, 1, 1000000);
    else if (Name == "--output-dir")
      Result.OutputDir = Value;
    else if (Name == "--prompt")
      Result.Generate.Prompt = Value;
    else if (Name == "--prompt-tokens")
      Result.Generate.PromptTokens = Value;
    else if (Name == "-n")
      Result.Generate.Tokens = parseCount(Name, Value, 1, 1 << 20);
    else if (Name == "--temp")
      Result.Generate.Temperature = parseTolerance(Name, Value);
    else if (Name == "--top-k")
      Result.Generate.TopK = parseCount(Name, Value, 0, 1 << 30);
    else if (Name == "--top-p")
      Result.Generate.TopP = parseTolerance(Name, Value);
    else if (Name == "--repeat-penalty")
      Result.Generate.RepeatPenalty = parseTolerance(Name, Value);
    else if (Name == "--seed")
      Result.Generate.Seed = parseCount(Name, Value, 0, ULONG_MAX);
    else if (Name == "--logits-out")
      Result.Generate.LogitsOut = Value;
    else if (Name == "--tokens-out")
      Result.Generate.TokensOut = Value;
    Result.Generating |= Name == "--prompt" || Name == "--prompt-tokens";
  }
  if (Result.Generate.Prompt && Result.Generate.PromptTokens)
    exitWithUsageError("give --prompt or --prompt-tokens, not both");
  if (Result.Artifact.empty())
    exitWithUsageError("no artifact given");
  return Result;
}

/// The signature of one entry point, from the module's metadata.
struct Signature {
  size_t Entry = 0;
  std::string Name;
  std::vector<lathe_argument_info> Inputs;
  std::vector<lathe_argument_info> Outputs;
};

size_t selectEntry(const Options &Opts, const lathe_module *Module) {
  if (!Opts.Entry.empty()) {
    size_t Entry;
    StatusPtr Status(
        lathe_module_find_entry(Module, Opts.Entry.c_str(), &Entry));
    if (Status)
      exitWithStatus(Status);
    return Entry;
  }
  size_t Count = lathe_module_entry_count(Module);
  if (Count == 1)
    return 0;
  std::string Names;
  for (size_t I = 0; I < Count; ++I)
    Names += std::string(I ? ", " : "") + lathe_module_entry_name(Module, I);
  exitWithError(Opts.Artifact, "the artifact has " + std::to_string(Count) +
                                   " entry points (" + Names +
                                   "); choose one with --entry");
}

Signature readSignature(const lathe_module *Module, size_t Entry) {
  Signature Result;
  Result.Entry = Entry;
  Result.Name = lathe_module_entry_name(Module, Entry);
  Result.Inputs.resize(lathe_module_input_count(Module, Entry));
  Result.Outputs.resize(lathe_module_output_count(Module, Entry));
  for (size_t I = 0; I < Result.Inputs.size(); ++I) {
    StatusPtr Status(
        lathe_module_input_info(Module, Entry, I, &Result.Inputs[I]));
    if (Status)
      exitWithStatus(Status);
  }
  for (size_t I = 0; I < Result.Outputs.size(); ++I) {
    StatusPtr Status(
        lathe_module_output_info(Module, Entry, I, &Result.Outputs[I]));
    if (Status)
      exitWithStatus(Status);
  }
  return Result;
}

std::string formatType(const lathe_argument_info &Info) {
  return lathe::formatType(Info.dtype, Info.rank, Info.dims);
}

std::string argumentNames(const std::vector<lathe_argument_info> &Arguments) {
  std::string Names;
  for (size_t I = 0; I < Arguments.size(); ++I)
    Names += std::string(I ? ", " : "") + Arguments[I].name;
  return Names;
}

bool hasType(const lathe_tensor *Tensor, const lathe_argument_info &Info) {
  return lathe_tensor_dtype(Tensor) == Info.dtype &&
         lathe_tensor_rank(Tensor) == Info.rank &&
         std::equal(Info.dims, Info.dims + Info.rank,
                    lathe_tensor_dims(Tensor));
}

/// Reads one tensor file per argument, checking count, dtype and shape.
/// \p Kind is "inputs" or "outputs", \p Role "input" or "expected output".
std::vector<TensorPtr>
readArgumentFiles(const Options &Opts, const Signature &Sig,
                  const std::vector<std::string> &Files,
                  const std::vector<lathe_argument_info> &Arguments,
                  const std::string &Kind, const std::string &Role,
                  const std::string &Flag) {
  if (Files.size() != Arguments.size())
    exitWithError(Opts.Artifact, "entry '" + Sig.Name + "' has " +
                                     std::to_string(Arguments.size()) + " " +
                                     Kind + " (" + argumentNames(Arguments) +
                                     "), but " + std::to_string(Files.size()) +
                                     " " + Flag + " file(s) were given");
  std::vector<TensorPtr> Tensors;
  for (size_t I = 0; I < Files.size(); ++I) {
    const lathe_argument_info &Info = Arguments[I];
    std::string Error;
    TensorPtr Tensor = readTensorFile(Files[I], Info.dtype, Error);
    if (!Tensor)
      exitWithError(Files[I], Error);
    if (!hasType(Tensor.get(), Info))
      exitWithError(Files[I], Role + " " + std::to_string(I) + " ('" +
                                  Info.name + "') of entry '" + Sig.Name +
                                  "' must be " + formatType(Info) +
                                  ", but the file holds " +
                                  lathe::formatType(Tensor.get()));
    Tensors.push_back(std::move(Tensor));
  }
  return Tensors;
}

std::vector<TensorPtr> createOutputs(const Signature &Sig) {
  std::vector<TensorPtr> Outputs;
  for (const lathe_argument_info &Info : Sig.Outputs) {
    lathe_tensor *Tensor = nullptr;
    StatusPtr Status(
        lathe_tensor_create(Info.dtype, Info.rank, Info.dims, &Tensor));
    if (Status)
      exitWithStatus(Status);
    Outputs.emplace_back(Tensor);
  }
  return Outputs;
}

std::vector<lathe_tensor *> rawPointers(const std::vector<TensorPtr> &Tensors) {
  std::vector<lathe_tensor *> Pointers;
  for (const TensorPtr &Tensor : Tensors)
    Pointers.push_back(Tensor.get());
  return Pointers;
}

void printSummary(size_t Index, const lathe_argument_info &Info,
                  lathe_tensor *Tensor) {
  std::printf("output %zu '%s' %s\n", Index, Info.name,
              formatType(Info).c_str());
  size_t Count = lathe_tensor_element_count(Tensor);
  if (Count == 0) {
    std::printf("  (no values)\n");
    return;
  }

  size_t Shown = std::min(Count, SummaryValues);
  std::string Values;
  for (size_t I = 0; I < Shown; ++I)
    Values += (I ? " " : "") + formatElement(Tensor, I);
  if (Shown < Count)
    std::printf("  values (first %zu of %zu): %s\n", Shown, Count,
                Values.c_str());
  else
    std::printf("  values: %s\n", Values.c_str());

  // Minimum and maximum are found as doubles but printed from the tensor, so
  // that 64-bit integers print exactly.
  size_t MinIndex = 0, MaxIndex = 0, NaNs = 0, Numbers = 0;
  double Min = 0, Max = 0, Sum = 0;
  for (size_t I = 0; I < Count; ++I) {
    double Value = elementAsDouble(Tensor, I);
    if (std::isnan(Value)) {
      ++NaNs;
      continue;
    }
    if (Numbers == 0 || Value < Min) {
      Min = Value;
      MinIndex = I;
    }
    if (Numbers == 0 || Value > Max) {
      Max = Value;
      MaxIndex = I;
    }
    Sum += Value;
    ++Numbers;
  }
  if (Numbers == 0) {
    std::printf("  all %zu values are NaN\n", Count);
    return;
  }
  std::printf("  min=%s max=%s mean=%s",
              formatElement(Tensor, MinIndex).c_str(),
              formatElement(Tensor, MaxIndex).c_str(),
              formatDouble(Sum / static_cast<double>(Numbers)).c_str());
  if (NaNs)
    std::printf(" nan=%zu", NaNs);
  std::printf("\n");
}

/// Compares one output with its expected values; prints a line and returns
/// whether they match.
bool compareOutput(const Options &Opts, size_t Index,
                   const lathe_argument_info &Info, lathe_tensor *Actual,
                   lathe_tensor *Expected) {
  size_t Count = lathe_tensor_element_count(Actual);
  size_t Mismatches = 0, Worst = 0;
  double WorstDifference = -1, MaxDifference = 0;
  for (size_t I = 0; I < Count; ++I) {
    double A = elementAsDouble(Actual, I), E = elementAsDouble(Expected, I);
    // Equal values (infinities included) and two NaNs match.
    if (A == E || (std::isnan(A) && std::isnan(E)))
      continue;
    double Difference = std::fabs(A - E);
    if (std::isnan(Difference))
      Difference = INFINITY;
    if (Difference <=
        Opts.AbsoluteTolerance + Opts.RelativeTolerance * std::fabs(E)) {
      MaxDifference = std::max(MaxDifference, Difference);
      continue;
    }
    ++Mismatches;
    if (Difference > WorstDifference) {
      WorstDifference = Difference;
      Worst = I;
    }
  }
  if (Mismatches == 0) {
    std::printf("output %zu '%s': match (max |diff| %.3g)\n", Index, Info.name,
                MaxDifference);
    return true;
  }
  std::printf("output %zu '%s': MISMATCH: %zu of %zu values differ (rtol=%g "
              "atol=%g); worst at %s: actual=%s expected=%s\n",
              Index, Info.name, Mismatches, Count, Opts.RelativeTolerance,
              Opts.AbsoluteTolerance, formatIndex(Actual, Worst).c_str(),
              formatElement(Actual, Worst).c_str(),
              formatElement(Expected, Worst).c_str());
  return false;
}

/// A file name made of the output name: characters other than letters,
/// digits, '-', '_' and '.' become '_', and it never starts with '.'.
std::string outputFileName(const char *Name) {
  std::string Result = Name;
  for (char &C : Result)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '-' && C != '_' &&
        C != '.')
      C = '_';
  if (Result.empty() || Result[0] == '.')
    Result.insert(0, "_");
  return Result + ".npy";
}

void writeOutputs(const Options &Opts, const Signature &Sig,
                  const std::vector<TensorPtr> &Outputs) {
  if (mkdir(Opts.OutputDir.c_str(), 0777) != 0 && errno != EEXIST)
    exitWithError(Opts.OutputDir, std::string("cannot create directory: ") +
                                      std::strerror(errno));
  struct stat Info;
  if (stat(Opts.OutputDir.c_str(), &Info) != 0 || !S_ISDIR(Info.st_mode))
    exitWithError(Opts.OutputDir, "not a directory");
  for (size_t I = 0; I < Outputs.size(); ++I) {
    std::string Path =
        Opts.OutputDir + "/" + outputFileName(Sig.Outputs[I].name);
    std::string Error;
    if (!writeNpyFile(Path, Outputs[I].get(), Error))
      exitWithError(Path, Error);
    std::printf("wrote %s\n", Path.c_str());
  }
}

void invoke(lathe_module *Module, const Signature &Sig,
            const std::vector<lathe_tensor *> &Inputs,
            const std::vector<lathe_tensor *> &Outputs) {
  StatusPtr Status(lathe_invoke(Module, Sig.Entry, Inputs.data(), Inputs.size(),
                                Outputs.data(), Outputs.size()));
  if (Status)
    exitWithStatus(Status);
}

void printLatency(lathe_module *Module, const Signature &Sig,
                  const std::vector<lathe_tensor *> &Inputs,
                  const std::vector<lathe_tensor *> &Outputs,
                  unsigned long Runs) {
  std::vector<double> Milliseconds;
  for (unsigned long I = 0; I < Runs; ++I) {
    auto Start = std::chrono::steady_clock::now();
    invoke(Module, Sig, Inputs, Outputs);
    auto Stop = std::chrono::steady_clock::now();
    Milliseconds.push_back(
        std::chrono::duration<double, std::milli>(Stop - Start).count());
  }
  std::sort(Milliseconds.begin(), Milliseconds.end());
  size_t Middle = Milliseconds.size() / 2;
  double Median = Milliseconds.size() % 2
                      ? Milliseconds[Middle]
                      : (Milliseconds[Middle - 1] + Milliseconds[Middle]) / 2;
  std::printf("latency: min=%.3f ms median=%.3f ms (%lu runs)\n",
              Milliseconds.front(), Median, Runs);
}

} // namespace

int main(int Argc, char **Argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  Options Opts = parseOptions(Argc, Argv);

  lathe_runtime *RawRuntime = nullptr;
  StatusPtr Status(lathe_runtime_create(Opts.Threads, &RawRuntime));
  if (Status)
    exitWithStatus(Status);
  RuntimePtr Runtime(RawRuntime);

  lathe_module *RawModule = nullptr;
  Status.reset(
      lathe_module_load(Runtime.get(), Opts.Artifact.c_str(), &RawModule));
  if (Status)
    exitWithStatus(Status);
  ModulePtr Module(RawModule);

  if (Opts.Generating) {
    if (!Opts.Inputs.empty() || !Opts.Expected.empty() || !Opts.Entry.empty())
      exitWithUsageError("--input, --expected and --entry do not apply to "
                         "text generation");
    return generate(Module.get(), Opts.Artifact, Opts.Generate);
  }

  Signature Sig = readSignature(Module.get(), selectEntry(Opts, Module.get()));
  std::vector<TensorPtr> Inputs = readArgumentFiles(
      Opts, Sig, Opts.Inputs, Sig.Inputs, "inputs", "input", "--input");
  std::vector<TensorPtr> Expected;
  if (!Opts.Expected.empty())
    Expected = readArgumentFiles(Opts, Sig, Opts.Expected, Sig.Outputs,
                                 "outputs", "expected output", "--expected");
  std::vector<TensorPtr> Outputs = createOutputs(Sig);

  std::vector<lathe_tensor *> InputPointers = rawPointers(Inputs);
  std::vector<lathe_tensor *> OutputPointers = rawPointers(Outputs);
  invoke(Module.get(), Sig, InputPointers, OutputPointers);

  for (size_t I = 0; I < Outputs.size(); ++I)
    printSummary(I, Sig.Outputs[I], Outputs[I].get());

  bool AllMatch = true;
  for (size_t I = 0; I < Expected.size(); ++I)
    AllMatch &= compareOutput(Opts, I, Sig.Outputs[I], Outputs[I].get(),
                              Expected[I].get());
  if (!Expected.empty())
    std::printf(AllMatch ? "all outputs match\n"
                         : "outputs differ from the expected values\n");

  if (!Opts.OutputDir.empty())
    writeOutputs(Opts, Sig, Outputs);
  // The first invocation above was the warm-up.
  if (Opts.Repeat > 0)
    printLatency(Module.get(), Sig, InputPointers, OutputPointers, Opts.Repeat);
  return AllMatch ? 0 : ExitMismatch;
}
