"""Lower bounds valid over every split choice of the open-split layers (and every allocation)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.search.bounds import allowed_cores, dram_parts, input_bits, stream_bits
from fuseflow.search.problem import AllocationProblem, make_problem
from fuseflow.search.splits import SplitBuild, uniform_builds, without_splits

F64 = NDArray[np.float64]


def split_figures(problem: AllocationProblem) -> tuple[F64, F64, int, int, float, float]:
    """Per CN of the unsplit graph its fastest part and its least summed part work (each the
    least over the layer's split factors); the DRAM read and write bits no choice avoids
    (fetched or streamed, per layer the least over its factors); the
    least CN energy and DRAM energy, taken per layer over its factors together (a factor that
    makes weights fit on chip saves streaming energy in the CN but reads them once instead).
    """
    builds = uniform_builds(problem)
    dram = problem.acc.dram
    fastest, work, layer_pj = split_minima(problem, builds)
    built = [_build_problem(problem, made) for made in builds]
    parts = [dram_parts(b) for b in built]
    weights = np.stack([p[0] for p in parts]).astype(np.float64)  # (builds, layers)
    reads, writes = _dram_bits(problem, parts)
    best = np.argmin(layer_pj + weights * dram.read_pj_per_bit, axis=0)
    cols = np.arange(weights.shape[1])
    inputs = reads - int(weights.min(axis=0).sum())
    dram_pj = float(weights[best, cols].sum() + inputs) * dram.read_pj_per_bit
    dram_pj += writes * dram.write_pj_per_bit
    streams = [stream_bits(b) for b in built]  # the DRAM port's time: fetched or streamed
    port_r = (weights + np.stack([s[0] for s in streams])).min(axis=0).sum() + inputs
    port_w = writes + np.stack([s[1] for s in streams]).min(axis=0).sum()
    cn_pj = float(layer_pj[best, cols].sum())
    return fastest, work, int(port_r), int(port_w), cn_pj, dram_pj


def split_dram_bits(problem: AllocationProblem) -> tuple[int, int]:
    """(read, write) DRAM bits of every split choice: per layer its least weight traffic."""
    builds = uniform_builds(problem)
    return _dram_bits(problem, [dram_parts(_build_problem(problem, m)) for m in builds])


def _dram_bits(
    problem: AllocationProblem, parts: list[tuple[NDArray[np.int64], list[str], int]]
) -> tuple[int, int]:
    weights = np.min(np.stack([p[0] for p in parts]), axis=0)
    inputs = sorted(set.intersection(*(set(p[1]) for p in parts)))
    return int(weights.sum()) + input_bits(problem, inputs), min(p[2] for p in parts)


def split_minima(problem: AllocationProblem, builds: list[SplitBuild]) -> tuple[F64, F64, F64]:
    """Per CN of the unsplit graph, the least over split factors of its fastest part and of
    its parts' summed fastest latencies; per build and layer, the least CN energy.

    A part of a split CN still depends on (a part of) every CN the unsplit CN depends on, so
    any path of the unsplit graph is a path through parts: the critical path with the fastest
    part per CN bounds every split choice.
    """
    graph = problem.graph
    allowed = allowed_cores(without_splits(problem))
    counts = np.bincount(graph.layer, minlength=len(graph.layers))
    offsets = np.concatenate(([0], np.cumsum(counts)))
    fastest = np.full(graph.n, np.inf)
    work = np.full(graph.n, np.inf)
    layer_pj = np.zeros((len(builds), len(graph.layers)))
    assert problem.splits is not None
    for b, made in enumerate(builds):
        g = made.graph
        factor = np.ones(len(g.layers), dtype=np.int64)
        for name, f in zip(problem.splits.layers, made.factors, strict=True):
            factor[g.layers.index(name)] = f
        cn0 = offsets[g.layer] + g.tile // factor[g.layer]  # split loops are innermost
        ok = allowed[made.source[g.group]]
        lat_t = made.costs.latency_cycles[g.shape].astype(np.float64)
        e_t = made.costs.energy_pj[g.shape]
        lat = np.where(ok & (lat_t >= 0), lat_t, np.inf).min(axis=1)
        energy = np.where(ok & ~np.isnan(e_t), e_t, np.inf).min(axis=1)
        part_min = np.full(graph.n, np.inf)
        np.minimum.at(part_min, cn0, lat)
        fastest = np.minimum(fastest, part_min)
        work = np.minimum(work, np.bincount(cn0, weights=lat, minlength=graph.n))
        layer_pj[b] = np.bincount(g.layer, weights=energy, minlength=len(g.layers))
    return fastest, work, layer_pj


def _build_problem(problem: AllocationProblem, made: SplitBuild) -> AllocationProblem:
    return make_problem(made.graph, made.costs, problem.acc, problem.objective)
