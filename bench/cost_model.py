"""Time of the analytical cost model per (layer, core): ResNet-18 x the TPU-like core.

    python bench/cost_model.py [--model zoo:resnet18] [--hardware tpu_like_quad] [--core core0]

Wall and CPU (process) time are both printed: on a shared machine the CPU time is the steadier
figure. "cold" evaluates every layer (as one CN) with an empty cost cache folder, "warm" reads the
same layers back from that folder; both through :func:`fuseflow.cost.build.cost_pairs`, which
costs each distinct layer content once (ResNet-18: 48 layers, 23 distinct) and writes one
cache file per result. The model memoises loop orders per shape of the temporal loops and one
transfer plan per memory hierarchy within a process: "first" is the first cold repeat (nothing
memoised yet, as in a fresh ``fuseflow`` run), the median covers all. "fused run" is the cost
step of the ResNet-18 fused example on the quad core (its row tiles and all cores), cold and
warm. Target (issue 4): <= 2 ms per (layer, core) cold.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fuseflow.cost.build import build_cost_table, cost_pairs
from fuseflow.cost.cache import layer_key
from fuseflow.hardware.load import load_accelerator
from fuseflow.workload.load import load_workload


def per_layer(model: str, hardware: str, core_name: str, repeat: int) -> None:
    acc = load_accelerator(hardware)
    core = acc.core(core_name)
    jobs = [(layer, core) for layer in load_workload(model).layers]
    distinct = len({layer_key(layer) for layer, _ in jobs})
    cold, warm, cpu = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0 = time.perf_counter(), time.process_time()
            cost_pairs(jobs, acc.dram, cache=Path(tmp))
            t1, c1 = time.perf_counter(), time.process_time()
            cost_pairs(jobs, acc.dram, cache=Path(tmp))
            t2 = time.perf_counter()
        cold.append((t1 - t0) / len(jobs))
        cpu.append((c1 - c0) / len(jobs))
        warm.append((t2 - t1) / len(jobs))
    head = f"{model} x {core_name} ({core.name} of {hardware})"
    print(f"{head}: {len(jobs)} layers, {distinct} distinct")
    print(
        f"  cold  {statistics.median(cold) * 1e3:7.3f} ms per (layer, core)  (median of {repeat})"
    )
    print(f"  cold  {statistics.median(cpu) * 1e3:7.3f} ms CPU per (layer, core)")
    print(f"  first {cold[0] * 1e3:7.3f} ms, {cpu[0] * 1e3:.3f} ms CPU per (layer, core)")
    print(f"  warm  {statistics.median(warm) * 1e3:7.3f} ms per (layer, core)")


def fused_run(repeat: int) -> None:
    from fuseflow.api import prepare, run_inputs
    from fuseflow.report.examples import load_example

    ex = load_example("resnet18-tpu-quad-fused")
    inputs = run_inputs(ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, seed=0, options={})
    prep = prepare(inputs, cache=None)
    graph, acc = prep.graph, prep.accelerator
    cold, warm, cpu = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0 = time.perf_counter(), time.process_time()
            table = build_cost_table(graph, acc, cache=Path(tmp))
            t1, c1 = time.perf_counter(), time.process_time()
            build_cost_table(graph, acc, cache=Path(tmp))
            t2 = time.perf_counter()
        cold.append(t1 - t0)
        cpu.append(c1 - c0)
        warm.append(t2 - t1)
    n = len(table.results)
    print(f"resnet18-tpu-quad-fused cost step: {n} (tile shape, core) entries")
    mid = statistics.median(cold)
    print(f"  cold  {mid * 1e3:7.1f} ms  ({mid / n * 1e3:.2f} ms per entry)")
    print(f"  cold  {statistics.median(cpu) * 1e3:7.1f} ms CPU")
    print(f"  first {cold[0] * 1e3:7.1f} ms, {cpu[0] * 1e3:.1f} ms CPU")
    print(f"  warm  {statistics.median(warm) * 1e3:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="zoo:resnet18")
    ap.add_argument("--hardware", default="tpu_like_quad")
    ap.add_argument("--core", default="core0")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    per_layer(args.model, args.hardware, args.core, args.repeat)
    fused_run(args.repeat)


if __name__ == "__main__":
    main()
