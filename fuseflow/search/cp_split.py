"""The CP-SAT model's open splits: per layer a set of cores, its factor, and each part's cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from fuseflow.search.problem import AllocationProblem, make_problem
from fuseflow.search.splits import SplitBuild, uniform_builds


@dataclass(frozen=True, eq=False)
class SplitData:
    """Costs of every split factor of every open-split layer (its group in the unsplit graph).

    Part figures come from the graphs built with every open layer at factor f: a part's
    duration on a core is the sum of its CNs' latencies there (the largest part, part 0), its
    energy the layer's energy at factor f on that core divided by f.
    """

    groups: tuple[int, ...]
    factors: tuple[tuple[int, ...], ...]  # per open layer: its factors 1 .. most cores
    chunk_duration: dict[int, NDArray[np.int64]]  # chunk -> (factor - 1, cores) cycles
    part_energy_pj: NDArray[np.float64]  # (open layers, most factors, cores)
    # DRAM read bits of the layer's weights beyond its least over the factors (which is in the
    # model's constant traffic): fetched (energy and port time) or streamed (port time only)
    extra_port_bits: NDArray[np.int64]  # (open layers, most factors)

    def unit(self, group: int) -> int:
        return self.groups.index(group)


def split_data(
    problem: AllocationProblem, cn_chunk: NDArray[np.int64], n_chunks: int
) -> SplitData | None:
    """The split costs of ``problem`` (None without open splits)."""
    space = problem.splits
    if space is None:
        return None
    graph = problem.graph
    n_cores = len(problem.acc.cores)
    builds = uniform_builds(problem)
    offsets = np.concatenate(
        ([0], np.cumsum(np.bincount(graph.layer, minlength=len(graph.layers))))
    )
    layer_ids = [graph.layers.index(name) for name in space.layers]
    in_unit = np.isin(graph.layer, layer_ids)
    chunks = np.unique(cn_chunk[in_unit]).tolist()
    duration = {k: np.zeros((len(builds), n_cores), dtype=np.int64) for k in chunks}
    energy = np.zeros((len(layer_ids), len(builds), n_cores), dtype=np.float64)
    factors: list[set[int]] = [set() for _ in layer_ids]
    fetch, port = _extra_weight_bits(problem, builds, layer_ids)
    read_pj = problem.acc.dram.read_pj_per_bit
    for b, made in enumerate(builds):
        g = made.graph
        for u, (lid, f) in enumerate(zip(layer_ids, made.factors, strict=True)):
            factors[u].add(f)
            cns = g.cns_of_layer(g.layers.index(space.layers[u]))
            lat = np.maximum(made.costs.latency_cycles[g.shape[cns]], 0)
            en = np.nan_to_num(made.costs.energy_pj[g.shape[cns]])
            fetched = fetch[b, u] * read_pj / f
            energy[u, f - 1] = np.maximum(energy[u, f - 1], en.sum(axis=0) / f + fetched)
            first = made.part[g.group[cns]] == 0
            cn0 = offsets[lid] + g.tile[cns[first]] // f
            per = np.zeros((n_chunks, n_cores), dtype=np.int64)
            np.add.at(per, cn_chunk[cn0], lat[first])
            for k in np.unique(cn_chunk[cn0]).tolist():
                duration[k][f - 1] = np.maximum(duration[k][f - 1], per[k])
    extra = np.zeros((len(layer_ids), len(builds)), dtype=np.int64)
    for b, made in enumerate(builds):
        for u, f in enumerate(made.factors):
            extra[u, f - 1] = port[b, u]
    return SplitData(
        tuple(space.units), tuple(tuple(sorted(f)) for f in factors), duration, energy, extra
    )


def _extra_weight_bits(
    problem: AllocationProblem, builds: list[SplitBuild], layer_ids: list[int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per build and open layer: weight bits fetched beyond the layer's least over the builds,
    and the DRAM port bits (fetched + streamed) beyond that same least."""
    from fuseflow.search.bounds import dram_parts, stream_bits

    fetched, streamed = [], []
    for made in builds:
        built = make_problem(made.graph, made.costs, problem.acc, problem.objective)
        fetched.append(dram_parts(built)[0][layer_ids])
        streamed.append(stream_bits(built)[0][layer_ids])
    fetch = np.stack(fetched).astype(np.int64)
    least = fetch.min(axis=0)
    port = (fetch + np.stack(streamed)).astype(np.int64) - least
    return fetch - least, port


def add_split_vars(
    model: cp_model.CpModel,
    sd: SplitData,
    candidates: tuple[tuple[int, ...], ...],
    x: dict[tuple[int, int], Any],
    factor: dict[tuple[int, int], Any],
    part: dict[tuple[int, int, int], Any],
    energy: list[tuple[Any, float]],
) -> None:
    """Per open layer: ``x[g, c]`` = core c in its set, one factor literal, and ``part[g, c, f]``
    = (c in the set) and (factor f), which carries the part's energy."""
    for u, g in enumerate(sd.groups):
        ys = {c: model.new_bool_var(f"y{g}_{c}") for c in candidates[g]}
        zs = {f: model.new_bool_var(f"z{g}_{f}") for f in sd.factors[u]}
        model.add_exactly_one(list(zs.values()))
        model.add(sum(ys.values()) == sum(f * z for f, z in zs.items()))
        for c, y in ys.items():
            x[(g, c)] = y
            for f, z in zs.items():
                w = model.new_bool_var(f"p{g}_{c}_{f}")
                model.add_implication(w, y)
                model.add_implication(w, z)
                model.add_bool_or([w, ~y, ~z])
                part[(g, c, f)] = w
                energy.append((w, float(sd.part_energy_pj[u, f - 1, c])))
        for f, z in zs.items():
            factor[(g, f)] = z


def split_chunk(
    model: cp_model.CpModel,
    sd: SplitData,
    k: int,
    g: int,
    start: Any,
    end: Any,
    horizon: int,
    x: dict[tuple[int, int], Any],
    part: dict[tuple[int, int, int], Any],
    per_core: dict[int, list[Any]],
) -> None:
    """Chunk ``k`` of an open-split layer: its parts start together, one per core of the set,
    each as long as the chosen factor's part there; the chunk ends when its last part does."""
    u = sd.unit(g)
    table = sd.chunk_duration[k]
    for c in sorted({c for (h, c) in x if h == g}):
        terms = [(part[(g, c, f)], int(table[f - 1, c])) for f in sd.factors[u]]
        d = model.new_int_var(0, max(t for _, t in terms), f"d{k}_{c}")
        model.add(d == sum(lit * t for lit, t in terms))
        e_c = model.new_int_var(0, horizon, f"e{k}_{c}")
        iv = model.new_optional_interval_var(start, d, e_c, x[(g, c)], f"i{k}_{c}")
        per_core.setdefault(c, []).append(iv)
        model.add(end >= e_c).only_enforce_if(x[(g, c)])
    model.add(end >= start)


def held_weight_bits(sd: SplitData, g: int, c: int, bits: int, part: dict[Any, Any]) -> Any:
    """Weight bits core ``c`` holds of an open-split layer's weights: ``bits / f`` per part."""
    return sum(part[(g, c, f)] * -(-bits // f) for f in sd.factors[sd.unit(g)])


def decision_bit(value: int, c: int, split: bool) -> bool:
    """Whether a decision's group value selects core ``c`` (a core, or a core set's mask)."""
    return bool(value >> c & 1) if split else value == c
