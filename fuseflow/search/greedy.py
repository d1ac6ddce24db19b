"""A fast default allocation: each free group goes to the allowed core where it finishes first.

Groups are visited in priority order (their most urgent CN first). A group's estimated start on
a core is the later of the core's estimated free time and the estimated finish of the groups it
reads from; its duration is the sum of its CNs' latencies on that core (from the cost table).
Fixed groups keep their core and only occupy it. Transfers and memory are ignored: this is a
starting point for the scheduler, not a search.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Accelerator
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph


def greedy_allocation(
    graph: CNGraph, costs: CostTable, acc: Accelerator | None = None
) -> NDArray[np.int32]:
    """Core index per group: fixed groups as given, free groups by earliest estimated finish.

    ``acc`` is accepted for callers that have it; the estimate needs only the cost table.

    >>> alloc = greedy_allocation(graph, costs)   # doctest: +SKIP
    >>> alloc.shape == (graph.n_groups,)          # doctest: +SKIP
    True
    """
    work = group_work_cycles(graph, costs)
    preds = _group_predecessors(graph)
    order = _group_order(graph)
    alloc = graph.group_fixed.astype(np.int32).copy()
    core_free = np.zeros(work.shape[1], dtype=np.float64)
    finish = np.zeros(graph.n_groups, dtype=np.float64)
    for g in order.tolist():
        ready = float(max((finish[p] for p in preds[g]), default=0.0))
        if alloc[g] >= 0:
            core = int(alloc[g])
        else:
            core = _best_core(g, graph.group_cores[g], work, core_free, ready, costs)
            alloc[g] = core
        finish[g] = max(core_free[core], ready) + max(work[g, core], 0.0)
        core_free[core] = finish[g]
    return alloc


def group_work_cycles(graph: CNGraph, costs: CostTable) -> NDArray[np.float64]:
    """(n_groups, n_cores) sum of CN latencies of each group on each core; -1 where not costed."""
    lat = costs.latency_cycles  # (n_shapes, n_cores), -1 = not costed
    n_cores = lat.shape[1]
    work = np.zeros((graph.n_groups, n_cores), dtype=np.float64)
    for c in range(n_cores):
        per_cn = lat[graph.shape, c]
        work[:, c] = np.bincount(graph.group, weights=per_cn, minlength=graph.n_groups)
        missing = np.bincount(graph.group, weights=per_cn < 0, minlength=graph.n_groups) > 0
        work[missing, c] = -1.0
    return work


def _best_core(
    g: int,
    allowed: tuple[int, ...],
    work: NDArray[np.float64],
    core_free: NDArray[np.float64],
    ready: float,
    costs: CostTable,
) -> int:
    best, best_finish = -1, np.inf
    for c in allowed:
        if work[g, c] < 0:
            continue
        end = max(core_free[c], ready) + work[g, c]
        if end < best_finish:
            best, best_finish = c, end
    if best < 0:
        names = ", ".join(costs.core_names[c] for c in allowed)
        raise InfeasibleError(f"group {g} has no costed core among its allowed cores ({names})")
    return best


def _group_order(graph: CNGraph) -> NDArray[np.int64]:
    """Groups by their most urgent CN's priority (ties by group index)."""
    first = np.full(graph.n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, graph.group, graph.priority)
    return np.lexsort((np.arange(graph.n_groups), first))


def _group_predecessors(graph: CNGraph) -> list[list[int]]:
    data = graph.edge_role != ORDER_EDGE
    src = graph.group[graph.edge_src[data]].astype(np.int64)
    dst = graph.group[graph.edge_dst[data]].astype(np.int64)
    pairs = np.unique(np.stack([dst, src], axis=1)[src != dst], axis=0)
    preds: list[list[int]] = [[] for _ in range(graph.n_groups)]
    for d, s in pairs.tolist():
        preds[d].append(s)
    return preds
