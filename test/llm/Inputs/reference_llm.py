"""Float64 reference forward pass of a llama or qwen2 GGUF model.

usage: reference_llm.py MODEL.gguf --prompt-tokens 1,5,9 -n N
           --logits-out REF.npy [--tokens-out TOKENS.txt]
           [--force-tokens TOKENS.txt] [--check-consistency]

Reads the model with gguf.GGUFReader and decodes every weight with
gguf.quants.dequantize, then follows llama.cpp's graph: RMS norms, RoPE in
"normal" (adjacent pairs, llama) or NEOX (halves, qwen2) order on the first
rope.dimension_count channels of each head, grouped-query causal attention
scaled by 1/sqrt(head_dim), a SwiGLU feed-forward, and output.weight (or
token_embd.weight when absent) for the logits.

The prompt is processed in one pass, then N-1 greedily chosen tokens are fed
back one at a time through a KV cache. The logits written (float32, shape
[P + N - 1, V]) are one row per consumed token: row P-1 predicts the first
generated token, and the last generated token is never fed. The N generated
ids are printed comma-separated and optionally written to --tokens-out; the
smallest gap between the two best logits of a generating row goes to stderr.

--force-tokens FILE feeds the N ids in FILE instead of the argmax ones, so the
logits line up row for row with another implementation's run even where a
near tie made it choose differently; the ids printed stay the argmax ones.

--check-consistency also runs prompt + fed tokens (all but the last) as a
single prompt and exits 1 unless its logits match the incremental ones to
within 1e-9.
"""
import argparse
import sys

import numpy as np
from gguf import GGUFReader, quants

CONSISTENCY_TOLERANCE = 1e-9
REQUIRED = object()


class Model:
    def __init__(self, path):
        reader = GGUFReader(path)
        self.fields = reader.fields
        self.tensors = {t.name: t for t in reader.tensors}
        self.arch = self.get("general.architecture")
        if self.arch not in ("llama", "qwen2"):
            sys.exit(f"{path}: unsupported architecture {self.arch!r}")
        # llama.cpp's RoPE mode per architecture.
        self.neox = self.arch == "qwen2"

        a = self.arch
        self.dim = self.get(f"{a}.embedding_length")
        self.n_layers = self.get(f"{a}.block_count")
        self.n_heads = self.get(f"{a}.attention.head_count")
        self.n_kv_heads = self.get(f"{a}.attention.head_count_kv",
                                   self.n_heads)
        self.eps = self.get(f"{a}.attention.layer_norm_rms_epsilon")
        self.n_ctx = self.get(f"{a}.context_length")
        self.head_dim = self.dim // self.n_heads
        self.n_rot = self.get(f"{a}.rope.dimension_count", self.head_dim)
        self.rope_base = self.get(f"{a}.rope.freq_base", 10000.0)
        # As llama.cpp: the scaling type defaults to linear, the factor comes
        # from rope.scaling.factor (or the older rope.scale_linear), and type
        # "none" disables it.
        scaling = self.get(f"{a}.rope.scaling.type", "linear")
        factor = self.get(f"{a}.rope.scaling.factor",
                          self.get(f"{a}.rope.scale_linear", 0.0))
        if scaling not in ("none", "linear"):
            sys.exit(f"{path}: unsupported RoPE scaling {scaling!r}")
        self.freq_scale = (1.0 if scaling == "none" or factor == 0.0
                           else 1.0 / factor)

        self.token_embd = self.weight("token_embd.weight")
        self.vocab = self.token_embd.shape[0]
        self.output_norm = self.weight("output_norm.weight")
        self.output = (self.weight("output.weight")
                       if "output.weight" in self.tensors else self.token_embd)
        self.layers = []
        for i in range(self.n_layers):
            names = ["attn_norm.weight", "attn_q.weight", "attn_k.weight",
                     "attn_v.weight", "attn_output.weight", "ffn_norm.weight",
                     "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
                     "attn_q.bias", "attn_k.bias", "attn_v.bias"]
            self.layers.append({n.replace(".", "_"): self.weight(f"blk.{i}.{n}")
                                if f"blk.{i}.{n}" in self.tensors else None
                                for n in names})

        half = self.n_rot // 2
        self.inv_freq = self.freq_scale * self.rope_base ** (
            -2.0 * np.arange(half, dtype=np.float64) / self.n_rot)

    def get(self, key, default=REQUIRED):
        field = self.fields.get(key)
        if field is None:
            if default is REQUIRED:
                sys.exit(f"missing metadata key {key}")
            return default
        return field.contents()

    def weight(self, name):
        if name not in self.tensors:
            sys.exit(f"missing tensor {name}")
        t = self.tensors[name]
        return np.asarray(quants.dequantize(t.data, t.tensor_type),
                          dtype=np.float64)

    def new_cache(self):
        empty = np.zeros((0, self.n_kv_heads, self.head_dim))
        return [[empty, empty] for _ in range(self.n_layers)]

    def rms_norm(self, x, weight):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * weight

    @staticmethod
    def project(h, layer, name):
        """h @ W^T for attn_{name}, plus its bias where the model has one."""
        y = h @ layer[f"attn_{name}_weight"].T
        bias = layer[f"attn_{name}_bias"]
        return y if bias is None else y + bias

    def rope(self, x, positions):
        """Rotates x [T, heads, head_dim] for absolute positions [T]."""
        half = self.n_rot // 2
        angle = positions[:, None].astype(np.float64) * self.inv_freq
        cos = np.cos(angle)[:, None, :]
        sin = np.sin(angle)[:, None, :]
        out = x.copy()
        if self.neox:
            a, b = x[..., :half], x[..., half:self.n_rot]
            out[..., :half] = a * cos - b * sin
            out[..., half:self.n_rot] = b * cos + a * sin
        else:
            a, b = x[..., 0:self.n_rot:2], x[..., 1:self.n_rot:2]
            out[..., 0:self.n_rot:2] = a * cos - b * sin
            out[..., 1:self.n_rot:2] = b * cos + a * sin
        return out

    def forward(self, tokens, cache):
        """Consumes tokens after the cached ones; returns logits [T, V]."""
        start = cache[0][0].shape[0]
        t = len(tokens)
        positions = np.arange(start, start + t)
        hd, nh, nkv = self.head_dim, self.n_heads, self.n_kv_heads
        group = nh // nkv
        # Query i (at position start+i) sees cached keys 0..start+i.
        mask = np.arange(start + t)[None, :] > positions[:, None]

        x = self.token_embd[np.asarray(tokens)]
        for layer, kv in zip(self.layers, cache):
            h = self.rms_norm(x, layer["attn_norm_weight"])
            q, k, v = (self.project(h, layer, n) for n in "qkv")
            q = self.rope(q.reshape(t, nh, hd), positions)
            k = self.rope(k.reshape(t, nkv, hd), positions)
            kv[0] = np.concatenate([kv[0], k])
            kv[1] = np.concatenate([kv[1], v.reshape(t, nkv, hd)])
            keys = np.repeat(kv[0], group, axis=1)  # head h uses kv h // group
            values = np.repeat(kv[1], group, axis=1)

            scores = np.einsum("qhd,khd->hqk", q, keys) / np.sqrt(hd)
            scores[:, mask] = -np.inf
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            attn = np.einsum("hqk,khd->qhd", probs, values).reshape(t, nh * hd)
            x = x + attn @ layer["attn_output_weight"].T

            h = self.rms_norm(x, layer["ffn_norm_weight"])
            gate = h @ layer["ffn_gate_weight"].T
            up = h @ layer["ffn_up_weight"].T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ layer["ffn_down_weight"].T

        return self.rms_norm(x, self.output_norm) @ self.output.T


def generate(model, prompt, n, forced=None):
    """Greedy decoding; returns (logits [P + n - 1, V], n argmax ids).

    With `forced`, those n ids are fed back instead of the argmax ones.
    """
    cache = model.new_cache()
    rows = [model.forward(prompt, cache)]
    generated = [int(rows[-1][-1].argmax())]
    fed = forced if forced is not None else generated
    while len(generated) < n:
        rows.append(model.forward([fed[len(generated) - 1]], cache))
        generated.append(int(rows[-1][-1].argmax()))
    return np.concatenate(rows), generated


def smallest_margin(logits, n):
    """(margin, row) of the closest top-2 race among the last n rows."""
    top2 = np.sort(logits[-n:], axis=-1)[:, -2:]
    gaps = top2[:, 1] - top2[:, 0]
    i = int(gaps.argmin())
    return gaps[i], len(logits) - n + i


def parse_tokens(text, source="--prompt-tokens"):
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        sys.exit(f"{source}: expected comma-separated ids, got {text!r}")


def read_tokens(path):
    with open(path) as f:
        return parse_tokens(f.read().strip(), path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--prompt-tokens", required=True, type=parse_tokens)
    p.add_argument("-n", type=int, required=True,
                   help="number of tokens to generate (at least 1)")
    p.add_argument("--logits-out", required=True)
    p.add_argument("--tokens-out")
    p.add_argument("--force-tokens", metavar="FILE",
                   help="feed these N comma-separated ids (e.g. another "
                        "implementation's output) instead of the argmax ones")
    p.add_argument("--check-consistency", action="store_true")
    args = p.parse_args()

    model = Model(args.model)
    prompt = args.prompt_tokens
    if not prompt:
        p.error("--prompt-tokens is empty")
    if args.n < 1:
        p.error("-n must be at least 1")
    bad = [t for t in prompt if not 0 <= t < model.vocab]
    if bad:
        p.error(f"prompt token {bad[0]} is outside the vocabulary "
                f"[0, {model.vocab})")
    if len(prompt) + args.n - 1 > model.n_ctx:
        p.error(f"{len(prompt)} prompt + {args.n - 1} fed tokens exceed the "
                f"context length {model.n_ctx}")
    forced = None
    if args.force_tokens:
        forced = read_tokens(args.force_tokens)
        if len(forced) != args.n:
            p.error(f"--force-tokens has {len(forced)} ids, -n is {args.n}")
        bad = [t for t in forced if not 0 <= t < model.vocab]
        if bad:
            p.error(f"forced token {bad[0]} is outside the vocabulary")

    logits, generated = generate(model, prompt, args.n, forced)
    np.save(args.logits_out, logits.astype(np.float32))
    ids = ",".join(map(str, generated))
    if args.tokens_out:
        with open(args.tokens_out, "w") as f:
            f.write(ids + "\n")
    print(ids)
    # A small margin means an implementation with rounding error may pick
    # another token there.
    margin, row = smallest_margin(logits, args.n)
    print(f"smallest top-2 logit margin {margin:.3g} (row {row})",
          file=sys.stderr)

    if args.check_consistency:
        fed = forced if forced is not None else generated
        whole = model.forward(prompt + fed[:-1], model.new_cache())
        diff = np.abs(whole - logits).max()
        if not diff < CONSISTENCY_TOLERANCE:
            sys.exit(f"FAIL: one-pass and incremental logits differ by {diff}")
        print(f"consistent: max abs diff {diff:.3g}", file=sys.stderr)


if __name__ == "__main__":
    main()
