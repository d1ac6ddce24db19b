"""``search_allocation``: one entry point for greedy, GA and CP allocation search."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from fuseflow.errors import InputError
from fuseflow.search.bounds import lower_bounds
from fuseflow.search.cp import CpSettings, solve_cp
from fuseflow.search.evaluate import EvaluatorFactory, ScoreCache, scheduler_evaluator
from fuseflow.search.ga import GaSettings, run_ga
from fuseflow.search.local import polish
from fuseflow.search.problem import (
    ALGORITHMS,
    AllocationProblem,
    Budget,
    BudgetClock,
    Candidate,
    SearchResult,
)
from fuseflow.search.splits import single_core_decision, spread_starts, without_splits
from fuseflow.search.track import Progress, Tracker, progress_bar

DEFAULT_BUDGET = Budget(evaluations=500)
DEFAULT_CP = CpSettings()


def search_allocation(
    problem: AllocationProblem,
    algorithm: str = "greedy",
    budget: Budget = DEFAULT_BUDGET,
    seed: int = 0,
    *,
    workers: int = 1,
    pareto: bool = False,
    stream_compat: bool = False,
    ga: GaSettings | None = None,
    cp: CpSettings = DEFAULT_CP,
    start: NDArray[np.int32] | None = None,
    evaluator: EvaluatorFactory = scheduler_evaluator,
    progress: bool = False,
) -> SearchResult:
    """Search an allocation of ``problem`` and return the best one found, scored by ``evaluator``.

    ``greedy`` scores the greedy allocation (or ``start``); ``ga`` runs NSGA-II (Stream's
    configuration with ``stream_compat=True``; ``pareto=True`` keeps the latency/energy front);
    ``cp`` solves the CP-SAT model warm-started from the greedy allocation and re-scores its
    answer with the scheduler. Ctrl-C ends any search with the best allocation so far.

    >>> result = search_allocation(problem, "ga", Budget(evaluations=200), seed=1)  # doctest: +SKIP
    >>> result.allocation, result.latency_cycles, result.gap                       # doctest: +SKIP
    """
    if algorithm not in ALGORITHMS:
        raise InputError(f"unknown allocator {algorithm!r}; use one of {', '.join(ALGORITHMS)}")
    if stream_compat and problem.splits is not None:
        problem = without_splits(problem)  # Stream's GA never splits a `K, *` layer
    clock = BudgetClock(budget)
    bounds = lower_bounds(problem)
    notes: list[str] = []
    if start is None:
        start, note = initial_allocation(problem)
        notes.extend(note)
    interrupted = False
    total = budget.evaluations if algorithm == "ga" else None
    with (
        ScoreCache(problem, evaluator, workers=workers) as cache,
        progress_bar(progress, f"{algorithm} allocation", total) as bar,
    ):
        tracker = Tracker(problem.objective, bar)
        try:
            starts = [start]
            if algorithm != "greedy":  # open splits: also every layer split over f cores
                starts += spread_starts(problem, start)
                starts = starts[: max(1, clock.remaining_evaluations(0) or len(starts))]
            tracker.add(cache.score(starts), cache.evaluations)
            if algorithm == "ga" and problem.n_genes:
                settings = ga or (
                    GaSettings.stream() if stream_compat else GaSettings(pareto=pareto)
                )
                run_ga(problem, cache, tracker, clock, seed, settings, starts)
            elif algorithm == "cp" and problem.n_genes:
                assert tracker.best is not None  # the best start is the warm start
                first = tracker.best.allocation
                notes.extend(_run_cp(problem, cache, tracker, clock, seed, first, cp, bar))
        except KeyboardInterrupt:
            interrupted = True
            tracker.add(cache.scored(), cache.evaluations)
        evaluations = cache.evaluations
    assert tracker.best is not None
    result = SearchResult(
        algorithm=algorithm,
        objective=problem.objective,
        seed=seed,
        best=tracker.best,
        evaluations=evaluations,
        seconds=clock.elapsed(),
        history=tuple(tracker.history),
        bounds=bounds,
        pareto=tracker.pareto() if pareto or stream_compat else (),
        interrupted=interrupted,
        notes=tuple(notes),
    )
    return _decoded(problem, result)


def _decoded(problem: AllocationProblem, result: SearchResult) -> SearchResult:
    """A split search's result in terms of the chosen split graph (allocations per group of
    that graph, split factors, the graph and its costs); other results unchanged."""
    space = problem.splits
    if space is None:
        return result

    def decode(c: Candidate) -> Candidate:
        made, alloc = space.decode(c.allocation)
        return Candidate(alloc, c.latency_cycles, c.energy_pj, made.factors)

    made, _ = space.decode(result.best.allocation)
    return dataclasses.replace(
        result,
        best=decode(result.best),
        pareto=tuple(decode(c) for c in result.pareto),
        split_layers=space.layers,
        graph=made.graph,
        costs=made.costs,
    )


def _run_cp(
    problem: AllocationProblem,
    cache: ScoreCache,
    tracker: Tracker,
    clock: BudgetClock,
    seed: int,
    start: NDArray[np.int32],
    settings: CpSettings,
    bar: Progress,
) -> list[str]:
    """Solve the model, re-score its last incumbents with the scheduler, then polish."""
    assert tracker.best is not None
    seconds = clock.remaining_seconds()
    if seconds is not None and settings.polish:
        seconds *= 1.0 - settings.polish_share
    out = solve_cp(problem, start, seed, seconds, settings, bar)
    notes = [*out.notes, f"cp: {out.status}, surrogate objective {out.surrogate:.6g}"]
    if out.allocation is None:
        notes.append("cp model: no solution within its time; the best start goes on")
    elif not clock.exhausted(cache.evaluations):
        model_best = cache.score([out.allocation])[0]
        tracker.add([model_best], cache.evaluations)
        notes.append(f"cp model answer: {model_best.value(problem.objective):.6g}")
        new = [a for a in out.incumbents[-settings.rescored :] if not cache.known(a)]
        others = list({a.tobytes(): a for a in new}.values())  # each new one once, in order
        left = clock.remaining_evaluations(cache.evaluations)
        if left is not None:  # within an evaluation budget: the last (best) incumbents first
            others = others[len(others) - left :] if left else []
        tracker.add(cache.score(others), cache.evaluations)
    if settings.polish and tracker.best is not None:
        polish(problem, cache, tracker, clock, tracker.best)  # stops at the budget itself
    return notes


def initial_allocation(problem: AllocationProblem) -> tuple[NDArray[np.int32], list[str]]:
    """The greedy earliest-finish allocation of the scheduler step, or a load-balancing
    stand-in while that is not available."""
    try:
        from fuseflow.search.greedy import greedy_allocation
    except ImportError:
        start = balanced_allocation(without_splits(problem))
        return single_core_decision(problem, start), ["greedy allocator missing: balanced start"]
    alloc = greedy_allocation(problem.graph, problem.costs)
    return single_core_decision(problem, alloc), []


def balanced_allocation(problem: AllocationProblem) -> NDArray[np.int32]:
    """Groups in order, each on the candidate core that would finish its work earliest."""
    graph, lat = problem.graph, problem.costs.latency_cycles
    work = np.zeros((graph.n_groups, lat.shape[1]), dtype=np.int64)
    np.add.at(work, graph.group, np.maximum(lat[graph.shape], 0))
    load = np.zeros(lat.shape[1], dtype=np.int64)
    alloc = problem.base.copy()
    for g in range(graph.n_groups):
        load[alloc[g]] += work[g, alloc[g]] if g not in problem.free else 0
    for i, g in enumerate(problem.free.tolist()):
        cands = problem.choices[i]
        c = min(cands, key=lambda c: (load[c] + work[g, c], c))
        alloc[g] = c
        load[c] += work[g, c]
    return alloc
