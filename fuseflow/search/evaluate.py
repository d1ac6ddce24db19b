"""Scoring allocations: the evaluator protocol, the scheduler-backed evaluator, memoised batches."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from fuseflow.search.problem import AllocationProblem, Candidate


class Evaluator(Protocol):
    """Scores one full allocation (core index per group) as (latency_cycles, energy_pj)."""

    def __call__(self, allocation: NDArray[np.int32]) -> tuple[int, float]: ...


# Builds an evaluator for a problem. It is sent to worker processes, so it must be picklable
# (a module-level function); each worker calls it once to build its heavy context.
EvaluatorFactory = Callable[[AllocationProblem], Evaluator]


@dataclass(frozen=True)
class SchedulerEvaluator:
    """The real evaluator factory: builds the scheduler's context once, then one scheduler run
    per allocation. ``options`` is a ``ScheduleOptions`` (None: the scheduler's defaults)."""

    options: Any = None

    def __call__(self, problem: AllocationProblem) -> Evaluator:
        from fuseflow.schedule.context import build_context
        from fuseflow.schedule.scheduler import ScheduleOptions, score_with

        options = self.options if self.options is not None else ScheduleOptions()
        space, acc = problem.splits, problem.acc
        if space is not None:  # a decision: build (memoised) its split graph, then schedule

            def evaluate_split(allocation: NDArray[np.int32]) -> tuple[int, float]:
                made, alloc = space.decode(allocation)  # the allocation is a decision
                latency, energy = score_with(made.context(acc), alloc, options=options)
                return int(latency), float(energy)

            return evaluate_split
        ctx = build_context(problem.graph, problem.acc, problem.costs)

        def evaluate(allocation: NDArray[np.int32]) -> tuple[int, float]:
            latency, energy = score_with(ctx, allocation, options=options)
            return int(latency), float(energy)

        return evaluate


scheduler_evaluator = SchedulerEvaluator()


_WORKER: Evaluator | None = None


def _init_worker(problem: AllocationProblem, factory: EvaluatorFactory) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _WORKER = factory(problem)


def _work(allocation: NDArray[np.int32]) -> tuple[int, float]:
    assert _WORKER is not None
    return _WORKER(allocation)


class ScoreCache:
    """Memoised scoring of allocations, optionally on worker processes.

    A batch is scored in its given order and results come back in that order, so the outcome
    does not depend on the number of workers. Repeated allocations are looked up, not re-run;
    ``evaluations`` counts real runs only.
    """

    def __init__(
        self,
        problem: AllocationProblem,
        factory: EvaluatorFactory = scheduler_evaluator,
        *,
        workers: int = 1,
    ) -> None:
        self.problem = problem
        self.factory = factory
        self.workers = max(1, workers)
        self.evaluations = 0
        self._memo: dict[bytes, tuple[int, float]] = {}
        self._local: Evaluator | None = None
        self._pool: Executor | None = None

    def __enter__(self) -> ScoreCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def known(self, allocation: NDArray[np.int32]) -> bool:
        return _key(allocation) in self._memo

    def score(self, allocations: Sequence[NDArray[np.int32]]) -> list[Candidate]:
        """Scores of ``allocations`` (same order); new ones are run, repeats are looked up."""
        allocs = [np.ascontiguousarray(a, dtype=np.int32) for a in allocations]
        todo: dict[bytes, NDArray[np.int32]] = {}
        for a in allocs:
            k = _key(a)
            if k not in self._memo and k not in todo:
                todo[k] = a
        if todo:
            self._run(todo)
        return [Candidate(a, *self._memo[_key(a)]) for a in allocs]

    def scored(self) -> list[Candidate]:
        """Every allocation scored so far, in scoring order (e.g. after Ctrl-C mid-batch)."""
        return [
            Candidate(np.frombuffer(k, dtype=np.int32).copy(), *v) for k, v in self._memo.items()
        ]

    def _run(self, todo: dict[bytes, NDArray[np.int32]]) -> None:
        if self.workers == 1 or len(todo) == 1:
            if self._local is None:
                self._local = self.factory(self.problem)
            for k, a in todo.items():  # one at a time: Ctrl-C keeps what is done
                self._memo[k] = self._local(a)
                self.evaluations += 1
            return
        if self._pool is None:
            self._pool = _make_pool(self.problem, self.factory, self.workers)
        # one allocation per task: a worker slowed down (a loaded machine, a costly candidate)
        # takes fewer; a task costs far more to score than to send. Results keep their order.
        results = list(self._pool.map(_work, todo.values(), chunksize=1))
        self._memo.update(zip(todo, results, strict=True))
        self.evaluations += len(todo)


def _key(allocation: NDArray[np.int32]) -> bytes:
    return np.ascontiguousarray(allocation, dtype=np.int32).tobytes()


def _make_pool(problem: AllocationProblem, factory: EvaluatorFactory, workers: int) -> Executor:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(problem, factory)
    )
