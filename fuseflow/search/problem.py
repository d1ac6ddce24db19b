"""The allocation problem, the search budget and the search result (the pymoo-style split)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.tiling.graph import CNGraph

if TYPE_CHECKING:
    from fuseflow.search.splits import SplitSpace

Algorithm = Literal["greedy", "ga", "cp"]
ALGORITHMS: tuple[Algorithm, ...] = ("greedy", "ga", "cp")

Objective = Literal["latency", "energy", "edp"]
OBJECTIVES: tuple[Objective, ...] = ("latency", "energy", "edp")


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Choose a core for every free group of ``graph`` to minimise ``objective``.

    A group's candidate cores are its ``group_cores`` that have a cost for every tile shape of
    the group. ``free`` lists the groups the search decides (in group order); ``choices[i]`` are
    the cores free group ``free[i]`` may take. A *genome* is one index into ``choices[i]`` per
    free group, so every genome is a valid allocation.

    With ``splits`` (see :mod:`fuseflow.search.splits`) the graph is the unsplit one and an
    "allocation" is a *decision*: the group of an open-split layer holds a bit mask of cores
    (the set its parts run on) instead of a core.
    """

    graph: CNGraph
    costs: CostTable
    acc: Accelerator
    objective: Objective
    free: NDArray[np.int32]
    choices: tuple[tuple[int, ...], ...]
    base: NDArray[np.int32]  # full allocation with the fixed groups set (free groups: choice 0)
    splits: SplitSpace | None = None

    @property
    def n_genes(self) -> int:
        return len(self.choices)

    @property
    def space_size(self) -> int:
        return math.prod(len(c) for c in self.choices)

    def allocation(self, genome: NDArray[np.integer]) -> NDArray[np.int32]:
        """The full per-group allocation (core index per group) a genome stands for."""
        out = self.base.copy()
        for i, g in enumerate(self.free):
            out[g] = self.choices[i][int(genome[i])]
        return out

    def genome(self, allocation: NDArray[np.integer]) -> NDArray[np.int64]:
        """The genome of a full allocation (InputError if a free group's core is not allowed)."""
        genes = np.zeros(self.n_genes, dtype=np.int64)
        for i, g in enumerate(self.free):
            core = int(allocation[g])
            if core not in self.choices[i]:
                raise InputError(f"group {int(g)}: core {core} is not allowed", where="allocation")
            genes[i] = self.choices[i].index(core)
        return genes


def make_problem(
    graph: CNGraph, costs: CostTable, acc: Accelerator, objective: str = "latency"
) -> AllocationProblem:
    """Build the problem: each group's candidate cores are the allowed ones costed for it."""
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}")
    lat = costs.latency_cycles
    base = np.zeros(graph.n_groups, dtype=np.int32)
    free: list[int] = []
    choices: list[tuple[int, ...]] = []
    for g in range(graph.n_groups):
        shapes = np.unique(graph.shape[graph.group == g])
        fixed = int(graph.group_fixed[g])
        allowed = (fixed,) if fixed >= 0 else graph.group_cores[g]
        ok = tuple(c for c in allowed if shapes.size == 0 or bool(np.all(lat[shapes, c] >= 0)))
        if not ok:
            layer = graph.layers[int(graph.group_layer[g])]
            raise InputError(f"group {g}: no allowed core has a cost for its tiles", where=layer)
        base[g] = ok[0]
        if len(ok) > 1:
            free.append(g)
            choices.append(ok)
    return AllocationProblem(
        graph, costs, acc, objective, np.asarray(free, dtype=np.int32), tuple(choices), base
    )


_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|evals?|e)?\s*$")


@dataclass(frozen=True)
class Budget:
    """How long a search may run: scheduler evaluations and/or wall seconds (None = no limit).

    Only an evaluation budget gives the same answer on every machine; a time budget stops
    wherever the clock says.
    """

    evaluations: int | None = None
    seconds: float | None = None

    @staticmethod
    def parse(text: str) -> Budget:
        """``"30s"``, ``"2m"``, ``"500evals"`` (or ``"500"``: evaluations)."""
        m = _BUDGET.match(text)
        if not m:
            raise InputError(
                f"bad budget {text!r}; write e.g. 30s, 2m or 500evals", where="--budget"
            )
        value, unit = float(m.group(1)), (m.group(2) or "evals")
        if unit in ("s", "sec"):
            return Budget(seconds=value)
        if unit in ("m", "min"):
            return Budget(seconds=60.0 * value)
        return Budget(evaluations=int(value))


@dataclass
class BudgetClock:
    """Tracks one search's use of its budget."""

    budget: Budget
    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining_seconds(self) -> float | None:
        if self.budget.seconds is None:
            return None
        return max(0.0, self.budget.seconds - self.elapsed())

    def remaining_evaluations(self, used: int) -> int | None:
        if self.budget.evaluations is None:
            return None
        return max(0, self.budget.evaluations - used)

    def exhausted(self, used: int) -> bool:
        evals = self.remaining_evaluations(used)
        secs = self.remaining_seconds()
        return (evals is not None and evals <= 0) or (secs is not None and secs <= 0)


@dataclass(frozen=True)
class Bounds:
    """Lower bounds on latency and energy of any allocation, with the bound that set each."""

    latency_cycles: float
    energy_pj: float
    latency_parts: tuple[tuple[str, float], ...] = ()
    energy_parts: tuple[tuple[str, float], ...] = ()

    @property
    def edp(self) -> float:
        return self.latency_cycles * self.energy_pj

    def value(self, objective: Objective) -> float:
        return {"latency": self.latency_cycles, "energy": self.energy_pj, "edp": self.edp}[
            objective
        ]


@dataclass(frozen=True)
class Candidate:
    """One scored allocation."""

    allocation: NDArray[np.int32]
    latency_cycles: int
    energy_pj: float
    splits: tuple[int, ...] = ()  # split factor per open-split layer (split searches only)

    @property
    def edp(self) -> float:
        return self.latency_cycles * self.energy_pj

    def value(self, objective: Objective) -> float:
        if objective == "latency":
            return float(self.latency_cycles)
        return self.energy_pj if objective == "energy" else self.edp


@dataclass(frozen=True)
class SearchResult:
    """What a search found: the best allocation, its scores, how it got there, how good it is."""

    algorithm: str
    objective: Objective
    seed: int
    best: Candidate
    evaluations: int  # scheduler runs (memoised repeats not counted)
    seconds: float
    history: tuple[tuple[int, float], ...]  # (evaluations, best objective value so far)
    bounds: Bounds
    pareto: tuple[Candidate, ...] = ()  # latency/energy front, sorted by latency
    interrupted: bool = False
    notes: tuple[str, ...] = ()
    # split searches: the open-split layers, and the chosen split graph with its costs (the
    # best allocation is an allocation of that graph; ``best.splits`` holds the factors)
    split_layers: tuple[str, ...] = ()
    graph: CNGraph | None = None
    costs: CostTable | None = None

    @property
    def splits(self) -> dict[str, int]:
        """Chosen split factor per open-split layer (empty when splits were not searched)."""
        return dict(zip(self.split_layers, self.best.splits, strict=True))

    @property
    def allocation(self) -> NDArray[np.int32]:
        return self.best.allocation

    @property
    def latency_cycles(self) -> int:
        return self.best.latency_cycles

    @property
    def energy_pj(self) -> float:
        return self.best.energy_pj

    @property
    def edp(self) -> float:
        return self.best.edp

    @property
    def gap(self) -> float:
        """found / bound - 1 for the chosen objective (inf when the bound is 0)."""
        return gap(self.best.value(self.objective), self.bounds.value(self.objective))


def gap(found: float, bound: float) -> float:
    return found / bound - 1.0 if bound > 0 else math.inf
