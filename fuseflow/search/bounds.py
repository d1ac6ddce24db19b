"""Lower bounds on the latency and energy of any allocation of a CN graph (for gap reporting)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.search.problem import AllocationProblem, Bounds
from fuseflow.search.splits import without_splits

MAX_SUBSET_CORES = 12  # up to 2^12 core sets; beyond, only single cores and the whole set


def lower_bounds(problem: AllocationProblem) -> Bounds:
    """Valid lower bounds on latency (cycles) and energy (pJ) over every allocation.

    Latency: the largest of the critical path, the work on every core set, and the DRAM
    traffic no allocation avoids. Energy: each CN at its cheapest allowed core plus the DRAM
    traffic no allocation avoids. docs/search.md explains why each is valid. With open splits
    (``problem.splits``) every CN's figures are the least over its layer's split factors.
    """
    dram = problem.acc.dram
    if problem.splits is not None:
        from fuseflow.search.split_bounds import split_figures

        lat, work, reads, writes, cn_pj, dram_pj = split_figures(problem)
        cores_of = _masks(allowed_cores(without_splits(problem))[problem.graph.group])
    else:
        lat, energy, cores_of = _cn_minima(problem)
        work = lat
        reads, writes = unavoidable_dram_bits(problem)
        cn_pj = float(energy.sum())
        dram_pj = reads * dram.read_pj_per_bit + writes * dram.write_pj_per_bit
        stream_r, stream_w = stream_bits(problem)
        reads, writes = reads + int(stream_r.sum()), writes + int(stream_w.sum())
    if dram.ports == "shared":
        dram_cycles = (reads + writes) / min(dram.read_bw_bits, dram.write_bw_bits)
    else:
        dram_cycles = max(reads / dram.read_bw_bits, writes / dram.write_bw_bits)
    lat_parts = (
        ("critical_path", float(critical_path(problem, lat))),
        ("core_work", core_set_work_bound(work, cores_of, len(problem.acc.cores))),
        ("dram_traffic", float(dram_cycles)),
    )
    e_parts = (("cn_energy", cn_pj), ("dram_energy", float(dram_pj)))
    return Bounds(
        latency_cycles=max(v for _, v in lat_parts),
        energy_pj=sum(v for _, v in e_parts),
        latency_parts=lat_parts,
        energy_parts=e_parts,
    )


def _cn_minima(
    problem: AllocationProblem,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Per CN: min latency and min energy over its candidate cores, and the cores as a bit mask."""
    graph = problem.graph
    cn_allowed = allowed_cores(problem)[graph.group]  # (n, cores)
    lat_table = problem.costs.latency_cycles[graph.shape].astype(np.float64)
    e_table = problem.costs.energy_pj[graph.shape]
    lat = np.where(cn_allowed & (lat_table >= 0), lat_table, np.inf).min(axis=1)
    energy = np.where(cn_allowed & ~np.isnan(e_table), e_table, np.inf).min(axis=1)
    return lat, energy, _masks(cn_allowed)


def _masks(cn_allowed: NDArray[np.bool_]) -> NDArray[np.int64]:
    n_cores = cn_allowed.shape[1]
    out: NDArray[np.int64] = (
        cn_allowed.astype(np.int64) << np.arange(n_cores, dtype=np.int64)
    ).sum(axis=1)
    return out


def critical_path(problem: AllocationProblem, cn_latency: NDArray[np.float64]) -> float:
    """Longest path through the CN graph (data and ordering edges) with the given CN latencies."""
    graph = problem.graph
    if graph.n == 0:
        return 0.0
    indeg = np.bincount(graph.edge_dst, minlength=graph.n)
    ready_at = np.zeros(graph.n, dtype=np.float64)
    frontier = np.flatnonzero(indeg == 0)
    finish = np.zeros(graph.n, dtype=np.float64)
    done = 0
    while frontier.size:  # one wave per depth level, vectorised within a wave
        finish[frontier] = ready_at[frontier] + cn_latency[frontier]
        done += frontier.size
        starts, stops = graph.out_ptr[frontier], graph.out_ptr[frontier + 1]
        edges = _ranges(starts, stops)
        dst = graph.edge_dst[edges]
        np.maximum.at(ready_at, dst, np.repeat(finish[frontier], stops - starts))
        np.subtract.at(indeg, dst, 1)
        frontier = np.unique(dst[indeg[dst] == 0])
    if done != graph.n:
        raise ValueError("the CN graph has a cycle")
    return float(finish.max())


def _ranges(starts: NDArray[np.int64], stops: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(s, e)`` for every pair, without a Python loop."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def core_set_work_bound(
    cn_latency: NDArray[np.float64], cn_masks: NDArray[np.int64], n_cores: int
) -> float:
    """max over core sets S of (work of CNs that can only run inside S) / |S|.

    CNs whose candidate cores all lie in S keep the cores of S busy for at least the sum of
    their fastest latencies, shared at best evenly over |S| cores.
    """
    if cn_latency.size == 0:
        return 0.0
    masks, inverse = np.unique(cn_masks, return_inverse=True)
    work = np.bincount(inverse, weights=cn_latency)
    if n_cores <= MAX_SUBSET_CORES:
        subsets = np.arange(1, 1 << n_cores, dtype=np.int64)
    else:
        singles = [1 << c for c in range(n_cores)]
        subsets = np.array([*singles, *masks.tolist(), (1 << n_cores) - 1], dtype=np.int64)
    inside = (masks[None, :] & ~subsets[:, None]) == 0  # (subsets, masks)
    sizes = np.array([bin(int(s)).count("1") for s in subsets], dtype=np.float64)
    return float(((inside * work[None, :]).sum(axis=1) / sizes).max())


def unavoidable_dram_bits(problem: AllocationProblem) -> tuple[int, int]:
    """(read, write) DRAM bits of every allocation (and, with open splits, every split
    choice: per layer the least weight traffic over its factors; see :func:`dram_parts`)."""
    if problem.splits is None:
        weights, read, writes = dram_parts(problem)
        return int(weights.sum()) + input_bits(problem, read), writes
    from fuseflow.search.split_bounds import split_dram_bits

    return split_dram_bits(problem)


def input_bits(problem: AllocationProblem, tensors: list[str]) -> int:
    wl = problem.graph.workload
    return sum(wl.tensors[t].size_bits for t in tensors)


def dram_parts(problem: AllocationProblem) -> tuple[NDArray[np.int64], list[str], int]:
    """Per layer the weight bits any schedule reads from DRAM, the graph inputs it reads and
    the bits it writes: each weight tensor and graph input read once, each graph output once.

    A tensor that some CN may stream from DRAM on one of its candidate cores is left out: its
    DRAM traffic is then part of that CN's cost (already in the CN energy), not a transfer.
    """
    graph = problem.graph
    streams_w, streams_i = _may_stream(problem)
    used = graph.weight >= 0
    weights = np.unique(graph.weight[used])
    streamed = np.unique(graph.weight[used & streams_w])
    weights = np.setdiff1d(weights, streamed)
    by_layer = np.zeros(len(graph.layers), dtype=np.int64)
    if weights.size:
        owner = np.full(graph.weight_bits.shape[0], -1, dtype=np.int64)
        owner[graph.weight[used][::-1]] = graph.layer[used][::-1]  # first layer using it
        np.add.at(by_layer, owner[weights], graph.weight_bits[weights])
    wl = graph.workload
    read_tensors: set[str] = set()
    for lid, name in enumerate(graph.layers):
        if streams_i[graph.layer == lid].any():
            continue
        read_tensors.update(
            t
            for t in wl.node_inputs(wl.layer(name))
            if t in wl.inputs and not wl.tensors[t].constant
        )
    out_bits = int(graph.output_bits[graph.graph_output & graph.produces_final].sum())
    return by_layer, sorted(read_tensors), out_bits


def _may_stream(problem: AllocationProblem) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per CN: whether W (resp. I) is streamed from DRAM on at least one candidate core."""
    n_shapes, n_cores = problem.costs.n_shapes, len(problem.acc.cores)
    w = np.zeros((n_shapes, n_cores), dtype=bool)
    i = np.zeros((n_shapes, n_cores), dtype=bool)
    for (s, c), r in problem.costs.results.items():
        w[s, c] = "W" in r.streamed_operands
        i[s, c] = "I" in r.streamed_operands
    allowed = allowed_cores(problem)[problem.graph.group]
    shape = problem.graph.shape
    may_w: NDArray[np.bool_] = np.any(w[shape] & allowed, axis=1)
    may_i: NDArray[np.bool_] = np.any(i[shape] & allowed, axis=1)
    return may_w, may_i


def stream_bits(problem: AllocationProblem) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per layer, the (read, write) DRAM bits its CNs stream on whichever candidate core
    streams least (a streamed operand holds ``dram_bw_bits`` of the DRAM port for the CN's
    latency; inputs and outputs streamed together share it evenly). Their energy is in the
    CN cost already; the bits only bound the DRAM port's time."""
    graph = problem.graph
    n_shapes, n_cores = problem.costs.n_shapes, len(problem.acc.cores)
    read = np.zeros((n_shapes, n_cores))
    write = np.zeros((n_shapes, n_cores))
    for (sh, c), r in problem.costs.results.items():
        ops = set(r.streamed_operands)
        if not ops or r.dram_bw_bits <= 0:
            continue
        bits = r.dram_bw_bits * r.latency_cycles
        has_in, has_out = bool(ops & {"I", "W"}), "O" in ops
        share = bits / (int(has_in) + int(has_out))
        read[sh, c], write[sh, c] = share * has_in, share * has_out
    allowed = allowed_cores(problem)[graph.group]
    per_cn = [np.where(allowed, t[graph.shape], np.inf).min(axis=1) for t in (read, write)]
    n_layers = len(graph.layers)
    r_l, w_l = (
        np.bincount(graph.layer, weights=v, minlength=n_layers).astype(np.float64) for v in per_cn
    )
    return r_l, w_l


def allowed_cores(problem: AllocationProblem) -> NDArray[np.bool_]:
    """(groups, cores): the candidate cores of every group."""
    graph = problem.graph
    allowed = np.zeros((graph.n_groups, len(problem.acc.cores)), dtype=bool)
    allowed[np.arange(graph.n_groups), problem.base] = True
    for k, g in enumerate(problem.free):
        allowed[g, list(problem.choices[k])] = True
    return allowed
