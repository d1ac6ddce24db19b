"""Run one validation case end to end and compare its latency with the measured one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.api import cost_table
from fuseflow.cost.table import CostTable
from fuseflow.errors import InputError
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import build_topology
from fuseflow.schedule.scheduler import ScheduleOptions, schedule
from fuseflow.schedule.types import Schedule
from fuseflow.schedule.validator import validate_schedule
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.mapping import load_mapping
from fuseflow.validation.breakdown import Breakdown, breakdown
from fuseflow.validation.case import ValidationCase
from fuseflow.validation.reference import reference_costs


def accuracy(modelled: float, measured: float) -> float:
    """Stream's latency accuracy ``1 - |1 - modelled / measured|`` (1.0 = exact).

    >>> round(accuracy(6.37e6, 6.18e6), 4)
    0.9693
    """
    return 1.0 - abs(1.0 - modelled / measured)


@dataclass(frozen=True, eq=False)
class CaseRun:
    """A case's schedule, its accounting, and the validator's verdict on it."""

    case: ValidationCase
    graph: CNGraph
    accelerator: Accelerator
    costs: CostTable
    schedule: Schedule
    breakdown: Breakdown
    problems: tuple[str, ...]  # schedule validator violations (empty = valid)
    # the same graph scheduled with Stream's per-CN latencies (diagnostic; see reference.py)
    reference: Schedule | None = None

    @property
    def latency_cycles(self) -> int:
        return self.schedule.latency_cycles

    @property
    def accuracy(self) -> float:
        return accuracy(self.latency_cycles, self.case.measured_latency_cycles)


def run_case(case: ValidationCase) -> CaseRun:
    """Workload, hardware, mapping -> CN graph -> costs -> fixed allocation -> schedule."""
    workload = case.build_workload()
    acc = load_accelerator(case.hardware)
    mapping = load_mapping(case.mapping, workload, acc)
    graph = build_cn_graph(workload, acc, mapping)
    costs = cost_table(graph, acc)
    allocation = fixed_allocation(graph, case)
    options = ScheduleOptions(prefetch_weights=case.prefetch_weights)
    topo = build_topology(acc)
    sched = schedule(graph, acc, costs, allocation, options=options, topology=topo)
    problems = validate_schedule(graph, acc, costs, sched, topology=topo)
    ref_costs = reference_costs(graph, costs, allocation, case)
    ref = None
    if ref_costs is not None:
        ref = schedule(graph, acc, ref_costs, allocation, options=options, topology=topo)
        found = validate_schedule(graph, acc, ref_costs, ref, topology=topo)
        problems += [f"with Stream's per-CN latencies: {p}" for p in found]
    parts = breakdown(graph, acc, costs, sched, topo)
    return CaseRun(case, graph, acc, costs, sched, parts, tuple(problems), ref)


def fixed_allocation(graph: CNGraph, case: ValidationCase) -> NDArray[np.int32]:
    """The core of every group: a validation case fixes each layer to one core."""
    free = np.flatnonzero(graph.group_fixed < 0)
    if free.size:
        layer = graph.layers[int(graph.group_layer[free[0]])]
        raise InputError(
            f"layer {layer!r} may run on several cores; a validation case fixes one (core: NAME)",
            where=str(case.mapping),
        )
    return graph.group_fixed.astype(np.int32)
