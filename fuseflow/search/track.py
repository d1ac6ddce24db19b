"""Best-so-far bookkeeping shared by every search: history, Pareto front, progress display."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import numpy as np

from fuseflow.search.problem import Candidate, Objective


class Progress(Protocol):
    def update(self, evaluations: int, best: float) -> None: ...


class _Silent:
    def update(self, evaluations: int, best: float) -> None:
        pass


@contextmanager
def progress_bar(enabled: bool, label: str, total: int | None) -> Iterator[Progress]:
    """A rich progress bar showing evaluations and the best objective so far (or nothing)."""
    if not enabled:
        yield _Silent()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("best {task.fields[best]}"),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=total, best="-")

        class _Bar:
            def update(self, evaluations: int, best: float) -> None:
                bar.update(task, completed=evaluations, best=f"{best:.4g}")

        yield _Bar()


class Tracker:
    """Records every scored candidate in order: best so far, its history, the front."""

    def __init__(self, objective: Objective, progress: Progress | None = None) -> None:
        self.objective = objective
        self.best: Candidate | None = None
        self.history: list[tuple[int, float]] = []
        self.seen: list[Candidate] = []
        self._keys: set[bytes] = set()
        self.progress = progress or _Silent()

    def add(self, candidates: list[Candidate], evaluations: int) -> None:
        for c in candidates:
            key = c.allocation.tobytes()
            if key not in self._keys:
                self._keys.add(key)
                self.seen.append(c)
            if self.best is None or c.value(self.objective) < self.best.value(self.objective):
                self.best = c
                self.history.append((evaluations, c.value(self.objective)))
        if self.best is not None:
            self.progress.update(evaluations, self.best.value(self.objective))

    def pareto(self) -> tuple[Candidate, ...]:
        return pareto_front(self.seen)


def pareto_front(candidates: list[Candidate]) -> tuple[Candidate, ...]:
    """Non-dominated candidates in (latency, energy), sorted by latency then energy."""
    if not candidates:
        return ()
    pts = np.array([(c.latency_cycles, c.energy_pj) for c in candidates], dtype=np.float64)
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    front: list[Candidate] = []
    best_energy = np.inf
    for i in order.tolist():
        if pts[i, 1] < best_energy:
            best_energy = pts[i, 1]
            front.append(candidates[i])
    return tuple(front)
