"""Writes a small llama-family GGUF model with random weights.

usage: make_llm_gguf.py OUT.gguf --arch {llama,qwen2} --dim D --layers N
           --heads H --kv-heads HKV --ff F --vocab V --ctx C --type T
           [--output-type T2] [--tied] [--rope-base B]
           [--rope-linear-scale S] [--rope-dims R] [--eps E] [--seed N]

The tensors and metadata follow the layout of llama.cpp's convert_hf_to_gguf.py
(Q and K are stored in GGUF order, so no HF permutation is involved). T is the
type of every 2-D weight, token_embd.weight and output.weight included unless
--output-type gives another type for the latter; 1-D tensors are F32. The
vocabulary is a SentencePiece-style ("llama") list of exactly V pieces built
from a fixed word list, not trained. Weights are seeded random numbers scaled
so that activations stay O(1) through the layers (see main for the scales).

gguf.quants encodes F32, F16, BF16, Q8_0, Q4_0 and Q4_1; Q4_K and Q6_K are
encoded here (gguf.quants can only decode them) and checked by decoding.
"""
import argparse
import itertools
import sys

import numpy as np
from gguf import GGML_QUANT_SIZES, GGUFWriter, LlamaFileType, RopeScalingType
from gguf import GGMLQuantizationType as Q
from gguf import TokenType, quants

TYPES = {"f32": Q.F32, "f16": Q.F16, "bf16": Q.BF16, "q8_0": Q.Q8_0,
         "q4_0": Q.Q4_0, "q4_1": Q.Q4_1, "q4_k": Q.Q4_K, "q6_k": Q.Q6_K}

# general.file_type as llama.cpp names a model whose matrices are all of T.
FILE_TYPES = {"f32": LlamaFileType.ALL_F32, "f16": LlamaFileType.MOSTLY_F16,
              "bf16": LlamaFileType.MOSTLY_BF16,
              "q8_0": LlamaFileType.MOSTLY_Q8_0,
              "q4_0": LlamaFileType.MOSTLY_Q4_0,
              "q4_1": LlamaFileType.MOSTLY_Q4_1,
              "q4_k": LlamaFileType.MOSTLY_Q4_K_S,
              "q6_k": LlamaFileType.MOSTLY_Q6_K}

QK_K = 256
SPACE = "\u2581"  # SentencePiece's word-boundary marker

# Frequent English words, most frequent first; the first block is followed by
# common subwords so that both rank high.
WORDS = """
the of and to a in is it you that he was for on are with as I his they be at
one have this from or had by but what some we can out other were all there
""".split()
SUBWORDS = "th he in er an re on en at es ed or ing ly st al ou ion tion ment".split()
MORE_WORDS = """
when up use your how said an each she which do their time if will way about
many then them write would like so these her long make thing see him two has
look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take
get place made live where after back little only round man year came show
every good me give our under name very through just form sentence great think
say help low line turn cause much mean before move right boy old too same tell
does set three want air well also play small end put home read hand large
spell add even land here must big high such follow act why ask men change
went light kind off need house picture try us again animal point mother world
near build self earth father head stand own page should country found answer
school grow study still learn plant cover food sun four between state keep
eye never last let thought city tree cross farm hard start might story saw far
sea draw left late run while press close night real life few north once upon
hello model token
""".split()
EXTRA_CHARS = (list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + list("0123456789")
               + list(".,!?'\"-:;()"))


def vocabulary(size):
    """Returns (tokens, scores, types) of a llama vocabulary of `size` pieces.

    Ids 0-2 are <unk>, <s>, </s>; 3-258 the byte-fallback tokens; the rest
    normal pieces. Every multi-character piece comes with all its prefixes, so
    the SentencePiece merge loop (which only joins two symbols whose
    concatenation is a piece) can reach it. Merged pieces rank by frequency
    and single characters come last, as in a trained model; scores fall by
    one per rank.
    """
    n_pieces = size - 259
    if n_pieces < 1:
        sys.exit(f"--vocab must be at least 260 (3 special tokens, 256 byte "
                 f"tokens and one piece), got {size}")

    core_chars = [SPACE] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    candidates = []
    seen = set(core_chars)

    def add(piece):
        # Adds piece after its missing prefixes of two or more characters.
        for end in range(2, len(piece) + 1):
            prefix = piece[:end]
            if prefix not in seen:
                seen.add(prefix)
                candidates.append(prefix)

    for word in WORDS:
        add(SPACE + word)
    for sub in SUBWORDS:
        add(sub)
    for word in MORE_WORDS:
        add(SPACE + word)
    for c in EXTRA_CHARS:
        if c not in seen:
            seen.add(c)
            candidates.append(c)

    # Padding: letter pairs, then triples, ... with and without the marker,
    # all reachable from single letters.
    def padding():
        for length in itertools.count(2):
            for prefix in ("", SPACE):
                for letters in itertools.product(core_chars[1:], repeat=length):
                    yield prefix + "".join(letters)

    n_needed = n_pieces - len(core_chars)
    for piece in padding():
        if len(candidates) >= n_needed:
            break
        add(piece)

    chosen = core_chars[:n_pieces] + candidates[:max(0, n_needed)]
    merged = [p for p in chosen if len(p) > 1]
    singles = [p for p in chosen if len(p) == 1]
    pieces = merged + singles

    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = ([TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
             + [TokenType.BYTE] * 256)
    scores = [0.0] * len(tokens)
    tokens += pieces
    types += [TokenType.NORMAL] * len(pieces)
    scores += [-float(i) for i in range(len(pieces))]
    assert len(tokens) == size and len(set(tokens)) == size
    return tokens, scores, types


def quantize_q4_k(blocks):
    """Encodes blocks [n, 256] as Q4_K: y = d*sc[j]*q - dmin*m[j] per 32.

    Each sub-block's (scale, min) comes from a small grid search over ranges
    with a least-squares refit, as llama.cpp's make_qkx2_quants does without
    importance weights; the 6-bit sub-scales are then quantized against the
    super-block's f16 d and dmin and the 4-bit values recomputed with them.
    """
    n = blocks.shape[0]
    x = blocks.reshape(n, 8, 32).astype(np.float64)
    lo = np.minimum(x.min(axis=-1, keepdims=True), 0.0)
    hi = x.max(axis=-1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)

    best_s = span / 15
    best_b = lo
    best_err = np.full(lo.shape, np.inf)
    for step in range(-1, 21):
        if step < 0:
            s, b = span / 15, lo
        else:
            iscale = (14 + 0.1 * step) / span
            q = np.clip(np.rint((x - lo) * iscale), 0, 15)
            # Least-squares fit x ~ s*q + b with b <= 0.
            sq, sx = q.sum(-1, keepdims=True), x.sum(-1, keepdims=True)
            sqq = (q * q).sum(-1, keepdims=True)
            sqx = (q * x).sum(-1, keepdims=True)
            det = 32 * sqq - sq * sq
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(det > 0, (32 * sqx - sq * sx) / det, 0.0)
                b = (sx - s * sq) / 32
                s = np.where(b > 0, np.where(sqq > 0, sqx / sqq, 0.0), s)
            b = np.minimum(b, 0.0)
            s = np.maximum(s, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(s > 0, np.clip(np.rint((x - b) / s), 0, 15), 0)
        err = ((s * q + b - x) ** 2).sum(-1, keepdims=True)
        better = err < best_err
        best_s = np.where(better, s, best_s)
        best_b = np.where(better, b, best_b)
        best_err = np.where(better, err, best_err)

    scale = best_s[..., 0]
    mins = -best_b[..., 0]
    d = (scale.max(-1) / 63).astype(np.float16)
    dmin = (mins.max(-1) / 63).astype(np.float16)
    d64 = d.astype(np.float64)[:, None]
    dmin64 = dmin.astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(d64 > 0, np.clip(np.rint(scale / d64), 0, 63), 0)
        m = np.where(dmin64 > 0, np.clip(np.rint(mins / dmin64), 0, 63), 0)
        eff_s = (d64 * sc)[..., None]
        eff_b = (dmin64 * m)[..., None]
        q = np.where(eff_s > 0, np.clip(np.rint((x + eff_b) / eff_s), 0, 15), 0)
    sc = sc.astype(np.uint8)
    m = m.astype(np.uint8)
    q = q.astype(np.uint8)

    # 12 bytes of 6-bit scales and mins: bytes 0-3 hold sc[0:4] and the top
    # two bits of sc[4:8], bytes 4-7 the same for the mins, bytes 8-11 the low
    # nibbles of sc[4:8] and m[4:8].
    packed = np.concatenate([
        sc[:, :4] | ((sc[:, 4:] >> 4) << 6),
        m[:, :4] | ((m[:, 4:] >> 4) << 6),
        (sc[:, 4:] & 0xF) | ((m[:, 4:] & 0xF) << 4)], axis=1)
    # 128 bytes of values: byte k of chunk c holds sub-block 2c (low nibble)
    # and 2c+1 (high nibble) at position k.
    qs = (q[:, 0::2, :] | (q[:, 1::2, :] << 4)).reshape(n, 128)
    return np.concatenate([d.reshape(n, 1).view(np.uint8),
                           dmin.reshape(n, 1).view(np.uint8), packed, qs],
                          axis=1)


def quantize_q6_k(blocks):
    """Encodes blocks [n, 256] as Q6_K: y = d*sc[j]*(q - 32) per 16.

    As in llama.cpp, each sub-block maps its largest-magnitude value to -32,
    and the signed 8-bit sub-scales map the largest-magnitude sub-scale to
    -128, without importance weights or refinement.
    """
    n = blocks.shape[0]
    x = blocks.reshape(n, 16, 16).astype(np.float64)
    pick = np.abs(x).argmax(-1)[..., None]
    extreme = np.take_along_axis(x, pick, -1)[..., 0]
    scale = -extreme / 32
    pick = np.abs(scale).argmax(-1)[:, None]
    extreme = np.take_along_axis(scale, pick, -1)
    d = (-extreme[:, 0] / 128).astype(np.float16)
    d64 = d.astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.where(d64 != 0, np.clip(np.rint(scale / d64), -128, 127), 0)
        eff = (d64 * sc)[..., None]
        q = np.where(eff != 0, np.clip(np.rint(x / eff), -32, 31), 0)
    q = (q + 32).astype(np.uint8).reshape(n, 2, 128)

    # Each half of 128 values: ql byte k holds value k (low nibble) and k+64
    # (high nibble); qh byte k holds the top two bits of values k, k+32, k+64
    # and k+96 at bits 0, 2, 4 and 6.
    low = q & 0xF
    ql = (low[:, :, :64] | (low[:, :, 64:] << 4)).reshape(n, 128)
    high = (q >> 4).reshape(n, 2, 4, 32)
    qh = (high[:, :, 0] | (high[:, :, 1] << 2) | (high[:, :, 2] << 4)
          | (high[:, :, 3] << 6)).reshape(n, 64)
    return np.concatenate([ql, qh, sc.astype(np.int8).view(np.uint8),
                           d.reshape(n, 1).view(np.uint8)], axis=1)


# Encoders for types gguf.quants only decodes, each with the relative RMS
# error its decoded output must stay under (typically 0.07 and 0.019 on
# Gaussian weights).
OWN_QUANTIZERS = {Q.Q4_K: (quantize_q4_k, 0.1), Q.Q6_K: (quantize_q6_k, 0.03)}


def encode(name, weights, qtype):
    """Returns (array, raw_dtype) for GGUFWriter.add_tensor."""
    if qtype == Q.F32:
        return weights.astype(np.float32), None
    if qtype == Q.F16:
        return weights.astype(np.float16), None
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    rows, cols = weights.shape
    if cols % block_size:
        sys.exit(f"{name}: row length {cols} is not a multiple of the "
                 f"{qtype.name} block size {block_size}")
    if qtype in OWN_QUANTIZERS:
        quantize, tolerance = OWN_QUANTIZERS[qtype]
        blocks = weights.astype(np.float32).reshape(-1, block_size)
        data = quantize(blocks).reshape(rows, cols // block_size * type_size)
        decoded = quants.dequantize(data, qtype)
        error = np.sqrt(((decoded - weights) ** 2).mean()
                        / (weights ** 2).mean())
        if not error < tolerance:
            sys.exit(f"{name}: {qtype.name} encoding error {error:.3g} "
                     f"exceeds {tolerance}")
    else:
        data = quants.quantize(weights.astype(np.float32), qtype)
    return data, qtype


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--arch", choices=["llama", "qwen2"], required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--kv-heads", type=int, required=True)
    p.add_argument("--ff", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--ctx", type=int, required=True)
    p.add_argument("--type", choices=sorted(TYPES), required=True)
    p.add_argument("--output-type", choices=sorted(TYPES))
    p.add_argument("--tied", action="store_true",
                   help="no output.weight; logits use token_embd.weight")
    p.add_argument("--rope-base", type=float, default=10000.0)
    p.add_argument("--rope-linear-scale", type=float)
    p.add_argument("--rope-dims", type=int)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    for name in ("dim", "layers", "heads", "kv_heads", "ff", "ctx"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.dim % args.heads:
        p.error(f"--dim {args.dim} is not a multiple of --heads {args.heads}")
    if args.heads % args.kv_heads:
        p.error(f"--heads {args.heads} is not a multiple of --kv-heads "
                f"{args.kv_heads}")
    head_dim = args.dim // args.heads
    if args.rope_dims is not None and not (
            0 < args.rope_dims <= head_dim and args.rope_dims % 2 == 0):
        p.error(f"--rope-dims must be even and in (0, {head_dim}]")
    if args.rope_linear_scale is not None and args.rope_linear_scale <= 0:
        p.error("--rope-linear-scale must be positive")
    if args.tied and args.output_type:
        p.error("--output-type needs an output.weight; drop --tied")
    return args


def main():
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    arch, dim, ff, vocab = args.arch, args.dim, args.ff, args.vocab
    head_dim = dim // args.heads
    q_dim, kv_dim = args.heads * head_dim, args.kv_heads * head_dim
    mtype = TYPES[args.type]
    otype = TYPES[args.output_type or args.type]
    tokens, scores, token_types = vocabulary(vocab)

    w = GGUFWriter(args.out, arch=arch)
    w.add_name(f"lathe-test-{arch}")
    w.add_file_type(FILE_TYPES[args.type])
    w.add_quantization_version(2)
    w.add_context_length(args.ctx)
    w.add_embedding_length(dim)
    w.add_block_count(args.layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(args.heads)
    w.add_head_count_kv(args.kv_heads)
    w.add_layer_norm_rms_eps(args.eps)
    w.add_rope_freq_base(args.rope_base)
    if args.rope_dims is not None:
        w.add_rope_dimension_count(args.rope_dims)
    if args.rope_linear_scale is not None:
        w.add_rope_scaling_type(RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(args.rope_linear_scale)
    w.add_vocab_size(vocab)

    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(token_types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(True)

    def matrix(name, rows, cols, qtype=mtype, std=None):
        # Rows are output features; std 1/sqrt(cols) keeps x @ W.T at the
        # scale of x.
        std = 1 / np.sqrt(cols) if std is None else std
        data, raw = encode(name, rng.normal(0, std, (rows, cols)), qtype)
        w.add_tensor(name, data, raw_dtype=raw)

    def vector(name, n, center, spread):
        w.add_tensor(name, (center + spread * rng.standard_normal(n))
                     .astype(np.float32))

    # Embeddings are N(0, 1), except that a tied model gets N(0, 1/dim): its
    # logits are <rmsnorm(x), embedding>, and the residual stream still holds
    # the current token's embedding, whose self-product (~dim) would otherwise
    # make every model repeat its input token.
    matrix("token_embd.weight", vocab, dim,
           std=1 / np.sqrt(dim) if args.tied else 1.0)
    for i in range(args.layers):
        blk = f"blk.{i}"
        vector(f"{blk}.attn_norm.weight", dim, 1.0, 0.1)
        matrix(f"{blk}.attn_q.weight", q_dim, dim)
        matrix(f"{blk}.attn_k.weight", kv_dim, dim)
        matrix(f"{blk}.attn_v.weight", kv_dim, dim)
        if arch == "qwen2":
            vector(f"{blk}.attn_q.bias", q_dim, 0.0, 0.1)
            vector(f"{blk}.attn_k.bias", kv_dim, 0.0, 0.1)
            vector(f"{blk}.attn_v.bias", kv_dim, 0.0, 0.1)
        matrix(f"{blk}.attn_output.weight", dim, q_dim)
        vector(f"{blk}.ffn_norm.weight", dim, 1.0, 0.1)
        matrix(f"{blk}.ffn_gate.weight", ff, dim)
        matrix(f"{blk}.ffn_up.weight", ff, dim)
        matrix(f"{blk}.ffn_down.weight", dim, ff)
    vector("output_norm.weight", dim, 1.0, 0.1)
    if not args.tied:
        matrix("output.weight", vocab, dim, qtype=otype)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{args.out}: {arch}, {args.layers} layers, dim {dim}, "
          f"{args.heads}/{args.kv_heads} heads, ff {ff}, vocab {vocab}, "
          f"{args.type}", file=sys.stderr)


if __name__ == "__main__":
    main()
