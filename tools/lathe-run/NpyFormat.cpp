//===- NpyFormat.cpp - Reading and writing .npy files ---------------------===//
//
// The format: numpy.lib.format. A 6-byte magic, a version, a header length,
// a Python dict literal describing dtype, order and shape, then the data.
//
//===----------------------------------------------------------------------===//
#include "InputFile.h"
#include "TensorFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lathe {
namespace {

/// numpy itself refuses headers over 10000 bytes by default.
constexpr uint32_t MaxNpyHeaderBytes = 1 << 20;

struct NpyHeader {
  std::string Descr;
  bool FortranOrder = false;
  std::vector<int64_t> Shape;
};

/// Parses the header dictionary numpy writes, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), }
/// Exactly the keys descr, fortran_order and shape are accepted.
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(const std::string &Text) : Text(Text) {}

  bool parse(NpyHeader &Header, std::string &Error) {
    bool SeenDescr = false, SeenOrder = false, SeenShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'", Error);
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      std::string Key;
      if (!parseString(Key, Error))
        return false;
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after '" + Key + "'", Error);
      skipSpace();
      bool *Seen = Key == "descr"           ? &SeenDescr
                   : Key == "fortran_order" ? &SeenOrder
                   : Key == "shape"         ? &SeenShape
                                            : nullptr;
      if (!Seen)
        return fail("unexpected key '" + Key + "'", Error);
      if (*Seen)
        return fail("duplicate key '" + Key + "'", Error);
      *Seen = true;
      bool Parsed = Key == "descr" ? parseString(Header.Descr, Error)
                    : Key == "fortran_order"
                        ? parseBool(Header.FortranOrder, Error)
                        : parseShape(Header.Shape, Error);
      if (!Parsed)
        return false;
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}'", Error);
    }
    skipSpace();
    if (Position != Text.size())
      return fail("unexpected text after the dictionary", Error);
    if (!SeenDescr || !SeenOrder || !SeenShape)
      return fail("missing 'descr', 'fortran_order' or 'shape'", Error);
    return true;
  }

private:
  bool fail(const std::string &Message, std::string &Error) const {
    Error = "malformed .npy header: " + Message + " at offset " +
            std::to_string(Position);
    return false;
  }

  void skipSpace() {
    while (Position < Text.size() &&
           (Text[Position] == ' ' || Text[Position] == '\n' ||
            Text[Position] == '\t'))
      ++Position;
  }

  bool consume(char C) {
    if (Position < Text.size() && Text[Position] == C) {
      ++Position;
      return true;
    }
    return false;
  }

  bool consumeWord(const char *Word) {
    size_t Length = std::strlen(Word);
    if (Text.compare(Position, Length, Word) != 0)
      return false;
    Position += Length;
    return true;
  }

  bool parseString(std::string &Value, std::string &Error) {
    if (Position >= Text.size() ||
        (Text[Position] != '\'' && Text[Position] != '"'))
      return fail("expected a string", Error);
    char Quote = Text[Position++];
    size_t End = Text.find(Quote, Position);
    if (End == std::string::npos)
      return fail("unterminated string", Error);
    Value = Text.substr(Position, End - Position);
    if (Value.find('\\') != std::string::npos)
      return fail("escape sequences are not supported", Error);
    Position = End + 1;
    return true;
  }

  bool parseBool(bool &Value, std::string &Error) {
    if (consumeWord("True"))
      Value = true;
    else if (consumeWord("False"))
      Value = false;
    else
      return fail("expected True or False", Error);
    return true;
  }

  bool parseShape(std::vector<int64_t> &Shape, std::string &Error) {
    if (!consume('('))
      return fail("expected '(' to start the shape", Error);
    for (;;) {
      skipSpace();
      if (consume(')'))
        return true;
      if (Shape.size() == LATHE_MAX_RANK)
        return fail("shape has more than " + std::to_string(LATHE_MAX_RANK) +
                        " dimensions",
                    Error);
      uint64_t Extent = 0;
      size_t Digits = 0;
      for (; Position < Text.size() && Text[Position] >= '0' &&
             Text[Position] <= '9';
           ++Position, ++Digits) {
        uint64_t Digit = static_cast<uint64_t>(Text[Position] - '0');
        if (Extent > (LATHE_MAX_TENSOR_BYTES - Digit) / 10)
          return fail("shape extent is absurdly large", Error);
        Extent = Extent * 10 + Digit;
      }
      if (Digits == 0)
        return fail("expected a non-negative integer in the shape", Error);
      consume('L'); // Python 2 longs.
      Shape.push_back(static_cast<int64_t>(Extent));
      skipSpace();
      if (consume(')'))
        return true;
      if (!consume(','))
        return fail("expected ',' or ')' in the shape", Error);
    }
  }

  const std::string &Text;
  size_t Position = 0;
};

/// Maps a numpy type string ("<f4", "|b1") to a dtype.
bool npyDescrToDType(const std::string &Descr, lathe_dtype ExpectedDType,
                     lathe_dtype &DType, std::string &Error) {
  struct Code {
    const char *Name;
    lathe_dtype DType;
  };
  static const Code Codes[] = {
      {"f2", LATHE_DTYPE_F16}, {"f4", LATHE_DTYPE_F32},
      {"f8", LATHE_DTYPE_F64}, {"i1", LATHE_DTYPE_I8},
      {"i2", LATHE_DTYPE_I16}, {"i4", LATHE_DTYPE_I32},
      {"i8", LATHE_DTYPE_I64}, {"u1", LATHE_DTYPE_U8},
      {"u2", LATHE_DTYPE_U16}, {"u4", LATHE_DTYPE_U32},
      {"u8", LATHE_DTYPE_U64}, {"b1", LATHE_DTYPE_BOOL},
      {"?", LATHE_DTYPE_BOOL}, {"V2", LATHE_DTYPE_BF16},
  };
  std::string Code = Descr;
  char ByteOrder = '|';
  if (!Code.empty() && std::strchr("<>|=", Code[0])) {
    ByteOrder = Code[0];
    Code.erase(0, 1);
  }
  for (const auto &Entry : Codes) {
    if (Code != Entry.Name)
      continue;
    DType = Entry.DType;
    // bf16 has no numpy type; its bit patterns travel as uint16 or 2-byte
    // void, and only the signature says which is meant.
    if (DType == LATHE_DTYPE_U16 && ExpectedDType == LATHE_DTYPE_BF16)
      DType = LATHE_DTYPE_BF16;
    if (DType == LATHE_DTYPE_BF16 && ExpectedDType != LATHE_DTYPE_BF16)
      break;
    if (ByteOrder == '>' && lathe_dtype_size(DType) > 1) {
      Error = "big-endian data ('" + Descr +
              "') is not supported; save the array as little endian";
      return false;
    }
    return true;
  }
  Error = "unsupported .npy dtype '" + Descr + "'";
  return false;
}

const char *npyDescr(lathe_dtype DType) {
  switch (DType) {
  case LATHE_DTYPE_F16:
    return "<f2";
  case LATHE_DTYPE_BF16:
    return "<u2";
  case LATHE_DTYPE_F32:
    return "<f4";
  case LATHE_DTYPE_F64:
    return "<f8";
  case LATHE_DTYPE_I8:
    return "|i1";
  case LATHE_DTYPE_I16:
    return "<i2";
  case LATHE_DTYPE_I32:
    return "<i4";
  case LATHE_DTYPE_I64:
    return "<i8";
  case LATHE_DTYPE_U8:
    return "|u1";
  case LATHE_DTYPE_U16:
    return "<u2";
  case LATHE_DTYPE_U32:
    return "<u4";
  case LATHE_DTYPE_U64:
    return "<u8";
  case LATHE_DTYPE_BOOL:
    return "|b1";
  }
  return "";
}

} // namespace

TensorPtr readNpy(InputFile &File, lathe_dtype ExpectedDType,
                  std::string &Error) {
  unsigned char Prefix[NpyMagicBytes + 2];
  if (!File.read(Prefix, sizeof(Prefix), "the .npy magic", Error))
    return nullptr;
  if (std::memcmp(Prefix, NpyMagic, NpyMagicBytes) != 0) {
    Error = "not a .npy file (bad magic)";
    return nullptr;
  }
  unsigned Major = Prefix[NpyMagicBytes], Minor = Prefix[NpyMagicBytes + 1];
  uint32_t HeaderBytes = 0;
  unsigned char Length[4] = {0, 0, 0, 0};
  if (Major == 1) {
    if (!File.read(Length, 2, "the .npy header length", Error))
      return nullptr;
    HeaderBytes = Length[0] | (Length[1] << 8);
  } else if (Major == 2 || Major == 3) {
    if (!File.read(Length, 4, "the .npy header length", Error))
      return nullptr;
    HeaderBytes = Length[0] | (Length[1] << 8) | (Length[2] << 16) |
                  (static_cast<uint32_t>(Length[3]) << 24);
  } else {
    Error = "unsupported .npy format version " + std::to_string(Major) + "." +
            std::to_string(Minor);
    return nullptr;
  }
  if (HeaderBytes > MaxNpyHeaderBytes) {
    Error = ".npy header length " + std::to_string(HeaderBytes) +
            " is implausibly large";
    return nullptr;
  }

  std::string HeaderText(HeaderBytes, '\0');
  if (!File.read(&HeaderText[0], HeaderBytes, "the .npy header", Error))
    return nullptr;
  NpyHeader Header;
  if (!NpyHeaderParser(HeaderText).parse(Header, Error))
    return nullptr;
  if (Header.FortranOrder) {
    Error = "Fortran-order (column-major) arrays are not supported; save a "
            "C-order array (numpy.ascontiguousarray)";
    return nullptr;
  }
  lathe_dtype DType;
  if (!npyDescrToDType(Header.Descr, ExpectedDType, DType, Error))
    return nullptr;

  uint64_t ElementCount, ByteSize;
  if (!checkedByteSize(DType, Header.Shape, ElementCount, ByteSize)) {
    Error = "shape " +
            formatType(DType, Header.Shape.size(), Header.Shape.data()) +
            " is larger than the runtime accepts";
    return nullptr;
  }
  if (File.remaining() < ByteSize) {
    Error = "file is truncated: the header promises " +
            std::to_string(ByteSize) + " data bytes, the file holds " +
            std::to_string(File.remaining());
    return nullptr;
  }
  if (File.remaining() > ByteSize) {
    Error = std::to_string(File.remaining() - ByteSize) +
            " unexpected bytes after the array data";
    return nullptr;
  }

  TensorPtr Tensor = createTensor(DType, Header.Shape, Error);
  if (!Tensor ||
      !File.read(lathe_tensor_data(Tensor.get()), ByteSize, "the array data",
                 Error) ||
      !checkBoolValues(Tensor.get(), Error))
    return nullptr;
  return Tensor;
}

bool writeNpyFile(const std::string &Path, lathe_tensor *Tensor,
                  std::string &Error) {
  std::string Header = std::string("{'descr': '") +
                       npyDescr(lathe_tensor_dtype(Tensor)) +
                       "', 'fortran_order': False, 'shape': (";
  size_t Rank = lathe_tensor_rank(Tensor);
  for (size_t I = 0; I < Rank; ++I)
    Header +=
        std::to_string(lathe_tensor_dims(Tensor)[I]) + (Rank == 1      ? ","
                                                        : I + 1 < Rank ? ", "
                                                                       : "");
  Header += "), }";
  // Magic, version and length take 10 bytes; numpy pads the header with
  // spaces and a newline so that the data starts 64-byte aligned.
  size_t Total = 10 + Header.size() + 1;
  Header.append((64 - Total % 64) % 64, ' ');
  Header += '\n';

  std::FILE *Stream = std::fopen(Path.c_str(), "wb");
  if (!Stream) {
    Error = std::string("cannot create: ") + std::strerror(errno);
    return false;
  }
  unsigned char Prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              static_cast<unsigned char>(Header.size() & 0xff),
                              static_cast<unsigned char>(Header.size() >> 8)};
  size_t DataBytes = lathe_tensor_byte_size(Tensor);
  bool Written =
      std::fwrite(Prefix, 1, sizeof(Prefix), Stream) == sizeof(Prefix) &&
      std::fwrite(Header.data(), 1, Header.size(), Stream) == Header.size() &&
      std::fwrite(lathe_tensor_data(Tensor), 1, DataBytes, Stream) == DataBytes;
  int WriteErrno = errno;
  if (std::fclose(Stream) != 0 && Written) {
    Written = false;
    WriteErrno = errno;
  }
  if (!Written)
    Error = std::string("cannot write: ") + std::strerror(WriteErrno);
  return Written;
}

} // namespace lathe
