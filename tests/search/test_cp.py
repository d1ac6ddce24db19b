"""CP-SAT allocation: optimum of tiny instances, warm start, determinism."""

import math

import numpy as np
import pytest
from alloc_instances import BRUTE_FORCE_SPEC as SPEC
from alloc_instances import Spec, brute_force, build, check_rescored, evaluator_factory

from fuseflow.search import api as search_api
from fuseflow.search.api import search_allocation
from fuseflow.search.cp import CpOutcome, CpSettings, solve_cp
from fuseflow.search.local import neighbour_moves
from fuseflow.search.problem import Budget, make_problem

FAST = CpSettings(deterministic_seconds=2.0)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
def test_cp_finds_the_optimum(objective: str) -> None:
    problem = make_problem(*build(SPEC), objective)
    factory = evaluator_factory()
    optimum = min(c.value(problem.objective) for c in brute_force(problem, factory))
    result = search_allocation(
        problem, "cp", Budget(evaluations=60), seed=0, cp=FAST, evaluator=factory
    )
    assert result.best.value(problem.objective) == pytest.approx(optimum)
    assert result.evaluations <= 60
    check_rescored(problem, result.best)


def test_cp_without_polish_is_never_worse_than_its_warm_start() -> None:
    problem = make_problem(*build(SPEC), "latency")
    factory = evaluator_factory()
    greedy = search_allocation(problem, "greedy", evaluator=factory)
    cp = search_allocation(
        problem, "cp", seed=0, cp=CpSettings(deterministic_seconds=1.0, polish=False),
        evaluator=factory,
    )  # fmt: skip
    assert cp.latency_cycles <= greedy.latency_cycles
    assert any("cp model answer" in n for n in cp.notes)


def test_cp_is_deterministic() -> None:
    problem = make_problem(*build(SPEC), "edp")
    factory = evaluator_factory()
    a, b = (
        search_allocation(problem, "cp", Budget(evaluations=30), seed=4, cp=FAST, evaluator=factory)
        for _ in range(2)
    )
    assert np.array_equal(a.allocation, b.allocation)
    assert a.history == b.history


def _capacity_spec(capacity_bits: int) -> Spec:
    # three layers, one group each, three equal cores; every weight tensor is 512 bits
    return Spec(
        tiles=(2, 2, 2),
        n_cores=3,
        latency=((10, 10, 10),) * 3,
        energy=((1.0, 1.0, 1.0),) * 3,
        allowed=((0, 1, 2),) * 3,
        weight_capacity_bits=capacity_bits,
    )


def test_cp_keeps_held_weights_within_each_core_memory() -> None:
    problem = make_problem(*build(_capacity_spec(512)), "energy")  # one weight per core
    start = np.zeros(problem.graph.n_groups, dtype=np.int32)  # all on core 0: over capacity
    out = solve_cp(problem, start, 0, None, CpSettings(deterministic_seconds=1.0))
    assert out.allocation is not None
    assert sorted(out.allocation.tolist()) == [0, 1, 2]
    assert not any("capacities" in n for n in out.notes)


def test_cp_weights_larger_than_a_memory_are_streamed_not_infeasible() -> None:
    problem = make_problem(*build(_capacity_spec(256)), "energy")
    start = np.zeros(problem.graph.n_groups, dtype=np.int32)
    out = solve_cp(problem, start, 0, None, CpSettings(deterministic_seconds=1.0))
    assert out.allocation is not None
    assert not any("capacities" in n for n in out.notes)


def test_cp_polishes_its_start_when_the_model_finds_nothing_in_time(monkeypatch) -> None:
    problem = make_problem(*build(SPEC), "latency")
    factory = evaluator_factory()
    greedy = search_allocation(problem, "greedy", evaluator=factory)
    # a model too large for its time: CP-SAT returns UNKNOWN without a solution
    nothing = CpOutcome(None, (), "UNKNOWN", math.nan)
    monkeypatch.setattr(search_api, "solve_cp", lambda *args, **kwargs: nothing)
    result = search_allocation(
        problem, "cp", Budget(evaluations=60), seed=0, cp=FAST, evaluator=factory
    )
    assert any("no solution within its time" in n for n in result.notes)
    assert 1 < result.evaluations <= 60  # the polish scored moves from the start
    assert result.latency_cycles <= greedy.latency_cycles
    score = factory(problem)  # the polish ended at a local optimum: no single move improves
    for move in neighbour_moves(problem, result.allocation):
        assert score(move)[0] >= result.latency_cycles
    check_rescored(problem, result.best)
