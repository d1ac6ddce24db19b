"""Open split factors as a decision: decoding, brute force, CP, GA, bounds, determinism."""

import json
from pathlib import Path

import numpy as np
import pytest
from alloc_instances import brute_force
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from split_instances import check_split_rescored, split_problem

from fuseflow.search.api import search_allocation
from fuseflow.search.bounds import lower_bounds
from fuseflow.search.cp import CpSettings
from fuseflow.search.evaluate import scheduler_evaluator
from fuseflow.search.ga import GaSettings
from fuseflow.search.output import write_search
from fuseflow.search.problem import Budget
from fuseflow.search.splits import core_sets, make_split_problem, without_splits

FAST = CpSettings(deterministic_seconds=2.0)
OPTIMA: dict[str, float] = {}


def optimum(objective: str) -> float:
    if objective not in OPTIMA:
        problem = split_problem(objective)
        scored = brute_force(problem, scheduler_evaluator)
        OPTIMA[objective] = min(c.value(problem.objective) for c in scored)
    return OPTIMA[objective]


def test_core_sets_single_cores_first() -> None:
    assert core_sets((0, 2, 3)) == (1, 4, 8, 5, 9, 12, 13)


def test_a_core_set_decodes_to_its_split_graph() -> None:
    problem = split_problem()
    assert problem.splits is not None and problem.splits.layers == ("a", "b")
    assert problem.choices == ((1, 2, 4, 3, 5, 6, 7),) * 2
    decision = problem.base.copy()
    decision[0], decision[1] = 0b101, 0b010  # a on cores {0, 2}, b on core 1
    made, alloc = problem.splits.decode(decision)
    assert made.factors == (2, 1)
    assert made.graph.n_groups == 4
    assert alloc.tolist() == [0, 2, 1, 0]
    assert problem.splits.decode(decision)[0] is made  # memoised


def test_without_open_splits_the_problem_is_the_plain_one() -> None:
    problem = split_problem()
    spec = problem.splits.mapping  # type: ignore[union-attr]
    closed = {n: m.__class__(n, m.cores, tiling=m.tiling) for n, m in spec.layers.items()}
    plain = make_split_problem(
        problem.graph.workload, problem.acc, spec.__class__(closed, spec.stacks), "latency"
    )
    assert plain.splits is None and plain.choices == ((0, 1, 2), (0, 1, 2))


def test_the_latency_optimum_splits_a_layer() -> None:
    problem = split_problem("latency")
    scored = brute_force(problem, scheduler_evaluator)
    best = min(scored, key=lambda c: c.latency_cycles)
    assert max(problem.splits.factors(best.allocation)) > 1  # type: ignore[union-attr]
    unsplit = [c for c in scored if max(problem.splits.factors(c.allocation)) == 1]  # type: ignore[union-attr]
    assert best.latency_cycles < min(c.latency_cycles for c in unsplit)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
def test_cp_chooses_the_optimal_core_sets(objective: str) -> None:
    problem = split_problem(objective)
    result = search_allocation(problem, "cp", Budget(evaluations=30), seed=0, cp=FAST)
    assert result.best.value(problem.objective) == pytest.approx(optimum(objective))
    assert result.evaluations <= 30
    assert set(result.splits) == {"a", "b"}
    check_split_rescored(problem, result)


@pytest.mark.parametrize("objective", ["latency", "edp"])
def test_ga_with_split_genes_finds_the_optimum(objective: str) -> None:
    problem = split_problem(objective)
    assert problem.space_size == 49
    result = search_allocation(problem, "ga", Budget(evaluations=40), seed=0)
    assert result.evaluations <= 40
    assert result.best.value(problem.objective) == pytest.approx(optimum(objective))
    check_split_rescored(problem, result)


def test_stream_ga_does_not_split() -> None:
    problem = split_problem("latency")
    result = search_allocation(
        problem, "ga", Budget(), seed=0, ga=GaSettings.stream(8, 2), stream_compat=True
    )
    assert result.splits == {} and result.graph is None
    assert result.allocation.shape == (problem.graph.n_groups,)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3), st.sampled_from([4, 8, 12]), st.integers(2, 4), st.sampled_from([0, 1]))
def test_bounds_hold_over_every_split_choice(
    n_cores: int, k_out: int, rows: int, small: int
) -> None:
    weights_bits = 6000 if small else 1 << 20  # small: unsplit weights of b stream from DRAM
    problem = split_problem("edp", n_cores, k_out, rows, weights_bits)
    scored = brute_force(problem, scheduler_evaluator)
    bounds = lower_bounds(problem)
    assert bounds.latency_cycles <= min(c.latency_cycles for c in scored)
    assert bounds.energy_pj <= min(c.energy_pj for c in scored) * (1 + 1e-9)
    # never above the unsplit problem's bound: splits only add choices
    plain = lower_bounds(without_splits(problem))
    assert bounds.latency_cycles <= plain.latency_cycles
    assert bounds.energy_pj <= plain.energy_pj * (1 + 1e-9)


def test_same_seed_same_split_answer_with_one_or_two_workers(tmp_path: Path) -> None:
    problem = split_problem("edp")
    texts = []
    for w in (1, 2):
        r = search_allocation(problem, "ga", Budget(evaluations=25), seed=5, workers=w, pareto=True)
        write_search(r, tmp_path / str(w))
        texts.append([(tmp_path / str(w) / f).read_text() for f in ("search.json", "pareto.json")])
        check_split_rescored(problem, r)
    assert texts[0] == texts[1]
    data = json.loads(texts[0][0])
    assert set(data["splits"]) == {"a", "b"}
    assert len(data["allocation"]) == sum(data["splits"].values()) + 1
    assert np.all(np.array(data["gap"]["edp"]) >= 0)


def test_command_line_search_chooses_splits_and_greedy_does_not(tmp_path: Path) -> None:
    import argparse

    from fuseflow.search.cli import add_allocation_arguments, allocate_from_args

    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_allocation_arguments(parser)
    problem = split_problem("latency")
    space = problem.splits
    assert space is not None
    inputs = (problem.graph, problem.costs, problem.acc)
    for algorithm in ("cp", "greedy"):
        args = parser.parse_args(["--allocate", algorithm, "--budget", "20evals"])
        alloc, result = allocate_from_args(
            args, *inputs, out_dir=tmp_path / algorithm, workload=space.workload,
            mapping=space.mapping,
        )  # fmt: skip
        data = json.loads((tmp_path / algorithm / "search.json").read_text())
        if algorithm == "greedy":
            assert result.graph is None and "splits" not in data
            continue
        assert result.graph is not None and alloc.shape == (result.graph.n_groups,)
        assert data["splits"] == result.splits and max(result.splits.values()) > 1
        check_split_rescored(problem, result)


@pytest.mark.parametrize("evaluations", [1, 2, 4])
def test_split_searches_keep_to_an_evaluation_budget(evaluations: int) -> None:
    problem = split_problem("edp")
    for algorithm in ("ga", "cp"):
        r = search_allocation(problem, algorithm, Budget(evaluations=evaluations), seed=0, cp=FAST)
        assert 1 <= r.evaluations <= evaluations
        check_split_rescored(problem, r)
