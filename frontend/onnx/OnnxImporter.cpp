//===- OnnxImporter.cpp - ONNX model to graph-level MLIR ------------------===//
#include "frontend/onnx/OnnxImporter.h"
#include "frontend/onnx/ConstantEvaluation.h"
#include "frontend/onnx/NodeImporter.h"
#include "frontend/onnx/TensorBuilders.h"

#include "dialects/graph/GraphOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

using namespace mlir;

namespace lathe::onnx_import {

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

Type elementTypeFor(MLIRContext *ctx, OnnxDtype dtype) {
  Builder b(ctx);
  switch (dtype) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32: case onnx::TensorProto::UINT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64: case onnx::TensorProto::UINT64:
    return b.getIntegerType(64);
  default: return nullptr;
  }
}

StringRef dtypeName(OnnxDtype dtype) {
  switch (dtype) {
  case onnx::TensorProto::FLOAT: return "f32";
  case onnx::TensorProto::DOUBLE: return "f64";
  case onnx::TensorProto::FLOAT16: return "f16";
  case onnx::TensorProto::BFLOAT16: return "bf16";
  case onnx::TensorProto::BOOL: return "bool";
  case onnx::TensorProto::INT8: return "i8";
  case onnx::TensorProto::UINT8: return "u8";
  case onnx::TensorProto::INT16: return "i16";
  case onnx::TensorProto::UINT16: return "u16";
  case onnx::TensorProto::INT32: return "i32";
  case onnx::TensorProto::UINT32: return "u32";
  case onnx::TensorProto::INT64: return "i64";
  case onnx::TensorProto::UINT64: return "u64";
  default: return "";
  }
}

bool isUnsignedDtype(OnnxDtype dtype) {
  return dtype == onnx::TensorProto::UINT8 ||
         dtype == onnx::TensorProto::UINT16 ||
         dtype == onnx::TensorProto::UINT32 ||
         dtype == onnx::TensorProto::UINT64 || dtype == onnx::TensorProto::BOOL;
}

bool isFloatDtype(OnnxDtype dtype) {
  return dtype == onnx::TensorProto::FLOAT ||
         dtype == onnx::TensorProto::DOUBLE ||
         dtype == onnx::TensorProto::FLOAT16 ||
         dtype == onnx::TensorProto::BFLOAT16;
}

static std::string dtypeLabel(OnnxDtype dtype) {
  if (onnx::TensorProto::DataType_IsValid(dtype))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dtype));
  // Types newer than the onnx.proto this was built with (onnx 1.14 - 1.19).
  static constexpr llvm::StringLiteral newer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2",        "INT2"};
  if (dtype >= 17 && dtype < 17 + (OnnxDtype)std::size(newer))
    return newer[dtype - 17].str();
  return "data type " + std::to_string(dtype);
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

static std::string describeNode(const onnx::NodeProto &node, int64_t opset) {
  std::string name = node.name().empty() ? "<unnamed>" : node.name();
  return "node '" + name + "' (" + node.op_type() + ", opset " +
         std::to_string(opset) + ")";
}

LogicalResult NodeImporter::fail(const Twine &message) const {
  // The message names file and node itself; the IR location would repeat it.
  return emitError(UnknownLoc::get(b.getContext())) << modelPath << ": " << describeNode(node, opset)
                        << ": " << message;
}

LogicalResult NodeImporter::unsupported(const Twine &what) const {
  return fail("unsupported " + what);
}

LogicalResult NodeImporter::expectInputs(unsigned count) const {
  for (unsigned i = 0; i < count; ++i)
    if (!hasInput(i))
      return fail("expects " + Twine(count) + " input" +
                  (count == 1 ? "" : "s") + ", input #" + Twine(i) +
                  " is missing");
  return success();
}

LogicalResult NodeImporter::expectNonScalar(unsigned i, StringRef what) const {
  if (inputRank(i) == 0)
    return fail(what + " must have rank >= 1, not be a scalar");
  return success();
}

DenseElementsAttr NodeImporter::constantInput(unsigned i) const {
  if (!hasInput(i))
    return nullptr;
  DenseElementsAttr attr;
  if (matchPattern(input(i), m_Constant(&attr)))
    return attr;
  // Computed from constants (shape arithmetic): evaluated here.
  return evaluateConstant(input(i));
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(unsigned i,
                                                           StringRef what) {
  DenseElementsAttr attr = constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return unsupported(what + " that is not a compile-time constant");
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::attrInt(StringRef name, int64_t fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : fallback;
}

float NodeImporter::attrFloat(StringRef name, float fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : fallback;
}

std::string NodeImporter::attrString(StringRef name,
                                     StringRef fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : fallback.str();
}

std::optional<SmallVector<int64_t>>
NodeImporter::attrInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis,
                                               int64_t rank) const {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) // A scalar has no axes.
    return fail("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return normalized;
}

//===----------------------------------------------------------------------===//
// Graph import
//===----------------------------------------------------------------------===//

namespace {

/// Limit on a single initializer: larger tensors belong in external data
/// that is mapped, and this keeps a corrupt size from allocating gigabytes.
constexpr uint64_t kMaxInlineTensorBytes = uint64_t(4) << 30;

/// Limit on any tensor of the program, the runtime's LATHE_MAX_TENSOR_BYTES
/// (runtime/include/lathe/runtime.h): larger ones could not be passed in or
/// out, and their sizes could overflow the address arithmetic of the code.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 34;

/// Why `type` is too large for a tensor, or an empty string.
std::string tensorTooLarge(RankedTensorType type) {
  if (llvm::is_contained(type.getShape(), 0))
    return "";
  unsigned bits = type.getElementTypeBitWidth();
  uint64_t bytes = bits == 1 ? 1 : bits / 8;
  for (int64_t d : type.getShape()) {
    if (d > 0 && bytes > kMaxTensorBytes / uint64_t(d)) {
      std::string shape;
      llvm::raw_string_ostream os(shape);
      llvm::interleave(type.getShape(), os, ", ");
      return "shape [" + shape + "] is larger than a tensor may be (" +
             std::to_string(kMaxTensorBytes >> 30) + " GiB)";
    }
    bytes *= uint64_t(d);
  }
  return "";
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &ctx, StringRef path, const ImportOptions &options)
      : ctx(ctx), path(path), dimBindings(options.dims), options(options),
        builder(&ctx) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model);

private:
  LogicalResult error(const Twine &message) {
    return emitError(UnknownLoc::get(&ctx)) << path << ": " << message;
  }
  FailureOr<RankedTensorType> convertValueType(const onnx::ValueInfoProto &info,
                                               bool allowSymbolic,
                                               OnnxDtype &dtype);
  FailureOr<TypedValue> importInitializer(const onnx::TensorProto &tensor);
  FailureOr<TypedValue> importConstantInput(StringRef name, StringRef file);
  LogicalResult importNode(const onnx::NodeProto &node, unsigned index);

  MLIRContext &ctx;
  std::string path;
  const llvm::StringMap<int64_t> &dimBindings;
  const ImportOptions &options;
  OpBuilder builder;
  int64_t opset = 0;
  NodeImportTable table;
  llvm::StringMap<TypedValue> values;
  llvm::StringMap<RankedTensorType> declaredTypes;
};

} // namespace

FailureOr<RankedTensorType>
GraphImporter::convertValueType(const onnx::ValueInfoProto &info,
                                bool allowSymbolic, OnnxDtype &dtype) {
  if (!info.type().has_tensor_type())
    return error("value '" + info.name() +
                 "' is not a tensor (sequence, map and optional values are "
                 "unsupported)");
  const onnx::TypeProto::Tensor &tt = info.type().tensor_type();
  dtype = tt.elem_type();
  Type element = elementTypeFor(&ctx, dtype);
  if (!element)
    return error("value '" + info.name() + "' has unsupported element type " +
                 dtypeLabel(dtype));
  if (!tt.has_shape())
    return error("value '" + info.name() + "' has no shape");
  SmallVector<int64_t> shape;
  for (const onnx::TensorShapeProto::Dimension &dim : tt.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0)
        return error("value '" + info.name() + "' has a negative dimension");
      shape.push_back(dim.dim_value());
      continue;
    }
    auto bound = dim.has_dim_param() ? dimBindings.find(dim.dim_param())
                                     : dimBindings.end();
    if (bound != dimBindings.end()) {
      shape.push_back(bound->second);
      continue;
    }
    if (!allowSymbolic)
      return error("input '" + info.name() + "' has symbolic dimension '" +
                   (dim.has_dim_param() ? dim.dim_param() : "?") +
                   "'; give it a size with --dim " +
                   (dim.has_dim_param() ? dim.dim_param() : "NAME") + "=N");
    return RankedTensorType(); // Unknown: the importer infers it.
  }
  return RankedTensorType::get(shape, element);
}

/// Reads the payload of `tensor` (raw, typed fields or external data beside
/// `path`) into `bytes`, which must come out as `expectedBytes` long.
static LogicalResult readTensorBytes(const onnx::TensorProto &tensor,
                                     uint64_t expectedBytes, StringRef path,
                                     std::vector<char> &bytes,
                                     function_ref<LogicalResult(const Twine &)> error) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = expectedBytes;
    for (const onnx::StringStringEntryProto &kv : tensor.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::strtoull(kv.value().c_str(), nullptr, 10);
      else if (kv.key() == "length")
        length = std::strtoull(kv.value().c_str(), nullptr, 10);
    }
    if (location.empty())
      return error("initializer '" + tensor.name() +
                   "' has external data without a location");
    if (llvm::sys::path::is_absolute(location) ||
        StringRef(location).contains(".."))
      return error("initializer '" + tensor.name() +
                   "': external data location '" + location +
                   "' must be relative to the model and stay beside it");
    SmallString<256> file(llvm::sys::path::parent_path(path));
    llvm::sys::path::append(file, location);
    if (length != expectedBytes)
      return error("initializer '" + tensor.name() + "': external data length " +
                   Twine(length) + " does not match its shape (" +
                   Twine(expectedBytes) + " bytes)");
    auto buffer = llvm::MemoryBuffer::getFileSlice(file, length, offset);
    uint64_t fileSize = 0;
    if (llvm::sys::fs::file_size(file, fileSize))
      return error("initializer '" + tensor.name() +
                   "': missing external data file '" + file.str() + "'");
    if (offset > fileSize || length > fileSize - offset)
      return error("initializer '" + tensor.name() + "': external data range [" +
                   Twine(offset) + ", +" + Twine(length) + ") is past the end of '" +
                   file.str() + "' (" + Twine(fileSize) + " bytes)");
    if (!buffer)
      return error("initializer '" + tensor.name() + "': cannot read '" +
                   file.str() + "': " + buffer.getError().message());
    bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
    return success();
  }
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expectedBytes)
      return error("initializer '" + tensor.name() + "' has " +
                   Twine(tensor.raw_data().size()) + " bytes of data, expected " +
                   Twine(expectedBytes));
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    return success();
  }
  // Typed fields, stored in their widened protobuf form.
  bytes.resize(expectedBytes);
  uint64_t count = 0;
  auto put = [&](auto value, size_t width) {
    if ((count + 1) * width <= expectedBytes)
      std::memcpy(bytes.data() + count * width, &value, width);
    ++count;
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    for (float v : tensor.float_data()) put(v, 4);
    break;
  case onnx::TensorProto::DOUBLE:
    for (double v : tensor.double_data()) put(v, 8);
    break;
  case onnx::TensorProto::INT64:
    for (int64_t v : tensor.int64_data()) put(v, 8);
    break;
  case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64:
    for (uint64_t v : tensor.uint64_data())
      put(v, tensor.data_type() == onnx::TensorProto::UINT32 ? 4 : 8);
    break;
  case onnx::TensorProto::INT32:
    for (int32_t v : tensor.int32_data()) put(v, 4);
    break;
  case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16:
    for (int32_t v : tensor.int32_data()) put(uint16_t(v), 2);
    break;
  case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    for (int32_t v : tensor.int32_data()) put(uint8_t(v), 1);
    break;
  default:
    return error("initializer '" + tensor.name() +
                 "' has unsupported element type " +
                 dtypeLabel(tensor.data_type()));
  }
  uint64_t width = expectedBytes / std::max<uint64_t>(count, 1);
  if (count * width != expectedBytes || (count == 0 && expectedBytes != 0))
    return error("initializer '" + tensor.name() + "' has " + Twine(count) +
                 " values, which does not match its shape");
  return success();
}

FailureOr<DenseElementsAttr>
convertTensorProto(const onnx::TensorProto &tensor, MLIRContext *context,
                   StringRef path,
                   function_ref<LogicalResult(const Twine &)> error) {
  MLIRContext &ctx = *context;
  OnnxDtype dtype = tensor.data_type();
  Type element = elementTypeFor(&ctx, dtype);
  if (!element)
    return error("initializer '" + tensor.name() +
                 "' has unsupported element type " + dtypeLabel(dtype));
  SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > kMaxInlineTensorBytes / uint64_t(d)))
      return error("initializer '" + tensor.name() + "' has invalid dimensions");
    shape.push_back(d);
    count *= uint64_t(d);
  }
  unsigned bits = element.getIntOrFloatBitWidth();
  uint64_t width = bits == 1 ? 1 : bits / 8;
  if (count > kMaxInlineTensorBytes / width)
    return error("initializer '" + tensor.name() + "' is too large");
  std::vector<char> bytes;
  if (failed(readTensorBytes(tensor, count * width, path, bytes, error)))
    return failure();
  auto type = RankedTensorType::get(shape, element);
  DenseElementsAttr attr;
  if (bits == 1) {
    SmallVector<bool> flags(bytes.begin(), bytes.end());
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(flags));
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  }
  return attr;
}

FailureOr<TypedValue>
GraphImporter::importInitializer(const onnx::TensorProto &tensor) {
  FailureOr<DenseElementsAttr> attr = convertTensorProto(
      tensor, &ctx, path, [&](const Twine &m) { return error(m); });
  if (failed(attr))
    return failure();
  Value v = arith::ConstantOp::create(builder, UnknownLoc::get(&ctx), *attr);
  return TypedValue{v, tensor.data_type()};
}

/// Reads a serialized TensorProto from `file`, bounded in size.
static LogicalResult readTensorProtoFile(StringRef file, onnx::TensorProto &tensor,
                                         std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read: " + buffer.getError().message();
    return failure();
  }
  StringRef data = (*buffer)->getBuffer();
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(data.data()), data.size());
  stream.SetTotalBytesLimit(INT32_MAX);
  if (!tensor.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    error = "not a valid ONNX TensorProto";
    return failure();
  }
  return success();
}

FailureOr<TypedValue> GraphImporter::importConstantInput(StringRef name,
                                                         StringRef file) {
  onnx::TensorProto tensor;
  std::string message;
  if (failed(readTensorProtoFile(file, tensor, message)))
    return error("--const-input " + name + ": " + file + ": " + message);
  FailureOr<DenseElementsAttr> attr = convertTensorProto(
      tensor, &ctx, file, [&](const Twine &m) {
        return error("--const-input " + name + ": " + m);
      });
  if (failed(attr))
    return failure();
  Value v = arith::ConstantOp::create(builder, UnknownLoc::get(&ctx), *attr);
  return TypedValue{v, tensor.data_type()};
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index) {
  std::string name =
      node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                          : node.name();
  Location loc = NameLoc::get(StringAttr::get(&ctx, name),
                              FileLineColLoc::get(&ctx, path, 0, 0));
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    std::string name = node.name().empty() ? "<unnamed>" : node.name();
    return emitError(UnknownLoc::get(&ctx))
           << path << ": node '" << name << "' (" << node.op_type()
           << "): unsupported op domain '" << node.domain() << "'";
  }
  if (node.output_size() == 0)
    return emitError(UnknownLoc::get(&ctx)) << path << ": " << describeNode(node, opset)
                          << ": the node has no outputs";
  auto it = table.find(node.op_type());
  if (it == table.end())
    return emitError(UnknownLoc::get(&ctx)) << path << ": " << describeNode(node, opset)
                          << ": unsupported op " << node.op_type();
  SmallVector<TypedValue> inputs;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      inputs.push_back({});
      continue;
    }
    auto found = values.find(in);
    if (found == values.end())
      return emitError(UnknownLoc::get(&ctx)) << path << ": " << describeNode(node, opset)
                            << ": input '" << in
                            << "' is not produced by any earlier node";
    inputs.push_back(found->second);
  }
  SmallVector<RankedTensorType> declared;
  for (const std::string &out : node.output())
    declared.push_back(declaredTypes.lookup(out));
  NodeImporter importer(builder, loc, node, opset, inputs, declared, path);
  if (failed(it->second(importer)))
    return failure();
  for (auto [i, out] : llvm::enumerate(node.output())) {
    if (out.empty())
      continue;
    const TypedValue &result = importer.results()[i];
    if (!result.value)
      return importer.unsupported("output #" + Twine(i) + " ('" + out + "')");
    RankedTensorType want = declared[i];
    auto got = cast<RankedTensorType>(result.value.getType());
    if (std::string why = tensorTooLarge(got); !why.empty())
      return importer.fail("output '" + out + "': " + why);
    if (want && want.getShape() != got.getShape())
      return importer.fail("computed shape of output '" + out +
                           "' differs from the shape the model declares");
    values[out] = result;
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run(const onnx::ModelProto &model) {
  registerElementwiseOps(table);
  registerReductionOps(table);
  registerShapeOps(table);
  registerNeuralOps(table);

  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opset = set.version();
  // A graph of other domains' ops only (ai.onnx.ml, training) needs no
  // default opset: its first node says which op is unsupported.
  bool defaultDomain = llvm::any_of(model.graph().node(), [](const onnx::NodeProto &node) {
    return node.domain().empty() || node.domain() == "ai.onnx";
  });
  if (opset == 0 && defaultDomain) {
    (void)error("model imports no version of the default ONNX opset");
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  for (const onnx::ValueInfoProto &info : graph.value_info()) {
    OnnxDtype dtype;
    FailureOr<RankedTensorType> type =
        convertValueType(info, /*allowSymbolic=*/true, dtype);
    if (succeeded(type) && *type)
      declaredTypes[info.name()] = *type;
  }
  for (const onnx::ValueInfoProto &info : graph.output()) {
    OnnxDtype dtype;
    FailureOr<RankedTensorType> type =
        convertValueType(info, /*allowSymbolic=*/true, dtype);
    if (failed(type))
      return nullptr;
    if (*type)
      declaredTypes[info.name()] = *type;
  }

  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &t : graph.initializer())
    initializerNames.insert(t.name());
  for (const auto &bound : options.constantInputs) {
    bool found = llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &i) {
      return i.name() == bound.first();
    });
    if (!found) {
      (void)error("--const-input names '" + bound.first() +
                  "', which is not a graph input");
      return nullptr;
    }
  }

  SmallVector<Type> inputTypes;
  SmallVector<Attribute> inputNames, inputDtypes;
  SmallVector<const onnx::ValueInfoProto *> inputs;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializerNames.contains(info.name()) ||
        options.constantInputs.count(info.name()))
      continue;
    OnnxDtype dtype;
    FailureOr<RankedTensorType> type =
        convertValueType(info, /*allowSymbolic=*/false, dtype);
    if (failed(type))
      return nullptr;
    if (std::string why = tensorTooLarge(*type); !why.empty()) {
      (void)error("input '" + info.name() + "': " + why);
      return nullptr;
    }
    inputs.push_back(&info);
    inputTypes.push_back(*type);
    inputNames.push_back(builder.getStringAttr(info.name()));
    inputDtypes.push_back(builder.getStringAttr(dtypeName(dtype)));
  }

  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(inputTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, info] : llvm::enumerate(inputs)) {
    OnnxDtype dtype = info->type().tensor_type().elem_type();
    values[info->name()] = {entry->getArgument(i), dtype};
  }
  for (const auto &bound : options.constantInputs) {
    FailureOr<TypedValue> value = importConstantInput(bound.first(), bound.second);
    if (failed(value))
      return nullptr;
    values[bound.first()] = *value;
  }
  for (const onnx::TensorProto &t : graph.initializer()) {
    FailureOr<TypedValue> value = importInitializer(t);
    if (failed(value))
      return nullptr;
    values[t.name()] = *value;
  }
  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, i)))
      return nullptr;

  SmallVector<Value> results;
  SmallVector<Attribute> outputNames, outputDtypes;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    auto found = values.find(info.name());
    if (found == values.end()) {
      (void)error("graph output '" + info.name() + "' is never produced");
      return nullptr;
    }
    OnnxDtype declaredDtype = info.type().tensor_type().elem_type();
    if (declaredDtype != found->second.dtype) {
      (void)error("graph output '" + info.name() + "' is declared " +
                  dtypeLabel(declaredDtype) + " but computed as " +
                  dtypeLabel(found->second.dtype));
      return nullptr;
    }
    results.push_back(found->second.value);
    outputNames.push_back(builder.getStringAttr(info.name()));
    outputDtypes.push_back(builder.getStringAttr(dtypeName(declaredDtype)));
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(
      builder.getFunctionType(inputTypes, ValueRange(results).getTypes()));
  func->setAttr("lathe.input_names", builder.getArrayAttr(inputNames));
  func->setAttr("lathe.input_dtypes", builder.getArrayAttr(inputDtypes));
  func->setAttr("lathe.output_names", builder.getArrayAttr(outputNames));
  func->setAttr("lathe.output_dtypes", builder.getArrayAttr(outputDtypes));
  func->setAttr("lathe.entry", builder.getUnitAttr());
  return module;
}

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &context, StringRef path,
                                     const ImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(&context))
        << path << ": cannot read: " << buffer.getError().message();
    return nullptr;
  }
  StringRef data = (*buffer)->getBuffer();
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(data.data()), data.size());
  stream.SetTotalBytesLimit(INT32_MAX);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    emitError(UnknownLoc::get(&context))
        << path << ": not a valid ONNX model (protobuf parse failed; the file "
        << "may be truncated or corrupt)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(UnknownLoc::get(&context)) << path << ": model has no graph";
    return nullptr;
  }
  GraphImporter importer(context, path, options);
  return importer.run(model);
}

void registerImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, graph::GraphDialect,
                  linalg::LinalgDialect, math::MathDialect,
                  tensor::TensorDialect>();
}

} // namespace lathe::onnx_import
