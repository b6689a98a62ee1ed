//===- TensorBuilders.h - Tensor-level IR construction ----------*- C++ -*-===//
//
// Builders for the upstream tensor-level IR that ONNX ops map onto:
// broadcasting elementwise generics, reductions, layout changes and casts.
// All shapes are static.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_FRONTEND_ONNX_TENSORBUILDERS_H
#define LATHE_FRONTEND_ONNX_TENSORBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace lathe::onnx_import {

/// Scalar computation of an elementwise op: block arguments in, result out.
using ScalarBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// Numpy-style broadcast of two shapes; failure when incompatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Applies `body` elementwise over `inputs`, broadcast numpy-style to
/// `shape` (the broadcast of all input shapes when empty and not scalar).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::ValueRange inputs, mlir::Type resultElement,
                             ScalarBodyFn body,
                             std::optional<llvm::ArrayRef<int64_t>> shape = {});

/// Reduces `input` over `axes` (sorted, unique, non-negative) starting from
/// the splat `init`; `combine(acc, element)` gives the new accumulator.
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::ArrayRef<int64_t> axes,
                           bool keepDims, mlir::TypedAttr init,
                           ScalarBodyFn combine);

mlir::Value buildTranspose(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::ArrayRef<int64_t> perm);
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value input, llvm::ArrayRef<int64_t> shape);
mlir::Value buildBroadcastTo(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value input, llvm::ArrayRef<int64_t> shape);
mlir::Value buildSplat(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<int64_t> shape, mlir::TypedAttr value);

/// Converts a scalar between element types with ONNX Cast semantics; the
/// signedness flags describe integer operands.
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       mlir::Type to, bool fromUnsigned, bool toUnsigned);

/// Index read from an integer tensor element, made non-negative (Python
/// style) and clamped into [0, dim) so that a bad index cannot read outside
/// the buffer.
mlir::Value normalizeIndex(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value raw, int64_t dim);

/// Typed scalar constant of `type` (float or integer) holding `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);
mlir::TypedAttr scalarAttr(mlir::Type type, double value);

} // namespace lathe::onnx_import

#endif // LATHE_FRONTEND_ONNX_TENSORBUILDERS_H
