//===- LowerQuantized.cpp - matmul on ggml-encoded weights to linalg ------===//
//
// Lowers graph.quantized_matmul to one linalg.generic over (m, n, k) whose
// body reads the raw bytes of weight (n, k) with tensor.extract and decodes
// it in registers: the dequantization is fused into the contraction, and no
// tensor of dequantized weights exists at any point. graph.quantized_gather
// decodes the gathered rows the same way. Decoding follows ggml's
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
  Value div(Value lhs, int64_t rhs) {
    return arith::DivUIOp::create(b, loc, lhs, index(rhs));
  }
  Value rem(Value lhs, int64_t rhs) {
    return arith::RemUIOp::create(b, loc, lhs, index(rhs));
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

  Value i8Constant(int64_t value) {
    return arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(value));
  }
  /// The i8 `byte` shifted right (logically) by `shift` bits, an index.
  Value shiftRight(Value byte, Value shift) {
    return arith::ShRUIOp::create(
        b, loc, byte,
        arith::IndexCastUIOp::create(b, loc, b.getI8Type(), shift));
  }

  /// Nibble `which` (an index, 0: low, 1: high) of the i8 `byte`: an i8 in
  /// 0..15.
  Value nibbleOf(Value byte, Value which) {
    Value shifted = shiftRight(byte, mul(which, 4));
    return arith::AndIOp::create(b, loc, shifted, i8Constant(0x0F));
  }

  /// (byte >> 6) << 4 for the i8 `byte`: its top two bits as bits 4-5.
  Value topTwoBits(Value byte) {
    Value top = arith::ShRUIOp::create(b, loc, byte, i8Constant(6));
    return arith::ShLIOp::create(b, loc, top, i8Constant(4));
  }

  /// The 4-bit quant of weight `position` (0..31) of the 32-weight block whose
  /// 16 quant bytes start at `quants`: byte j holds weight j in its low nibble
  /// and weight j + 16 in its high nibble. An i8 in 0..15.
  Value nibbleAt(Value quants, Value position) {
    Value byte =
        byteAt(arith::AddIOp::create(b, loc, quants, rem(position, 16)));
    return nibbleOf(byte, div(position, 16));
  }

  /// The 6-bit scale and minimum of sub-block `j` (0..7) of a Q4_K
  /// super-block whose 12 scale bytes start at `scales`, as ggml's
  /// get_scale_min_k4: for j < 4, sc = s[j] & 63 and m = s[j + 4] & 63;
  /// otherwise sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4) and
  /// m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4). Both are i8 in 0..63. Only
  /// the 12 bytes are read, whichever j is: s[j - 4] is read as s[j % 4].
  std::pair<Value, Value> scaleMinK4(Value scales, Value j) {
    Value sj = byteAt(arith::AddIOp::create(b, loc, scales, j));
    Value sjPlus4 = byteAt(arith::AddIOp::create(b, loc, add(scales, 4), j));
    Value sjMinus4 = byteAt(arith::AddIOp::create(b, loc, scales, rem(j, 4)));
    Value lowScale = arith::AndIOp::create(b, loc, sj, i8Constant(63));
    Value lowMin = arith::AndIOp::create(b, loc, sjPlus4, i8Constant(63));
    Value highScale = arith::AndIOp::create(b, loc, sjPlus4, i8Constant(0x0F));
    highScale = arith::OrIOp::create(b, loc, highScale, topTwoBits(sjMinus4));
    Value highMin = arith::ShRUIOp::create(b, loc, sjPlus4, i8Constant(4));
    highMin = arith::OrIOp::create(b, loc, highMin, topTwoBits(sj));
    Value low =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, j, index(4));
    Value scale = arith::SelectOp::create(b, loc, low, lowScale, highScale);
    Value min = arith::SelectOp::create(b, loc, low, lowMin, highMin);
    return {scale, min};
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
  case graph::GgmlType::Q4_K: {
    // d, dmin, 12 bytes of 6-bit scales and minimums, 128 quant bytes; 8
    // sub-blocks j of 32 weights. Weight p = 64 g + 32 h + l is nibble h of
    // quant byte 32 g + l, in sub-block j = 2 g + h = p / 32:
    // (d * sc[j]) * q - dmin * m[j].
    Value d = reader.halfAt(blockStart);
    Value dmin = reader.halfAt(reader.add(blockStart, 2));
    Value subBlock = reader.div(position, 32);
    auto [scale, min] = reader.scaleMinK4(reader.add(blockStart, 4), subBlock);
    Value quantByte = reader.mul(reader.div(position, 64), 32);
    quantByte =
        arith::AddIOp::create(b, loc, quantByte, reader.rem(position, 32));
    quantByte =
        arith::AddIOp::create(b, loc, reader.add(blockStart, 16), quantByte);
    Value quants = reader.byteAt(quantByte);
    Value q = reader.nibbleOf(quants, reader.rem(subBlock, 2));
    Value d1 = arith::MulFOp::create(
        b, loc, d, arith::UIToFPOp::create(b, loc, f32, scale));
    Value m1 = arith::MulFOp::create(b, loc, dmin,
                                     arith::UIToFPOp::create(b, loc, f32, min));
    Value scaled = arith::MulFOp::create(
        b, loc, d1, arith::UIToFPOp::create(b, loc, f32, q));
    return arith::SubFOp::create(b, loc, scaled, m1);
  }
  case graph::GgmlType::Q6_K: {
    // ql[128], qh[64], 16 x i8 scales, d. Weight p = 128 h + 32 c + l:
    // its low 4 bits are nibble c / 2 of ql[64 h + 32 (c % 2) + l], its high
    // 2 bits (qh[32 h + l] >> 2 c) & 3; q = (low | high << 4) - 32 in i8,
    // sc = scales[8 h + 2 c + l / 16] = scales[p / 16]: (d * sc) * q.
    Value half = reader.div(position, 128);
    Value quarter = reader.div(reader.rem(position, 128), 32);
    Value lane = reader.rem(position, 32);

    Value lowByte = reader.mul(half, 64);
    lowByte = arith::AddIOp::create(b, loc, lowByte, lane);
    lowByte = arith::AddIOp::create(b, loc, lowByte,
                                    reader.mul(reader.rem(quarter, 2), 32));
    lowByte = arith::AddIOp::create(b, loc, blockStart, lowByte);
    Value low = reader.byteAt(lowByte);
    low = reader.nibbleOf(low, reader.div(quarter, 2));

    Value highByte = reader.mul(half, 32);
    highByte = arith::AddIOp::create(b, loc, highByte, lane);
    highByte =
        arith::AddIOp::create(b, loc, reader.add(blockStart, 128), highByte);
    Value high = reader.byteAt(highByte);
    high = reader.shiftRight(high, reader.mul(quarter, 2));
    high = arith::AndIOp::create(b, loc, high, reader.i8Constant(3));
    high = arith::ShLIOp::create(b, loc, high, reader.i8Constant(4));

    Value q = arith::OrIOp::create(b, loc, low, high);
    q = arith::SubIOp::create(b, loc, q, reader.i8Constant(32));
    Value scaleByte = reader.add(blockStart, 192);
    scaleByte =
        arith::AddIOp::create(b, loc, scaleByte, reader.div(position, 16));
    Value scale = reader.byteAt(scaleByte);
    Value d = reader.halfAt(reader.add(blockStart, 208));
    Value d1 = arith::MulFOp::create(
        b, loc, d, arith::SIToFPOp::create(b, loc, f32, scale));
    return arith::MulFOp::create(b, loc, d1,
                                 arith::SIToFPOp::create(b, loc, f32, q));
  }
  }
  llvm_unreachable("unknown ggml type");
}

/// y = x . dequant(w)^T as one generic over (m, n, k) with the weight bytes
/// read in its body. With more than one row, x is transposed first and the
/// generic reads x^T[k, m]: the activations of consecutive rows at one k are
/// then adjacent, so that a kernel can multiply each decoded weight with a
/// vector of rows.
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

    Value x = op.getX();
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, context),
                                   AffineMap::get(3, 0, {m, n}, context)};
    auto xType = cast<RankedTensorType>(x.getType());
    if (xType.hasStaticShape() && xType.getDimSize(0) > 1) {
      Value transposed = tensor::EmptyOp::create(
          rewriter, loc, {xType.getDimSize(1), xType.getDimSize(0)},
          xType.getElementType());
      x = linalg::TransposeOp::create(rewriter, loc, x, transposed,
                                      ArrayRef<int64_t>{1, 0})
              .getResult()[0];
      maps[0] = AffineMap::get(3, 0, {k, m}, context);
    }
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, yType, ValueRange{x}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value row = linalg::IndexOp::create(b, bodyLoc, 1);
          Value column = linalg::IndexOp::create(b, bodyLoc, 2);
          WeightRowReader reader(b, bodyLoc, w, row);
          Value weight = decodeWeight(reader, format, column);
          Value product = arith::MulFOp::create(b, bodyLoc, args[0], weight);
          Value sum = arith::AddFOp::create(b, bodyLoc, args[1], product);
          linalg::YieldOp::create(b, bodyLoc, sum);
        });
    // Targets recognize the contraction by this mark (and its format).
    generic->setAttr(graph::kQuantizedMatmulAttr, op.getFormatAttr());
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// y[s, k] = dequant(table)[clamp(ids[s]), k] as one generic over (s, k).
struct LowerQuantizedGather : OpRewritePattern<graph::QuantizedGatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(graph::QuantizedGatherOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    RankedTensorType yType = op.getType();
    if (!yType.hasStaticShape() || !op.getTable().getType().hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    int64_t rows = op.getTable().getType().getDimSize(0);
    Value table = op.getTable();
    graph::GgmlType format = op.getFormat();

    Value empty = tensor::EmptyOp::create(rewriter, loc, yType.getShape(),
                                          yType.getElementType());
    AffineExpr s, k;
    bindDims(context, s, k);
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {s}, context),
                                   AffineMap::get(2, 0, {s, k}, context)};
    SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, yType, ValueRange{op.getIds()}, ValueRange{empty}, maps,
        iterators, [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value id = arith::IndexCastOp::create(b, bodyLoc, b.getIndexType(),
                                                args[0]);
          Value first = arith::ConstantIndexOp::create(b, bodyLoc, 0);
          Value last = arith::ConstantIndexOp::create(b, bodyLoc, rows - 1);
          Value row = arith::MinSIOp::create(
              b, bodyLoc, arith::MaxSIOp::create(b, bodyLoc, id, first), last);
          Value column = linalg::IndexOp::create(b, bodyLoc, 1);
          WeightRowReader reader(b, bodyLoc, table, row);
          linalg::YieldOp::create(b, bodyLoc,
                                  decodeWeight(reader, format, column));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void lathe::populateLowerQuantizedPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQuantizedMatmul, LowerQuantizedGather>(patterns.getContext());
}
