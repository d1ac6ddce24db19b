"""What a schedule run needs that depends only on (graph, accelerator, costs): built once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from heapq import heapify, heappop, heappush

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
class GraphLists:
    """The CN graph as Python lists for the event loop (converted once, not per run)."""

    in_ptr: list[int]
    in_src: list[int]  # per in-edge slot: the producer
    out_ptr: list[int]
    edge_dst: list[int]
    edge_bits: list[int]
    output_bits: list[int]
    graph_output: list[bool]
    weight: list[int]
    weight_bits: list[int]
    dram_input_bits: list[int]
    # depth-first placement order (lowest priority among ready CNs first): it depends on the
    # graph only; None if the graph has a cycle
    depth_first: list[int] | None


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
    lists: GraphLists


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
        lists=_lists(graph),
    )


def _lists(g: CNGraph) -> GraphLists:
    return GraphLists(
        in_ptr=g.in_ptr.tolist(),
        in_src=g.edge_src[g.in_edges].tolist(),
        out_ptr=g.out_ptr.tolist(),
        edge_dst=g.edge_dst.tolist(),
        edge_bits=g.edge_bits.tolist(),
        output_bits=g.output_bits.tolist(),
        graph_output=g.graph_output.tolist(),
        weight=g.weight.tolist(),
        weight_bits=g.weight_bits.tolist(),
        dram_input_bits=g.dram_input_bits.tolist(),
        depth_first=_depth_first(g),
    )


def _depth_first(g: CNGraph) -> list[int] | None:
    """CNs in the order a list scheduler picks the ready CN of lowest priority; None if cyclic."""
    prio = g.priority.tolist()
    out_ptr, edge_dst = g.out_ptr.tolist(), g.edge_dst.tolist()
    indeg = np.bincount(g.edge_dst, minlength=g.n).tolist()
    heap = [(prio[i], i) for i in range(g.n) if indeg[i] == 0]
    heapify(heap)
    order: list[int] = []
    while heap:
        cn = heappop(heap)[1]
        order.append(cn)
        for k in range(out_ptr[cn], out_ptr[cn + 1]):
            d = edge_dst[k]
            indeg[d] -= 1
            if indeg[d] == 0:
                heappush(heap, (prio[d], d))
    return order if len(order) == g.n else None


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
