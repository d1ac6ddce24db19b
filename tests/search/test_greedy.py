"""The default greedy allocation: fixed groups kept, free groups to the earliest-finishing core."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.cost.result import CostResult
from fuseflow.cost.table import CostTable
from fuseflow.errors import InfeasibleError
from fuseflow.search.greedy import greedy_allocation
from fuseflow.tiling.graph import CNGraph, csr_from_edges
from fuseflow.workload.layer import AxisMap, Layer, Operand, TensorInfo, Workload


def _graph(n_groups: int, fixed: list[int], edges: list[tuple[int, int]]) -> CNGraph:
    """One single-CN layer per group; CN i = group i = layer i; shape i."""
    ax = (AxisMap.of("K"),)
    layers = tuple(
        Layer(
            f"l{i}",
            "Relu",
            "elementwise",
            (("K", 4),),
            {"I": Operand(f"t{i}", ax, 8), "O": Operand(f"t{i + 1}", ax, 8)},
        )
        for i in range(n_groups)
    )
    tensors = {f"t{i}": TensorInfo(f"t{i}", (4,), 8, None) for i in range(n_groups + 1)}
    wl = Workload("w", layers, tensors, ("t0",), (f"t{n_groups}",))
    src = np.array([s for s, _ in edges], dtype=np.int32)
    dst = np.array([d for _, d in edges], dtype=np.int32)
    e = csr_from_edges(n_groups, src, dst, np.full(len(edges), 8), np.zeros(len(edges), np.int8))
    ar = np.arange(n_groups, dtype=np.int32)
    return CNGraph(
        workload=wl,
        layers=tuple(la.name for la in layers),
        ranges=tuple(np.array([[[0, 4]]]) for _ in layers),
        tile_layers=layers,
        layer=ar,
        tile=np.zeros(n_groups, np.int32),
        group=ar,
        shape=ar,
        output_bits=np.full(n_groups, 32),
        produces_final=np.ones(n_groups, bool),
        graph_output=ar == n_groups - 1,
        dram_input_bits=np.zeros(n_groups, np.int64),
        weight=np.full(n_groups, -1, np.int32),
        priority=ar.astype(np.int64),
        weight_bits=np.zeros(0, np.int64),
        group_layer=ar,
        group_cores=tuple((0, 1) for _ in layers),
        group_fixed=np.array(fixed, np.int32),
        **e._asdict(),
        stacks=tuple((i,) for i in range(n_groups)),
    )


def _costs(latency: list[list[int]]) -> CostTable:
    def cost(c: int, lat: int) -> CostResult:
        return CostResult(f"c{c}", 4, lat, lat, 0, 0, 0, 1.0, 1.0, (), 1.0, 1.0, ())

    results = {
        (s, c): cost(c, lat)
        for s, row in enumerate(latency)
        for c, lat in enumerate(row)
        if lat >= 0
    }
    return CostTable(("c0", "c1"), len(latency), results)


def test_independent_free_groups_spread_over_cores():
    graph = _graph(3, [-1, -1, -1], [])
    alloc = greedy_allocation(graph, _costs([[10, 10], [10, 10], [10, 10]]))
    assert alloc.tolist() == [0, 1, 0]
    assert alloc.dtype == np.int32


def test_fixed_groups_are_kept_and_occupy_their_core():
    graph = _graph(3, [0, -1, -1], [])
    alloc = greedy_allocation(graph, _costs([[100, 100], [10, 10], [10, 30]]))
    # group 1: core0 free at 100 -> ends 110, core1 ends 10; group 2: core1 ends 40 < 110
    assert alloc.tolist() == [0, 1, 1]


def test_a_chain_follows_the_faster_core_after_waiting_for_its_producer():
    graph = _graph(2, [-1, -1], [(0, 1)])
    alloc = greedy_allocation(graph, _costs([[5, 50], [50, 5]]))
    assert alloc.tolist() == [0, 1]


def test_no_costed_core_is_infeasible():
    graph = _graph(1, [-1], [])
    with pytest.raises(InfeasibleError, match="no costed core"):
        greedy_allocation(graph, _costs([[-1, -1]]))
