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
    """The columnar transfer table with a readable label per moved tensor."""
    return TransferTable(
        kind=[KIND_NAMES[k] for k in sched.tr_kind.tolist()],
        tensor_kind=[TENSOR_KIND_NAMES[k] for k in sched.tr_tensor_kind.tolist()],
        tensor=sched.tr_tensor.tolist(),
        tensor_label=tensor_labels(graph, sched.tr_tensor_kind, sched.tr_tensor),
        src=sched.tr_src.tolist(),
        dst=sched.tr_dst.tolist(),
        start_cycles=sched.tr_start.tolist(),
        end_cycles=sched.tr_end.tolist(),
        bits=sched.tr_bits.tolist(),
        bw_bits=sched.tr_bw_bits.tolist(),
        res_ptr=sched.tr_res_ptr.tolist(),
        res=sched.tr_res.tolist(),
    )


def tensor_labels(
    graph: CNGraph, tensor_kind: NDArray[np.int8], tensor: NDArray[np.int64]
) -> list[str]:
    """``layer[tile]`` for CN outputs, ``W<id> layer`` for weights, ``in layer[tile]`` inputs."""
    weight_layer: dict[int, str] = {}
    has_w = np.flatnonzero(graph.weight >= 0)
    wids, first = np.unique(graph.weight[has_w], return_index=True)
    for wid, cn in zip(wids.tolist(), has_w[first].tolist(), strict=True):
        weight_layer[wid] = graph.layers[int(graph.layer[cn])]
    names, layer, tile = graph.layers, graph.layer, graph.tile
    out: list[str] = []
    for k, t in zip(tensor_kind.tolist(), tensor.tolist(), strict=True):
        if k == TensorKind.WEIGHT:
            out.append(f"W{t} {weight_layer.get(t, '?')}")
        else:
            prefix = "in " if k == TensorKind.DRAM_INPUT else ""
            out.append(f"{prefix}{names[layer[t]]}[{tile[t]}]")
    return out
