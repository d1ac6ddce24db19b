"""Allocation search on ResNet-18 / TPU-like quad core, fused one row per tile: prints figures.

    python bench/allocation.py [--seed 0] [--workers 2] [--cp-dtime 2] [--split 1]

Reports, in one run: the greedy start, Stream's GA configuration (10 generations x 16
individuals, mu+lambda, crossover 0.3, mutation 0.7) with its wall time, the CP-SAT allocator
(model answer and after polishing) with its EDP against the GA's, and every result's gap to the
lower bounds. Every figure is a full scheduler run of the allocation.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fuseflow.api import cost_table
from fuseflow.report.inputs import load_hardware
from fuseflow.search.api import search_allocation
from fuseflow.search.cp import CpSettings
from fuseflow.search.ga import GaSettings
from fuseflow.search.problem import AllocationProblem, Budget, SearchResult, gap, make_problem
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.mapping import mapping_from_dict
from fuseflow.workload.load import load_workload

ROOT = Path(__file__).resolve().parent.parent
QUAD = ["core0", "core1", "core2", "core3"]
# Stream's GA mapping (tpu_like_quad_core.yaml): convs and the FC free on the four compute
# cores and split along K (the split factor left open), pooling on core4, adds on core5;
# ONNX nodes 0-10 and 11-21 fused at one output row per CN.
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


def build_problem(split: int) -> AllocationProblem:
    wl = load_workload(str(ROOT / "examples" / "resnet18.onnx"))
    acc = load_hardware("tpu_like_quad")
    spec = mapping_from_dict(MAPPING, wl, acc)
    splits = {name: split for name in spec.open_splits()} if split > 1 else None
    graph = build_cn_graph(wl, acc, spec, splits=splits)
    return make_problem(graph, cost_table(graph, acc), acc, "edp")


def line(name: str, r: SearchResult, seconds: float) -> str:
    b = r.bounds
    return (
        f"{name:<25} latency {r.latency_cycles:>11,} cc  energy {r.energy_pj / 1e6:>9.2f} uJ  "
        f"EDP {r.edp:.4e}  gap L {gap(r.latency_cycles, b.latency_cycles):6.1%} "
        f"E {gap(r.energy_pj, b.energy_pj):6.1%} EDP {gap(r.edp, b.edp):6.1%}  "
        f"evals {r.evaluations:>4}  {seconds:6.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cp-dtime", type=float, default=2.0, help="CP-SAT deterministic time")
    ap.add_argument("--polish-evals", type=int, default=60)
    ap.add_argument("--split", type=int, default=1, help="factor of the open K splits")
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--individuals", type=int, default=16)
    ap.add_argument("--ga-only", action="store_true", help="greedy and GA only (no CP runs)")
    args = ap.parse_args()

    t = time.perf_counter()
    problem = build_problem(args.split)
    g = problem.graph
    print(f"ResNet-18 / tpu_like_quad, fused 0-10 + 11-21, one row per CN, K split {args.split}")
    print("  mapping: Stream's tpu_like_quad_core.yaml (convs + FC free on core0-3, pools core4,")
    print("  adds core5; `K, *` = no split in Stream's GA flow)")
    print(f"  {g.n} CNs, {g.n_edges} edges, {g.n_groups} groups ({problem.n_genes} free)")
    print(f"  preparation {time.perf_counter() - t:.2f} s, workers {args.workers}", flush=True)

    runs: dict[str, SearchResult] = {}

    def timed(name: str, **kw: object) -> SearchResult:
        t0 = time.perf_counter()
        r = search_allocation(problem, seed=args.seed, **kw)  # type: ignore[arg-type]
        runs[name] = r
        print(line(name, r, time.perf_counter() - t0), flush=True)
        return r

    greedy = timed("greedy (1 scheduler run)", algorithm="greedy")
    b = greedy.bounds
    print(f"  lower bounds: latency {b.latency_cycles:,.0f} cc {_parts(b.latency_parts)}")
    print(f"                energy {b.energy_pj / 1e6:.2f} uJ {_parts(b.energy_parts, 1e-6)}")
    ga = GaSettings.stream(args.individuals, args.generations)
    name = f"GA Stream {args.individuals}x{args.generations}"
    ga_run = timed(name, algorithm="ga", budget=Budget(), ga=ga, workers=args.workers)
    if args.ga_only:
        print(f"GA wall time {ga_run.seconds:.2f} s for {ga_run.evaluations} scheduler runs")
        return
    cp_alone = CpSettings(deterministic_seconds=args.cp_dtime, polish=False)
    cp_polish = CpSettings(deterministic_seconds=args.cp_dtime)
    budget = Budget(evaluations=args.polish_evals)  # reproducible: no wall-clock limit
    timed("CP model + pool", algorithm="cp", budget=budget, cp=cp_alone, workers=args.workers)
    timed("CP + polish", algorithm="cp", budget=budget, cp=cp_polish, workers=args.workers)

    for name in ("CP model + pool", "CP + polish"):
        r = runs[name]
        print(
            f"{name}: EDP / GA EDP = {r.edp / ga_run.edp:.3f} (paper: CP 32 % lower, 0.68); "
            f"EDP gap to bound {gap(r.edp, b.edp):.1%} (goal <= 15 %)"
        )
        print(f"  notes: {'; '.join(r.notes)}")
    print(f"GA wall time {ga_run.seconds:.2f} s for {ga_run.evaluations} scheduler runs (goal 5 s)")


def _parts(parts: tuple[tuple[str, float], ...], scale: float = 1.0) -> str:
    return ", ".join(f"{k} {v * scale:,.0f}" for k, v in parts)


if __name__ == "__main__":
    main()
