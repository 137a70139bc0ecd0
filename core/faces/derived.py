"""Models derived from the checked originals, in memory only.

Nothing derived is written to disk: a cached copy would be a file that runs without being
checked (a recognizer copy with its last layer negated was once accepted from the cache).
Deriving costs ~20-30 ms per process (parse, rewrite, serialize 13.6 MB), about what hashing
a cached copy would (bench/model_load.py), and leaves nothing to tamper with.
"""

from __future__ import annotations

# Bumped when a derivation changes the bytes it produces.
RECOGNIZER_DERIVATION = "batch-symbolic+prelu-as-relus/2"


def prelu_as_relus(model) -> bool:
    """Rewrite each PRelu(x, a) with constant slopes as Relu(x) + (-a) * Relu(-x), in place.

    Same numbers, bit for bit (negations are exact; for x > 0 it adds a zero, for x < 0 it
    is the product a*x that PRelu computes). onnxruntime's CPU PRelu is slow on the (C, 1, 1)
    slopes of the MobileFaceNet recognizer (41% of its time, and the NCHWc layout is undone
    around each one); Relu, Mul and Add run fast and stay in NCHWc. Measured with one thread:
    17.5 -> 11.1 ms of CPU per face (Max(x, a*x), also exact for slopes <= 1: 11.6), outputs
    identical. Returns whether anything changed.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    constants = {i.name: i for i in model.graph.initializer}
    nodes, added = [], []
    for node in model.graph.node:
        slope = constants.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None:
            nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        values = numpy_helper.to_array(slope)
        minus_a = numpy_helper.from_array((-values).astype(values.dtype), f"{y}__minus_a")
        minus_one = numpy_helper.from_array(-np.ones_like(values), f"{y}__minus_one")
        added += [minus_a, minus_one]
        nodes += [
            helper.make_node("Relu", [x], [f"{y}__pos"], name=f"{node.name}__relu_pos"),
            helper.make_node("Mul", [x, minus_one.name], [f"{y}__neg_x"],
                             name=f"{node.name}__negate"),
            helper.make_node("Relu", [f"{y}__neg_x"], [f"{y}__neg"], name=f"{node.name}__relu_neg"),
            helper.make_node("Mul", [f"{y}__neg", minus_a.name], [f"{y}__scaled"],
                             name=f"{node.name}__scale"),
            helper.make_node("Add", [f"{y}__pos", f"{y}__scaled"], [y], name=f"{node.name}__add"),
        ]
    if added:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        model.graph.initializer.extend(added)
    return bool(added)


def recognizer_bytes(original: bytes) -> bytes:
    """The ArcFace model as it runs: its file declares batch 1 on the output, so onnxruntime
    warns on every batched call; this copy has a symbolic batch on input and output, and its
    PRelus run as Relus (`prelu_as_relus`: same outputs, 1/3 less CPU). Weights untouched."""
    import onnx

    model = onnx.load_model_from_string(original)
    changed = prelu_as_relus(model)
    for value in list(model.graph.input[:1]) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param != "batch":
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"
            changed = True
    if not changed:
        return original
    # Stored intermediate shapes also pin batch 1; drop them and let the runtime infer.
    del model.graph.value_info[:]
    return model.SerializeToString()


def static_detector_bytes(original: bytes, input_size: tuple[int, int], input_name: str) -> bytes:
    """SCRFD with its input fixed at `input_size` (w, h) and its outputs shaped to match:
    what insightface's own per-resolution sessions run (scrfd._static_scrfd_model), built from
    the checked bytes instead of re-reading the file."""
    import onnx

    width, height = (int(value) for value in input_size)
    model = onnx.load_model_from_string(original)
    inputs = {value.name: value for value in model.graph.input}
    if input_name not in inputs:
        raise ValueError(f"the detector has no input named {input_name!r}")
    dims = inputs[input_name].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError("the detector's input is not NCHW")
    _fix(dims[2], height)
    _fix(dims[3], width)
    count = len(model.graph.output)
    if count in (6, 9):
        levels, strides, anchors = 3, (8, 16, 32), 2
    elif count in (10, 15):
        levels, strides, anchors = 5, (8, 16, 32, 64, 128), 1
    else:
        raise ValueError(f"a detector with {count} outputs is not an SCRFD model")
    for index, output in enumerate(model.graph.output):
        dims = output.type.tensor_type.shape.dim
        if len(dims) not in (2, 3):
            raise ValueError(f"detector output {output.name!r} has rank {len(dims)}")
        if len(dims) == 3:
            _fix(dims[0], 1)
        stride = strides[index % levels]
        _fix(dims[len(dims) - 2], (height // stride) * (width // stride) * anchors)
        _fix(dims[-1], (1, 4, 10)[index // levels])
    return model.SerializeToString()


def _fix(dimension, value: int) -> None:
    dimension.ClearField("dim_param")
    dimension.dim_value = int(value)
