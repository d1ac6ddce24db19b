"""ONNX data-moving ops as ShapeOps with the attrs that ``shape_ops.source_elements`` reads."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fuseflow.workload.layer import Node, ShapeOp
from fuseflow.workload.onnx.graph import NodeView
from fuseflow.workload.shape_ops import FLAT_OPS


def _shape_op(n: NodeView, inputs: tuple[int, ...] = (0,), **attrs: object) -> list[Node]:
    names = tuple(n.inputs[i] for i in inputs)
    for t in names:
        n.shape(t)  # a located error now rather than a KeyError later
    outputs = tuple(n.node.output) if n.op_type == "Split" else (n.node.output[0],)
    return [ShapeOp(n.name, n.op_type, names, outputs, attrs, n.index)]


def convert_flat(n: NodeView) -> list[Node]:
    x, y = n.ref(0), n.out()
    if math.prod(x.shape) != math.prod(y.shape):
        raise n.error(f"input {x.shape} and output {y.shape} hold different element counts")
    return _shape_op(n)


def convert_transpose(n: NodeView) -> list[Node]:
    rank = len(n.ref(0).shape)
    perm = n.ints("perm", tuple(range(rank))[::-1])
    return _shape_op(n, perm=tuple(p % rank for p in perm))


def convert_concat(n: NodeView) -> list[Node]:
    rank = len(n.out().shape)
    inputs = tuple(i for i in range(len(n.inputs)) if n.has_input(i))
    return _shape_op(n, inputs, axis=n.integer("axis", 0) % rank)


def convert_split(n: NodeView) -> list[Node]:
    rank = len(n.ref(0).shape)
    axis = n.integer("axis", 0) % rank
    splits = tuple(n.shape(t)[axis] for t in n.node.output)
    return _shape_op(n, axis=axis, splits=splits)


def convert_slice(n: NodeView) -> list[Node]:
    shape = n.ref(0).shape
    rank = len(shape)
    if n.has_input(1):
        starts = n.const(1, "starts").reshape(-1).tolist()
        axes = n.const(3, "axes").reshape(-1).tolist() if n.has_input(3) else range(len(starts))
        steps = n.const(4, "steps").reshape(-1).tolist() if n.has_input(4) else [1] * len(starts)
    else:
        starts = list(n.ints("starts", ()))
        axes = list(n.ints("axes", range(len(starts))))
        steps = [1] * len(starts)
    full_starts, full_steps = [0] * rank, [1] * rank
    for start, axis, step in zip(starts, axes, steps, strict=True):
        a, dim = int(axis) % rank, shape[int(axis) % rank]
        start = int(start) + dim if int(start) < 0 else int(start)
        hi = dim if step > 0 else dim - 1
        full_starts[a], full_steps[a] = min(max(start, 0), hi), int(step)
    return _shape_op(n, starts=tuple(full_starts), steps=tuple(full_steps))


def convert_gather(n: NodeView) -> list[Node]:
    shape = n.ref(0).shape
    axis = n.integer("axis", 0) % len(shape)
    indices = np.asarray(n.const(1, "indices"), dtype=np.int64)
    indices = np.where(indices < 0, indices + shape[axis], indices)
    flat = tuple(int(i) for i in indices.reshape(-1))
    return _shape_op(n, axis=axis, indices=flat, indices_shape=tuple(indices.shape))


def convert_pad(n: NodeView) -> list[Node]:
    rank = len(n.ref(0).shape)
    if n.has_input(1):
        pads = [int(p) for p in n.const(1, "pads").reshape(-1)]
    else:
        pads = list(n.ints("pads", [0] * 2 * rank))
    if n.has_input(3):
        axes = [int(a) % rank for a in n.const(3, "axes").reshape(-1)]
        begin, end = [0] * rank, [0] * rank
        for j, a in enumerate(axes):
            begin[a], end[a] = pads[j], pads[j + len(axes)]
    else:
        begin, end = pads[:rank], pads[rank:]
    mode = str(n.attr("mode", "constant"))
    return _shape_op(n, pads_begin=tuple(begin), pads_end=tuple(end), mode=mode)


def convert_resize(n: NodeView) -> list[Node]:
    if str(n.attr("mode", "nearest")) != "nearest":
        raise n.unsupported(
            f"only nearest-neighbour {n.op_type} is modelled, not {n.attr('mode')!r}"
        )
    return _shape_op(n)


def convert_blocks(n: NodeView) -> list[Node]:
    return _shape_op(n, blocksize=n.integer("blocksize", 1), mode=str(n.attr("mode", "DCR")))


def convert_plain(n: NodeView) -> list[Node]:
    return _shape_op(n)


CONVERTERS: dict[str, Callable[[NodeView], list[Node]]] = {
    **{op: convert_flat for op in sorted(FLAT_OPS)},
    "Transpose": convert_transpose,
    "Concat": convert_concat,
    "Split": convert_split,
    "Slice": convert_slice,
    "Gather": convert_gather,
    "Pad": convert_pad,
    "Expand": convert_plain,
    "Tile": convert_plain,
    "Resize": convert_resize,
    "Upsample": convert_resize,
    "DepthToSpace": convert_blocks,
    "SpaceToDepth": convert_blocks,
}
