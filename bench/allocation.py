"""Allocation search on ResNet-18 / TPU-like quad core, fused one row per tile: prints figures.

    python bench/allocation.py [--seed 0] [--workers 2] [--cp-dtime 2] [--ga-evals 175]
                               [--lookahead none|K]

Reports, in one run: the greedy start; Stream's GA configuration (10 generations x 16
individuals, mu+lambda, crossover 0.3, mutation 0.7; no split, as Stream) with its wall time;
our GA with a core-set gene per open-split layer; the CP-SAT allocator choosing each open
layer's core set (model answer and after polishing) with its EDP against Stream's GA; every
result's gap to the lower bounds, valid over every split choice. Every figure is a full
scheduler run of the allocation on its split graph.

Every run is scored with the scheduler moving operands as early as data, room and links allow
(``--lookahead none``, Stream's scheduler behaviour, under which the paper compared its CP
allocation with its GA); ``--lookahead 8`` scores with `fuseflow run`'s default DMA depth.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fuseflow.report.inputs import load_hardware
from fuseflow.schedule.scheduler import ScheduleOptions, parse_lookahead
from fuseflow.search.api import search_allocation
from fuseflow.search.bounds import lower_bounds
from fuseflow.search.cp import CpSettings
from fuseflow.search.evaluate import SchedulerEvaluator
from fuseflow.search.ga import GaSettings
from fuseflow.search.problem import AllocationProblem, Bounds, Budget, SearchResult, gap
from fuseflow.search.splits import make_split_problem, without_splits
from fuseflow.tiling.mapping import mapping_from_dict
from fuseflow.workload.load import load_workload

ROOT = Path(__file__).resolve().parent.parent
QUAD = ["core0", "core1", "core2", "core3"]
# Stream's GA mapping (tpu_like_quad_core.yaml): convs and the FC free on the four compute
# cores and split along K (the split factor left open: Stream's GA never splits, our search
# chooses each conv's core set), pooling on core4, adds on core5; ONNX nodes 0-10 and 11-21
# fused at one output row per CN.
MAPPING = {
    "stacks": [{"nodes": [0, 10]}, {"nodes": [11, 21]}],
    "priority": "depth_first",
    "default": {"cores": QUAD, "fixed": False, "tiling": {"OY": "all"}},
    "op_types": {
        "Conv": {"cores": QUAD, "fixed": False, "tiling": {"OY": "all"}, "split": {"K": "*"}},
        "Gemm": {"cores": QUAD, "fixed": False},
        "MaxPool": {"cores": ["core4"]},
        "AveragePool": {"cores": ["core4"]},
        "GlobalAveragePool": {"cores": ["core4"]},
        "Add": {"cores": ["core5"]},
    },
}


def build_problem() -> AllocationProblem:
    """The EDP problem with every open K split a decision (the unsplit graph underneath)."""
    wl = load_workload(str(ROOT / "examples" / "resnet18.onnx"))
    acc = load_hardware("tpu_like_quad")
    spec = mapping_from_dict(MAPPING, wl, acc)
    return make_split_problem(wl, acc, spec, "edp")


def line(name: str, r: SearchResult, seconds: float, b: Bounds) -> str:
    factors = sorted(r.splits.values()) if r.splits else []
    split = f"{sum(f > 1 for f in factors)} split" if r.splits else "no split"
    return (
        f"{name:<24} latency {r.latency_cycles:>10,} cc  energy {r.energy_pj / 1e6:>8.2f} uJ  "
        f"EDP {r.edp:.4e}  gap L {gap(r.latency_cycles, b.latency_cycles):6.1%} "
        f"E {gap(r.energy_pj, b.energy_pj):5.1%} EDP {gap(r.edp, b.edp):6.1%}  "
        f"evals {r.evaluations:>4}  {seconds:6.2f} s  {split}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cp-dtime", type=float, default=2.0, help="CP-SAT deterministic time")
    ap.add_argument("--polish-evals", type=int, default=175, help="budget of the CP runs")
    ap.add_argument("--ga-evals", type=int, default=175, help="budget of the GA with splits")
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--individuals", type=int, default=16)
    ap.add_argument("--ga-only", action="store_true", help="greedy and GAs only (no CP runs)")
    ap.add_argument(
        "--lookahead",
        default="none",
        help="the scheduler's operand lookahead for every score: none (default, as Stream) or K",
    )
    args = ap.parse_args()
    lookahead = parse_lookahead(args.lookahead)
    evaluator = SchedulerEvaluator(ScheduleOptions(lookahead=lookahead))

    t = time.perf_counter()
    problem = build_problem()
    plain = without_splits(problem)
    bounds = lower_bounds(problem)
    g = problem.graph
    assert problem.splits is not None
    print("ResNet-18 / tpu_like_quad, fused 0-10 + 11-21, one row per CN")
    print("  mapping: Stream's tpu_like_quad_core.yaml (convs + FC free on core0-3, pools core4,")
    print(f"  adds core5; `K, *` on the convs: {len(problem.splits.layers)} open splits)")
    print(f"  unsplit: {g.n} CNs, {g.n_edges} edges, {g.n_groups} groups ({plain.n_genes} free)")
    print(f"  preparation {time.perf_counter() - t:.2f} s, workers {args.workers}, "
          f"scheduler lookahead {lookahead}", flush=True)  # fmt: skip
    print(f"  lower bounds over every split: latency {bounds.latency_cycles:,.0f} cc "
          f"({_parts(bounds.latency_parts)})")  # fmt: skip
    print(f"      energy {bounds.energy_pj / 1e6:.2f} uJ ({_parts(bounds.energy_parts, 1e-6)})")
    runs: dict[str, SearchResult] = {}

    def timed(name: str, on: AllocationProblem, **kw: object) -> SearchResult:
        t0 = time.perf_counter()
        r = search_allocation(on, seed=args.seed, evaluator=evaluator, **kw)  # type: ignore[arg-type]
        runs[name] = r
        print(line(name, r, time.perf_counter() - t0, bounds), flush=True)
        return r

    timed("greedy (no split)", plain, algorithm="greedy")
    ga = GaSettings.stream(args.individuals, args.generations)
    name = f"GA Stream {args.individuals}x{args.generations}"
    stream = timed(name, plain, algorithm="ga", budget=Budget(), ga=ga, workers=args.workers)
    ga_budget = Budget(evaluations=args.ga_evals)
    timed("GA with split genes", problem, algorithm="ga", budget=ga_budget, workers=args.workers)
    builds = problem.splits.build_seconds
    if builds:
        print(f"  split graphs built in the parent: {len(builds)}, mean "
              f"{1e3 * sum(builds) / len(builds):.0f} ms (graph + costs)")  # fmt: skip
    if not args.ga_only:
        cp_alone = CpSettings(deterministic_seconds=args.cp_dtime, polish=False)
        cp_polish = CpSettings(deterministic_seconds=args.cp_dtime)
        budget = Budget(evaluations=args.polish_evals)  # reproducible: no wall-clock limit
        kw = {"algorithm": "cp", "budget": budget, "workers": args.workers}
        timed("CP splits, model + pool", problem, cp=cp_alone, **kw)
        timed("CP splits + polish", problem, cp=cp_polish, **kw)
    for name, r in runs.items():
        if r.split_layers:
            print(
                f"{name}: EDP / Stream GA EDP = {r.edp / stream.edp:.3f} (paper: 0.68); "
                f"EDP gap {gap(r.edp, bounds.edp):.1%} (goal <= 15 %); splits "
                f"{_factors(r)}"
            )
    print(f"Stream GA wall time {stream.seconds:.2f} s for {stream.evaluations} scheduler runs "
          "(goal 5 s)")  # fmt: skip


def _factors(r: SearchResult) -> str:
    return "".join(str(f) for f in r.splits.values())


def _parts(parts: tuple[tuple[str, float], ...], scale: float = 1.0) -> str:
    return ", ".join(f"{k} {v * scale:,.0f}" for k, v in parts)


if __name__ == "__main__":
    main()
