//===- GgufImporter.cpp - GGUF LLM to graph-level MLIR ---------------------===//
//
// The llama forward pass, as llama.cpp's llm_build_llama computes it:
//
//   x = embeddings[tokens]
//   per layer:  h = rms_norm(x) * attn_norm
//               q, k, v = h Wq^T (+bq), h Wk^T (+bk), h Wv^T (+bv)
//               q, k = rope(q), rope(k);  cache[k, v] at positions p..p+S
//               x += attention(q, cache) Wo^T
//               h = rms_norm(x) * ffn_norm
//               x += (silu(h Wgate^T) * h Wup^T) Wdown^T
//   logits = (rms_norm(x) * output_norm) Wout^T     (Wout = embeddings if tied)
//
// Entries: decode (one token) returns the logits; prefill (a chunk) returns
// the normalized hidden rows rms_norm(x) * output_norm, and `head` turns one
// such row into logits: a prompt needs the logits of its last token only.
//
// qwen2 adds the q/k/v biases and rotates half-split channel pairs (NeoX
// RoPE); llama rotates adjacent pairs, the layout llama.cpp's converter
// gives the q/k weights.
//
//===----------------------------------------------------------------------===//
#include "frontend/gguf/GgufImporter.h"

#include "dialects/graph/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
namespace gguf = lathe::gguf;
namespace graph = lathe::graph;

namespace lathe::gguf_import {

llvm::StringRef supportedArchitectures() { return "llama, qwen2"; }

namespace {

/// Hyperparameters of a llama-family model.
struct LlmConfig {
  std::string arch;
  int64_t embedding = 0, layers = 0, feedForward = 0, heads = 0, kvHeads = 0;
  int64_t headDim = 0, ropeDims = 0, vocab = 0, context = 0;
  double ropeBase = 10000.0, ropeFreqScale = 1.0, rmsEpsilon = 1e-5;
  bool qkvBias = false, ropeInterleaved = true, tiedEmbeddings = false;
};

/// One weight the model binds: a GGUF tensor and how the IR sees it.
struct Param {
  const gguf::GgufTensorInfo *tensor;
  /// 2-D weights: the block encoding; 1-D vectors are plain floats.
  std::optional<graph::GgmlType> format;
  RankedTensorType type;
};

std::optional<graph::GgmlType> toGraphType(gguf::GgmlType type) {
  switch (type) {
  case gguf::GgmlType::F32:
    return graph::GgmlType::F32;
  case gguf::GgmlType::F16:
    return graph::GgmlType::F16;
  case gguf::GgmlType::BF16:
    return graph::GgmlType::BF16;
  case gguf::GgmlType::Q8_0:
    return graph::GgmlType::Q8_0;
  case gguf::GgmlType::Q4_0:
    return graph::GgmlType::Q4_0;
  case gguf::GgmlType::Q4_1:
    return graph::GgmlType::Q4_1;
  case gguf::GgmlType::Q4_K:
    return graph::GgmlType::Q4_K;
  case gguf::GgmlType::Q6_K:
    return graph::GgmlType::Q6_K;
  default:
    return std::nullopt;
  }
}

class LlmBuilder {
public:
  LlmBuilder(MLIRContext &context, StringRef path, const gguf::GgufFile &file,
             const LlmOptions &options)
      : ctx(context), path(path), file(file), options(options),
        b(&context), loc(FileLineColLoc::get(&context, path, 0, 0)) {}

  OwningOpRef<ModuleOp> build(WeightsLayout &layout);

private:
  /// Errors name the file in their text, so they carry no location.
  InFlightDiagnostic error() {
    return emitError(UnknownLoc::get(&ctx)) << path << ": ";
  }

  LogicalResult readConfig();
  FailureOr<int64_t> readCount(StringRef key, bool required, int64_t fallback);
  LogicalResult planParams();
  LogicalResult addMatrix(const std::string &name, int64_t rows,
                          int64_t columns);
  LogicalResult addVector(const std::string &name, int64_t size);
  void planLayout(WeightsLayout &layout);
  func::FuncOp buildEntry(ModuleOp module, StringRef name, int64_t tokens,
                          bool returnsHidden, const WeightsLayout &layout);
  void buildHead(ModuleOp module, const WeightsLayout &layout);
  /// Marks `func` as an entry with these input and output names and dtypes.
  void markEntry(func::FuncOp func, ArrayRef<StringRef> inputNames,
                 ArrayRef<StringRef> inputDtypes, StringRef outputName);
  const std::string &headWeight() const {
    static const std::string tied = "token_embd.weight", own = "output.weight";
    return config.tiedEmbeddings ? tied : own;
  }

  // Tensor-level helpers used while building an entry body.
  Value param(const std::string &name) { return paramValues.lookup(name); }
  Value linear(Value x, const std::string &weight, const std::string &bias);
  Value rmsNorm(Value x, const std::string &weight);
  Value vectorAsF32(Value v);
  Value addBias(Value x, Value bias);
  Value add(Value lhs, Value rhs);
  Value swiglu(Value gate, Value up);
  Value toHeads(Value x, int64_t heads);
  Value fromHeads(Value x);
  /// A linalg.generic of parallel loops over `type`'s shape, writing one
  /// element of that type per iteration with `body` (given the inputs'
  /// elements, read through `inputMaps`).
  Value parallelGeneric(
      RankedTensorType type, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
      function_ref<Value(OpBuilder &, Location, ValueRange)> body);
  Value emptyLike(RankedTensorType type) {
    return tensor::EmptyOp::create(b, loc, type.getShape(),
                                   type.getElementType());
  }

  MLIRContext &ctx;
  std::string path;
  const gguf::GgufFile &file;
  LlmOptions options;
  OpBuilder b;
  Location loc;
  LlmConfig config;
  int64_t cacheLength = 0;
  std::vector<std::string> paramOrder;
  llvm::StringMap<Param> params;
  llvm::StringMap<Value> paramValues;
};

FailureOr<int64_t> LlmBuilder::readCount(StringRef key, bool required,
                                         int64_t fallback) {
  std::string full = config.arch + "." + key.str();
  if (!file.findMetadata(full)) {
    if (required) {
      error() << "missing metadata '" << full << "' (required by "
              << config.arch << ")";
      return failure();
    }
    return fallback;
  }
  gguf::GgufResult<uint64_t> value = file.getUInt(full);
  // Counts beyond 2^31 are nonsense for these models and would overflow the
  // products below.
  if (!value || *value == 0 || *value > (uint64_t(1) << 31)) {
    error() << "metadata '" << full << "' must be an integer in [1, 2^31]";
    return failure();
  }
  return static_cast<int64_t>(*value);
}

LogicalResult LlmBuilder::readConfig() {
  gguf::GgufResult<std::string_view> arch =
      file.getString("general.architecture");
  if (!arch) {
    error() << arch.getError().getMessage();
    return failure();
  }
  config.arch = std::string(*arch);
  if (config.arch != "llama" && config.arch != "qwen2") {
    error() << "unsupported architecture '"
            << gguf::escapeForDisplay(config.arch)
            << "' (supported: " << supportedArchitectures() << ")";
    return failure();
  }
  config.qkvBias = config.arch == "qwen2";
  config.ropeInterleaved = config.arch == "llama";

  auto count = [&](StringRef key, int64_t &out, bool required,
                   int64_t fallback) -> LogicalResult {
    FailureOr<int64_t> value = readCount(key, required, fallback);
    if (failed(value))
      return failure();
    out = *value;
    return success();
  };
  if (failed(count("embedding_length", config.embedding, true, 0)) ||
      failed(count("block_count", config.layers, true, 0)) ||
      failed(count("feed_forward_length", config.feedForward, true, 0)) ||
      failed(count("attention.head_count", config.heads, true, 0)) ||
      failed(count("attention.head_count_kv", config.kvHeads, false,
                   config.heads)) ||
      failed(count("context_length", config.context, false, 2048)))
    return failure();
  if (config.embedding % config.heads != 0) {
    error() << "embedding length " << config.embedding
            << " is not a multiple of the head count " << config.heads;
    return failure();
  }
  if (config.heads % config.kvHeads != 0) {
    error() << "head count " << config.heads
            << " is not a multiple of the KV head count " << config.kvHeads;
    return failure();
  }
  config.headDim = config.embedding / config.heads;
  if (failed(count("rope.dimension_count", config.ropeDims, false,
                   config.headDim)))
    return failure();
  if (config.ropeDims % 2 != 0 || config.ropeDims > config.headDim) {
    error() << "rope dimension count " << config.ropeDims
            << " must be even and at most the head size " << config.headDim;
    return failure();
  }

  auto real = [&](StringRef key, double &out) -> LogicalResult {
    std::string full = config.arch + "." + key.str();
    if (!file.findMetadata(full))
      return success();
    gguf::GgufResult<double> value = file.getFloat(full);
    if (!value || !std::isfinite(*value) || *value <= 0) {
      error() << "metadata '" << full << "' must be a positive number";
      return failure();
    }
    out = *value;
    return success();
  };
  if (failed(real("rope.freq_base", config.ropeBase)) ||
      failed(real("attention.layer_norm_rms_epsilon", config.rmsEpsilon)))
    return failure();
  // As llama.cpp: a scaling factor (or the older rope.scale_linear) without a
  // type is linear scaling; type "none" turns it off.
  std::string scaling = "linear";
  std::string scalingKey = config.arch + ".rope.scaling.type";
  if (file.findMetadata(scalingKey)) {
    gguf::GgufResult<std::string_view> type = file.getString(scalingKey);
    if (!type) {
      error() << type.getError().getMessage();
      return failure();
    }
    scaling = std::string(*type);
  }
  double factor = 1.0;
  if (failed(real("rope.scale_linear", factor)) ||
      failed(real("rope.scaling.factor", factor)))
    return failure();
  if (scaling == "linear") {
    config.ropeFreqScale = 1.0 / factor;
  } else if (scaling != "none") {
    error() << "unsupported rope scaling '" << gguf::escapeForDisplay(scaling)
            << "' (supported: none, linear)";
    return failure();
  }

  const gguf::GgufTensorInfo *embeddings = file.findTensor("token_embd.weight");
  if (!embeddings || embeddings->Dims.size() != 2) {
    error() << "missing 2-D tensor 'token_embd.weight'";
    return failure();
  }
  config.vocab = static_cast<int64_t>(embeddings->Dims[1]);
  config.tiedEmbeddings = !file.findTensor("output.weight");
  return success();
}

LogicalResult LlmBuilder::addMatrix(const std::string &name, int64_t rows,
                                    int64_t columns) {
  const gguf::GgufTensorInfo *tensor = file.findTensor(name);
  if (!tensor) {
    error() << "missing tensor '" << name << "' (" << config.arch << ")";
    return failure();
  }
  if (tensor->Dims.size() != 2 || tensor->Dims[0] != uint64_t(columns) ||
      tensor->Dims[1] != uint64_t(rows)) {
    InFlightDiagnostic diag = error();
    diag << "tensor '" << name << "' has dims [";
    llvm::interleaveComma(tensor->Dims, diag);
    diag << "], expected [" << columns << ", " << rows << "]";
    return failure();
  }
  std::optional<graph::GgmlType> format = toGraphType(tensor->Type->Type);
  if (!format) {
    error() << "tensor '" << name << "' has weight type " << tensor->Type->Name
            << ", which Lathe does not support yet (supported: f32, f16, "
               "bf16, q8_0, q4_0, q4_1, q4_K, q6_K)";
    return failure();
  }
  graph::GgmlBlockLayout block = graph::getBlockLayout(*format);
  int64_t rowBytes = columns / block.weights * block.bytes;
  params[name] = Param{tensor, format,
                       RankedTensorType::get({rows, rowBytes}, b.getI8Type())};
  paramOrder.push_back(name);
  return success();
}

LogicalResult LlmBuilder::addVector(const std::string &name, int64_t size) {
  const gguf::GgufTensorInfo *tensor = file.findTensor(name);
  if (!tensor) {
    error() << "missing tensor '" << name << "' (" << config.arch << ")";
    return failure();
  }
  if (tensor->Dims.size() != 1 || tensor->Dims[0] != uint64_t(size)) {
    InFlightDiagnostic diag = error();
    diag << "tensor '" << name << "' has dims [";
    llvm::interleaveComma(tensor->Dims, diag);
    diag << "], expected [" << size << "]";
    return failure();
  }
  Type element;
  switch (tensor->Type->Type) {
  case gguf::GgmlType::F32:
    element = b.getF32Type();
    break;
  case gguf::GgmlType::F16:
    element = b.getF16Type();
    break;
  case gguf::GgmlType::BF16:
    element = b.getBF16Type();
    break;
  default:
    error() << "tensor '" << name << "' has type " << tensor->Type->Name
            << "; vectors must be f32, f16 or bf16";
    return failure();
  }
  params[name] = Param{tensor, std::nullopt,
                       RankedTensorType::get({size}, element)};
  paramOrder.push_back(name);
  return success();
}

LogicalResult LlmBuilder::planParams() {
  int64_t d = config.embedding, hd = config.headDim;
  int64_t q = config.heads * hd, kv = config.kvHeads * hd;
  if (failed(addMatrix("token_embd.weight", config.vocab, d)))
    return failure();
  for (int64_t l = 0; l < config.layers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    if (failed(addVector(p + "attn_norm.weight", d)) ||
        failed(addMatrix(p + "attn_q.weight", q, d)) ||
        failed(addMatrix(p + "attn_k.weight", kv, d)) ||
        failed(addMatrix(p + "attn_v.weight", kv, d)))
      return failure();
    if (config.qkvBias && (failed(addVector(p + "attn_q.bias", q)) ||
                           failed(addVector(p + "attn_k.bias", kv)) ||
                           failed(addVector(p + "attn_v.bias", kv))))
      return failure();
    if (failed(addMatrix(p + "attn_output.weight", d, q)) ||
        failed(addVector(p + "ffn_norm.weight", d)) ||
        failed(addMatrix(p + "ffn_gate.weight", config.feedForward, d)) ||
        failed(addMatrix(p + "ffn_up.weight", config.feedForward, d)) ||
        failed(addMatrix(p + "ffn_down.weight", d, config.feedForward)))
      return failure();
  }
  if (failed(addVector("output_norm.weight", d)))
    return failure();
  if (!config.tiedEmbeddings &&
      failed(addMatrix("output.weight", config.vocab, d)))
    return failure();
  return success();
}

/// The weights file repeats the source's header fields and metadata, then
/// lists the used tensors, then their data at the source's alignment.
void LlmBuilder::planLayout(WeightsLayout &layout) {
  uint64_t metadataEnd = file.getTensors().front().InfoOffset;
  uint64_t offset = metadataEnd; // header (24 bytes) and metadata, as copied
  for (const std::string &name : paramOrder) {
    const gguf::GgufTensorInfo *t = params[name].tensor;
    // name (u64 length + bytes), n_dims (u32), dims (u64 each), type (u32),
    // offset (u64)
    offset += 8 + t->Name.size() + 4 + 8 * t->Dims.size() + 4 + 8;
  }
  uint64_t alignment = file.getAlignment();
  layout.dataSectionOffset = llvm::alignTo(offset, alignment);
  uint64_t data = 0;
  layout.tensors.clear();
  for (const std::string &name : paramOrder) {
    const gguf::GgufTensorInfo *t = params[name].tensor;
    data = llvm::alignTo(data, alignment);
    layout.tensors.push_back({t, layout.dataSectionOffset + data});
    data += t->NumBytes;
  }
  layout.fileSize = layout.dataSectionOffset + data;
}

//===----------------------------------------------------------------------===//
// Entry bodies
//===----------------------------------------------------------------------===//

Value LlmBuilder::parallelGeneric(
    RankedTensorType type, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  return linalg::GenericOp::create(
             b, loc, type, inputs, ValueRange{emptyLike(type)}, maps,
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

Value LlmBuilder::vectorAsF32(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType().isF32())
    return v;
  auto f32Type = RankedTensorType::get(type.getShape(), b.getF32Type());
  return parallelGeneric(f32Type, v, b.getMultiDimIdentityMap(type.getRank()),
                         [](OpBuilder &nb, Location l, ValueRange args) {
                           return arith::ExtFOp::create(nb, l, nb.getF32Type(),
                                                        args[0])
                               .getResult();
                         });
}

/// x [S, N] + bias [N].
Value LlmBuilder::addBias(Value x, Value bias) {
  auto type = cast<RankedTensorType>(x.getType());
  AffineExpr s, n;
  bindDims(&ctx, s, n);
  return parallelGeneric(
      type, {x, vectorAsF32(bias)},
      {AffineMap::get(2, 0, {s, n}, &ctx), AffineMap::get(2, 0, {n}, &ctx)},
      [](OpBuilder &nb, Location l, ValueRange args) {
        return arith::AddFOp::create(nb, l, args[0], args[1]).getResult();
      });
}

Value LlmBuilder::add(Value lhs, Value rhs) {
  auto type = cast<RankedTensorType>(lhs.getType());
  return linalg::AddOp::create(b, loc, ValueRange{lhs, rhs},
                               ValueRange{emptyLike(type)})
      .getResult(0);
}

/// silu(gate) * up = gate / (1 + exp(-gate)) * up.
Value LlmBuilder::swiglu(Value gate, Value up) {
  auto type = cast<RankedTensorType>(gate.getType());
  AffineMap id = b.getMultiDimIdentityMap(2);
  return parallelGeneric(
      type, {gate, up}, {id, id}, [](OpBuilder &nb, Location l, ValueRange args) {
        Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0));
        Value negated = arith::NegFOp::create(nb, l, args[0]);
        Value denominator = arith::AddFOp::create(
            nb, l, one, math::ExpOp::create(nb, l, negated));
        Value silu = arith::DivFOp::create(nb, l, args[0], denominator);
        return arith::MulFOp::create(nb, l, silu, args[1]).getResult();
      });
}

Value LlmBuilder::linear(Value x, const std::string &weight,
                         const std::string &bias) {
  const Param &w = params[weight];
  Value y = graph::QuantizedMatmulOp::create(b, loc, x, param(weight), *w.format);
  if (!bias.empty())
    y = addBias(y, param(bias));
  return y;
}

Value LlmBuilder::rmsNorm(Value x, const std::string &weight) {
  return graph::RmsNormOp::create(
      b, loc, x, vectorAsF32(param(weight)), b.getI64IntegerAttr(1),
      b.getF32FloatAttr(static_cast<float>(config.rmsEpsilon)));
}

/// [S, H * hd] -> [1, H, S, hd].
Value LlmBuilder::toHeads(Value x, int64_t heads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t s = type.getDimSize(0), hd = config.headDim;
  auto split = RankedTensorType::get({1, s, heads, hd}, b.getF32Type());
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, split, x, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
  auto headsType = RankedTensorType::get({1, heads, s, hd}, b.getF32Type());
  return linalg::TransposeOp::create(b, loc, expanded, emptyLike(headsType),
                                     ArrayRef<int64_t>{0, 2, 1, 3})
      .getResult()[0];
}

/// [1, H, S, hd] -> [S, H * hd].
Value LlmBuilder::fromHeads(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t h = type.getDimSize(1), s = type.getDimSize(2), hd = type.getDimSize(3);
  auto tokensType = RankedTensorType::get({1, s, h, hd}, b.getF32Type());
  Value transposed =
      linalg::TransposeOp::create(b, loc, x, emptyLike(tokensType),
                                  ArrayRef<int64_t>{0, 2, 1, 3})
          .getResult()[0];
  auto flat = RankedTensorType::get({s, h * hd}, b.getF32Type());
  return tensor::CollapseShapeOp::create(
      b, loc, flat, transposed, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
}

func::FuncOp LlmBuilder::buildEntry(ModuleOp module, StringRef name,
                                    int64_t tokens, bool returnsHidden,
                                    const WeightsLayout &layout) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i64 = b.getI64Type();
  auto cacheType = RankedTensorType::get(
      {config.layers, config.kvHeads, cacheLength, config.headDim}, f32);
  auto tokensType = RankedTensorType::get({tokens}, i32);
  auto positionType = RankedTensorType::get({}, i64);
  auto resultType = RankedTensorType::get(
      {tokens, returnsHidden ? config.embedding : config.vocab}, f32);

  SmallVector<Type> argTypes = {tokensType, positionType};
  for (const std::string &p : paramOrder)
    argTypes.push_back(params[p].type);
  argTypes.push_back(cacheType);
  argTypes.push_back(cacheType);
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(argTypes, {resultType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);

  // Names, and what the runtime binds to the trailing arguments.
  markEntry(func, {tokens == 1 ? "token" : "tokens", "position"}, {"i32", "i64"},
            returnsHidden ? "hidden" : "logits");
  paramValues.clear();
  for (auto [i, p] : llvm::enumerate(paramOrder)) {
    unsigned arg = 2 + i;
    paramValues[p] = body->getArgument(arg);
    func.setArgAttr(arg, "lathe.param", b.getStringAttr(p));
    func.setArgAttr(arg, "lathe.param_offset",
                    b.getI64IntegerAttr(layout.tensors[i].fileOffset));
  }
  unsigned kArg = 2 + paramOrder.size(), vArg = kArg + 1;
  func.setArgAttr(kArg, "lathe.state", b.getStringAttr("k_cache"));
  func.setArgAttr(vArg, "lathe.state", b.getStringAttr("v_cache"));
  Value tokenIds = body->getArgument(0);
  Value kCache = body->getArgument(kArg), vCache = body->getArgument(vArg);

  // The position, clamped so that the tokens' cache rows exist: [0, L - S].
  Value position = parallelGeneric(
      positionType, body->getArgument(1), AffineMap::get(0, 0, {}, &ctx),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value low = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0));
        Value high = arith::ConstantOp::create(
            nb, l, nb.getI64IntegerAttr(cacheLength - tokens));
        return arith::MinSIOp::create(
                   nb, l, arith::MaxSIOp::create(nb, l, args[0], low), high)
            .getResult();
      });

  // RoPE angles (position + s) * theta_i, theta_i = scale * base^(-2i/R).
  int64_t pairs = config.ropeDims / 2;
  SmallVector<float> thetas;
  for (int64_t i = 0; i < pairs; ++i)
    thetas.push_back(static_cast<float>(
        config.ropeFreqScale *
        std::pow(config.ropeBase, -2.0 * double(i) / double(config.ropeDims))));
  auto thetaType = RankedTensorType::get({pairs}, f32);
  Value theta = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(thetaType, ArrayRef<float>(thetas)));
  auto angleType = RankedTensorType::get({1, tokens, pairs}, f32);
  AffineExpr d0, d1, d2;
  bindDims(&ctx, d0, d1, d2);
  auto rope = linalg::GenericOp::create(
      b, loc, TypeRange{angleType, angleType}, ValueRange{position, theta},
      ValueRange{emptyLike(angleType), emptyLike(angleType)},
      ArrayRef<AffineMap>{AffineMap::get(3, 0, {}, &ctx),
                          AffineMap::get(3, 0, {d2}, &ctx),
                          b.getMultiDimIdentityMap(3),
                          b.getMultiDimIdentityMap(3)},
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value s = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, l, 1));
        Value p = arith::AddIOp::create(nb, l, args[0], s);
        Value angle = arith::MulFOp::create(
            nb, l, arith::SIToFPOp::create(nb, l, nb.getF32Type(), p), args[1]);
        linalg::YieldOp::create(nb, l,
                                ValueRange{math::CosOp::create(nb, l, angle),
                                           math::SinOp::create(nb, l, angle)});
      });
  Value cos = rope.getResult(0), sin = rope.getResult(1);

  // Cache rows written by this call start at the clamped position.
  Value offset = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, position, ValueRange{}));

  Value x = graph::QuantizedGatherOp::create(
      b, loc, param("token_embd.weight"), tokenIds,
      *params["token_embd.weight"].format);
  float scale = static_cast<float>(1.0 / std::sqrt(double(config.headDim)));
  for (int64_t l = 0; l < config.layers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    auto bias = [&](StringRef what) {
      return config.qkvBias ? p + what.str() : std::string();
    };
    Value h = rmsNorm(x, p + "attn_norm.weight");
    Value q = toHeads(linear(h, p + "attn_q.weight", bias("attn_q.bias")),
                      config.heads);
    Value k = toHeads(linear(h, p + "attn_k.weight", bias("attn_k.bias")),
                      config.kvHeads);
    Value v = toHeads(linear(h, p + "attn_v.weight", bias("attn_v.bias")),
                      config.kvHeads);
    q = graph::RopeOp::create(b, loc, q, cos, sin, config.ropeInterleaved);
    k = graph::RopeOp::create(b, loc, k, cos, sin, config.ropeInterleaved);

    // This layer's rows [position, position + S) of the caches, then the
    // layer's whole cache as the attention's keys and values.
    SmallVector<OpFoldResult> at = {b.getIndexAttr(l), b.getIndexAttr(0),
                                    offset, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> rows = {b.getIndexAttr(1),
                                      b.getIndexAttr(config.kvHeads),
                                      b.getIndexAttr(tokens),
                                      b.getIndexAttr(config.headDim)};
    SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
    kCache = tensor::InsertSliceOp::create(b, loc, k, kCache, at, rows, ones);
    vCache = tensor::InsertSliceOp::create(b, loc, v, vCache, at, rows, ones);
    SmallVector<OpFoldResult> layerStart = {b.getIndexAttr(l), b.getIndexAttr(0),
                                            b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> layerRows = {
        b.getIndexAttr(1), b.getIndexAttr(config.kvHeads),
        b.getIndexAttr(cacheLength), b.getIndexAttr(config.headDim)};
    auto layerType = RankedTensorType::get(
        {1, config.kvHeads, cacheLength, config.headDim}, f32);
    Value keys = tensor::ExtractSliceOp::create(b, loc, layerType, kCache,
                                                layerStart, layerRows, ones);
    Value values = tensor::ExtractSliceOp::create(b, loc, layerType, vCache,
                                                  layerStart, layerRows, ones);
    // Token s (at position + s) sees cache rows j <= position + s; rows past
    // it hold other or no tokens.
    Value attended = graph::AttentionOp::create(
        b, loc, q, keys, values, /*mask=*/Value(), position,
        b.getF32FloatAttr(scale), b.getBoolAttr(true), b.getF32FloatAttr(0.0f),
        IntegerAttr());
    x = add(x, linear(fromHeads(attended), p + "attn_output.weight", ""));

    h = rmsNorm(x, p + "ffn_norm.weight");
    Value gate = linear(h, p + "ffn_gate.weight", "");
    Value up = linear(h, p + "ffn_up.weight", "");
    x = add(x, linear(swiglu(gate, up), p + "ffn_down.weight", ""));
  }
  x = rmsNorm(x, "output_norm.weight");
  Value result = returnsHidden ? x : linear(x, headWeight(), "");

  // The updated caches stay in the state buffers.
  bufferization::MaterializeInDestinationOp::create(
      b, loc, kCache, body->getArgument(kArg));
  bufferization::MaterializeInDestinationOp::create(
      b, loc, vCache, body->getArgument(vArg));
  func::ReturnOp::create(b, loc, result);
  return func;
}

void LlmBuilder::markEntry(func::FuncOp func, ArrayRef<StringRef> inputNames,
                           ArrayRef<StringRef> inputDtypes, StringRef outputName) {
  func->setAttr("lathe.entry", b.getUnitAttr());
  func->setAttr("lathe.input_names", b.getStrArrayAttr(inputNames));
  func->setAttr("lathe.input_dtypes", b.getStrArrayAttr(inputDtypes));
  func->setAttr("lathe.output_names", b.getStrArrayAttr({outputName}));
  func->setAttr("lathe.output_dtypes", b.getStrArrayAttr({"f32"}));
}

void LlmBuilder::buildHead(ModuleOp module, const WeightsLayout &layout) {
  Type f32 = b.getF32Type();
  auto hiddenType = RankedTensorType::get({1, config.embedding}, f32);
  auto logitsType = RankedTensorType::get({1, config.vocab}, f32);
  const std::string &weight = headWeight();
  size_t index = llvm::find(paramOrder, weight) - paramOrder.begin();
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(
      b, loc, "head",
      b.getFunctionType({hiddenType, params[weight].type}, {logitsType}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  markEntry(func, {"hidden"}, {"f32"}, "logits");
  func.setArgAttr(1, "lathe.param", b.getStringAttr(weight));
  func.setArgAttr(1, "lathe.param_offset",
                  b.getI64IntegerAttr(layout.tensors[index].fileOffset));
  paramValues.clear();
  paramValues[weight] = body->getArgument(1);
  func::ReturnOp::create(b, loc, linear(body->getArgument(0), weight, ""));
}

OwningOpRef<ModuleOp> LlmBuilder::build(WeightsLayout &layout) {
  if (failed(readConfig()) || failed(planParams()))
    return nullptr;
  int64_t chunk = options.prefillChunk;
  if (chunk <= 0) {
    error() << "prefill chunk must be positive, got " << chunk;
    return nullptr;
  }
  int64_t context = options.contextLength;
  if (context <= 0)
    context = std::min(config.context, kDefaultContextCap);
  if (context > (int64_t(1) << 20)) {
    error() << "context length " << context << " is too large (at most 2^20)";
    return nullptr;
  }
  chunk = std::min(chunk, context);
  cacheLength = llvm::alignTo(context, chunk);
  planLayout(layout);

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr("lathe.llm",
                     b.getDictionaryAttr({
                         b.getNamedAttr("architecture", b.getStringAttr(config.arch)),
                         b.getNamedAttr("context", b.getI64IntegerAttr(cacheLength)),
                         b.getNamedAttr("prefill_chunk", b.getI64IntegerAttr(chunk)),
                         b.getNamedAttr("vocab", b.getI64IntegerAttr(config.vocab)),
                     }));
  buildEntry(*module, "prefill", chunk, /*returnsHidden=*/true, layout);
  buildEntry(*module, "decode", 1, /*returnsHidden=*/false, layout);
  buildHead(*module, layout);
  return module;
}

void writeLittleEndian(llvm::raw_ostream &os, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    os << static_cast<char>((value >> (8 * i)) & 0xff);
}

} // namespace

OwningOpRef<ModuleOp> importGgufModel(MLIRContext &context, StringRef path,
                                      const gguf::GgufFile &file,
                                      const LlmOptions &options,
                                      WeightsLayout &layout) {
  return LlmBuilder(context, path, file, options).build(layout);
}

bool writeWeightsFile(const gguf::GgufFile &file, const WeightsLayout &layout,
                      StringRef outputPath, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(outputPath, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + outputPath.str() + "': " + ec.message();
    return false;
  }
  const uint8_t *bytes = file.getTensors().front().Data -
                         file.getTensors().front().FileOffset;
  uint64_t metadataEnd = file.getTensors().front().InfoOffset;
  os << "GGUF";
  writeLittleEndian(os, 3, 4);
  writeLittleEndian(os, layout.tensors.size(), 8);
  writeLittleEndian(os, file.getMetadata().size(), 8);
  os.write(reinterpret_cast<const char *>(bytes) + 24, metadataEnd - 24);
  for (const WeightsLayout::Tensor &t : layout.tensors) {
    writeLittleEndian(os, t.source->Name.size(), 8);
    os.write(t.source->Name.data(), t.source->Name.size());
    writeLittleEndian(os, t.source->Dims.size(), 4);
    for (uint64_t d : t.source->Dims)
      writeLittleEndian(os, d, 8);
    writeLittleEndian(os, static_cast<uint32_t>(t.source->Type->Type), 4);
    writeLittleEndian(os, t.fileOffset - layout.dataSectionOffset, 8);
  }
  auto pad = [&](uint64_t to) {
    for (uint64_t at = os.tell(); at < to; ++at)
      os << '\0';
  };
  for (const WeightsLayout::Tensor &t : layout.tensors) {
    pad(t.fileOffset);
    os.write(reinterpret_cast<const char *>(t.source->Data), t.source->NumBytes);
  }
  pad(layout.fileSize);
  os.close();
  if (os.has_error()) {
    error = "cannot write '" + outputPath.str() + "': " + os.error().message();
    os.clear_error();
    return false;
  }
  return true;
}

} // namespace lathe::gguf_import
