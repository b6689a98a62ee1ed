//===- gguf_reader_fuzzer.cpp - libFuzzer target for the GGUF reader ------===//
//
// Parses arbitrary bytes as a GGUF file. Any outcome but a crash, a hang or a
// large allocation is fine; when parsing succeeds, everything the reader
// hands out is walked, and what it promises (views inside the buffer, at most
// GgufMaxDims dims, consistent sizes) is checked, so that ASan sees any view
// that points astray.
//
//===----------------------------------------------------------------------===//
#include "frontend/gguf/GgufReader.h"

#include <cstddef>
#include <cstdint>

using namespace lathe::gguf;

namespace {

volatile uint8_t Sink;

struct Walker {
  const uint8_t *Begin;
  const uint8_t *End;

  void expect(bool Condition) {
    if (!Condition)
      __builtin_trap();
  }

  void touch(const void *Data, size_t Size) {
    if (Size == 0)
      return;
    const uint8_t *Bytes = static_cast<const uint8_t *>(Data);
    expect(Bytes >= Begin && Bytes + Size <= End);
    Sink = Bytes[0] ^ Bytes[Size - 1];
  }

  void walk(const GgufValue &Value) {
    switch (Value.getType()) {
    case GgufValueType::String:
      touch(Value.asString()->data(), Value.asString()->size());
      return;
    case GgufValueType::Array:
      for (uint64_t I = 0; I < Value.getArraySize(); ++I) {
        GgufValue Element = Value.getElement(I);
        expect(Element.getType() == Value.getElementType());
        walk(Element);
      }
      return;
    case GgufValueType::Bool:
      expect(Value.asBool().has_value());
      return;
    case GgufValueType::Float32:
    case GgufValueType::Float64:
      expect(Value.asFloat().has_value());
      return;
    default:
      expect(Value.asInt().has_value() || Value.asUInt().has_value());
      return;
    }
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  GgufResult<GgufFile> File = GgufFile::parse(Data, Size);
  if (!File) {
    Sink = static_cast<uint8_t>(File.getError().str().size());
    return 0;
  }
  Walker W{Data, Data + Size};
  for (const auto &[Key, Value] : File->getMetadata()) {
    W.touch(Key.data(), Key.size());
    W.expect(File->findMetadata(Key) == &Value);
    W.walk(Value);
    // The typed lookups succeed exactly when the value has that type.
    W.expect(bool(File->getUInt(Key)) == Value.asUInt().has_value());
    W.expect(bool(File->getInt(Key)) == Value.asInt().has_value());
    W.expect(bool(File->getFloat(Key)) == Value.isFloat());
    W.expect(bool(File->getBool(Key)) ==
             (Value.getType() == GgufValueType::Bool));
    W.expect(bool(File->getString(Key)) ==
             (Value.getType() == GgufValueType::String));
    W.expect(bool(File->getArray(Key)) == Value.isArray());
  }
  uint32_t Alignment = File->getAlignment();
  W.expect(Alignment != 0 && (Alignment & (Alignment - 1)) == 0);
  if (File->findMetadata("general.alignment"))
    W.expect(*File->getUInt("general.alignment") == Alignment);
  for (const GgufTensorInfo &Tensor : File->getTensors()) {
    W.touch(Tensor.Name.data(), Tensor.Name.size());
    W.expect(File->findTensor(Tensor.Name) == &Tensor);
    W.expect(Tensor.Dims.size() <= GgufMaxDims && Tensor.Type != nullptr);
    W.expect(Tensor.DataOffset % Alignment == 0);
    W.expect(Tensor.FileOffset ==
             File->getDataSectionOffset() + Tensor.DataOffset);
    W.touch(Tensor.Data, Tensor.NumBytes);
  }
  return 0;
}
