//===- FlashAttention.cpp - Fused attention kernels for the CPU -----------===//
//
// Rewrites dispatch.attention on memrefs into one loop nest that never
// materializes scores. The vector lanes are query rows: a tile of `lanes`
// rows (query heads x positions that share a key/value head) keeps its
// transposed, scaled queries in a small workspace, and for each block of
// `key-block` keys
//
//   score[j]  = sum_d k[j, d] * qT[d, :]            (broadcast-FMA per key)
//   m'        = max(m, score[0..])                  (lane-wise: no shuffles)
//   p[j]      = exp(score[j] - m'), alpha = exp(m - m')
//   l         = l * alpha + sum_j p[j]
//   oT[dv, :] = oT[dv, :] * alpha + sum_j v[j, dv] * p[j]
//
// so that the running max, sum and rescaling of the online softmax are plain
// vector ops, one lane per row. Causal attention stops at the last key that
// the tile's last row sees, read from the run-time past length when there is
// one, and masks later keys per lane; a softcap and an additive mask (its
// block transposed into the workspace) apply to the scores. Finally oT / l
// is written back transposed (zeros for a row that saw no key).
//
// With at most half as many rows per key/value head as lanes (decoding: the
// query heads of one key/value head, one position) most lanes would idle, so
// the lanes hold keys instead. Each row runs alone over the keys it sees,
// with its scaled query, running max and sum and output row in registers:
// per block of `lanes` keys, one vector of partial dot products per key
// (FMAs along the head dimension) is summed across lanes into a vector of
// scores (a shuffle tree), and the probabilities scale rows of v into the
// output row (FMAs along the value dimension). The keys and values are
// read once per row, from L2 for all but the first row.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "dialects/dispatch/DispatchOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

namespace lathe::cpu {
#define GEN_PASS_DEF_FLASHATTENTION
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;

namespace {

/// Rows of the transposed output tile updated together: independent FMA
/// chains that keep both FMA units busy.
constexpr int64_t kValueRows = 8;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool hasUnitInnerStride(Value value) {
  return lathe::cpu::hasUnitInnerStride(cast<MemRefType>(value.getType()));
}

class AttentionEmitter {
public:
  AttentionEmitter(OpBuilder &b, lathe::dispatch::AttentionOp op,
                   int64_t lanes, int64_t keyBlock)
      : b(b), loc(op.getLoc()), op(op), lanes(lanes), keyBlock(keyBlock),
        f32(b.getF32Type()), i32(b.getI32Type()),
        vf32(VectorType::get({lanes}, f32)),
        vi32(VectorType::get({lanes}, i32)) {
    auto shape = [](Value v) { return cast<ShapedType>(v.getType()).getShape(); };
    ArrayRef<int64_t> q = shape(op.getQ()), k = shape(op.getK()),
                      v = shape(op.getV());
    batch = q[0];
    kvHeads = k[1];
    groups = op.getGroupSize();
    queries = q[2];
    headDim = q[3];
    keys = k[2];
    valueDim = v[3];
  }

  /// Emits the loop nest before the op.
  void emit() {
    if (llvm::isPowerOf2_64(lanes) && 2 * groups * queries <= lanes &&
        headDim % lanes == 0 &&
        valueDim % lanes == 0 &&
        llvm::all_of(ValueRange{op.getQ(), op.getK(), op.getV(), op.getInit()},
                     hasUnitInnerStride))
      return emitKeyLanes();
    auto scratch = [&](ArrayRef<int64_t> shape, Type type) {
      return lathe::cpu::createScratchBuffer(op, MemRefType::get(shape, type));
    };
    qT = scratch({headDim, lanes}, f32);
    oT = scratch({valueDim, lanes}, f32);
    if (op.getMask())
      maskT = scratch({keyBlock, lanes}, f32);
    positionScratch = scratch({lanes}, i32);
    inverseScratch = scratch({lanes}, f32);
    Value past = pastLength();
    int64_t rows = groups * queries;
    forLoop(0, batch, 1, [&](Value bi) {
      forLoop(0, kvHeads, 1, [&](Value h) {
        forLoop(0, rows, lanes, [&](Value r0) { emitTile(bi, h, r0, past); });
      });
    });
  }

private:
  /// The causal past length P as an index clamped to [-S - 1, L] (the same
  /// keys are visible, and P + s fits in i32), or null for full attention.
  Value pastLength() {
    if (!op.getCausal())
      return Value();
    Value past;
    if (Value operand = op.getPast())
      past = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          memref::LoadOp::create(b, loc, operand, ValueRange{}));
    else if (std::optional<uint64_t> length = op.getPastLength())
      past = index(static_cast<int64_t>(*length));
    else
      past = index(keys - queries);
    past = arith::MaxSIOp::create(b, loc, past, index(-queries - 1));
    return arith::MinSIOp::create(b, loc, past, index(keys));
  }

  /// Query row `row` of this key/value head: (query head, position).
  std::pair<Value, Value> rowCoordinates(Value h, Value row) {
    Value g = arith::DivUIOp::create(b, loc, row, index(queries));
    Value s = arith::RemUIOp::create(b, loc, row, index(queries));
    Value head = add(mul(h, groups), g);
    return {head, s};
  }

  void emitTile(Value bi, Value h, Value r0, Value past) {
    int64_t rows = groups * queries;
    Value lastRow = index(rows - 1);
    // Lanes past the last row repeat it; their results are not stored.
    forLoop(0, lanes, 1, [&](Value lane) {
      Value row = arith::MinUIOp::create(b, loc, add(r0, lane), lastRow);
      auto [head, s] = rowCoordinates(h, row);
      memref::StoreOp::create(b, loc,
                              arith::IndexCastOp::create(b, loc, i32, s),
                              positionScratch, ValueRange{lane});
      Value scale = arith::ConstantOp::create(b, loc, op.getScaleAttr());
      forLoop(0, headDim, 1, [&](Value d) {
        Value x = memref::LoadOp::create(b, loc, op.getQ(),
                                         ValueRange{bi, head, s, d});
        memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, x, scale),
                                qT, ValueRange{d, lane});
      });
    });
    Value zero = splat(0.0f);
    forLoop(0, valueDim, 1, [&](Value dv) {
      vector::StoreOp::create(b, loc, zero, oT, ValueRange{dv, index(0)});
    });

    // Keys [0, keyEnd) are visible to some row of the tile; lane i sees key j
    // iff j <= past + s_i.
    Value positions = vector::LoadOp::create(b, loc, vi32, positionScratch,
                                             ValueRange{index(0)});
    Value keyEnd = index(keys), visibleUpTo;
    if (past) {
      Value pastI32 = arith::IndexCastOp::create(b, loc, i32, past);
      visibleUpTo = arith::AddIOp::create(
          b, loc, vector::BroadcastOp::create(b, loc, vi32, pastI32), positions);
      Value lastPosition = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXSI,
                                      positions));
      Value end = add(add(past, lastPosition), 1);
      end = arith::MaxSIOp::create(b, loc, end, index(0));
      keyEnd = arith::MinSIOp::create(b, loc, end, index(keys));
    }

    ValueRange last = forKeyBlocks(
        keyEnd, keyBlock, ValueRange{splat(kNegInf), zero},
        [&](Value kb, bool partial, ValueRange state) -> SmallVector<Value> {
          auto [max, sum] = emitKeyBlock(bi, h, r0, kb, keyEnd, partial,
                                         visibleUpTo, state[0], state[1]);
          return {max, sum};
        });

    vector::StoreOp::create(b, loc, inverseOrZero(last[1]), inverseScratch,
                            ValueRange{index(0)});
    Value count = arith::MinUIOp::create(
        b, loc, index(lanes), arith::SubIOp::create(b, loc, index(rows), r0));
    forLoop(index(0), count, 1, [&](Value lane) {
      auto [head, s] = rowCoordinates(h, add(r0, lane));
      Value factor =
          memref::LoadOp::create(b, loc, inverseScratch, ValueRange{lane});
      forLoop(0, valueDim, 1, [&](Value dv) {
        Value o = memref::LoadOp::create(b, loc, oT, ValueRange{dv, lane});
        memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, o, factor),
                                op.getInit(), ValueRange{bi, head, s, dv});
      });
    });
  }

  /// One block of keys from `kb`; returns the new running max and sum.
  std::pair<Value, Value> emitKeyBlock(Value bi, Value h, Value r0, Value kb,
                                       Value keyEnd, bool partial,
                                       Value visibleUpTo, Value max, Value sum) {
    SmallVector<Value> keyRows = keyRowsOf(kb, keyEnd, keyBlock, partial);

    SmallVector<Value> zeros(keyBlock, splat(0.0f));
    auto dot = scf::ForOp::create(
        b, loc, index(0), index(headDim), index(1), zeros,
        [&](OpBuilder &nb, Location, Value d, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(nb.getInsertionBlock());
          Value query = vector::LoadOp::create(b, loc, vf32, qT,
                                               ValueRange{d, index(0)});
          SmallVector<Value> next;
          for (int64_t j = 0; j < keyBlock; ++j) {
            Value key = memref::LoadOp::create(b, loc, op.getK(),
                                               ValueRange{bi, h, keyRows[j], d});
            next.push_back(vector::FMAOp::create(
                b, loc, vector::BroadcastOp::create(b, loc, vf32, key), query,
                acc[j]));
          }
          scf::YieldOp::create(b, loc, next);
        });

    // The mask of the block, transposed: maskT[j] holds key j's bias for
    // every lane's row.
    if (op.getMask()) {
      Value lastRow = index(groups * queries - 1);
      forLoop(0, lanes, 1, [&](Value lane) {
        Value row = arith::MinUIOp::create(b, loc, add(r0, lane), lastRow);
        auto [head, s] = rowCoordinates(h, row);
        for (int64_t j = 0; j < keyBlock; ++j)
          memref::StoreOp::create(b, loc, maskValue(bi, head, s, keyRows[j]),
                                  maskT, ValueRange{index(j), lane});
      });
    }

    Value negInf = splat(kNegInf);
    SmallVector<Value> scores;
    for (int64_t j = 0; j < keyBlock; ++j) {
      Value key = add(kb, j);
      Value score = softcapped(dot.getResult(j));
      if (op.getMask())
        score = arith::AddFOp::create(
            b, loc, score,
            vector::LoadOp::create(b, loc, vf32, maskT,
                                   ValueRange{index(j), index(0)}));
      if (partial) {
        Value inRange = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::slt, key, keyEnd);
        score = arith::SelectOp::create(b, loc, inRange, score, negInf);
      }
      if (visibleUpTo) {
        Value keyLanes = vector::BroadcastOp::create(
            b, loc, vi32, arith::IndexCastOp::create(b, loc, i32, key));
        Value visible = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sle, keyLanes, visibleUpTo);
        score = arith::SelectOp::create(b, loc, visible, score, negInf);
      }
      scores.push_back(score);
    }
    // Pairwise trees: the FMA units' latency, not a chain of keyBlock ops.
    Value newMax = arith::MaximumFOp::create(
        b, loc, max, pairwise(scores, [&](Value x, Value y) -> Value {
          return arith::MaximumFOp::create(b, loc, x, y);
        }));
    // Rows that saw no key yet keep max -inf; shift them by 0 (exp(-inf) = 0).
    Value unseen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         newMax, negInf);
    Value shift = arith::SelectOp::create(b, loc, unseen, splat(0.0f), newMax);
    Value alpha = math::ExpOp::create(b, loc,
                                      arith::SubFOp::create(b, loc, max, shift));
    SmallVector<Value> probabilities;
    for (Value score : scores)
      probabilities.push_back(math::ExpOp::create(
          b, loc, arith::SubFOp::create(b, loc, score, shift)));
    Value newSum = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, sum, alpha),
        pairwise(probabilities, [&](Value x, Value y) -> Value {
          return arith::AddFOp::create(b, loc, x, y);
        }));

    // oT[dv] = oT[dv] * alpha + sum_j v[j, dv] * p[j], for `rows` rows of oT
    // at once: independent FMA chains, each keyBlock long.
    auto accumulate = [&](Value dv0, int64_t rows) {
      SmallVector<Value> o, dvs;
      for (int64_t u = 0; u < rows; ++u) {
        dvs.push_back(add(dv0, u));
        o.push_back(arith::MulFOp::create(
            b, loc,
            vector::LoadOp::create(b, loc, vf32, oT, ValueRange{dvs[u], index(0)}),
            alpha));
      }
      for (int64_t j = 0; j < keyBlock; ++j)
        for (int64_t u = 0; u < rows; ++u) {
          Value value = memref::LoadOp::create(
              b, loc, op.getV(), ValueRange{bi, h, keyRows[j], dvs[u]});
          o[u] = vector::FMAOp::create(
              b, loc, vector::BroadcastOp::create(b, loc, vf32, value),
              probabilities[j], o[u]);
        }
      for (int64_t u = 0; u < rows; ++u)
        vector::StoreOp::create(b, loc, o[u], oT, ValueRange{dvs[u], index(0)});
    };
    int64_t unroll = std::min(kValueRows, valueDim);
    int64_t unrolled = valueDim - valueDim % unroll;
    forLoop(0, unrolled, unroll, [&](Value dv) { accumulate(dv, unroll); });
    if (unrolled < valueDim)
      forLoop(unrolled, valueDim, 1, [&](Value dv) { accumulate(dv, 1); });
    return {newMax, newSum};
  }

  /// Keys in the lanes: each row runs over the keys it sees with its scaled
  /// query, running max and sum and output row in registers.
  void emitKeyLanes() {
    Value past = pastLength();
    forLoop(0, batch, 1, [&](Value bi) {
      forLoop(0, kvHeads, 1, [&](Value h) {
        forLoop(0, groups * queries, 1, [&](Value row) {
          emitKeyLanesRow(bi, h, row, past);
        });
      });
    });
  }

  void emitKeyLanesRow(Value bi, Value h, Value row, Value past) {
    // Plain variables: lambdas below capture them.
    Value head, s;
    std::tie(head, s) = rowCoordinates(h, row);
    Value scale = splat(op.getScale().convertToFloat());
    SmallVector<Value> query;
    for (int64_t c = 0; c < headDim; c += lanes)
      query.push_back(arith::MulFOp::create(
          b, loc,
          vector::LoadOp::create(b, loc, vf32, op.getQ(),
                                 ValueRange{bi, head, s, index(c)}),
          scale));
    // Keys [0, keyEnd) are this row's.
    Value keyEnd = index(keys);
    if (past) {
      Value end = arith::MaxSIOp::create(b, loc, add(add(past, s), 1), index(0));
      keyEnd = arith::MinSIOp::create(b, loc, end, index(keys));
    }
    // State: running max, running sum, output row (valueDim / lanes vectors).
    SmallVector<Value> state = {scalar(kNegInf), scalar(0.0f)};
    for (int64_t c = 0; c < valueDim; c += lanes)
      state.push_back(splat(0.0f));
    ValueRange last = forKeyBlocks(
        keyEnd, lanes, state,
        [&](Value kb, bool partial, ValueRange carried) {
          return emitKeyLanesBlock(bi, h, head, s, kb, keyEnd, partial, query,
                                   carried);
        });

    // out = o / l
    Value factor =
        vector::BroadcastOp::create(b, loc, vf32, inverseOrZero(last[1]));
    for (int64_t c = 0; c < valueDim; c += lanes)
      vector::StoreOp::create(
          b, loc, arith::MulFOp::create(b, loc, last[2 + c / lanes], factor),
          op.getInit(), ValueRange{bi, head, s, index(c)});
  }

  /// One row against the block of `lanes` keys from `kb`: the state (max,
  /// sum, output vectors) after it. A partial block clamps its key rows and
  /// masks the keys from keyEnd on.
  SmallVector<Value> emitKeyLanesBlock(Value bi, Value h, Value head, Value s,
                                       Value kb, Value keyEnd, bool partial,
                                       ArrayRef<Value> query, ValueRange state) {
    SmallVector<Value> keyRows = keyRowsOf(kb, keyEnd, lanes, partial);
    // Partial dot products along the head dimension, one vector per key.
    SmallVector<Value> products;
    for (int64_t j = 0; j < lanes; ++j) {
      Value sum;
      for (int64_t c = 0; c < headDim; c += lanes) {
        Value key = vector::LoadOp::create(b, loc, vf32, op.getK(),
                                           ValueRange{bi, h, keyRows[j], index(c)});
        sum = sum ? vector::FMAOp::create(b, loc, query[c / lanes], key, sum)
                        .getResult()
                  : arith::MulFOp::create(b, loc, query[c / lanes], key)
                        .getResult();
      }
      products.push_back(sum);
    }
    Value scores = softcapped(sumAcrossLanes(products));
    if (Value mask = op.getMask()) {
      Value bias;
      if (cast<ShapedType>(mask.getType()).getDimSize(3) == 1) {
        bias = vector::BroadcastOp::create(b, loc, vf32,
                                           maskValue(bi, head, s, index(0)));
      } else if (!partial && hasUnitInnerStride(mask)) {
        bias = vector::LoadOp::create(b, loc, vf32, mask,
                                      maskIndices(bi, head, s, kb));
      } else {
        SmallVector<Value> values;
        for (Value key : keyRows)
          values.push_back(maskValue(bi, head, s, key));
        bias = vector::FromElementsOp::create(b, loc, vf32, values);
      }
      scores = arith::AddFOp::create(b, loc, scores, bias);
    }
    if (partial) {
      SmallVector<int32_t> offsets;
      for (int64_t j = 0; j < lanes; ++j)
        offsets.push_back(static_cast<int32_t>(j));
      Value keyIds = arith::AddIOp::create(
          b, loc,
          vector::BroadcastOp::create(b, loc, vi32,
                                      arith::IndexCastOp::create(b, loc, i32, kb)),
          arith::ConstantOp::create(b, loc,
                                    DenseElementsAttr::get(vi32, ArrayRef(offsets))));
      Value inRange = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, keyIds,
          vector::BroadcastOp::create(
              b, loc, vi32, arith::IndexCastOp::create(b, loc, i32, keyEnd)));
      scores = arith::SelectOp::create(b, loc, inRange, scores, splat(kNegInf));
    }

    // Every block has a key the row sees, so without a mask the new max is
    // finite; a mask of -inf can hide them all: such rows shift by 0.
    Value max = state[0];
    Value newMax = arith::MaximumFOp::create(
        b, loc, max, reduceAcrossLanes(scores, [&](Value x, Value y) -> Value {
          return arith::MaximumFOp::create(b, loc, x, y);
        }));
    Value shift = newMax;
    if (op.getMask()) {
      Value unseen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           newMax, scalar(kNegInf));
      shift = arith::SelectOp::create(b, loc, unseen, scalar(0.0f), newMax);
    }
    Value alpha =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, max, shift));
    Value probabilities = math::ExpOp::create(
        b, loc,
        arith::SubFOp::create(b, loc, scores,
                              vector::BroadcastOp::create(b, loc, vf32, shift)));
    Value sum = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, state[1], alpha),
        reduceAcrossLanes(probabilities, [&](Value x, Value y) -> Value {
          return arith::AddFOp::create(b, loc, x, y);
        }));

    // o = o * alpha + sum_j p[j] * v[j, :]
    Value alphaLanes = vector::BroadcastOp::create(b, loc, vf32, alpha);
    SmallVector<Value> next = {newMax, sum};
    for (Value o : state.drop_front(2))
      next.push_back(arith::MulFOp::create(b, loc, o, alphaLanes));
    for (int64_t j = 0; j < lanes; ++j) {
      Value p = vector::BroadcastOp::create(
          b, loc, vf32,
          vector::ExtractOp::create(b, loc, probabilities, ArrayRef<int64_t>{j}));
      for (int64_t c = 0; c < valueDim; c += lanes) {
        Value value = vector::LoadOp::create(
            b, loc, vf32, op.getV(), ValueRange{bi, h, keyRows[j], index(c)});
        next[2 + c / lanes] =
            vector::FMAOp::create(b, loc, p, value, next[2 + c / lanes]);
      }
    }
    return next;
  }

  /// Lane i of the result: the sum of the lanes of vectors[i] (lanes
  /// vectors). Each step adds the low and high halves of every lane group
  /// of two vectors into one, keeping the groups in order.
  Value sumAcrossLanes(ArrayRef<Value> vectors) {
    SmallVector<Value> level(vectors);
    for (int64_t group = lanes; level.size() > 1; group /= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t from = 0; from < 2 * lanes; from += lanes)
        for (int64_t start = from; start < from + lanes; start += group)
          for (int64_t k = 0; k < group / 2; ++k) {
            low.push_back(start + k);
            high.push_back(start + group / 2 + k);
          }
      SmallVector<Value> next;
      for (size_t i = 0; i < level.size(); i += 2)
        next.push_back(arith::AddFOp::create(
            b, loc,
            vector::ShuffleOp::create(b, loc, level[i], level[i + 1], low),
            vector::ShuffleOp::create(b, loc, level[i], level[i + 1], high)));
      level = std::move(next);
    }
    return level.front();
  }

  /// softcap * tanh(scores / softcap), or the scores without a softcap.
  Value softcapped(Value scores) {
    float cap = op.getSoftcap().convertToFloat();
    if (cap <= 0)
      return scores;
    auto type = cast<VectorType>(scores.getType());
    Value capLanes = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, cap));
    return arith::MulFOp::create(
        b, loc,
        math::TanhOp::create(b, loc,
                             arith::DivFOp::create(b, loc, scores, capLanes)),
        capLanes);
  }

  /// Indices of mask[b, head, s, key], with its broadcast dimensions at 0.
  SmallVector<Value> maskIndices(Value bi, Value head, Value s, Value key) {
    ArrayRef<int64_t> shape = cast<ShapedType>(op.getMask().getType()).getShape();
    Value zero = index(0);
    return {shape[0] == 1 ? zero : bi, shape[1] == 1 ? zero : head,
            shape[2] == 1 ? zero : s, shape[3] == 1 ? zero : key};
  }
  Value maskValue(Value bi, Value head, Value s, Value key) {
    return memref::LoadOp::create(b, loc, op.getMask(),
                                  maskIndices(bi, head, s, key));
  }

  /// `combine` over the lanes of `v`, halving the width at each step.
  Value reduceAcrossLanes(Value v, function_ref<Value(Value, Value)> combine) {
    for (int64_t width = lanes; width > 1; width /= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t k = 0; k < width / 2; ++k) {
        low.push_back(k);
        high.push_back(width / 2 + k);
      }
      v = combine(vector::ShuffleOp::create(b, loc, v, v, low),
                  vector::ShuffleOp::create(b, loc, v, v, high));
    }
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
  }

  /// Runs `body` over the blocks of `step` keys in [0, keyEnd), threading
  /// `init` through; returns the final state. Whole blocks run in a loop and
  /// address key j at a constant offset from one row pointer; a last,
  /// partial block runs under scf.if and clamps and masks its keys.
  ValueRange forKeyBlocks(
      Value keyEnd, int64_t step, ValueRange init,
      function_ref<SmallVector<Value>(Value, bool, ValueRange)> body) {
    Value wholeEnd = arith::SubIOp::create(
        b, loc, keyEnd, arith::RemUIOp::create(b, loc, keyEnd, index(step)));
    auto blocks = scf::ForOp::create(
        b, loc, index(0), wholeEnd, index(step), init,
        [&](OpBuilder &nb, Location, Value kb, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(nb.getInsertionBlock());
          scf::YieldOp::create(b, loc, body(kb, /*partial=*/false, carried));
        });
    Value hasPartial = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                             wholeEnd, keyEnd);
    auto last = scf::IfOp::create(
        b, loc, hasPartial,
        [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(
              b, loc, body(wholeEnd, /*partial=*/true, blocks.getResults()));
        },
        [&](OpBuilder &nb, Location) {
          scf::YieldOp::create(nb, loc, blocks.getResults());
        });
    return last.getResults();
  }

  /// Rows of the `count` keys from `kb`. In a partial block, keys from
  /// keyEnd on read the last key again (and are masked), so that only rows
  /// the result depends on are read.
  SmallVector<Value> keyRowsOf(Value kb, Value keyEnd, int64_t count,
                               bool partial) {
    Value lastKey =
        partial ? arith::SubIOp::create(b, loc, keyEnd, index(1)).getResult()
                : Value();
    SmallVector<Value> rows;
    for (int64_t j = 0; j < count; ++j)
      rows.push_back(partial ? arith::MinUIOp::create(b, loc, add(kb, j), lastKey)
                                   .getResult()
                             : add(kb, j));
    return rows;
  }

  /// 1 / sum, or 0 where the sum is 0 (a row that saw no key gives zeros);
  /// scalar or vector like `sum`.
  Value inverseOrZero(Value sum) {
    auto constant = [&](float value) -> Value {
      if (auto type = dyn_cast<VectorType>(sum.getType()))
        return arith::ConstantOp::create(b, loc,
                                         DenseElementsAttr::get(type, value));
      return scalar(value);
    };
    Value zero = constant(0.0f);
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
    return arith::SelectOp::create(
        b, loc, empty, zero, arith::DivFOp::create(b, loc, constant(1.0f), sum));
  }

  /// combine over `values` as a balanced tree.
  Value pairwise(ArrayRef<Value> values, function_ref<Value(Value, Value)> combine) {
    SmallVector<Value> level(values);
    while (level.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < level.size(); i += 2)
        next.push_back(combine(level[i], level[i + 1]));
      if (level.size() % 2)
        next.push_back(level.back());
      level = std::move(next);
    }
    return level.front();
  }
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs ? arith::AddIOp::create(b, loc, lhs, index(rhs)).getResult()
               : lhs;
  }
  Value add(Value lhs, Value rhs) {
    return arith::AddIOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, int64_t rhs) {
    return rhs == 1 ? lhs
                    : arith::MulIOp::create(b, loc, lhs, index(rhs)).getResult();
  }
  Value scalar(float value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }
  Value splat(float value) {
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(vf32, value));
  }
  void forLoop(Value lower, Value upper, int64_t step,
               function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lower, upper, index(step), ValueRange{},
                       [&](OpBuilder &nb, Location, Value iv, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         b.setInsertionPointToStart(nb.getInsertionBlock());
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }
  void forLoop(int64_t lower, int64_t upper, int64_t step,
               function_ref<void(Value)> body) {
    forLoop(index(lower), index(upper), step, body);
  }

  OpBuilder &b;
  Location loc;
  lathe::dispatch::AttentionOp op;
  int64_t lanes, keyBlock;
  Type f32, i32;
  VectorType vf32, vi32;
  int64_t batch, kvHeads, groups, queries, headDim, keys, valueDim;
  Value qT, oT, maskT, positionScratch, inverseScratch;
};

struct FlashAttentionPass
    : lathe::cpu::impl::FlashAttentionBase<FlashAttentionPass> {
  using FlashAttentionBase::FlashAttentionBase;

  void runOnOperation() override {
    if (lanes < 1 || keyBlock < 1) {
      getOperation().emitError(
          "lathe-cpu-flash-attention: lanes and key-block must be positive");
      return signalPassFailure();
    }
    SmallVector<lathe::dispatch::AttentionOp> ops;
    WalkResult walk = getOperation().walk([&](lathe::dispatch::AttentionOp op) {
      if (op->getNumResults() != 0) {
        op.emitOpError("must be bufferized before lathe-cpu-flash-attention");
        return WalkResult::interrupt();
      }
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (lathe::dispatch::AttentionOp op : ops) {
      OpBuilder b(op);
      AttentionEmitter(b, op, lanes, keyBlock).emit();
      op.erase();
    }
  }
};

} // namespace
