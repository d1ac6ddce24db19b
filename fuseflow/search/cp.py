"""Constraint-optimised allocation with OR-Tools CP-SAT (licence-free WACO, improved)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from fuseflow.search.bounds import unavoidable_dram_bits
from fuseflow.search.cp_data import ChunkData, chunk_data
from fuseflow.search.cp_split import add_split_vars, decision_bit, held_weight_bits, split_chunk
from fuseflow.search.problem import AllocationProblem
from fuseflow.search.track import Progress

SCALE = 1_000_000_000  # integer resolution of the energy objective
EDP_ENERGY_UNITS = 100_000  # resolution of energy inside the EDP product


@dataclass(frozen=True)
class CpSettings:
    """``chunks_per_group``: intervals per group (more = finer pipelining, larger model).
    ``subsolvers``: CP-SAT workers interleaved on one thread (deterministic)."""

    chunks_per_group: int = 8
    deterministic_seconds: float = 10.0  # when the budget has no seconds
    subsolvers: int = 8
    weight_capacity: bool = True
    rescored: int = 16  # how many of the last incumbents (and pool) the scheduler re-scores
    polish: bool = True  # then improve by single-group moves scored by the scheduler
    polish_share: float = 0.3  # of a time budget kept for polishing
    hint_share: float = 0.1  # of the solver's time spent timing the warm start
    pool_size: int = 8  # other allocations within pool_gap of the model's best, re-scored
    pool_gap: float = 0.05
    pool_share: float = 0.2  # of the solver's time spent collecting them


@dataclass(frozen=True)
class CpOutcome:
    allocation: NDArray[np.int32] | None  # the model's best
    incumbents: tuple[NDArray[np.int32], ...]  # every improving solution, last = best
    status: str
    surrogate: float  # the model's objective of the allocation
    notes: tuple[str, ...] = ()


@dataclass
class _Vars:
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


def solve_cp(
    problem: AllocationProblem,
    start: NDArray[np.int32],
    seed: int,
    seconds: float | None,
    settings: CpSettings = CpSettings(),
    progress: Progress | None = None,
) -> CpOutcome:
    """Solve the chunked model for ``problem.objective``, warm-started from ``start``.

    ``seconds`` (from a time budget) limits the wall clock; without it the solver stops after
    ``settings.deterministic_seconds`` of CP-SAT *deterministic* time, so the answer depends on
    the seed only (on large models deterministic time can run far slower than the clock).
    """
    data = chunk_data(problem, settings.chunks_per_group)
    notes: list[str] = []
    for capacity in (settings.weight_capacity, False):
        model, v = _build(problem, data, capacity, notes)
        limit = seconds if seconds is not None else settings.deterministic_seconds
        share = settings.hint_share
        if not _complete_hint(model, v, start, seed, _Limit(limit * share, seconds is not None)):
            _hint(model, v, data, start)
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.random_seed = seed
        p.num_workers = settings.subsolvers
        p.interleave_search = True
        share += settings.pool_share
        _Limit(limit * (1.0 - share), seconds is not None).apply(solver)
        callback = _Report(progress, v, start)
        status = solver.solve(model, callback)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            alloc = _decision(v, start, solver.boolean_value)
            pool_limit = _Limit(limit * settings.pool_share, seconds is not None)
            bound = math.floor(solver.objective_value * (1.0 + settings.pool_gap))
            pool = _near_optimal(problem, data, capacity, alloc, bound, seed, settings, pool_limit)
            found = (*callback.found, *pool, alloc)
            name = solver.status_name(status)
            return CpOutcome(alloc, found, name, solver.objective_value, tuple(notes))
        if not capacity:
            break
        notes.append("no allocation meets the weight capacities; solved without them")
    return CpOutcome(None, (), solver.status_name(status), math.nan, tuple(notes))


def model_estimate(
    problem: AllocationProblem, allocation: NDArray[np.int32], settings: CpSettings = CpSettings()
) -> tuple[int, float]:
    """The model's (latency_cycles, energy_pj) of one allocation (for checks and calibration)."""
    data = chunk_data(problem, settings.chunks_per_group)
    model, v = _build(problem, data, False, [])
    for (g, c), lit in v.x.items():
        model.add(lit == int(decision_bit(int(allocation[g]), c, g in v.units)))
    model.minimize(v.makespan)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = settings.deterministic_seconds
    solver.solve(model)
    reads, writes = unavoidable_dram_bits(problem)
    dram = problem.acc.dram
    energy = reads * dram.read_pj_per_bit + writes * dram.write_pj_per_bit
    energy += sum(w * solver.value(lit) for lit, w in v.energy)
    return int(solver.value(v.makespan)), float(energy)


class _Report(cp_model.CpSolverSolutionCallback):
    """Keeps every improving solution (they are re-scored by the scheduler) and reports."""

    def __init__(self, progress: Progress | None, v: _Vars, start: NDArray[np.int32]) -> None:
        super().__init__()
        self.progress = progress
        self.v = v
        self.start = start
        self.found: list[NDArray[np.int32]] = []

    def on_solution_callback(self) -> None:
        alloc = _decision(self.v, self.start, self.boolean_value)
        self.found.append(alloc)
        if self.progress is not None:
            self.progress.update(len(self.found), self.objective_value)


def _build(
    problem: AllocationProblem,
    data: ChunkData,
    capacity: bool,
    notes: list[str],
) -> tuple[cp_model.CpModel, _Vars]:
    model = cp_model.CpModel()
    v = _Vars()
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


def _assignment(model: cp_model.CpModel, v: _Vars, data: ChunkData) -> None:
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
    model: cp_model.CpModel, v: _Vars, data: ChunkData, horizon: int, makespan: Any
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


def _transfers(model: cp_model.CpModel, v: _Vars, data: ChunkData) -> None:
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
    v: _Vars,
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
    v: _Vars,
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


def _held(v: _Vars, data: ChunkData, problem: AllocationProblem, w: int, c: int) -> Any:
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
    model: cp_model.CpModel, v: _Vars, problem: AllocationProblem, data: ChunkData, makespan: Any
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


@dataclass(frozen=True)
class _Limit:
    """A solver time limit: wall seconds, or deterministic time (reproducible)."""

    amount: float
    wall: bool

    def apply(self, solver: cp_model.CpSolver) -> None:
        if self.wall:
            solver.parameters.max_time_in_seconds = max(self.amount, 0.05)
        else:
            solver.parameters.max_deterministic_time = max(self.amount, 0.05)


def _complete_hint(
    model: cp_model.CpModel, v: _Vars, start: NDArray[np.int32], seed: int, limit: _Limit
) -> bool:
    """Hint every variable with the model's schedule of ``start`` (a full, feasible warm start).

    A copy of the model with the assignment fixed to ``start`` is solved first (timing only,
    one worker); its solution becomes the hint, so the search begins with an incumbent.
    """
    fixed = model.clone()
    for (g, c), lit in v.x.items():
        want = int(decision_bit(int(start[g]), c, g in v.units))
        fixed.add(fixed.get_bool_var_from_proto_index(lit.index) == want)
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    limit.apply(solver)
    if solver.solve(fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    values = solver.response_proto.solution
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)
    return True


def _near_optimal(
    problem: AllocationProblem,
    data: ChunkData,
    capacity: bool,
    best: NDArray[np.int32],
    bound: int,
    seed: int,
    settings: CpSettings,
    limit: _Limit,
) -> list[NDArray[np.int32]]:
    """Up to ``pool_size`` other allocations whose model objective is at most ``bound``.

    The model is a surrogate of the scheduler: allocations it ranks (nearly) equal can differ
    in the real schedule, so the best few are all re-scored (Stream's WACO kept a Gurobi
    solution pool for the same reason). Each is found by a feasibility solve that excludes the
    allocations found before.
    """
    model, v = _build(problem, data, capacity, [])
    model.clear_objective()
    model.add(v.objective <= bound)
    found: list[NDArray[np.int32]] = []
    alloc = best
    for _ in range(settings.pool_size):
        lits = [
            lit if decision_bit(int(alloc[g]), c, g in v.units) else ~lit
            for (g, c), lit in v.x.items()
        ]
        model.add(sum(lits) <= len(lits) - 1)  # not this allocation again
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = 1
        _Limit(limit.amount / settings.pool_size, limit.wall).apply(solver)
        if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        alloc = _decision(v, best, solver.boolean_value)
        found.append(alloc)
    return found


def _hint(model: cp_model.CpModel, v: _Vars, data: ChunkData, start: NDArray[np.int32]) -> None:
    for (g, c), lit in v.x.items():
        model.add_hint(lit, decision_bit(int(start[g]), c, g in v.units))
    for (a, b), lit in v.diff.items():
        model.add_hint(lit, int(start[a]) != int(start[b]))


def _decision(v: _Vars, start: NDArray[np.int32], value: Any) -> NDArray[np.int32]:
    """The allocation (a decision with open splits) a solution's assignment literals make."""
    alloc = start.copy()
    for g in v.units:
        alloc[g] = 0
    for (g, c), lit in v.x.items():
        if value(lit):
            alloc[g] = alloc[g] | (1 << c) if g in v.units else c
    return alloc
