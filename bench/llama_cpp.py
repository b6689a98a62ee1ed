#!/usr/bin/env python3
"""Lathe against llama.cpp on the same GGUF model, side by side.

Generates a llama-family model with random weights (test/llm/Inputs/
make_llm_gguf.py), compiles it with lathe-compile, times prompt processing
(ppP) and generation (tgN) with lathe-bench --json and with llama.cpp
(llama-cpp-python) at the same thread counts and repetitions, checks that
both pick the same greedy tokens over 32 steps, and prints a table with the
Lathe/llama.cpp ratio and the decode rate as a fraction of the measured
memory read bandwidth.

    bench/llama_cpp.py [--type q8_0|q4_0] [--threads 1,2] [--small]
                       [-p 512] [-n 128] [-d 0] [-r 3]

With -d D both engines run each test after D untimed tokens of context
(llama-bench's "@ dD"), which measures attention over a long cache.

llama-cpp-python (LLAMA_CPP_PYTHON_VERSION) is built from source into the
project venv on first use (several minutes on 2 cores).
"""

import argparse
import faulthandler
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
# This file is bench/llama_cpp.py: keep `import llama_cpp` from finding it.
sys.path = [p for p in sys.path
            if Path(p or ".").resolve() != Path(__file__).resolve().parent]

# llama-cpp-python builds llama.cpp from its sdist. 0.3.36 (llama.cpp
# ggml 0.25.3) is the newest release and builds here with gcc 12/cmake 3.25.
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
# llama.cpp for this CPU (AVX2/AVX-512/VNNI as present), as a local llama.cpp
# build would be, but without AMX: where the CPU reports AMX and the virtual
# machine does not enable its tile state, llama.cpp's AMX matmul dies on its
# first `ldtilecfg` (general protection fault). An explicit -mno-* wins over
# -march=native in gcc and clang whatever the order.
LLAMA_CPP_CMAKE_ARGS = ("-DGGML_NATIVE=ON "
                        "'-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16' "
                        "'-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'")

# The benchmark model, and a much smaller one for a quick check.
FULL_MODEL = dict(dim=1024, layers=24, heads=16, kv_heads=4, ff=2816,
                  vocab=32000, ctx=2048)
SMALL_MODEL = dict(dim=256, layers=2, heads=4, kv_heads=2, ff=768,
                   vocab=8192, ctx=2048)

GREEDY_STEPS = 32
GREEDY_PROMPT = [1, 450, 3996, 1354, 1701, 432, 2704, 975]  # any ids < vocab
# Lathe and llama.cpp round differently (llama.cpp quantizes activations to
# q8_0 for quantized matmuls): their logits differ by 5-15% of the logits'
# stddev on these models, and random weights often give two logits closer
# than that. The check passes when the logits differ by at most this
# fraction of their stddev, and Lathe's token is llama.cpp's argmax at every
# step but near ties (where llama.cpp's logit of it is within twice that
# step's difference of the maximum, as rounding can flip).
LOGIT_TOLERANCE = 0.25


def reexec_in_venv():
    """Runs under the project venv, where pip installs llama-cpp-python."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() != VENV.resolve() and python.exists():
        os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_llama_cpp():
    """Imports llama_cpp, building the pinned llama-cpp-python first if it
    is missing."""
    try:
        import llama_cpp
    except ImportError:
        # --no-cache-dir: a wheel cached from other CMAKE_ARGS would be reused.
        cmd = [sys.executable, "-m", "pip", "install", "--no-cache-dir",
               "--no-binary", "llama-cpp-python",
               f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}"]
        log(f"llama-cpp-python is not installed in {VENV}: building "
            f"llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} (llama.cpp) from "
            f"source; this takes several minutes on 2 cores.\n  $ CMAKE_ARGS="
            f"{shlex.quote(LLAMA_CPP_CMAKE_ARGS)} {' '.join(cmd)}")
        start = time.time()
        env = dict(os.environ, CMAKE_ARGS=LLAMA_CPP_CMAKE_ARGS)
        if subprocess.call(cmd, env=env) != 0:
            sys.exit("error: installing llama-cpp-python failed (see pip's "
                     "output above)")
        log(f"built llama-cpp-python in {time.time() - start:.0f} s")
        import llama_cpp
    if llama_cpp.__version__ != LLAMA_CPP_PYTHON_VERSION:
        log(f"warning: llama-cpp-python {llama_cpp.__version__} is "
            f"installed, not the pinned {LLAMA_CPP_PYTHON_VERSION}; using it")
    return llama_cpp


def run(cmd, **kwargs):
    cmd = [str(c) for c in cmd]
    log("$ " + " ".join(cmd))
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        sys.exit(f"error: {Path(cmd[0]).name} exited with status "
                 f"{result.returncode} (its message is above)")
    return result


def cached(output, stamp_text, make):
    """Runs make() unless `output` exists and was made with `stamp_text`."""
    stamp = output.with_name(output.name + ".stamp")
    if output.exists() and stamp.exists() and stamp.read_text() == stamp_text:
        log(f"reusing {output}")
        return
    stamp.unlink(missing_ok=True)
    make()
    stamp.write_text(stamp_text)


def measure_bandwidth(threads, gib=1, reps=5):
    """Memory read bandwidth in bytes/s with `threads` threads: each sums
    its slice of a `gib` GiB float64 array with numpy (which releases the
    GIL), best of `reps`."""
    import numpy as np
    data = np.ones(gib * (1 << 30) // 8)
    slices = np.array_split(data, threads)
    best = float("inf")
    for _ in range(reps):
        barrier = threading.Barrier(threads + 1)
        def work(part):
            barrier.wait()
            part.sum()
        workers = [threading.Thread(target=work, args=(s,)) for s in slices]
        for w in workers:
            w.start()
        start = time.perf_counter()
        barrier.wait()
        for w in workers:
            w.join()
        best = min(best, time.perf_counter() - start)
    return data.nbytes / best


def mean_std(samples):
    mean = sum(samples) / len(samples)
    if len(samples) < 2:
        return mean, 0.0
    var = sum((s - mean) ** 2 for s in samples) / (len(samples) - 1)
    return mean, var ** 0.5


def llama_cpp_bench(llama_cpp, model, threads, n_ctx, p, n, d, reps, vocab):
    """pp and tg tokens/s with llama.cpp, as lathe-bench measures them:
    P prompt tokens, and N single-token decodes, each from an empty context
    or after D untimed context tokens. Mean and sample stddev of `reps` runs
    after a warm-up."""
    import random
    rng = random.Random(1)
    prompt = [rng.randrange(vocab) for _ in range(p)]
    gen = [rng.randrange(vocab) for _ in range(n)]
    depth = [rng.randrange(vocab) for _ in range(d)]
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=n_ctx,
                          n_batch=max(512, min(p, 2048)), n_ubatch=512,
                          n_threads=threads, n_threads_batch=threads,
                          logits_all=False, verbose=False)
    # Warm-up, as llama-bench: a prompt batch and one decode.
    if p:
        llm.reset()
        llm.eval(prompt[:min(p, 512)])
    llm.reset()
    llm.eval(gen[:1] or [1])
    results = {}
    for test, count in (("pp", p), ("tg", n)):
        if not count:
            continue
        log(f"llama.cpp: {test}{count}, {threads} thread"
            f"{'s' if threads > 1 else ''}, {reps} run{'s' if reps > 1 else ''}...")
        samples = []
        for _ in range(reps):
            llm.reset()
            if depth:
                llm.eval(depth)
            start = time.perf_counter()
            if test == "pp":
                llm.eval(prompt)
            else:
                for token in gen:
                    llm.eval([token])
            samples.append(count / (time.perf_counter() - start))
        results[f"{test}{count}{f' @ d{d}' if d else ''}"] = mean_std(samples)
    del llm
    return results


def llama_cpp_greedy(llama_cpp, model, threads, n_ctx, prompt, steps,
                     forced):
    """llama.cpp's greedy token ids (argmax of the logits, never stopping at
    EOS) over `steps` steps after `prompt`; then its logits of each step
    when it is fed `forced` (Lathe's tokens) instead of its own."""
    import numpy as np
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=n_ctx, n_threads=threads,
                          n_threads_batch=threads, logits_all=False,
                          verbose=False)

    def last_logits():  # the last row of the last eval
        return np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(llm.ctx, -1),
            shape=(llm.n_vocab(),)).copy()

    tokens = []
    llm.reset()
    llm.eval(prompt)
    for step in range(steps):
        tokens.append(int(np.argmax(last_logits())))
        if step + 1 < steps:
            llm.eval([tokens[-1]])
    rows = []
    llm.reset()
    llm.eval(prompt)
    for step, token in enumerate(forced):
        rows.append(last_logits())
        if step + 1 < len(forced):
            llm.eval([token])
    del llm
    return tokens, np.array(rows)


def greedy_report(lathe_tokens, llama_tokens, lathe_logits, llama_logits):
    """Lines comparing the greedy tokens and logits, and whether they agree
    (see LOGIT_TOLERANCE)."""
    import numpy as np
    steps = len(lathe_tokens)
    same = next((i for i, (a, b) in enumerate(zip(lathe_tokens, llama_tokens))
                 if a != b), steps)
    lines = [f"free-running greedy ids: " + (
        f"identical over all {steps} steps" if same == steps and
        len(llama_tokens) == steps else
        f"identical for the first {same} of {steps} steps")]
    argmax = llama_logits.argmax(axis=1)
    margins = (llama_logits.max(axis=1)
               - llama_logits[np.arange(steps), lathe_tokens])
    spread = llama_logits.std(axis=1)
    diff = np.abs(lathe_logits - llama_logits).max(axis=1)
    off = [i for i in range(steps) if argmax[i] != lathe_tokens[i]]
    ties = [i for i in off if margins[i] <= 2 * diff[i]]
    close = bool((diff <= LOGIT_TOLERANCE * spread).all())
    lines.append(
        f"teacher-forced (both fed Lathe's tokens): llama.cpp's argmax is "
        f"Lathe's token at {steps - len(off)}/{steps} steps"
        + ("; the others: " + ", ".join(
            f"step {i} (llama.cpp's logit margin {margins[i]:.4f}, logit "
            f"difference {diff[i]:.4f})" for i in off) if off else ""))
    worst = int(np.argmax(diff / spread))
    lines.append(f"max |logit difference| {diff.max():.4f}, at most "
                 f"{diff[worst] / spread[worst]:.3f} x the logits' stddev "
                 f"(tolerance {LOGIT_TOLERANCE})")
    ok = close and len(ties) == len(off)
    lines.append("result: " + (
        "tokens agree" + (f" (up to {len(ties)} near tie"
                          f"{'s' if len(ties) > 1 else ''})" if ties else "")
        if ok else "DIFFERENT: " + (
            "logits beyond the tolerance" if not close else
            "tokens that are not near ties")))
    if not ok or same < steps:
        lines.append(f"  Lathe:     {lathe_tokens}")
        lines.append(f"  llama.cpp: {llama_tokens}")
    return ok, lines


def cache_note(weights_bytes):
    """A caveat when the weights fit in the last-level cache."""
    try:
        text = Path("/sys/devices/system/cpu/cpu0/cache/index3/size").read_text()
        units = {"K": 2**10, "M": 2**20, "G": 2**30}
        l3 = int(text.strip().rstrip("KMG")) * units.get(text.strip()[-1], 1)
    except (OSError, ValueError):
        return ""
    if weights_bytes > l3:
        return ""
    return (f" (the weights fit in the {l3 / 2**20:.0f} MiB L3 cache, so "
            f"decode reads them from the cache and can exceed 100%)")


def fmt_tps(stats):
    if stats is None:
        return "-"
    mean, std = stats
    return f"{mean:.2f} ± {std:.2f}"


def main():
    reexec_in_venv()
    # llama.cpp runs in this process: if it crashes, say where.
    faulthandler.enable()
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--type", choices=["q8_0", "q4_0"], default="q8_0",
                    help="weight type of the model (default q8_0)")
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--small", action="store_true",
                    help="a much smaller model, for a quick check")
    ap.add_argument("-p", type=int, default=512,
                    help="prompt tokens of the pp test (default 512)")
    ap.add_argument("-n", type=int, default=128,
                    help="decode steps of the tg test (default 128)")
    ap.add_argument("-d", type=int, default=0,
                    help="context tokens before each test (default 0)")
    ap.add_argument("-r", type=int, default=3,
                    help="repetitions of each test (default 3)")
    ap.add_argument("--work-dir", type=Path,
                    default=REPO / "build" / "bench" / "llama_cpp",
                    help="where models and libraries go (default "
                         "build/bench/llama_cpp)")
    ap.add_argument("--lathe-bin", type=Path, default=REPO / "build" / "bin",
                    help="lathe-compile, lathe-bench, lathe-run (build/bin)")
    args = ap.parse_args()
    try:
        threads = [int(t) for t in args.threads.split(",")]
        assert all(t >= 1 for t in threads)
    except (ValueError, AssertionError):
        ap.error(f"--threads expects positive integers, got '{args.threads}'")
    if args.p < 0 or args.n < 0 or args.p + args.n == 0 or args.r < 1 or args.d < 0:
        ap.error("-p, -n and -d must be >= 0 (-p and -n not both 0) and -r >= 1")
    for tool in ("lathe-compile", "lathe-bench", "lathe-run"):
        if not (args.lathe_bin / tool).exists():
            sys.exit(f"error: {args.lathe_bin / tool} not found: build it "
                     f"first (ninja -C build {tool})")

    llama_cpp = ensure_llama_cpp()
    cpus = os.cpu_count() or 1
    load = os.getloadavg()[0]
    busy = load > 0.5
    if busy:
        log(f"warning: load average {load:.2f} on {cpus} CPUs: other "
            f"processes are running, timings will be low and noisy")
    config = SMALL_MODEL if args.small else FULL_MODEL
    # Each test starts from an empty context; the greedy check needs the
    # prompt and its steps. Positions in multiples of 64.
    need = max(1024, args.d + args.p, args.d + args.n,
               len(GREEDY_PROMPT) + GREEDY_STEPS)
    context = -(-need // 64) * 64
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    name = f"llama-{'small' if args.small else 'd1024-l24'}-{args.type}"
    gguf, lib = work / f"{name}.gguf", work / f"{name}.so"
    weights = work / f"{name}.weights.gguf"

    # (a) The model.
    gen_cmd = [sys.executable, REPO / "test/llm/Inputs/make_llm_gguf.py", gguf,
               "--arch", "llama", "--type", args.type]
    for key, value in config.items():
        gen_cmd += [f"--{key.replace('_', '-')}", value]
    cached(gguf, " ".join(map(str, gen_cmd)), lambda: run(gen_cmd))
    # (b) Lathe's library (rebuilt when lathe-compile changes).
    compile_cmd = [args.lathe_bin / "lathe-compile", gguf, "-o", lib,
                   "--context", context]
    compiler_time = (args.lathe_bin / "lathe-compile").stat().st_mtime
    cached(lib, " ".join(map(str, compile_cmd)) + f" @{compiler_time}",
           lambda: run(compile_cmd))

    weights_bytes = weights.stat().st_size
    gguf_bytes = gguf.stat().st_size
    params = None
    try:
        import gguf as gguf_py
        reader = gguf_py.GGUFReader(str(gguf))
        params = sum(int(t.n_elements) for t in reader.tensors)
    except Exception:  # only for the header line
        pass

    # (c) Throughput: for each thread count, R rounds that each run Lathe
    # (lathe-bench) and then llama.cpp once, so that a slow stretch of the
    # machine hits both rather than whichever ran during it.
    samples = {}  # (engine, test, threads) -> tokens/s of each round
    for t in threads:
        for _ in range(args.r):
            bench_cmd = [args.lathe_bin / "lathe-bench", lib, "-p", args.p,
                         "-n", args.n, "-d", args.d, "-r", 1, "--threads", t,
                         "--json"]
            out = run(bench_cmd, stdout=subprocess.PIPE, text=True).stdout
            for line in out.splitlines():
                if line.startswith("{"):
                    row = json.loads(line)
                    samples.setdefault(("lathe", row["test"], t), []).append(
                        row["tokens_per_second_mean"])
            for test, stats in llama_cpp_bench(llama_cpp, gguf, t, context,
                                               args.p, args.n, args.d, 1,
                                               config["vocab"]).items():
                samples.setdefault(("llama", test, t), []).append(stats[0])
    lathe = {(test, t): mean_std(v)
             for (engine, test, t), v in samples.items() if engine == "lathe"}
    llama = {(test, t): mean_std(v)
             for (engine, test, t), v in samples.items() if engine == "llama"}

    # (d) Greedy tokens, with the logits of every step.
    import numpy as np
    greedy_threads = max(threads)
    tokens_file = work / f"{name}.tokens.txt"
    logits_file = work / f"{name}.logits.npy"
    run([args.lathe_bin / "lathe-run", lib, "--prompt-tokens",
         ",".join(map(str, GREEDY_PROMPT)), "-n", GREEDY_STEPS, "--ignore-eos",
         "--threads", greedy_threads, "--tokens-out", tokens_file,
         "--logits-out", logits_file], stdout=subprocess.DEVNULL)
    lathe_tokens = [int(t) for t in tokens_file.read_text().split(",")]
    # Rows: the prompt's, then one per decode step.
    lathe_logits = np.load(logits_file)[len(GREEDY_PROMPT) - 1:]
    llama_tokens, llama_logits = llama_cpp_greedy(
        llama_cpp, gguf, greedy_threads, context, GREEDY_PROMPT, GREEDY_STEPS,
        lathe_tokens)
    greedy_ok, greedy_lines = greedy_report(lathe_tokens, llama_tokens,
                                            lathe_logits, llama_logits)

    # Bandwidth, measured last so that its 1 GiB is not held meanwhile.
    log("measuring memory read bandwidth...")
    bandwidth = {t: measure_bandwidth(t) for t in threads}

    # (e) Report.
    cpu = next((l.split(":", 1)[1].strip()
                for l in open("/proc/cpuinfo") if l.startswith("model name")),
               "unknown CPU")
    print(f"\n## Lathe vs llama.cpp: {name}\n")
    print(f"- model: llama, dim {config['dim']}, {config['layers']} layers, "
          f"{config['heads']}/{config['kv_heads']} heads, ff {config['ff']}, "
          f"vocab {config['vocab']}, {args.type}"
          + (f", {params / 1e6:.1f} M params" if params else "")
          + f"; {gguf.name} {gguf_bytes / 2**20:.1f} MiB, Lathe "
          f"{weights.name} {weights_bytes / 2**20:.1f} MiB (context {context})")
    print(f"- {cpu}; llama.cpp via llama-cpp-python {llama_cpp.__version__} "
          f"(CMAKE_ARGS={LLAMA_CPP_CMAKE_ARGS}); {args.r} run(s) per test, "
          f"mean ± sample stddev")
    print("- memory read bandwidth: numpy sums of a 1 GiB float64 array split "
          "across T threads, best of 5: " + ", ".join(
              f"{bandwidth[t] / 1e9:.1f} GB/s ({t}T)" for t in threads))
    print(f"- load average before the run: {load:.2f} on {cpus} CPUs"
          + (": other processes were running, so timings (above all with "
             "every CPU) are low and noisy" if busy else ""))
    print("- tg % BW: decode tokens/s × weights file size (bytes read per "
          "token) / that bandwidth" + cache_note(weights_bytes) + "\n")
    print("| test | threads | Lathe t/s | llama.cpp t/s | Lathe/llama.cpp "
          "| Lathe tg % BW | llama.cpp tg % BW |")
    print("| ---- | ------: | --------: | ------------: | --------------: "
          "| ------------: | ----------------: |")
    at = f" @ d{args.d}" if args.d else ""
    tests = ([f"pp{args.p}{at}"] if args.p else []) + (
        [f"tg{args.n}{at}"] if args.n else [])
    lines = []
    for t in threads:
        for test in tests:
            ours, theirs = lathe.get((test, t)), llama.get((test, t))
            ratio = (f"{ours[0] / theirs[0]:.2f}x"
                     if ours and theirs and theirs[0] else "-")
            bw_ours = bw_theirs = "-"
            if test.startswith("tg"):
                if ours:
                    bw_ours = f"{100 * ours[0] * weights_bytes / bandwidth[t]:.1f}%"
                if theirs:
                    bw_theirs = f"{100 * theirs[0] * gguf_bytes / bandwidth[t]:.1f}%"
            print(f"| {test} | {t} | {fmt_tps(ours)} | {fmt_tps(theirs)} | "
                  f"{ratio} | {bw_ours} | {bw_theirs} |")
            lines.append(
                f"{test:<6} {t} thread{'s' if t > 1 else ' '}  Lathe "
                f"{ours[0] if ours else float('nan'):.1f} t/s  llama.cpp "
                f"{theirs[0] if theirs else float('nan'):.1f} t/s  ratio {ratio}")
    print()
    for line in lines:
        print(line)
    # The target compares each engine at its own best thread count.
    for test in tests:
        ours = max(((lathe[(test, t)][0], t) for t in threads
                    if (test, t) in lathe), default=None)
        theirs = max(((llama[(test, t)][0], t) for t in threads
                      if (test, t) in llama), default=None)
        if ours and theirs:
            print(f"{test:<6} best     Lathe {ours[0]:.1f} t/s ({ours[1]}T)  "
                  f"llama.cpp {theirs[0]:.1f} t/s ({theirs[1]}T)  ratio "
                  f"{ours[0] / theirs[0]:.2f}x")

    print(f"\ngreedy tokens over {GREEDY_STEPS} steps (prompt "
          f"{','.join(map(str, GREEDY_PROMPT))}, {greedy_threads} threads):")
    for line in greedy_lines:
        print("- " + line if not line.startswith("  ") else line)
    return 0 if greedy_ok else 1

if __name__ == "__main__":
    sys.exit(main())
