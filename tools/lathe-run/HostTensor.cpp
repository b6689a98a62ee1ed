//===- HostTensor.cpp - Element access for tensors ------------------------===//
#include "HostTensor.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace lathe {

std::string formatType(lathe_dtype DType, size_t Rank, const int64_t *Dims) {
  const char *Name = lathe_dtype_name(DType);
  std::string Result = Name ? Name : "?";
  Result += '[';
  for (size_t I = 0; I < Rank; ++I) {
    if (I)
      Result += ',';
    Result += std::to_string(Dims[I]);
  }
  Result += ']';
  return Result;
}

std::string formatType(const lathe_tensor *Tensor) {
  return formatType(lathe_tensor_dtype(Tensor), lathe_tensor_rank(Tensor),
                    lathe_tensor_dims(Tensor));
}

std::string formatIndex(const lathe_tensor *Tensor, size_t Index) {
  size_t Rank = lathe_tensor_rank(Tensor);
  const int64_t *Dims = lathe_tensor_dims(Tensor);
  std::vector<uint64_t> Coordinates(Rank);
  for (size_t I = Rank; I-- > 0;) {
    uint64_t Extent = static_cast<uint64_t>(Dims[I]);
    Coordinates[I] = Index % Extent;
    Index /= Extent;
  }
  std::string Result = "[";
  for (size_t I = 0; I < Rank; ++I) {
    if (I)
      Result += ',';
    Result += std::to_string(Coordinates[I]);
  }
  return Result + "]";
}

static double halfToDouble(uint16_t Bits) {
  int Exponent = (Bits >> 10) & 0x1f;
  int Mantissa = Bits & 0x3ff;
  double Magnitude;
  if (Exponent == 0)
    Magnitude = std::ldexp(Mantissa, -24);
  else if (Exponent == 31)
    Magnitude = Mantissa ? NAN : INFINITY;
  else
    Magnitude = std::ldexp(Mantissa + 1024, Exponent - 25);
  return (Bits & 0x8000) ? -Magnitude : Magnitude;
}

static double bfloat16ToDouble(uint16_t Bits) {
  uint32_t Widened = static_cast<uint32_t>(Bits) << 16;
  float Value;
  std::memcpy(&Value, &Widened, sizeof(Value));
  return Value;
}

template <typename T> static T load(const void *Data, size_t Index) {
  T Value;
  std::memcpy(&Value, static_cast<const char *>(Data) + Index * sizeof(T),
              sizeof(T));
  return Value;
}

double elementAsDouble(lathe_tensor *Tensor, size_t Index) {
  const void *Data = lathe_tensor_data(Tensor);
  switch (lathe_tensor_dtype(Tensor)) {
  case LATHE_DTYPE_F16:
    return halfToDouble(load<uint16_t>(Data, Index));
  case LATHE_DTYPE_BF16:
    return bfloat16ToDouble(load<uint16_t>(Data, Index));
  case LATHE_DTYPE_F32:
    return load<float>(Data, Index);
  case LATHE_DTYPE_F64:
    return load<double>(Data, Index);
  case LATHE_DTYPE_I8:
    return load<int8_t>(Data, Index);
  case LATHE_DTYPE_I16:
    return load<int16_t>(Data, Index);
  case LATHE_DTYPE_I32:
    return load<int32_t>(Data, Index);
  case LATHE_DTYPE_I64:
    return static_cast<double>(load<int64_t>(Data, Index));
  case LATHE_DTYPE_U8:
  case LATHE_DTYPE_BOOL:
    return load<uint8_t>(Data, Index);
  case LATHE_DTYPE_U16:
    return load<uint16_t>(Data, Index);
  case LATHE_DTYPE_U32:
    return load<uint32_t>(Data, Index);
  case LATHE_DTYPE_U64:
    return static_cast<double>(load<uint64_t>(Data, Index));
  }
  return NAN;
}

std::string formatDouble(double Value) {
  char Buffer[32];
  std::snprintf(Buffer, sizeof(Buffer), "%.6g", Value);
  return Buffer;
}

std::string formatElement(lathe_tensor *Tensor, size_t Index) {
  const void *Data = lathe_tensor_data(Tensor);
  switch (lathe_tensor_dtype(Tensor)) {
  case LATHE_DTYPE_I8:
  case LATHE_DTYPE_I16:
  case LATHE_DTYPE_I32:
  case LATHE_DTYPE_U8:
  case LATHE_DTYPE_U16:
  case LATHE_DTYPE_U32:
  case LATHE_DTYPE_BOOL:
    // Exact in a double.
    return std::to_string(static_cast<int64_t>(elementAsDouble(Tensor, Index)));
  case LATHE_DTYPE_I64:
    return std::to_string(load<int64_t>(Data, Index));
  case LATHE_DTYPE_U64:
    return std::to_string(load<uint64_t>(Data, Index));
  default:
    return formatDouble(elementAsDouble(Tensor, Index));
  }
}

} // namespace lathe
