"""Tiny ONNX graphs for the importer tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fuseflow.workload.layer import Workload
from fuseflow.workload.onnx import import_onnx


def stub(name: str, shape: Sequence[int]) -> onnx.TensorProto:
    """A weight initializer with dims but no data (weight-stripped)."""
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(shape))
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "missing.bin"
    return t


def const(name: str, values) -> onnx.TensorProto:
    arr = np.asarray(values)
    arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
    return numpy_helper.from_array(arr, name)


def model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, Sequence[int]],
    outputs: Sequence[str],
    inits: Sequence[onnx.TensorProto] = (),
    opset: int = 17,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v)) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=list(inits),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def load(m: onnx.ModelProto, **kwargs) -> Workload:
    return import_onnx("test.onnx", model=m, **kwargs)
