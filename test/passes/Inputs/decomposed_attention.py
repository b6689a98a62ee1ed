"""Writes ONNX models with attention written out as exporters do (MatMul,
Div or Mul by a constant, Add of a mask, Softmax, MatMul), with inputs and
numpy's result in float64: decomposed_attention.py OUT_DIR prints the names.

  encoder: [1, S, H, D] projections transposed into heads (K straight to
           [1, H, D, L]), Div by sqrt(D), a [1, 1, 1, L] padding mask.
  cross:   rank-3 [H, S, D] queries against [H, L, D] keys (L != S),
           Mul by a constant, no mask.
  batched: batch 2, a full [2, H, S, L] mask, Mul by the scale first.
  gpt2:    a causal Where with the lowest float after the Div, then a
           padding mask added.
"""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(3)
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def save(name, nodes, inputs, initializers, expected):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(expected.shape))],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, out / f"{name}.onnx")
    for i, (_, value) in enumerate(inputs):
        np.save(out / f"{name}_in{i}.npy", value)
    np.save(out / f"{name}_y.npy", expected.astype(np.float32))
    print(name)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# encoder: q, k, v as [1, S, H, D].
S, H, D = 20, 4, 16
q, k, v = f32(1, S, H, D), f32(1, S, H, D), f32(1, S, H, D)
mask = np.zeros((1, 1, 1, S), np.float32)
mask[..., -3:] = -1e4
sqrt_d = numpy_helper.from_array(np.array(np.sqrt(D), np.float32), "sqrt_d")
nodes = [
    helper.make_node("Transpose", ["q"], ["qh"], perm=[0, 2, 1, 3]),
    helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 3, 1]),
    helper.make_node("Transpose", ["v"], ["vh"], perm=[0, 2, 1, 3]),
    helper.make_node("MatMul", ["qh", "kt"], ["s"]),
    helper.make_node("Div", ["s", "sqrt_d"], ["scaled"]),
    helper.make_node("Add", ["scaled", "mask"], ["masked"]),
    helper.make_node("Softmax", ["masked"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "vh"], ["y"]),
]
qh, kh, vh = (x.astype(np.float64).transpose(0, 2, 1, 3) for x in (q, k, v))
expected = softmax(qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(D) + mask) @ vh
save("encoder", nodes, [("q", q), ("k", k), ("v", v), ("mask", mask)], [sqrt_d],
     expected)

# cross: rank 3, L != S, Mul by a constant.
H, S, L, D = 3, 7, 33, 32
q, kt, v = f32(H, S, D), f32(H, D, L), f32(H, L, D)
scale = numpy_helper.from_array(np.array(0.125, np.float32), "scale")
nodes = [
    helper.make_node("MatMul", ["q", "kt"], ["s"]),
    helper.make_node("Mul", ["s", "scale"], ["scaled"]),
    helper.make_node("Softmax", ["scaled"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "v"], ["y"]),
]
expected = softmax(q.astype(np.float64) @ kt * 0.125) @ v
save("cross", nodes, [("q", q), ("kt", kt), ("v", v)], [scale], expected)

# batched: batch 2, a full mask, the constant first in the Mul.
B, H, S, D = 2, 2, 16, 32
q, kt, v = f32(B, H, S, D), f32(B, H, D, S), f32(B, H, S, D)
mask = np.where(rng.random((B, H, S, S)) < 0.2, -1e4, 0).astype(np.float32)
scale = numpy_helper.from_array(np.array(0.2, np.float32), "scale")
nodes = [
    helper.make_node("MatMul", ["q", "kt"], ["s"]),
    helper.make_node("Mul", ["scale", "s"], ["scaled"]),
    helper.make_node("Add", ["mask", "scaled"], ["masked"]),
    helper.make_node("Softmax", ["masked"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "v"], ["y"]),
]
expected = softmax(q.astype(np.float64) @ kt * 0.2 + mask) @ v
save("batched", nodes, [("q", q), ("kt", kt), ("v", v), ("mask", mask)], [scale],
     expected)

# gpt2: a causal Where(keep, scores, finfo.min) after the Div, then a
# [B, 1, 1, L] padding mask added, batch 2 (GPT-2's exported form).
B, H, S, D = 2, 2, 12, 32
q, kt, v = f32(B, H, S, D), f32(B, H, D, S), f32(B, H, S, D)
keep = np.tril(np.ones((S, S), bool)).reshape(1, 1, S, S)
padding = np.zeros((B, 1, 1, S), np.float32)
padding[1, ..., -3:] = -1e4
lowest = np.finfo(np.float32).min
nodes = [
    helper.make_node("MatMul", ["q", "kt"], ["s"]),
    helper.make_node("Div", ["s", "sqrt_d"], ["scaled"]),
    helper.make_node("Where", ["keep", "scaled", "lowest"], ["causal"]),
    helper.make_node("Add", ["causal", "padding"], ["masked"]),
    helper.make_node("Softmax", ["masked"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "v"], ["y"]),
]
scores = np.where(keep, q.astype(np.float64) @ kt / np.sqrt(D), lowest) + padding
expected = softmax(scores) @ v
save("gpt2", nodes, [("q", q), ("kt", kt), ("v", v), ("padding", padding)],
     [numpy_helper.from_array(np.array(np.sqrt(D), np.float32), "sqrt_d"),
      numpy_helper.from_array(keep, "keep"),
      numpy_helper.from_array(np.array(lowest, np.float32), "lowest")],
     expected)
