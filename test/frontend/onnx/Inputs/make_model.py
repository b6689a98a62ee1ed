"""Writes ONNX models for the importer tests: make_model.py KIND OUT_DIR.

Each KIND writes OUT_DIR/model.onnx (and, for some, data files next to it).
Models are built with onnx.helper; the malformed ones are edited after
serialization on purpose.
"""
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def model(nodes, inputs, outputs, initializers=(), opset=OPSET, check=True):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=opset)
    if check:
        onnx.checker.check_model(m)
    return m


def ops(out):
    """A few static ops: broadcast Add, Transpose, Softmax, Reshape."""
    shape = numpy_helper.from_array(np.array([3, 8], dtype=np.int64), "shape")
    return model(
        [
            helper.make_node("Add", ["x", "bias"], ["sum"], name="add"),
            helper.make_node("Transpose", ["sum"], ["t"], name="transpose", perm=[0, 2, 1]),
            helper.make_node("Softmax", ["t"], ["probs"], name="softmax", axis=-1),
            helper.make_node("Reshape", ["probs", "shape"], ["y"], name="reshape"),
        ],
        [tensor("x", TensorProto.FLOAT, [3, 2, 4]), tensor("bias", TensorProto.FLOAT, [4])],
        [tensor("y", TensorProto.FLOAT, [3, 8])],
        [shape],
    )


def matmul(out):
    """MatMul of [2, 5, 8] activations with a [8, 6] weight, then of the
    result with a batched [2, 6, 3] input; MatMul of [1, 4, 8] activations
    with the weight."""
    w = numpy_helper.from_array(np.ones((8, 6), dtype=np.float32), "w")
    return model(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="weight"),
            helper.make_node("MatMul", ["h", "z"], ["y"], name="batched"),
            helper.make_node("MatMul", ["u", "w"], ["v"], name="batch_of_one"),
        ],
        [tensor("x", TensorProto.FLOAT, [2, 5, 8]), tensor("z", TensorProto.FLOAT, [2, 6, 3]),
         tensor("u", TensorProto.FLOAT, [1, 4, 8])],
        [tensor("y", TensorProto.FLOAT, [2, 5, 3]), tensor("v", TensorProto.FLOAT, [1, 4, 6])],
        [w],
    )


def shape_arithmetic(out):
    """Shapes computed in the graph from Shape(x), x [2, 3, 4]: Reshape to
    [Gather(shape, 0), -1], ConstantOfShape([Gather(shape, 0), 3]), and
    Range(0, Gather(shape, 1) * 2 - 3, 1)."""
    def const(name, values):
        return numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    return model(
        [
            helper.make_node("Shape", ["x"], ["shape"]),
            helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
            helper.make_node("Concat", ["batch", "minus_one"], ["flat"], axis=0),
            helper.make_node("Reshape", ["x", "flat"], ["y"]),
            helper.make_node("Concat", ["batch", "three"], ["fill_shape"], axis=0),
            helper.make_node("ConstantOfShape", ["fill_shape"], ["z"],
                             value=numpy_helper.from_array(np.array([1.5], np.float32))),
            helper.make_node("Gather", ["shape", "one"], ["rows"], axis=0),
            helper.make_node("Mul", ["rows", "two"], ["twice"]),
            helper.make_node("Sub", ["twice", "three_scalar"], ["limit"]),
            helper.make_node("Range", ["zero_scalar", "limit", "one_scalar"], ["r"]),
        ],
        [tensor("x", TensorProto.FLOAT, [2, 3, 4])],
        [tensor("y", TensorProto.FLOAT, [2, 12]), tensor("z", TensorProto.FLOAT, [2, 3]),
         tensor("r", TensorProto.INT64, [3])],
        [const("zero", [0]), const("one", 1), const("minus_one", [-1]), const("three", [3]),
         const("two", 2), const("three_scalar", 3), const("zero_scalar", 0),
         const("one_scalar", 1)],
    )


def symbolic(out):
    """Dims named 'batch' and 'seq'; the output's batch dim is left unknown."""
    return model(
        [
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("ReduceSum", ["r", "axes"], ["y"], name="sum", keepdims=0),
        ],
        [tensor("x", TensorProto.FLOAT, ["batch", "seq", 4])],
        [tensor("y", TensorProto.FLOAT, [None, 4])],
        [numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")],
    )


def initializers(out):
    """Initializers stored as raw_data and in each typed field."""
    raw = numpy_helper.from_array(np.array([0.5, -1.0, 2.0], dtype=np.float32), "raw_f32")
    typed = helper.make_tensor("typed_f32", TensorProto.FLOAT, [3], [1.5, 2.5, -3.5])
    ints = helper.make_tensor("typed_i64", TensorProto.INT64, [2], [7, -9])
    flags = helper.make_tensor("typed_bool", TensorProto.BOOL, [2], [True, False])
    half = numpy_helper.from_array(np.array([1.0, -2.0], dtype=np.float16), "raw_f16")
    u8 = helper.make_tensor("typed_u8", TensorProto.UINT8, [2], [200, 3])
    names = ["raw_f32", "typed_f32", "typed_i64", "typed_bool", "raw_f16", "typed_u8"]
    return model(
        [helper.make_node("Identity", [n], ["out_" + n], name="id_" + n) for n in names],
        [],
        [tensor("out_raw_f32", TensorProto.FLOAT, [3]),
         tensor("out_typed_f32", TensorProto.FLOAT, [3]),
         tensor("out_typed_i64", TensorProto.INT64, [2]),
         tensor("out_typed_bool", TensorProto.BOOL, [2]),
         tensor("out_raw_f16", TensorProto.FLOAT16, [2]),
         tensor("out_typed_u8", TensorProto.UINT8, [2])],
        [raw, typed, ints, flags, half, u8],
    )


def external_model():
    """y = x * w + b with w and b in the external file weights.bin."""
    w = numpy_helper.from_array(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32), "w")
    b = numpy_helper.from_array(np.array([-1.0, -2.0, -3.0, -4.0], dtype=np.float32), "b")
    return model(
        [helper.make_node("Mul", ["x", "w"], ["xw"], name="scale"),
         helper.make_node("Add", ["xw", "b"], ["y"], name="shift")],
        [tensor("x", TensorProto.FLOAT, [2, 4])],
        [tensor("y", TensorProto.FLOAT, [2, 4])],
        [w, b],
    )


def save_external(m, out):
    # onnx looks for an existing data file relative to the working directory.
    os.chdir(out)
    onnx.save(m, out / "model.onnx", save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin",
              size_threshold=0)


def set_external(m, name, **fields):
    for t in m.graph.initializer:
        if t.name == name:
            for entry in t.external_data:
                if entry.key in fields:
                    entry.value = str(fields[entry.key])
    onnx.save(m, KIND_OUT / "model.onnx")


def external(out):
    save_external(external_model(), out)


def external_missing(out):
    save_external(external_model(), out)
    os.remove(out / "weights.bin")


def external_past_end(out):
    save_external(external_model(), out)
    m = onnx.load(out / "model.onnx", load_external_data=False)
    # weights.bin holds 32 bytes; b's 16 bytes would start at byte 24.
    set_external(m, "b", offset=24)


def external_bad_length(out):
    save_external(external_model(), out)
    m = onnx.load(out / "model.onnx", load_external_data=False)
    set_external(m, "w", length=12)


def external_escapes(out):
    save_external(external_model(), out)
    m = onnx.load(out / "model.onnx", load_external_data=False)
    set_external(m, "w", location="../weights.bin")


def external_absolute(out):
    save_external(external_model(), out)
    m = onnx.load(out / "model.onnx", load_external_data=False)
    set_external(m, "w", location="/etc/passwd")


def random_bytes(out):
    # Fixed bytes that are not a protobuf message: field 0 is invalid.
    rng = np.random.default_rng(1234)
    data = bytes([0]) + rng.integers(0, 256, 255, dtype=np.uint8).tobytes()
    (out / "model.onnx").write_bytes(data)


def truncated(out):
    data = external_model().SerializeToString()
    (out / "model.onnx").write_bytes(data[: len(data) // 2])


def empty_file(out):
    (out / "model.onnx").write_bytes(b"")


def unsupported_if(out):
    then_graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["a"])], "then", [],
        [tensor("a", TensorProto.FLOAT, [2])])
    else_graph = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["b"])], "else", [],
        [tensor("b", TensorProto.FLOAT, [2])])
    return model(
        [helper.make_node("If", ["c"], ["y"], name="choose",
                          then_branch=then_graph, else_branch=else_graph)],
        [tensor("c", TensorProto.BOOL, []), tensor("x", TensorProto.FLOAT, [2])],
        [tensor("y", TensorProto.FLOAT, [2])])


def unsupported_loop(out):
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "acc_in"], ["acc_out"])],
        "body",
        [tensor("i", TensorProto.INT64, []), tensor("cond_in", TensorProto.BOOL, []),
         tensor("acc_in", TensorProto.FLOAT, [2])],
        [tensor("cond_out", TensorProto.BOOL, []), tensor("acc_out", TensorProto.FLOAT, [2])])
    return model(
        [helper.make_node("Loop", ["n", "", "x"], ["y"], name="repeat", body=body)],
        [tensor("n", TensorProto.INT64, []), tensor("x", TensorProto.FLOAT, [2])],
        [tensor("y", TensorProto.FLOAT, [2])],
        opset=[helper.make_opsetid("", 13)])


def unsupported_scan(out):
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "e"], ["s_out"]),
         helper.make_node("Identity", ["s_out"], ["e_out"])],
        "body",
        [tensor("s_in", TensorProto.FLOAT, [2]), tensor("e", TensorProto.FLOAT, [2])],
        [tensor("s_out", TensorProto.FLOAT, [2]), tensor("e_out", TensorProto.FLOAT, [2])])
    return model(
        [helper.make_node("Scan", ["init", "xs"], ["final", "ys"], name="cumulate",
                          body=body, num_scan_inputs=1)],
        [tensor("init", TensorProto.FLOAT, [2]), tensor("xs", TensorProto.FLOAT, [3, 2])],
        [tensor("final", TensorProto.FLOAT, [2]), tensor("ys", TensorProto.FLOAT, [3, 2])],
        opset=[helper.make_opsetid("", 16)])


def other_domain_only(out):
    """An ai.onnx.ml op in a model that imports only the ai.onnx.ml opset."""
    return model(
        [helper.make_node("Binarizer", ["x"], ["y"], name="binarize",
                          domain="ai.onnx.ml")],
        [tensor("x", TensorProto.FLOAT, [2, 2])],
        [tensor("y", TensorProto.FLOAT, [2, 2])],
        opset=[helper.make_opsetid("ai.onnx.ml", 1)], check=False)


def unsupported_domain(out):
    return model(
        [helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused",
                          domain="com.microsoft")],
        [tensor("x", TensorProto.FLOAT, [2, 2])],
        [tensor("y", TensorProto.FLOAT, [2, 2])],
        opset=OPSET + [helper.make_opsetid("com.microsoft", 1)], check=False)


def unnamed_node(out):
    # No name: errors say <unnamed>. NonMaxSuppression has no importer.
    return model(
        [helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["selected"])],
        [tensor("boxes", TensorProto.FLOAT, [1, 4, 4]),
         tensor("scores", TensorProto.FLOAT, [1, 1, 4])],
        [tensor("selected", TensorProto.INT64, [None, 3])])


def string_input(out):
    return model(
        [helper.make_node("Identity", ["s"], ["y"], name="copy")],
        [tensor("s", TensorProto.STRING, [2])],
        [tensor("y", TensorProto.STRING, [2])])


def float8_initializer(out):
    w = helper.make_tensor("w8", TensorProto.FLOAT8E4M3FN, [2], [1.0, 2.0])
    return model(
        [helper.make_node("Cast", ["w8"], ["y"], name="widen", to=TensorProto.FLOAT)],
        [], [tensor("y", TensorProto.FLOAT, [2])], [w],
        opset=[helper.make_opsetid("", 19)])


def complex_output(out):
    return model(
        [helper.make_node("Identity", ["x"], ["y"], name="copy")],
        [tensor("x", TensorProto.FLOAT, [2])],
        [tensor("y", TensorProto.COMPLEX64, [2])], check=False)


def sequence_input(out):
    seq = helper.make_tensor_sequence_value_info("xs", TensorProto.FLOAT, [2])
    return model(
        [helper.make_node("SequenceAt", ["xs", "i"], ["y"], name="pick")],
        [seq, tensor("i", TensorProto.INT64, [])],
        [tensor("y", TensorProto.FLOAT, [2])])


def no_opset(out):
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [tensor("x", TensorProto.FLOAT, [2])], [tensor("y", TensorProto.FLOAT, [2])],
        opset=[helper.make_opsetid("com.example", 1)], check=False)


def dangling_input(out):
    return model(
        [helper.make_node("Relu", ["ghost"], ["y"], name="relu")],
        [tensor("x", TensorProto.FLOAT, [2])], [tensor("y", TensorProto.FLOAT, [2])],
        check=False)


def missing_output(out):
    return model(
        [helper.make_node("Relu", ["x"], ["r"], name="relu")],
        [tensor("x", TensorProto.FLOAT, [2])], [tensor("y", TensorProto.FLOAT, [2])],
        check=False)


def wrong_output_shape(out):
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [tensor("x", TensorProto.FLOAT, [2, 3])], [tensor("y", TensorProto.FLOAT, [3, 2])],
        check=False)


def wrong_output_dtype(out):
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [tensor("x", TensorProto.FLOAT, [2])], [tensor("y", TensorProto.DOUBLE, [2])],
        check=False)


def gather_one_input(out):
    return model(
        [helper.make_node("Gather", ["x"], ["y"], name="pick")],
        [tensor("x", TensorProto.FLOAT, [3, 2])], [tensor("y", TensorProto.FLOAT, [3, 2])],
        check=False)


def concat_scalars(out):
    return model(
        [helper.make_node("Concat", ["a", "b"], ["y"], name="join", axis=0)],
        [tensor("a", TensorProto.FLOAT, []), tensor("b", TensorProto.FLOAT, [])],
        [tensor("y", TensorProto.FLOAT, [2])], check=False)


def split_scalar(out):
    return model(
        [helper.make_node("Split", ["a"], ["y", "z"], name="halves", axis=0)],
        [tensor("a", TensorProto.FLOAT, [])],
        [tensor("y", TensorProto.FLOAT, [1]), tensor("z", TensorProto.FLOAT, [1])],
        check=False)


def no_outputs(out):
    relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
    dead = helper.make_node("Transpose", ["x"], [], name="nowhere")
    return model([dead, relu], [tensor("x", TensorProto.FLOAT, [2, 3])],
                 [tensor("y", TensorProto.FLOAT, [2, 3])], check=False)


def transpose_scalar(out):
    return model(
        [helper.make_node("Transpose", ["a"], ["y"], name="flip")],
        [tensor("a", TensorProto.FLOAT, [])], [tensor("y", TensorProto.FLOAT, [])])


def trilu_bad_k(out):
    return model(
        [helper.make_node("Trilu", ["x", "k"], ["y"], name="upper")],
        [tensor("x", TensorProto.FLOAT, [3, 3])], [tensor("y", TensorProto.FLOAT, [3, 3])],
        [numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "k")], check=False)


def huge_constant_of_shape(out):
    """A [2^40, 2^20] float tensor: 4 PiB."""
    shape = numpy_helper.from_array(np.array([2**40, 2**20], dtype=np.int64), "shape")
    return model(
        [helper.make_node("ConstantOfShape", ["shape"], ["big"], name="fill"),
         helper.make_node("ReduceSum", ["big"], ["y"], name="sum", keepdims=0)],
        [], [tensor("y", TensorProto.FLOAT, [])], [shape])


def unsqueeze_twice(out):
    axes = numpy_helper.from_array(np.array([0, 0], dtype=np.int64), "axes")
    return model(
        [helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="lift")],
        [tensor("x", TensorProto.FLOAT, [3])], [tensor("y", TensorProto.FLOAT, [1, 1, 3])],
        [axes], check=False)


def argmax_scalar(out):
    return model(
        [helper.make_node("ArgMax", ["x"], ["y"], name="best", axis=0)],
        [tensor("x", TensorProto.FLOAT, [])], [tensor("y", TensorProto.INT64, [])],
        check=False)


def reshape_overflow(out):
    shape = numpy_helper.from_array(np.array([2**62, 4, -1], dtype=np.int64), "shape")
    return model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
        [tensor("x", TensorProto.FLOAT, [8])], [tensor("y", TensorProto.FLOAT, [None, 4, None])],
        [shape], check=False)


def slice_huge_step(out):
    """Slice [1:] of each row with step INT64_MAX: one element per row."""
    consts = [numpy_helper.from_array(np.array([v], dtype=np.int64), n)
              for n, v in (("starts", 1), ("ends", 2**63 - 1), ("axes", 1), ("steps", 2**63 - 1))]
    return model(
        [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], name="take")],
        [tensor("x", TensorProto.FLOAT, [2, 5])], [tensor("y", TensorProto.FLOAT, [2, 1])],
        consts)


def const_input(out):
    """y = Reshape(x, shape) with shape a graph input, plus a tensor file
    for --const-input."""
    (out / "shape.pb").write_bytes(
        numpy_helper.from_array(np.array([4, 2], dtype=np.int64), "shape").SerializeToString())
    (out / "garbage.pb").write_bytes(b"\xff\xff\xff\xff")
    return model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
        [tensor("x", TensorProto.FLOAT, [2, 4]), tensor("shape", TensorProto.INT64, [2])],
        [tensor("y", TensorProto.FLOAT, [4, 2])])


def reduce_empty(out):
    """ReduceSum and ReduceMax over an axis of size zero, from a [2, 0, 3]
    input, and the numpy results for the same input."""
    x = np.zeros((2, 0, 3), dtype=np.float32)
    np.save(out / "x.npy", x)
    np.save(out / "sum.npy", np.sum(x, axis=1))
    np.save(out / "max.npy", np.full((2, 3), -np.inf, dtype=np.float32))
    return model(
        [helper.make_node("ReduceSum", ["x", "axes"], ["sum"], name="sum", keepdims=0),
         helper.make_node("ReduceMax", ["x"], ["max"], name="max", axes=[1], keepdims=0)],
        [tensor("x", TensorProto.FLOAT, [2, 0, 3])],
        [tensor("sum", TensorProto.FLOAT, [2, 3]), tensor("max", TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")])


def attention_node(outputs, **attributes):
    """Attention on 3-D inputs (4 query and 2 key/value heads of 8) with a
    past of 3 keys and a float mask over the first 5 of the 7 keys."""
    SHAPES = {"y": [1, 4, 32], "present_k": [1, 2, 7, 8], "present_v": [1, 2, 7, 8],
              "qk": [1, 4, 4, 7]}
    return model(
        [helper.make_node("Attention", ["q", "k", "v", "mask", "past_k", "past_v"],
                          outputs, name="attend", q_num_heads=4, kv_num_heads=2,
                          **attributes)],
        [tensor("q", TensorProto.FLOAT, [1, 4, 32]), tensor("k", TensorProto.FLOAT, [1, 4, 16]),
         tensor("v", TensorProto.FLOAT, [1, 4, 16]), tensor("mask", TensorProto.FLOAT, [4, 5]),
         tensor("past_k", TensorProto.FLOAT, [1, 2, 3, 8]),
         tensor("past_v", TensorProto.FLOAT, [1, 2, 3, 8])],
        [tensor(name, TensorProto.FLOAT, SHAPES[name]) for name in outputs if name],
        opset=[helper.make_opsetid("", 23)], check=False)


def attention(out):
    """Also writes random inputs and onnx's reference outputs as .npy."""
    from onnx.reference import ReferenceEvaluator
    m = attention_node(["y", "present_k", "present_v"], is_causal=1, scale=0.25)
    rng = np.random.default_rng(5)
    inputs = {i.name: rng.standard_normal(
        [d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in m.graph.input}
    inputs["mask"] = rng.uniform(-2, 0, (4, 5)).astype(np.float32)
    for name, value in inputs.items():
        np.save(out / f"{name}.npy", value)
    for name, value in zip(["y", "present_k", "present_v"],
                           ReferenceEvaluator(m).run(None, inputs)):
        np.save(out / f"expected_{name}.npy", value)
    return m


def attention_qk_output(out):
    return attention_node(["y", "", "", "qk"], qk_matmul_output_mode=2)


def attention_nonpad(out):
    """4-D Attention (opset 24) with a boolean mask and nonpad_kv_seqlen
    (each batch entry attends its first 5 or 3 of 6 keys); also writes
    inputs and onnx's reference output as .npy."""
    from onnx.reference import ReferenceEvaluator
    m = model(
        [helper.make_node("Attention", ["q", "k", "v", "mask", "", "", "nonpad"], ["y"],
                          name="attend")],
        [tensor("q", TensorProto.FLOAT, [2, 4, 3, 8]), tensor("k", TensorProto.FLOAT, [2, 2, 6, 8]),
         tensor("v", TensorProto.FLOAT, [2, 2, 6, 8]), tensor("mask", TensorProto.BOOL, [2, 1, 3, 6]),
         tensor("nonpad", TensorProto.INT64, [2])],
        [tensor("y", TensorProto.FLOAT, [2, 4, 3, 8])],
        opset=[helper.make_opsetid("", 24)], check=False)
    rng = np.random.default_rng(8)
    inputs = {name: rng.standard_normal(shape).astype(np.float32)
              for name, shape in (("q", (2, 4, 3, 8)), ("k", (2, 2, 6, 8)), ("v", (2, 2, 6, 8)))}
    inputs["mask"] = rng.uniform(size=(2, 1, 3, 6)) > 0.3
    inputs["mask"][..., 0] = True
    inputs["nonpad"] = np.array([5, 3], dtype=np.int64)
    for name, value in inputs.items():
        np.save(out / f"{name}.npy", value)
    np.save(out / "expected_y.npy", ReferenceEvaluator(m).run(None, inputs)[0])
    return m


def attention_bad_heads(out):
    m = attention_node(["y"])
    next(a for a in m.graph.node[0].attribute if a.name == "kv_num_heads").i = 5
    return m


def rotary_node(rotary_dim):
    """RotaryEmbedding on a 3-D input (3 heads of 8) with position_ids into
    caches of 10 positions, rotating the first `rotary_dim` channels of each
    head in adjacent pairs."""
    return model(
        [helper.make_node("RotaryEmbedding", ["x", "cos", "sin", "positions"], ["y"],
                          name="rotate", num_heads=3, interleaved=1,
                          rotary_embedding_dim=rotary_dim)],
        [tensor("x", TensorProto.FLOAT, [2, 5, 24]), tensor("cos", TensorProto.FLOAT, [10, 3]),
         tensor("sin", TensorProto.FLOAT, [10, 3]),
         tensor("positions", TensorProto.INT64, [2, 5])],
        [tensor("y", TensorProto.FLOAT, [2, 5, 24])],
        opset=[helper.make_opsetid("", 23)], check=False)


def rotary(out):
    """Also writes inputs and onnx's reference output as .npy."""
    from onnx.reference import ReferenceEvaluator
    m = rotary_node(6)
    rng = np.random.default_rng(6)
    angles = rng.uniform(-3, 3, (10, 3))
    inputs = {"x": rng.standard_normal((2, 5, 24)).astype(np.float32),
              "cos": np.cos(angles).astype(np.float32),
              "sin": np.sin(angles).astype(np.float32),
              "positions": rng.integers(0, 10, (2, 5)).astype(np.int64)}
    for name, value in inputs.items():
        np.save(out / f"{name}.npy", value)
    np.save(out / "expected_y.npy", ReferenceEvaluator(m).run(None, inputs)[0])
    return m


def rotary_bad_dim(out):
    return rotary_node(5)


KINDS = {name.replace("_", "-"): fn for name, fn in list(globals().items())
         if callable(fn) and fn.__module__ == __name__ and name not in
         ("tensor", "model", "external_model", "save_external", "set_external",
          "attention_node", "rotary_node")}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.exit("usage: make_model.py {%s} OUT_DIR" % ",".join(sorted(KINDS)))
    KIND_OUT = Path(sys.argv[2]).resolve()
    KIND_OUT.mkdir(parents=True, exist_ok=True)
    result = KINDS[sys.argv[1]](KIND_OUT)
    if result is not None:
        onnx.save(result, KIND_OUT / "model.onnx")
