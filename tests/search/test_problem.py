"""Allocation problem, genome encoding and budget parsing."""

import numpy as np
import pytest
from alloc_instances import Spec, build

from fuseflow.errors import InputError
from fuseflow.search.problem import Budget, make_problem

SPEC = Spec(
    tiles=(2, 2, 1),
    n_cores=3,
    latency=((10, 20, -1), (30, 10, 10), (5, 5, 5)),
    energy=((1, 2, 3), (3, 1, 1), (1, 1, 1)),
    allowed=((0, 1, 2), (1, 2), (2,)),
)


def test_free_groups_and_choices_skip_uncosted_cores() -> None:
    problem = make_problem(*build(SPEC), "latency")
    assert problem.free.tolist() == [0, 1]
    assert problem.choices == ((0, 1), (1, 2))  # core 2 has no cost for layer 0
    assert problem.base.tolist()[2] == 2
    assert problem.space_size == 4


def test_genome_round_trip() -> None:
    problem = make_problem(*build(SPEC), "energy")
    alloc = problem.allocation(np.array([1, 1]))
    assert alloc.tolist() == [1, 2, 2]
    assert problem.genome(alloc).tolist() == [1, 1]
    with pytest.raises(InputError, match="group 0"):
        problem.genome(np.array([2, 2, 2]))


def test_unknown_objective_is_an_input_error() -> None:
    with pytest.raises(InputError, match="objective"):
        make_problem(*build(SPEC), "speed")


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("30s", Budget(seconds=30.0)),
        ("2m", Budget(seconds=120.0)),
        ("500evals", Budget(evaluations=500)),
        ("64", Budget(evaluations=64)),
    ],
)
def test_budget_parse(text: str, budget: Budget) -> None:
    assert Budget.parse(text) == budget


def test_bad_budget() -> None:
    with pytest.raises(InputError, match="--budget"):
        Budget.parse("fast")
