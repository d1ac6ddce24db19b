"""Tiny hand-built allocation instances (workload, CN graph, cost table, accelerator) for tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from fuseflow.cost.result import CostResult
from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator, Core, Dram, Link, MemoryLevel
from fuseflow.search.evaluate import EvaluatorFactory, scheduler_evaluator
from fuseflow.search.problem import AllocationProblem, Candidate
from fuseflow.tiling.graph import ROLE_CODES, CNGraph, csr_from_edges
from fuseflow.workload.layer import AxisMap, Layer, Operand, TensorInfo, Workload

ROWS, FEAT = 4, 8  # rows per tile and features of every tiny layer


@dataclass(frozen=True)
class Spec:
    """A chain of layers, each tiled into row tiles, one group per layer (or per tile)."""

    tiles: tuple[int, ...]  # tiles per layer
    n_cores: int
    latency: tuple[tuple[int, ...], ...]  # per layer, per core: cycles of one tile (-1 = no cost)
    energy: tuple[tuple[float, ...], ...]  # per layer, per core: pJ of one tile
    allowed: tuple[tuple[int, ...], ...]  # per layer (every group of the layer)
    group_per_tile: bool = False
    link_bw_bits: int = 64
    dram_bw_bits: int = 256
    weight_capacity_bits: int = 1 << 20


# Seven tile groups (one per tile) on three cores with uneven costs and allowed cores: 648
# allocations, few enough for brute force.
BRUTE_FORCE_SPEC = Spec(
    tiles=(2, 2, 1, 2),
    n_cores=3,
    latency=((100, 150, 120), (80, 60, 90), (50, 70, 40), (30, 30, 60)),
    energy=((10, 12, 9), (8, 6, 7), (5, 7, 6), (3, 2, 4)),
    allowed=((0, 1, 2), (0, 1), (1, 2), (0, 1, 2)),
    group_per_tile=True,
)


def build(spec: Spec) -> tuple[CNGraph, CostTable, Accelerator]:
    wl = _workload(spec)
    acc = _accelerator(spec)
    return _graph(spec, wl), _costs(spec, acc), acc


def _workload(spec: Spec) -> Workload:
    layers: list[Layer] = []
    tensors: dict[str, TensorInfo] = {}
    rows0 = spec.tiles[0] * ROWS
    tensors["x"] = TensorInfo("x", (rows0, FEAT), 8, None)
    prev = "x"
    for i, t in enumerate(spec.tiles):
        rows = t * ROWS
        ops = {
            "I": Operand(prev, (AxisMap.of("OY"), AxisMap.of("C")), 8),
            "W": Operand(f"w{i}", (AxisMap.of("C"), AxisMap.of("K")), 8, constant=True),
            "O": Operand(f"y{i}", (AxisMap.of("OY"), AxisMap.of("K")), 8),
        }
        layers.append(Layer(f"L{i}", "Gemm", "gemm", (("OY", rows), ("K", FEAT), ("C", FEAT)), ops))
        tensors[f"w{i}"] = TensorInfo(f"w{i}", (FEAT, FEAT), 8, None, constant=True)
        tensors[f"y{i}"] = TensorInfo(f"y{i}", (rows, FEAT), 8, f"L{i}")
        prev = f"y{i}"
    return Workload("tiny", tuple(layers), tensors, ("x",), (prev,))


def _graph(spec: Spec, wl: Workload) -> CNGraph:
    layer, tile, group, src, dst = [], [], [], [], []
    start = []
    g = 0
    for li, t in enumerate(spec.tiles):
        start.append(len(layer))
        for k in range(t):
            layer.append(li)
            tile.append(k)
            group.append(g + k if spec.group_per_tile else g)
        g += t if spec.group_per_tile else 1
    for li in range(1, len(spec.tiles)):
        tp, tc = spec.tiles[li - 1], spec.tiles[li]
        pairs = {(j, j * tc // tp) for j in range(tp)} | {(k * tp // tc, k) for k in range(tc)}
        for j, k in sorted(pairs):
            src.append(start[li - 1] + j)
            dst.append(start[li] + k)
    n = len(layer)
    tile_bits = ROWS * FEAT * 8
    e = len(src)
    csr = csr_from_edges(
        n,
        np.asarray(src, dtype=np.int32),
        np.asarray(dst, dtype=np.int32),
        np.full(e, tile_bits, dtype=np.int64),
        np.full(e, ROLE_CODES["I"], dtype=np.int8),
    )
    lay = np.asarray(layer, dtype=np.int32)
    til = np.asarray(tile, dtype=np.int32)
    ranges = tuple(
        np.array([[[0, 1], [0, FEAT], [0, FEAT]]] * t, dtype=np.int64) for t in spec.tiles
    )
    n_layers = len(spec.tiles)
    last = lay == n_layers - 1
    grp = np.asarray(group, dtype=np.int32)
    group_layer = np.array([lay[grp == q][0] for q in range(int(grp.max()) + 1)], dtype=np.int32)
    return CNGraph(
        workload=wl,
        layers=tuple(f"L{i}" for i in range(n_layers)),
        ranges=ranges,
        tile_layers=tuple(wl.layer(f"L{i}").with_sizes({"OY": ROWS}) for i in range(n_layers)),
        layer=lay,
        tile=til,
        group=grp,
        shape=lay.copy(),
        output_bits=np.full(n, tile_bits, dtype=np.int64),
        produces_final=np.ones(n, dtype=bool),
        graph_output=last,
        dram_input_bits=np.where(lay == 0, tile_bits, 0).astype(np.int64),
        weight=lay.copy(),
        priority=np.arange(n, dtype=np.int64),
        weight_bits=np.full(n_layers, FEAT * FEAT * 8, dtype=np.int64),
        group_layer=group_layer,
        group_cores=tuple(spec.allowed[int(li)] for li in group_layer),
        group_fixed=np.full(len(group_layer), -1, dtype=np.int32),
        **csr._asdict(),
        stacks=(tuple(range(n_layers)),),
    )


def _accelerator(spec: Spec) -> Accelerator:
    mem = MemoryLevel("sram", spec.weight_capacity_bits, 256, 256, 1.0, 1.0, frozenset("IWO"))
    cores = tuple(
        Core(f"c{i}", (("D1", 4),), (("D1", (("K", 4),)),), (mem,), 0.1)
        for i in range(spec.n_cores)
    )
    links = tuple(
        Link(f"l{a}{b}", f"c{a}", f"c{b}", spec.link_bw_bits, 0.01)
        for a in range(spec.n_cores)
        for b in range(spec.n_cores)
        if a != b
    )
    dram = Dram("dram", 1 << 30, spec.dram_bw_bits, spec.dram_bw_bits, 8.0, 8.0)
    return Accelerator("tiny", cores, dram, links)


def _costs(spec: Spec, acc: Accelerator) -> CostTable:
    results = {}
    for s, (lats, ens) in enumerate(zip(spec.latency, spec.energy, strict=True)):
        for c, (lat, en) in enumerate(zip(lats, ens, strict=True)):
            if lat < 0:
                continue
            results[(s, c)] = CostResult(
                core=acc.cores[c].name,
                macs=ROWS * FEAT * FEAT,
                latency_cycles=lat,
                ideal_cycles=lat,
                stall_cycles=0,
                onload_cycles=0,
                offload_cycles=0,
                energy_pj=en,
                mac_energy_pj=en,
                memory_energy=(),
                spatial_utilization=1.0,
                utilization=1.0,
                top_footprint_bits=(("I", ROWS * FEAT * 8), ("W", FEAT * FEAT * 8)),
            )
    return CostTable(acc.core_names, len(spec.tiles), results)


def random_spec(seed: int, max_groups: int = 5) -> Spec:
    """A random chain instance with at most ``max_groups`` groups and 2-3 cores."""
    rng = np.random.default_rng(seed)
    n_cores = int(rng.integers(2, 4))
    n_layers = int(rng.integers(2, max_groups + 1))
    tiles = tuple(int(t) for t in rng.integers(1, 4, size=n_layers))
    latency = tuple(
        tuple(int(x) for x in rng.integers(10, 200, size=n_cores)) for _ in range(n_layers)
    )
    energy = tuple(
        tuple(float(x) for x in rng.integers(1, 50, size=n_cores)) for _ in range(n_layers)
    )
    allowed = []
    for _ in range(n_layers):
        k = int(rng.integers(1, n_cores + 1))
        allowed.append(tuple(sorted(int(c) for c in rng.choice(n_cores, size=k, replace=False))))
    return Spec(
        tiles,
        n_cores,
        latency,
        energy,
        tuple(allowed),
        link_bw_bits=int(rng.choice([8, 64, 512])),
        dram_bw_bits=int(rng.choice([16, 128, 1024])),
    )


def evaluator_factory() -> EvaluatorFactory:
    """The real scheduler (every test scores allocations with it)."""
    return scheduler_evaluator


def brute_force(problem: AllocationProblem, factory: EvaluatorFactory) -> list[Candidate]:
    """Every allocation of the problem (for a split problem: every decision), scored."""
    evaluate = factory(problem)
    out = []
    for genome in itertools.product(*(range(len(c)) for c in problem.choices)):
        alloc = problem.allocation(np.array(genome, dtype=np.int64))
        out.append(Candidate(alloc, *evaluate(alloc)))
    return out


def check_rescored(problem: AllocationProblem, found: Candidate) -> None:
    """The found allocation's schedule is valid and its figures are the full scheduler's."""
    from fuseflow.schedule.scheduler import schedule
    from fuseflow.schedule.validator import validate_schedule

    graph, acc, costs = problem.graph, problem.acc, problem.costs
    sched = schedule(graph, acc, costs, found.allocation)
    assert validate_schedule(graph, acc, costs, sched) == []
    assert (sched.latency_cycles, sched.energy.total_pj) == (found.latency_cycles, found.energy_pj)
