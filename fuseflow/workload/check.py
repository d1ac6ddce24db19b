"""Invariant checks of a Workload: tensors known, topological order, axes fit the shapes."""

from __future__ import annotations

from fuseflow.errors import InputError
from fuseflow.workload.layer import DIM_NAMES, Layer, Workload


def check_workload(workload: Workload) -> None:
    """Raise ``InputError`` naming the node when the workload breaks an IR invariant."""
    where = f"workload {workload.name}"
    produced = set(workload.inputs) | {t for t, i in workload.tensors.items() if i.constant}
    names: set[str] = set()
    for node in workload.nodes:
        at = f"{where}, node {node.name}"
        if node.name in names:
            raise InputError("two nodes have this name", where=at)
        names.add(node.name)
        for t in workload.node_inputs(node):
            if t not in workload.tensors:
                raise InputError(f"reads unknown tensor {t!r}", where=at)
            if t not in produced:
                raise InputError(f"reads {t!r} before it is produced", where=at)
        for t in workload.node_outputs(node):
            info = workload.tensors.get(t)
            if info is None or info.producer != node.name:
                raise InputError(f"output {t!r} is not registered as produced by it", where=at)
            produced.add(t)
        if isinstance(node, Layer):
            _check_layer(node, workload, at)


def _check_layer(layer: Layer, workload: Workload, at: str) -> None:
    sizes = layer.sizes
    for dim, size in layer.dims:
        if dim not in DIM_NAMES or size < 1:
            raise InputError(f"bad loop dim {dim}={size}", where=at)
    full = {d: (0, s) for d, s in sizes.items()}
    for role, operand in layer.operands.items():
        shape = workload.tensors[operand.tensor].shape
        if len(operand.axes) != len(shape):
            raise InputError(
                f"operand {role} has {len(operand.axes)} axes, tensor {operand.tensor!r} "
                f"has shape {shape}",
                where=at,
            )
        for axis, n in zip(operand.axes, shape, strict=True):
            unknown = set(axis.dims) - sizes.keys()
            if unknown:
                raise InputError(f"operand {role} uses undeclared dims {sorted(unknown)}", where=at)
            lo, hi = axis.span(full)
            # Windows may reach into padding, but a dim-free axis must be a size-1 broadcast
            # and an exact (offset-free) axis must cover the tensor axis exactly.
            exact = role == "O" and axis.offset == 0 and len(axis.terms) == 1
            if (not axis.terms and n != 1) or (exact and hi != n):
                raise InputError(
                    f"operand {role} axis {axis} spans [{lo}, {hi}) but the tensor axis has {n}",
                    where=at,
                )
