"""Writes malformed GGUF files, one defect each, into a directory.

usage: write_invalid.py OUT_DIR

The bytes are put together by hand after the GGUF spec (ggml docs/gguf.md),
so that each file breaks exactly one rule. baseline.gguf is the unbroken
file most cases start from; the gguf package's GGUFReader must read it back
as written, which checks this little writer. Byte offsets that the tests
expect are noted beside each case.
"""
import os
import struct
import sys

from gguf import GGUFReader, GGUFValueType as T

F32, Q8_0, F64 = 0, 8, 28


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def gstr(text, length=None):
    raw = text.encode() if isinstance(text, str) else text
    return u64(len(raw) if length is None else length) + raw


def kv(key, vtype, payload):
    return gstr(key) + u32(vtype) + payload


def array(etype, items, count=None):
    return u32(etype) + u64(len(items) if count is None else count) + b"".join(items)


def tensor(name, dims, ggml_type, offset):
    return (gstr(name) + u32(len(dims)) + b"".join(u64(d) for d in dims)
            + u32(ggml_type) + u64(offset))


def gguf(kvs, tensors, data=b"", version=3, alignment=32, n_tensors=None,
         n_kv=None, magic=b"GGUF", pad=True):
    out = (magic + u32(version)
           + u64(len(tensors) if n_tensors is None else n_tensors)
           + u64(len(kvs) if n_kv is None else n_kv)
           + b"".join(kvs) + b"".join(tensors))
    if pad:
        out += b"\0" * (-len(out) % alignment)
    return out + data


ARCH = kv("general.architecture", T.STRING, gstr("test"))  # bytes 24..67
# 'a': F32 [16], 64 bytes at data offset 0; 'b': Q8_0 [32, 2], 68 bytes at 64.
TENSOR_A = tensor("a", [16], F32, 0)          # 33 bytes
TENSOR_B = tensor("b", [32, 2], Q8_0, 64)     # 41 bytes
DATA = bytes(range(64)) + bytes(68)


def baseline(**changes):
    args = dict(kvs=[ARCH], tensors=[TENSOR_A, TENSOR_B], data=DATA)
    args.update(changes)
    return gguf(**args)


def cases():
    base = baseline()
    # Layout of the baseline: header 0..24, general.architecture 24..68,
    # tensor 'a' 68..101, tensor 'b' 101..142, padding to 160, data 160..292.
    yield "baseline", base

    # Header.
    yield "empty", b""
    yield "bad-magic", b"GGUX" + base[4:]
    yield "version-1", base[:4] + u32(1) + base[8:]
    yield "version-4", base[:4] + u32(4) + base[8:]
    yield "big-endian", base[:4] + struct.pack(">I", 3) + base[8:]
    yield "truncated-header", base[:20]  # in the metadata count (16..24)
    yield "huge-tensor-count", baseline(n_tensors=2**60)
    yield "huge-kv-count", baseline(n_kv=2**40)

    # Metadata.
    # test.u64 starts at byte 68; its value is bytes 88..96. Cut in it.
    yield "truncated-kv", gguf([ARCH, kv("test.u64", T.UINT64, u64(5))], [],
                               pad=False)[:92]
    yield "huge-key-length", gguf([gstr("k", length=2**62) + u32(T.UINT8) + b"\0"], [])
    yield "huge-string-length", gguf([kv("s", T.STRING, gstr("x", length=2**40))], [])
    yield "huge-array-count", gguf(
        [kv("arr", T.ARRAY, array(T.UINT32, [u32(1)], count=2**40))], [])
    yield "huge-string-array-count", gguf(
        [kv("arr", T.ARRAY, array(T.STRING, [gstr("x")], count=2**33))], [])
    yield "bad-value-type", gguf([kv("x", 13, u32(0))], [])
    yield "bad-element-type", gguf([kv("x", T.ARRAY, array(99, []))], [])
    yield "bad-bool", gguf([kv("flag", T.BOOL, b"\x02")], [])
    yield "bad-bool-element", gguf(
        [kv("flags", T.ARRAY, array(T.BOOL, [b"\x01", b"\x00", b"\x07"]))], [])
    yield "truncated-element", gguf(
        [kv("strs", T.ARRAY, array(T.STRING, [gstr("ok"), gstr("cut", length=9)]))],
        [], pad=False)
    yield "duplicate-key", gguf([ARCH, kv("x", T.UINT8, b"\1"), ARCH], [])
    nested = u32(T.INT32) + u64(1) + u32(7)
    for _ in range(8):
        nested = u32(T.ARRAY) + u64(1) + nested
    yield "nested-too-deep", gguf([kv("deep", T.ARRAY, nested)], [])
    yield "alignment-0", gguf([kv("general.alignment", T.UINT32, u32(0))], [])
    yield "alignment-48", gguf([kv("general.alignment", T.UINT32, u32(48))], [])
    yield "alignment-u64", gguf([kv("general.alignment", T.UINT64, u64(32))], [])

    # Tensor infos.
    # Cut in dimension 1 (122..130) of 'b'.
    yield "truncated-tensor-info", base[:126]
    yield "n-dims-5", baseline(tensors=[TENSOR_A, tensor("b", [32, 1, 1, 1, 2], Q8_0, 64)])
    yield "dim-too-large", baseline(tensors=[TENSOR_A, tensor("b", [32, 2**63], Q8_0, 64)])
    yield "dim-overflow", baseline(tensors=[TENSOR_A, tensor("b", [2**32, 2**32], F32, 64)])
    yield "size-overflow", baseline(tensors=[TENSOR_A, tensor("b", [2**62], F64, 64)])
    yield "unknown-type", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], 99, 64)])
    yield "removed-type", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], 4, 64)])
    yield "row-not-multiple", baseline(tensors=[TENSOR_A, tensor("b", [33, 2], Q8_0, 64)])
    yield "duplicate-tensor", baseline(tensors=[TENSOR_A, tensor("a", [32, 2], Q8_0, 64)])

    # Tensor data.
    yield "truncated-data", base[:250]  # 'b' needs data bytes 64..132
    yield "offset-past-end", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], Q8_0, 4096)])
    yield "offset-unaligned", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], Q8_0, 40)])
    yield "overlap", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], Q8_0, 32)])
    yield "overlap-same-offset", baseline(tensors=[TENSOR_A, tensor("b", [32, 2], Q8_0, 0)])


def check_baseline(path):
    reader = GGUFReader(path)
    assert reader.data_offset == 160, reader.data_offset
    assert reader.fields["general.architecture"].contents() == "test"
    got = [(t.name, t.tensor_type, t.shape.tolist(), t.data_offset, t.n_bytes)
           for t in reader.tensors]
    assert got == [("a", F32, [16], 160, 64), ("b", Q8_0, [32, 2], 224, 68)], got
    assert bytes(reader.tensors[0].data.tobytes()) == DATA[:64]


if __name__ == "__main__":
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, content in cases():
        with open(os.path.join(out_dir, name + ".gguf"), "wb") as f:
            f.write(content)
    check_baseline(os.path.join(out_dir, "baseline.gguf"))
