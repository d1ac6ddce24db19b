"""Hand-made CN graphs, cost tables and accelerators for scheduler tests (contract types only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fuseflow.cost.result import CostResult
from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator, Bus, Core, Dram, Link, MemoryLevel, SharedMemory
from fuseflow.schedule.scheduler import ScheduleOptions, schedule
from fuseflow.schedule.types import Schedule
from fuseflow.schedule.validator import validate_schedule
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph, csr_from_edges
from fuseflow.workload.layer import Layer, Role, Workload

BIG = 10**12


def core(name: str, mem_bits: int = BIG, mem: str = "sram", split_w: int = 0) -> Core:
    """A 1-MAC core with one top memory for I, W, O (or a separate W memory of split_w bits)."""
    ops: frozenset[Role] = frozenset(("I", "O") if split_w else ("I", "W", "O"))
    levels = [MemoryLevel(mem, mem_bits, 64, 64, 1.0, 1.0, ops, served_dims=("D1",))]
    if split_w:
        w_only: frozenset[Role] = frozenset(("W",))
        levels.append(MemoryLevel("wmem", split_w, 64, 64, 1.0, 1.0, w_only, served_dims=("D1",)))
    return Core(name, (("D1", 1),), (), tuple(levels), mac_energy_pj=1.0)


def accelerator(
    cores: Sequence[Core],
    *,
    links: Sequence[tuple[str, str, int]] = (),
    link_pj: float = 0.0,
    buses: Sequence[tuple[Sequence[str], int]] = (),
    shared: Sequence[tuple[str, Sequence[str]]] = (),
    dram_bw: int = 16,
    ports: str = "shared",
    read_pj_per_bit: float = 1.0,
    write_pj_per_bit: float = 2.0,
) -> Accelerator:
    dram = Dram(
        "dram",
        BIG,
        dram_bw,
        dram_bw,
        read_pj_per_bit * dram_bw,
        write_pj_per_bit * dram_bw,
        ports=ports,  # type: ignore[arg-type]
    )
    return Accelerator(
        "test",
        tuple(cores),
        dram,
        links=tuple(Link(f"{a}->{b}", a, b, bw, link_pj) for a, b, bw in links),
        buses=tuple(Bus(f"bus{i}", tuple(cs), bw, link_pj) for i, (cs, bw) in enumerate(buses)),
        shared_memories=tuple(SharedMemory(m, tuple(cs)) for m, cs in shared),
    )


@dataclass(frozen=True)
class CN:
    """One CN of a test graph; ``group`` defaults to the CN's own group."""

    layer: int = 0
    shape: int = 0
    out_bits: int = 0
    graph_output: bool = False
    dram_in_bits: int = 0
    weight: int = -1
    priority: int | None = None
    group: int | None = None


Edge = tuple[int, int, int] | tuple[int, int, int, int]  # (src, dst, bits[, role])


def graph(
    cns: Sequence[CN],
    edges: Sequence[Edge] = (),
    *,
    weight_bits: Sequence[int] = (),
    n_cores: int = 8,
    group_cores: Sequence[Sequence[int]] | None = None,
    fixed: Sequence[int] | None = None,
) -> CNGraph:
    n = len(cns)
    groups = [c.group if c.group is not None else i for i, c in enumerate(cns)]
    n_groups = max(groups) + 1 if groups else 0
    group_layer = np.zeros(n_groups, dtype=np.int32)
    for c, grp in zip(cns, groups, strict=True):
        group_layer[grp] = c.layer
    n_layers = max((c.layer for c in cns), default=0) + 1
    n_shapes = max((c.shape for c in cns), default=0) + 1
    src = np.asarray([e[0] for e in edges], dtype=np.int32)
    dst = np.asarray([e[1] for e in edges], dtype=np.int32)
    bits = np.asarray([e[2] for e in edges], dtype=np.int64)
    role = np.asarray([e[3] if len(e) > 3 else 0 for e in edges], dtype=np.int8)  # type: ignore[misc]
    role[bits == 0] = ORDER_EDGE
    src, dst, bits, role, out_ptr, in_edges, in_ptr = csr_from_edges(n, src, dst, bits, role)
    dummy = Layer("t", "Conv", "conv", (("K", 1),), {})
    return CNGraph(
        workload=Workload("test", (), {}, (), ()),
        layers=tuple(f"L{i}" for i in range(n_layers)),
        ranges=tuple(np.zeros((n, 1, 2), dtype=np.int64) for _ in range(n_layers)),
        tile_layers=(dummy,) * n_shapes,
        layer=np.asarray([c.layer for c in cns], dtype=np.int32),
        tile=np.arange(n, dtype=np.int32),
        group=np.asarray(groups, dtype=np.int32),
        shape=np.asarray([c.shape for c in cns], dtype=np.int32),
        output_bits=np.asarray([c.out_bits for c in cns], dtype=np.int64),
        produces_final=np.ones(n, dtype=np.bool_),
        graph_output=np.asarray([c.graph_output for c in cns], dtype=np.bool_),
        dram_input_bits=np.asarray([c.dram_in_bits for c in cns], dtype=np.int64),
        weight=np.asarray([c.weight for c in cns], dtype=np.int32),
        priority=np.asarray(
            [c.priority if c.priority is not None else i for i, c in enumerate(cns)],
            dtype=np.int64,
        ),
        weight_bits=np.asarray(weight_bits, dtype=np.int64),
        group_layer=group_layer,
        group_cores=tuple(
            tuple(group_cores[g]) if group_cores else tuple(range(n_cores)) for g in range(n_groups)
        ),
        group_fixed=np.asarray(fixed if fixed is not None else [-1] * n_groups, dtype=np.int32),
        edge_src=src,
        edge_dst=dst,
        edge_bits=bits,
        edge_role=role,
        out_ptr=out_ptr,
        in_edges=in_edges,
        in_ptr=in_ptr,
        stacks=(tuple(range(n_layers)),),
    )


def cost(
    core: str,
    latency: int,
    energy: float = 0.0,
    mac: float = 0.0,
    streamed: tuple[Role, ...] = (),
    dram_bw: float = 0.0,
    dram_pj: float = 0.0,
) -> CostResult:
    return CostResult(
        core=core,
        macs=latency,
        latency_cycles=latency,
        ideal_cycles=latency,
        stall_cycles=0,
        onload_cycles=0,
        offload_cycles=0,
        energy_pj=energy,
        mac_energy_pj=mac,
        memory_energy=(),
        spatial_utilization=1.0,
        utilization=1.0,
        top_footprint_bits=(),
        streamed_operands=streamed,
        dram_bw_bits=dram_bw,
        dram_energy_pj=dram_pj,
    )


def costs(acc: Accelerator, latencies: Sequence[int], **by_shape: CostResult) -> CostTable:
    """Shape s costs ``latencies[s]`` cycles on every core (overrides: ``s{shape}c{core}=``)."""
    results = {}
    for s, lat in enumerate(latencies):
        for c, name in enumerate(acc.core_names):
            results[(s, c)] = by_shape.get(f"s{s}c{c}", cost(name, lat, energy=float(lat)))
    return CostTable(acc.core_names, len(latencies), results)


def run(
    g: CNGraph,
    acc: Accelerator,
    table: CostTable,
    alloc: Sequence[int],
    options: ScheduleOptions = ScheduleOptions(),  # noqa: B008
) -> Schedule:
    """Schedule and assert the independent validator finds nothing."""
    sched = schedule(g, acc, table, np.asarray(alloc, dtype=np.int32), options=options)
    problems = validate_schedule(g, acc, table, sched)
    assert problems == [], problems
    return sched


def rows(sched: Schedule) -> list[tuple[int, int, int, int, int, int]]:
    """Transfers as (kind, tensor, src, dst, start, end) for comparing with hand numbers."""
    return [
        (int(k), int(t), int(a), int(b), int(s), int(e))
        for k, t, a, b, s, e in zip(
            sched.tr_kind,
            sched.tr_tensor,
            sched.tr_src,
            sched.tr_dst,
            sched.tr_start,
            sched.tr_end,
            strict=True,
        )
    ]


def times(sched: Schedule) -> list[tuple[int, int]]:
    return list(zip(sched.cn_start.tolist(), sched.cn_end.tolist(), strict=True))
