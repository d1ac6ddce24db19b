"""Local search with the real scheduler: move one group to another core while it helps."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.search.evaluate import ScoreCache
from fuseflow.search.problem import AllocationProblem, BudgetClock, Candidate
from fuseflow.search.splits import set_neighbours
from fuseflow.search.track import Tracker


def polish(
    problem: AllocationProblem,
    cache: ScoreCache,
    tracker: Tracker,
    clock: BudgetClock,
    start: Candidate,
    batch: int = 8,
) -> Candidate:
    """First-improvement descent over single-group moves, scored in batches (deterministic).

    Moves are tried group by group in order; a batch of ``batch`` moves is scored together
    (in parallel when the cache has workers) and the best improving one is taken. Stops at a
    local optimum or when the budget ends.
    """
    best = start
    improved = True
    while improved and not clock.exhausted(cache.evaluations):
        improved = False
        moves = neighbour_moves(problem, best.allocation)
        for k in range(0, len(moves), batch):
            if clock.exhausted(cache.evaluations):
                break
            left = clock.remaining_evaluations(cache.evaluations)
            chunk = moves[k : k + (batch if left is None else min(batch, left))]
            scored = cache.score(chunk)
            tracker.add(scored, cache.evaluations)
            top = min(scored, key=lambda c: c.value(problem.objective))
            if top.value(problem.objective) < best.value(problem.objective):
                best, improved = top, True
                break
    return best


def neighbour_moves(
    problem: AllocationProblem, alloc: NDArray[np.int32]
) -> list[NDArray[np.int32]]:
    """Every other allowed core of one group; for a core-set gene (open split), its set with
    one core added or dropped."""
    near = set_neighbours(problem)
    out = []
    for i, g in enumerate(problem.free.tolist()):
        values = problem.choices[i]
        if i in near:
            values = tuple(values[k] for k in near[i][values.index(int(alloc[g]))].tolist())
        for c in values:
            if c != alloc[g]:
                move = alloc.copy()
                move[g] = c
                out.append(move)
    return out
