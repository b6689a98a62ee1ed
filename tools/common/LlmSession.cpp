//===- LlmSession.cpp - Driving an LLM model library ----------------------===//
#include "LlmSession.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace lathe {
namespace {

struct TensorDeleter {
  void operator()(lathe_tensor *Tensor) const { lathe_tensor_free(Tensor); }
};
using Tensor = std::unique_ptr<lathe_tensor, TensorDeleter>;

std::string takeMessage(lathe_status Status) {
  std::string Message = lathe_status_message(Status);
  lathe_status_free(Status);
  return Message;
}

Tensor makeTensor(lathe_dtype DType, std::vector<int64_t> Dims) {
  lathe_tensor *Result = nullptr;
  if (lathe_status Status =
          lathe_tensor_create(DType, Dims.size(), Dims.data(), &Result)) {
    lathe_status_free(Status);
    return nullptr;
  }
  return Tensor(Result);
}

/// The i32 token input of `entry` (its first input), of `rank`-1 shape.
bool tokenCount(lathe_module *Module, size_t Entry, int64_t &Count) {
  lathe_argument_info Info;
  if (lathe_module_input_count(Module, Entry) != 2 ||
      lathe_module_output_count(Module, Entry) != 1)
    return false;
  if (lathe_status Status = lathe_module_input_info(Module, Entry, 0, &Info)) {
    lathe_status_free(Status);
    return false;
  }
  if (Info.dtype != LATHE_DTYPE_I32 || Info.rank != 1)
    return false;
  Count = Info.dims[0];
  return true;
}

} // namespace

bool LlmSession::create(lathe_module *Module, LlmSession &Session,
                        std::string &Error) {
  Session = LlmSession();
  Session.Module = Module;
  lathe_status Status = lathe_module_find_entry(Module, "prefill", &Session.Prefill);
  if (!Status)
    Status = lathe_module_find_entry(Module, "decode", &Session.Decode);
  if (!Status)
    Status = lathe_module_find_entry(Module, "head", &Session.Head);
  if (Status) {
    Error = takeMessage(Status) + " (not an LLM: compile a GGUF model to get "
                                  "prefill, head and decode)";
    return false;
  }
  int64_t DecodeTokens = 0;
  lathe_argument_info Logits, Hidden, HeadIn, HeadOut, Cache;
  bool Ok = tokenCount(Module, Session.Prefill, Session.Chunk) &&
            tokenCount(Module, Session.Decode, DecodeTokens) &&
            DecodeTokens == 1 && Session.Chunk >= 1 &&
            lathe_module_input_count(Module, Session.Head) == 1 &&
            lathe_module_output_count(Module, Session.Head) == 1 &&
            lathe_module_state_count(Module) >= 1;
  if (Ok) {
    lathe_status Statuses[] = {
        lathe_module_output_info(Module, Session.Decode, 0, &Logits),
        lathe_module_output_info(Module, Session.Prefill, 0, &Hidden),
        lathe_module_input_info(Module, Session.Head, 0, &HeadIn),
        lathe_module_output_info(Module, Session.Head, 0, &HeadOut),
        lathe_module_state_info(Module, 0, &Cache)};
    for (lathe_status S : Statuses) {
      Ok = Ok && !S;
      lathe_status_free(S);
    }
    auto isMatrix = [](const lathe_argument_info &Info, int64_t Rows) {
      return Info.rank == 2 && Info.dtype == LATHE_DTYPE_F32 &&
             Info.dims[0] == Rows;
    };
    Ok = Ok && isMatrix(Logits, 1) && isMatrix(Hidden, Session.Chunk) &&
         isMatrix(HeadIn, 1) && HeadIn.dims[1] == Hidden.dims[1] &&
         isMatrix(HeadOut, 1) && HeadOut.dims[1] == Logits.dims[1] &&
         Cache.rank == 4;
  }
  if (!Ok) {
    Error = "the prefill/head/decode entry points or the KV cache do not "
            "have the shapes of a Lathe LLM";
    return false;
  }
  Session.Vocab = Logits.dims[1];
  Session.Hidden = Hidden.dims[1];
  Session.Context = Cache.dims[2];
  return true;
}

void LlmSession::reset() {
  lathe_module_reset_state(Module);
  Position = 0;
}

bool LlmSession::headLogits(const float *HiddenRow, std::vector<float> &Logits,
                            std::string &Error) {
  Tensor In = makeTensor(LATHE_DTYPE_F32, {1, Hidden});
  Tensor Out = makeTensor(LATHE_DTYPE_F32, {1, Vocab});
  if (!In || !Out) {
    Error = "out of memory";
    return false;
  }
  std::memcpy(lathe_tensor_data(In.get()), HiddenRow, Hidden * sizeof(float));
  lathe_tensor *Input = In.get(), *Output = Out.get();
  if (lathe_status Status = lathe_invoke(Module, Head, &Input, 1, &Output, 1)) {
    Error = takeMessage(Status);
    return false;
  }
  const float *Values = static_cast<const float *>(lathe_tensor_data(Output));
  Logits.insert(Logits.end(), Values, Values + Vocab);
  return true;
}

bool LlmSession::run(size_t Entry, lathe_tensor *Tokens, int64_t At,
                     lathe_tensor *Output, std::string &Error) {
  Tensor Pos = makeTensor(LATHE_DTYPE_I64, {});
  if (!Pos) {
    Error = "out of memory";
    return false;
  }
  std::memcpy(lathe_tensor_data(Pos.get()), &At, sizeof(At));
  lathe_tensor *Inputs[] = {Tokens, Pos.get()};
  if (lathe_status Status = lathe_invoke(Module, Entry, Inputs, 2, &Output, 1)) {
    Error = takeMessage(Status);
    return false;
  }
  return true;
}

bool LlmSession::feed(const std::vector<int32_t> &Tokens, bool AllRows,
                      std::vector<float> &Logits, std::string &Error) {
  Logits.clear();
  if (Tokens.empty())
    return true;
  int64_t Count = static_cast<int64_t>(Tokens.size());
  if (Position + Count > Context) {
    Error = "the sequence would reach " + std::to_string(Position + Count) +
            " tokens, beyond the context of " + std::to_string(Context) +
            " (compile with a larger --context)";
    return false;
  }
  for (int32_t Token : Tokens)
    if (Token < 0 || Token >= Vocab) {
      Error = "token id " + std::to_string(Token) + " is outside the vocabulary "
              "of " + std::to_string(Vocab);
      return false;
    }
  // A prefill chunk takes the next Chunk tokens (padded past the last one)
  // wherever its rows fit the cache: the padding's cache rows lie past the
  // sequence, and each is written again before any token attends it. One
  // chunk costs about as much as a few decode steps, so a quarter chunk or
  // more goes through prefill, fewer tokens through decode, one at a time.
  // Prefill gives hidden rows; the head turns the ones needed into logits.
  Tensor TokenIn, LogitsOut, ChunkIn, HiddenOut;
  for (int64_t Start = 0; Start < Count;) {
    int64_t Left = Count - Start;
    bool Chunked = Left > 1 && Left * 4 >= Chunk && Position + Chunk <= Context;
    int64_t Step = Chunked ? Chunk : 1, Used = std::min(Step, Left);
    Tensor &InTensor = Chunked ? ChunkIn : TokenIn;
    Tensor &OutTensor = Chunked ? HiddenOut : LogitsOut;
    if (!InTensor) {
      InTensor = makeTensor(LATHE_DTYPE_I32, {Step});
      OutTensor = makeTensor(LATHE_DTYPE_F32, {Step, Chunked ? Hidden : Vocab});
      if (!InTensor || !OutTensor) {
        Error = "out of memory";
        return false;
      }
    }
    lathe_tensor *In = InTensor.get(), *Out = OutTensor.get();
    int32_t *Ids = static_cast<int32_t *>(lathe_tensor_data(In));
    const float *Rows = static_cast<const float *>(lathe_tensor_data(Out));
    bool Last = Start + Used == Count;
    std::fill(Ids, Ids + Step, 0);
    std::copy(Tokens.begin() + Start, Tokens.begin() + Start + Used, Ids);
    if (!run(Chunked ? Prefill : Decode, In, Position, Out, Error))
      return false;
    Position += Used;
    Start += Used;
    if (!AllRows && !Last)
      continue;
    if (!Chunked) {
      Logits.insert(Logits.end(), Rows, Rows + Vocab);
      continue;
    }
    for (int64_t Row = AllRows ? 0 : Used - 1; Row < Used; ++Row)
      if (!headLogits(Rows + Row * Hidden, Logits, Error))
        return false;
  }
  return true;
}

} // namespace lathe
