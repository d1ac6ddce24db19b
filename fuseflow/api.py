"""``run``: the whole flow from an ONNX file, an accelerator and a mapping to a saved Result.

>>> result = run("examples/resnet18.onnx", "tpu_like_quad",
...              "examples/resnet18_tpu_quad_mapping.yaml", out_dir="out")   # doctest: +SKIP
>>> result.totals.latency_cycles                                             # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fuseflow.cost.table import CostTable
from fuseflow.errors import FuseflowError, InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.report.inputs import check_hashes, load_hardware, load_run_mapping, run_inputs
from fuseflow.report.restore import schedule_from_result
from fuseflow.report.result import load_result, make_result, save_result
from fuseflow.report.schema import AllocationRecord, LowerBounds, Result, RunInputs
from fuseflow.schedule.scheduler import ScheduleOptions, schedule
from fuseflow.schedule.types import Schedule
from fuseflow.schedule.validator import validate_schedule
from fuseflow.search.greedy import greedy_allocation
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.spec import MappingSpec
from fuseflow.workload.layer import Workload

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from fuseflow.search.problem import Budget, SearchResult
from fuseflow.workload.load import load_workload

Progress = Callable[[str], None]  # called with the name of each step as it starts
STEPS = (
    *("workload", "hardware", "mapping", "tiles", "costs"),
    *("allocation", "schedule", "validate", "result", "files"),
)


class InvalidScheduleError(FuseflowError):
    """The schedule validator found violations (a bug in fuseflow, not in the inputs)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5]) + (
            f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        super().__init__(f"the schedule is invalid: {shown}")


@dataclass(frozen=True)
class Search:
    """An allocation search for :func:`run` (the `--allocate` flags of `fuseflow run`).

    ``budget`` is a :class:`fuseflow.search.problem.Budget` or its text (``"20s"``, ``"500evals"``).
    """

    algorithm: str = "greedy"  # greedy | ga | cp
    objective: str = "latency"  # latency | energy | edp
    budget: str | Budget = "500evals"
    workers: int = 1
    pareto: bool = False
    stream_ga: bool = False


@dataclass(frozen=True)
class Prepared:
    """Everything before allocation: what ``run`` and ``check-schedule`` both rebuild."""

    workload: Workload
    accelerator: Accelerator
    graph: CNGraph
    costs: CostTable
    mapping: MappingSpec | None = None


def run(
    workload: str | Path,
    hardware: str | Path,
    mapping: str | Path | None = None,
    *,
    stacks: str | None = None,
    out_dir: str | Path | None = None,
    options: ScheduleOptions = ScheduleOptions(),  # noqa: B008 (frozen, immutable)
    seed: int = 0,
    cache: Any = None,
    plots: bool = True,
    progress: Progress | None = None,
    search: Search | None = None,
) -> Result:
    """Load, tile, cost, allocate, schedule, validate, collect, save.

    ``stacks`` (e.g. ``"0-10,11-21"`` by ONNX node index, ``"lbl"``) replaces the mapping's
    stacks. Stream hardware and mapping files are converted on the fly. Groups the mapping
    leaves open get the fast greedy allocation, or the result of ``search`` (seeded with
    ``seed``; it also writes search.json). ``out_dir`` receives result.json, the CSV tables and
    (``plots``) the Gantt, memory and Perfetto files.
    """
    step = progress or _quiet
    opts = dataclasses.asdict(options)
    inputs = run_inputs(workload, hardware, mapping, stacks=stacks, seed=seed, options=opts)
    prep = prepare(inputs, cache=cache, progress=step)
    step("allocation")
    if search is None:
        allocation, found = greedy_allocation(prep.graph, prep.costs, prep.accelerator), None
    else:
        verbose = progress is not None
        allocation, found = _search(prep, search, seed, out_dir, options, verbose=verbose)
        if found.graph is not None and found.costs is not None:  # the split graph it chose
            prep = dataclasses.replace(prep, graph=found.graph, costs=found.costs)
            chosen = {k: f for k, f in found.splits.items() if f > 1}
            inputs = inputs.model_copy(update={"splits": chosen})
    step("schedule")
    sched = schedule(prep.graph, prep.accelerator, prep.costs, allocation, options=options)
    step("validate")
    check_schedule(prep, sched)
    step("result")
    inputs = inputs.model_copy(update={"allocation": allocation.tolist()})
    result = make_result(prep.graph, prep.accelerator, sched, inputs)
    record = allocation_record(prep.graph, sched, search, found)
    result = result.model_copy(update={"allocation": record})
    if out_dir is not None:
        step("files")
        save_result(result, out_dir)
        if plots:
            from fuseflow.report.plots import write_plots  # matplotlib/plotly: only when drawing

            write_plots(result, out_dir)
    return result


def _search(
    prep: Prepared,
    search: Search,
    seed: int,
    out_dir: str | Path | None,
    options: ScheduleOptions,
    *,
    verbose: bool,
) -> tuple[NDArray[np.int32], SearchResult]:
    """The search the run asks for, its candidates scored with the run's scheduler options."""
    import argparse

    from fuseflow.search.cli import allocate_from_args
    from fuseflow.search.problem import Budget

    budget = search.budget if isinstance(search.budget, Budget) else Budget.parse(search.budget)
    args = argparse.Namespace(
        allocate=search.algorithm,
        objective=search.objective,
        budget=budget,
        workers=search.workers,
        pareto=search.pareto,
        stream_ga=search.stream_ga,
        seed=seed,
    )
    g, c, a = prep.graph, prep.costs, prep.accelerator
    return allocate_from_args(
        args, g, c, a, out_dir=out_dir, progress=verbose, workload=prep.workload,
        mapping=prep.mapping, options=options,
    )  # fmt: skip


def free_groups(graph: CNGraph) -> int:
    """Groups whose core the mapping leaves open (not fixed, several allowed cores)."""
    fixed = graph.group_fixed.tolist()
    return sum(
        1 for f, cores in zip(fixed, graph.group_cores, strict=True) if f < 0 and len(cores) > 1
    )


def allocation_record(
    graph: CNGraph, sched: Schedule, search: Search | None, found: SearchResult | None
) -> AllocationRecord:
    """What chose the allocation and, after a search, the gaps of ``sched`` to its bounds."""
    free = free_groups(graph)
    notes = [] if free else ["the mapping fixes the core of every group: nothing to choose"]
    if search is None or found is None:
        return AllocationRecord(
            algorithm="greedy" if free else "fixed", free_groups=free, notes=notes
        )
    b = found.bounds
    bounds = LowerBounds(latency_cycles=b.latency_cycles, energy_pj=b.energy_pj, edp=b.edp)
    figures = {"latency": float(sched.latency_cycles), "energy": sched.energy.total_pj}
    figures["edp"] = figures["latency"] * figures["energy"]
    bound_of = {"latency": b.latency_cycles, "energy": b.energy_pj, "edp": b.edp}
    gap = {k: (v / bound_of[k] - 1.0 if bound_of[k] > 0 else None) for k, v in figures.items()}
    budget = _budget_text(search)
    return AllocationRecord(
        algorithm=found.algorithm,
        objective=found.objective,
        budget=budget,
        free_groups=free,
        evaluations=found.evaluations,
        interrupted=found.interrupted,
        bounds=bounds,
        gap=gap,
        notes=[*notes, *found.notes],
    )


def _budget_text(search: Search) -> str:
    """The search budget as text (``20s``, ``500evals``)."""
    b = search.budget
    if isinstance(b, str):
        return b
    parts = [] if b.evaluations is None else [f"{b.evaluations}evals"]
    parts += [] if b.seconds is None else [f"{b.seconds:g}s"]
    return "+".join(parts) or "unlimited"


def prepare(inputs: RunInputs, *, cache: Any = None, progress: Progress | None = None) -> Prepared:
    """Workload, accelerator, CN graph and cost table of the inputs a result records."""
    step = progress or _quiet
    step("workload")
    wl = load_workload(_spec(inputs.workload.path, inputs.workload.spec))
    step("hardware")
    acc = load_hardware(_spec(inputs.hardware.path, inputs.hardware.spec))
    step("mapping")
    mapping = inputs.mapping
    spec = load_run_mapping(
        None if mapping is None else _spec(mapping.path, mapping.spec), wl, acc, inputs.stacks
    )
    step("tiles")
    graph = build_cn_graph(wl, acc, spec, splits=dict(inputs.splits) or None)
    step("costs")
    costs = cost_table(graph, acc, cache=cache)
    return Prepared(wl, acc, graph, costs, spec)


def check_schedule(prep: Prepared, sched: Schedule) -> None:
    """Run the independent validator; raise :class:`InvalidScheduleError` on any violation."""
    problems = validate(prep, sched)
    if problems:
        raise InvalidScheduleError(problems)


def validate(prep: Prepared, sched: Schedule) -> list[str]:
    """The violations the independent validator (``schedule/validator.py``) finds."""
    return validate_schedule(prep.graph, prep.accelerator, prep.costs, sched)


def cost_table(graph: CNGraph, acc: Accelerator, *, cache: Any = None) -> CostTable:
    """The cost step (``cost/build.py``); a direct per-shape evaluation until it lands."""
    try:
        from fuseflow.cost.build import build_cost_table
    except ImportError:
        return _direct_costs(graph, acc)
    if cache is None:
        return build_cost_table(graph, acc)
    return build_cost_table(graph, acc, cache=cache)


def _direct_costs(graph: CNGraph, acc: Accelerator) -> CostTable:
    from fuseflow.cost.analytical import layer_cost

    cores_of: dict[int, set[int]] = {}
    for g, cores in enumerate(graph.group_cores):
        for cn_shape in np.unique(graph.shape[graph.group == g]).tolist():
            cores_of.setdefault(cn_shape, set()).update(cores)
    results = {
        (s, c): layer_cost(graph.tile_layers[s], acc.cores[c], dram=acc.dram)
        for s in sorted(cores_of)
        for c in sorted(cores_of[s])
    }
    return CostTable(acc.core_names, len(graph.tile_layers), results)


def _spec(path: str | None, spec: str) -> str:
    return path if path is not None else spec


def _quiet(_: str) -> None:
    return None


def check_result(path: str | Path, *, cache: Any = None) -> list[str]:
    """Independently re-check a saved result: reload its inputs (hashes must match), rebuild
    the CN graph and costs, and validate the schedule it records. Empty list = valid."""
    result = load_result(path)
    changed = check_hashes(result.inputs)
    if changed:
        raise InputError("; ".join(changed), where=str(path))
    prep = prepare(result.inputs, cache=cache)
    problems = _same_graph(result, prep.graph)
    if problems:
        return problems
    if result.inputs.allocation and len(result.inputs.allocation) != prep.graph.n_groups:
        return [
            f"allocation has {len(result.inputs.allocation)} groups, graph has "
            f"{prep.graph.n_groups}"
        ]
    sched = schedule_from_result(result)
    problems += validate(prep, sched)
    problems += _totals_agree(result, sched)
    return problems


def _same_graph(result: Result, graph: CNGraph) -> list[str]:
    names = [la.name for la in result.layers]
    if names != list(graph.layers):
        return ["the result's layers differ from the rebuilt workload's"]
    if result.cns.layer != graph.layer.tolist() or result.cns.tile != graph.tile.tolist():
        return [f"the result's {len(result.cns.layer)} CNs differ from the {graph.n} rebuilt CNs"]
    if result.cns.group != graph.group.tolist():
        return ["the result's CN groups differ from the rebuilt graph's"]
    return []


def _totals_agree(result: Result, sched: Schedule) -> list[str]:
    out = []
    e = result.energy
    if not np.isclose(sched.energy.total_pj, e.total_pj, rtol=1e-9):
        out.append(f"energy parts sum to {sched.energy.total_pj} pJ, total says {e.total_pj} pJ")
    if not np.isclose(result.totals.energy_pj, e.total_pj, rtol=1e-9):
        out.append("totals.energy_pj differs from energy.total_pj")
    ends = [int(sched.cn_end.max(initial=0)), int(sched.tr_end.max(initial=0))]
    if result.totals.latency_cycles != max(ends):
        out.append(f"latency {result.totals.latency_cycles} is not the last end {max(ends)}")
    return out
