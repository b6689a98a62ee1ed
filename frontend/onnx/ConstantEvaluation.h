//===- ConstantEvaluation.h - Small imported subgraphs at compile time ----===//
#ifndef LATHE_FRONTEND_ONNX_CONSTANTEVALUATION_H
#define LATHE_FRONTEND_ONNX_CONSTANTEVALUATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

namespace lathe::onnx_import {

/// The elements of `value` when the ops computing it (reshapes, slices,
/// insert_slice, linalg ops whose bodies fold) reach only constants and
/// stay small (at most 4096 elements per tensor); null otherwise.
mlir::DenseElementsAttr evaluateConstant(mlir::Value value);

} // namespace lathe::onnx_import

#endif // LATHE_FRONTEND_ONNX_CONSTANTEVALUATION_H
