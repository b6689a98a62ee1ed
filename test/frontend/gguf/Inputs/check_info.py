"""Checks `lathe-gguf-info --full --hash FILE` output against what the gguf
package's GGUFReader reads from the same file.

usage: check_info.py FILE.gguf INFO.txt
       check_info.py --types TYPES.txt    (output of lathe-gguf-info --types)

Every line of the expected listing is rebuilt here from GGUFReader's fields
and tensors; the rendering rules are the tool's documented format (keys and
strings escaped, f32 with 9 significant digits, f64 with 17, dims innermost
first, tensor offsets from the start of the file, FNV-1a 64 of the data).
Prints the first difference and exits 1 when the two disagree.
"""
import sys

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader, GGUFValueType

TYPE_NAMES = {
    GGUFValueType.UINT8: "u8", GGUFValueType.INT8: "i8",
    GGUFValueType.UINT16: "u16", GGUFValueType.INT16: "i16",
    GGUFValueType.UINT32: "u32", GGUFValueType.INT32: "i32",
    GGUFValueType.FLOAT32: "f32", GGUFValueType.BOOL: "bool",
    GGUFValueType.STRING: "string", GGUFValueType.ARRAY: "array",
    GGUFValueType.UINT64: "u64", GGUFValueType.INT64: "i64",
    GGUFValueType.FLOAT64: "f64",
}


def escape(raw: bytes) -> str:
    out = []
    for byte in raw:
        if byte in (0x5C, 0x22):
            out.append("\\" + chr(byte))
        elif byte < 0x20 or byte == 0x7F:
            out.append("\\x%02x" % byte)
        else:
            out.append(None)  # placeholder: raw byte kept
    # Keep bytes >= 0x20 as they are (UTF-8 passes through).
    result = bytearray()
    for byte, text in zip(raw, out):
        result += bytes([byte]) if text is None else text.encode()
    return result.decode("utf-8", errors="surrogateescape")


def decode(parts, i, vtype):
    """Rebuilds one value from GGUFReader's field parts starting at parts[i];
    returns (rendered text, type text, index after the value)."""
    if vtype == GGUFValueType.STRING:
        return '"' + escape(bytes(parts[i + 1])) + '"', "string", i + 2
    if vtype == GGUFValueType.ARRAY:
        etype = GGUFValueType(int(parts[i][0]))
        count = int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            text, _, i = decode(parts, i, etype)
            items.append(text)
        return "[" + ", ".join(items) + "]", \
            f"array[{TYPE_NAMES[etype]}, {count}]", i
    value = parts[i][0]
    if vtype == GGUFValueType.BOOL:
        text = "true" if bool(value) else "false"
    elif vtype == GGUFValueType.FLOAT32:
        text = "%.9g" % float(np.float32(value))
    elif vtype == GGUFValueType.FLOAT64:
        text = "%.17g" % float(value)
    else:
        text = str(int(value))
    return text, TYPE_NAMES[vtype], i + 1


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def expected_listing(path):
    reader = GGUFReader(path)
    version = int(reader.fields["GGUF.version"].parts[0][0])
    lines = [
        f"version: {version}",
        f"alignment: {int(reader.alignment)}",
        f"size: {len(reader.data)} bytes, tensor data from byte {reader.data_offset}",
    ]
    fields = [f for name, f in reader.fields.items() if not name.startswith("GGUF.")]
    lines.append(f"metadata: {len(fields)}")
    for field in fields:
        # parts: key length, key, value type, then the value's parts.
        vtype = GGUFValueType(int(field.parts[2][0]))
        text, type_text, end = decode(field.parts, 3, vtype)
        assert end == len(field.parts), field.name
        lines.append(f"  {escape(bytes(field.parts[1]))}: {type_text} = {text}")
    lines.append(f"tensors: {len(reader.tensors)}")
    rows = []
    for index, t in enumerate(reader.tensors):
        dims = "x".join(str(int(d)) for d in t.shape) or "scalar"
        data = np.ascontiguousarray(t.data).tobytes()
        assert len(data) == t.n_bytes
        rows.append([str(index), t.tensor_type.name, dims, str(t.n_elements),
                     str(t.n_bytes), str(t.data_offset), "%016x" % fnv1a64(data),
                     escape(t.name.encode())])
    return lines, rows


def check_info(path, info_path):
    with open(info_path, encoding="utf-8", errors="surrogateescape") as f:
        actual = f.read().splitlines()
    lines, rows = expected_listing(path)
    # Line 0 names the file; after the listing's lines come the table's
    # header and its rows.
    got_lines = actual[1:1 + len(lines)]
    for want, got in zip(lines, got_lines):
        if want != got:
            return fail(f"expected: {want!r}\n     got: {got!r}")
    if len(got_lines) != len(lines):
        return fail(f"listing has {len(got_lines)} lines before the table, "
                    f"expected {len(lines)}")
    table = actual[1 + len(lines):]
    if rows:
        table = table[1:]  # column header
    if len(table) != len(rows):
        return fail(f"{len(table)} tensor rows, expected {len(rows)}")
    for want, line in zip(rows, table):
        got = line.split(None, 7)
        if got != want:
            return fail(f"expected tensor row {want}\n               got {got}")
    print(f"ok: {len(lines) - 5} metadata entries, {len(rows)} tensors match GGUFReader")
    return 0


def check_types(types_path):
    with open(types_path) as f:
        rows = [line.split() for line in f.read().splitlines()[1:]]
    got = {int(r[0]): (r[1], int(r[2]), int(r[3])) for r in rows}
    want = {int(t): (t.name, *GGML_QUANT_SIZES[t]) for t in GGMLQuantizationType}
    if got != want:
        for key in sorted(set(got) | set(want)):
            if got.get(key) != want.get(key):
                return fail(f"type {key}: lathe {got.get(key)}, gguf {want.get(key)}")
    print(f"ok: {len(want)} ggml types match gguf.GGML_QUANT_SIZES")
    return 0


def fail(message):
    print("MISMATCH: " + message)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "--types":
        sys.exit(check_types(sys.argv[2]))
    sys.exit(check_info(sys.argv[1], sys.argv[2]))
