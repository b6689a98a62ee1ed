"""Runs lathe-lower-graph on random inputs and compares with ONNX's reference.

Each case is a module whose `main` builds the inputs as dense constants, runs
one graph op and prints the results with printMemrefF32. The module is lowered
by `lathe-opt --lathe-lower-graph`, taken to LLVM by `mlir-opt` and run by
`mlir-runner`; the printed values are compared with the implementations in
onnx.reference.ops. Attention that lathe-fuse-attention takes also runs as the
CPU's fused kernel (lathe-cpu-flash-attention, with several lane and key block
sizes). lathe-opt, mlir-opt and mlir-runner are found on PATH, the runner
libraries next to mlir-runner. Exit status 1 if any case differs.
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from onnx.reference.ops.op_attention import _compute_attention
from onnx.reference.ops.op_layer_normalization import _layer_normalization
from onnx.reference.ops.op_rms_normalization import _rms_normalization
from onnx.reference.ops.op_rotary_embedding import rotary_embedding

TO_LLVM = ",".join([
    "one-shot-bufferize{bufferize-function-boundaries}",
    "convert-linalg-to-loops", "expand-strided-metadata", "lower-affine",
    "convert-vector-to-scf", "convert-scf-to-cf", "convert-vector-to-llvm", "convert-math-to-llvm", "convert-math-to-libm",
    "finalize-memref-to-llvm", "convert-arith-to-llvm", "convert-func-to-llvm",
    "convert-cf-to-llvm", "reconcile-unrealized-casts"])
ELEMENT_TYPES = {np.float32: "f32", np.float16: "f16", np.bool_: "i1", np.int64: "i64"}
LOWER_GRAPH = ["--lathe-lower-graph"]


def flash(lanes, key_block):
    """lathe-opt passes that compute fusable attention as the CPU kernel."""
    return ["--lathe-fuse-attention", "--lathe-lower-graph",
            "--one-shot-bufferize=bufferize-function-boundaries",
            f"--lathe-cpu-flash-attention=lanes={lanes} key-block={key_block}"]


def tool(name):
    path = shutil.which(name)
    if not path:
        sys.exit(f"{name} not found on PATH")
    return path


def tensor_type(shape, element):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def type_of(array):
    return tensor_type(array.shape, ELEMENT_TYPES[array.dtype.type])


def constant(name, array):
    """A rank-1 dense constant (raw bytes, so -inf needs no literal) expanded
    to the array's shape."""
    flat_type = tensor_type((array.size,), ELEMENT_TYPES[array.dtype.type])
    if array.dtype == np.bool_:
        values = "[" + ", ".join("true" if v else "false" for v in array.flat) + "]"
    else:
        raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        values = '"0x' + raw.tobytes().hex().upper() + '"'
    if array.ndim == 0:
        return (f"    {name}_flat = arith.constant dense<{values}> : {flat_type}\n"
                f"    {name} = tensor.collapse_shape {name}_flat [] "
                f": {flat_type} into {type_of(array)}\n")
    dims = ", ".join(str(d) for d in array.shape)
    group = ", ".join(str(i) for i in range(array.ndim))
    return (f"    {name}_flat = arith.constant dense<{values}> : {flat_type}\n"
            f"    {name} = tensor.expand_shape {name}_flat [[{group}]] "
            f"output_shape [{dims}] : {flat_type} into {type_of(array)}\n")


def printed(name, shape, element):
    """Prints a result tensor, extended to f32 first if needed."""
    f32_type = tensor_type(shape, "f32")
    memref = f32_type.replace("tensor", "memref")
    text = ""
    if element != "f32":
        loops = ", ".join(f"d{i}" for i in range(len(shape)))
        identity = f"affine_map<({loops}) -> ({loops})>"
        parallel = ", ".join(['"parallel"'] * len(shape))
        text += (f"    {name}_init = tensor.empty() : {f32_type}\n"
                 f"    {name}_f32 = linalg.generic {{indexing_maps = [{identity}, {identity}], "
                 f"iterator_types = [{parallel}]}} ins({name} : {tensor_type(shape, element)}) "
                 f"outs({name}_init : {f32_type}) {{\n"
                 f"    ^bb0(%in: {element}, %out: f32):\n"
                 f"      %e = arith.extf %in : {element} to f32\n"
                 f"      linalg.yield %e : f32\n"
                 f"    }} -> {f32_type}\n")
        name = f"{name}_f32"
    return text + (f"    {name}_buf = bufferization.to_buffer {name} : {f32_type} to {memref}\n"
                   f"    {name}_any = memref.cast {name}_buf : {memref} to memref<*xf32>\n"
                   f"    func.call @printMemrefF32({name}_any) : (memref<*xf32>) -> ()\n")


def run(inputs, op, results, passes=LOWER_GRAPH):
    """`op` reads %in0, %in1, ... and defines %r0, %r1, ... whose (shape,
    element type) are `results`; returns the printed results, flattened.
    `passes` are lathe-opt's."""
    module = ("module {\n  func.func private @printMemrefF32(memref<*xf32>)\n"
              "  func.func @main() {\n"
              + "".join(constant(f"%in{i}", a) for i, a in enumerate(inputs))
              + f"    {op}\n"
              + "".join(printed(f"%r{i}", s, e) for i, (s, e) in enumerate(results))
              + "    return\n  }\n}\n")
    runner = tool("mlir-runner")
    libs = os.path.join(os.path.dirname(os.path.realpath(runner)), "..", "lib")
    steps = [[tool("lathe-opt")] + passes,
             [tool("mlir-opt"), f"--pass-pipeline=builtin.module({TO_LLVM})"],
             [runner, "-e", "main", "-entry-point-result=void",
              f"-shared-libs={libs}/libmlir_runner_utils.so,{libs}/libmlir_c_runner_utils.so"]]
    text = module
    for step in steps:
        done = subprocess.run(step, input=text, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{os.path.basename(step[0])} failed:\n{done.stderr}\n{module}")
        text = done.stdout
    return [np.array([float(n) for n in
                      re.findall(r"-?nan|-?inf|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?",
                                 block.split("data =", 1)[1])])
            for block in text.split("Unranked Memref")[1:]]


failures = 0
rng = np.random.default_rng(7)


def compare(name, got, want, tol):
    global failures
    want = np.asarray(want, dtype=np.float64).reshape(-1)
    ok = got.shape == want.shape and np.allclose(got, want, rtol=tol, atol=tol,
                                                  equal_nan=True)
    error = np.max(np.abs(got - want)) if got.shape == want.shape else np.nan
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max abs error {error:.3g}")
    failures += not ok


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def check_rms_norm(shape, axis, dtype=np.float32, tol=1e-5):
    x, w = randn(*shape, dtype=dtype), randn(*shape[axis:], dtype=dtype)
    element = ELEMENT_TYPES[dtype]
    (got,) = run([x, w], f"%r0 = graph.rms_norm %in0, %in1 {{axis = {axis} : i64, "
                 f"epsilon = 1.0e-05 : f32}} : {type_of(x)}, {type_of(w)}",
                 [(shape, element)])
    want = _rms_normalization(x.astype(np.float32), w.astype(np.float32), axis, 1e-5)
    compare(f"rms_norm {shape} axis={axis} {element}", got, want, tol)


def check_layer_norm(shape, axis, bias, dtype=np.float32, tol=1e-5):
    x = randn(*shape, dtype=dtype) * 3 + 1
    s, b = randn(*shape[axis:], dtype=dtype), randn(*shape[axis:], dtype=dtype)
    inputs = [x, s] + ([b] if bias else [])
    element = ELEMENT_TYPES[dtype]
    operands = ", ".join(f"%in{i}" for i in range(len(inputs)))
    stats = tuple(shape[:axis]) + (1,) * (len(shape) - axis)
    got = run(inputs, f"%r0, %r1, %r2 = graph.layer_norm {operands} {{axis = {axis} : i64, "
              f"epsilon = 1.0e-05 : f32}} : {', '.join(type_of(a) for a in inputs)}",
              [(shape, element), (stats, "f32"), (stats, "f32")])
    want = _layer_normalization(x.astype(np.float32), s.astype(np.float32),
                                b.astype(np.float32) if bias else None, axis, 1e-5)
    name = f"layer_norm {shape} axis={axis} bias={bias} {element}"
    compare(name + " y", got[0], want[0], tol)
    compare(name + " mean", got[1], want[1], 1e-5)
    compare(name + " inv_std_dev", got[2], want[2], 1e-5)


def check_rope(shape, rotary, interleaved, table_batch, dtype=np.float32, tol=1e-5):
    batch, _, length, _ = shape
    x = randn(*shape, dtype=dtype)
    angles = rng.uniform(-3, 3, (table_batch, length, rotary // 2))
    cos, sin = np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)
    element = ELEMENT_TYPES[dtype]
    (got,) = run([x, cos, sin], f"%r0 = graph.rope %in0, %in1, %in2 {{interleaved = "
                 f"{str(interleaved).lower()}}} : {type_of(x)}, {type_of(cos)}, {type_of(sin)}",
                 [(shape, element)])
    table_shape = (batch, length, rotary // 2)
    want = rotary_embedding(x.astype(np.float32),
                            np.broadcast_to(cos, table_shape).astype(np.float32),
                            np.broadcast_to(sin, table_shape).astype(np.float32),
                            interleaved=interleaved, rotary_embedding_dim=rotary)
    compare(f"rope {shape} R={rotary} interleaved={interleaved} "
            f"table_batch={table_batch} {element}", got, want, tol)


def attention_reference(q, k, v, scale, causal, past, bias=None, softcap=0.0):
    """ONNX's attention with past length P: query i sees key j <= i + P (any
    P, the first P keys as past_key); rows that see no key give zeros."""
    f32 = lambda a: a.astype(np.float32)
    b, hq, s, _ = q.shape
    l = k.shape[2]
    if causal and not 0 <= past <= l:
        # Beyond what past_key can express: spell the causal bias out.
        i, j = np.arange(s)[:, None], np.arange(l)[None, :]
        visible = j <= i + past
        causal_bias = np.where(visible, np.float32(0), np.float32(-np.inf))
        if bias is not None:
            causal_bias = causal_bias + (np.where(bias, 0, -np.inf) if bias.dtype == np.bool_
                                         else bias)
        want = _compute_attention(f32(q), f32(k), f32(v), attn_mask=causal_bias, scale=scale,
                                  softcap=softcap if softcap > 0 else None)[0]
        want[:, :, ~visible.any(axis=1), :] = 0
        return want
    p = past if causal else 0
    return _compute_attention(f32(q), f32(k[:, :, p:]), f32(v[:, :, p:]),
                              past_key=f32(k[:, :, :p]) if p else None,
                              past_value=f32(v[:, :, :p]) if p else None,
                              attn_mask=bias, scale=scale, is_causal=causal,
                              softcap=softcap if softcap > 0 else None)[0]


def check_attention(b, hq, hkv, s, l, d, dv, mask=None, mask_shape=None, causal=False,
                    past=None, past_operand=None, softcap=0.0, dtype=np.float32, tol=1e-5,
                    kernels=(), empty_rows=()):
    """mask: None, "bool" or "float"; past: the op's past_length (None: L - S);
    past_operand: a run-time past length instead; empty_rows: query positions
    whose keys the mask hides all (they give zeros, the reference NaN). Also
    runs the CPU's fused kernel for each (lanes, key block) of `kernels`."""
    q, k, v = randn(b, hq, s, d, dtype=dtype), randn(b, hkv, l, d, dtype=dtype), \
        randn(b, hkv, l, dv, dtype=dtype)
    scale = float(np.float32(1.3 / np.sqrt(d)))
    inputs = [q, k, v]
    if mask == "bool":
        inputs.append(rng.uniform(size=mask_shape) > 0.3)
        inputs[-1][..., list(empty_rows), :] = False
    elif mask == "float":
        inputs.append(rng.uniform(-2, 0, size=mask_shape).astype(dtype))
        if mask_shape[-1] > 1:
            inputs[-1][..., 0] = -np.inf
        inputs[-1][..., list(empty_rows), :] = -np.inf
    element = ELEMENT_TYPES[dtype]
    attrs = f"scale = {scale:.9e} : f32, causal = {str(causal).lower()}, softcap = {softcap:.9e} : f32"
    if past is not None:
        attrs += f", past_length = {past} : i64"
    operands = ", ".join(f"%in{i}" for i in range(len(inputs)))
    types = ", ".join(type_of(a) for a in inputs)
    if past_operand is not None:
        inputs.append(np.array(past_operand, dtype=np.int64))
        operands += f" past(%in{len(inputs) - 1} : tensor<i64>)"
    name = (f"attention q{q.shape} k{k.shape} v{v.shape} mask={mask}{mask_shape or ''} "
            f"causal={causal} past={past if past_operand is None else f'%{past_operand}'} "
            f"softcap={softcap} {element}")

    bias = None
    if mask is not None:
        bias = inputs[3] if inputs[3].dtype == np.bool_ else inputs[3].astype(np.float32)
        if causal:
            # onnx 1.22's reference turns a kept boolean under is_causal into
            # 0 * -inf = NaN, and adds its causal triangle in place, which
            # breaks masks that broadcast along S: give it the full additive
            # mask.
            if bias.dtype == np.bool_:
                bias = np.where(bias, np.float32(0), np.float32(-np.inf))
            bias = np.broadcast_to(bias, (b, hq, s, l)).copy()
    p = past_operand if past_operand is not None else past if past is not None else l - s
    want = attention_reference(q, k, v, scale, causal, p, bias, softcap)
    want[:, :, list(empty_rows), :] = 0
    op = f"%r0 = graph.attention {operands} {{{attrs}}} : {types}"
    result = [((b, hq, s, dv), element)]
    (got,) = run(inputs, op, result)
    compare(name, got, want, tol)
    for lanes, key_block in kernels:
        (got,) = run(inputs, op, result, flash(lanes, key_block))
        compare(f"{name} flash lanes={lanes} key-block={key_block}", got, want, tol)


def check_attention_scores(b, hq, hkv, s, l, d, mask_shape=None, causal=False, past=0,
                           softcap=0.0):
    """graph.attention_scores at each stage against the qk_matmul_output of
    onnx's reference (modes 1, 2, 3; the first P keys as past_key)."""
    q, k = randn(b, hq, s, d), randn(b, hkv, l, d)
    scale = float(np.float32(1.1 / np.sqrt(d)))
    inputs = [q, k]
    if mask_shape:
        inputs.append(rng.uniform(-2, 0, size=mask_shape).astype(np.float32))
    attrs = f"scale = {scale:.9e} : f32, causal = {str(causal).lower()}, softcap = {softcap:.9e} : f32"
    if causal:
        attrs += f", past_length = {past} : i64"
    operands = ", ".join(f"%in{i}" for i in range(len(inputs)))
    types = ", ".join(type_of(a) for a in inputs)
    v = np.zeros((b, hkv, l, 4), dtype=np.float32)
    p = past if causal else 0
    for stage, mode in (("scaled", 1), ("biased", 2), ("probabilities", 3)):
        (got,) = run(inputs, f"%r0 = graph.attention_scores {stage} {operands} {{{attrs}}} : {types}",
                     [((b, hq, s, l), "f32")])
        want = _compute_attention(q, k[:, :, p:], v[:, :, p:],
                                  past_key=k[:, :, :p] if p else None,
                                  past_value=v[:, :, :p] if p else None,
                                  attn_mask=inputs[2] if mask_shape else None, scale=scale,
                                  is_causal=causal, softcap=softcap if softcap > 0 else None,
                                  qk_matmul_output_mode=mode)[3]
        compare(f"attention_scores {stage} q{q.shape} k{k.shape} mask={mask_shape} "
                f"causal={causal} past={past} softcap={softcap}", got, want, 1e-5)


def main():
    np.seterr(all="ignore")
    check_rms_norm((2, 3, 8), 2)
    check_rms_norm((2, 3, 8), 1)
    check_rms_norm((4, 16), 0)
    check_rms_norm((2, 3, 64), 2, np.float16, 2e-3)
    check_layer_norm((2, 3, 8), 2, bias=True)
    check_layer_norm((2, 3, 8), 1, bias=False)
    check_layer_norm((3, 5), 0, bias=True)
    check_layer_norm((2, 4, 32), 2, bias=True, dtype=np.float16, tol=5e-3)
    check_rope((2, 3, 4, 8), 8, interleaved=False, table_batch=2)
    check_rope((2, 3, 4, 8), 8, interleaved=True, table_batch=2)
    check_rope((2, 3, 4, 10), 6, interleaved=False, table_batch=1)
    check_rope((2, 3, 4, 10), 6, interleaved=True, table_batch=2)
    check_rope((1, 2, 3, 16), 16, interleaved=True, table_batch=1, dtype=np.float16, tol=2e-3)
    kernels = [(8, 8), (16, 16), (4, 3)]
    check_attention(2, 4, 4, 3, 5, 8, 6, kernels=kernels)
    check_attention(2, 6, 2, 3, 5, 8, 8, kernels=kernels)
    check_attention(1, 4, 2, 3, 7, 8, 8, causal=True, kernels=kernels)
    check_attention(1, 4, 2, 5, 5, 8, 8, causal=True, softcap=2.0, kernels=kernels)
    check_attention(2, 4, 1, 3, 5, 8, 8, mask="bool", mask_shape=(2, 1, 3, 5), kernels=kernels)
    check_attention(2, 4, 2, 3, 5, 8, 8, mask="bool", mask_shape=(1, 4, 1, 5), causal=True,
                    kernels=kernels)
    check_attention(2, 4, 2, 3, 5, 8, 8, mask="float", mask_shape=(2, 4, 3, 5), kernels=kernels)
    check_attention(1, 2, 2, 4, 6, 8, 8, mask="float", mask_shape=(1, 1, 4, 6), causal=True,
                    softcap=1.5, kernels=kernels)
    # ONNX without a cache: past length 0 although L > S.
    check_attention(1, 4, 2, 4, 6, 8, 8, causal=True, past=0, kernels=kernels)
    check_attention(2, 3, 3, 4, 18, 8, 8, mask="float", mask_shape=(2, 1, 4, 18), causal=True,
                    past=12, kernels=kernels)
    check_attention(1, 2, 1, 5, 3, 8, 8, causal=True, kernels=kernels)
    # Run-time past lengths, as a decoder's position: inside the keys, past
    # their end, and negative (the first rows see no key).
    check_attention(1, 6, 2, 7, 40, 16, 12, causal=True, past_operand=20, kernels=kernels)
    check_attention(2, 3, 1, 5, 19, 8, 8, causal=True, past_operand=30, kernels=kernels)
    check_attention(1, 4, 4, 6, 9, 8, 8, causal=True, past_operand=-3, kernels=kernels)
    check_attention(1, 8, 2, 1, 33, 16, 16, causal=True, past_operand=17, kernels=kernels)
    # Few rows per key/value head (decoding): the kernels with 8 and 16 lanes
    # put keys in the lanes when the head sizes are multiples of the lanes.
    check_attention(2, 8, 2, 1, 37, 16, 32, causal=True, past_operand=29, kernels=kernels)
    check_attention(1, 4, 1, 2, 24, 16, 16, causal=True, past_operand=5, kernels=kernels)
    check_attention(1, 6, 3, 2, 40, 32, 16, causal=True, past_operand=-1, kernels=kernels)
    check_attention(1, 2, 2, 3, 45, 16, 16, kernels=kernels)
    check_attention(1, 4, 2, 1, 16, 16, 16, causal=True, past_operand=15, kernels=kernels)
    # Masks and softcap in the key-lane kernel, a mask broadcast over
    # positions, and rows whose keys are all masked.
    check_attention(1, 4, 2, 1, 37, 16, 16, mask="float", mask_shape=(1, 4, 1, 37),
                    causal=True, past_operand=30, softcap=3.0, kernels=kernels)
    check_attention(2, 2, 1, 3, 21, 16, 16, mask="bool", mask_shape=(2, 1, 3, 21),
                    kernels=kernels, empty_rows=(1,))
    check_attention(1, 4, 2, 8, 20, 8, 8, mask="float", mask_shape=(1, 4, 8, 20),
                    kernels=kernels, empty_rows=(0, 5))
    check_attention(1, 4, 2, 6, 20, 8, 8, mask="float", mask_shape=(1, 1, 1, 20),
                    kernels=kernels)
    check_attention(1, 8, 2, 4, 9, 16, 16, causal=True, dtype=np.float16, tol=3e-3)
    check_attention_scores(1, 4, 2, 3, 7, 8, mask_shape=(1, 1, 3, 7), causal=True, past=4,
                           softcap=2.5)
    check_attention_scores(2, 2, 2, 4, 6, 16, mask_shape=(2, 2, 4, 6))
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
