"""Writes small GGUF files that lathe-compile must reject with a clear error.

usage: write_bad_llm.py CASE OUT.gguf
CASE: arch (unknown architecture), metadata (no block_count), tensor (a
missing layer tensor), dims (a norm weight of the wrong size), type (Q5_0
weights, not supported).
"""
import sys

import gguf
import numpy as np

D = 32  # embedding length, one 32-weight block


def main():
    case, path = sys.argv[1], sys.argv[2]
    arch = "falcon" if case == "arch" else "llama"
    w = gguf.GGUFWriter(path, arch)
    if case != "metadata":
        w.add_block_count(1)
    w.add_embedding_length(D)
    w.add_feed_forward_length(D)
    w.add_head_count(1)
    w.add_context_length(16)
    embeddings = np.zeros((8, D), np.float32)
    if case == "type":
        w.add_tensor("token_embd.weight",
                     gguf.quants.quantize(embeddings, gguf.GGMLQuantizationType.Q5_0),
                     raw_dtype=gguf.GGMLQuantizationType.Q5_0)
    else:
        w.add_tensor("token_embd.weight", embeddings)
    if case != "tensor":
        size = D // 2 if case == "dims" else D
        w.add_tensor("blk.0.attn_norm.weight", np.ones(size, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
