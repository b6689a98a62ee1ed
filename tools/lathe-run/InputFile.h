//===- InputFile.h - Shared pieces of the tensor file readers -------------===//
//
// Used by the .npy and TensorProto readers only; see TensorFile.h for the
// interface the tool uses.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TOOLS_LATHE_RUN_INPUTFILE_H
#define LATHE_TOOLS_LATHE_RUN_INPUTFILE_H

#include "HostTensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

/// Every .npy file starts with these bytes.
inline constexpr char NpyMagic[] = "\x93NUMPY";
inline constexpr size_t NpyMagicBytes = 6;

/// A regular file read front to back. Reads past the end fail with "file is
/// truncated" rather than returning short.
class InputFile {
public:
  InputFile() = default;
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;
  ~InputFile();

  /// Opens \p Path, which must be a regular file.
  bool open(const std::string &Path, std::string &Error);

  uint64_t size() const { return Size; }
  uint64_t remaining() const { return Size - Position; }

  /// Whether the file starts with \p Length bytes of \p Magic; does not move
  /// the read position.
  bool startsWith(const char *Magic, size_t Length) const;

  /// Reads exactly \p Length bytes; \p What names them in errors.
  bool read(void *Buffer, size_t Length, const char *What, std::string &Error);

private:
  int Descriptor = -1;
  uint64_t Size = 0;
  uint64_t Position = 0;
};

/// Computes the element count and byte size of an array of \p Dims; false
/// when an extent is negative or the array would exceed
/// LATHE_MAX_TENSOR_BYTES.
bool checkedByteSize(lathe_dtype DType, const std::vector<int64_t> &Dims,
                     uint64_t &ElementCount, uint64_t &ByteSize);

/// lathe_tensor_create, with its status message moved into \p Error.
TensorPtr createTensor(lathe_dtype DType, const std::vector<int64_t> &Dims,
                       std::string &Error);

/// bool tensors hold bytes 0 or 1 only.
bool checkBoolValues(lathe_tensor *Tensor, std::string &Error);

/// The format readers. \p File is positioned at its start.
TensorPtr readNpy(InputFile &File, lathe_dtype ExpectedDType,
                  std::string &Error);
TensorPtr readTensorProto(InputFile &File, std::string &Error);

} // namespace lathe

#endif // LATHE_TOOLS_LATHE_RUN_INPUTFILE_H
