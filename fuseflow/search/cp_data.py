"""Aggregated data for the CP allocation model: chunks of each group's tiles and their edges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.hardware.topology import build_topology
from fuseflow.search.cp_split import SplitData, split_data
from fuseflow.search.problem import AllocationProblem
from fuseflow.search.splits import without_splits


@dataclass(frozen=True, eq=False)
class ChunkData:
    """Each group's CNs in priority order, cut into at most ``chunks_per_group`` chunks.

    A chunk is one interval of the model; its CNs run back to back on the group's core, and
    inside a chunk time is assumed to progress evenly per CN (lot streaming), which is what
    lets a consumer chunk start before its producer chunk has ended.
    """

    chunk_group: NDArray[np.int64]  # (chunks,)
    chunk_size: NDArray[np.int64]  # CNs per chunk
    duration: NDArray[np.int64]  # (chunks, cores) cycles, -1 where the core is not a candidate
    group_energy_pj: NDArray[np.float64]  # (groups, cores), NaN where not a candidate
    candidates: tuple[tuple[int, ...], ...]  # per group
    # chunk edges (p -> q): CN positions (i in p, j in q) of the binding CN edge
    edge_p: NDArray[np.int64]
    edge_q: NDArray[np.int64]
    edge_i: NDArray[np.int64]
    edge_j: NDArray[np.int64]
    # group pairs with data between them: total bits and the largest single-CN transfer
    pair_src: NDArray[np.int64]
    pair_dst: NDArray[np.int64]
    pair_bits: NDArray[np.int64]
    pair_max_bits: NDArray[np.int64]
    release: NDArray[np.int64]  # per chunk: earliest start (its first weight read from DRAM)
    route_bw_bits: int  # slowest route between two cores (transfer-time estimate)
    route_pj_per_bit: float  # cheapest route between two different cores
    split: SplitData | None = None  # open-split layers (their groups choose core sets)


def chunk_data(problem: AllocationProblem, chunks_per_group: int) -> ChunkData:
    graph, costs = problem.graph, problem.costs
    candidates = _candidates(without_splits(problem))
    order = np.argsort(graph.priority, kind="stable")
    by_group = np.argsort(graph.group[order], kind="stable")
    cns_sorted = order[by_group]
    counts = np.bincount(graph.group, minlength=graph.n_groups)
    cn_chunk = np.zeros(graph.n, dtype=np.int64)
    cn_pos = np.zeros(graph.n, dtype=np.int64)
    chunk_group: list[int] = []
    sizes: list[int] = []
    offset = 0
    for g in range(graph.n_groups):
        cns = cns_sorted[offset : offset + counts[g]]
        offset += counts[g]
        for part in np.array_split(cns, min(chunks_per_group, max(1, len(cns)))):
            if part.size == 0:
                continue
            cn_chunk[part] = len(chunk_group)
            cn_pos[part] = np.arange(part.size)
            chunk_group.append(g)
            sizes.append(part.size)
    n_cores = len(problem.acc.cores)
    lat = costs.latency_cycles[graph.shape]  # (n, cores)
    duration = np.zeros((len(sizes), n_cores), dtype=np.int64)
    np.add.at(duration, cn_chunk, np.maximum(lat, 0))
    group_energy = np.zeros((graph.n_groups, n_cores), dtype=np.float64)
    np.add.at(group_energy, graph.group, np.nan_to_num(costs.energy_pj[graph.shape]))
    for g, cand in enumerate(candidates):
        mask = np.ones(n_cores, dtype=bool)
        mask[list(cand)] = False
        group_energy[g, mask] = np.nan
    duration[_not_candidate(candidates, np.array(chunk_group), n_cores)] = -1
    release = _release(problem, cn_chunk, len(sizes))
    ep, eq, ei, ej = _chunk_edges(problem, cn_chunk, cn_pos, np.array(sizes))
    ps, pd, pb, pm = _group_pairs(problem)
    bw, pj = _route_figures(problem)
    split = split_data(problem, cn_chunk, len(sizes))
    return ChunkData(
        np.array(chunk_group, dtype=np.int64), np.array(sizes, dtype=np.int64), duration,
        group_energy, candidates, ep, eq, ei, ej, ps, pd, pb, pm, release, bw, pj, split,
    )  # fmt: skip


def _candidates(problem: AllocationProblem) -> tuple[tuple[int, ...], ...]:
    out: list[tuple[int, ...]] = [(int(c),) for c in problem.base]
    for i, g in enumerate(problem.free):
        out[int(g)] = problem.choices[i]
    return tuple(out)


def _not_candidate(
    candidates: tuple[tuple[int, ...], ...], chunk_group: NDArray[np.int64], n_cores: int
) -> NDArray[np.bool_]:
    allowed = np.zeros((len(candidates), n_cores), dtype=bool)
    for g, cand in enumerate(candidates):
        allowed[g, list(cand)] = True
    return ~allowed[chunk_group]


def _release(problem: AllocationProblem, cn_chunk: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    graph, dram = problem.graph, problem.acc.dram
    bits = np.where(graph.weight >= 0, graph.weight_bits[np.maximum(graph.weight, 0)], 0)
    bits = bits + graph.dram_input_bits
    release = np.zeros(n, dtype=np.int64)
    np.maximum.at(release, cn_chunk, -(-bits // dram.read_bw_bits))
    return release


def _chunk_edges(
    problem: AllocationProblem,
    cn_chunk: NDArray[np.int64],
    cn_pos: NDArray[np.int64],
    sizes: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per chunk pair, the CN edges that bind: the one that binds when both chunks run at the
    same pace, the earliest consumer and the latest producer."""
    graph = problem.graph
    p, q = cn_chunk[graph.edge_src], cn_chunk[graph.edge_dst]
    i, j = cn_pos[graph.edge_src], cn_pos[graph.edge_dst]
    cross = p != q
    p, q, i, j = p[cross], q[cross], i[cross], j[cross]
    picks: set[tuple[int, int, int, int]] = set()
    for key in (
        (i + 1) * sizes[q] - j * sizes[p],  # largest (i+1)/|p| - j/|q|
        i * (graph.n + 1) - j,  # latest producer CN
        -j * (graph.n + 1) + i,  # earliest consumer CN
    ):
        order = np.lexsort((-key, q, p))
        first = np.ones(order.size, dtype=bool)
        first[1:] = (p[order][1:] != p[order][:-1]) | (q[order][1:] != q[order][:-1])
        sel = order[first]
        found = zip(p[sel].tolist(), q[sel].tolist(), i[sel].tolist(), j[sel].tolist(), strict=True)
        picks.update(found)
    rows = np.array(sorted(picks), dtype=np.int64).reshape(-1, 4)
    return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]


def _group_pairs(
    problem: AllocationProblem,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    graph = problem.graph
    gs, gd = graph.group[graph.edge_src].astype(np.int64), graph.group[graph.edge_dst]
    keep = (gs != gd) & (graph.edge_bits > 0)
    key = gs[keep] * graph.n_groups + gd[keep]
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=graph.edge_bits[keep]).astype(np.int64)
    largest = np.zeros(uniq.size, dtype=np.int64)
    np.maximum.at(largest, inv, graph.edge_bits[keep])
    return uniq // graph.n_groups, uniq % graph.n_groups, total, largest


def _route_figures(problem: AllocationProblem) -> tuple[int, float]:
    topo = build_topology(problem.acc)
    n = len(problem.acc.cores)
    bws, pjs = [], []
    for a in range(n):
        for b in range(n):
            if a != b:
                route = topo.route(a, b)
                bws.append(topo.bandwidth(route))
                pjs.append(sum(topo.resources[r].energy_pj_per_bit for r in route.resources))
    return (min(bws), min(pjs)) if bws else (1, 0.0)
