//===- QuantizedMatmul.cpp - Vector kernels for quantized matmuls ---------===//
//
// The generic lowered from graph.quantized_matmul decodes one weight at a time
// from its bytes. On the CPU that is a dozen scalar instructions per weight;
// this pass gives it a vector body instead: for every weight row, 32 weights
// at a time are loaded as bytes, decoded in vector registers (the block's
// scale broadcast) and multiplied into a vector<32xf32> accumulator with the
// matching 32 activations, and the accumulator is reduced once per row.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include <numeric>

namespace lathe::cpu {
#define GEN_PASS_DEF_QUANTIZEDMATMUL
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;
namespace graph = lathe::graph;

namespace {

/// Weights decoded per vector step.
constexpr int64_t kLanes = 32;

/// `value + offset` as an index, `value` itself for offset 0.
Value addIndex(OpBuilder &b, Location loc, Value value, int64_t offset) {
  return offset ? arith::AddIOp::create(
                      b, loc, value, arith::ConstantIndexOp::create(b, loc, offset))
                      .getResult()
                : value;
}

/// Emits the vector decoding of one weight row's bytes.
class ChunkDecoder {
public:
  ChunkDecoder(OpBuilder &b, Location loc, Value weights, Value row)
      : b(b), loc(loc), weights(weights), row(row) {}

  /// The `count` bytes at `groupStart + offset` of the row.
  Value bytes(Value groupStart, int64_t offset, int64_t count) {
    auto type = VectorType::get({count}, b.getI8Type());
    return vector::LoadOp::create(b, loc, type, weights,
                                  ValueRange{row, add(groupStart, offset)});
  }
  /// Prefetches the byte `distance` after `groupStart` (0: nothing). Past the
  /// row's end that is the next row (the weights are row-major), or for the
  /// last rows bytes after the matrix: a prefetch never faults.
  void prefetch(Value groupStart, int64_t distance) {
    if (distance > 0)
      memref::PrefetchOp::create(b, loc, weights,
                                 ValueRange{row, add(groupStart, distance)},
                                 /*isWrite=*/false, /*localityHint=*/3,
                                 /*isDataCache=*/true);
  }
  /// The byte at `groupStart + offset`, zero-extended to i32.
  Value byte(Value groupStart, int64_t offset) {
    Value value = memref::LoadOp::create(b, loc, weights,
                                         ValueRange{row, add(groupStart, offset)});
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), value);
  }
  /// The f16 at `groupStart + offset` as f32.
  Value half(Value groupStart, int64_t offset) {
    Value pair = bytes(groupStart, offset, 2);
    Value asHalf = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getF16Type()), pair);
    Value scalar = vector::ExtractOp::create(b, loc, asHalf, ArrayRef<int64_t>{0});
    return arith::ExtFOp::create(b, loc, b.getF32Type(), scalar);
  }

  Value add(Value lhs, int64_t rhs) { return addIndex(b, loc, lhs, rhs); }
  Value i32(int64_t value) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(value));
  }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({kLanes}, scalar.getType()), scalar);
  }
  Value splatI8(int64_t value, int64_t lanes) {
    auto type = VectorType::get({lanes}, b.getI8Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getI8IntegerAttr(value)));
  }
  Value toF32(Value ints, bool isSigned) {
    auto type = VectorType::get({kLanes}, b.getF32Type());
    if (isSigned)
      return arith::SIToFPOp::create(b, loc, type, ints);
    return arith::UIToFPOp::create(b, loc, type, ints);
  }
  Value lowNibbles(Value v) {
    auto lanes = cast<VectorType>(v.getType()).getDimSize(0);
    return arith::AndIOp::create(b, loc, v, splatI8(0x0F, lanes));
  }
  Value highNibbles(Value v) {
    auto lanes = cast<VectorType>(v.getType()).getDimSize(0);
    return arith::ShRUIOp::create(b, loc, v, splatI8(4, lanes));
  }
  /// 16 bytes of nibble pairs -> 32 quants: all low nibbles, then all high.
  Value unpackNibbles(Value packed) {
    SmallVector<int64_t> order;
    for (int64_t i = 0; i < kLanes; ++i)
      order.push_back(i);
    return vector::ShuffleOp::create(b, loc, lowNibbles(packed),
                                     highNibbles(packed), order);
  }
  Value scale(Value factor, Value values) {
    return arith::MulFOp::create(b, loc, splat(factor), values);
  }

  OpBuilder &b;
  Location loc;

private:
  Value weights;
  Value row;
};

/// How a format is walked: groups of `groupBytes` bytes holding `chunks`
/// vectors of kLanes weights.
struct GroupShape {
  int64_t weights;
  int64_t bytes;
  int64_t chunks;
};

GroupShape groupShape(graph::GgmlType format) {
  graph::GgmlBlockLayout block = graph::getBlockLayout(format);
  int64_t weights = std::max<int64_t>(block.weights, kLanes);
  return {weights, weights / block.weights * block.bytes, weights / kLanes};
}

/// Weights [32c, 32c + 32) of the group starting at byte `start`, as
/// vector<32xf32>; the arithmetic is ggml's dequantize_row_* for the format.
Value decodeChunk(ChunkDecoder &d, graph::GgmlType format, Value start,
                  int64_t c) {
  OpBuilder &b = d.b;
  Location loc = d.loc;
  auto f32x32 = VectorType::get({kLanes}, b.getF32Type());
  switch (format) {
  case graph::GgmlType::F32:
    return vector::BitCastOp::create(b, loc, f32x32, d.bytes(start, 0, 4 * kLanes));
  case graph::GgmlType::F16: {
    Value halves = vector::BitCastOp::create(
        b, loc, VectorType::get({kLanes}, b.getF16Type()),
        d.bytes(start, 0, 2 * kLanes));
    return arith::ExtFOp::create(b, loc, f32x32, halves);
  }
  case graph::GgmlType::BF16: {
    // A bf16 is the high half of an f32.
    auto i32x32 = VectorType::get({kLanes}, b.getI32Type());
    Value bits = vector::BitCastOp::create(
        b, loc, VectorType::get({kLanes}, b.getI16Type()),
        d.bytes(start, 0, 2 * kLanes));
    Value wide = arith::ExtUIOp::create(b, loc, i32x32, bits);
    Value shifted = arith::ShLIOp::create(b, loc, wide, d.splat(d.i32(16)));
    return vector::BitCastOp::create(b, loc, f32x32, shifted);
  }
  case graph::GgmlType::Q8_0:
    // d * q
    return d.scale(d.half(start, 0), d.toF32(d.bytes(start, 2, kLanes), true));
  case graph::GgmlType::Q4_0: {
    // d * (q - 8)
    Value q = d.unpackNibbles(d.bytes(start, 2, kLanes / 2));
    q = arith::SubIOp::create(b, loc, q, d.splatI8(8, kLanes));
    return d.scale(d.half(start, 0), d.toF32(q, true));
  }
  case graph::GgmlType::Q4_1: {
    // d * q + m
    Value q = d.unpackNibbles(d.bytes(start, 4, kLanes / 2));
    Value scaled = d.scale(d.half(start, 0), d.toF32(q, false));
    return arith::AddFOp::create(b, loc, scaled, d.splat(d.half(start, 2)));
  }
  case graph::GgmlType::Q4_K: {
    // Sub-block j = c: (d * sc_j) * q - dmin * m_j, with the 6-bit scales and
    // mins of get_scale_min_k4 and the nibbles of qs[32 * (j / 2) ...].
    int64_t j = c;
    auto scaleByte = [&](int64_t i) { return d.byte(start, 4 + i); };
    auto bits = [&](Value v, int64_t shift, int64_t mask) {
      if (shift)
        v = arith::ShRUIOp::create(b, loc, v, d.i32(shift));
      return arith::AndIOp::create(b, loc, v, d.i32(mask)).getResult();
    };
    Value sc, m;
    if (j < 4) {
      sc = bits(scaleByte(j), 0, 63);
      m = bits(scaleByte(j + 4), 0, 63);
    } else {
      Value high = arith::ShLIOp::create(b, loc, bits(scaleByte(j - 4), 6, 3), d.i32(4));
      sc = arith::OrIOp::create(b, loc, bits(scaleByte(j + 4), 0, 15), high);
      Value mHigh = arith::ShLIOp::create(b, loc, bits(scaleByte(j), 6, 3), d.i32(4));
      m = arith::OrIOp::create(b, loc, bits(scaleByte(j + 4), 4, 15), mHigh);
    }
    auto toFloat = [&](Value v) {
      return arith::UIToFPOp::create(b, loc, b.getF32Type(), v).getResult();
    };
    Value d1 = arith::MulFOp::create(b, loc, d.half(start, 0), toFloat(sc));
    Value m1 = arith::MulFOp::create(b, loc, d.half(start, 2), toFloat(m));
    Value packed = d.bytes(start, 16 + kLanes * (j / 2), kLanes);
    Value q = j % 2 ? d.highNibbles(packed) : d.lowNibbles(packed);
    Value scaled = d.scale(d1, d.toF32(q, false));
    return arith::SubFOp::create(b, loc, scaled, d.splat(m1));
  }
  case graph::GgmlType::Q6_K: {
    // Half h = c / 4, quarter r = c % 4: q = (4 bits of ql | 2 bits of qh
    // << 4) - 32, times d * sc for each 16 weights.
    int64_t h = c / 4, r = c % 4;
    Value low = d.bytes(start, 64 * h + kLanes * (r % 2), kLanes);
    low = r >= 2 ? d.highNibbles(low) : d.lowNibbles(low);
    Value high = d.bytes(start, 128 + kLanes * h, kLanes);
    if (r)
      high = arith::ShRUIOp::create(b, loc, high, d.splatI8(2 * r, kLanes));
    high = arith::AndIOp::create(b, loc, high, d.splatI8(3, kLanes));
    high = arith::ShLIOp::create(b, loc, high, d.splatI8(4, kLanes));
    Value q = arith::OrIOp::create(b, loc, low, high);
    q = arith::SubIOp::create(b, loc, q, d.splatI8(32, kLanes));
    Value scale = d.half(start, 208);
    auto signedScale = [&](int64_t i) {
      Value raw = vector::ExtractOp::create(b, loc, d.bytes(start, 192 + i, 1),
                                            ArrayRef<int64_t>{0});
      Value asFloat = arith::SIToFPOp::create(b, loc, b.getF32Type(), raw);
      return arith::MulFOp::create(b, loc, scale, asFloat).getResult();
    };
    int64_t first = 8 * h + 2 * r;
    SmallVector<bool> lowHalf(kLanes, false);
    for (int64_t i = 0; i < kLanes / 2; ++i)
      lowHalf[i] = true;
    Value mask = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(VectorType::get({kLanes}, b.getI1Type()),
                               ArrayRef<bool>(lowHalf)));
    Value scales = arith::SelectOp::create(b, loc, mask, d.splat(signedScale(first)),
                                           d.splat(signedScale(first + 1)));
    return arith::MulFOp::create(b, loc, scales, d.toF32(q, true));
  }
  }
  llvm_unreachable("unknown ggml type");
}

/// Decodes weight group `g` of weight row `row` (prefetching
/// `prefetchDistance` bytes ahead) and calls `use` with each of its chunks, as
/// vector<32xf32>, and the index of the chunk's first weight in the row.
void decodeGroup(OpBuilder &b, Location loc, graph::GgmlType ggml, Value weights,
                 Value row, Value g, int64_t prefetchDistance,
                 function_ref<void(Value chunk, Value k)> use) {
  GroupShape group = groupShape(ggml);
  ChunkDecoder decoder(b, loc, weights, row);
  Value start = arith::MulIOp::create(
      b, loc, g, arith::ConstantIndexOp::create(b, loc, group.bytes));
  decoder.prefetch(start, prefetchDistance);
  Value firstWeight = arith::MulIOp::create(
      b, loc, g, arith::ConstantIndexOp::create(b, loc, group.weights));
  for (int64_t c = 0; c < group.chunks; ++c)
    use(decodeChunk(decoder, ggml, start, c), decoder.add(firstWeight, c * kLanes));
}

/// The weight row of the generic's first iteration (n = 0): the body's row
/// index with every linalg.index replaced by 0, rebuilt before the generic.
FailureOr<Value> firstRow(OpBuilder &b, linalg::GenericOp op, Value rowIndex) {
  IRMapping map;
  Value zero = arith::ConstantIndexOp::create(b, op.getLoc(), 0);
  std::function<FailureOr<Value>(Value)> rebuild = [&](Value v) -> FailureOr<Value> {
    if (map.contains(v))
      return map.lookup(v);
    Operation *def = v.getDefiningOp();
    if (!def) {
      if (op.getBody()->getParent()->isAncestor(v.getParentRegion()))
        return failure(); // a block argument of the body
      return v;
    }
    if (!op->isProperAncestor(def))
      return v;
    if (isa<linalg::IndexOp>(def)) {
      map.map(v, zero);
      return zero;
    }
    if (def->getNumRegions() || !isPure(def))
      return failure();
    for (Value operand : def->getOperands()) {
      FailureOr<Value> rebuilt = rebuild(operand);
      if (failed(rebuilt))
        return failure();
      map.map(operand, *rebuilt);
    }
    Operation *copy = b.clone(*def, map);
    return copy->getResult(cast<OpResult>(v).getResultNumber());
  };
  return rebuild(rowIndex);
}

bool innerUnitStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.hasStaticShape() &&
         succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Loops over the weight rows (columns of y), `columnTile` at a time, and
/// the activation rows around `dot`, which builds the dot products of weight
/// rows `row` + j (absolute) with activation row `r`; each is added to
/// y[r, column + j].
void emitOutputLoops(
    OpBuilder &b, Location loc, Value y, Value rowStart, int64_t rows,
    int64_t columns,
    function_ref<SmallVector<Value>(OpBuilder &, Value row, Value r)> dot,
    int64_t columnTile = 1) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  assert(columns % columnTile == 0 && "columns must be whole column tiles");
  auto columnLoop =
      scf::ForOp::create(b, loc, index(0), index(columns), index(columnTile));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(columnLoop.getBody());
  Value column = columnLoop.getInductionVar();
  Value row = arith::AddIOp::create(b, loc, rowStart, column);
  auto rowLoop = scf::ForOp::create(b, loc, index(0), index(rows), index(1));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value r = rowLoop.getInductionVar();
  SmallVector<Value> sums = dot(b, row, r);
  for (auto [j, sum] : llvm::enumerate(sums)) {
    Value to = addIndex(b, loc, column, j);
    Value old = memref::LoadOp::create(b, loc, y, ValueRange{r, to});
    memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, sum), y,
                            ValueRange{r, to});
  }
}

/// Weights decoded to f32 vectors and multiplied with the f32 activations.
void emitFloatLoops(OpBuilder &b, Location loc, graph::GgmlType ggml, Value x,
                    Value y, Value weights, Value rowStart, int64_t rows,
                    int64_t columns, int64_t depth, int64_t prefetchDistance) {
  GroupShape group = groupShape(ggml);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto f32x32 = VectorType::get({kLanes}, b.getF32Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32x32, b.getF32FloatAttr(0.0f)));
  emitOutputLoops(
      b, loc, y, rowStart, rows, columns, [&](OpBuilder &b, Value row, Value r) {
        auto groups = scf::ForOp::create(
            b, loc, index(0), index(depth / group.weights), index(1), zeros,
            [&](OpBuilder &lb, Location l, Value g, ValueRange carried) {
              Value acc = carried[0];
              decodeGroup(lb, l, ggml, weights, row, g, prefetchDistance,
                          [&](Value w, Value k) {
                            Value activations = vector::LoadOp::create(
                                lb, l, f32x32, x, ValueRange{r, k});
                            acc = vector::FMAOp::create(lb, l, activations, w, acc);
                          });
              scf::YieldOp::create(lb, l, acc);
            });
        // The lanes are summed as a tree, not in lane order.
        return SmallVector<Value>{vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD, groups.getResult(0), Value(),
            arith::FastMathFlags::reassoc)};
      });
}

/// Register tiles of the panel kernel: `rows` weight rows times `width`
/// activation rows (a vector<width x f32> accumulator per weight row).
struct PanelShape {
  int64_t rows;
  int64_t width;
};

/// y[m, n] += sum over k of xT[k, m] * dequant(w)[rowStart + n, k] for the
/// transposed form, as the f32 matmul microkernel does it: each tile of
/// weight rows is decoded once, whole rows, into `decoded` (f32, rows padded
/// so that they fall into different L1 sets), and every register tile runs
/// down K with one vector load of xT and one broadcast-FMA per weight row and
/// k. The tile's sums go through `sums` ([rows][width]) into y, whose rows
/// are the tile's lanes.
void emitPanelLoops(OpBuilder &b, Location loc, graph::GgmlType ggml, Value xT,
                    Value y, Value weights, Value rowStart, int64_t rows,
                    int64_t columns, int64_t depth, int64_t prefetchDistance,
                    PanelShape shape, Value decoded, Value sums) {
  GroupShape group = groupShape(ggml);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto forLoop = [&](int64_t from, int64_t to, int64_t step,
                     function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, index(from), index(to), index(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  };
  auto vectorType = VectorType::get({shape.width}, b.getF32Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));

  // One register tile: weight rows [n0, n0 + tileRows) of `decoded` times
  // activation rows [m0, m0 + count); a partial tile masks its loads.
  auto emitTile = [&](Value n0, int64_t tileRows, Value m0, int64_t count) {
    Value mask;
    if (count < shape.width) {
      SmallVector<bool> lanes(shape.width, false);
      std::fill_n(lanes.begin(), count, true);
      mask = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(VectorType::get({shape.width}, b.getI1Type()),
                                 ArrayRef<bool>(lanes)));
    }
    SmallVector<Value> init(tileRows, zeros);
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(depth), index(1), init,
        [&](OpBuilder &lb, Location l, Value k, ValueRange acc) {
          Value activations =
              mask ? vector::MaskedLoadOp::create(lb, l, vectorType, xT,
                                                  ValueRange{k, m0}, mask, zeros)
                         .getResult()
                   : vector::LoadOp::create(lb, l, vectorType, xT,
                                            ValueRange{k, m0})
                         .getResult();
          SmallVector<Value> next;
          for (int64_t i = 0; i < tileRows; ++i) {
            Value weight = memref::LoadOp::create(
                lb, l, decoded,
                ValueRange{arith::ConstantIndexOp::create(lb, l, i), k});
            Value splat = vector::BroadcastOp::create(lb, l, vectorType, weight);
            next.push_back(vector::FMAOp::create(lb, l, splat, activations, acc[i]));
          }
          scf::YieldOp::create(lb, l, next);
        });
    for (int64_t i = 0; i < tileRows; ++i)
      vector::StoreOp::create(b, loc, loop.getResult(i), sums,
                              ValueRange{index(i), index(0)});
    forLoop(0, count, 1, [&](Value lane) {
      Value m = arith::AddIOp::create(b, loc, m0, lane);
      for (int64_t i = 0; i < tileRows; ++i) {
        Value n = addIndex(b, loc, n0, i);
        Value sum = memref::LoadOp::create(b, loc, sums, ValueRange{index(i), lane});
        Value old = memref::LoadOp::create(b, loc, y, ValueRange{m, n});
        memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, sum),
                                y, ValueRange{m, n});
      }
    });
  };

  // Weight rows [n0, n0 + tileRows): decoded, then times every activation row.
  auto emitRowTile = [&](Value n0, int64_t tileRows) {
    forLoop(0, tileRows, 1, [&](Value i) {
      Value row = arith::AddIOp::create(
          b, loc, rowStart, arith::AddIOp::create(b, loc, n0, i));
      forLoop(0, depth / group.weights, 1, [&](Value g) {
        decodeGroup(b, loc, ggml, weights, row, g, prefetchDistance,
                    [&](Value w, Value k) {
                      vector::StoreOp::create(b, loc, w, decoded, ValueRange{i, k});
                    });
      });
    });
    int64_t fullRows = rows - rows % shape.width;
    if (fullRows)
      forLoop(0, fullRows, shape.width,
              [&](Value m0) { emitTile(n0, tileRows, m0, shape.width); });
    if (rows % shape.width)
      emitTile(n0, tileRows, index(fullRows), rows % shape.width);
  };

  // Tiles of equal height (a 16-column workgroup is 2 x 8 rather than
  // 14 + 2 with 14-row tiles) and the remainder.
  int64_t tiles = llvm::divideCeil(columns, shape.rows);
  int64_t tileRows = llvm::divideCeil(columns, tiles);
  int64_t fullColumns = columns - columns % tileRows;
  forLoop(0, fullColumns, tileRows, [&](Value n0) { emitRowTile(n0, tileRows); });
  if (columns % tileRows)
    emitRowTile(index(fullColumns), columns % tileRows);
}

bool hasIntegerKernel(graph::GgmlType format) {
  return format == graph::GgmlType::Q8_0 || format == graph::GgmlType::Q4_0 ||
         format == graph::GgmlType::Q4_1;
}

Value callIntrinsic(OpBuilder &b, Location loc, StringRef name, Type result,
                    ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                       args)
      .getResult(0);
}

/// The dot products of an integer-dot loop whose first `count` results are
/// vector sums and next `count` scalar offset terms: lanes summed as a tree
/// plus the offset.
SmallVector<Value> sumLanesAndOffsets(OpBuilder &b, Location loc,
                                      scf::ForOp loop, int64_t count) {
  SmallVector<Value> sums;
  for (int64_t i = 0; i < count; ++i) {
    Value sum = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD, loop.getResult(i), Value(),
        arith::FastMathFlags::reassoc);
    sums.push_back(arith::AddFOp::create(b, loc, sum, loop.getResult(count + i)));
  }
  return sums;
}

/// Integer dot products, as llama.cpp's AVX2 kernels: the activations of
/// each 32-weight block are quantized to i8 with a scale dx (ggml's q8_0:
/// dx = max|x| / 127, q = round(x / dx)), then each block contributes
/// dw * dx * sum(qw * qx), the sum from vpmaddubsw (|qw| as u8 times qx with
/// qw's sign) and vpmaddwd, or with `vnni` one vpdpbusd; q4_1's offset adds
/// m * dx * sum(qx). With `wide` (AVX512-VNNI), Q4_0/Q4_1 rows of an even number of blocks go
/// two blocks per 512-bit vpdpbusd, two weight rows at a time.
void emitIntegerLoops(OpBuilder &b, Location loc, graph::GgmlType ggml, Value x,
                      Value y, Value weights, Value rowStart, int64_t rows,
                      int64_t columns, int64_t depth, int64_t prefetchDistance,
                      bool vnni, bool wide) {
  graph::GgmlBlockLayout block = graph::getBlockLayout(ggml);
  int64_t blocks = depth / kLanes;
  bool offset = ggml == graph::GgmlType::Q4_1;
  // 512-bit vpdpbusd over pairs of blocks: the nibbles stay unsigned (0..15)
  // and q4_0's -8 moves into the accumulator's start, -8 * (sum of each
  // lane's 4 activations), computed once per activation row.
  wide = wide && blocks % 2 == 0 &&
         (ggml == graph::GgmlType::Q4_0 || ggml == graph::GgmlType::Q4_1);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  auto f32x32 = VectorType::get({kLanes}, f32);
  auto f32x8 = VectorType::get({8}, f32);
  auto i8x32 = VectorType::get({kLanes}, i8);
  auto i16x16 = VectorType::get({16}, b.getI16Type());
  auto i32x8 = VectorType::get({8}, b.getI32Type());
  auto f32Constant = [&](OpBuilder &nb, Location l, float v) -> Value {
    return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
  };

  // Quantized activations and their scales (and scaled sums), on the stack.
  Value qx = memref::AllocaOp::create(b, loc, MemRefType::get({rows, depth}, i8));
  Value dx = wide ? Value()
                  : memref::AllocaOp::create(b, loc,
                                             MemRefType::get({rows, blocks}, f32));
  Value sx = offset ? memref::AllocaOp::create(
                          b, loc, MemRefType::get({rows, blocks}, f32))
                    : Value();
  // wide: each block's scale in 8 lanes, and (q4_0) the accumulator start.
  Value dxLanes, start8;
  if (wide) {
    dxLanes = memref::AllocaOp::create(
        b, loc, MemRefType::get({rows, blocks * 8}, f32));
    if (!offset)
      start8 = memref::AllocaOp::create(
          b, loc, MemRefType::get({rows, blocks * 8}, b.getI32Type()));
  }
  scf::ForOp::create(
      b, loc, index(0), index(rows), index(1), ValueRange{},
      [&](OpBuilder &ob, Location l, Value m, ValueRange) {
        scf::ForOp::create(
            ob, l, arith::ConstantIndexOp::create(ob, l, 0),
            arith::ConstantIndexOp::create(ob, l, blocks),
            arith::ConstantIndexOp::create(ob, l, 1), ValueRange{},
            [&](OpBuilder &nb, Location l, Value blk, ValueRange) {
              Value at = arith::MulIOp::create(
                  nb, l, blk, arith::ConstantIndexOp::create(nb, l, kLanes));
              Value v = vector::LoadOp::create(nb, l, f32x32, x, ValueRange{m, at});
              Value amax = vector::ReductionOp::create(
                  nb, l, vector::CombiningKind::MAXNUMF,
                  math::AbsFOp::create(nb, l, v));
              Value d = arith::DivFOp::create(nb, l, amax, f32Constant(nb, l, 127.0f));
              Value nonzero = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::ONE, d, f32Constant(nb, l, 0.0f));
              Value inverse = arith::SelectOp::create(
                  nb, l, nonzero,
                  arith::DivFOp::create(nb, l, f32Constant(nb, l, 1.0f), d),
                  f32Constant(nb, l, 0.0f));
              Value scaled = arith::MulFOp::create(
                  nb, l, v, vector::BroadcastOp::create(nb, l, f32x32, inverse));
              Value rounded = math::RoundEvenOp::create(nb, l, scaled);
              Value q = arith::FPToSIOp::create(
                  nb, l, VectorType::get({kLanes}, nb.getI32Type()), rounded);
              Value q8 = arith::TruncIOp::create(nb, l, i8x32, q);
              vector::StoreOp::create(nb, l, q8, qx, ValueRange{m, at});
              if (!wide) {
                memref::StoreOp::create(nb, l, d, dx, ValueRange{m, blk});
              } else {
                Value lanes = arith::MulIOp::create(
                    nb, l, blk, arith::ConstantIndexOp::create(nb, l, 8));
                vector::StoreOp::create(
                    nb, l, vector::BroadcastOp::create(nb, l, f32x8, d), dxLanes,
                    ValueRange{m, lanes});
                if (!offset) {
                  // laneSums[j] = q[4j] + q[4j+1] + q[4j+2] + q[4j+3].
                  Value laneSums;
                  for (int64_t t = 0; t < 4; ++t) {
                    SmallVector<int64_t> strided;
                    for (int64_t j = 0; j < 8; ++j)
                      strided.push_back(4 * j + t);
                    Value part = vector::ShuffleOp::create(nb, l, q, q, strided);
                    laneSums = t ? arith::AddIOp::create(nb, l, laneSums, part)
                                       .getResult()
                                 : part;
                  }
                  Value times8 = arith::MulIOp::create(
                      nb, l, laneSums,
                      arith::ConstantOp::create(
                          nb, l, DenseElementsAttr::get(i32x8, nb.getI32IntegerAttr(-8))));
                  vector::StoreOp::create(nb, l, times8, start8, ValueRange{m, lanes});
                }
              }
              if (offset) {
                Value sum = vector::ReductionOp::create(
                    nb, l, vector::CombiningKind::ADD, q);
                Value sumF = arith::SIToFPOp::create(nb, l, nb.getF32Type(), sum);
                memref::StoreOp::create(nb, l, arith::MulFOp::create(nb, l, d, sumF),
                                        sx, ValueRange{m, blk});
              }
              scf::YieldOp::create(nb, l);
            });
        scf::YieldOp::create(ob, l);
      });

  Value ones = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(i16x16, b.getI16IntegerAttr(1)));
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32x8, b.getF32FloatAttr(0.0f)));
  Value zero = f32Constant(b, loc, 0.0f);
  Value zeroInts = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(i32x8, b.getI32IntegerAttr(0)));
  if (wide) {
    auto i8x64 = VectorType::get({64}, i8);
    auto i32x16 = VectorType::get({16}, b.getI32Type());
    auto f32x16 = VectorType::get({16}, f32);
    Value zeros16 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(f32x16, b.getF32FloatAttr(0.0f)));
    Value zeroInts16 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i32x16, b.getI32IntegerAttr(0)));
    SmallVector<int64_t> concat(64);
    std::iota(concat.begin(), concat.end(), 0);
    SmallVector<int64_t> concat16(16);
    std::iota(concat16.begin(), concat16.end(), 0);
    // Two weight rows share each activation row's loads.
    int64_t weightRows = columns % 2 == 0 ? 2 : 1;
    emitOutputLoops(
        b, loc, y, rowStart, rows, columns,
        [&](OpBuilder &b, Value row, Value r) {
          SmallVector<Value> init(weightRows, zeros16);
          init.append(weightRows, zero);
          auto loop = scf::ForOp::create(
              b, loc, index(0), index(blocks / 2), index(1), init,
              [&](OpBuilder &lb, Location l, Value pair, ValueRange carried) {
                Value first = arith::MulIOp::create(
                    lb, l, pair, arith::ConstantIndexOp::create(lb, l, 2));
                Value start0 = arith::MulIOp::create(
                    lb, l, first, arith::ConstantIndexOp::create(lb, l, block.bytes));
                SmallVector<Value> q, dw, m0, m1;
                for (int64_t j = 0; j < weightRows; ++j) {
                  ChunkDecoder decoder(lb, l, weights, addIndex(lb, l, row, j));
                  Value start1 = decoder.add(start0, block.bytes);
                  decoder.prefetch(start0, prefetchDistance);
                  decoder.prefetch(start1, prefetchDistance);
                  int64_t quants = offset ? 4 : 2;
                  Value q0 = decoder.unpackNibbles(decoder.bytes(start0, quants, kLanes / 2));
                  Value q1 = decoder.unpackNibbles(decoder.bytes(start1, quants, kLanes / 2));
                  q.push_back(vector::ShuffleOp::create(lb, l, q0, q1, concat));
                  dw.push_back(vector::ShuffleOp::create(
                      lb, l,
                      vector::BroadcastOp::create(lb, l, f32x8, decoder.half(start0, 0)),
                      vector::BroadcastOp::create(lb, l, f32x8, decoder.half(start1, 0)),
                      concat16));
                  if (offset) {
                    m0.push_back(decoder.half(start0, 2));
                    m1.push_back(decoder.half(start1, 2));
                  }
                }
                Value second = addIndex(lb, l, first, 1);
                Value at = arith::MulIOp::create(
                    lb, l, pair, arith::ConstantIndexOp::create(lb, l, 2 * kLanes));
                Value lanes = arith::MulIOp::create(
                    lb, l, pair, arith::ConstantIndexOp::create(lb, l, 16));
                SmallVector<Value> next(carried.begin(), carried.end());
                Value xq = vector::LoadOp::create(lb, l, i8x64, qx, ValueRange{r, at});
                Value acc = offset ? zeroInts16
                                   : vector::LoadOp::create(lb, l, i32x16, start8,
                                                            ValueRange{r, lanes})
                                         .getResult();
                Value xScale = vector::LoadOp::create(lb, l, f32x16, dxLanes,
                                                      ValueRange{r, lanes});
                Value s0, s1;
                if (offset) {
                  s0 = memref::LoadOp::create(lb, l, sx, ValueRange{r, first});
                  s1 = memref::LoadOp::create(lb, l, sx, ValueRange{r, second});
                }
                for (int64_t j = 0; j < weightRows; ++j) {
                  Value sums = callIntrinsic(lb, l, "llvm.x86.avx512.vpdpbusd.512",
                                             i32x16, {acc, q[j], xq});
                  Value asFloat = arith::SIToFPOp::create(lb, l, f32x16, sums);
                  Value scale = arith::MulFOp::create(lb, l, dw[j], xScale);
                  next[j] = vector::FMAOp::create(lb, l, asFloat, scale, next[j]);
                  if (offset) {
                    Value both = arith::AddFOp::create(
                        lb, l, arith::MulFOp::create(lb, l, m0[j], s0),
                        arith::MulFOp::create(lb, l, m1[j], s1));
                    next[weightRows + j] =
                        arith::AddFOp::create(lb, l, next[weightRows + j], both);
                  }
                }
                scf::YieldOp::create(lb, l, next);
              });
          return sumLanesAndOffsets(b, loc, loop, weightRows);
        },
        weightRows);
    return;
  }

  emitOutputLoops(
      b, loc, y, rowStart, rows, columns, [&](OpBuilder &b, Value row, Value r) {
        auto loop = scf::ForOp::create(
            b, loc, index(0), index(blocks), index(1), ValueRange{zeros, zero},
            [&](OpBuilder &lb, Location l, Value blk, ValueRange carried) {
              ChunkDecoder decoder(lb, l, weights, row);
              Value start = arith::MulIOp::create(
                  lb, l, blk, arith::ConstantIndexOp::create(lb, l, block.bytes));
              decoder.prefetch(start, prefetchDistance);
              Value at = arith::MulIOp::create(
                  lb, l, blk, arith::ConstantIndexOp::create(lb, l, kLanes));
              Value dw = decoder.half(start, 0);
              // q8_0/q4_0: |qw| as u8 and the sign of qw moved onto qx;
              // q4_1: qw is already unsigned.
              Value wq, magnitude;
              if (ggml == graph::GgmlType::Q8_0) {
                wq = decoder.bytes(start, 2, kLanes);
              } else if (ggml == graph::GgmlType::Q4_0) {
                wq = decoder.unpackNibbles(decoder.bytes(start, 2, kLanes / 2));
                wq = arith::SubIOp::create(lb, l, wq, decoder.splatI8(8, kLanes));
              } else {
                wq = decoder.unpackNibbles(decoder.bytes(start, 4, kLanes / 2));
              }
              if (!offset)
                magnitude = math::AbsIOp::create(lb, l, wq);
              Value m = offset ? decoder.half(start, 2) : Value();
              Value xq =
                  vector::LoadOp::create(lb, l, i8x32, qx, ValueRange{r, at});
              Value unsignedW = offset ? wq : magnitude;
              Value signedX = offset ? xq
                                     : callIntrinsic(lb, l, "llvm.x86.avx2.psign.b",
                                                     i8x32, {xq, wq});
              Value sums;
              if (vnni) {
                sums = callIntrinsic(lb, l, "llvm.x86.avx512.vpdpbusd.256", i32x8,
                                     {zeroInts, unsignedW, signedX});
              } else {
                Value products = callIntrinsic(lb, l, "llvm.x86.avx2.pmadd.ub.sw",
                                               i16x16, {unsignedW, signedX});
                sums = callIntrinsic(lb, l, "llvm.x86.avx2.pmadd.wd", i32x8,
                                     {products, ones});
              }
              Value asFloat = arith::SIToFPOp::create(lb, l, f32x8, sums);
              Value xScale = memref::LoadOp::create(lb, l, dx, ValueRange{r, blk});
              Value scale = arith::MulFOp::create(lb, l, dw, xScale);
              Value acc = vector::FMAOp::create(
                  lb, l, asFloat, vector::BroadcastOp::create(lb, l, f32x8, scale),
                  carried[0]);
              Value offsetSum = carried[1];
              if (offset) {
                Value s = memref::LoadOp::create(lb, l, sx, ValueRange{r, blk});
                offsetSum = arith::AddFOp::create(lb, l, offsetSum,
                                                  arith::MulFOp::create(lb, l, m, s));
              }
              scf::YieldOp::create(lb, l, ValueRange{acc, offsetSum});
            });
        return sumLanesAndOffsets(b, loc, loop, 1);
      });
}

LogicalResult rewrite(linalg::GenericOp op,
                      ArrayRef<graph::GgmlType> integerFormats,
                      int64_t prefetchDistance, bool vnni, bool wide,
                      PanelShape panel) {
  auto format = op->getAttrOfType<graph::GgmlTypeAttr>(graph::kQuantizedMatmulAttr);
  if (!format || !op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3)
    return failure();
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  AffineMap yMap = AffineMap::get(3, 0, {m, n}, ctx);
  SmallVector<AffineMap> rowMajor = {AffineMap::get(3, 0, {m, k}, ctx), yMap};
  SmallVector<AffineMap> transposed = {AffineMap::get(3, 0, {k, m}, ctx), yMap};
  bool isTransposed = op.getIndexingMapsArray() == ArrayRef<AffineMap>(transposed);
  if (!isTransposed && op.getIndexingMapsArray() != ArrayRef<AffineMap>(rowMajor))
    return failure();
  Value x = op.getDpsInputs()[0], y = op.getDpsInits()[0];
  auto xType = cast<MemRefType>(x.getType());
  auto yType = cast<MemRefType>(y.getType());
  if (!innerUnitStride(xType) || !yType.hasStaticShape() ||
      !xType.getElementType().isF32())
    return failure();

  // The weight bytes: the one buffer the body loads from.
  Value weights;
  memref::LoadOp firstLoad;
  WalkResult walk = op.getBody()->walk([&](memref::LoadOp load) {
    if (weights && load.getMemRef() != weights)
      return WalkResult::interrupt();
    weights = load.getMemRef();
    if (!firstLoad)
      firstLoad = load;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted() || !weights)
    return failure();
  auto wType = cast<MemRefType>(weights.getType());
  if (!wType.hasStaticShape() || !wType.getLayout().isIdentity() ||
      wType.getRank() != 2)
    return failure();

  graph::GgmlType ggml = format.getValue();
  GroupShape group = groupShape(ggml);
  int64_t rows = yType.getDimSize(0), columns = yType.getDimSize(1);
  int64_t depth = xType.getDimSize(isTransposed ? 0 : 1);
  if (depth % group.weights != 0 ||
      wType.getDimSize(1) != depth / group.weights * group.bytes)
    return failure();

  OpBuilder b(op);
  Location loc = op.getLoc();
  FailureOr<Value> rowStart = firstRow(b, op, firstLoad.getIndices()[0]);
  if (failed(rowStart))
    return failure();
  if (isTransposed) {
    int64_t tileRows = std::min(panel.rows, columns);
    // 16 floats of padding: rows of a multiple of 4 KiB would share L1 sets.
    Value decoded = lathe::cpu::createScratchBuffer(
        op, MemRefType::get({tileRows, depth + 16}, b.getF32Type()));
    Value sums = lathe::cpu::createScratchBuffer(
        op, MemRefType::get({tileRows, panel.width}, b.getF32Type()));
    emitPanelLoops(b, loc, ggml, x, y, weights, *rowStart, rows, columns, depth,
                   prefetchDistance, panel, decoded, sums);
  } else if (llvm::is_contained(integerFormats, ggml))
    emitIntegerLoops(b, loc, ggml, x, y, weights, *rowStart, rows, columns,
                     depth, prefetchDistance, vnni, wide);
  else
    emitFloatLoops(b, loc, ggml, x, y, weights, *rowStart, rows, columns,
                   depth, prefetchDistance);
  op.erase();
  return success();
}

struct QuantizedMatmulPass
    : lathe::cpu::impl::QuantizedMatmulBase<QuantizedMatmulPass> {
  using QuantizedMatmulBase::QuantizedMatmulBase;

  void runOnOperation() override {
    SmallVector<graph::GgmlType> integerFormats;
    for (const std::string &name : integerDot) {
      std::optional<graph::GgmlType> format = graph::symbolizeGgmlType(name);
      if (!format || !hasIntegerKernel(*format)) {
        getOperation().emitError("lathe-cpu-quantized-matmul: integer-dot "
                                 "supports q8_0, q4_0 and q4_1, not '")
            << name << "'";
        return signalPassFailure();
      }
      integerFormats.push_back(*format);
    }
    if (panelRows < 1 || panelWidth < 1) {
      getOperation().emitError("lathe-cpu-quantized-matmul: panel-rows and "
                               "panel-width must be positive");
      return signalPassFailure();
    }
    if (prefetchDistance < 0) {
      getOperation().emitError("lathe-cpu-quantized-matmul: prefetch-distance "
                               "must not be negative");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->hasAttr(graph::kQuantizedMatmulAttr))
        ops.push_back(op);
    });
    // A generic that does not have the expected form keeps its scalar body.
    for (linalg::GenericOp op : ops)
      (void)rewrite(op, integerFormats, prefetchDistance, vnni, wide,
                    PanelShape{panelRows, panelWidth});
  }
};

} // namespace
