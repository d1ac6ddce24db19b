"""NSGA-II allocation: finds the optimum of tiny instances, seeded, worker-independent."""

import numpy as np
import pytest
from alloc_instances import BRUTE_FORCE_SPEC as SPEC
from alloc_instances import brute_force, build, check_rescored, evaluator_factory

from fuseflow.search.api import search_allocation
from fuseflow.search.ga import GaSettings
from fuseflow.search.problem import Budget, make_problem


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
def test_ga_finds_the_optimum(objective: str) -> None:
    problem = make_problem(*build(SPEC), objective)
    factory = evaluator_factory()
    optimum = min(c.value(problem.objective) for c in brute_force(problem, factory))
    result = search_allocation(problem, "ga", Budget(evaluations=150), seed=1, evaluator=factory)
    assert problem.space_size == 648
    assert result.evaluations <= 150
    assert result.best.value(problem.objective) == pytest.approx(optimum)
    assert result.history[-1][1] == pytest.approx(optimum)
    check_rescored(problem, result.best)


def test_same_seed_same_answer_with_one_or_two_workers() -> None:
    problem = make_problem(*build(SPEC), "edp")
    factory = evaluator_factory()
    runs = [
        search_allocation(
            problem, "ga", Budget(evaluations=40), seed=7, workers=w, evaluator=factory
        )
        for w in (1, 2, 1)
    ]
    for r in runs[1:]:
        assert np.array_equal(r.allocation, runs[0].allocation)
        assert r.history == runs[0].history
        assert (r.latency_cycles, r.energy_pj, r.evaluations) == (
            runs[0].latency_cycles,
            runs[0].energy_pj,
            runs[0].evaluations,
        )


def test_stream_configuration_and_pareto_front() -> None:
    problem = make_problem(*build(SPEC), "latency")
    settings = GaSettings.stream(individuals=8, generations=3)
    assert (settings.population, settings.offspring, settings.initial) == (4, 8, 8)
    assert (settings.crossover_prob, settings.mutation_prob) == (0.3, 0.7)
    result = search_allocation(
        problem, "ga", Budget(), seed=3, ga=settings, pareto=True, evaluator=evaluator_factory()
    )
    assert result.evaluations <= 1 + 8 + 3 * 8
    front = result.pareto
    assert front
    lat = [c.latency_cycles for c in front]
    energy = [c.energy_pj for c in front]
    assert lat == sorted(lat) and energy == sorted(energy, reverse=True)
    assert min(lat) == result.latency_cycles
