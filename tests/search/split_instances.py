"""A tiny network with open K splits, built by the real tiling and cost steps, for split tests."""

from __future__ import annotations

from tiling.helpers import Net, accelerator

from fuseflow.search.problem import AllocationProblem, SearchResult
from fuseflow.search.splits import make_split_problem
from fuseflow.tiling.spec import LayerMapping, MappingSpec, TileLoop


def split_problem(
    objective: str = "latency",
    n_cores: int = 3,
    k_out: int = 8,
    rows: int = 4,
    weights_bits: int = 1 << 20,
) -> AllocationProblem:
    """Two 3x3 convolutions fused at one output row per tile, each with an open K split over
    ``n_cores`` identical cores, followed by a 1x1 convolution fixed on core 0. A small
    ``weights_bits`` makes whole weights stream from DRAM where split parts fit on chip."""
    net = Net("split")
    x = net.conv(net.input((1, 4, rows, 4)), k_out, name="a")
    y = net.conv(x, k_out, name="b")
    net.conv(y, 4, kernel=(1, 1), pads=(0, 0, 0, 0), name="c")
    wl = net.build()
    acc = accelerator(n_cores, weights_bits)
    cores = tuple(range(n_cores))
    row = (TileLoop("OY", count=rows),)
    layers = {
        "a": LayerMapping("a", cores, tiling=row, open_split="K"),
        "b": LayerMapping("b", cores, tiling=row, open_split="K"),
        "c": LayerMapping("c", (0,), tiling=row),
    }
    spec = MappingSpec(layers, (("a", "b", "c"),), "depth_first")
    return make_split_problem(wl, acc, spec, objective)


def check_split_rescored(problem: AllocationProblem, result: SearchResult) -> None:
    """The result's allocation of its split graph schedules validly to the reported figures."""
    from fuseflow.schedule.scheduler import schedule
    from fuseflow.schedule.validator import validate_schedule

    assert result.graph is not None and result.costs is not None
    graph, costs, acc = result.graph, result.costs, problem.acc
    sched = schedule(graph, acc, costs, result.allocation)
    assert validate_schedule(graph, acc, costs, sched) == []
    assert (sched.latency_cycles, sched.energy.total_pj) == (
        result.latency_cycles,
        result.energy_pj,
    )
