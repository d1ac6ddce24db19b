"""A small helper over ``onnx.helper`` that writes weight-stripped models like torch exports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Weights are ConstantOfShape nodes (zeros), as in the weight-stripped models the onnx package
# ships: the files keep every shape, pass the ONNX checker and run, yet stay a few kB small.


class OnnxGraph:
    """Collects nodes, weight stubs, inputs and outputs; ``node`` returns the output name."""

    def __init__(self, name: str, opset: int = 17) -> None:
        self.name = name
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []

    def input(self, name: str, shape: Sequence[int]) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        return name

    def weight(self, name: str, shape: Sequence[int]) -> str:
        """A float32 weight of zeros: ``ConstantOfShape`` of a stored shape, no weight data."""
        dims = self.const(f"{name}__shape", list(shape))
        self.nodes.append(helper.make_node("ConstantOfShape", [dims], [name], name=f"{name}__fill"))
        return name

    def const(self, name: str, values: float | Sequence[int] | Sequence[float]) -> str:
        """A small constant stored in the model (Reshape shapes, scalars)."""
        arr = np.asarray(values)
        arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
        self.initializers.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op_type: str, name: str, inputs: Sequence[str], n_out: int = 1,
             **attrs: Any) -> str:  # fmt: skip
        outputs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=name, **attrs))
        return outputs[0]

    def conv(self, name: str, x: str, c_in: int, c_out: int, k: int | tuple[int, int], *,
             stride: int = 1, pad: int | None = None, group: int = 1,
             bias: bool = True) -> str:  # fmt: skip
        """A Conv node with weight ``{prefix}.weight``; padding defaults to 'same' for odd k."""
        ky, kx = (k, k) if isinstance(k, int) else k
        py, px = (ky // 2, kx // 2) if pad is None else (pad, pad)
        prefix = name.strip("/").rsplit("/", 1)[0].replace("/", ".")
        inputs = [x, self.weight(f"{prefix}.weight", (c_out, c_in // group, ky, kx))]
        if bias:
            inputs.append(self.weight(f"{prefix}.bias", (c_out,)))
        return self.node("Conv", name, inputs, kernel_shape=[ky, kx], strides=[stride, stride],
                         pads=[py, px, py, px], dilations=[1, 1], group=group)  # fmt: skip

    def linear(self, name: str, x: str, d_in: int, d_out: int, *, bias: bool = True) -> str:
        """``x @ W (+ b)`` as MatMul (and Add) named like a torch export of nn.Linear."""
        prefix = name.strip("/").replace("/", ".")
        y = self.node(
            "MatMul", f"{name}/MatMul", [x, self.weight(f"{prefix}.weight", (d_in, d_out))]
        )
        if bias:
            y = self.node("Add", f"{name}/Add", [y, self.weight(f"{prefix}.bias", (d_out,))])
        return y

    def model(self, outputs: Sequence[str], *, doc: str = "") -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, self.name, self.inputs,
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            initializer=self.initializers,
        )  # fmt: skip
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="fuseflow"
        )
        model.doc_string = doc
        return _with_output_shapes(model)


def _with_output_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Give the graph outputs their inferred shapes (the ONNX checker requires a shape)."""
    inferred = onnx.shape_inference.infer_shapes(model).graph
    types = {vi.name: vi.type for vi in [*inferred.value_info, *inferred.output]}
    for out in model.graph.output:
        if out.name in types and types[out.name].tensor_type.HasField("shape"):
            out.type.CopyFrom(types[out.name])
    return model
