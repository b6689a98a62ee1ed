"""Writes DIR/mlp.onnx, y = relu(x @ w + b) with x[4,8], w[8,16], b[16] as
initializers, plus DIR/x.npy and DIR/y.npy, the latter computed with numpy."""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.standard_normal((4, 8)).astype(np.float32)
w = rng.standard_normal((8, 16)).astype(np.float32)
b = rng.standard_normal(16).astype(np.float32)

graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["x", "w"], ["xw"], name="fc"),
        helper.make_node("Add", ["xw", "b"], ["xwb"], name="bias"),
        helper.make_node("Relu", ["xwb"], ["y"], name="act"),
    ],
    "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 16])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
onnx.save(model, out / "mlp.onnx")
np.save(out / "x.npy", x)
np.save(out / "y.npy", np.maximum(x @ w + b, 0))
