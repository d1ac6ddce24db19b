"""Per-resource utilisation and the transfer table of a Result, computed on arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.hardware.topology import Topology
from fuseflow.report.schema import ResourceSummary, TransferTable
from fuseflow.schedule.types import Schedule, TensorKind, TransferKind
from fuseflow.tiling.graph import CNGraph

KIND_NAMES = tuple(k.name.lower() for k in TransferKind)
TENSOR_KIND_NAMES = tuple(k.name.lower() for k in TensorKind)


def resource_summaries(sched: Schedule, topo: Topology, latency: int) -> list[ResourceSummary]:
    """Transfers, bits, busy time and bandwidth utilisation of every topology resource."""
    counts = np.diff(sched.tr_res_ptr)
    owner = np.repeat(np.arange(sched.n_transfers), counts)
    res = sched.tr_res.astype(np.int64)
    start, end = sched.tr_start[owner], sched.tr_end[owner]
    out: list[ResourceSummary] = []
    span = max(latency, 1)
    for r, resource in enumerate(topo.resources):
        sel = res == r
        dur = (end[sel] - start[sel]).astype(np.float64)
        used = float((sched.tr_bw_bits[owner[sel]] * dur).sum())
        out.append(
            ResourceSummary(
                name=resource.name,
                kind=resource.kind,
                bandwidth_bits=resource.bandwidth_bits,
                n_transfers=int(sel.sum()),
                bits=int(sched.tr_bits[owner[sel]].sum()),
                busy_cycles=union_length(start[sel], end[sel]),
                utilization=used / (max(resource.bandwidth_bits, 1) * span),
            )
        )
    return out


def union_length(start: NDArray[np.int64], end: NDArray[np.int64]) -> int:
    """Total length covered by the union of half-open intervals ``[start, end)``."""
    if start.size == 0:
        return 0
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    reach = np.maximum.accumulate(e)
    # a new covered segment begins where an interval starts after everything before it ended
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    seg_id = np.cumsum(new) - 1
    seg_start = s[new]
    seg_end = np.zeros(seg_start.size, dtype=np.int64)
    np.maximum.at(seg_end, seg_id, e)
    return int((seg_end - seg_start).sum())


def transfer_table(graph: CNGraph, sched: Schedule) -> TransferTable:
    """The columnar transfer table with the layer and a readable label of each moved tensor."""
    layer = tensor_layers(graph, sched.tr_tensor_kind, sched.tr_tensor)
    return TransferTable(
        kind=[KIND_NAMES[k] for k in sched.tr_kind.tolist()],
        tensor_kind=[TENSOR_KIND_NAMES[k] for k in sched.tr_tensor_kind.tolist()],
        tensor=sched.tr_tensor.tolist(),
        tensor_label=_labels(graph, sched.tr_tensor_kind, sched.tr_tensor, layer),
        layer=layer.tolist(),
        src=sched.tr_src.tolist(),
        dst=sched.tr_dst.tolist(),
        start_cycles=sched.tr_start.tolist(),
        end_cycles=sched.tr_end.tolist(),
        bits=sched.tr_bits.tolist(),
        bw_bits=sched.tr_bw_bits.tolist(),
        res_ptr=sched.tr_res_ptr.tolist(),
        res=sched.tr_res.tolist(),
    )


def tensor_layers(
    graph: CNGraph, tensor_kind: NDArray[np.int8], tensor: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Layer id of each tensor: its producer (CN outputs) or its first consumer (weights)."""
    weight_layer = np.full(graph.weight_bits.shape[0], -1, dtype=np.int64)
    has_w = np.flatnonzero(graph.weight >= 0)
    wids, first = np.unique(graph.weight[has_w], return_index=True)
    weight_layer[wids] = graph.layer[has_w[first]]
    is_w = tensor_kind == TensorKind.WEIGHT
    out = np.empty(tensor.shape[0], dtype=np.int64)
    out[is_w] = weight_layer[tensor[is_w]]
    out[~is_w] = graph.layer[tensor[~is_w]]
    return out


def _labels(
    graph: CNGraph,
    tensor_kind: NDArray[np.int8],
    tensor: NDArray[np.int64],
    layer: NDArray[np.int64],
) -> list[str]:
    """``layer[tile]`` for CN outputs, ``W<id> layer`` for weights, ``in layer[tile]`` inputs."""
    names, tile = graph.layers, graph.tile
    out: list[str] = []
    for k, t, lid in zip(tensor_kind.tolist(), tensor.tolist(), layer.tolist(), strict=True):
        if k == TensorKind.WEIGHT:
            out.append(f"W{t} {names[lid] if lid >= 0 else '?'}")
        else:
            out.append(f"{'in ' if k == TensorKind.DRAM_INPUT else ''}{names[lid]}[{tile[t]}]")
    return out
