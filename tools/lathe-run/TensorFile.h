//===- TensorFile.h - Reading and writing tensor files --------------------===//
//
// Tensors on disk are .npy files (format versions 1-3, little endian, C
// order) or serialized ONNX TensorProto messages (.pb). Both readers treat the
// file as untrusted: every size is checked against the file before memory is
// allocated for it.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TOOLS_LATHE_RUN_TENSORFILE_H
#define LATHE_TOOLS_LATHE_RUN_TENSORFILE_H

#include "HostTensor.h"

#include <string>

namespace lathe {

/// Reads the tensor in \p Path: .npy when the file starts with the .npy magic
/// (or is named *.npy), a TensorProto otherwise. \p ExpectedDType only
/// decides how to read bf16 from .npy, which has no bf16 type: a file of
/// uint16 bit patterns (or 2-byte void) is read as bf16 when bf16 is
/// expected. On failure returns null and sets \p Error to the reason.
TensorPtr readTensorFile(const std::string &Path, lathe_dtype ExpectedDType,
                         std::string &Error);

/// Writes \p Tensor to \p Path as a version 1.0 .npy file (bf16 as uint16 bit
/// patterns). On failure returns false and sets \p Error to the reason.
bool writeNpyFile(const std::string &Path, lathe_tensor *Tensor,
                  std::string &Error);

} // namespace lathe

#endif // LATHE_TOOLS_LATHE_RUN_TENSORFILE_H
