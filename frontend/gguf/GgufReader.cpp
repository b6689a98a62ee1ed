//===- GgufReader.cpp - Validating reader for GGUF model files ------------===//
//
// Layout (ggml docs/gguf.md), all little-endian:
//   header   "GGUF", u32 version, u64 tensor count, u64 metadata count
//   metadata key (u64 length + bytes), u32 value type, value
//   tensors  name, u32 dim count, u64 dims[count], u32 ggml type,
//            u64 data offset (relative to the data section)
//   data     from the first multiple of the alignment after the tensor infos
//
//===----------------------------------------------------------------------===//
#include "frontend/gguf/GgufReader.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lathe::gguf {

//===----------------------------------------------------------------------===//
// Errors and display
//===----------------------------------------------------------------------===//

std::string GgufError::str() const {
  if (!ByteOffset)
    return Message;
  return Message + " (at byte offset " + std::to_string(*ByteOffset) + ")";
}

std::string escapeForDisplay(std::string_view Text) {
  std::string Escaped;
  Escaped.reserve(Text.size());
  for (char C : Text) {
    unsigned char Byte = static_cast<unsigned char>(C);
    if (C == '\\' || C == '"') {
      Escaped += '\\';
      Escaped += C;
    } else if (Byte < 0x20 || Byte == 0x7f) {
      char Hex[5];
      std::snprintf(Hex, sizeof(Hex), "\\x%02x", Byte);
      Escaped += Hex;
    } else {
      Escaped += C;
    }
  }
  return Escaped;
}

namespace {

/// A name from the file, quoted for a message; long names are cut, since an
/// error about a megabyte-long key should not be a megabyte long.
std::string quoteName(std::string_view Name) {
  constexpr size_t MaxShown = 96;
  if (Name.size() <= MaxShown)
    return "'" + escapeForDisplay(Name) + "'";
  return "'" + escapeForDisplay(Name.substr(0, MaxShown)) + "'... (" +
         std::to_string(Name.size()) + " bytes)";
}

std::string plural(uint64_t Count, const char *Noun) {
  return std::to_string(Count) + " " + Noun + (Count == 1 ? "" : "s");
}

uint64_t decodeLittleEndian(const uint8_t *Bytes, unsigned Width) {
  uint64_t Value = 0;
  for (unsigned I = 0; I < Width; ++I)
    Value |= static_cast<uint64_t>(Bytes[I]) << (8 * I);
  return Value;
}

} // namespace

//===----------------------------------------------------------------------===//
// ggml types
//===----------------------------------------------------------------------===//

const std::vector<GgmlTypeInfo> &getGgmlTypes() {
  // Block sizes and bytes per block as in ggml's type traits; QK_K = 256.
  static const std::vector<GgmlTypeInfo> Types = {
      {GgmlType::F32, "F32", 1, 4},
      {GgmlType::F16, "F16", 1, 2},
      {GgmlType::Q4_0, "Q4_0", 32, 2 + 16},
      {GgmlType::Q4_1, "Q4_1", 32, 2 + 2 + 16},
      {GgmlType::Q5_0, "Q5_0", 32, 2 + 4 + 16},
      {GgmlType::Q5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
      {GgmlType::Q8_0, "Q8_0", 32, 2 + 32},
      {GgmlType::Q8_1, "Q8_1", 32, 4 + 4 + 32},
      {GgmlType::Q2_K, "Q2_K", 256, 2 + 2 + 256 / 16 + 256 / 4},
      {GgmlType::Q3_K, "Q3_K", 256, 2 + 256 / 4 + 256 / 8 + 12},
      {GgmlType::Q4_K, "Q4_K", 256, 2 + 2 + 256 / 2 + 12},
      {GgmlType::Q5_K, "Q5_K", 256, 2 + 2 + 256 / 2 + 256 / 8 + 12},
      {GgmlType::Q6_K, "Q6_K", 256, 2 + 256 / 2 + 256 / 4 + 256 / 16},
      {GgmlType::Q8_K, "Q8_K", 256, 4 + 256 + 256 / 8},
      {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 2 + 256 / 4},
      {GgmlType::IQ2_XS, "IQ2_XS", 256, 2 + 256 / 4 + 256 / 32},
      {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 2 + 256 / 4 + 256 / 8},
      {GgmlType::IQ1_S, "IQ1_S", 256, 2 + 256 / 8 + 256 / 16},
      {GgmlType::IQ4_NL, "IQ4_NL", 32, 2 + 16},
      {GgmlType::IQ3_S, "IQ3_S", 256, 2 + 256 / 4 + 256 / 8 + 256 / 32 + 4},
      {GgmlType::IQ2_S, "IQ2_S", 256, 2 + 256 / 4 + 256 / 16},
      {GgmlType::IQ4_XS, "IQ4_XS", 256, 2 + 2 + 256 / 2 + 256 / 64},
      {GgmlType::I8, "I8", 1, 1},
      {GgmlType::I16, "I16", 1, 2},
      {GgmlType::I32, "I32", 1, 4},
      {GgmlType::I64, "I64", 1, 8},
      {GgmlType::F64, "F64", 1, 8},
      {GgmlType::IQ1_M, "IQ1_M", 256, 256 / 8 + 256 / 16 + 256 / 32},
      {GgmlType::BF16, "BF16", 1, 2},
      {GgmlType::TQ1_0, "TQ1_0", 256, 2 + 4 * 13},
      {GgmlType::TQ2_0, "TQ2_0", 256, 2 + 64},
      {GgmlType::MXFP4, "MXFP4", 32, 1 + 16},
      {GgmlType::NVFP4, "NVFP4", 64, 4 + 32},
      {GgmlType::Q1_0, "Q1_0", 128, 2 + 16},
  };
  return Types;
}

const GgmlTypeInfo *lookupGgmlType(uint32_t Id) {
  for (const GgmlTypeInfo &Info : getGgmlTypes())
    if (static_cast<uint32_t>(Info.Type) == Id)
      return &Info;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Metadata values
//===----------------------------------------------------------------------===//

namespace {

constexpr uint32_t LastValueType =
    static_cast<uint32_t>(GgufValueType::Float64);
/// ggml keeps extents and element counts in int64_t.
constexpr uint64_t MaxInt64 = std::numeric_limits<int64_t>::max();

/// Bytes one value of a fixed-size type takes; 0 for strings and arrays.
unsigned getFixedSize(GgufValueType Type) {
  switch (Type) {
  case GgufValueType::UInt8:
  case GgufValueType::Int8:
  case GgufValueType::Bool:
    return 1;
  case GgufValueType::UInt16:
  case GgufValueType::Int16:
    return 2;
  case GgufValueType::UInt32:
  case GgufValueType::Int32:
  case GgufValueType::Float32:
    return 4;
  case GgufValueType::UInt64:
  case GgufValueType::Int64:
  case GgufValueType::Float64:
    return 8;
  case GgufValueType::String:
  case GgufValueType::Array:
    return 0;
  }
  return 0;
}

/// The fewest bytes a value of `Type` can take in a file: what bounds the
/// element count of an array by the bytes left.
unsigned getMinimumSize(GgufValueType Type) {
  if (Type == GgufValueType::String)
    return 8; // u64 length
  if (Type == GgufValueType::Array)
    return 4 + 8; // u32 element type, u64 count
  return getFixedSize(Type);
}

bool isSignedInteger(GgufValueType Type) {
  return Type == GgufValueType::Int8 || Type == GgufValueType::Int16 ||
         Type == GgufValueType::Int32 || Type == GgufValueType::Int64;
}

} // namespace

const char *getValueTypeName(GgufValueType Type) {
  switch (Type) {
  case GgufValueType::UInt8:
    return "u8";
  case GgufValueType::Int8:
    return "i8";
  case GgufValueType::UInt16:
    return "u16";
  case GgufValueType::Int16:
    return "i16";
  case GgufValueType::UInt32:
    return "u32";
  case GgufValueType::Int32:
    return "i32";
  case GgufValueType::Float32:
    return "f32";
  case GgufValueType::Bool:
    return "bool";
  case GgufValueType::String:
    return "string";
  case GgufValueType::Array:
    return "array";
  case GgufValueType::UInt64:
    return "u64";
  case GgufValueType::Int64:
    return "i64";
  case GgufValueType::Float64:
    return "f64";
  }
  return "unknown";
}

bool GgufValue::isInteger() const {
  switch (Type) {
  case GgufValueType::UInt8:
  case GgufValueType::Int8:
  case GgufValueType::UInt16:
  case GgufValueType::Int16:
  case GgufValueType::UInt32:
  case GgufValueType::Int32:
  case GgufValueType::UInt64:
  case GgufValueType::Int64:
    return true;
  default:
    return false;
  }
}

std::optional<int64_t> GgufValue::asInt() const {
  if (!isInteger())
    return std::nullopt;
  if (isSignedInteger(Type)) {
    // Sign-extend from the value's width.
    unsigned Shift = 64 - 8 * getFixedSize(Type);
    return static_cast<int64_t>(Bits << Shift) >> Shift;
  }
  if (Bits > MaxInt64)
    return std::nullopt;
  return static_cast<int64_t>(Bits);
}

std::optional<uint64_t> GgufValue::asUInt() const {
  if (!isInteger())
    return std::nullopt;
  if (isSignedInteger(Type)) {
    int64_t Signed = *asInt();
    if (Signed < 0)
      return std::nullopt;
    return static_cast<uint64_t>(Signed);
  }
  return Bits;
}

std::optional<double> GgufValue::asFloat() const {
  if (Type == GgufValueType::Float32) {
    uint32_t Raw = static_cast<uint32_t>(Bits);
    float Value;
    std::memcpy(&Value, &Raw, sizeof(Value));
    return Value;
  }
  if (Type == GgufValueType::Float64) {
    double Value;
    std::memcpy(&Value, &Bits, sizeof(Value));
    return Value;
  }
  return std::nullopt;
}

std::optional<bool> GgufValue::asBool() const {
  if (Type != GgufValueType::Bool)
    return std::nullopt;
  return Bits != 0;
}

std::optional<std::string_view> GgufValue::asString() const {
  if (Type != GgufValueType::String)
    return std::nullopt;
  return Bytes;
}

GgufValue GgufValue::getElement(uint64_t Index) const {
  assert(isArray() && Index < ArraySize && "array element out of range");
  if (ElementType == GgufValueType::Array)
    return ArrayElements[Index];
  GgufValue Element;
  Element.Type = ElementType;
  if (ElementType == GgufValueType::String) {
    Element.Bytes = StringElements[Index];
    return Element;
  }
  unsigned Width = getFixedSize(ElementType);
  Element.Bits = decodeLittleEndian(
      reinterpret_cast<const uint8_t *>(Bytes.data()) + Index * Width, Width);
  return Element;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

/// Reads a file front to back with a cursor, checking each field against the
/// bytes left before using it. Methods return false after recording the
/// first error.
class GgufParser {
public:
  explicit GgufParser(GgufFile &File) : File(File) {}

  std::optional<GgufError> run() {
    if (!readHeader() || !readMetadata() || !readTensorInfos() ||
        !placeTensorData())
      return Error;
    return std::nullopt;
  }

private:
  // Minimum bytes of one metadata entry (key length, value type, a 1-byte
  // value) and of one tensor info (name length, dim count, type, offset).
  static constexpr uint64_t MinEntryBytes = 8 + 4 + 1;
  static constexpr uint64_t MinTensorInfoBytes = 8 + 4 + 4 + 8;

  GgufFile &File;
  uint64_t Position = 0;
  std::optional<GgufError> Error;

  // What is being read, for messages: "metadata key 'k'[3][0]" or "tensor
  // 'w'". The name is empty while the name itself is being read; the index
  // then identifies the entry.
  const char *SubjectKind = "header";
  std::string_view SubjectName;
  uint64_t SubjectIndex = 0;
  bool SubjectHasIndex = false;
  std::vector<uint64_t> ElementPath;

  uint64_t TensorCount = 0;
  uint64_t MetadataCount = 0;
  /// Where general.alignment's value starts, when the file has the key.
  uint64_t AlignmentValueOffset = 0;
  /// Where each tensor's data offset field starts.
  std::vector<uint64_t> DataOffsetFields;

  uint64_t remaining() const { return File.Size - Position; }

  std::string subject() const {
    std::string Text = SubjectKind;
    if (!SubjectName.empty() || !SubjectHasIndex)
      Text += " " + quoteName(SubjectName);
    else
      Text += " #" + std::to_string(SubjectIndex);
    for (uint64_t Index : ElementPath)
      Text += "[" + std::to_string(Index) + "]";
    return Text;
  }

  void setSubject(const char *Kind, uint64_t Index) {
    SubjectKind = Kind;
    SubjectName = {};
    SubjectIndex = Index;
    SubjectHasIndex = true;
  }

  bool fail(std::string Message, uint64_t Offset) {
    if (!Error)
      Error = GgufError(std::move(Message), Offset);
    return false;
  }

  // The readers below name the field they read with `Describe`, a callable
  // returning its description ("metadata key 'k': the string"), called only
  // on failure: building messages for every field would slow down reading
  // a vocabulary of 100k strings for nothing.

  /// Describes a header field.
  static auto headerField(const char *Field) {
    return [Field] { return std::string(Field); };
  }
  /// Describes a field of the current subject.
  auto subjectField(const char *Field) const {
    return [this, Field] { return subject() + ": " + Field; };
  }

  /// Fails unless `Bytes` more bytes are left.
  template <typename DescribeFn>
  bool need(uint64_t Bytes, const DescribeFn &Describe) {
    if (Bytes <= remaining())
      return true;
    return fail("truncated file: " + Describe() + " needs " +
                    plural(Bytes, "byte") + " but only " +
                    std::to_string(remaining()) + " remain",
                Position);
  }

  const uint8_t *cursor() const { return File.Data + Position; }

  template <typename DescribeFn>
  bool readUnsigned(uint64_t &Value, unsigned Width,
                    const DescribeFn &Describe) {
    if (!need(Width, Describe))
      return false;
    Value = decodeLittleEndian(cursor(), Width);
    Position += Width;
    return true;
  }

  template <typename DescribeFn>
  bool readU32(uint32_t &Value, const DescribeFn &Describe) {
    uint64_t Wide;
    if (!readUnsigned(Wide, 4, Describe))
      return false;
    Value = static_cast<uint32_t>(Wide);
    return true;
  }

  template <typename DescribeFn>
  bool readU64(uint64_t &Value, const DescribeFn &Describe) {
    return readUnsigned(Value, 8, Describe);
  }

  template <typename DescribeFn>
  bool readString(std::string_view &Text, const DescribeFn &Describe) {
    uint64_t LengthOffset = Position;
    uint64_t Length;
    if (!readU64(Length, [&] { return Describe() + " length"; }))
      return false;
    if (Length > remaining())
      return fail(Describe() + " length " + std::to_string(Length) +
                      " exceeds the " + plural(remaining(), "byte") +
                      " left in the file",
                  LengthOffset);
    Text = std::string_view(reinterpret_cast<const char *>(cursor()),
                            static_cast<size_t>(Length));
    Position += Length;
    return true;
  }

  /// `Noun` says which type: "value type" or "array element type".
  bool readValueType(GgufValueType &Type, const char *Noun) {
    uint64_t TypeOffset = Position;
    uint32_t Raw;
    if (!readU32(Raw, [&] { return subject() + ": the " + Noun; }))
      return false;
    if (Raw > LastValueType)
      return fail(subject() + ": unknown " + Noun + " " + std::to_string(Raw),
                  TypeOffset);
    Type = static_cast<GgufValueType>(Raw);
    return true;
  }

  //===--------------------------------------------------------------------===//
  // Header
  //===--------------------------------------------------------------------===//

  bool readHeader() {
    if (!need(4, headerField("the magic")))
      return false;
    if (std::memcmp(cursor(), "GGUF", 4) != 0)
      return fail("bad magic \"" +
                      escapeForDisplay(std::string_view(
                          reinterpret_cast<const char *>(cursor()), 4)) +
                      "\": not a GGUF file (expected \"GGUF\")",
                  0);
    Position = 4;

    if (!readU32(File.Version, headerField("the version")))
      return false;
    if (File.Version == 1)
      return fail("GGUF version 1 is not supported (it has 32-bit counts); "
                  "only versions 2 and 3 are",
                  4);
    if (File.Version != 0 && (File.Version & 0xffff) == 0)
      return fail("big-endian GGUF file (the version reads as " +
                      std::to_string(File.Version) +
                      " little-endian); only little-endian files are "
                      "supported",
                  4);
    if (File.Version != 2 && File.Version != 3)
      return fail("unsupported GGUF version " + std::to_string(File.Version) +
                      "; only versions 2 and 3 are supported",
                  4);

    if (!readU64(TensorCount, headerField("the tensor count")) ||
        !readU64(MetadataCount, headerField("the metadata count")))
      return false;
    // Each entry takes some bytes of the file: a count the rest of the file
    // cannot hold is rejected before anything is sized by it.
    return checkCount(TensorCount, MinTensorInfoBytes, "tensor", 8,
                      "the header") &&
           checkCount(MetadataCount, MinEntryBytes, "metadata", 16,
                      "the header");
  }

  /// How many entries to reserve room for up front. A count is only known
  /// to fit the bytes left, and those include the tensor data: a corrupt
  /// count in a 4 GiB file must not reserve gigabytes, so beyond this the
  /// lists grow with what was actually read.
  static size_t reservation(uint64_t Count) {
    return static_cast<size_t>(std::min<uint64_t>(Count, 1 << 12));
  }

  bool checkCount(uint64_t Count, uint64_t MinBytes, const char *Kind,
                  uint64_t CountOffset, const char *After) {
    if (Count <= remaining() / MinBytes)
      return true;
    return fail(std::string(Kind) + " count " + std::to_string(Count) +
                    " needs at least " + std::to_string(MinBytes) +
                    " bytes each, more than the " +
                    plural(remaining(), "byte") + " left after " + After +
                    ": the file is truncated or the count is wrong",
                CountOffset);
  }

  //===--------------------------------------------------------------------===//
  // Metadata
  //===--------------------------------------------------------------------===//

  bool readMetadata() {
    File.Metadata.reserve(reservation(MetadataCount));
    File.MetadataIndex.reserve(reservation(MetadataCount));
    for (uint64_t I = 0; I < MetadataCount; ++I) {
      setSubject("metadata key", I);
      uint64_t EntryOffset = Position;
      std::string_view Key;
      if (!readString(Key, subjectField("the key")))
        return false;
      SubjectName = Key;
      if (!File.MetadataIndex.emplace(Key, File.Metadata.size()).second)
        return fail("duplicate " + subject(), EntryOffset);

      GgufValueType Type;
      if (!readValueType(Type, "value type"))
        return false;
      if (Key == "general.alignment")
        AlignmentValueOffset = Position;
      GgufValue Value;
      if (!readValue(Type, Value, /*Depth=*/0))
        return false;
      File.Metadata.emplace_back(Key, Value);
    }
    return readAlignment();
  }

  bool readValue(GgufValueType Type, GgufValue &Value, uint32_t Depth) {
    Value.Type = Type;
    if (Type == GgufValueType::String)
      return readString(Value.Bytes, subjectField("the string"));
    if (Type == GgufValueType::Array)
      return readArray(Value, Depth);
    uint64_t ValueOffset = Position;
    if (!readUnsigned(Value.Bits, getFixedSize(Type), [&] {
          return subject() + ": the " + getValueTypeName(Type) + " value";
        }))
      return false;
    return checkBool(Type, Value.Bits, ValueOffset);
  }

  /// The format allows 0 and 1 only.
  bool checkBool(GgufValueType Type, uint64_t Bits, uint64_t Offset) {
    if (Type != GgufValueType::Bool || Bits <= 1)
      return true;
    return fail(subject() + ": bool value " + std::to_string(Bits) +
                    " is neither 0 nor 1",
                Offset);
  }

  bool readArray(GgufValue &Array, uint32_t Depth) {
    uint64_t ArrayOffset = Position;
    if (Depth >= GgufMaxArrayNesting)
      return fail(subject() + ": arrays nested more than " +
                      std::to_string(GgufMaxArrayNesting) +
                      " deep are not supported",
                  ArrayOffset);
    GgufValueType ElementType;
    if (!readValueType(ElementType, "array element type"))
      return false;
    uint64_t CountOffset = Position;
    uint64_t Count;
    if (!readU64(Count, subjectField("the array length")))
      return false;
    if (Count > remaining() / getMinimumSize(ElementType))
      return fail(
          subject() + ": array of " + std::to_string(Count) + " " +
              getValueTypeName(ElementType) + " elements is more than the " +
              plural(remaining(), "byte") + " left in the file can hold",
          CountOffset);
    Array.ElementType = ElementType;
    Array.ArraySize = Count;

    if (unsigned Width = getFixedSize(ElementType)) {
      uint64_t Bytes = Count * Width; // cannot overflow: bounded above
      Array.Bytes = std::string_view(reinterpret_cast<const char *>(cursor()),
                                     static_cast<size_t>(Bytes));
      if (ElementType == GgufValueType::Bool)
        for (uint64_t I = 0; I < Count; ++I) {
          ElementPath.push_back(I);
          bool Valid = checkBool(ElementType, cursor()[I], Position + I);
          ElementPath.pop_back();
          if (!Valid)
            return false;
        }
      Position += Bytes;
      return true;
    }

    // Strings and arrays: no reserve() by Count, since nested arrays would
    // each reserve for the same bytes; the vectors grow with what was read.
    if (ElementType == GgufValueType::String) {
      std::vector<std::string_view> Strings;
      for (uint64_t I = 0; I < Count; ++I) {
        ElementPath.push_back(I);
        std::string_view Text;
        bool Valid = readString(Text, subjectField("the string"));
        ElementPath.pop_back();
        if (!Valid)
          return false;
        Strings.push_back(Text);
      }
      File.StringArrays.push_back(std::move(Strings));
      Array.StringElements = File.StringArrays.back().data();
      return true;
    }

    std::vector<GgufValue> Elements;
    for (uint64_t I = 0; I < Count; ++I) {
      ElementPath.push_back(I);
      GgufValue Element;
      bool Valid = readValue(ElementType, Element, Depth + 1);
      ElementPath.pop_back();
      if (!Valid)
        return false;
      Elements.push_back(Element);
    }
    File.NestedArrays.push_back(std::move(Elements));
    Array.ArrayElements = File.NestedArrays.back().data();
    return true;
  }

  bool readAlignment() {
    SubjectKind = "metadata key";
    SubjectName = "general.alignment";
    SubjectHasIndex = false;
    const GgufValue *Value = File.findMetadata("general.alignment");
    if (!Value)
      return true;
    if (Value->getType() != GgufValueType::UInt32)
      return fail(subject() + " has type " +
                      getValueTypeName(Value->getType()) + ", expected u32",
                  AlignmentValueOffset);
    uint64_t Alignment = *Value->asUInt();
    if (Alignment == 0 || (Alignment & (Alignment - 1)) != 0)
      return fail(subject() + " is " + std::to_string(Alignment) +
                      ", not a nonzero power of two",
                  AlignmentValueOffset);
    File.Alignment = static_cast<uint32_t>(Alignment);
    return true;
  }

  //===--------------------------------------------------------------------===//
  // Tensor infos
  //===--------------------------------------------------------------------===//

  bool readTensorInfos() {
    if (!checkCount(TensorCount, MinTensorInfoBytes, "tensor", 8,
                    "the metadata"))
      return false;
    File.Tensors.reserve(reservation(TensorCount));
    File.TensorIndex.reserve(reservation(TensorCount));
    DataOffsetFields.reserve(reservation(TensorCount));
    for (uint64_t I = 0; I < TensorCount; ++I) {
      setSubject("tensor", I);
      GgufTensorInfo Tensor;
      Tensor.InfoOffset = Position;
      if (!readString(Tensor.Name, subjectField("the name")))
        return false;
      SubjectName = Tensor.Name;
      if (!File.TensorIndex.emplace(Tensor.Name, File.Tensors.size()).second)
        return fail("duplicate " + subject(), Tensor.InfoOffset);
      if (!readTensorInfo(Tensor))
        return false;
      File.Tensors.push_back(std::move(Tensor));
    }
    return true;
  }

  bool readTensorInfo(GgufTensorInfo &Tensor) {
    uint64_t DimCountOffset = Position;
    uint32_t DimCount;
    if (!readU32(DimCount, subjectField("the dimension count")))
      return false;
    if (DimCount > GgufMaxDims)
      return fail(subject() + " has " + std::to_string(DimCount) +
                      " dimensions; at most " + std::to_string(GgufMaxDims) +
                      " are supported",
                  DimCountOffset);

    uint64_t DimsOffset = Position;
    uint64_t NumElements = 1;
    bool Overflow = false;
    for (uint32_t D = 0; D < DimCount; ++D) {
      uint64_t DimOffset = Position;
      uint64_t Extent;
      if (!readU64(Extent, [&] {
            return subject() + ": dimension " + std::to_string(D);
          }))
        return false;
      if (Extent > MaxInt64)
        return fail(subject() + ": dimension " + std::to_string(D) + " is " +
                        std::to_string(Extent) + ", more than 2^63-1",
                    DimOffset);
      Tensor.Dims.push_back(Extent);
      Overflow |= __builtin_mul_overflow(NumElements, Extent, &NumElements);
    }
    if (Overflow || NumElements > MaxInt64)
      return fail(subject() + ": the element count of dimensions " +
                      describeDims(Tensor.Dims) + " overflows 2^63-1",
                  DimsOffset);

    uint64_t TypeOffset = Position;
    uint32_t TypeId;
    if (!readU32(TypeId, subjectField("the ggml type")))
      return false;
    Tensor.Type = lookupGgmlType(TypeId);
    if (!Tensor.Type)
      return fail(subject() + " has unknown ggml type " +
                      std::to_string(TypeId),
                  TypeOffset);

    // Rows are whole blocks: ggml quantizes along dimension 0 only.
    uint64_t RowLength = DimCount ? Tensor.Dims[0] : 1;
    if (RowLength % Tensor.Type->BlockSize != 0)
      return fail(subject() + ": row length " + std::to_string(RowLength) +
                      " (dimension 0) is not a multiple of the " +
                      Tensor.Type->Name + " block size " +
                      std::to_string(Tensor.Type->BlockSize),
                  DimsOffset);
    Tensor.NumElements = NumElements;
    if (__builtin_mul_overflow(NumElements / Tensor.Type->BlockSize,
                               static_cast<uint64_t>(Tensor.Type->BlockBytes),
                               &Tensor.NumBytes))
      return fail(subject() + ": the byte size of dimensions " +
                      describeDims(Tensor.Dims) + " in " + Tensor.Type->Name +
                      " overflows 64 bits",
                  DimsOffset);

    DataOffsetFields.push_back(Position);
    if (!readU64(Tensor.DataOffset, subjectField("the data offset")))
      return false;
    if (Tensor.DataOffset % File.Alignment != 0)
      return fail(subject() + ": data offset " +
                      std::to_string(Tensor.DataOffset) +
                      " is not a multiple of the alignment " +
                      std::to_string(File.Alignment),
                  DataOffsetFields.back());
    return true;
  }

  static std::string describeDims(const std::vector<uint64_t> &Dims) {
    std::string Text;
    for (uint64_t Extent : Dims)
      Text += (Text.empty() ? "" : " x ") + std::to_string(Extent);
    return Text.empty() ? "()" : Text;
  }

  //===--------------------------------------------------------------------===//
  // Tensor data
  //===--------------------------------------------------------------------===//

  bool placeTensorData() {
    uint64_t Alignment = File.Alignment;
    File.DataSectionOffset = (Position + Alignment - 1) / Alignment * Alignment;
    // A file without tensor data may end before the padding.
    uint64_t DataBytes = File.Size > File.DataSectionOffset
                             ? File.Size - File.DataSectionOffset
                             : 0;

    std::vector<size_t> ByOffset;
    ByOffset.reserve(File.Tensors.size());
    for (size_t I = 0; I < File.Tensors.size(); ++I) {
      GgufTensorInfo &Tensor = File.Tensors[I];
      setSubject("tensor", I);
      SubjectName = Tensor.Name;
      if (Tensor.DataOffset > DataBytes ||
          Tensor.NumBytes > DataBytes - Tensor.DataOffset)
        return fail(subject() + ": " + plural(Tensor.NumBytes, "byte") +
                        " of data at data offset " +
                        std::to_string(Tensor.DataOffset) +
                        " run past the end of the file (the data section "
                        "starts at byte " +
                        std::to_string(File.DataSectionOffset) +
                        ", the file has " + plural(File.Size, "byte") + ")",
                    DataOffsetFields[I]);
      Tensor.FileOffset = File.DataSectionOffset + Tensor.DataOffset;
      // Only an empty tensor of a file that ends before its data section
      // can start past the end; it gets no pointer.
      Tensor.Data = Tensor.FileOffset <= File.Size
                        ? File.Data + Tensor.FileOffset
                        : nullptr;
      if (Tensor.NumBytes != 0)
        ByOffset.push_back(I);
    }

    std::sort(ByOffset.begin(), ByOffset.end(), [&](size_t A, size_t B) {
      return File.Tensors[A].DataOffset < File.Tensors[B].DataOffset;
    });
    for (size_t K = 1; K < ByOffset.size(); ++K) {
      const GgufTensorInfo &Before = File.Tensors[ByOffset[K - 1]];
      const GgufTensorInfo &After = File.Tensors[ByOffset[K]];
      uint64_t BeforeEnd = Before.DataOffset + Before.NumBytes;
      if (BeforeEnd > After.DataOffset)
        return fail(
            "tensors " + quoteName(Before.Name) + " and " +
                quoteName(After.Name) + " overlap: " + quoteName(Before.Name) +
                " has data bytes [" + std::to_string(Before.DataOffset) + ", " +
                std::to_string(BeforeEnd) + "), " + quoteName(After.Name) +
                " starts at " + std::to_string(After.DataOffset),
            DataOffsetFields[ByOffset[K]]);
    }
    return true;
  }
};

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// A read-only private mapping of a whole file.
class GgufFile::Mapping {
public:
  Mapping(void *Address, size_t Length) : Address(Address), Length(Length) {}
  ~Mapping() { munmap(Address, Length); }
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;

private:
  void *Address;
  size_t Length;
};

GgufFile::GgufFile(GgufFile &&) noexcept = default;
GgufFile &GgufFile::operator=(GgufFile &&) noexcept = default;
GgufFile::~GgufFile() = default;

GgufResult<GgufFile> GgufFile::parse(const uint8_t *Data, size_t Size) {
  GgufFile File;
  File.Data = Data;
  File.Size = Size;
  if (std::optional<GgufError> Error = GgufParser(File).run())
    return *Error;
  return GgufResult<GgufFile>(std::move(File));
}

GgufResult<GgufFile> GgufFile::open(const std::string &Path) {
  auto systemError = [](const char *What) {
    return GgufError(std::string(What) + ": " + std::strerror(errno),
                     std::nullopt);
  };
  // O_NONBLOCK: opening a FIFO must not hang; fstat rejects it below.
  int Descriptor = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (Descriptor < 0)
    return systemError("cannot open");
  struct stat Info;
  if (fstat(Descriptor, &Info) != 0) {
    GgufError Error = systemError("cannot stat");
    ::close(Descriptor);
    return Error;
  }
  if (!S_ISREG(Info.st_mode)) {
    ::close(Descriptor);
    return GgufError("not a regular file", std::nullopt);
  }
  size_t Size = static_cast<size_t>(Info.st_size);
  if (Size == 0) {
    ::close(Descriptor);
    return parse(nullptr, 0);
  }
  void *Address = mmap(nullptr, Size, PROT_READ, MAP_PRIVATE, Descriptor, 0);
  if (Address == MAP_FAILED) {
    GgufError Error = systemError("cannot map");
    ::close(Descriptor);
    return Error;
  }
  ::close(Descriptor); // the mapping keeps the file
  auto Mapped = std::make_unique<Mapping>(Address, Size);
  GgufResult<GgufFile> Result =
      parse(static_cast<const uint8_t *>(Address), Size);
  if (Result)
    Result->Mapped = std::move(Mapped);
  return Result;
}

const GgufValue *GgufFile::findMetadata(std::string_view Key) const {
  auto It = MetadataIndex.find(Key);
  return It == MetadataIndex.end() ? nullptr : &Metadata[It->second].second;
}

const GgufTensorInfo *GgufFile::findTensor(std::string_view Name) const {
  auto It = TensorIndex.find(Name);
  return It == TensorIndex.end() ? nullptr : &Tensors[It->second];
}

namespace {

/// The value of `Key` converted by `Convert`, or an error naming the key.
template <typename T, typename ConvertFn>
GgufResult<T> lookupTyped(const GgufFile &File, std::string_view Key,
                          const char *Expected, ConvertFn Convert) {
  const GgufValue *Value = File.findMetadata(Key);
  if (!Value)
    return GgufError("metadata key " + quoteName(Key) + " is missing",
                     std::nullopt);
  if (std::optional<T> Converted = Convert(*Value))
    return *Converted;
  std::string Found = getValueTypeName(Value->getType());
  if (Value->isInteger())
    Found += " " + (Value->asInt() ? std::to_string(*Value->asInt())
                                   : std::to_string(*Value->asUInt()));
  return GgufError("metadata key " + quoteName(Key) + " is " + Found +
                       ", expected " + Expected,
                   std::nullopt);
}

} // namespace

GgufResult<uint64_t> GgufFile::getUInt(std::string_view Key) const {
  return lookupTyped<uint64_t>(*this, Key, "a non-negative integer",
                               [](const GgufValue &V) { return V.asUInt(); });
}

GgufResult<int64_t> GgufFile::getInt(std::string_view Key) const {
  return lookupTyped<int64_t>(*this, Key, "an integer within int64",
                              [](const GgufValue &V) { return V.asInt(); });
}

GgufResult<double> GgufFile::getFloat(std::string_view Key) const {
  return lookupTyped<double>(*this, Key, "f32 or f64",
                             [](const GgufValue &V) { return V.asFloat(); });
}

GgufResult<bool> GgufFile::getBool(std::string_view Key) const {
  return lookupTyped<bool>(*this, Key, "bool",
                           [](const GgufValue &V) { return V.asBool(); });
}

GgufResult<std::string_view> GgufFile::getString(std::string_view Key) const {
  return lookupTyped<std::string_view>(
      *this, Key, "string", [](const GgufValue &V) { return V.asString(); });
}

GgufResult<GgufValue> GgufFile::getArray(std::string_view Key) const {
  return lookupTyped<GgufValue>(
      *this, Key, "array", [](const GgufValue &V) -> std::optional<GgufValue> {
        if (!V.isArray())
          return std::nullopt;
        return V;
      });
}

} // namespace lathe::gguf
