"""What a schedule run needs that depends only on (graph, accelerator, costs): built once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import Route, Topology, build_topology
from fuseflow.tiling.graph import CNGraph
from fuseflow.workload.layer import ROLES

ROLE_INDEX = {"I": 0, "W": 1, "O": 2}
STREAM_BIT = {"I": 1, "W": 2, "O": 4}  # bit flags of streamed operands per (shape, core)


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """A route as the scheduler uses it: resource indices, bandwidth, pJ per bit moved."""

    resources: tuple[int, ...]
    bw_bits: int
    pj_per_bit: float
    demand: tuple[tuple[int, float], ...] = ()  # (resource, bw_bits) per resource


@dataclass(frozen=True, eq=False)
class ScheduleContext:
    """Precomputed, read-only inputs of ``schedule_with``; never mutated by a run."""

    graph: CNGraph
    acc: Accelerator
    costs: CostTable
    topology: Topology
    # cost table as (n_shapes, n_cores) arrays
    latency_cycles: NDArray[np.int64]  # -1 where not costed
    energy_pj: NDArray[np.float64]
    mac_pj: NDArray[np.float64]
    dram_pj: NDArray[np.float64]
    dram_bw_bits: NDArray[np.float64]
    stream_mask: NDArray[np.int8]  # STREAM_BIT flags
    # memories: instance index per (core, role); -1 when the core has no memory for the role
    mem_of: NDArray[np.int32]  # (n_cores, 3) with role order I, W, O
    mem_names: tuple[str, ...]
    mem_cores: tuple[tuple[int, ...], ...]
    mem_capacity_bits: tuple[int, ...]
    mem_local_bw_bits: tuple[int, ...]  # bandwidth of a copy between memories of one core
    # interconnect
    res_capacity_bits: tuple[int, ...]
    res_pj_per_bit: tuple[float, ...]
    c2c: dict[tuple[int, int], RouteInfo]
    dram_read: tuple[RouteInfo, ...]
    dram_write: tuple[RouteInfo, ...]
    dram_read_pj_per_bit: float
    dram_write_pj_per_bit: float
    # graph, as Python lists for the event loop
    allowed: NDArray[np.bool_]  # (n_groups, n_cores)
    n_data_out: list[int]  # data-carrying out-edges per CN
    data_edge: NDArray[np.bool_]  # per edge: carries data (role >= 0 and bits > 0)


def build_context(
    graph: CNGraph, acc: Accelerator, costs: CostTable, topology: Topology | None = None
) -> ScheduleContext:
    """Precompute everything a schedule run reads that does not depend on the allocation."""
    topo = topology if topology is not None else build_topology(acc)
    n_cores = len(acc.cores)
    shape = (costs.n_shapes, n_cores)
    lat = np.full(shape, -1, dtype=np.int64)
    energy, mac, dram, bw = (np.zeros(shape) for _ in range(4))
    mask = np.zeros(shape, dtype=np.int8)
    for (s, c), r in costs.results.items():
        lat[s, c] = r.latency_cycles
        energy[s, c], mac[s, c], dram[s, c] = r.energy_pj, r.mac_energy_pj, r.dram_energy_pj
        bw[s, c] = r.dram_bw_bits
        mask[s, c] = sum(STREAM_BIT[op] for op in set(r.streamed_operands))
    mem_of, names, cores, cap, local_bw = _memories(acc)
    res = topo.resources
    allowed = np.zeros((graph.n_groups, n_cores), dtype=np.bool_)
    for g, cs in enumerate(graph.group_cores):
        allowed[g, [c for c in cs if 0 <= c < n_cores]] = True
    data_edge = (graph.edge_role >= 0) & (graph.edge_bits > 0)
    n_data_out = np.bincount(graph.edge_src[data_edge], minlength=graph.n).tolist()
    return ScheduleContext(
        graph=graph,
        acc=acc,
        costs=costs,
        topology=topo,
        latency_cycles=lat,
        energy_pj=energy,
        mac_pj=mac,
        dram_pj=dram,
        dram_bw_bits=bw,
        stream_mask=mask,
        mem_of=mem_of,
        mem_names=names,
        mem_cores=cores,
        mem_capacity_bits=cap,
        mem_local_bw_bits=local_bw,
        res_capacity_bits=tuple(r.bandwidth_bits for r in res),
        res_pj_per_bit=tuple(r.energy_pj_per_bit for r in res),
        c2c={k: _info(topo, r) for k, r in topo.routes.items()},
        dram_read=tuple(_info(topo, r) for r in topo.dram_reads),
        dram_write=tuple(_info(topo, r) for r in topo.dram_writes),
        dram_read_pj_per_bit=acc.dram.read_pj_per_bit,
        dram_write_pj_per_bit=acc.dram.write_pj_per_bit,
        allowed=allowed,
        n_data_out=n_data_out,
        data_edge=data_edge,
    )


def _info(topo: Topology, route: Route) -> RouteInfo:
    if not route.resources:
        return RouteInfo((), 0, 0.0)
    pj = sum(topo.resources[r].energy_pj_per_bit for r in route.resources)
    resources = tuple(dict.fromkeys(route.resources))
    bw = topo.bandwidth(route)
    return RouteInfo(resources, bw, pj, tuple((r, bw) for r in resources))


_Ints = tuple[int, ...]
_Memories = tuple[NDArray[np.int32], tuple[str, ...], tuple[_Ints, ...], _Ints, _Ints]


def _memories(acc: Accelerator) -> _Memories:
    """Top-level memory instances (shared L1s appear once) and their index per (core, role)."""
    mem_of = np.full((len(acc.cores), 3), -1, dtype=np.int32)
    index: dict[str, int] = {}
    cores: list[list[int]] = []
    cap: list[int] = []
    local_bw: list[int] = []
    for c, core in enumerate(acc.cores):
        for role in ROLES:
            if not core.hierarchy(role):
                continue
            name = acc.memory_instance(core.name, role)
            if name not in index:
                level = core.top_memory(role)
                index[name] = len(cap)
                cores.append([])
                cap.append(level.size_bits * core.instances(level))
                local_bw.append(max(1, min(level.read_bw_bits, level.write_bw_bits)))
            m = index[name]
            mem_of[c, ROLE_INDEX[role]] = m
            if c not in cores[m]:
                cores[m].append(c)
    return mem_of, tuple(index), tuple(tuple(c) for c in cores), tuple(cap), tuple(local_bw)


def ceil_div(a: float, b: float) -> int:
    return math.ceil(a / b - 1e-12) if b > 0 else 0
