#!/usr/bin/env python3
"""Times Lathe against numpy (OpenBLAS) and onnxruntime on square f32 MatMul
and on a small MLP, at 1 and 2 threads, and prints markdown tables.

Every Lathe result is checked against numpy's before its time is reported.
Each engine is timed in several rounds that alternate with the others, and its
time is the minimum over all rounds: the machine's speed drifts, and taking each
engine's minimum within the same stretch of time keeps the ratios fair.

    .venv/bin/python bench/matmul.py [--sizes 1024 4096] [--threads 1 2] [--rounds 3]
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
# OpenBLAS reads these at load time; on this machine forcing them slows it down,
# so the numpy baseline runs in a child process without them.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Loose: Lathe may sum in another order, or with FMA, than OpenBLAS does.
RTOL, ATOL = 1e-3, 1e-3


def repeats_for(flops, requested):
    """Runs per round: about 20 GFLOP of work, at least 2 (a 4096 MatMul,
    137 GFLOP, gets 2)."""
    return requested or max(2, min(25, round(20e9 / flops)))


def matmul_model(n):
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])],
                              f"matmul_{n}", [a, b], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def mlp_model(batch, d_in, d_hidden, d_out, rng):
    """x @ w1 + b1 -> Relu -> @ w2 + b2, weights as initializers."""
    weights = {
        "w1": rng.standard_normal((d_in, d_hidden), dtype=np.float32) / d_in**0.5,
        "b1": rng.standard_normal(d_hidden, dtype=np.float32),
        "w2": rng.standard_normal((d_hidden, d_out), dtype=np.float32) / d_hidden**0.5,
        "b2": rng.standard_normal(d_out, dtype=np.float32),
    }
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w2"], ["h3"]),
        helper.make_node("Add", ["h3", "b2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, d_in])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, d_out])],
        [numpy_helper.from_array(w, name) for name, w in weights.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), weights


def time_ort(model_path, feeds, threads, repeats):
    """Returns (min seconds, outputs)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options,
                                   providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feeds)
        best = min(best, time.perf_counter() - start)
    return best, outputs


class Lathe:
    """lathe-compile and lathe-run; `available` is False when not built."""

    def __init__(self, bin_dir):
        self.compile = bin_dir / "lathe-compile"
        self.run = bin_dir / "lathe-run"
        self.available = os.access(self.compile, os.X_OK) and os.access(self.run, os.X_OK)

    def build(self, model_path):
        artifact = model_path.with_suffix(".so")
        proc = subprocess.run([self.compile, model_path, "-o", artifact],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"lathe-compile {model_path.name} failed:\n{proc.stderr}")
        return artifact

    def time(self, artifact, inputs, expected, threads, repeats):
        """Min seconds over `repeats` runs; raises if the outputs differ from
        `expected` (lathe-run checks them)."""
        cmd = [self.run, artifact] + [f"--input={p}" for p in inputs]
        cmd += [f"--expected={p}" for p in expected]
        cmd += ["--rtol", str(RTOL), "--atol", str(ATOL),
                "--threads", str(threads), "--repeat", str(repeats)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        if proc.returncode != 0 or "all outputs match" not in out:
            raise RuntimeError(f"lathe-run {artifact.name} --threads {threads}: "
                               f"output differs from numpy's or run failed:\n{out}")
        found = re.search(r"latency: min=([0-9.eE+-]+) ms", out)
        if not found:
            raise RuntimeError(f"lathe-run printed no 'latency: min=...':\n{out}")
        return float(found.group(1)) / 1e3


def numpy_child(work, sizes, threads, repeats):
    """Runs in a child process (see OPENBLAS_OVERRIDES): for each size, saves
    numpy's product as the reference (repeats == 0) or times a @ b at each
    thread count; prints JSON."""
    from threadpoolctl import threadpool_info, threadpool_limits
    times = {}
    for n in sizes:
        a, b = np.load(work / f"matmul_{n}_a.npy"), np.load(work / f"matmul_{n}_b.npy")
        if not repeats:
            np.save(work / f"matmul_{n}_y.npy", a @ b)
        for t in threads if repeats else []:
            with threadpool_limits(limits=t, user_api="blas"):
                a @ b  # warm-up
                best = float("inf")
                for _ in range(repeats):
                    start = time.perf_counter()
                    a @ b
                    best = min(best, time.perf_counter() - start)
            times[f"{n}/{t}"] = best
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    print(json.dumps({"times": times, "blas": blas}))


def run_numpy_child(work, sizes, threads=(), repeats=0):
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
    cmd = [sys.executable, __file__, "--numpy-child", "--work-dir", str(work),
           "--sizes", *map(str, sizes), "--threads", *map(str, threads or [1]),
           "--repeat", str(repeats)]
    return json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True,
                                     text=True).stdout)


def gflops(flops, seconds):
    return f"{flops / seconds / 1e9:.1f}"


def ratio(lathe_s, other_s):
    """How many times faster Lathe is (> 1: faster)."""
    return f"{other_s / lathe_s:.2f}"


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096],
                        help="square MatMul sizes (default: 1024 4096)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts (default: 1 2)")
    parser.add_argument("--repeat", type=int, default=0, metavar="N",
                        help="runs per round (default: about 20 GFLOP of work, at least 2)")
    parser.add_argument("--rounds", type=int, default=3, metavar="R",
                        help="alternating timing rounds per engine (default: 3)")
    parser.add_argument("--lathe-bin", type=Path, default=REPO / "build" / "bin", metavar="DIR")
    parser.add_argument("--work-dir", type=Path, default=REPO / "build" / "bench", metavar="DIR",
                        help="models, inputs and artifacts (default: build/bench)")
    parser.add_argument("--numpy-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work_dir.resolve()
    if args.numpy_child:
        numpy_child(work, args.sizes, args.threads, args.repeat)
        return 0

    work.mkdir(parents=True, exist_ok=True)
    lathe = Lathe(args.lathe_bin.resolve())
    if not lathe.available:
        print(f"note: lathe-compile/lathe-run not found in {args.lathe_bin}; "
              "timing numpy and onnxruntime only (build with scripts/build.sh)\n")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        onnx.save(matmul_model(n), work / f"matmul_{n}.onnx")
        for name in "ab":
            np.save(work / f"matmul_{n}_{name}.npy",
                    rng.uniform(-1, 1, (n, n)).astype(np.float32))

    numpy_run = run_numpy_child(work, args.sizes)
    for blas in numpy_run["blas"]:
        print(f"numpy {np.__version__}: {blas['internal_api']} {blas['version']}, "
              f"kernel {blas.get('architecture', '?')}, {blas['filepath']}")
    print(f"onnxruntime {ort.__version__}; {cpu_name()}, {os.cpu_count()} CPUs\n")

    failures = []
    artifacts = {}  # compiled once, run at each thread count

    def lathe_time(key, model_path, inputs, expected, threads, repeats):
        if not lathe.available:
            return None
        try:
            if key not in artifacts:
                artifacts[key] = lathe.build(model_path)
            return lathe.time(artifacts[key], inputs, expected, threads, repeats)
        except RuntimeError as e:
            failures.append(str(e))
            return None

    print("| size | threads | lathe GFLOP/s | numpy GFLOP/s | ort GFLOP/s | lathe/numpy | lathe/ort |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    speedups = []
    for n in args.sizes:
        flops = 2 * n**3
        repeats = repeats_for(flops, args.repeat)
        a, b = (np.load(work / f"matmul_{n}_{x}.npy") for x in "ab")
        reference = np.load(work / f"matmul_{n}_y.npy")
        by_threads = {}
        for t in args.threads:
            numpy_s = ort_s = lathe_s = float("inf")
            for _ in range(max(args.rounds, 1)):
                numpy_s = min(numpy_s, run_numpy_child(work, [n], [t], repeats)["times"][f"{n}/{t}"])
                ort_round, (ort_y,) = time_ort(work / f"matmul_{n}.onnx", {"a": a, "b": b},
                                               t, repeats)
                np.testing.assert_allclose(ort_y, reference, rtol=RTOL, atol=ATOL)
                ort_s = min(ort_s, ort_round)
                lathe_round = lathe_time(n, work / f"matmul_{n}.onnx",
                                         [work / f"matmul_{n}_{x}.npy" for x in "ab"],
                                         [work / f"matmul_{n}_y.npy"], t, repeats)
                lathe_s = None if lathe_round is None else min(lathe_s, lathe_round)
                if lathe_s is None:
                    break
            by_threads[t] = lathe_s
            cells = ([gflops(flops, lathe_s), gflops(flops, numpy_s), gflops(flops, ort_s),
                      ratio(lathe_s, numpy_s), ratio(lathe_s, ort_s)] if lathe_s is not None else
                     ["-", gflops(flops, numpy_s), gflops(flops, ort_s), "-", "-"])
            print(f"| {n} | {t} | " + " | ".join(cells) + " |")
        if by_threads.get(1) and by_threads.get(2):
            speedups.append(f"{n}: {by_threads[1] / by_threads[2]:.2f}x")
    if speedups:
        print(f"\nLathe 2-thread/1-thread speedup: {', '.join(speedups)}")

    # The MLP: batch 64, 512 -> 1024 -> Relu -> 512.
    batch, d_in, d_hidden, d_out = 64, 512, 1024, 512
    model, w = mlp_model(batch, d_in, d_hidden, d_out, rng)
    onnx.save(model, work / "mlp.onnx")
    x = rng.standard_normal((batch, d_in), dtype=np.float32)
    np.save(work / "mlp_x.npy", x)
    np.save(work / "mlp_y.npy", np.maximum(x @ w["w1"] + w["b1"], 0) @ w["w2"] + w["b2"])
    reference = np.load(work / "mlp_y.npy")
    flops = 2 * batch * (d_in * d_hidden + d_hidden * d_out)
    repeats = repeats_for(flops, args.repeat)
    print(f"\nMLP {batch}x{d_in} -> {d_hidden} -> Relu -> {d_out} (MatMul+Add), "
          f"{args.rounds} rounds of {repeats} runs\n")
    print("| threads | lathe ms | ort ms | lathe GFLOP/s | ort GFLOP/s | lathe/ort |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in args.threads:
        ort_s = lathe_s = float("inf")
        for _ in range(max(args.rounds, 1)):
            ort_round, (ort_y,) = time_ort(work / "mlp.onnx", {"x": x}, t, repeats)
            np.testing.assert_allclose(ort_y, reference, rtol=RTOL, atol=ATOL)
            ort_s = min(ort_s, ort_round)
            lathe_round = lathe_time("mlp", work / "mlp.onnx", [work / "mlp_x.npy"],
                                     [work / "mlp_y.npy"], t, repeats)
            lathe_s = None if lathe_round is None else min(lathe_s, lathe_round)
            if lathe_s is None:
                break
        cells = ([f"{lathe_s * 1e3:.3f}", f"{ort_s * 1e3:.3f}", gflops(flops, lathe_s),
                  gflops(flops, ort_s), ratio(lathe_s, ort_s)] if lathe_s is not None else
                 ["-", f"{ort_s * 1e3:.3f}", "-", gflops(flops, ort_s), "-"])
        print(f"| {t} | " + " | ".join(cells) + " |")

    print("\nlathe/numpy, lathe/ort: how many times faster Lathe is (> 1: Lathe is faster).")
    for failure in failures:
        print(f"\nERROR: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
