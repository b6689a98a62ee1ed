"""Runs graph.quantized_matmul through lathe-lower-graph on random weights
encoded by gguf-py and compares with gguf-py's own dequantization.

Each case quantizes random f32 weights [N, K] with gguf.quants.quantize (the
bytes a GGUF file holds for a tensor with dims [K, N]), or, for the K-quants
gguf-py cannot quantize to, draws random valid blocks as bytes (random quants
and scales, small positive f16 d and dmin), builds a module whose
`main` multiplies random activations [M, K] by them with
graph.quantized_matmul and prints the result with printMemrefF32. The module
is lowered by `lathe-opt --lathe-lower-graph`, taken to LLVM by `mlir-opt` and
run by `mlir-runner`. The reference is x @ gguf.quants.dequantize(bytes).T in
float64. lathe-opt, mlir-opt and mlir-runner are found on PATH, the runner
libraries next to mlir-runner. Exit status 1 if any case differs.
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import quants

TO_LLVM = ",".join([
    "one-shot-bufferize{bufferize-function-boundaries}",
    "convert-linalg-to-loops", "expand-strided-metadata", "lower-affine",
    "convert-scf-to-cf", "convert-math-to-llvm", "finalize-memref-to-llvm",
    "convert-arith-to-llvm", "convert-func-to-llvm", "convert-cf-to-llvm",
    "reconcile-unrealized-casts"])
FORMATS = {Q.F32: "f32", Q.F16: "f16", Q.BF16: "bf16", Q.Q8_0: "q8_0",
           Q.Q4_0: "q4_0", Q.Q4_1: "q4_1", Q.Q4_K: "q4_K", Q.Q6_K: "q6_K"}
# Drawn as random blocks rather than quantized: gguf-py has no quantizer.
K_QUANTS = (Q.Q4_K, Q.Q6_K)


def tool(name):
    path = shutil.which(name)
    if not path:
        sys.exit(f"{name} not found on PATH")
    return path


def constant(name, array, element):
    """`array` (2-D) as a dense constant of raw little-endian bytes."""
    rows, cols = array.shape
    flat = f"tensor<{array.size}x{element}>"
    raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return (f"    {name}_flat = arith.constant dense<\"0x{raw.tobytes().hex().upper()}\"> : {flat}\n"
            f"    {name} = tensor.expand_shape {name}_flat [[0, 1]] output_shape "
            f"[{rows}, {cols}] : {flat} into tensor<{rows}x{cols}x{element}>\n")


def run(x, w_bytes, fmt):
    m, k = x.shape
    n, row_bytes = w_bytes.shape
    x_type, w_type = f"tensor<{m}x{k}xf32>", f"tensor<{n}x{row_bytes}xi8>"
    module = ("module {\n  func.func private @printMemrefF32(memref<*xf32>)\n"
              "  func.func @main() {\n"
              + constant("%x", x, "f32") + constant("%w", w_bytes, "i8")
              + f"    %y = graph.quantized_matmul {fmt} %x, %w : {x_type}, {w_type}\n"
              f"    %y_buf = bufferization.to_buffer %y : tensor<{m}x{n}xf32> to memref<{m}x{n}xf32>\n"
              f"    %y_any = memref.cast %y_buf : memref<{m}x{n}xf32> to memref<*xf32>\n"
              "    func.call @printMemrefF32(%y_any) : (memref<*xf32>) -> ()\n"
              "    return\n  }\n}\n")
    runner = tool("mlir-runner")
    libs = os.path.join(os.path.dirname(os.path.realpath(runner)), "..", "lib")
    steps = [[tool("lathe-opt"), "--lathe-lower-graph"],
             [tool("mlir-opt"), f"--pass-pipeline=builtin.module({TO_LLVM})"],
             [runner, "-e", "main", "-entry-point-result=void",
              f"-shared-libs={libs}/libmlir_runner_utils.so,{libs}/libmlir_c_runner_utils.so"]]
    text = module
    for step in steps:
        done = subprocess.run(step, input=text, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{os.path.basename(step[0])} failed:\n{done.stderr}")
        text = done.stdout
    data = text.split("data =", 1)[1]
    return np.array([float(v) for v in
                     re.findall(r"-?nan|-?inf|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?", data)])


failures = 0
rng = np.random.default_rng(11)


def halves(count, low, high):
    """`count` random f16 in [low, high) as [count, 2] little-endian bytes."""
    values = rng.uniform(low, high, count).astype("<f2")
    return values.view(np.uint8).reshape(count, 2)


def random_k_blocks(qtype, n, k):
    """Random valid blocks for n rows of k weights, as [n, row bytes] bytes:
    every quant and scale byte is random; d (and dmin) are small positive."""
    blocks = n * k // 256
    if qtype == Q.Q4_K:
        # d, dmin, scales[12], qs[128].
        parts = [halves(blocks, 1e-3, 1e-2), halves(blocks, 1e-3, 1e-2),
                 rng.integers(0, 256, (blocks, 12 + 128), dtype=np.uint8)]
    else:
        # ql[128], qh[64], scales[16] (i8), d.
        parts = [rng.integers(0, 256, (blocks, 128 + 64 + 16), dtype=np.uint8),
                 halves(blocks, 1e-4, 2e-3)]
    return np.concatenate(parts, axis=1).reshape(n, -1)


def check(qtype, m, n, k):
    global failures
    x = rng.standard_normal((m, k)).astype(np.float32)
    if qtype in K_QUANTS:
        w_bytes = random_k_blocks(qtype, n, k)
    else:
        weights = rng.standard_normal((n, k)).astype(np.float32)
        encoded = quants.quantize(weights, qtype)
        w_bytes = np.ascontiguousarray(encoded).view(np.uint8).reshape(n, -1)
    dequantized = quants.dequantize(w_bytes, qtype).reshape(n, k)
    want = (x.astype(np.float64) @ dequantized.astype(np.float64).T).reshape(-1)
    got = run(x, w_bytes.view(np.int8), FORMATS[qtype])
    # printMemrefF32 prints 6 significant digits; f32 sums over K terms.
    tol = 1e-4 * max(1.0, np.max(np.abs(want)))
    ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=tol)
    error = np.max(np.abs(got - want)) if got.shape == want.shape else np.nan
    print(f"{'ok  ' if ok else 'FAIL'} {FORMATS[qtype]} M={m} N={n} K={k}: "
          f"max abs error {error:.3g}")
    failures += not ok


def main():
    for qtype in FORMATS:
        if qtype in K_QUANTS:
            continue
        check(qtype, 1, 7, 32)     # matvec, odd N
        check(qtype, 3, 5, 96)
        check(qtype, 2, 4, 256)
    for qtype in K_QUANTS:         # two super-blocks per row
        check(qtype, 1, 7, 512)
        check(qtype, 3, 5, 512)
    check(Q.Q8_0, 1, 33, 64)
    check(Q.Q4_0, 4, 9, 64)
    check(Q.Q4_1, 1, 3, 64)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
