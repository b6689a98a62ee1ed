//===- ShapeFormat.h - Shapes in diagnostics ---------------------*- C++ -*-===//
#ifndef LATHE_DIALECTS_SHAPEFORMAT_H
#define LATHE_DIALECTS_SHAPEFORMAT_H

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace lathe {

/// `shape` as `[2, ?, 64]`, for diagnostics.
inline std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallString<32> text;
  llvm::raw_svector_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (mlir::ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << ']';
  return std::string(text);
}

} // namespace lathe

#endif // LATHE_DIALECTS_SHAPEFORMAT_H
