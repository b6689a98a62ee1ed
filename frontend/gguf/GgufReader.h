//===- GgufReader.h - Validating reader for GGUF model files ----*- C++ -*-===//
//
// GGUF is llama.cpp's model file: a header, typed key-value metadata, tensor
// infos, then the tensor data, aligned for mmap. The reader checks every
// count, length, dimension and offset against the file before it trusts it;
// a malformed file gives a GgufError naming what is wrong, where (byte offset,
// metadata key or tensor name), never a crash, a hang or an allocation out of
// proportion to the file.
//
// Plain C++17 and POSIX: no LLVM or MLIR, so that the fuzzer and the runtime
// can link it as it is. Little-endian files of versions 2 and 3 only.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_FRONTEND_GGUF_GGUFREADER_H
#define LATHE_FRONTEND_GGUF_GGUFREADER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lathe::gguf {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// What went wrong and where. The message names the key or tensor involved;
/// the byte offset is where in the file the offending field starts.
class GgufError {
public:
  GgufError() = default;
  GgufError(std::string Message, std::optional<uint64_t> ByteOffset)
      : Message(std::move(Message)), ByteOffset(ByteOffset) {}

  const std::string &getMessage() const { return Message; }
  std::optional<uint64_t> getByteOffset() const { return ByteOffset; }
  /// The message followed by " (at byte offset N)" when there is an offset.
  std::string str() const;

private:
  std::string Message;
  std::optional<uint64_t> ByteOffset;
};

/// A value or the error that prevented it.
template <typename T> class GgufResult {
public:
  GgufResult(T Value) : Value(std::move(Value)) {}
  GgufResult(GgufError Error) : Error(std::move(Error)) {}

  explicit operator bool() const { return Value.has_value(); }
  T &operator*() { return *Value; }
  const T &operator*() const { return *Value; }
  T *operator->() { return &*Value; }
  const T *operator->() const { return &*Value; }
  /// Only meaningful when the result holds no value.
  const GgufError &getError() const { return Error; }

private:
  std::optional<T> Value;
  GgufError Error;
};

/// `Text` with backslash, double quote and control bytes escaped (\\, \",
/// \xNN), so that keys, names and strings from a file print on one line.
/// Bytes from 0x80 up pass through: GGUF strings are UTF-8.
std::string escapeForDisplay(std::string_view Text);

//===----------------------------------------------------------------------===//
// ggml tensor types
//===----------------------------------------------------------------------===//

/// Tensor element encodings, numbered as in ggml.h. Ids not listed (4, 5,
/// 31-33, 36-38) were removed from ggml and are rejected.
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
};

/// How a ggml type lays out its elements: in blocks of BlockSize elements
/// stored in BlockBytes bytes (1 and sizeof(element) for plain types).
struct GgmlTypeInfo {
  GgmlType Type;
  const char *Name;
  uint32_t BlockSize;  // elements per block
  uint32_t BlockBytes; // bytes per block
};

/// The layout of type id `Id`, or null for an id this reader does not know.
const GgmlTypeInfo *lookupGgmlType(uint32_t Id);
/// Every known type, in id order.
const std::vector<GgmlTypeInfo> &getGgmlTypes();

//===----------------------------------------------------------------------===//
// Metadata values
//===----------------------------------------------------------------------===//

/// Metadata value types, numbered as in the file.
enum class GgufValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// The short name used in messages and listings: u8, i8, ..., f64, bool,
/// string, array.
const char *getValueTypeName(GgufValueType Type);

/// One metadata value, checked when the file was parsed. A cheap view: the
/// text of strings and the elements of arrays stay in the file's bytes (or in
/// storage owned by the GgufFile), so a value is valid as long as its file.
class GgufValue {
public:
  GgufValueType getType() const { return Type; }
  bool isArray() const { return Type == GgufValueType::Array; }
  bool isInteger() const;
  bool isFloat() const {
    return Type == GgufValueType::Float32 || Type == GgufValueType::Float64;
  }

  /// Scalar access, std::nullopt when the value cannot be represented:
  /// asUInt and asInt take any integer type whose value fits, asFloat f32 or
  /// f64, asBool a bool, asString a string.
  std::optional<uint64_t> asUInt() const;
  std::optional<int64_t> asInt() const;
  std::optional<double> asFloat() const;
  std::optional<bool> asBool() const;
  std::optional<std::string_view> asString() const;

  /// Array access. Arrays hold elements of one type, arrays included.
  GgufValueType getElementType() const { return ElementType; }
  uint64_t getArraySize() const { return ArraySize; }
  /// Element `Index` (< getArraySize()) of an array.
  GgufValue getElement(uint64_t Index) const;

private:
  friend class GgufParser;

  GgufValueType Type = GgufValueType::UInt8;
  /// Scalars: the value's bits, zero-extended to 64.
  uint64_t Bits = 0;
  /// Strings: the text. Arrays of numbers or bools: the packed elements.
  std::string_view Bytes;
  /// Arrays only.
  GgufValueType ElementType = GgufValueType::UInt8;
  uint64_t ArraySize = 0;
  /// Arrays of strings: their texts. Arrays of arrays: the inner arrays.
  const std::string_view *StringElements = nullptr;
  const GgufValue *ArrayElements = nullptr;
};

//===----------------------------------------------------------------------===//
// Tensors and files
//===----------------------------------------------------------------------===//

/// GGML_MAX_DIMS: tensors have at most this many dimensions.
constexpr uint32_t GgufMaxDims = 4;
/// Arrays nested deeper than this are rejected (the format sets no limit; a
/// deep nest only serves to exhaust the reader's stack).
constexpr uint32_t GgufMaxArrayNesting = 8;
/// Alignment of the tensor data when general.alignment is absent.
constexpr uint32_t GgufDefaultAlignment = 32;

struct GgufTensorInfo {
  std::string_view Name;
  /// Extents in file order: Dims[0] is the innermost (contiguous) dimension,
  /// ggml's ne[0]. At most GgufMaxDims entries; none for a scalar.
  std::vector<uint64_t> Dims;
  const GgmlTypeInfo *Type = nullptr;
  uint64_t NumElements = 0;
  uint64_t NumBytes = 0;
  /// Where the data starts, in bytes from the start of the tensor data
  /// section (as stored in the file) and from the start of the file.
  uint64_t DataOffset = 0;
  uint64_t FileOffset = 0;
  /// The NumBytes bytes of data inside the mapped file. Null only for an
  /// empty tensor of a file that ends before its data section.
  const uint8_t *Data = nullptr;
  /// Where this tensor's info starts in the file.
  uint64_t InfoOffset = 0;
};

/// A parsed GGUF file. Move-only; the metadata values and tensor infos point
/// into the file's bytes and stay valid while the GgufFile lives.
class GgufFile {
public:
  /// Maps the file at `Path` read-only and parses it.
  static GgufResult<GgufFile> open(const std::string &Path);
  /// Parses `Size` bytes at `Data`, which must outlive the returned file.
  static GgufResult<GgufFile> parse(const uint8_t *Data, size_t Size);

  GgufFile(GgufFile &&) noexcept;
  GgufFile &operator=(GgufFile &&) noexcept;
  ~GgufFile();

  uint32_t getVersion() const { return Version; }
  /// Alignment of the tensor data in bytes: general.alignment or 32.
  uint32_t getAlignment() const { return Alignment; }
  uint64_t getFileSize() const { return Size; }
  /// Where the tensor data section starts, in bytes from the file's start.
  uint64_t getDataSectionOffset() const { return DataSectionOffset; }

  /// Metadata in file order.
  const std::vector<std::pair<std::string_view, GgufValue>> &
  getMetadata() const {
    return Metadata;
  }
  /// The value of `Key`, or null when the file has no such key.
  const GgufValue *findMetadata(std::string_view Key) const;
  /// Typed lookups: an error names the key when it is missing or its value
  /// does not have the asked-for type (any integer type for getUInt/getInt,
  /// as long as the value fits; f32 or f64 for getFloat).
  GgufResult<uint64_t> getUInt(std::string_view Key) const;
  GgufResult<int64_t> getInt(std::string_view Key) const;
  GgufResult<double> getFloat(std::string_view Key) const;
  GgufResult<bool> getBool(std::string_view Key) const;
  GgufResult<std::string_view> getString(std::string_view Key) const;
  GgufResult<GgufValue> getArray(std::string_view Key) const;

  /// Tensors in file order.
  const std::vector<GgufTensorInfo> &getTensors() const { return Tensors; }
  /// The tensor called `Name`, or null.
  const GgufTensorInfo *findTensor(std::string_view Name) const;

private:
  friend class GgufParser;
  class Mapping;

  GgufFile() = default;

  std::unique_ptr<Mapping> Mapped; // null when parsing a caller's buffer
  const uint8_t *Data = nullptr;
  uint64_t Size = 0;
  uint32_t Version = 0;
  uint32_t Alignment = GgufDefaultAlignment;
  uint64_t DataSectionOffset = 0;
  std::vector<std::pair<std::string_view, GgufValue>> Metadata;
  std::unordered_map<std::string_view, size_t> MetadataIndex;
  std::vector<GgufTensorInfo> Tensors;
  std::unordered_map<std::string_view, size_t> TensorIndex;
  /// Element storage of arrays of strings and of arrays, which GgufValues
  /// point into. Moving an inner vector keeps its buffer, so the pointers
  /// survive both the growth of these lists and moves of the GgufFile.
  std::vector<std::vector<std::string_view>> StringArrays;
  std::vector<std::vector<GgufValue>> NestedArrays;
};

} // namespace lathe::gguf

#endif // LATHE_FRONTEND_GGUF_GGUFREADER_H
