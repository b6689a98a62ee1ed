//===- MatmulMicrokernel.cpp - Register-blocked f32 matmul for the CPU ----===//
//
// Rewrites the f32 linalg.matmul of a kernel into the GotoBLAS loop nest:
// blocks of B (kc x nc) and of A (mc x kc) are copied into contiguous scratch
// buffers, and a register tile of `rows` x `width` accumulators is updated
// with one broadcast-FMA per row and k while a kc x width panel of B stays in
// L1. Without the copies, rows of A or B that are a multiple of 4 KiB apart
// fall into the same L1/L2 sets and the kernel runs from L3.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuCodegen.h"

#include "dialects/dispatch/DispatchOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

namespace lathe::cpu {
#define GEN_PASS_DEF_MATMULMICROKERNEL
#include "codegen/cpu/CpuPasses.h.inc"
} // namespace lathe::cpu

using namespace mlir;

namespace {

/// f32 elements in a 64-byte cache line.
constexpr int64_t kLineFloats = 16;

/// Reassociation of C's panel view [m, n/width, width] back to [m, n].
SmallVector<ReassociationIndices> panelViewColumns() { return {{0}, {1, 2}}; }

/// matrices[index] of a [batch, rows, columns] buffer, as a 2-D view.
Value matrixOfBatch(OpBuilder &b, Location loc, Value matrices, Value index) {
  auto type = cast<MemRefType>(matrices.getType());
  SmallVector<OpFoldResult> offsets = {index, b.getIndexAttr(0),
                                       b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                     b.getIndexAttr(type.getDimSize(1)),
                                     b.getIndexAttr(type.getDimSize(2))};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  auto matrixType = memref::SubViewOp::inferRankReducedResultType(
      type.getShape().drop_front(), type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(matrixType),
                                   matrices, offsets, sizes, strides);
}

/// Largest divisor of `extent` that is a multiple of `step` and at most
/// `limit` (`step` itself divides `extent`).
int64_t blockSize(int64_t extent, int64_t step, int64_t limit) {
  for (int64_t size = std::max(limit / step, int64_t(1)) * step; size > step;
       size -= step)
    if (extent % size == 0)
      return size;
  return step;
}

/// Sizes of one rewritten matmul C[m,n] += A[m,k] * B[k,n], and of its
/// blocks: `rows` x `width` accumulators in registers, a `kc` x `width`
/// panel of B in L1, an `mc` x `kc` block of A in L2.
struct MatmulTiling {
  int64_t m, n, k;
  int64_t rows, width, mc, kc, nc;
  /// C starts at zero (the matmul replaced a zero fill): the first K block
  /// stores its sums instead of adding them to C.
  bool zeroInit = false;
};

class MatmulEmitter {
public:
  MatmulEmitter(OpBuilder &b, Location loc, const MatmulTiling &tiling)
      : b(b), loc(loc), t(tiling),
        vectorType(VectorType::get({tiling.width}, b.getF32Type())) {}

  /// Emits the loop nest at the builder's insertion point, packing blocks of
  /// A into `packedA` (memref<ceil(mc/rows) x rows x kc>) and of B into
  /// `packedB` (memref<nc/width x kc x width>). Without `packedB`, B is
  /// already in panels (memref<n/width x k x width>) and read in place.
  void emitPacked(Value a, Value bMatrix, Value c, Value packedA,
                  Value packedB) {
    forLoop(0, t.n, t.nc, [&](Value n0) {
      forLoop(0, t.k, t.kc, [&](Value k0) {
        Value overwrite = firstBlock(k0);
        if (packedB)
          packB(bMatrix, packedB, k0, n0);
        auto rowBlock = [&](Value m0, int64_t blockRows) {
          packA(a, packedA, blockRows, m0, k0);
          // Each panel of B stays in L1 while every tile of the block uses it.
          forLoop(0, t.nc / t.width, 1, [&](Value j) {
            Value column = add(n0, mul(j, t.width));
            Value panel = packedB ? Value() : panelOf(column);
            forTiles(blockRows, [&](Value r0, int64_t tileRows) {
              Value tile = arith::DivUIOp::create(b, loc, r0, constant(t.rows));
              emitTile(tileRows, add(m0, r0), column, c, overwrite,
                       [&](Value r, Value k) {
                         return load(packedA, {tile, r, k});
                       },
                       [&](Value k) -> Value {
                         if (!packedB)
                           return panelRow(bMatrix, panel, add(k0, k));
                         return vector::LoadOp::create(
                             b, loc, vectorType, packedB,
                             ValueRange{j, k, constant(0)});
                       });
            });
          });
        };
        int64_t mainRows = t.m - t.m % t.mc;
        if (mainRows > 0)
          forLoop(0, mainRows, t.mc,
                  [&](Value m0) { rowBlock(m0, t.mc); });
        if (t.m % t.mc)
          rowBlock(constant(mainRows), t.m % t.mc);
      });
    });
  }

  /// Emits the loop nest reading A and B in place, for matmuls with too few
  /// rows to amortize packing (B in panels when `prepacked`).
  void emitDirect(Value a, Value bMatrix, Value c, bool prepacked) {
    forLoop(0, t.n, t.width, [&](Value column) {
      Value panel = prepacked ? panelOf(column) : Value();
      forLoop(0, t.k, t.kc, [&](Value k0) {
        Value overwrite = firstBlock(k0);
        forTiles(t.m, [&](Value m0, int64_t tileRows) {
          emitTile(tileRows, m0, column, c, overwrite,
                   [&](Value r, Value k) {
                     return load(a, {add(m0, r), add(k0, k)});
                   },
                   [&](Value k) -> Value {
                     if (prepacked)
                       return panelRow(bMatrix, panel, add(k0, k));
                     return vector::LoadOp::create(
                         b, loc, vectorType, bMatrix,
                         ValueRange{add(k0, k), column});
                   });
        });
      });
    });
  }

private:
  /// With a zero-initialized C: whether K block `k0` is the first; else null.
  Value firstBlock(Value k0) {
    if (!t.zeroInit)
      return {};
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k0,
                                 constant(0));
  }

  Value constant(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }

  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, constant(y));
  }

  Value load(Value memref, ArrayRef<Value> indices) {
    return memref::LoadOp::create(b, loc, memref, indices);
  }

  void forLoop(int64_t lb, int64_t ub, int64_t step,
               function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, constant(lb), constant(ub),
                                   constant(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  /// Calls `body(r0, tileRows)` for the register tiles covering `extent`
  /// rows: a loop of full tiles, then the remainder.
  void forTiles(int64_t extent, function_ref<void(Value, int64_t)> body) {
    int64_t full = extent - extent % t.rows;
    if (full > 0)
      forLoop(0, full, t.rows, [&](Value r0) { body(r0, t.rows); });
    if (extent % t.rows)
      body(constant(full), extent % t.rows);
  }

  /// packed[j][k][:] = B[k0 + k][n0 + j * width : +width], a group of rows
  /// at a time: the group's rows are read sequentially (walking a column
  /// panel down K would touch a new page per load and defeat the hardware
  /// prefetcher), and each panel gets a contiguous run of rows (storing one
  /// row across all panels writes lines `kc * width` floats apart, which
  /// share an L1 set). Each load prefetches the same columns of the next
  /// group's rows: the rows are a page or more apart, and the hardware
  /// prefetchers, which stop at page boundaries, leave every row segment a
  /// cache miss.
  void packB(Value bMatrix, Value packed, Value k0, Value n0) {
    int64_t group = blockSize(t.kc, 1, 8);
    forLoop(0, t.kc, group, [&](Value kGroup) {
      forLoop(0, t.nc / t.width, 1, [&](Value j) {
        Value column = add(n0, mul(j, t.width));
        for (int64_t i = 0; i < group; ++i) {
          Value k = add(kGroup, constant(i));
          Value row = add(k0, k);
          prefetch(bMatrix, clampedAdd(row, group, t.k - 1), column);
          Value part = vector::LoadOp::create(b, loc, vectorType, bMatrix,
                                              ValueRange{row, column});
          vector::StoreOp::create(b, loc, part, packed,
                                  ValueRange{j, k, constant(0)});
        }
      });
    });
  }

  /// packed[r / rows][r % rows][k] = A[m0 + r][k0 + k] for the rows of one
  /// block: a row copy, one vector per cache line. The register tile then
  /// reads its rows `kc` floats apart, which spreads them over L1 sets
  /// whatever A's row stride is.
  void packA(Value a, Value packed, int64_t blockRows, Value m0, Value k0) {
    int64_t chunk = blockSize(t.kc, 1, kLineFloats);
    VectorType chunkType = VectorType::get({chunk}, b.getF32Type());
    forTiles(blockRows, [&](Value r0, int64_t tileRows) {
      Value tile = arith::DivUIOp::create(b, loc, r0, constant(t.rows));
      Value firstRow = add(m0, r0);
      for (int64_t r = 0; r < tileRows; ++r) {
        Value row = add(firstRow, constant(r));
        forLoop(0, t.kc, chunk, [&](Value k) {
          Value part = vector::LoadOp::create(b, loc, chunkType, a,
                                              ValueRange{row, add(k0, k)});
          vector::StoreOp::create(b, loc, part, packed,
                                  ValueRange{tile, constant(r), k});
        });
      }
    });
  }

  /// The panel of a B laid out in panels that holds columns [column,
  /// column + width).
  Value panelOf(Value column) {
    return arith::DivUIOp::create(b, loc, column, constant(t.width));
  }

  /// Row `k` of panel `panel` of a B laid out in panels.
  Value panelRow(Value panels, Value panel, Value k) {
    return vector::LoadOp::create(b, loc, vectorType, panels,
                                  ValueRange{panel, k, constant(0)});
  }

  /// min(index + offset, last).
  Value clampedAdd(Value index, int64_t offset, int64_t last) {
    return arith::MinUIOp::create(b, loc, add(index, constant(offset)),
                                  constant(last));
  }

  /// Prefetches matrix[row][column] into L1 for reading.
  void prefetch(Value matrix, Value row, Value column) {
    memref::PrefetchOp::create(b, loc, matrix, ValueRange{row, column},
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }

  /// C[cRow : cRow + tileRows][column : column + width] +=
  ///   sum over k < kc of aElement(r, k) * bRow(k),
  /// or = instead of += where `overwrite` (an i1, or null) holds.
  void emitTile(int64_t tileRows, Value cRow, Value column, Value c,
                Value overwrite, function_ref<Value(Value, Value)> aElement,
                function_ref<Value(Value)> bRow) {
    // The accumulators start at zero and C is added at the end, when the
    // prefetches issued here have brought it in: C is too large to stay in
    // cache between the K blocks of a big matmul, and loading it first would
    // stall every tile on a memory round trip. The prefetches go to L2: rows
    // of C a power of two apart share L1 sets with the panels, which would
    // evict the lines before the tile ends.
    SmallVector<Value> rowIndex;
    for (int64_t r = 0; r < tileRows; ++r) {
      rowIndex.push_back(add(cRow, constant(r)));
      memref::PrefetchOp::create(b, loc, c, ValueRange{rowIndex.back(), column},
                                 /*isWrite=*/false, /*localityHint=*/2,
                                 /*isDataCache=*/true);
    }
    Value zero = arith::ConstantOp::create(
        b, loc, vectorType, DenseElementsAttr::get(vectorType, 0.0f));
    SmallVector<Value> accumulators(tileRows, zero);
    auto loop = scf::ForOp::create(
        b, loc, constant(0), constant(t.kc), constant(1), accumulators,
        [&](OpBuilder &nested, Location, Value k, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(nested.getInsertionBlock());
          Value bVector = bRow(k);
          SmallVector<Value> next;
          for (int64_t r = 0; r < tileRows; ++r) {
            Value splat = vector::BroadcastOp::create(
                b, loc, vectorType, aElement(constant(r), k));
            next.push_back(vector::FMAOp::create(b, loc, splat, bVector, acc[r]));
          }
          scf::YieldOp::create(b, loc, next);
        });
    auto storeTile = [&](bool accumulate) {
      for (int64_t r = 0; r < tileRows; ++r) {
        ValueRange at{rowIndex[r], column};
        Value sum = loop.getResult(r);
        if (accumulate)
          sum = arith::AddFOp::create(
              b, loc, vector::LoadOp::create(b, loc, vectorType, c, at), sum);
        vector::StoreOp::create(b, loc, sum, c, at);
      }
    };
    if (!overwrite) {
      storeTile(/*accumulate=*/true);
      return;
    }
    auto branch = scf::IfOp::create(b, loc, overwrite, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    storeTile(/*accumulate=*/false);
    b.setInsertionPoint(branch.elseBlock()->getTerminator());
    storeTile(/*accumulate=*/true);
  }

  OpBuilder &b;
  Location loc;
  MatmulTiling t;
  VectorType vectorType;
};

struct MatmulMicrokernelPass
    : lathe::cpu::impl::MatmulMicrokernelBase<MatmulMicrokernelPass> {
  using MatmulMicrokernelBase::MatmulMicrokernelBase;

  void runOnOperation() override {
    if (registerRows < 1 || registerWidth < 1 || cacheBlockK < 1 ||
        cacheBlockN < registerWidth) {
      getOperation().emitError("lathe-cpu-matmul-microkernel: register and "
                               "cache block sizes must be positive, with "
                               "cache-block-n >= register-width");
      return signalPassFailure();
    }
    SmallVector<MatmulOperands> matmuls;
    getOperation().walk([&](func::FuncOp func) {
      if (func->hasAttr(lathe::dispatch::kKernelAttrName))
        func.walk([&](linalg::LinalgOp op) {
          if (auto operands = matchMatmul(op))
            matmuls.push_back(*operands);
        });
    });
    for (MatmulOperands &mm : matmuls)
      rewrite(mm);
  }

  /// C[m, n] += A[m, k] * B[k, n] on buffers, B either plain or in the
  /// panels of lathe-cpu-pack-weights (then C is viewed as [m, n/width,
  /// width] and `c` is that view), or a batch of such products on
  /// [batch, ...] operands.
  struct MatmulOperands {
    linalg::LinalgOp op;
    Value a, b, c;
    bool prepacked = false;
    bool batched = false;
  };

  /// Plain f32 matmuls on buffers with static shapes, unit inner strides and
  /// N a multiple of the register width, and the packed form whose panels
  /// are the register width; everything else keeps linalg's loops.
  std::optional<MatmulOperands> matchMatmul(linalg::LinalgOp op) const {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1)
      return std::nullopt;
    for (Type type : op->getOperandTypes()) {
      auto memref = cast<MemRefType>(type);
      if (!memref.getElementType().isF32() || !memref.hasStaticShape() ||
          !lathe::cpu::hasUnitInnerStride(memref))
        return std::nullopt;
    }
    MatmulOperands mm{op, op.getDpsInputs()[0], op.getDpsInputs()[1],
                      op.getDpsInits()[0]};
    auto columns = [&] {
      return cast<MemRefType>(mm.c.getType()).getShape().back();
    };
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
      if (matmul.hasUserDefinedMaps() || columns() % registerWidth)
        return std::nullopt;
      return mm;
    }
    if (auto matmul = dyn_cast<linalg::BatchMatmulOp>(op.getOperation())) {
      if (matmul.hasUserDefinedMaps() || columns() % registerWidth)
        return std::nullopt;
      mm.batched = true;
      return mm;
    }
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || !linalg::isaContractionOpInterface(generic) ||
        generic.getIndexingMapsArray() !=
            lathe::cpu::packedMatmulMaps(op->getContext()))
      return std::nullopt;
    auto panels = cast<MemRefType>(mm.b.getType());
    auto view = cast<MemRefType>(mm.c.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (panels.getDimSize(2) != registerWidth ||
        failed(panels.getStridesAndOffset(strides, offset)) ||
        strides[1] != registerWidth ||
        !memref::CollapseShapeOp::isGuaranteedCollapsible(view, panelViewColumns()))
      return std::nullopt;
    mm.prepacked = true;
    return mm;
  }

  void rewrite(MatmulOperands mm) {
    OpBuilder b(mm.op);
    Location loc = mm.op.getLoc();
    Value a = mm.a, bMatrix = mm.b, c = mm.c;
    // A zero fill of C right before the matmul (FormDispatches fuses it into
    // the matmul's workgroups) becomes the first K block's stores.
    bool zeroInit = false;
    auto fill = dyn_cast_or_null<linalg::FillOp>(mm.op->getPrevNode());
    if (fill && fill.hasPureBufferSemantics() &&
        fill.getDpsInits()[0] == mm.c &&
        matchPattern(fill.value(), m_PosZeroFloat())) {
      zeroInit = true;
      fill.erase();
    }
    if (mm.prepacked)
      c = memref::CollapseShapeOp::create(b, loc, c, panelViewColumns());
    if (mm.batched) {
      // One matmul per batch, on its matrices.
      auto batch = scf::ForOp::create(
          b, loc, arith::ConstantIndexOp::create(b, loc, 0),
          arith::ConstantIndexOp::create(b, loc,
                                         cast<MemRefType>(c.getType()).getDimSize(0)),
          arith::ConstantIndexOp::create(b, loc, 1));
      b.setInsertionPoint(batch.getBody()->getTerminator());
      Value index = batch.getInductionVar();
      a = matrixOfBatch(b, loc, a, index);
      bMatrix = matrixOfBatch(b, loc, bMatrix, index);
      c = matrixOfBatch(b, loc, c, index);
    }
    auto cType = cast<MemRefType>(c.getType());
    MatmulTiling tiling;
    tiling.m = cType.getDimSize(0);
    tiling.n = cType.getDimSize(1);
    tiling.k = cast<MemRefType>(a.getType()).getDimSize(1);
    tiling.rows = registerRows;
    tiling.width = registerWidth;
    tiling.kc = blockSize(tiling.k, 1, cacheBlockK);
    tiling.nc = blockSize(tiling.n, registerWidth, cacheBlockN);
    tiling.mc = std::min(tiling.m, std::max(cacheBlockM / registerRows, int64_t(1)) *
                                       registerRows);
    tiling.zeroInit = zeroInit;
    MatmulEmitter emitter(b, loc, tiling);
    // Packing pays off once each panel of B is reused by enough rows of A.
    // With B in panels already, A is read in place until its rows span
    // more memory than the TLB covers: on a 2-core AVX-512 Xeon, 192 rows
    // of K = 3072 (2.3 MiB) ran 10% faster packed, while 128 rows of
    // K = 2048 (1 MiB) and 256 of K = 1024 ran 5-8% faster in place.
    bool direct = tiling.m < packMinRows;
    if (mm.prepacked) {
      auto [strides, offset] = cast<MemRefType>(a.getType()).getStridesAndOffset();
      direct = tiling.m * strides[0] * int64_t(sizeof(float)) <= packASpan;
    }
    if (direct) {
      emitter.emitDirect(a, bMatrix, c, mm.prepacked);
      mm.op->erase();
      return;
    }
    Type f32 = b.getF32Type();
    auto scratch = [&](MemRefType type) {
      return lathe::cpu::createScratchBuffer(mm.op, type);
    };
    Value packedB;
    if (!mm.prepacked)
      packedB = scratch(MemRefType::get(
          {tiling.nc / tiling.width, tiling.kc, tiling.width}, f32));
    Value packedA = scratch(MemRefType::get(
        {llvm::divideCeilSigned(tiling.mc, tiling.rows), tiling.rows, tiling.kc}, f32));
    emitter.emitPacked(a, bMatrix, c, packedA, packedB);
    mm.op->erase();
  }
};

} // namespace
