//===- TensorFile.cpp - Reading tensor files of either format -------------===//
#include "TensorFile.h"
#include "InputFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lathe {

InputFile::~InputFile() {
  if (Descriptor >= 0)
    close(Descriptor);
}

bool InputFile::open(const std::string &Path, std::string &Error) {
  // O_NONBLOCK: opening a FIFO must not hang; fstat rejects it below.
  Descriptor = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (Descriptor < 0) {
    Error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat Info;
  if (fstat(Descriptor, &Info) != 0) {
    Error = std::string("cannot stat: ") + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(Info.st_mode)) {
    Error = "not a regular file";
    return false;
  }
  Size = static_cast<uint64_t>(Info.st_size);
  return true;
}

bool InputFile::startsWith(const char *Magic, size_t Length) const {
  std::string Start(Length, '\0');
  return Size >= Length &&
         pread(Descriptor, &Start[0], Length, 0) ==
             static_cast<ssize_t>(Length) &&
         std::memcmp(Start.data(), Magic, Length) == 0;
}

bool InputFile::read(void *Buffer, size_t Length, const char *What,
                     std::string &Error) {
  if (Length > remaining()) {
    Error = std::string("file is truncated (reading ") + What + ")";
    return false;
  }
  size_t Done = 0;
  while (Done < Length) {
    ssize_t Got =
        ::read(Descriptor, static_cast<char *>(Buffer) + Done, Length - Done);
    if (Got < 0 && errno == EINTR)
      continue;
    if (Got < 0) {
      Error = std::string("cannot read: ") + std::strerror(errno);
      return false;
    }
    if (Got == 0) {
      Error = std::string("file is truncated (reading ") + What + ")";
      return false;
    }
    Done += static_cast<size_t>(Got);
  }
  Position += Length;
  return true;
}

bool checkedByteSize(lathe_dtype DType, const std::vector<int64_t> &Dims,
                     uint64_t &ElementCount, uint64_t &ByteSize) {
  for (int64_t Extent : Dims)
    if (Extent < 0 || static_cast<uint64_t>(Extent) > LATHE_MAX_TENSOR_BYTES)
      return false;
  uint64_t Elements = 1;
  for (int64_t Extent : Dims) {
    if (Elements == 0)
      break;
    uint64_t Unsigned = static_cast<uint64_t>(Extent);
    if (Unsigned != 0 && Elements > LATHE_MAX_TENSOR_BYTES / Unsigned)
      return false;
    Elements *= Unsigned;
  }
  uint64_t Bytes = Elements * lathe_dtype_size(DType);
  if (Bytes > LATHE_MAX_TENSOR_BYTES)
    return false;
  ElementCount = Elements;
  ByteSize = Bytes;
  return true;
}

TensorPtr createTensor(lathe_dtype DType, const std::vector<int64_t> &Dims,
                       std::string &Error) {
  lathe_tensor *Tensor = nullptr;
  StatusPtr Status(
      lathe_tensor_create(DType, Dims.size(), Dims.data(), &Tensor));
  if (Status) {
    Error = lathe_status_message(Status.get());
    return nullptr;
  }
  return TensorPtr(Tensor);
}

bool checkBoolValues(lathe_tensor *Tensor, std::string &Error) {
  if (lathe_tensor_dtype(Tensor) != LATHE_DTYPE_BOOL)
    return true;
  const auto *Bytes = static_cast<const uint8_t *>(lathe_tensor_data(Tensor));
  for (size_t I = 0, E = lathe_tensor_byte_size(Tensor); I < E; ++I) {
    if (Bytes[I] > 1) {
      Error = "bool element " + std::to_string(I) + " is " +
              std::to_string(Bytes[I]) + " (expected 0 or 1)";
      return false;
    }
  }
  return true;
}

namespace {

bool hasNpySuffix(const std::string &Path) {
  return Path.size() >= 4 && Path.compare(Path.size() - 4, 4, ".npy") == 0;
}

} // namespace

TensorPtr readTensorFile(const std::string &Path, lathe_dtype ExpectedDType,
                         std::string &Error) {
  InputFile File;
  if (!File.open(Path, Error))
    return nullptr;
  bool IsNpy = hasNpySuffix(Path) || File.startsWith(NpyMagic, NpyMagicBytes);
  return IsNpy ? readNpy(File, ExpectedDType, Error)
               : readTensorProto(File, Error);
}

} // namespace lathe
