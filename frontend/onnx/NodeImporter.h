//===- NodeImporter.h - Per-node import interface ---------------*- C++ -*-===//
//
// What an op importer sees of one ONNX node: its inputs as MLIR values with
// their ONNX element types, its attributes, and where to put its results.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_FRONTEND_ONNX_NODEIMPORTER_H
#define LATHE_FRONTEND_ONNX_NODEIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>

namespace lathe::onnx_import {

/// ONNX element type (onnx::TensorProto::DataType). MLIR integers are
/// signless, so signedness and bool-ness travel beside each value.
using OnnxDtype = int32_t;

/// A tensor value with its ONNX element type.
struct TypedValue {
  mlir::Value value;
  OnnxDtype dtype = 0;
};

/// MLIR element type for an ONNX element type, or null if unsupported.
mlir::Type elementTypeFor(mlir::MLIRContext *ctx, OnnxDtype dtype);
/// Short name used in artifact metadata ("f32", "u8", "bool", ...).
llvm::StringRef dtypeName(OnnxDtype dtype);
bool isUnsignedDtype(OnnxDtype dtype);
bool isFloatDtype(OnnxDtype dtype);

/// Converts a TensorProto (raw, typed or external data next to `path`) into
/// an attribute; `error` reports what is wrong with it.
mlir::FailureOr<mlir::DenseElementsAttr>
convertTensorProto(const onnx::TensorProto &tensor, mlir::MLIRContext *context,
                   llvm::StringRef path,
                   llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)> error);

class NodeImporter {
public:
  NodeImporter(mlir::OpBuilder &builder, mlir::Location loc,
               const onnx::NodeProto &node, int64_t opset,
               llvm::ArrayRef<TypedValue> inputs,
               llvm::ArrayRef<mlir::RankedTensorType> declaredOutputs,
               llvm::StringRef modelPath)
      : b(builder), loc(loc), node(node), opset(opset), inputs(inputs),
        declaredOutputs(declaredOutputs), modelPath(modelPath),
        outputs(node.output_size()) {}

  mlir::OpBuilder &b;
  mlir::Location loc;
  const onnx::NodeProto &node;
  /// Opset version of the node's domain.
  int64_t opset;

  unsigned numInputs() const { return inputs.size(); }
  unsigned numOutputs() const { return node.output_size(); }
  /// False for absent optional inputs (empty names) and out-of-range indices.
  bool hasInput(unsigned i) const {
    return i < inputs.size() && inputs[i].value;
  }
  /// Whether output `i` is consumed (named).
  bool wantsOutput(unsigned i) const {
    return i < (unsigned)node.output_size() && !node.output(i).empty();
  }
  mlir::Value input(unsigned i) const { return inputs[i].value; }
  OnnxDtype inputDtype(unsigned i) const { return inputs[i].dtype; }
  mlir::RankedTensorType inputType(unsigned i) const {
    return mlir::cast<mlir::RankedTensorType>(inputs[i].value.getType());
  }
  llvm::ArrayRef<int64_t> inputShape(unsigned i) const {
    return inputType(i).getShape();
  }
  int64_t inputRank(unsigned i) const { return inputType(i).getRank(); }

  /// The value of input `i` when it is a compile-time constant.
  mlir::DenseElementsAttr constantInput(unsigned i) const;
  /// Integer contents of a constant input, or failure with a diagnostic that
  /// says the input must be constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  constantInts(unsigned i, llvm::StringRef what);

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t attrInt(llvm::StringRef name, int64_t fallback) const;
  float attrFloat(llvm::StringRef name, float fallback) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef fallback) const;
  std::optional<llvm::SmallVector<int64_t>> attrInts(llvm::StringRef name) const;

  /// The static type the model declares for output `i` (graph output or
  /// value_info), or null.
  mlir::RankedTensorType declaredOutputType(unsigned i) const {
    return i < declaredOutputs.size() ? declaredOutputs[i] : nullptr;
  }

  void setOutput(unsigned i, mlir::Value value, OnnxDtype dtype) {
    outputs[i] = {value, dtype};
  }
  llvm::ArrayRef<TypedValue> results() const { return outputs; }

  /// Emits "<op>: <message>" at the node's location and returns failure.
  mlir::LogicalResult fail(const llvm::Twine &message) const;
  /// Emits "unsupported <what>" at the node's location and returns failure.
  mlir::LogicalResult unsupported(const llvm::Twine &what) const;
  /// Fails unless inputs 0 .. count-1 are all present.
  mlir::LogicalResult expectInputs(unsigned count) const;
  /// Fails unless input `i` has rank >= 1 (`what` names it).
  mlir::LogicalResult expectNonScalar(unsigned i, llvm::StringRef what) const;

  /// Normalises a possibly negative axis against `rank`; fails when out of
  /// range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;

  llvm::StringRef getModelPath() const { return modelPath; }

private:
  llvm::ArrayRef<TypedValue> inputs;
  llvm::ArrayRef<mlir::RankedTensorType> declaredOutputs;
  llvm::StringRef modelPath;
  llvm::SmallVector<TypedValue> outputs;
};

using NodeImportFn = mlir::LogicalResult (*)(NodeImporter &);
using NodeImportTable = llvm::StringMap<NodeImportFn>;

// Each op family registers its importers; the table is keyed by op_type of
// the default ONNX domain.
void registerElementwiseOps(NodeImportTable &table);
void registerReductionOps(NodeImportTable &table);
void registerShapeOps(NodeImportTable &table);
void registerNeuralOps(NodeImportTable &table);

} // namespace lathe::onnx_import

#endif // LATHE_FRONTEND_ONNX_NODEIMPORTER_H
