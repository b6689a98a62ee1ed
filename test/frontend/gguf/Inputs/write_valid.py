"""Writes valid GGUF files with the gguf package's GGUFWriter.

usage: write_valid.py KIND OUT.gguf
  all-types   v3, every metadata value type, arrays of each (nested too),
              general.alignment 64, tensors of F32/F16/BF16/Q8_0/Q4_0/Q4_K/
              I8/I32/F64 and a 0-d scalar
  v2          a small file whose version field is patched to 2 (the layout of
              little-endian v2 and v3 files is the same)
  no-tensors  metadata only, default alignment
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as T
from gguf import GGUFWriter, GGML_QUANT_SIZES


def quantized_bytes(rng, rows, row_length, qtype):
    """Random bytes shaped as GGUFWriter expects raw quantized data."""
    block_size, block_bytes = GGML_QUANT_SIZES[qtype]
    assert row_length % block_size == 0
    shape = (rows, row_length // block_size * block_bytes)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def write_all_types(path):
    rng = np.random.default_rng(7)
    w = GGUFWriter(path, arch="lathetest")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 3.14159)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62) - 3)
    w.add_float64("test.f64", 2.718281828459045)
    w.add_bool("test.true", True)
    w.add_bool("test.false", False)
    w.add_string("test.string", 'h\u00e9llo "quoted" back\\slash\ttab\nline')
    # add_string skips empty strings; add_key_value does not.
    w.add_key_value("test.empty_string", "", T.STRING)
    w.add_string("test.long_string", "0123456789" * 20)

    w.add_key_value("test.array.u8", list(range(20)), T.ARRAY, sub_type=T.UINT8)
    w.add_key_value("test.array.i8", [-128, 0, 127], T.ARRAY, sub_type=T.INT8)
    w.add_key_value("test.array.u16", [0, 65535], T.ARRAY, sub_type=T.UINT16)
    w.add_key_value("test.array.i16", [-32768, 32767], T.ARRAY, sub_type=T.INT16)
    w.add_key_value("test.array.u32", [1, 4294967295], T.ARRAY, sub_type=T.UINT32)
    w.add_array("test.array.i32", [1, -2, 3, -4, 5, -6, 7, -8, 9, -10])
    w.add_array("test.array.f32", [0.5, -1.25, 1e-7, 3.4e38])
    w.add_array("test.array.bool", [True, False, True])
    w.add_key_value("test.array.u64", [0, 2**64 - 1], T.ARRAY, sub_type=T.UINT64)
    w.add_key_value("test.array.i64", [-(2**63), 2**63 - 1], T.ARRAY,
                    sub_type=T.INT64)
    w.add_key_value("test.array.f64", [0.1, -1e300], T.ARRAY, sub_type=T.FLOAT64)
    tokens = ["<s>", "</s>", " ", "\u2581the", "\"", "\\", "\x00", "\U0001F600"]
    tokens += [f"tok{i}" for i in range(300)]
    w.add_array("test.array.string", tokens)
    w.add_array("test.array.nested", [[1, 2], [3], [4, 5, 6]])
    w.add_array("test.array.nested_strings", [["a", "b"], ["c"]])
    w.add_array("test.array.nested3", [[[1.5], [2.5, 3.5]], [[4.5]]])

    w.add_tensor("f32.matrix", rng.standard_normal((3, 4), dtype=np.float32))
    w.add_tensor("f16.vector", rng.standard_normal(8).astype(np.float16))
    w.add_tensor("bf16.row", rng.integers(0, 256, (2, 16), dtype=np.uint8),
                 raw_dtype=Q.BF16)
    w.add_tensor("q8_0.weight", quantized_bytes(rng, 2, 64, Q.Q8_0),
                 raw_dtype=Q.Q8_0)
    w.add_tensor("q4_0.weight", quantized_bytes(rng, 3, 32, Q.Q4_0),
                 raw_dtype=Q.Q4_0)
    w.add_tensor("q4_k.weight", quantized_bytes(rng, 1, 256, Q.Q4_K),
                 raw_dtype=Q.Q4_K)
    w.add_tensor("i8.vector", np.arange(-5, 5, dtype=np.int8))
    w.add_tensor("i32.cube", np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    w.add_tensor("f64.4d", rng.standard_normal((1, 2, 1, 3)))
    w.add_tensor("f32.scalar", np.array(42.0, dtype=np.float32))
    finish(w)


def write_v2(path):
    w = GGUFWriter(path, arch="lathetest")
    w.add_uint32("test.u32", 7)
    w.add_tensor("w", np.arange(4, dtype=np.float32))
    finish(w)
    with open(path, "r+b") as f:
        f.seek(4)
        f.write((2).to_bytes(4, "little"))


def write_no_tensors(path):
    w = GGUFWriter(path, arch="lathetest")
    w.add_string("general.name", "metadata only")
    finish(w)


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    {"all-types": write_all_types, "v2": write_v2,
     "no-tensors": write_no_tensors}[kind](out)
