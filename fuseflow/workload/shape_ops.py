"""Element-exact source mapping of shape ops: which input element each output element copies."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from fuseflow.workload.layer import ShapeOp, Workload

# Ops whose output, read in C order, is the input read in C order.
FLAT_OPS: frozenset[str] = frozenset(
    {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Cast"}
)

Sources = tuple[NDArray[np.int8], NDArray[np.int64]]


def source_elements(op: ShapeOp, workload: Workload, output: int = 0) -> Sources:
    """For each element of ``op.outputs[output]``: the input it comes from and its flat index there.

    Returns two arrays in the shape of that output tensor: ``which`` (an index into
    ``op.inputs``, ``-1`` where the element comes from no input, e.g. Pad's constant border)
    and ``index`` (the C-order flat element index into that input; ``-1`` where ``which`` is
    ``-1``). Ops with ``attrs["whole_tensor"]`` (a passthrough node whose sizes disagree) have
    no element mapping: every output element depends on every input element; this function
    raises ``ValueError`` for them (check :func:`depends_on_whole_input` first).

    >>> from fuseflow.workload.builder import WorkloadBuilder
    >>> b = WorkloadBuilder("t")
    >>> x = b.input("x", (2, 3))
    >>> y = b.shape_op("t", "Transpose", [x], (3, 2), perm=(1, 0))
    >>> w = b.build()
    >>> which, index = source_elements(w.shape_ops[0], w)
    >>> index.tolist()
    [[0, 3], [1, 4], [2, 5]]
    """
    if depends_on_whole_input(op):
        raise ValueError(f"{op.name}: every output element depends on the whole input")
    in_shapes = [workload.tensors[t].shape for t in op.inputs]
    out_shape = workload.tensors[op.outputs[output]].shape
    rule = _flat if op.attrs.get("passthrough") else _RULES.get(op.op_type, _flat)
    which, index = rule(op, in_shapes, out_shape, output)
    if which.shape != tuple(out_shape) or index.shape != tuple(out_shape):
        raise ValueError(
            f"{op.name} ({op.op_type}): source map has shape {index.shape}, "
            f"output {op.outputs[output]} has shape {tuple(out_shape)}"
        )
    return which.astype(np.int8, copy=False), index.astype(np.int64, copy=False)


def depends_on_whole_input(op: ShapeOp) -> bool:
    """True when every output element of ``op`` depends on every element of every input."""
    return bool(op.attrs.get("whole_tensor", False))


def _int(op: ShapeOp, key: str) -> int:
    value = op.attrs[key]
    if not isinstance(value, int | np.integer):
        raise ValueError(f"{op.name}: attribute {key} must be an integer, got {value!r}")
    return int(value)


def _ints(op: ShapeOp, key: str) -> list[int]:
    value = op.attrs[key]
    if not isinstance(value, tuple | list | np.ndarray):
        raise ValueError(f"{op.name}: attribute {key} must be a sequence, got {value!r}")
    return [int(v) for v in value]


def _iota(shape: Sequence[int]) -> NDArray[np.int64]:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(tuple(shape))


def _from_input(index: NDArray[np.int64], which: int = 0) -> Sources:
    return np.full(index.shape, which, dtype=np.int8), index


def _flat(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    if math.prod(ins[0]) != math.prod(out):
        raise ValueError(f"{op.name} ({op.op_type}): input {ins[0]} and output {out} sizes differ")
    return _from_input(_iota(ins[0]).reshape(out))


def _transpose(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    perm = _ints(op, "perm") if "perm" in op.attrs else list(range(len(ins[0])))[::-1]
    return _from_input(_iota(ins[0]).transpose(perm))


def _concat(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    axis = _int(op, "axis")
    index = np.concatenate([_iota(s) for s in ins], axis=axis)
    which = np.concatenate([np.full(s, i, dtype=np.int8) for i, s in enumerate(ins)], axis=axis)
    return which, index


def _split(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], output: int) -> Sources:
    axis = _int(op, "axis")
    splits = _ints(op, "splits")
    start = sum(splits[:output])
    index = np.take(_iota(ins[0]), np.arange(start, start + splits[output]), axis=axis)
    return _from_input(index)


def _slice(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    starts = _ints(op, "starts")
    steps = _ints(op, "steps")
    picks = [start + step * np.arange(n) for start, step, n in zip(starts, steps, out, strict=True)]
    return _from_input(_iota(ins[0])[np.ix_(*picks)])


def _gather(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    axis = _int(op, "axis")
    shape = tuple(_ints(op, "indices_shape"))
    indices = np.asarray(op.attrs["indices"], dtype=np.int64).reshape(shape)
    return _from_input(np.take(_iota(ins[0]), indices, axis=axis))


def _pad(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    begin = _ints(op, "pads_begin")
    end = _ints(op, "pads_end")
    mode = str(op.attrs.get("mode", "constant"))
    index = _iota(ins[0])
    # Negative pads crop; apply them first so that the positive part pads the cropped tensor.
    crop = tuple(
        slice(max(-b, 0), n - max(-e, 0)) for b, e, n in zip(begin, end, index.shape, strict=True)
    )
    index = index[crop]
    widths = [(max(b, 0), max(e, 0)) for b, e in zip(begin, end, strict=True)]
    if mode == "constant":
        index = np.pad(index, widths, mode="constant", constant_values=-1)
    else:
        np_mode: Literal["reflect", "edge", "wrap"] = (
            "reflect" if mode == "reflect" else "edge" if mode == "edge" else "wrap"
        )
        index = np.pad(index, widths, mode=np_mode)
    return np.where(index >= 0, 0, -1).astype(np.int8), index


def _expand(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    return _from_input(np.broadcast_to(_iota(ins[0]), out).copy())


def _tile(op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int) -> Sources:
    reps = [o // i for i, o in zip(ins[0], out, strict=True)]
    return _from_input(np.tile(_iota(ins[0]), reps))


def _depth_to_space(
    op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int
) -> Sources:
    b, c, h, w = ins[0]
    s = _int(op, "blocksize")
    x = _iota(ins[0])
    if op.attrs.get("mode", "DCR") == "DCR":
        x = x.reshape(b, s, s, c // (s * s), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        x = x.reshape(b, c // (s * s), s, s, h, w).transpose(0, 1, 4, 2, 5, 3)
    return _from_input(x.reshape(out))


def _space_to_depth(
    op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int
) -> Sources:
    b, c, h, w = ins[0]
    s = _int(op, "blocksize")
    x = _iota(ins[0]).reshape(b, c, h // s, s, w // s, s).transpose(0, 3, 5, 1, 2, 4)
    return _from_input(x.reshape(out))


def _resize_nearest(
    op: ShapeOp, ins: list[tuple[int, ...]], out: tuple[int, ...], _o: int
) -> Sources:
    # Output element i of an axis reads input floor(i * n_in / n_out) (asymmetric, floor).
    picks = [(np.arange(o) * i) // o for i, o in zip(ins[0], out, strict=True)]
    return _from_input(_iota(ins[0])[np.ix_(*picks)])


_Rule = Callable[[ShapeOp, list[tuple[int, ...]], tuple[int, ...], int], Sources]
_RULES: dict[str, _Rule] = {
    "Transpose": _transpose,
    "Concat": _concat,
    "Split": _split,
    "Slice": _slice,
    "Gather": _gather,
    "Pad": _pad,
    "Expand": _expand,
    "Tile": _tile,
    "DepthToSpace": _depth_to_space,
    "SpaceToDepth": _space_to_depth,
    "Resize": _resize_nearest,
    "Upsample": _resize_nearest,
}
