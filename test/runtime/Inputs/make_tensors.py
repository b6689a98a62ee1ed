"""Writes the tensor files the lathe-run tests read into the directory argv[1].

Valid inputs and expected outputs for the fixtures in model.c, in .npy and in
ONNX TensorProto form (raw_data and typed fields), plus deliberately broken
files for the error tests.
"""
import os
import struct
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def save_pb(name, tensor):
    with open(path(name), "wb") as f:
        f.write(tensor.SerializeToString())


def save_raw(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def npy_bytes(header, data=b"", version=(1, 0)):
    """A .npy file with a hand-written header dictionary."""
    text = header.encode("latin1") + b"\n"
    if version[0] == 1:
        return b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(text)) + text + data
    return b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(text)) + text + data


# add: a, b -> sum, all f32[4,8].
a = np.arange(32, dtype=np.float32).reshape(4, 8)
b = np.full((4, 8), 0.5, dtype=np.float32)
total = a + b
np.save(path("a.npy"), a)
np.save(path("b.npy"), b)
np.save(path("sum.npy"), total)
save_pb("a.pb", numpy_helper.from_array(a, "a"))  # raw_data
save_pb("b.pb", helper.make_tensor("b", TensorProto.FLOAT, [4, 8], b.flatten().tolist()))
save_pb("sum.pb", numpy_helper.from_array(total, "sum"))
with open(path("a_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, a, version=(2, 0))
with open(path("a_v3.npy"), "wb") as f:
    np.lib.format.write_array(f, a, version=(3, 0))

# Within the default tolerance: relative error 1e-4.
np.save(path("sum_close.npy"), total * np.float32(1 + 1e-4))
# Two elements off; the worst is [2,5].
wrong = total.copy()
wrong[1, 1] += 0.5
wrong[2, 5] += 3
np.save(path("sum_wrong.npy"), wrong)
# NaN and infinity in the same places in actual and expected match.
special = total.copy()
special[0, 0] = np.nan
np.save(path("sum_nan.npy"), special)

# affine: x f32[1000] -> y = 2x + 1.
x = np.linspace(-1, 1, 1000, dtype=np.float32)
np.save(path("affine_x.npy"), x)
np.save(path("affine_y.npy"), 2 * x + 1)
# NaN matches NaN and equal infinities match.
x_special = x.copy()
x_special[:3] = [np.nan, np.inf, -np.inf]
np.save(path("affine_special_x.npy"), x_special)
np.save(path("affine_special_y.npy"), 2 * x_special + 1)

# negate: i64[2,3] via int64_data.
n = np.array([[1, -2, 3], [2**40, -(2**40), 0]], dtype=np.int64)
save_pb("negate_x.pb", helper.make_tensor("x", TensorProto.INT64, [2, 3], n.flatten().tolist()))
np.save(path("negate_y.npy"), -n)

# identity_* inputs, one per dtype and field.
f16 = np.array([1.5, -2.0, 0.099976, 65504, -0.0], dtype=np.float16)
np.save(path("f16.npy"), f16)
save_pb("f16.pb", helper.make_tensor("x", TensorProto.FLOAT16, [5], f16.tolist()))  # int32_data
bf16_bits = np.array([0x3FC0, 0xC040, 0x7F80], dtype=np.uint16)  # 1.5, -3, inf
np.save(path("bf16.npy"), bf16_bits)
save_pb("bf16.pb", helper.make_tensor("x", TensorProto.BFLOAT16, [3], [1.5, -3.0, np.inf]))  # int32_data
save_pb("f64.pb", helper.make_tensor("x", TensorProto.DOUBLE, [2, 2], [0.25, -1e300, 3.0, 1e-300]))
save_pb("i8.pb", helper.make_tensor("x", TensorProto.INT8, [4], [-128, -1, 0, 127]))
save_pb("u64.pb", helper.make_tensor("x", TensorProto.UINT64, [3], [0, 2**63, 2**64 - 1]))
np.save(path("bool.npy"), np.array([True, False, False, True]))
save_pb("bool.pb", helper.make_tensor("x", TensorProto.BOOL, [4], [0, 1, 1, 0]))
np.save(path("scalar.npy"), np.float32(42.5))

# Broken .npy files.
np.save(path("wrong_shape.npy"), np.zeros((4, 9), dtype=np.float32))
np.save(path("wrong_dtype.npy"), a.astype(np.float64))
np.save(path("fortran.npy"), np.asfortranarray(a))
np.save(path("big_endian.npy"), a.astype(">f4"))
good = open(path("a.npy"), "rb").read()
save_raw("truncated.npy", good[:-10])
save_raw("trailing.npy", good + b"\0" * 3)
save_raw("bad_magic.npy", b"\x93NUMPX" + good[6:])
save_raw("short.npy", good[:7])
save_raw("bad_version.npy", good[:6] + b"\x07\x00" + good[8:])
save_raw("absurd_shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"))
save_raw("huge_extent.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"))
save_raw("bad_header.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), 'extra': 1}"))
save_raw("huge_header.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{")
save_raw("bad_bool.npy", npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", b"\x00\x01\x02\x00"))

# Broken TensorProto files.
save_raw("garbage.pb", b"\xff\xff\xff\xff this is not a protobuf")
save_raw("empty.pb", b"")
raw_size = numpy_helper.from_array(a, "a")
raw_size.raw_data = raw_size.raw_data[:100]
save_pb("raw_size.pb", raw_size)
typed_count = TensorProto(name="a", data_type=TensorProto.FLOAT, dims=[4, 8])
typed_count.float_data.extend([1.0] * 31)
save_pb("typed_count.pb", typed_count)
i8_range = TensorProto(name="x", data_type=TensorProto.INT8, dims=[4])
i8_range.int32_data.extend([0, 300, 0, 0])
save_pb("i8_range.pb", i8_range)
save_pb("string.pb", helper.make_tensor("a", TensorProto.STRING, [1], [b"hi"]))
external = numpy_helper.from_array(a, "a")
external.ClearField("raw_data")
external.data_location = TensorProto.EXTERNAL
entry = external.external_data.add()
entry.key, entry.value = "location", "weights.bin"
save_pb("external.pb", external)
