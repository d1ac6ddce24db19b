"""Scheduler speed: the ResNet-18 examples (~1,100 CNs) and FSRCNN at 3840x2160 (~1M CNs).

    python bench/schedule_1m.py [--columns 60] [--height 2160] [--width 3840] [--repeat 20]
    python bench/schedule_1m.py --columns 8 --height 270 --width 480     # a quick 17k-CN run

Prints the schedule time alone (``schedule_with`` on a prebuilt context; the context build is
shown apart), wall and CPU seconds (CPU is less sensitive to a loaded machine), and the peak
resident memory of the process before and after scheduling. Targets (issue 6): ResNet-18 fused
one schedule ~<= 50 ms; 1,000,000 CNs <= 60 s.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from fuseflow.api import prepare
from fuseflow.cost.build import build_cost_table
from fuseflow.cost.table import CostTable
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator
from fuseflow.report.examples import load_example
from fuseflow.report.inputs import run_inputs
from fuseflow.schedule.context import build_context
from fuseflow.schedule.scheduler import ScheduleOptions, parse_lookahead, schedule_with
from fuseflow.schedule.types import Schedule
from fuseflow.schedule.validator import validate_schedule
from fuseflow.search.greedy import greedy_allocation
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.mapping import mapping_from_dict
from fuseflow.workload.load import load_workload

EXAMPLES = ("resnet18-tpu-quad-fused", "resnet18-tpu-quad-lbl")


def peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def timed(
    graph: CNGraph,
    acc: Accelerator,
    costs: CostTable,
    alloc: np.ndarray,
    repeat: int,
    options: ScheduleOptions,
) -> Schedule:
    """Print context and schedule times (best of ``repeat``) and the schedule's totals."""
    t0 = time.perf_counter()
    ctx = build_context(graph, acc, costs)
    t_ctx = time.perf_counter() - t0
    wall = cpu = float("inf")
    sched = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        sched = schedule_with(ctx, alloc, options=options)
        wall = min(wall, time.perf_counter() - w)
        cpu = min(cpu, time.process_time() - c)
    assert sched is not None
    print(
        f"  {graph.n:,} CNs, {graph.n_edges:,} edges: context {t_ctx:.3f} s; schedule "
        f"{wall:.3f} s wall, {cpu:.3f} s CPU (best of {repeat}), "
        f"{1e6 * cpu / max(graph.n, 1):.0f} us CPU per CN"
    )
    print(
        f"  latency {sched.latency_cycles:,} cycles, energy {sched.energy_pj:.6g} pJ, "
        f"EDP {sched.edp:.4g}, {sched.n_transfers:,} transfers"
    )
    return sched


def examples(repeat: int, options: ScheduleOptions) -> None:
    for name in EXAMPLES:
        ex = load_example(name)
        inputs = run_inputs(
            ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, seed=0, options={}
        )
        prep = prepare(inputs, cache=None, progress=lambda _step: None)
        alloc = greedy_allocation(prep.graph, prep.costs, prep.accelerator)
        print(f"{name}:")
        sched = timed(prep.graph, prep.accelerator, prep.costs, alloc, repeat, options)
        found = validate_schedule(prep.graph, prep.accelerator, prep.costs, sched)
        print(f"  validator: {len(found)} violations")


def fsrcnn(columns: int, height: int, width: int, options: ScheduleOptions) -> None:
    workload = load_workload(f"zoo:fsrcnn?height={height}&width={width}")
    acc = load_accelerator("tpu_like_quad")
    tiling: dict[str, object] = {"OY": "all", "OX": columns}
    data = {"default": {"cores": ["core0", "core1", "core2", "core3"], "tiling": tiling}}
    mapping = mapping_from_dict({**data, "stacks": "auto"}, workload, acc)
    t0 = time.perf_counter()
    graph = build_cn_graph(workload, acc, mapping)
    t1 = time.perf_counter()
    costs = build_cost_table(graph, acc)
    alloc = (np.arange(graph.n_groups) % 4).astype(np.int32)  # groups round-robin on 4 cores
    print(
        f"FSRCNN {width}x{height}, one row x 1/{columns} of the columns per CN, groups "
        f"round-robin on core0-3 (graph {t1 - t0:.1f} s, costs {time.perf_counter() - t1:.1f} s; "
        f"peak RSS before scheduling {peak_rss_mib():,.0f} MiB):"
    )
    sched = timed(graph, acc, costs, alloc, 1, options)
    print(f"  peak RSS after scheduling {peak_rss_mib():,.0f} MiB")
    if graph.n <= 50_000:
        print(f"  validator: {len(validate_schedule(graph, acc, costs, sched))} violations")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=int, default=60, help="FSRCNN column tiles (60: ~1M CNs)")
    ap.add_argument("--height", type=int, default=2160)
    ap.add_argument("--width", type=int, default=3840)
    ap.add_argument("--repeat", type=int, default=20, help="ResNet-18 schedules (best shown)")
    ap.add_argument("--lookahead", help="ScheduleOptions.lookahead: a number or 'none'")
    args = ap.parse_args()
    options = ScheduleOptions()
    if args.lookahead is not None:
        options = ScheduleOptions(lookahead=parse_lookahead(args.lookahead))
    print(f"options: {options}")
    examples(args.repeat, options)
    fsrcnn(args.columns, args.height, args.width, options)


if __name__ == "__main__":
    main()
