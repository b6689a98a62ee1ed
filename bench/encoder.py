#!/usr/bin/env python3
"""Times Lathe against onnxruntime on a BERT-style transformer encoder, as
exporters write it (decomposed attention: MatMul, Div, Add mask, Softmax,
MatMul; LayerNormalization; exact Gelu), at 1 and 2 threads.

The model is generated here with onnx.helper (random weights). Lathe's output
is checked against onnxruntime's before any time is printed; rounds alternate
between the engines and each keeps its minimum (see bench/matmul.py).

    .venv/bin/python bench/encoder.py [--seq 128] [--dim 256] [--heads 4]
        [--ffn 1024] [--layers 2] [--threads 1 2] [--rounds 3]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matmul import REPO, Lathe, cpu_name, gflops, ratio, time_ort  # noqa: E402

import onnxruntime as ort  # noqa: E402


def encoder_model(seq, dim, heads, ffn, layers, rng):
    """[1, seq, dim] activations and a [1, 1, 1, seq] additive mask in, the
    last layer's output out; each layer: pre-norm attention and FFN blocks
    with residuals."""
    head_dim = dim // heads
    initializers, nodes = [], []

    def weight(name, shape, scale=None):
        scale = scale if scale is not None else 1 / np.sqrt(shape[0])
        value = (rng.standard_normal(shape) * scale).astype(np.float32)
        initializers.append(numpy_helper.from_array(value, name))
        return name

    def constant(name, value):
        initializers.append(numpy_helper.from_array(np.array(value), name))
        return name

    def node(op, inputs, output, **attrs):
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    heads_shape = constant("heads_shape", np.array([1, seq, heads, head_dim], np.int64))
    model_shape = constant("model_shape", np.array([1, seq, dim], np.int64))
    sqrt_d = constant("sqrt_head_dim", np.float32(np.sqrt(head_dim)))
    x = "x"
    for layer in range(layers):
        p = f"layer{layer}."
        norm = node("LayerNormalization", [x, weight(p + "ln1.scale", [dim], 1.0),
                                           weight(p + "ln1.bias", [dim], 0.1)], p + "ln1")
        qkv = {}
        for name in "qkv":
            projected = node("Add", [node("MatMul", [norm, weight(p + name, [dim, dim])],
                                          p + name + ".mm"),
                                     weight(p + name + ".bias", [dim], 0.1)], p + name + ".add")
            split = node("Reshape", [projected, heads_shape], p + name + ".heads")
            # K goes to [1, heads, head_dim, seq] for the score MatMul.
            qkv[name] = node("Transpose", [split], p + name + ".t",
                             perm=[0, 2, 3, 1] if name == "k" else [0, 2, 1, 3])
        scores = node("MatMul", [qkv["q"], qkv["k"]], p + "scores")
        scaled = node("Div", [scores, sqrt_d], p + "scaled")
        masked = node("Add", [scaled, "mask"], p + "masked")
        probs = node("Softmax", [masked], p + "probs", axis=-1)
        context = node("MatMul", [probs, qkv["v"]], p + "context")
        joined = node("Reshape", [node("Transpose", [context], p + "context.t",
                                       perm=[0, 2, 1, 3]), model_shape], p + "joined")
        attended = node("Add", [node("MatMul", [joined, weight(p + "o", [dim, dim])], p + "o.mm"),
                                weight(p + "o.bias", [dim], 0.1)], p + "o.add")
        residual = node("Add", [x, attended], p + "residual")
        norm2 = node("LayerNormalization", [residual, weight(p + "ln2.scale", [dim], 1.0),
                                            weight(p + "ln2.bias", [dim], 0.1)], p + "ln2")
        up = node("Add", [node("MatMul", [norm2, weight(p + "up", [dim, ffn])], p + "up.mm"),
                          weight(p + "up.bias", [ffn], 0.1)], p + "up.add")
        down = node("Add", [node("MatMul", [node("Gelu", [up], p + "gelu"),
                                            weight(p + "down", [ffn, dim])], p + "down.mm"),
                            weight(p + "down.bias", [dim], 0.1)], p + "down.add")
        x = node("Add", [residual, down], p + "out")
    nodes.append(helper.make_node("Identity", [x], ["y"]))
    graph = helper.make_graph(
        nodes, "encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, seq, dim]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 1, seq])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, seq, dim])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    onnx.checker.check_model(model)
    return model


def encoder_flops(seq, dim, heads, ffn, layers):
    """Multiply-adds x 2 of the matmuls (projections, scores, context, FFN)."""
    per_layer = 4 * seq * dim * dim + 2 * seq * seq * dim + 2 * seq * dim * ffn
    return 2 * layers * per_layer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=50, metavar="N",
                        help="runs per round (default: 50)")
    parser.add_argument("--rounds", type=int, default=3, metavar="R")
    parser.add_argument("--lathe-bin", type=Path, default=REPO / "build" / "bin", metavar="DIR")
    parser.add_argument("--work-dir", type=Path, default=REPO / "build" / "bench", metavar="DIR")
    args = parser.parse_args()
    if args.dim % args.heads:
        parser.error("--dim must be a multiple of --heads")
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    lathe = Lathe(args.lathe_bin.resolve())
    if not lathe.available:
        print(f"lathe-compile/lathe-run not found in {args.lathe_bin} "
              "(build with scripts/build.sh)", file=sys.stderr)
        return 2

    rng = np.random.default_rng(0)
    model_path = work / "encoder.onnx"
    onnx.save(encoder_model(args.seq, args.dim, args.heads, args.ffn, args.layers, rng),
              model_path)
    x = rng.standard_normal((1, args.seq, args.dim)).astype(np.float32)
    mask = np.zeros((1, 1, 1, args.seq), np.float32)
    mask[..., args.seq - args.seq // 8:] = -1e4  # padding keys
    feeds = {"x": x, "mask": mask}
    inputs = [work / "encoder_x.npy", work / "encoder_mask.npy"]
    np.save(inputs[0], x)
    np.save(inputs[1], mask)
    _, (reference,) = time_ort(model_path, feeds, 1, 1)
    expected = work / "encoder_y.npy"
    np.save(expected, reference)

    flops = encoder_flops(args.seq, args.dim, args.heads, args.ffn, args.layers)
    print(f"onnxruntime {ort.__version__}; {cpu_name()}")
    print(f"encoder: {args.layers} layers, seq {args.seq}, dim {args.dim}, "
          f"{args.heads} heads, ffn {args.ffn}; {flops / 1e6:.0f} MFLOP of matmuls; "
          f"{args.rounds} rounds of {args.repeat} runs\n")
    try:
        artifact = lathe.build(model_path)
    except RuntimeError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    print("| threads | lathe ms | ort ms | lathe GFLOP/s | ort GFLOP/s | lathe/ort |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in args.threads:
        ort_s = lathe_s = float("inf")
        for _ in range(max(args.rounds, 1)):
            ort_s = min(ort_s, time_ort(model_path, feeds, t, args.repeat)[0])
            try:
                lathe_s = min(lathe_s, lathe.time(artifact, inputs, [expected], t, args.repeat))
            except RuntimeError as e:
                print(f"ERROR: {e}", file=sys.stderr)
                return 1
        print(f"| {t} | {lathe_s * 1e3:.3f} | {ort_s * 1e3:.3f} | {gflops(flops, lathe_s)} | "
              f"{gflops(flops, ort_s)} | {ratio(lathe_s, ort_s)} |")
    print("\nlathe/ort: how many times faster Lathe is (> 1: Lathe is faster); outputs "
          "checked against onnxruntime's (rtol = atol = 1e-3).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
