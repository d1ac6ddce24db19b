"""Where a schedule's latency goes: critical path, per core, per DRAM port or link, per layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import Topology, build_topology
from fuseflow.schedule.types import Schedule, TransferKind
from fuseflow.tiling.graph import CNGraph
from fuseflow.validation.critical import CriticalPath, critical_path


@dataclass(frozen=True)
class CoreTime:
    """One core's timeline. ``busy = ideal + stall + onoff (+ stretch)``;
    ``before + busy + waiting + after = latency``."""

    core: str
    cns: int
    busy_cycles: int  # sum of CN durations
    ideal_cycles: int  # cost model: MAC cycles at the chosen mapping
    stall_cycles: int  # cost model: memory-port stalls inside CNs
    onoff_cycles: int  # cost model: on-loading + off-loading inside CNs
    stretch_cycles: int  # CNs stretched by streaming DRAM bandwidth
    before_cycles: int  # idle before its first CN
    waiting_cycles: int  # idle between its first and last CN (inputs, links, memory)
    after_cycles: int  # idle after its last CN until the end of the schedule


@dataclass(frozen=True)
class ResourceTime:
    """Busy cycles (at full bandwidth) of one DRAM port, link or bus, by transfer kind."""

    name: str
    bandwidth_bits: int
    busy_cycles: dict[str, int]
    bits: dict[str, int]


@dataclass(frozen=True)
class LayerCost:
    """The cost model's figures for one layer's CNs (all its CNs share one tile shape here)."""

    layer: str
    core: str
    cns: int
    latency_cycles: int
    ideal_cycles: int
    stall_cycles: int
    onload_cycles: int
    offload_cycles: int
    shapes: int  # distinct tile shapes (figures above are of the most frequent one)


@dataclass(frozen=True)
class Breakdown:
    latency_cycles: int
    last_cn_end_cycles: int
    cores: tuple[CoreTime, ...]
    resources: tuple[ResourceTime, ...]
    layers: tuple[LayerCost, ...]
    critical: CriticalPath


def breakdown(
    graph: CNGraph,
    acc: Accelerator,
    costs: CostTable,
    sched: Schedule,
    topology: Topology | None = None,
) -> Breakdown:
    """Per core, per interconnect resource and per layer accounting of ``sched``."""
    topo = topology if topology is not None else build_topology(acc)
    return Breakdown(
        latency_cycles=sched.latency_cycles,
        last_cn_end_cycles=int(sched.cn_end.max(initial=0)),
        cores=tuple(_cores(graph, acc, costs, sched)),
        resources=tuple(_resources(topo, sched)),
        layers=tuple(_layers(graph, acc, costs, sched)),
        critical=critical_path(graph, costs, sched),
    )


def _cores(graph: CNGraph, acc: Accelerator, costs: CostTable, s: Schedule) -> list[CoreTime]:
    out = []
    dur = s.cn_end - s.cn_start
    for c, core in enumerate(acc.cores):
        sel = np.flatnonzero(s.cn_core == c)
        if sel.size == 0:
            continue
        parts = np.zeros(4, dtype=np.int64)  # latency, ideal, stall, on+off
        shapes, counts = np.unique(graph.shape[sel], return_counts=True)
        for shape, n in zip(shapes.tolist(), counts.tolist(), strict=True):
            r = costs.get(shape, c)
            parts += n * np.array(
                [r.latency_cycles, r.ideal_cycles, r.stall_cycles,
                 r.onload_cycles + r.offload_cycles],
            )  # fmt: skip
        busy = int(dur[sel].sum())
        first, last = int(s.cn_start[sel].min()), int(s.cn_end[sel].max())
        out.append(
            CoreTime(
                core=core.name,
                cns=int(sel.size),
                busy_cycles=busy,
                ideal_cycles=int(parts[1]),
                stall_cycles=int(parts[2]),
                onoff_cycles=int(parts[3]),
                stretch_cycles=busy - int(parts[0]),
                before_cycles=first,
                waiting_cycles=last - first - busy,
                after_cycles=s.latency_cycles - last,
            )
        )
    return out


def _resources(topo: Topology, s: Schedule) -> list[ResourceTime]:
    busy: dict[int, dict[str, float]] = {}
    bits: dict[int, dict[str, int]] = {}
    for i in range(s.n_transfers):
        kind = TransferKind(int(s.tr_kind[i])).name.lower()
        span = int(s.tr_end[i] - s.tr_start[i])
        for r in s.tr_res[s.tr_res_ptr[i] : s.tr_res_ptr[i + 1]].tolist():
            share = float(s.tr_bw_bits[i]) / topo.resources[r].bandwidth_bits
            b = busy.setdefault(r, {})
            b[kind] = b.get(kind, 0.0) + span * share
            n = bits.setdefault(r, {})
            n[kind] = n.get(kind, 0) + int(s.tr_bits[i])
    return [
        ResourceTime(
            name=topo.resources[r].name,
            bandwidth_bits=topo.resources[r].bandwidth_bits,
            busy_cycles={k: round(v) for k, v in sorted(busy[r].items())},
            bits=dict(sorted(bits[r].items())),
        )
        for r in sorted(busy)
    ]


def _layers(graph: CNGraph, acc: Accelerator, costs: CostTable, s: Schedule) -> list[LayerCost]:
    out = []
    for lid, name in enumerate(graph.layers):
        sel = graph.cns_of_layer(lid)
        if sel.size == 0:
            continue
        core = int(s.cn_core[sel[0]])
        shapes, counts = np.unique(graph.shape[sel], return_counts=True)
        r = costs.get(int(shapes[np.argmax(counts)]), core)
        out.append(
            LayerCost(
                layer=name,
                core=acc.cores[core].name,
                cns=int(sel.size),
                latency_cycles=r.latency_cycles,
                ideal_cycles=r.ideal_cycles,
                stall_cycles=r.stall_cycles,
                onload_cycles=r.onload_cycles,
                offload_cycles=r.offload_cycles,
                shapes=int(shapes.size),
            )
        )
    return out
