//===- lathe-gguf-info.cpp - Print what a GGUF file holds -----------------===//
//
// lathe-gguf-info [--full] [--hash] FILE.gguf
//   version, alignment, metadata (arrays and long strings shortened unless
//   --full) and a table of the tensors; --hash adds an FNV-1a 64 checksum of
//   each tensor's data (reads all of it).
// lathe-gguf-info --types
//   the ggml tensor types the reader knows, with their block layouts.
//
//===----------------------------------------------------------------------===//
#include "frontend/gguf/GgufReader.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace lathe::gguf;

namespace {

struct Options {
  bool Full = false;
  bool Hash = false;
  bool Types = false;
  std::string Path;
};

/// Items shown per array, and bytes per string, without --full.
constexpr uint64_t ShortArrayItems = 8;
constexpr size_t ShortStringBytes = 80;

void printUsage(std::FILE *Stream) {
  std::fputs("usage: lathe-gguf-info [--full] [--hash] FILE.gguf\n"
             "       lathe-gguf-info --types\n"
             "Prints a GGUF file's version, alignment, metadata and tensors.\n"
             "  --full   print every array item and whole strings\n"
             "  --hash   add an FNV-1a 64 checksum of each tensor's data\n"
             "  --types  list the ggml tensor types and their block layouts\n",
             Stream);
}

std::string formatString(std::string_view Text, bool Full) {
  if (Full || Text.size() <= ShortStringBytes)
    return "\"" + escapeForDisplay(Text) + "\"";
  // Cut on a UTF-8 character boundary.
  size_t Cut = ShortStringBytes;
  while (Cut > 0 && (static_cast<unsigned char>(Text[Cut]) & 0xc0) == 0x80)
    --Cut;
  return "\"" + escapeForDisplay(Text.substr(0, Cut)) + "\"... (" +
         std::to_string(Text.size()) + " bytes)";
}

std::string formatValue(const GgufValue &Value, bool Full) {
  char Buffer[64];
  switch (Value.getType()) {
  case GgufValueType::Bool:
    return *Value.asBool() ? "true" : "false";
  case GgufValueType::Float32:
    // 9 significant digits identify every float, 17 every double.
    std::snprintf(Buffer, sizeof(Buffer), "%.9g", *Value.asFloat());
    return Buffer;
  case GgufValueType::Float64:
    std::snprintf(Buffer, sizeof(Buffer), "%.17g", *Value.asFloat());
    return Buffer;
  case GgufValueType::String:
    return formatString(*Value.asString(), Full);
  case GgufValueType::Array: {
    uint64_t Size = Value.getArraySize();
    uint64_t Shown = Full ? Size : std::min(Size, ShortArrayItems);
    std::string Text = "[";
    for (uint64_t I = 0; I < Shown; ++I)
      Text += (I ? ", " : "") + formatValue(Value.getElement(I), Full);
    if (Shown < Size)
      Text += ", ... (" + std::to_string(Size - Shown) + " more)";
    return Text + "]";
  }
  case GgufValueType::Int8:
  case GgufValueType::Int16:
  case GgufValueType::Int32:
  case GgufValueType::Int64:
    return std::to_string(*Value.asInt());
  case GgufValueType::UInt8:
  case GgufValueType::UInt16:
  case GgufValueType::UInt32:
  case GgufValueType::UInt64:
    return std::to_string(*Value.asUInt());
  }
  return "?";
}

std::string formatType(const GgufValue &Value) {
  if (!Value.isArray())
    return getValueTypeName(Value.getType());
  return std::string("array[") + getValueTypeName(Value.getElementType()) +
         ", " + std::to_string(Value.getArraySize()) + "]";
}

uint64_t hashFnv1a64(const uint8_t *Data, uint64_t Size) {
  uint64_t Hash = 0xcbf29ce484222325ull;
  for (uint64_t I = 0; I < Size; ++I)
    Hash = (Hash ^ Data[I]) * 0x100000001b3ull;
  return Hash;
}

std::string formatDims(const std::vector<uint64_t> &Dims) {
  if (Dims.empty())
    return "scalar";
  std::string Text;
  for (uint64_t Extent : Dims)
    Text += (Text.empty() ? "" : "x") + std::to_string(Extent);
  return Text;
}

void printTypes() {
  std::printf("%4s %-8s %10s %11s\n", "id", "type", "block size",
              "block bytes");
  for (const GgmlTypeInfo &Type : getGgmlTypes())
    std::printf("%4u %-8s %10u %11u\n", static_cast<unsigned>(Type.Type),
                Type.Name, Type.BlockSize, Type.BlockBytes);
}

void printFile(const GgufFile &File, const Options &Opts) {
  std::printf("file: %s\n", Opts.Path.c_str());
  std::printf("version: %u\n", File.getVersion());
  std::printf("alignment: %u\n", File.getAlignment());
  std::printf("size: %" PRIu64 " bytes, tensor data from byte %" PRIu64 "\n",
              File.getFileSize(), File.getDataSectionOffset());

  std::printf("metadata: %zu\n", File.getMetadata().size());
  for (const auto &[Key, Value] : File.getMetadata())
    std::printf("  %s: %s = %s\n", escapeForDisplay(Key).c_str(),
                formatType(Value).c_str(),
                formatValue(Value, Opts.Full).c_str());

  // One row per tensor; the name comes last so that it may hold anything.
  const std::vector<GgufTensorInfo> &Tensors = File.getTensors();
  std::printf("tensors: %zu\n", Tensors.size());
  if (Tensors.empty())
    return;
  size_t DimsWidth = 4;
  for (const GgufTensorInfo &Tensor : Tensors)
    DimsWidth = std::max(DimsWidth, formatDims(Tensor.Dims).size());
  std::printf("  %5s %-7s %-*s %12s %12s %12s", "#", "type",
              static_cast<int>(DimsWidth), "dims", "elements", "bytes",
              "file offset");
  if (Opts.Hash)
    std::printf(" %-16s", "fnv1a64");
  std::printf("  name\n");
  for (size_t I = 0; I < Tensors.size(); ++I) {
    const GgufTensorInfo &Tensor = Tensors[I];
    std::printf("  %5zu %-7s %-*s %12" PRIu64 " %12" PRIu64 " %12" PRIu64, I,
                Tensor.Type->Name, static_cast<int>(DimsWidth),
                formatDims(Tensor.Dims).c_str(), Tensor.NumElements,
                Tensor.NumBytes, Tensor.FileOffset);
    if (Opts.Hash)
      std::printf(" %016" PRIx64, hashFnv1a64(Tensor.Data, Tensor.NumBytes));
    std::printf("  %s\n", escapeForDisplay(Tensor.Name).c_str());
  }
}

} // namespace

int main(int Argc, char **Argv) {
  Options Opts;
  for (int I = 1; I < Argc; ++I) {
    std::string Arg = Argv[I];
    if (Arg == "-h" || Arg == "--help") {
      printUsage(stdout);
      return 0;
    }
    if (Arg == "--full") {
      Opts.Full = true;
    } else if (Arg == "--hash") {
      Opts.Hash = true;
    } else if (Arg == "--types") {
      Opts.Types = true;
    } else if (Arg.size() > 1 && Arg[0] == '-') {
      std::fprintf(stderr, "lathe-gguf-info: error: unknown option '%s'\n",
                   Arg.c_str());
      printUsage(stderr);
      return 2;
    } else if (Opts.Path.empty()) {
      Opts.Path = Arg;
    } else {
      std::fprintf(stderr, "lathe-gguf-info: error: more than one file\n");
      return 2;
    }
  }
  if (Opts.Types) {
    printTypes();
    return 0;
  }
  if (Opts.Path.empty()) {
    printUsage(stderr);
    return 2;
  }

  GgufResult<GgufFile> File = GgufFile::open(Opts.Path);
  if (!File) {
    std::fprintf(stderr, "lathe-gguf-info: error: %s: %s\n", Opts.Path.c_str(),
                 File.getError().str().c_str());
    return 1;
  }
  printFile(*File, Opts);
  return 0;
}
