//===- TensorProtoFormat.cpp - Reading ONNX TensorProto files -------------===//
//
// Data comes either as raw_data (little-endian bytes) or in the typed field
// onnx.proto assigns to the element type; both are checked against the shape
// before anything is allocated.
//
//===----------------------------------------------------------------------===//
#include "InputFile.h"

// onnx_pb.h defines ONNX_API, then includes onnx-ml.pb.h (ONNX_ML is set by
// the onnx_proto target).
#include <onnx/onnx_pb.h>

#include <climits>
#include <cstring>
#include <type_traits>

namespace lathe {
namespace {

bool onnxTypeToDType(int32_t DataType, lathe_dtype &DType, std::string &Error) {
  switch (DataType) {
  case onnx::TensorProto::FLOAT16:
    DType = LATHE_DTYPE_F16;
    return true;
  case onnx::TensorProto::BFLOAT16:
    DType = LATHE_DTYPE_BF16;
    return true;
  case onnx::TensorProto::FLOAT:
    DType = LATHE_DTYPE_F32;
    return true;
  case onnx::TensorProto::DOUBLE:
    DType = LATHE_DTYPE_F64;
    return true;
  case onnx::TensorProto::INT8:
    DType = LATHE_DTYPE_I8;
    return true;
  case onnx::TensorProto::INT16:
    DType = LATHE_DTYPE_I16;
    return true;
  case onnx::TensorProto::INT32:
    DType = LATHE_DTYPE_I32;
    return true;
  case onnx::TensorProto::INT64:
    DType = LATHE_DTYPE_I64;
    return true;
  case onnx::TensorProto::UINT8:
    DType = LATHE_DTYPE_U8;
    return true;
  case onnx::TensorProto::UINT16:
    DType = LATHE_DTYPE_U16;
    return true;
  case onnx::TensorProto::UINT32:
    DType = LATHE_DTYPE_U32;
    return true;
  case onnx::TensorProto::UINT64:
    DType = LATHE_DTYPE_U64;
    return true;
  case onnx::TensorProto::BOOL:
    DType = LATHE_DTYPE_BOOL;
    return true;
  default:
    break;
  }
  if (onnx::TensorProto_DataType_IsValid(DataType))
    Error = "unsupported ONNX data type " +
            onnx::TensorProto_DataType_Name(
                static_cast<onnx::TensorProto_DataType>(DataType));
  else
    Error = "unknown ONNX data type " + std::to_string(DataType);
  return false;
}

/// Stores \p Values into \p Tensor's elements as T. Integer values are
/// checked to lie in [Min, Max] first; floating-point values are stored as
/// they are.
template <typename T, typename Field>
bool storeTypedValues(const Field &Values, int64_t Min, uint64_t Max,
                      const char *FieldName, lathe_tensor *Tensor,
                      std::string &Error) {
  auto *Data = static_cast<char *>(lathe_tensor_data(Tensor));
  for (int I = 0, E = Values.size(); I < E; ++I) {
    auto Value = Values.Get(I);
    using ValueType = decltype(Value);
    bool InRange = true;
    if constexpr (std::is_integral_v<ValueType> && std::is_signed_v<ValueType>)
      InRange =
          Value >= Min && (Value < 0 || static_cast<uint64_t>(Value) <= Max);
    else if constexpr (std::is_integral_v<ValueType>)
      InRange = Value <= Max;
    if (!InRange) {
      Error = std::string(FieldName) + " value " + std::to_string(Value) +
              " at element " + std::to_string(I) + " is out of range for " +
              lathe_dtype_name(lathe_tensor_dtype(Tensor));
      return false;
    }
    T Narrowed = static_cast<T>(Value);
    std::memcpy(Data + static_cast<size_t>(I) * sizeof(T), &Narrowed,
                sizeof(T));
  }
  return true;
}

/// Fills \p Tensor from the typed field onnx.proto assigns to its dtype.
bool storeTypedData(const onnx::TensorProto &Proto, lathe_tensor *Tensor,
                    std::string &Error) {
  switch (lathe_tensor_dtype(Tensor)) {
  case LATHE_DTYPE_F32:
    return storeTypedValues<float>(Proto.float_data(), 0, 0, "float_data",
                                   Tensor, Error);
  case LATHE_DTYPE_F64:
    return storeTypedValues<double>(Proto.double_data(), 0, 0, "double_data",
                                    Tensor, Error);
  case LATHE_DTYPE_I64:
    return storeTypedValues<int64_t>(Proto.int64_data(), INT64_MIN, INT64_MAX,
                                     "int64_data", Tensor, Error);
  case LATHE_DTYPE_U64:
    return storeTypedValues<uint64_t>(Proto.uint64_data(), 0, UINT64_MAX,
                                      "uint64_data", Tensor, Error);
  case LATHE_DTYPE_U32:
    return storeTypedValues<uint32_t>(Proto.uint64_data(), 0, UINT32_MAX,
                                      "uint64_data", Tensor, Error);
  case LATHE_DTYPE_I32:
    return storeTypedValues<int32_t>(Proto.int32_data(), INT32_MIN, INT32_MAX,
                                     "int32_data", Tensor, Error);
  case LATHE_DTYPE_I16:
    return storeTypedValues<int16_t>(Proto.int32_data(), INT16_MIN, INT16_MAX,
                                     "int32_data", Tensor, Error);
  case LATHE_DTYPE_I8:
    return storeTypedValues<int8_t>(Proto.int32_data(), INT8_MIN, INT8_MAX,
                                    "int32_data", Tensor, Error);
  case LATHE_DTYPE_U16:
  case LATHE_DTYPE_F16: // bit patterns, per onnx.proto
  case LATHE_DTYPE_BF16:
    return storeTypedValues<uint16_t>(Proto.int32_data(), 0, UINT16_MAX,
                                      "int32_data", Tensor, Error);
  case LATHE_DTYPE_U8:
    return storeTypedValues<uint8_t>(Proto.int32_data(), 0, UINT8_MAX,
                                     "int32_data", Tensor, Error);
  case LATHE_DTYPE_BOOL:
    return storeTypedValues<uint8_t>(Proto.int32_data(), 0, 1, "int32_data",
                                     Tensor, Error);
  }
  Error = "internal error: unhandled dtype";
  return false;
}

/// Number of values in the typed field onnx.proto assigns to \p DType.
int typedValueCount(const onnx::TensorProto &Proto, lathe_dtype DType) {
  switch (DType) {
  case LATHE_DTYPE_F32:
    return Proto.float_data_size();
  case LATHE_DTYPE_F64:
    return Proto.double_data_size();
  case LATHE_DTYPE_I64:
    return Proto.int64_data_size();
  case LATHE_DTYPE_U32:
  case LATHE_DTYPE_U64:
    return Proto.uint64_data_size();
  default:
    return Proto.int32_data_size();
  }
}

} // namespace

TensorPtr readTensorProto(InputFile &File, std::string &Error) {
  if (File.size() > static_cast<uint64_t>(INT_MAX)) {
    Error = "file is too large for a TensorProto (over 2 GiB)";
    return nullptr;
  }
  std::string Bytes(static_cast<size_t>(File.size()), '\0');
  if (!Bytes.empty() &&
      !File.read(&Bytes[0], Bytes.size(), "the TensorProto", Error))
    return nullptr;
  onnx::TensorProto Proto;
  if (!Proto.ParseFromString(Bytes)) {
    Error = "not a valid ONNX TensorProto (protobuf parsing failed)";
    return nullptr;
  }
  if (Proto.data_location() == onnx::TensorProto::EXTERNAL ||
      Proto.external_data_size() > 0) {
    Error = "TensorProtos with external data are not supported";
    return nullptr;
  }
  if (Proto.has_segment()) {
    Error = "segmented TensorProtos are not supported";
    return nullptr;
  }
  if (!Proto.has_data_type() ||
      Proto.data_type() == onnx::TensorProto::UNDEFINED) {
    Error = "not a valid ONNX TensorProto (no data type)";
    return nullptr;
  }
  lathe_dtype DType;
  if (!onnxTypeToDType(Proto.data_type(), DType, Error))
    return nullptr;
  if (Proto.dims_size() > LATHE_MAX_RANK) {
    Error = "tensor has " + std::to_string(Proto.dims_size()) +
            " dimensions; at most " + std::to_string(LATHE_MAX_RANK) +
            " are supported";
    return nullptr;
  }
  std::vector<int64_t> Dims(Proto.dims().begin(), Proto.dims().end());
  std::string Type = formatType(DType, Dims.size(), Dims.data());
  uint64_t ElementCount, ByteSize;
  if (!checkedByteSize(DType, Dims, ElementCount, ByteSize)) {
    Error = "shape " + Type +
            " has a negative extent or is larger than the runtime accepts";
    return nullptr;
  }

  // Check that the data matches the shape before allocating for it.
  uint64_t TypedValues = static_cast<uint64_t>(Proto.float_data_size()) +
                         Proto.int32_data_size() + Proto.string_data_size() +
                         Proto.int64_data_size() + Proto.double_data_size() +
                         Proto.uint64_data_size();
  bool HasRawData = Proto.has_raw_data();
  if (HasRawData && TypedValues > 0) {
    Error = "TensorProto has both raw_data and typed data fields";
    return nullptr;
  }
  if (HasRawData && Proto.raw_data().size() != ByteSize) {
    Error = "raw_data holds " + std::to_string(Proto.raw_data().size()) +
            " bytes; " + Type + " needs " + std::to_string(ByteSize);
    return nullptr;
  }
  if (!HasRawData &&
      (TypedValues != ElementCount ||
       static_cast<uint64_t>(typedValueCount(Proto, DType)) != ElementCount)) {
    Error = "TensorProto holds " + std::to_string(TypedValues) +
            " values in its typed data fields; " + Type + " needs " +
            std::to_string(ElementCount) + " in the field for its type";
    return nullptr;
  }

  TensorPtr Tensor = createTensor(DType, Dims, Error);
  if (!Tensor)
    return nullptr;
  if (HasRawData) {
    if (ByteSize > 0)
      std::memcpy(lathe_tensor_data(Tensor.get()), Proto.raw_data().data(),
                  ByteSize);
  } else if (!storeTypedData(Proto, Tensor.get(), Error)) {
    return nullptr;
  }
  if (!checkBoolValues(Tensor.get(), Error))
    return nullptr;
  return Tensor;
}

} // namespace lathe
