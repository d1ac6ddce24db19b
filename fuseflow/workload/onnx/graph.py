"""An ONNX model after shape inference: tensor shapes, lazily folded constants, node views."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import helper, numpy_helper

from fuseflow.errors import InputError
from fuseflow.workload.ops import Precisions, Ref

# Folding evaluates small constant subgraphs (shape arithmetic); bigger ones keep only a shape.
MAX_FOLD_ELEMENTS = 1 << 16


def load_model(path: Path) -> onnx.ModelProto:
    """Read an ONNX file without external weight data; a located error when it is not ONNX."""
    if not path.exists():
        raise InputError("no such file", where=str(path))
    if path.is_dir():
        raise InputError("is a directory, expected an .onnx file", where=str(path))
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf raises several unrelated types for garbage input
        raise InputError(
            f"not a readable ONNX model ({type(exc).__name__})", where=str(path)
        ) from None
    if not model.graph.node:
        raise InputError("not an ONNX model: the graph has no nodes", where=str(path))
    return model


def infer_shapes(
    model: onnx.ModelProto, where: str, dim_values: Mapping[str, int]
) -> tuple[onnx.ModelProto, list[str]]:
    """Fix symbolic input dims (``dim_values`` or 1) and run ONNX shape inference."""
    warnings: list[str] = []
    undeclared = _undeclared_domains(model)
    if dim_values or undeclared or _symbolic(model):
        model = onnx.ModelProto.FromString(model.SerializeToString())
    for domain in undeclared:
        # Custom-op exporters often omit the import; shape inference would stop at the node
        # instead of letting the converter name the unmodelled op.
        model.opset_import.append(helper.make_opsetid(domain, 1))
        warnings.append(f"domain {domain!r} has no opset import; assumed version 1")
    init_names = {i.name for i in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name in init_names:
            continue
        for dim in vi.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") or not dim.HasField("dim_value"):
                param = dim.dim_param
                value = int(dim_values.get(param, 1))
                if param not in dim_values:
                    warnings.append(
                        f"input {vi.name}: symbolic dim {param or '?'!r} set to {value}"
                    )
                dim.dim_value = value
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as exc:
        try:
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
        except Exception:
            raise InputError(
                f"ONNX shape inference failed: {_first_line(exc)}", where=where
            ) from None
    return inferred, warnings


def _undeclared_domains(model: onnx.ModelProto) -> list[str]:
    """Custom domains used by nodes but not imported (the standard domain is never guessed)."""
    declared = {o.domain for o in model.opset_import} | {"", "ai.onnx"}
    used = dict.fromkeys(n.domain for n in model.graph.node)
    return [d for d in used if d not in declared]


def _symbolic(model: onnx.ModelProto) -> bool:
    return any(
        d.HasField("dim_param") or not d.HasField("dim_value")
        for vi in model.graph.input
        for d in vi.type.tensor_type.shape.dim
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _shape_of(vi: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
    return None if any(d < 0 for d in dims) else tuple(dims)


@dataclass
class ModelView:
    """Shapes and constants of a shape-inferred model; ``where`` names the file in errors."""

    model: onnx.ModelProto
    where: str
    precisions: Precisions
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    constants: set[str] = field(default_factory=set)
    recipes: dict[str, onnx.NodeProto] = field(default_factory=dict)
    values: dict[str, NDArray | None] = field(default_factory=dict)
    consumers: Counter[str] = field(default_factory=Counter)
    producer_index: dict[str, int] = field(default_factory=dict)  # tensor -> ONNX node index
    opset: int = 13

    @classmethod
    def of(cls, model: onnx.ModelProto, where: str, precisions: Precisions) -> ModelView:
        view = cls(model, where, precisions)
        g = model.graph
        for vi in [*g.input, *g.value_info, *g.output]:
            shape = _shape_of(vi)
            if shape is not None:
                view.shapes[vi.name] = shape
        for init in g.initializer:
            view.shapes[init.name] = tuple(init.dims)
            view.constants.add(init.name)
            view.values[init.name] = _initializer_values(init)
        view.consumers = Counter(t for n in g.node for t in n.input if t)
        view.producer_index = {t: i for i, n in enumerate(g.node) for t in n.output if t}
        view.consumers.update(o.name for o in g.output)
        view.opset = next(
            (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13
        )
        return view

    # -- constants ----------------------------------------------------------------------------
    def is_constant(self, tensor: str) -> bool:
        return tensor in self.constants

    def add_folded(self, node: onnx.NodeProto) -> None:
        """Record that ``node`` only computes constants (evaluated when a value is needed)."""
        for out in node.output:
            if out:
                self.constants.add(out)
                self.recipes[out] = node

    def value(self, tensor: str) -> NDArray | None:
        """The constant's values, evaluating its folded subgraph on demand; None if unknown."""
        if tensor in self.values:
            return self.values[tensor]
        node = self.recipes.get(tensor)
        if node is None:
            return None
        self._evaluate(node)
        return self.values.get(tensor)

    def _evaluate(self, node: onnx.NodeProto) -> None:
        outs: Sequence[NDArray | None]
        if node.op_type in ("Shape", "Size"):
            outs = [_shape_value(node, self.shapes.get(node.input[0]))]
        else:
            shape = self.shapes.get(node.output[0])
            inputs = [self.value(t) if t else None for t in node.input]
            small = shape is not None and math.prod(shape) <= MAX_FOLD_ELEMENTS
            if any(v is None for t, v in zip(node.input, inputs, strict=True) if t) or not small:
                outs = [None] * len(node.output)
            else:
                feeds = {t: v for t, v in zip(node.input, inputs, strict=True) if v is not None}
                outs = _run_node(node, feeds)
        for name, val in zip(node.output, outs, strict=False):
            self.values[name] = val
            if val is not None and name not in self.shapes:
                self.shapes[name] = tuple(val.shape)


def _initializer_values(init: onnx.TensorProto) -> NDArray | None:
    external = init.data_location == onnx.TensorProto.EXTERNAL
    if external or math.prod(init.dims) > MAX_FOLD_ELEMENTS:
        return None
    try:
        arr = numpy_helper.to_array(init)
    except Exception:
        return None
    return arr if arr.size == math.prod(init.dims) else None


def _shape_value(node: onnx.NodeProto, shape: tuple[int, ...] | None) -> NDArray | None:
    if shape is None:
        return None
    if node.op_type == "Size":
        return np.array(math.prod(shape), dtype=np.int64)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    start, end = attrs.get("start", 0), attrs.get("end", len(shape))
    return np.array(shape[start:end], dtype=np.int64)


def _run_node(node: onnx.NodeProto, feeds: dict[str, NDArray]) -> list[NDArray | None]:
    from onnx.reference import ReferenceEvaluator

    try:
        results = ReferenceEvaluator(node).run(None, feeds)
    except Exception:
        return [None] * len(node.output)
    return [np.asarray(r) for r in results]


class NotModelled(InputError):
    """A node that is valid ONNX but not modelled (an op, or an op with non-constant inputs)."""


@dataclass(frozen=True)
class NodeView:
    """One ONNX node with the questions converters ask about it."""

    node: onnx.NodeProto
    name: str
    model: ModelView
    index: int

    @property
    def op_type(self) -> str:
        return self.node.op_type

    @property
    def where(self) -> str:
        return f"{self.model.where}, node {self.name} ({self.op_type})"

    def error(self, message: str) -> InputError:
        return InputError(message, where=self.where)

    def unsupported(self, message: str) -> NotModelled:
        """A valid node that fuseflow cannot model (``--unknown-ops passthrough`` skips it)."""
        return NotModelled(message, where=self.where)

    def attr(self, key: str, default: object = None) -> object:
        for a in self.node.attribute:
            if a.name == key:
                value = helper.get_attribute_value(a)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def ints(self, key: str, default: Sequence[int]) -> tuple[int, ...]:
        value = self.attr(key)
        return tuple(int(v) for v in value) if isinstance(value, list | tuple) else tuple(default)

    def integer(self, key: str, default: int) -> int:
        value = self.attr(key, default)
        return int(value) if isinstance(value, int | float) else default

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.node.input)

    def has_input(self, i: int) -> bool:
        return len(self.node.input) > i and bool(self.node.input[i])

    def shape(self, tensor: str) -> tuple[int, ...]:
        shape = self.model.shapes.get(tensor)
        if shape is None:
            self.model.value(tensor)  # a folded constant may know its shape once evaluated
            shape = self.model.shapes.get(tensor)
        if shape is None:
            raise self.error(f"tensor {tensor!r} has no static shape after shape inference")
        return shape

    def ref(self, i: int) -> Ref:
        t = self.node.input[i]
        return Ref(t, self.shape(t), self.model.is_constant(t))

    def out(self, i: int = 0) -> Ref:
        t = self.node.output[i]
        return Ref(t, self.shape(t))

    def const(self, i: int, what: str) -> NDArray:
        """Values of constant input ``i`` (e.g. a Reshape shape); a located error if unknown."""
        t = self.node.input[i]
        value = self.model.value(t) if self.model.is_constant(t) else None
        if value is None:
            raise self.unsupported(
                f"needs the values of its {what} input {t!r}, which are not constant "
                "or not stored in the model"
            )
        return value

    @property
    def precisions(self) -> Precisions:
        """Model precisions, overridden by node attributes act_size/weight_size/output_size."""
        p = self.model.precisions
        return Precisions(
            input_bits=self.integer("act_size", p.input_bits),
            weight_bits=self.integer("weight_size", p.weight_bits),
            partial_output_bits=self.integer("partial_size", p.partial_output_bits),
            output_bits=self.integer("output_size", p.output_bits),
        )
