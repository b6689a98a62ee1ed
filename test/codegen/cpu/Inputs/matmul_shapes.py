"""Writes MatMul models of awkward shapes, with inputs and numpy's product,
for lathe-compile / lathe-run: remainder rows, K not a multiple of the
vector width, one row, shapes that split into workgroup grids, and batches
(linalg.batch_matmul). The
`mm_` models take both operands as inputs; the `weights_` ones (MatMul) and
`gemm_` ones (Gemm with transB) hold B as an initializer, which the CPU
target lays out in panels at compile time."""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (m, k, n) with B an initializer: one row, rows read in place, packed rows
# (workgroups of 260 rows), N not a multiple of the AVX-512 panel width.
WEIGHT_SHAPES = [(1, 1024, 512), (5, 33, 32), (64, 512, 1024), (1040, 64, 64),
                 (7, 300, 48)]
# (batch, m, k, n) of batched MatMuls: workgroups of several batches, and
# batches split into row and column tiles.
BATCHED_SHAPES = [(3, 50, 40, 32), (16, 128, 64, 128), (2, 300, 64, 192)]
SHAPES = [(1, 7, 16), (5, 33, 32), (7, 300, 48), (400, 96, 64), (390, 260, 80),
          (1000, 513, 32), (1, 1024, 512), (192, 256, 1024), (960, 64, 640)]

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
for batch, m, k, n in [(None, *shape) for shape in SHAPES] + BATCHED_SHAPES:
    lead = [] if batch is None else [batch]
    name = f"mm_{m}x{k}x{n}" if batch is None else f"mm_{batch}x{m}x{k}x{n}"
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], name,
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, lead + [m, k]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, lead + [k, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, lead + [m, n])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              out / f"{name}.onnx")
    a = rng.standard_normal(lead + [m, k], dtype=np.float32)
    b = rng.standard_normal(lead + [k, n], dtype=np.float32)
    np.save(out / f"{name}_a.npy", a)
    np.save(out / f"{name}_b.npy", b)
    np.save(out / f"{name}_y.npy", (a.astype(np.float64) @ b).astype(np.float32))
    print(name)

for op, (m, k, n) in [(op, shape) for op in ("weights", "gemm")
                      for shape in WEIGHT_SHAPES]:
    name = f"{op}_{m}x{k}x{n}"
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    if op == "gemm":
        node = helper.make_node("Gemm", ["a", "bt"], ["y"], transB=1)
        initializer = numpy_helper.from_array(np.ascontiguousarray(b.T), "bt")
    else:
        node = helper.make_node("MatMul", ["a", "b"], ["y"])
        initializer = numpy_helper.from_array(b, "b")
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [initializer])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              out / f"{name}.onnx")
    np.save(out / f"{name}_a.npy", a)
    np.save(out / f"{name}_y.npy", (a.astype(np.float64) @ b).astype(np.float32))
    print(name)
