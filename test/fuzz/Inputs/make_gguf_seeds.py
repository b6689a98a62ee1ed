"""Writes a seed corpus for the GGUF reader fuzzer with the gguf package's
GGUFWriter: small valid files (each well under libFuzzer's default 4 KiB
input limit) covering every metadata value type, nested arrays, several
tensor types, custom alignments and version 2.

usage: make_gguf_seeds.py OUT_DIR
"""
import os
import sys

import numpy as np
from gguf import GGML_QUANT_SIZES
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as T
from gguf import GGUFWriter


def write(path, fill, alignment=None, version=None):
    w = GGUFWriter(path, arch="seed")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    fill(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if version is not None:
        with open(path, "r+b") as f:
            f.seek(4)
            f.write(version.to_bytes(4, "little"))


def scalars(w):
    w.add_uint8("s.u8", 1)
    w.add_int8("s.i8", -1)
    w.add_uint16("s.u16", 2)
    w.add_int16("s.i16", -2)
    w.add_uint32("s.u32", 3)
    w.add_int32("s.i32", -3)
    w.add_float32("s.f32", 0.5)
    w.add_bool("s.bool", True)
    w.add_string("s.string", "text")
    w.add_uint64("s.u64", 4)
    w.add_int64("s.i64", -4)
    w.add_float64("s.f64", 0.25)


def arrays(w):
    for name, vtype, values in [
            ("u8", T.UINT8, [1, 2]), ("i8", T.INT8, [-1]),
            ("u16", T.UINT16, [3]), ("i16", T.INT16, [-3]),
            ("u32", T.UINT32, [5]), ("i32", T.INT32, [-5]),
            ("f32", T.FLOAT32, [1.5]), ("bool", T.BOOL, [True, False]),
            ("string", T.STRING, ["a", "bc", ""]), ("u64", T.UINT64, [7]),
            ("i64", T.INT64, [-7]), ("f64", T.FLOAT64, [2.5])]:
        w.add_key_value("a." + name, values, T.ARRAY, sub_type=vtype)
    w.add_array("a.nested", [[1, 2], [3]])
    w.add_array("a.nested_strings", [["x"], ["y", "z"]])


def raw(rows, row_length, qtype, seed):
    block_size, block_bytes = GGML_QUANT_SIZES[qtype]
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (rows, row_length // block_size * block_bytes),
                        dtype=np.uint8)


def tensors(w):
    w.add_tensor("f32", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.add_tensor("f16", np.ones(4, dtype=np.float16))
    w.add_tensor("q8_0", raw(1, 32, Q.Q8_0, 1), raw_dtype=Q.Q8_0)
    w.add_tensor("q4_0", raw(2, 32, Q.Q4_0, 2), raw_dtype=Q.Q4_0)
    w.add_tensor("i32", np.arange(3, dtype=np.int32))
    w.add_tensor("scalar", np.array(1.0, dtype=np.float32))


def k_quant(w):
    w.add_tensor("q4_k", raw(1, 256, Q.Q4_K, 3), raw_dtype=Q.Q4_K)
    w.add_tensor("q6_k", raw(1, 256, Q.Q6_K, 4), raw_dtype=Q.Q6_K)


def small(w):
    w.add_uint32("general.quantization_version", 2)
    w.add_tensor("w", np.zeros((2, 2), dtype=np.float32))


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "scalars.gguf"), scalars)
    write(os.path.join(out, "arrays.gguf"), arrays)
    write(os.path.join(out, "tensors.gguf"), tensors)
    write(os.path.join(out, "k-quant.gguf"), k_quant, alignment=16)
    write(os.path.join(out, "align-8.gguf"), small, alignment=8)
    write(os.path.join(out, "align-1.gguf"), small, alignment=1)
    write(os.path.join(out, "version-2.gguf"), small, version=2)
    write(os.path.join(out, "metadata-only.gguf"), lambda w: None)
    for name in sorted(os.listdir(out)):
        size = os.path.getsize(os.path.join(out, name))
        assert size <= 4096, f"{name} is {size} bytes, over the 4 KiB limit"
