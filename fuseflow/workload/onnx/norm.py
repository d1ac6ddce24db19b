"""ONNX ops that reduce along axes: Softmax, normalisations, LRN and the Reduce* family."""

from __future__ import annotations

from fuseflow.workload import ops
from fuseflow.workload.layer import Node
from fuseflow.workload.onnx.graph import NodeView
from fuseflow.workload.ops import ShapeMismatch

REDUCE_OPS = [
    "ReduceMean",
    "ReduceSum",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceSumSquare",
]
# Reduce ops whose axes moved from an attribute to an input, and the opset where that happened.
AXES_INPUT_SINCE = {"ReduceSum": 13}


def convert_softmax(n: NodeView) -> list[Node]:
    """Softmax-like: one output element needs its whole row; opset < 13 flattens from ``axis``."""
    rank = len(n.ref(0).shape)
    old = n.model.opset < 13
    axis = n.integer("axis", 1 if old else -1) % max(rank, 1)
    axes = tuple(range(axis, rank)) if old else (axis,)
    return [_normalisation(n, axes, scale=False)]


def convert_layernorm(n: NodeView) -> list[Node]:
    """LayerNormalization / RMSNormalization over the axes from ``axis`` on, scale over those."""
    rank = len(n.ref(0).shape)
    axis = n.integer("axis", -1) % rank
    return [_normalisation(n, tuple(range(axis, rank)), scale=True)]


def convert_instancenorm(n: NodeView) -> list[Node]:
    """InstanceNormalization: statistics over the spatial axes, scale per channel."""
    rank = len(n.ref(0).shape)
    return [_normalisation(n, tuple(range(2, rank)), scale=True, scale_axes=(1,))]


def _normalisation(
    n: NodeView, axes: tuple[int, ...], *, scale: bool, scale_axes: tuple[int, ...] | None = None
) -> Node:
    x, y = n.ref(0), n.out()
    w = n.ref(1) if scale and n.has_input(1) else None
    if w is not None and scale_axes is None:
        scale_axes = tuple(range(len(x.shape) - len(w.shape), len(x.shape)))
    try:
        return ops.normalisation(
            n.name, x, y, axes=axes, scale=w, scale_axes=scale_axes or (), prec=n.precisions,
            op_type=n.op_type,
        )  # fmt: skip
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None


def convert_lrn(n: NodeView) -> list[Node]:
    size = n.integer("size", 0)
    if size < 1:
        raise n.error("LRN needs a positive 'size' attribute")
    try:
        return [ops.channel_window(n.name, n.ref(0), n.out(), size=size, prec=n.precisions)]
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None


def convert_reduce(n: NodeView) -> list[Node]:
    x, y = n.ref(0), n.out()
    rank = len(x.shape)
    if n.op_type in ("ArgMax", "ArgMin"):
        axes: tuple[int, ...] = (n.integer("axis", 0),)
    elif n.has_input(1):
        axes = tuple(int(a) for a in n.const(1, "axes").reshape(-1))
    else:
        axes = n.ints("axes", ())
    if not axes:
        axes = () if n.integer("noop_with_empty_axes", 0) else tuple(range(rank))
    axes = tuple(sorted({a % rank for a in axes}))
    try:
        layer = ops.reduce(
            n.name, x, y, axes=axes, keepdims=bool(n.integer("keepdims", 1)), prec=n.precisions,
            op_type=n.op_type,
        )  # fmt: skip
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None
    return [layer]


CONVERTERS = {
    "Softmax": convert_softmax,
    "LogSoftmax": convert_softmax,
    "Hardmax": convert_softmax,
    "LayerNormalization": convert_layernorm,
    "RMSNormalization": convert_layernorm,
    "InstanceNormalization": convert_instancenorm,
    "LRN": convert_lrn,
    "ArgMax": convert_reduce,
    "ArgMin": convert_reduce,
    **{op: convert_reduce for op in REDUCE_OPS},
}
