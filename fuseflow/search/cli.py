"""Allocation-search flags for `fuseflow run` and the glue that turns them into a search."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator
from fuseflow.search.problem import ALGORITHMS, OBJECTIVES, Budget, SearchResult, make_problem
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.spec import MappingSpec
from fuseflow.workload.layer import Workload


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """No sub-command of its own: the search runs inside `fuseflow run` (see
    :func:`add_allocation_arguments`)."""


def add_allocation_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --allocate, --objective, --budget, --workers, --pareto (``--seed`` is run's)."""
    group = parser.add_argument_group("allocation search")
    group.add_argument(
        "--allocate",
        choices=ALGORITHMS,
        default="greedy",
        help="how to choose the core of every free group (default: greedy)",
    )
    group.add_argument("--objective", choices=OBJECTIVES, default="latency")
    group.add_argument(
        "--budget",
        type=Budget.parse,
        default=Budget(evaluations=500),
        help="search budget: 30s, 2m or 500evals (default 500evals; evals are reproducible)",
    )
    group.add_argument(
        "--workers", type=int, default=1, help="processes scoring GA candidates (default 1)"
    )
    group.add_argument(
        "--pareto",
        action="store_true",
        help="also keep the latency/energy front: pareto.json + pareto.html in --out",
    )
    group.add_argument(
        "--stream-ga",
        action="store_true",
        help="GA with Stream's configuration (mu+lambda, cx 0.3, mut 0.7, 16 x 10)",
    )


def allocate_from_args(
    args: argparse.Namespace,
    graph: CNGraph,
    costs: CostTable,
    acc: Accelerator,
    *,
    out_dir: str | Path | None = None,
    progress: bool = False,
    workload: Workload | None = None,
    mapping: MappingSpec | None = None,
    options: Any = None,
) -> tuple[NDArray[np.int32], SearchResult]:
    """Run the search the flags ask for; write search.json (and the front) into ``out_dir``.

    Candidates are scored by the scheduler with ``options`` (a ``ScheduleOptions``; None: its
    defaults): pass the options the final schedule will use, so the search optimises that.

    With ``workload`` and ``mapping``, the GA and CP (not Stream's GA, not greedy) also choose
    the split of every layer the mapping leaves open (``split: {K: "*"}``); the result then
    holds the chosen split graph (``result.graph``) that ``allocation`` belongs to.
    """
    # The search stack (pymoo, OR-Tools) loads only when a search runs: every other command
    # starts without it.
    from fuseflow.search.api import search_allocation
    from fuseflow.search.evaluate import SchedulerEvaluator

    searched = args.allocate in ("ga", "cp") and not args.stream_ga
    if searched and workload is not None and mapping is not None and mapping.open_splits():
        from fuseflow.search.splits import make_split_problem

        problem = make_split_problem(
            workload, acc, mapping, args.objective, graph=graph, costs=costs
        )
    else:
        problem = make_problem(graph, costs, acc, args.objective)
    result = search_allocation(
        problem,
        args.allocate,
        args.budget,
        getattr(args, "seed", 0),
        workers=args.workers,
        pareto=args.pareto,
        stream_compat=args.stream_ga,
        evaluator=SchedulerEvaluator(options),
        progress=progress,
    )
    if out_dir is not None:
        from fuseflow.search.output import write_search

        write_search(result, out_dir)
    return result.allocation, result
