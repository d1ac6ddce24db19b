"""Per-layer summary of a workload as plain data (for JSON) and as a rich table."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from fuseflow.workload.layer import Layer, ShapeOp, Workload


def _plain(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def layer_record(workload: Workload, layer: Layer) -> dict[str, Any]:
    operands = {
        role: {
            "tensor": op.tensor,
            "shape": list(workload.tensors[op.tensor].shape),
            "precision_bits": op.precision_bits,
            "size_bits": workload.tensors[op.tensor].size_bits
            // workload.tensors[op.tensor].precision_bits
            * op.precision_bits,
            "constant": op.constant,
        }
        for role, op in layer.operands.items()
    }
    return {
        "name": layer.name,
        "op_type": layer.op_type,
        "kind": layer.kind,
        "dims": dict(layer.dims),
        "macs": layer.macs,
        "operands": operands,
        "producers": [p.name for p in workload.producers(layer)],
        "attrs": _plain(dict(layer.attrs)),
    }


def shape_op_record(workload: Workload, op: ShapeOp) -> dict[str, Any]:
    return {
        "name": op.name,
        "op_type": op.op_type,
        "inputs": list(op.inputs),
        "outputs": {t: list(workload.tensors[t].shape) for t in op.outputs},
        "producers": [p.name for p in workload.producers(op)],
        "attrs": _plain(dict(op.attrs)),
    }


def summary_dict(workload: Workload) -> dict[str, Any]:
    """``{"layers": [...], "shape_ops": [...], "total_macs": ..., ...}`` in graph order."""
    weights = {
        op.tensor: workload.tensors[op.tensor].size_bits
        for layer in workload.layers
        for op in layer.operands.values()
        if op.constant
    }
    return {
        "name": workload.name,
        "source": workload.source,
        "layers": [layer_record(workload, n) for n in workload.layers],
        "shape_ops": [shape_op_record(workload, n) for n in workload.shape_ops],
        "inputs": {t: list(workload.tensors[t].shape) for t in workload.inputs},
        "outputs": {t: list(workload.tensors[t].shape) for t in workload.outputs},
        "total_macs": workload.total_macs,
        "total_weight_bits": sum(weights.values()),
        "warnings": list(workload.warnings),
    }


def human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(int(n))


def print_summary(workload: Workload, console: Console) -> None:
    table = Table(title=f"{workload.name} ({workload.source})", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("name", no_wrap=True)
    table.add_column("op_type", no_wrap=True)
    table.add_column("loop dims")
    for col in ("MACs", "I bits", "W bits", "O bits"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("producers")
    for i, node in enumerate(workload.nodes):
        producers = ", ".join(p.name for p in workload.producers(node))
        if isinstance(node, Layer):
            dims = " ".join(f"{d}{s}" for d, s in node.dims)
            bits = [
                human(math.prod(workload.tensors[op.tensor].shape) * op.precision_bits)
                if (op := node.operands.get(r)) is not None
                else "-"
                for r in ("I", "W", "O")
            ]
            table.add_row(str(i), node.name, node.op_type, dims, human(node.macs), *bits, producers)
        else:
            shape = "x".join(map(str, workload.tensors[node.outputs[0]].shape))
            table.add_row(str(i), node.name, f"[dim]{node.op_type}[/dim]", f"[dim]-> {shape}[/dim]",
                          "-", "-", "-", "-", producers)  # fmt: skip
    console.print(table)
    info = summary_dict(workload)
    console.print(
        f"{len(workload.layers)} layers, {len(workload.shape_ops)} shape ops, "
        f"total {human(info['total_macs'])} MACs ({info['total_macs']}), "
        f"weights {human(info['total_weight_bits'] / 8)}B"
    )
