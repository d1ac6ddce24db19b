"""Constraint-optimised allocation with OR-Tools CP-SAT (licence-free WACO, improved)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from fuseflow.search.bounds import unavoidable_dram_bits
from fuseflow.search.cp_build import ModelVars, build_model, decision_of
from fuseflow.search.cp_data import ChunkData, chunk_data
from fuseflow.search.cp_split import decision_bit
from fuseflow.search.problem import AllocationProblem
from fuseflow.search.track import Progress


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
        model, v = build_model(problem, data, capacity, notes)
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
            alloc = decision_of(v, start, solver.boolean_value)
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
    model, v = build_model(problem, data, False, [])
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

    def __init__(self, progress: Progress | None, v: ModelVars, start: NDArray[np.int32]) -> None:
        super().__init__()
        self.progress = progress
        self.v = v
        self.start = start
        self.found: list[NDArray[np.int32]] = []

    def on_solution_callback(self) -> None:
        alloc = decision_of(self.v, self.start, self.boolean_value)
        self.found.append(alloc)
        if self.progress is not None:
            self.progress.update(len(self.found), self.objective_value)


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
    model: cp_model.CpModel, v: ModelVars, start: NDArray[np.int32], seed: int, limit: _Limit
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
    model, v = build_model(problem, data, capacity, [])
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
        alloc = decision_of(v, best, solver.boolean_value)
        found.append(alloc)
    return found


def _hint(model: cp_model.CpModel, v: ModelVars, data: ChunkData, start: NDArray[np.int32]) -> None:
    for (g, c), lit in v.x.items():
        model.add_hint(lit, decision_bit(int(start[g]), c, g in v.units))
    for (a, b), lit in v.diff.items():
        model.add_hint(lit, int(start[a]) != int(start[b]))
