"""The CP-SAT allocation model: assignment, chunk intervals, transfers, weights, DRAM, objective."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from fuseflow.search.bounds import unavoidable_dram_bits
from fuseflow.search.cp_data import ChunkData
from fuseflow.search.cp_split import add_split_vars, held_weight_bits, split_chunk
from fuseflow.search.problem import AllocationProblem

SCALE = 1_000_000_000  # integer resolution of the energy objective
EDP_ENERGY_UNITS = 100_000  # resolution of energy inside the EDP product


@dataclass
class ModelVars:
    x: dict[tuple[int, int], Any] = field(default_factory=dict)  # (group, core) -> literal
    start: list[Any] = field(default_factory=list)  # per chunk
    end: list[Any] = field(default_factory=list)
    diff: dict[tuple[int, int], Any] = field(default_factory=dict)  # group pair -> literal
    used: dict[tuple[int, int], Any] = field(default_factory=dict)  # (weight, core) -> literal
    energy: list[tuple[Any, float]] = field(default_factory=list)  # (literal, pJ)
    # open splits: x[g, c] = core c in the group's set; factor[g, f]; part[g, c, f]
    units: frozenset[int] = frozenset()
    factor: dict[tuple[int, int], Any] = field(default_factory=dict)
    part: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    weight_unit: dict[int, int] = field(default_factory=dict)  # weight -> open-split group
    makespan: Any = None
    objective: Any = None


def build_model(
    problem: AllocationProblem,
    data: ChunkData,
    capacity: bool,
    notes: list[str],
) -> tuple[cp_model.CpModel, ModelVars]:
    model = cp_model.CpModel()
    v = ModelVars()
    _assignment(model, v, data)
    horizon = _horizon(problem, data)
    makespan = v.makespan = model.new_int_var(0, horizon, "makespan")
    _chunks(model, v, data, horizon, makespan)
    _transfers(model, v, data)
    _weights(model, v, problem, data, capacity, notes)
    _dram_time(model, v, problem, data, makespan)
    reads, writes = unavoidable_dram_bits(problem)
    dram = problem.acc.dram
    fixed_pj = reads * dram.read_pj_per_bit + writes * dram.write_pj_per_bit
    e_max = (sum(abs(w) for _, w in v.energy) + fixed_pj) or 1.0
    unit = SCALE if problem.objective == "energy" else EDP_ENERGY_UNITS
    energy = sum(lit * round(w * unit / e_max) for lit, w in v.energy)
    energy += round(fixed_pj * unit / e_max)
    if problem.objective == "latency":
        objective: Any = makespan
    elif problem.objective == "energy":
        objective = energy
    else:  # the exact product of the model's latency and energy
        e_var = model.new_int_var(0, unit + len(v.energy), "energy")
        model.add(e_var == energy)
        objective = model.new_int_var(0, horizon * (unit + len(v.energy)), "edp")
        model.add_multiplication_equality(objective, [makespan, e_var])
    model.minimize(objective)
    v.objective = objective
    return model, v


def _assignment(model: cp_model.CpModel, v: ModelVars, data: ChunkData) -> None:
    if data.split is not None:
        v.units = frozenset(data.split.groups)
        add_split_vars(model, data.split, data.candidates, v.x, v.factor, v.part, v.energy)
    for g, cands in enumerate(data.candidates):
        if g in v.units:
            continue
        lits = [model.new_bool_var(f"x{g}_{c}") for c in cands]
        model.add_exactly_one(lits)
        for c, lit in zip(cands, lits, strict=True):
            v.x[(g, c)] = lit
            v.energy.append((lit, float(data.group_energy_pj[g, c])))


def _horizon(problem: AllocationProblem, data: ChunkData) -> int:
    dur = int(data.duration.max(axis=1).sum())
    comm = int((-(-data.pair_bits // data.route_bw_bits)).sum())
    w = problem.graph.weight_bits
    dram = int(w.sum() * len(problem.acc.cores)) // problem.acc.dram.read_bw_bits
    return dur + comm + int(data.release.max(initial=0)) + dram + 1


def _chunks(
    model: cp_model.CpModel, v: ModelVars, data: ChunkData, horizon: int, makespan: Any
) -> None:
    per_core: dict[int, list[Any]] = {}
    for k, g in enumerate(data.chunk_group.tolist()):
        s = model.new_int_var(int(data.release[k]), horizon, f"s{k}")
        e = model.new_int_var(0, horizon, f"e{k}")
        if data.split is not None and g in v.units:
            split_chunk(model, data.split, k, g, s, e, horizon, v.x, v.part, per_core)
        for c in data.candidates[g] if g not in v.units else ():
            d = int(data.duration[k, c])
            iv = model.new_optional_interval_var(s, d, e, v.x[(g, c)], f"i{k}_{c}")
            per_core.setdefault(c, []).append(iv)
        model.add(makespan >= e)
        if k > 0 and data.chunk_group[k - 1] == g:  # a group's chunks run in order
            model.add(s >= v.end[k - 1])
        v.start.append(s)
        v.end.append(e)
    for c in sorted(per_core):
        model.add_no_overlap(per_core[c])


def _transfers(model: cp_model.CpModel, v: ModelVars, data: ChunkData) -> None:
    """Different cores for producer and consumer cost link time and link energy."""
    pair_index: dict[tuple[int, int], int] = {}
    for n, (a, b) in enumerate(zip(data.pair_src.tolist(), data.pair_dst.tolist(), strict=True)):
        pair_index[(a, b)] = n
        diff = model.new_bool_var(f"d{a}_{b}")
        for c in sorted(set(data.candidates[a]) | set(data.candidates[b])):
            model.add(diff >= v.x.get((a, c), 0) - v.x.get((b, c), 0))
            if a in v.units or b in v.units:  # core sets: differ in either direction
                model.add(diff >= v.x.get((b, c), 0) - v.x.get((a, c), 0))
        for g in (a, b):  # a split layer's parts exchange data across cores
            if (g, 1) in v.factor:
                model.add(diff >= 1 - v.factor[(g, 1)])
        v.diff[(a, b)] = diff
        v.energy.append((diff, float(data.pair_bits[n]) * data.route_pj_per_bit))
        first = int(np.flatnonzero(data.chunk_group == a)[0])
        last = int(np.flatnonzero(data.chunk_group == b)[-1])
        bulk = -(-int(data.pair_bits[n]) // data.route_bw_bits)
        model.add(v.end[last] >= v.start[first] + bulk * diff)
    sizes = data.chunk_size
    for p, q, i, j in zip(data.edge_p, data.edge_q, data.edge_i, data.edge_j, strict=True):
        a, b = int(sizes[p]), int(sizes[q])
        sp, ep, sq, eq = v.start[p], v.end[p], v.start[q], v.end[q]
        lhs = a * b * sq + int(j) * a * (eq - sq)
        rhs = a * b * sp + (int(i) + 1) * b * (ep - sp)
        ga, gb = int(data.chunk_group[p]), int(data.chunk_group[q])
        k = pair_index.get((ga, gb))
        if k is not None:
            tt = -(-int(data.pair_max_bits[k]) // data.route_bw_bits)
            rhs = rhs + a * b * tt * v.diff[(ga, gb)]
        model.add(lhs >= rhs)


def _weights(
    model: cp_model.CpModel,
    v: ModelVars,
    problem: AllocationProblem,
    data: ChunkData,
    capacity: bool,
    notes: list[str],
) -> None:
    """Which cores hold which weight tensors, for the capacity constraints.

    DRAM reads of weights are counted once per tensor (in the constant part): the scheduler
    broadcasts a weight read to every core that needs it at the same time.
    """
    graph = problem.graph
    has_w = graph.weight >= 0
    pairs = np.unique(np.stack([graph.weight[has_w], graph.group[has_w]], axis=1), axis=0)
    for w in np.unique(pairs[:, 0]).tolist():
        for g in pairs[pairs[:, 0] == w, 1].tolist():
            if g in v.units:
                v.weight_unit[w] = g
            for c in data.candidates[g]:
                if (w, c) not in v.used:
                    v.used[(w, c)] = model.new_bool_var(f"u{w}_{c}")
                model.add_implication(v.x[(g, c)], v.used[(w, c)])
    if capacity:
        _capacity(model, v, problem, data, notes)


def _capacity(
    model: cp_model.CpModel,
    v: ModelVars,
    problem: AllocationProblem,
    data: ChunkData,
    notes: list[str],
) -> None:
    graph, acc = problem.graph, problem.acc
    caps = [_weight_capacity(core) for core in acc.cores]
    for n, stack in enumerate(graph.stacks):
        in_stack = np.isin(graph.layer, np.array(stack)) & (graph.weight >= 0)
        weights = np.unique(graph.weight[in_stack]).tolist()
        if int(graph.weight_bits[weights].sum()) > sum(caps):
            notes.append(
                f"stack {n}: its weights exceed all weight memories; capacity not enforced"
            )
            continue
        for c, cap in enumerate(caps):
            # a weight larger than the memory is streamed from DRAM by its CNs, never held
            held = [w for w in weights if (w, c) in v.used and int(graph.weight_bits[w]) <= cap]
            if held:
                model.add(sum(_held(v, data, problem, w, c) for w in held) <= cap)


def _held(v: ModelVars, data: ChunkData, problem: AllocationProblem, w: int, c: int) -> Any:
    """Bits of weight tensor ``w`` core ``c`` holds (a part of it when its layer is split)."""
    bits = int(problem.graph.weight_bits[w])
    g = v.weight_unit.get(w)
    if g is None or data.split is None:
        return v.used[(w, c)] * bits
    return held_weight_bits(data.split, g, c, bits, v.part)


def _weight_capacity(core: Any) -> int:
    try:
        return int(core.top_memory("W").size_bits)
    except IndexError:
        return 0


def _dram_time(
    model: cp_model.CpModel,
    v: ModelVars,
    problem: AllocationProblem,
    data: ChunkData,
    makespan: Any,
) -> None:
    """The DRAM port(s) must carry every weight and graph input once and every graph output
    (with open splits, plus what each chosen factor fetches or streams beyond the least)."""
    dram = problem.acc.dram
    reads, writes = unavoidable_dram_bits(problem)
    more: Any = 0
    if data.split is not None:
        sd = data.split
        more = sum(
            v.factor[(g, f)] * int(sd.extra_port_bits[u, f - 1])
            for u, g in enumerate(sd.groups)
            for f in sd.factors[u]
        )
    if dram.ports == "shared":
        bw = min(dram.read_bw_bits, dram.write_bw_bits)
        model.add(makespan * bw >= reads + writes + more)
    else:
        model.add(makespan * dram.read_bw_bits >= reads + more)
        model.add(makespan * dram.write_bw_bits >= writes)


def decision_of(v: ModelVars, start: NDArray[np.int32], value: Any) -> NDArray[np.int32]:
    """The allocation (a decision with open splits) a solution's assignment literals make."""
    alloc = start.copy()
    for g in v.units:
        alloc[g] = 0
    for (g, c), lit in v.x.items():
        if value(lit):
            alloc[g] = alloc[g] | (1 << c) if g in v.units else c
    return alloc
