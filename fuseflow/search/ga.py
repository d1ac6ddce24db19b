"""NSGA-II allocation search (pymoo, ask-tell): genes index each free group's allowed cores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.crossover import Crossover
from pymoo.core.evaluator import Evaluator as PymooEvaluator
from pymoo.core.mutation import Mutation
from pymoo.core.problem import Problem
from pymoo.core.termination import NoTermination
from pymoo.problems.static import StaticProblem

from fuseflow.search.evaluate import ScoreCache
from fuseflow.search.problem import AllocationProblem, BudgetClock, Candidate
from fuseflow.search.splits import set_neighbours
from fuseflow.search.track import Tracker

STALL_GENERATIONS = 25  # stop when this many generations in a row bring no new candidate


@dataclass(frozen=True)
class GaSettings:
    """NSGA-II settings. ``population`` survivors (mu) per generation, ``offspring`` (lambda)
    new candidates per generation, ``initial`` random candidates to start from.

    ``GaSettings.stream()`` is Stream's GA configuration (DEAP eaMuPlusLambda with
    mu = individuals / 2, lambda = individuals, crossover 0.3, mutation 0.7, NSGA-II selection
    on (latency, energy)) for a like-for-like comparison.
    """

    population: int = 16
    offspring: int | None = None  # None: equal to population
    initial: int | None = None  # None: equal to population
    generations: int | None = None  # None: until the budget ends
    crossover_prob: float = 0.9
    mutation_prob: float = 0.9
    gene_mutation_prob: float | None = None  # None: 1 / number of genes
    pareto: bool = False  # select on (latency, energy) instead of the problem's objective

    @staticmethod
    def stream(individuals: int = 16, generations: int | None = 10) -> GaSettings:
        return GaSettings(
            population=max(1, individuals // 2),
            offspring=individuals,
            initial=individuals,
            generations=generations,
            crossover_prob=0.3,
            mutation_prob=0.7,
            pareto=True,
        )


class _UniformCrossover(Crossover):
    """Each gene from either parent (a gene is an index into the same allowed list in both)."""

    def __init__(self, prob: float) -> None:
        super().__init__(2, 2, prob=prob)

    def _do(self, problem: Any, X: Any, *args: Any, random_state: Any = None, **kwargs: Any) -> Any:
        take_first = random_state.random(X.shape[1:]) < 0.5
        return np.stack([np.where(take_first, X[0], X[1]), np.where(take_first, X[1], X[0])])


class _PointMutation(Mutation):
    """Each gene, with probability ``gene_prob``, moves to a different allowed core; a core-set
    gene (open split) adds or drops one core of its set (``neighbours[gene][value]``)."""

    def __init__(
        self,
        prob: float,
        gene_prob: float,
        sizes: NDArray[np.int64],
        neighbours: dict[int, list[NDArray[np.int64]]] | None = None,
    ) -> None:
        super().__init__(prob=prob)
        self.gene_prob = gene_prob
        self.sizes = sizes
        self.neighbours = neighbours or {}

    def _do(self, problem: Any, X: Any, *args: Any, random_state: Any = None, **kwargs: Any) -> Any:
        X = X.astype(np.int64)
        flip = random_state.random(X.shape) < self.gene_prob
        step = (random_state.random(X.shape) * (self.sizes - 1)).astype(np.int64) + 1
        out = np.where(flip, (X + step) % self.sizes, X)
        if not self.neighbours:  # no core-set genes: no further draws (runs stay as before)
            return out
        pick = random_state.random(X.shape)
        for i, table in self.neighbours.items():
            for row in np.flatnonzero(flip[:, i]).tolist():
                near = table[int(X[row, i])]
                out[row, i] = near[int(pick[row, i] * near.size)]
        return out


def run_ga(
    problem: AllocationProblem,
    cache: ScoreCache,
    tracker: Tracker,
    clock: BudgetClock,
    seed: int,
    settings: GaSettings,
    start: list[NDArray[np.int32]],
) -> None:
    """Evolve allocations until the budget, the generation limit or stagnation ends the run.

    ``start`` allocations (e.g. the greedy one) join the random initial population.
    Results go to ``tracker``; Ctrl-C propagates to the caller with the tracker up to date.
    """
    sizes = np.array([len(c) for c in problem.choices], dtype=np.int64)
    n_obj = 2 if settings.pareto else 1
    space = Problem(n_var=problem.n_genes, n_obj=n_obj, xl=0, xu=sizes - 1, vtype=int)
    algorithm = NSGA2(
        pop_size=settings.population,
        n_offsprings=settings.offspring or settings.population,
        sampling=_initial(problem, sizes, seed, settings, start),
        crossover=_UniformCrossover(settings.crossover_prob),
        mutation=_PointMutation(
            settings.mutation_prob,
            settings.gene_mutation_prob or 1.0 / len(sizes),
            sizes,
            set_neighbours(problem),
        ),
        eliminate_duplicates=True,
    )
    algorithm.setup(space, termination=NoTermination(), seed=seed, verbose=False)
    generation, stalled = 0, 0
    while settings.generations is None or generation <= settings.generations:
        pop = algorithm.ask()
        genomes = pop.get("X").astype(np.int64)
        allocs = [problem.allocation(x) for x in genomes]
        before = cache.evaluations
        scored = _score_within_budget(cache, clock, allocs)
        tracker.add(scored, cache.evaluations)
        if len(scored) < len(allocs):
            return  # budget ended inside this generation
        F = np.array([_fitness(c, problem, settings.pareto) for c in scored])
        PymooEvaluator().eval(StaticProblem(space, F=F), pop)
        algorithm.tell(infills=pop)
        generation += 1
        stalled = stalled + 1 if cache.evaluations == before else 0
        if stalled >= STALL_GENERATIONS or cache.evaluations >= problem.space_size:
            return


def _initial(
    problem: AllocationProblem,
    sizes: NDArray[np.int64],
    seed: int,
    settings: GaSettings,
    start: list[NDArray[np.int32]],
) -> NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    n = max(settings.initial or settings.population, len(start))
    rows = [problem.genome(a) for a in start]
    random = (rng.random((n - len(rows), len(sizes))) * sizes).astype(np.int64)
    return np.vstack([np.array(rows, dtype=np.int64).reshape(-1, len(sizes)), random])


def _score_within_budget(
    cache: ScoreCache, clock: BudgetClock, allocs: list[NDArray[np.int32]]
) -> list[Candidate]:
    """Score a batch; when the budget cannot take all new candidates, score only a prefix."""
    if clock.exhausted(cache.evaluations):
        return []
    left = clock.remaining_evaluations(cache.evaluations)
    if left is None:
        return cache.score(allocs)
    new: set[bytes] = set()
    keep = 0
    for a in allocs:
        key = a.tobytes()
        if not cache.known(a) and key not in new:
            if len(new) == left:
                break
            new.add(key)
        keep += 1
    return cache.score(allocs[:keep])


def _fitness(c: Candidate, problem: AllocationProblem, pareto: bool) -> list[float]:
    if pareto:
        return [float(c.latency_cycles), c.energy_pj]
    return [c.value(problem.objective)]
