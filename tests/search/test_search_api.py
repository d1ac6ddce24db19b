"""search_allocation: algorithms, Ctrl-C, output files, command-line flags."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from alloc_instances import Spec, build, check_rescored, evaluator_factory

from fuseflow.errors import InputError
from fuseflow.search.api import search_allocation
from fuseflow.search.cli import add_allocation_arguments, allocate_from_args
from fuseflow.search.evaluate import Evaluator
from fuseflow.search.output import search_summary, write_search
from fuseflow.search.problem import AllocationProblem, Budget, make_problem

SPEC = Spec(
    tiles=(2, 2, 1),
    n_cores=2,
    latency=((100, 150), (80, 60), (50, 70)),
    energy=((10, 12), (8, 6), (5, 7)),
    allowed=((0, 1), (0, 1), (0, 1)),
    group_per_tile=True,
)


def test_greedy_scores_one_allocation() -> None:
    problem = make_problem(*build(SPEC), "latency")
    result = search_allocation(problem, "greedy", evaluator=evaluator_factory())
    assert result.evaluations == 1
    assert result.allocation.shape == (problem.graph.n_groups,)
    assert result.gap >= 0
    check_rescored(problem, result.best)


def test_unknown_algorithm() -> None:
    problem = make_problem(*build(SPEC), "latency")
    with pytest.raises(InputError, match="allocator"):
        search_allocation(problem, "anneal")


class _Interrupting:
    """Scores normally, then raises KeyboardInterrupt on the fifth call (like Ctrl-C)."""

    def __call__(self, problem: AllocationProblem) -> Evaluator:
        inner = evaluator_factory()(problem)
        calls = [0]

        def evaluate(allocation: np.ndarray) -> tuple[int, float]:
            calls[0] += 1
            if calls[0] == 5:
                raise KeyboardInterrupt
            return inner(allocation)

        return evaluate


def test_ctrl_c_returns_the_best_so_far() -> None:
    problem = make_problem(*build(SPEC), "edp")
    result = search_allocation(problem, "ga", Budget(evaluations=50), evaluator=_Interrupting())
    assert result.interrupted
    assert result.evaluations == 4
    assert result.history


def test_search_json_is_reproducible_and_front_written(tmp_path: Path) -> None:
    """Same seed: byte-identical search.json and front, with one or two worker processes."""
    problem = make_problem(*build(SPEC), "edp")
    runs = [
        search_allocation(
            problem, "ga", Budget(evaluations=30), seed=2, pareto=True, workers=w,
            evaluator=evaluator_factory(),
        )
        for w in (1, 2)
    ]  # fmt: skip
    texts = []
    for n, r in enumerate(runs):
        files = write_search(r, tmp_path / str(n))
        assert {f.name for f in files} == {"search.json", "pareto.json", "pareto.html"}
        texts.append([(tmp_path / str(n) / f).read_text() for f in ("search.json", "pareto.json")])
    assert texts[0] == texts[1]
    assert search_summary(runs[0]) == search_summary(runs[1])
    data = json.loads(texts[0][0])
    assert data["allocation"] == runs[0].allocation.tolist()
    assert data["gap"]["edp"] >= 0
    assert data["evaluations"] == runs[0].evaluations <= 30
    check_rescored(problem, runs[0].best)


def test_command_line_flags(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_allocation_arguments(parser)
    args = parser.parse_args(
        ["--allocate", "cp", "--objective", "energy", "--budget", "20evals", "--seed", "3"]
    )
    assert args.budget == Budget(evaluations=20)
    graph, costs, acc = build(SPEC)
    alloc, result = allocate_from_args(args, graph, costs, acc, out_dir=tmp_path)
    assert result.algorithm == "cp" and result.objective == "energy" and result.seed == 3
    assert np.array_equal(alloc, result.allocation)
    assert (tmp_path / "search.json").exists()
    with pytest.raises(InputError, match="--budget"):  # the CLI prints it as one line
        parser.parse_args(["--budget", "soon"])
