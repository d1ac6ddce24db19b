"""Build workloads in Python code: one method per op kind, shapes derived like ONNX would."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from fuseflow.errors import InputError
from fuseflow.workload import ops
from fuseflow.workload.check import check_workload
from fuseflow.workload.layer import Layer, Node, ShapeOp, TensorInfo, Workload
from fuseflow.workload.ops import Precisions, Ref

Pair = int | tuple[int, int]
Padding = int | tuple[int, int] | tuple[int, int, int, int]


def _pair(v: Pair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def onnx_pads(padding: Padding) -> tuple[int, int, int, int]:
    """Padding as int, (y, x) or (top, bottom, left, right) -> ONNX (top, left, bottom, right)."""
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    top, bottom, left, right = padding
    return (top, left, bottom, right)


def _nchw(x: TensorInfo) -> tuple[int, int, int, int]:
    if len(x.shape) != 4:
        raise ValueError(f"needs an NCHW (rank-4) input; {x.name!r} has shape {x.shape}")
    b, c, h, w = x.shape
    return b, c, h, w


def _out_size(n: int, k: int, s: int, d: int, pb: int, pe: int) -> int:
    return (n + pb + pe - d * (k - 1) - 1) // s + 1


_Method = TypeVar("_Method", bound=Callable[..., TensorInfo])


def _located(method: _Method) -> _Method:
    """Report shape errors of a builder method as an InputError naming the workload and layer."""

    @functools.wraps(method)
    def wrapper(self: WorkloadBuilder, name: str, *args: Any, **kwargs: Any) -> TensorInfo:
        try:
            return method(self, name, *args, **kwargs)
        except ValueError as exc:  # ShapeMismatch, numpy broadcasting, wrong tensor ranks
            raise InputError(str(exc), where=f"workload {self.name}, layer {name}") from None

    return wrapper  # type: ignore[return-value]


class WorkloadBuilder:
    """Collects layers and shape ops; every method returns the ``TensorInfo`` it produces.

    >>> b = WorkloadBuilder("tiny")
    >>> x = b.input("x", (1, 3, 8, 8))
    >>> y = b.conv("c1", x, 16, kernel=3, padding=1)
    >>> b.build().total_macs == 16 * 8 * 8 * 3 * 3 * 3
    True
    """

    def __init__(self, name: str, precisions: Precisions | None = None) -> None:
        self.name = name
        self.precisions = precisions or Precisions()
        self._nodes: list[Node] = []
        self._tensors: dict[str, TensorInfo] = {}
        self._inputs: list[str] = []

    # -- tensors ------------------------------------------------------------------------------
    def input(self, name: str, shape: Sequence[int]) -> TensorInfo:
        """A graph input (an activation fetched from DRAM; not a constant)."""
        self._inputs.append(name)
        return self._tensor(name, shape, self.precisions.input_bits, None)

    def constant(self, name: str, shape: Sequence[int]) -> TensorInfo:
        return self._tensor(name, shape, self.precisions.weight_bits, None, constant=True)

    def _tensor(
        self, name: str, shape: Sequence[int], bits: int, producer: str | None, constant=False
    ) -> TensorInfo:
        if name in self._tensors:
            raise InputError(f"tensor {name!r} defined twice", where=f"workload {self.name}")
        info = TensorInfo(name, tuple(int(s) for s in shape), bits, producer, constant)
        self._tensors[name] = info
        return info

    def _add(self, layer: Layer, y: Ref) -> TensorInfo:
        self._nodes.append(replace(layer, source_index=len(self._nodes)))
        return self._tensor(y.name, y.shape, layer.operands["O"].precision_bits, layer.name)

    def _out(self, name: str, shape: Sequence[int]) -> Ref:
        if any(s < 1 for s in shape):
            where = f"workload {self.name}, layer {name}"
            raise InputError(f"output shape {tuple(shape)} is empty (window larger than input?)",
                             where=where)  # fmt: skip
        return Ref(f"{name}_output", tuple(int(s) for s in shape))

    def _prec(self, precisions: Precisions | None) -> Precisions:
        return precisions or self.precisions

    # -- compute layers -----------------------------------------------------------------------
    @_located
    def conv(
        self,
        name: str,
        x: TensorInfo,
        out_channels: int,
        kernel: Pair,
        *,
        stride: Pair = 1,
        dilation: Pair = 1,
        padding: Padding = 0,
        groups: int = 1,
        precisions: Precisions | None = None,
    ) -> TensorInfo:
        """A 2-D convolution of an NCHW tensor; ``padding`` is ``int``, ``(y, x)`` or
        ``(top, bottom, left, right)``; ``groups == in channels`` makes it depthwise."""
        (fy, fx), (sy, sx), (dy, dx) = _pair(kernel), _pair(stride), _pair(dilation)
        pads = onnx_pads(padding)
        b, c, h, w = _nchw(x)
        oy = _out_size(h, fy, sy, dy, pads[0], pads[2])
        ox = _out_size(w, fx, sx, dx, pads[1], pads[3])
        wt = self.constant(f"{name}.weight", (out_channels, c // groups, fy, fx))
        y = self._out(name, (b, out_channels, oy, ox))
        layer = ops.conv(
            name, _ref(x), _ref(wt), y, strides=(sy, sx), dilations=(dy, dx), pads=pads,
            group=groups, prec=self._prec(precisions),
        )  # fmt: skip
        return self._add(layer, y)

    @_located
    def gemm(
        self, name: str, x: TensorInfo, out_features: int, *, precisions: Precisions | None = None
    ) -> TensorInfo:
        """A fully connected layer ``x @ W`` with a constant weight of shape (in, out)."""
        wt = self.constant(f"{name}.weight", (x.shape[-1], out_features))
        y = self._out(name, (*x.shape[:-1], out_features))
        prec = self._prec(precisions)
        return self._add(ops.matmul(name, _ref(x), _ref(wt), y, prec=prec, op_type="Gemm"), y)

    @_located
    def matmul(
        self, name: str, a: TensorInfo, b: TensorInfo, *, precisions: Precisions | None = None
    ) -> TensorInfo:
        """``a @ b`` with numpy broadcasting; ``b`` may be an activation (attention)."""
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        y = self._out(name, (*batch, a.shape[-2], b.shape[-1]))
        return self._add(ops.matmul(name, _ref(a), _ref(b), y, prec=self._prec(precisions)), y)

    @_located
    def pool(
        self,
        name: str,
        x: TensorInfo,
        kernel: Pair,
        *,
        stride: Pair | None = None,
        padding: Padding = 0,
        op_type: str = "MaxPool",
    ) -> TensorInfo:
        (fy, fx) = _pair(kernel)
        (sy, sx) = _pair(stride if stride is not None else kernel)
        pads = onnx_pads(padding)
        b, c, h, w = _nchw(x)
        oy, ox = (
            _out_size(h, fy, sy, 1, pads[0], pads[2]),
            _out_size(w, fx, sx, 1, pads[1], pads[3]),
        )
        y = self._out(name, (b, c, oy, ox))
        layer = ops.pool(
            name, _ref(x), y, kernel=(fy, fx), strides=(sy, sx), dilations=(1, 1), pads=pads,
            prec=self.precisions, op_type=op_type,
        )  # fmt: skip
        return self._add(layer, y)

    @_located
    def global_pool(
        self, name: str, x: TensorInfo, op_type: str = "GlobalAveragePool"
    ) -> TensorInfo:
        h, w = _nchw(x)[2:]
        return self.pool(name, x, (h, w), stride=1, op_type=op_type)

    @_located
    def elementwise(self, name: str, op_type: str, *inputs: TensorInfo) -> TensorInfo:
        """A unary or binary elementwise op with numpy broadcasting (``op_type`` as in ONNX)."""
        shape = np.broadcast_shapes(*(t.shape for t in inputs))
        y = self._out(name, shape)
        refs = [_ref(t) for t in inputs]
        return self._add(ops.elementwise(name, refs, y, prec=self.precisions, op_type=op_type), y)

    @_located
    def softmax(self, name: str, x: TensorInfo, axis: int = -1) -> TensorInfo:
        y = self._out(name, x.shape)
        layer = ops.normalisation(
            name, _ref(x), y, axes=(axis % len(x.shape),), prec=self.precisions
        )
        return self._add(layer, y)

    @_located
    def layer_norm(
        self, name: str, x: TensorInfo, axis: int = -1, op_type: str = "LayerNormalization"
    ) -> TensorInfo:
        """Normalise over the axes from ``axis`` on, with a constant scale over those axes."""
        axes = tuple(range(axis % len(x.shape), len(x.shape)))
        scale = self.constant(f"{name}.weight", [x.shape[a] for a in axes])
        y = self._out(name, x.shape)
        layer = ops.normalisation(
            name, _ref(x), y, axes=axes, scale=_ref(scale), scale_axes=axes, prec=self.precisions,
            op_type=op_type,
        )  # fmt: skip
        return self._add(layer, y)

    @_located
    def reduce(
        self,
        name: str,
        x: TensorInfo,
        axes: Sequence[int],
        *,
        keepdims: bool = True,
        op_type: str = "ReduceMean",
    ) -> TensorInfo:
        axes = tuple(a % len(x.shape) for a in axes)
        shape = [1 if a in axes else s for a, s in enumerate(x.shape) if keepdims or a not in axes]
        y = self._out(name, shape)
        layer = ops.reduce(
            name, _ref(x), y, axes=axes, keepdims=keepdims, prec=self.precisions, op_type=op_type
        )
        return self._add(layer, y)

    # -- shape ops ----------------------------------------------------------------------------
    @_located
    def shape_op(
        self,
        name: str,
        op_type: str,
        inputs: Sequence[TensorInfo],
        out_shape: Sequence[int] | Sequence[Sequence[int]],
        **attrs: object,
    ) -> TensorInfo:
        """A data-moving op (see :mod:`fuseflow.workload.shape_ops` for the ``attrs`` per op).

        ``out_shape`` may be a list of shapes for ops with several outputs (Split); the first
        output is returned, the others are named ``{name}_output{i}``.
        """
        shapes = out_shape if out_shape and not isinstance(out_shape[0], int) else [out_shape]
        names = [f"{name}_output"] + [f"{name}_output{i}" for i in range(1, len(shapes))]
        op = ShapeOp(name, op_type, tuple(t.name for t in inputs), tuple(names), dict(attrs))
        self._nodes.append(replace(op, source_index=len(self._nodes)))
        bits = inputs[0].precision_bits
        outs = [self._tensor(n, s, bits, name) for n, s in zip(names, shapes, strict=True)]  # type: ignore[arg-type]
        return outs[0]

    def tensor(self, name: str) -> TensorInfo:
        return self._tensors[name]

    def build(self, outputs: Sequence[str] | None = None, *, source: str | None = None) -> Workload:
        """The workload; outputs default to tensors no node reads."""
        read = {t for n in self._nodes for t in _inputs_of(n)}
        produced = [t for t, info in self._tensors.items() if info.producer is not None]
        outs = (
            tuple(outputs) if outputs is not None else tuple(t for t in produced if t not in read)
        )
        workload = Workload(
            self.name, tuple(self._nodes), dict(self._tensors), tuple(self._inputs), outs, source
        )
        check_workload(workload)
        return workload


def _ref(t: TensorInfo) -> Ref:
    return Ref(t.name, t.shape, t.constant)


def _inputs_of(node: Node) -> tuple[str, ...]:
    if isinstance(node, ShapeOp):
        return node.inputs
    return tuple(node.operands[r].tensor for r in node.input_roles())
