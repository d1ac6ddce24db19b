"""Split factors as a decision: every open-split layer chooses the set of cores it runs on."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator
from fuseflow.search.problem import AllocationProblem, make_problem
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.spec import MappingSpec
from fuseflow.workload.layer import Workload

MEMO_BUILDS = 48  # split graphs (with costs and scheduler context) kept per process
MAX_SET_CORES = 8  # a layer with more candidate cores keeps its split as built (2^n sets)


@dataclass(eq=False)
class SplitBuild:
    """The CN graph of one split vector, its costs, its scheduler context and the map from a
    decision vector to its per-group allocation."""

    factors: tuple[int, ...]
    graph: CNGraph
    costs: CostTable
    source: NDArray[np.int64]  # per group: the decision entry (unsplit group) it reads
    part: NDArray[np.int64]  # per group: its part index in an open-split layer, else -1
    _context: Any = None

    def context(self, acc: Accelerator) -> Any:
        """The scheduler's allocation-independent context of this graph (built once)."""
        if self._context is None:
            from fuseflow.schedule.context import build_context

            self._context = build_context(self.graph, acc, self.costs)
        return self._context

    def allocation(self, decision: NDArray[np.integer]) -> NDArray[np.int32]:
        """Core per group of this graph: a part takes the k-th core of its layer's set."""
        out = np.asarray(decision, dtype=np.int64)[self.source]
        for g in np.flatnonzero(self.part >= 0).tolist():
            out[g] = mask_cores(int(out[g]))[int(self.part[g])]
        return out.astype(np.int32)


@dataclass(eq=False)
class SplitSpace:
    """Open-split layers whose core *set* the search chooses (Stream's WACO semantics).

    A *decision* is one value per group of the unsplit graph: a core index for an ordinary
    group; for the single group of an open-split layer a bit mask of cores. The layer is split
    into ``popcount(mask)`` parts along its open dim and part ``k`` runs on the ``k``-th core
    of the mask (ascending). Graphs are built on demand and memoised (bounded, per process).
    """

    workload: Workload
    acc: Accelerator
    mapping: MappingSpec
    layers: tuple[str, ...]  # open-split layers decided by the search, in workload order
    units: tuple[int, ...]  # the unsplit graph's group of each of them
    cache: Any = None  # cost cache (see fuseflow.api.cost_table)
    _builds: OrderedDict[tuple[int, ...], SplitBuild] = field(default_factory=OrderedDict)
    build_seconds: list[float] = field(default_factory=list)

    def factors(self, decision: NDArray[np.integer]) -> tuple[int, ...]:
        return tuple(int(decision[u]).bit_count() for u in self.units)

    def split_dict(self, factors: tuple[int, ...]) -> dict[str, int]:
        return {n: f for n, f in zip(self.layers, factors, strict=True) if f > 1}

    def build(self, factors: tuple[int, ...]) -> SplitBuild:
        """The (memoised) graph, costs and decision map of one split vector."""
        found = self._builds.get(factors)
        if found is not None:
            self._builds.move_to_end(factors)
            return found
        import time

        from fuseflow.api import cost_table

        t = time.perf_counter()
        graph = build_cn_graph(
            self.workload, self.acc, self.mapping, splits=self.split_dict(factors)
        )
        costs = cost_table(graph, self.acc, cache=self.cache)
        source, part = _group_map(graph, self, factors)
        made = SplitBuild(factors, graph, costs, source, part)
        self.build_seconds.append(time.perf_counter() - t)
        self._builds[factors] = made
        while len(self._builds) > MEMO_BUILDS:
            self._builds.popitem(last=False)
        return made

    def decode(self, decision: NDArray[np.integer]) -> tuple[SplitBuild, NDArray[np.int32]]:
        """The split graph of ``decision`` and its per-group allocation."""
        made = self.build(self.factors(decision))
        return made, made.allocation(decision)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_builds"] = OrderedDict()  # worker processes build their own graphs
        state["build_seconds"] = []
        return state


def mask_cores(mask: int) -> tuple[int, ...]:
    return tuple(c for c in range(mask.bit_length()) if mask >> c & 1)


def core_sets(cores: tuple[int, ...]) -> tuple[int, ...]:
    """Every non-empty subset of ``cores`` as a bit mask: single cores first (in the given
    order), then by size and mask value."""
    masks = [
        sum(1 << c for i, c in enumerate(cores) if k >> i & 1) for k in range(1, 1 << len(cores))
    ]
    singles = [1 << c for c in cores]
    rest = sorted((m for m in masks if m.bit_count() > 1), key=lambda m: (m.bit_count(), m))
    return (*singles, *rest)


def make_split_problem(
    workload: Workload,
    acc: Accelerator,
    mapping: MappingSpec,
    objective: str = "latency",
    *,
    graph: CNGraph | None = None,
    costs: CostTable | None = None,
    cache: Any = None,
) -> AllocationProblem:
    """The allocation problem with every open split of ``mapping`` as a decision.

    ``graph``/``costs`` are the unsplit graph and its costs (built when not given). A layer's
    split is searched when the mapping leaves it open, does not fix its cores and the unsplit
    layer is one group with 2 .. ``MAX_SET_CORES`` candidate cores. Without such a layer this
    is the plain problem of the unsplit graph.
    """
    from fuseflow.api import cost_table

    if graph is None:
        graph = build_cn_graph(workload, acc, mapping)
    if costs is None:
        costs = cost_table(graph, acc, cache=cache)
    plain = make_problem(graph, costs, acc, objective)
    gene_of = {int(g): i for i, g in enumerate(plain.free)}
    layers: list[str] = []
    units: list[int] = []
    for lid, name in enumerate(graph.layers):
        lm = mapping.layers[name]
        groups = np.flatnonzero(graph.group_layer == lid)
        if lm.open_split is None or lm.fixed is not None or groups.size != 1:
            continue
        if (
            int(groups[0]) in gene_of
            and len(plain.choices[gene_of[int(groups[0])]]) <= MAX_SET_CORES
        ):
            layers.append(name)
            units.append(int(groups[0]))
    if not layers:
        return plain
    choices = list(plain.choices)
    base = plain.base.copy()
    for g in units:
        i = gene_of[g]
        choices[i] = core_sets(plain.choices[i])
        base[g] = choices[i][0]
    space = SplitSpace(workload, acc, mapping, tuple(layers), tuple(units), cache)
    return AllocationProblem(
        graph, costs, acc, plain.objective, plain.free, tuple(choices), base, splits=space
    )


def uniform_builds(problem: AllocationProblem) -> list[SplitBuild]:
    """The split graphs with every open-split layer at factor f, for f = 1 .. its most cores
    (a layer with fewer candidate cores stays at its largest factor)."""
    space = problem.splits
    if space is None:
        return []
    most = [max(m.bit_count() for m in problem.choices[_gene(problem, g)]) for g in space.units]
    return [space.build(tuple(min(f, m) for m in most)) for f in range(1, max(most) + 1)]


def _gene(problem: AllocationProblem, group: int) -> int:
    return int(np.flatnonzero(problem.free == group)[0])


def set_neighbours(problem: AllocationProblem) -> dict[int, list[NDArray[np.int64]]]:
    """For every core-set gene: per value, the values whose set differs by one core."""
    if problem.splits is None:
        return {}
    units = set(problem.splits.units)
    out: dict[int, list[NDArray[np.int64]]] = {}
    for i, g in enumerate(problem.free.tolist()):
        if g in units:
            masks = problem.choices[i]
            out[i] = [
                np.array([k for k, n in enumerate(masks) if (m ^ n).bit_count() == 1])
                for m in masks
            ]
    return out


def spread_starts(
    problem: AllocationProblem, decision: NDArray[np.int32]
) -> list[NDArray[np.int32]]:
    """Starting points that split every open layer over f of its cores (f = 2 .. most), the
    sets rotating from layer to layer so that consecutive layers use different cores."""
    if problem.splits is None:
        return []
    out = []
    genes = [_gene(problem, g) for g in problem.splits.units]
    cores = [mask_cores(max(problem.choices[i], key=int.bit_count)) for i in genes]
    for f in range(2, max(len(c) for c in cores) + 1):
        d = decision.copy()
        for k, (g, cs) in enumerate(zip(problem.splits.units, cores, strict=True)):
            n = len(cs)
            d[g] = sum(1 << cs[(k * f + j) % n] for j in range(min(f, n)))
        out.append(d)
    return out


def without_splits(problem: AllocationProblem) -> AllocationProblem:
    """The same problem with every split left as built (the unsplit graph's groups)."""
    if problem.splits is None:
        return problem
    return make_problem(problem.graph, problem.costs, problem.acc, problem.objective)


def single_core_decision(
    problem: AllocationProblem, allocation: NDArray[np.integer]
) -> NDArray[np.int32]:
    """The decision that runs every open-split layer unsplit on its core in ``allocation``."""
    out = np.asarray(allocation, dtype=np.int32).copy()
    if problem.splits is not None:
        for g in problem.splits.units:
            out[g] = 1 << int(out[g])
    return out


def _group_map(
    graph: CNGraph, space: SplitSpace, factors: tuple[int, ...]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per group of a split graph: the unsplit group it comes from and its part (or -1).

    Layers keep their order and only the open-split layers change their number of groups.
    """
    factor_of = dict(zip(space.layers, factors, strict=True))
    unit_of = dict(zip(space.layers, space.units, strict=True))
    source = np.zeros(graph.n_groups, dtype=np.int64)
    part = np.full(graph.n_groups, -1, dtype=np.int64)
    plain_group = 0
    for lid, name in enumerate(graph.layers):
        groups = np.flatnonzero(graph.group_layer == lid)
        if name in factor_of:
            source[groups] = unit_of[name]
            part[groups] = np.arange(groups.size)
            plain_group += 1
        else:
            source[groups] = plain_group + np.arange(groups.size)
            plain_group += groups.size
    return source, part
