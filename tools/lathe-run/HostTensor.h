//===- HostTensor.h - Owning wrappers and element access for tensors ------===//
//
// C++ ownership for the runtime's C handles, and reading tensor elements as
// double for printing and comparison.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TOOLS_LATHE_RUN_HOSTTENSOR_H
#define LATHE_TOOLS_LATHE_RUN_HOSTTENSOR_H

#include "lathe/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lathe {

struct RuntimeDeleter {
  void operator()(lathe_runtime *Runtime) const { lathe_runtime_free(Runtime); }
};
struct ModuleDeleter {
  void operator()(lathe_module *Module) const { lathe_module_free(Module); }
};
struct TensorDeleter {
  void operator()(lathe_tensor *Tensor) const { lathe_tensor_free(Tensor); }
};
struct StatusDeleter {
  void operator()(lathe_status_impl *Status) const {
    lathe_status_free(Status);
  }
};

using RuntimePtr = std::unique_ptr<lathe_runtime, RuntimeDeleter>;
using ModulePtr = std::unique_ptr<lathe_module, ModuleDeleter>;
using TensorPtr = std::unique_ptr<lathe_tensor, TensorDeleter>;
using StatusPtr = std::unique_ptr<lathe_status_impl, StatusDeleter>;

/// "f32[4,8]"; "f32[]" for a scalar.
std::string formatType(lathe_dtype DType, size_t Rank, const int64_t *Dims);
std::string formatType(const lathe_tensor *Tensor);

/// "[1,2]": the multi-dimensional index of flat element \p Index.
std::string formatIndex(const lathe_tensor *Tensor, size_t Index);

/// Element \p Index of \p Tensor converted to double (f16 and bf16 decoded).
double elementAsDouble(lathe_tensor *Tensor, size_t Index);

/// Element \p Index of \p Tensor as a person reads it: integers exactly,
/// floating point with 6 significant digits.
std::string formatElement(lathe_tensor *Tensor, size_t Index);

/// \p Value with 6 significant digits.
std::string formatDouble(double Value);

} // namespace lathe

#endif // LATHE_TOOLS_LATHE_RUN_HOSTTENSOR_H
