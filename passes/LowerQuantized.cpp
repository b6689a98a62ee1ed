//===- LowerQuantized.cpp - matmul on ggml-encoded weights to linalg ------===//
//
// Lowers graph.quantized_matmul to one linalg.generic over (m, n, k) whose
// body reads the raw bytes of weight (n, k) with tensor.extract and decodes
// it in registers: the dequantization is fused into the contraction, and no
// tensor of dequantized weights exists at any point. Decoding follows ggml's
// dequantize_row_* (and gguf-py's quants.py) operation by operation.
//
//===----------------------------------------------------------------------===//

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

namespace lathe {
/// The pattern lowering graph.quantized_matmul; part of lathe-lower-graph.
void populateLowerQuantizedPatterns(mlir::RewritePatternSet &patterns);
} // namespace lathe

using namespace mlir;
namespace graph = lathe::graph;

namespace {

/// Reads one row of a weight byte tensor at index expressions built in the
/// body of the generic.
class WeightRowReader {
public:
  WeightRowReader(OpBuilder &b, Location loc, Value bytes, Value row)
      : b(b), loc(loc), bytes(bytes), row(row) {}

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs ? arith::AddIOp::create(b, loc, lhs, index(rhs)) : lhs;
  }
  Value mul(Value lhs, int64_t rhs) {
    return arith::MulIOp::create(b, loc, lhs, index(rhs));
  }

  /// The i8 at byte `offset` of the row.
  Value byteAt(Value offset) {
    return tensor::ExtractOp::create(b, loc, bytes, ValueRange{row, offset});
  }

  /// The `count` bytes at `offset` as a little-endian integer of 8 * count
  /// bits.
  Value littleEndianAt(Value offset, unsigned count) {
    Type type = b.getIntegerType(8 * count);
    Value result;
    for (unsigned i = 0; i < count; ++i) {
      Value byte = arith::ExtUIOp::create(b, loc, type, byteAt(add(offset, i)));
      if (i)
        byte = arith::ShLIOp::create(
            b, loc, byte,
            arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, 8 * i)));
      result = result ? arith::OrIOp::create(b, loc, result, byte) : byte;
    }
    return result;
  }

  /// The f16 at byte `offset`, extended to f32.
  Value halfAt(Value offset) {
    Value half = arith::BitcastOp::create(b, loc, b.getF16Type(),
                                          littleEndianAt(offset, 2));
    return arith::ExtFOp::create(b, loc, b.getF32Type(), half);
  }

  /// The bf16 at byte `offset` as f32: its bits are the high half of the
  /// f32's.
  Value bfloatAt(Value offset) {
    Value bits = arith::ExtUIOp::create(b, loc, b.getI32Type(),
                                        littleEndianAt(offset, 2));
    bits = arith::ShLIOp::create(
        b, loc, bits,
        arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(16)));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
  }

  /// The 4-bit quant of weight `position` (0..31) of the 32-weight block whose
  /// 16 quant bytes start at `quants`: byte j holds weight j in its low nibble
  /// and weight j + 16 in its high nibble. An i8 in 0..15.
  Value nibbleAt(Value quants, Value position) {
    Value byte = byteAt(arith::AddIOp::create(
        b, loc, quants, arith::RemUIOp::create(b, loc, position, index(16))));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, b.getI8Type(),
        mul(arith::DivUIOp::create(b, loc, position, index(16)), 4));
    Value shifted = arith::ShRUIOp::create(b, loc, byte, shift);
    return arith::AndIOp::create(
        b, loc, shifted,
        arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0x0F)));
  }

  Value f32Constant(double value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }

  OpBuilder &b;
  Location loc;

private:
  Value bytes;
  Value row;
};

/// Weight `k` of the row read by `reader`, decoded from `format` to f32.
Value decodeWeight(WeightRowReader &reader, graph::GgmlType format, Value k) {
  OpBuilder &b = reader.b;
  Location loc = reader.loc;
  Type f32 = b.getF32Type();
  graph::GgmlBlockLayout layout = graph::getBlockLayout(format);

  // Byte offset of the block holding weight k, and k's position in it.
  Value block = arith::DivUIOp::create(b, loc, k, reader.index(layout.weights));
  Value blockStart = reader.mul(block, layout.bytes);
  Value position =
      arith::RemUIOp::create(b, loc, k, reader.index(layout.weights));

  switch (format) {
  case graph::GgmlType::F32:
    return arith::BitcastOp::create(b, loc, f32,
                                    reader.littleEndianAt(blockStart, 4));
  case graph::GgmlType::F16:
    return reader.halfAt(blockStart);
  case graph::GgmlType::BF16:
    return reader.bfloatAt(blockStart);
  case graph::GgmlType::Q8_0: {
    // d, then 32 x i8: d * q.
    Value d = reader.halfAt(blockStart);
    Value q = reader.byteAt(
        arith::AddIOp::create(b, loc, reader.add(blockStart, 2), position));
    return arith::MulFOp::create(b, loc, d,
                                 arith::SIToFPOp::create(b, loc, f32, q));
  }
  case graph::GgmlType::Q4_0: {
    // d, then 16 nibble pairs: d * (q - 8).
    Value d = reader.halfAt(blockStart);
    Value q = reader.nibbleAt(reader.add(blockStart, 2), position);
    Value centered = arith::SubIOp::create(
        b, loc, q, arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(8)));
    return arith::MulFOp::create(
        b, loc, d, arith::SIToFPOp::create(b, loc, f32, centered));
  }
  case graph::GgmlType::Q4_1: {
    // d, m, then 16 nibble pairs: d * q + m.
    Value d = reader.halfAt(blockStart);
    Value m = reader.halfAt(reader.add(blockStart, 2));
    Value q = reader.nibbleAt(reader.add(blockStart, 4), position);
    Value scaled = arith::MulFOp::create(
        b, loc, d, arith::UIToFPOp::create(b, loc, f32, q));
    return arith::AddFOp::create(b, loc, scaled, m);
  }
  }
  llvm_unreachable("unknown ggml type");
}

/// y = x . dequant(w)^T as one generic over (m, n, k) with the weight bytes
/// read in its body.
struct LowerQuantizedMatmul : OpRewritePattern<graph::QuantizedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::QuantizedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType yType = op.getType();
    graph::GgmlType format = op.getFormat();
    Value w = op.getW();

    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0));
    Value empty = tensor::EmptyOp::create(rewriter, loc, yType.getShape(),
                                          yType.getElementType());
    Value init = linalg::FillOp::create(rewriter, loc, ValueRange{zero},
                                        ValueRange{empty})
                     .getResult(0);

    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, context),
                                   AffineMap::get(3, 0, {m, n}, context)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, yType, ValueRange{op.getX()}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value row = linalg::IndexOp::create(b, bodyLoc, 1);
          Value column = linalg::IndexOp::create(b, bodyLoc, 2);
          WeightRowReader reader(b, bodyLoc, w, row);
          Value weight = decodeWeight(reader, format, column);
          Value product = arith::MulFOp::create(b, bodyLoc, args[0], weight);
          Value sum = arith::AddFOp::create(b, bodyLoc, args[1], product);
          linalg::YieldOp::create(b, bodyLoc, sum);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void lathe::populateLowerQuantizedPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQuantizedMatmul>(patterns.getContext());
}
