"""Stream's own per-CN latencies in fuseflow's scheduler: separates cost-model from scheduler error.

A case may list, per layer, the per-CN latency Stream's cost model (ZigZag 2.3.8) gave. Scheduling
the same CN graph with those latencies instead of fuseflow's shows how much of the difference to
Stream's modelled latency comes from the scheduler alone. A diagnostic: never the modelled result.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.errors import InputError
from fuseflow.tiling.graph import CNGraph
from fuseflow.validation.case import ValidationCase


def reference_costs(
    graph: CNGraph, costs: CostTable, allocation: NDArray[np.int32], case: ValidationCase
) -> CostTable | None:
    """``costs`` with each CN's latency replaced by the case's reference for its layer (the
    difference counted as in-CN stall); None when the case lists no references."""
    refs = case.reference_cn_latency_cycles
    if not refs:
        return None
    unknown = sorted(set(refs) - set(graph.layers))
    if unknown:
        raise InputError(f"unknown layer {unknown[0]!r}", where=_where(case))
    results = dict(costs.results)
    for lid, name in enumerate(graph.layers):
        if name not in refs:
            raise InputError(f"no latency for layer {name!r}", where=_where(case))
        cns = graph.cns_of_layer(lid)
        shapes, groups = graph.shape[cns].tolist(), graph.group[cns].tolist()
        pairs = {(s, int(allocation[g])) for s, g in zip(shapes, groups, strict=True)}
        for key in sorted(pairs):
            r = results[key]
            fixed = r.ideal_cycles + r.onload_cycles + r.offload_cycles
            results[key] = dataclasses.replace(
                r, latency_cycles=refs[name], stall_cycles=max(refs[name] - fixed, 0)
            )
    return CostTable(costs.core_names, costs.n_shapes, results)


def _where(case: ValidationCase) -> str:
    return f"{case.folder / 'case.yaml'}: reference_cn_latency_cycles"
