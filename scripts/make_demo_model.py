"""Writes the demo model (a two-layer MLP with GELU and a softmax) and an
input into DIR, with the expected output computed by onnxruntime."""
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

out = Path(sys.argv[1])
rng = np.random.default_rng(0)
batch, dim, hidden, classes = 8, 256, 512, 10

w1 = numpy_helper.from_array((rng.standard_normal((dim, hidden)) / 16).astype(np.float32), "w1")
b1 = numpy_helper.from_array(rng.standard_normal(hidden).astype(np.float32) / 10, "b1")
w2 = numpy_helper.from_array((rng.standard_normal((hidden, classes)) / 22).astype(np.float32), "w2")
b2 = numpy_helper.from_array(rng.standard_normal(classes).astype(np.float32) / 10, "b2")
nodes = [
    helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
    helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
    helper.make_node("Gelu", ["h1"], ["h2"], name="gelu"),
    helper.make_node("MatMul", ["h2", "w2"], ["l0"], name="fc2"),
    helper.make_node("Add", ["l0", "b2"], ["l1"], name="fc2_bias"),
    helper.make_node("Softmax", ["l1"], ["probs"], name="softmax", axis=-1),
]
graph = helper.make_graph(
    nodes, "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, dim])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, classes])],
    initializer=[w1, b1, w2, b2])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
onnx.checker.check_model(model)
onnx.save(model, out / "mlp.onnx")

x = rng.standard_normal((batch, dim)).astype(np.float32)
np.save(out / "x.npy", x)
session = ort.InferenceSession(str(out / "mlp.onnx"), providers=["CPUExecutionProvider"])
np.save(out / "expected.npy", session.run(None, {"x": x})[0])
print(f"wrote {out / 'mlp.onnx'}: MatMul+Add+Gelu+MatMul+Add+Softmax, x f32[{batch},{dim}]")
