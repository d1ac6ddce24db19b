"""ONNX model -> Workload: fold constants, convert each node by op family, fold BatchNorms."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import onnx

from fuseflow.errors import InputError
from fuseflow.workload.check import check_workload
from fuseflow.workload.layer import Layer, Node, Operand, ShapeOp, TensorInfo, Workload
from fuseflow.workload.onnx import conv, elementwise, gemm, norm, shapes
from fuseflow.workload.onnx.graph import (
    ModelView,
    NodeView,
    NotModelled,
    infer_shapes,
    load_model,
)
from fuseflow.workload.ops import Precisions

UnknownOps = Literal["error", "passthrough"]
Converter = Callable[[NodeView], list[Node]]
CONVERTERS: dict[str, Converter] = {
    **conv.CONVERTERS,
    **gemm.CONVERTERS,
    **elementwise.CONVERTERS,
    **norm.CONVERTERS,
    **shapes.CONVERTERS,
}
# Ops that only ever produce constants (when their inputs, if any, are constants too).
SOURCE_OPS = frozenset({"Constant", "ConstantOfShape", "RandomNormal", "RandomUniform", "EyeLike"})
DEFAULT_DOMAINS = ("", "ai.onnx")


def import_onnx(
    path: str | Path,
    *,
    unknown_ops: UnknownOps = "error",
    precisions: Precisions | None = None,
    dim_values: Mapping[str, int] | None = None,
    model: onnx.ModelProto | None = None,
    name: str | None = None,
) -> Workload:
    """Read an ONNX file (or an in-memory ``model`` labelled ``path``) as a Workload.

    Weights are never needed: shapes come from shape inference, initializers' dims and
    value_info. Symbolic input dims take ``dim_values[param]`` (else 1, with a warning).
    """
    path = Path(path)
    where = str(path)
    if model is None:
        model = load_model(path)
    inferred, warnings = infer_shapes(model, where, dim_values or {})
    view = ModelView.of(inferred, where, precisions or Precisions())
    state = _State(view, warnings)
    graph = inferred.graph
    init_names = {i.name for i in graph.initializer}
    for vi in graph.input:
        if vi.name not in init_names:
            shape = view.shapes.get(vi.name)
            if shape is None:
                raise InputError("graph input has no static shape", where=f"{where}, {vi.name}")
            state.add_tensor(vi.name, shape, view.precisions.input_bits, None)
            state.inputs.append(vi.name)
    for index, node in enumerate(graph.node):
        state.visit(NodeView(node, state.unique_name(node), view, index), unknown_ops)
    outputs = tuple(o.name for o in graph.output if o.name in state.tensors)
    workload = Workload(
        name=name or path.stem,
        nodes=tuple(state.nodes),
        tensors=state.tensors,
        inputs=tuple(state.inputs),
        outputs=outputs,
        source=where,
        warnings=tuple(state.warnings),
    )
    check_workload(workload)
    return workload


@dataclass
class _State:
    """The workload being assembled while visiting the nodes in graph order."""

    view: ModelView
    warnings: list[str]
    nodes: list[Node] = field(default_factory=list)
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    position: dict[str, int] = field(default_factory=dict)  # tensor -> index in nodes

    def unique_name(self, node: onnx.NodeProto) -> str:
        base = node.name or (node.output[0] if node.output else node.op_type)
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}#{k}"
        if k > 1:
            self.warnings.append(f"node name {base!r} is used twice; renamed to {name!r}")
        self.names.add(name)
        return name

    def add_tensor(self, name: str, shape: tuple[int, ...], bits: int, producer: str | None,
                   constant: bool = False) -> None:  # fmt: skip
        self.tensors[name] = TensorInfo(name, shape, bits, producer, constant)

    def visit(self, n: NodeView, unknown_ops: UnknownOps) -> None:
        for t in n.inputs:
            if t and t not in self.tensors and not self.view.is_constant(t):
                raise n.error(_missing_input(t, self.view.producer_index.get(t), n.index))
        if self._foldable(n):
            self.view.add_folded(n.node)
            return
        if n.op_type == "BatchNormalization" and self._fold_batchnorm(n):
            return
        converter = CONVERTERS.get(n.op_type) if n.node.domain in DEFAULT_DOMAINS else None
        try:
            if converter is None:
                raise n.unsupported(f"op type {n.op_type!r} is not modelled")
            new = converter(n)
        except NotModelled as exc:
            if unknown_ops != "passthrough":
                raise InputError(f"{exc}; use --unknown-ops passthrough to treat it as a "
                                 "data-moving node") from None  # fmt: skip
            new = [self._passthrough(n, str(exc).rsplit(": ", 1)[-1])]
        for node in new:
            self._add_node(replace(node, source_index=n.index))

    def _foldable(self, n: NodeView) -> bool:
        real = [t for t in n.inputs if t]
        if n.op_type in ("Shape", "Size"):
            return real[0] in self.view.shapes
        if not real:
            return n.op_type in SOURCE_OPS
        return all(self.view.is_constant(t) for t in real)

    def _add_node(self, node: Node) -> None:
        view = self.view
        for t in node.inputs if isinstance(node, ShapeOp) else _layer_inputs(node):
            if t not in self.tensors:
                self.add_tensor(t, view.shapes[t], view.precisions.weight_bits, None, True)
        if isinstance(node, Layer):
            out = node.operands["O"]
            outs = [(out.tensor, out.precision_bits)]
        else:
            bits = self.tensors[node.inputs[0]].precision_bits if node.inputs else 8
            outs = [(t, bits) for t in node.outputs]
        for t, bits in outs:
            self.add_tensor(t, view.shapes[t], bits, node.name)
            self.position[t] = len(self.nodes)
        self.nodes.append(node)

    def _fold_batchnorm(self, n: NodeView) -> bool:
        """Merge a BatchNormalization into the Conv that feeds only it: the conv writes Y."""
        x = n.inputs[0]
        pos = self.position.get(x)
        producer = self.nodes[pos] if pos is not None else None
        if not isinstance(producer, Layer) or producer.op_type != "Conv" or pos is None:
            return False
        if self.view.consumers[x] != 1:
            return False
        y = n.node.output[0]
        out = producer.operands["O"]
        operands = {**producer.operands, "O": Operand(y, out.axes, out.precision_bits)}
        folded = (*producer.attrs.get("folded", ()), n.name)  # type: ignore[misc]
        self.nodes[pos] = replace(producer, operands=operands,
                                  attrs={**producer.attrs, "folded": folded})  # fmt: skip
        info = self.tensors.pop(x)
        self.add_tensor(y, n.shape(y), info.precision_bits, producer.name)
        self.position[y] = pos
        return True

    def _passthrough(self, n: NodeView, reason: str) -> ShapeOp:
        data = tuple(t for t in n.inputs if t and not self.view.is_constant(t))
        outs = tuple(t for t in n.node.output if t)
        for t in outs:
            if t not in self.view.shapes and len(data) == 1:
                self.view.shapes[t] = n.shape(data[0])
                self.warnings.append(f"{n.where}: output {t!r} has no shape; assumed its input's")
        sizes_agree = (
            len(data) == 1 and len(outs) == 1
            and math.prod(n.shape(data[0])) == math.prod(n.shape(outs[0]))
        )  # fmt: skip
        self.warnings.append(f"{n.where}: {reason}; passed through as a data-moving node")
        attrs = {"passthrough": True, "whole_tensor": not sizes_agree}
        return ShapeOp(n.name, n.op_type, data, outs, attrs, n.index)


def _layer_inputs(layer: Layer) -> tuple[str, ...]:
    return tuple(layer.operands[r].tensor for r in layer.input_roles())


def _missing_input(tensor: str, producer: int | None, index: int) -> str:
    if producer is None:
        return f"reads tensor {tensor!r} that no node, input or initializer defines"
    if producer > index:
        return f"reads {tensor!r} before node #{producer} produces it (not topologically sorted)"
    return (f"reads {tensor!r}, an extra output of node #{producer} that is not modelled "
            "(e.g. a Dropout mask or MaxPool indices)")  # fmt: skip
