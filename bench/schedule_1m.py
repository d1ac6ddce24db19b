"""Scheduler speed: a 1,000,000-CN fused chain (8 layers x 125k row tiles with halo edges) and a
ResNet-18-sized random DAG (~1,100 CNs, ~3,000 edges). Prints the schedule time alone.

    python bench/schedule_1m.py [--tiles 125000] [--layers 8] [--repeat 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fuseflow.cost.result import CostResult
from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator, Core, Dram, Link, MemoryLevel
from fuseflow.schedule.context import build_context
from fuseflow.schedule.scheduler import schedule_with
from fuseflow.schedule.validator import validate_schedule
from fuseflow.tiling.graph import CNGraph, csr_from_edges
from fuseflow.workload.layer import Layer, Workload


def quad_core(mem_bits: int = 2**21) -> Accelerator:
    names = [f"core{i}" for i in range(4)]
    mem = MemoryLevel("sram", mem_bits, 256, 256, 10.0, 10.0, frozenset("IWO"), ("D1",))
    cores = tuple(Core(n, (("D1", 32),), (), (mem,), 0.5) for n in names)
    links = tuple(Link(f"{a}->{b}", a, b, 64, 0.05) for a in names for b in names if a != b)
    return Accelerator("bench-quad", cores, Dram("dram", 2**40, 64, 64, 64.0, 64.0), links)


def make_graph(
    n: int, src: np.ndarray, dst: np.ndarray, bits: np.ndarray, layer: np.ndarray, **kw: np.ndarray
) -> CNGraph:
    n_layers = int(layer.max()) + 1
    role = np.zeros(src.shape[0], dtype=np.int8)
    s, d, b, r, out_ptr, in_edges, in_ptr = csr_from_edges(n, src, dst, bits, role)
    dummy = Layer("t", "Conv", "conv", (("K", 1),), {})
    return CNGraph(
        workload=Workload("bench", (), {}, (), ()),
        layers=tuple(f"L{i}" for i in range(n_layers)),
        ranges=tuple(np.zeros((1, 1, 2), dtype=np.int64) for _ in range(n_layers)),
        tile_layers=(dummy,) * n_layers,
        layer=layer.astype(np.int32),
        tile=kw["tile"].astype(np.int32),
        group=layer.astype(np.int32),
        shape=layer.astype(np.int32),
        output_bits=kw["output_bits"],
        produces_final=np.ones(n, dtype=np.bool_),
        graph_output=kw["graph_output"],
        dram_input_bits=kw["dram_input_bits"],
        weight=layer.astype(np.int32),
        priority=kw["priority"],
        weight_bits=np.full(n_layers, 36_864, dtype=np.int64),
        group_layer=np.arange(n_layers, dtype=np.int32),
        group_cores=tuple((0, 1, 2, 3) for _ in range(n_layers)),
        group_fixed=np.full(n_layers, -1, dtype=np.int32),
        edge_src=s,
        edge_dst=d,
        edge_bits=b,
        edge_role=r,
        out_ptr=out_ptr,
        in_edges=in_edges,
        in_ptr=in_ptr,
        stacks=(tuple(range(n_layers)),),
    )


def chain(n_layers: int, tiles: int) -> CNGraph:
    """Layer l tile j reads tiles j-1, j, j+1 of layer l-1 (a 3x3 conv on one output row)."""
    n = n_layers * tiles
    idx = np.arange(n)
    layer, tile = idx // tiles, idx % tiles
    srcs, dsts, bits = [], [], []
    for off, b in ((-1, 256), (0, 2048), (1, 256)):
        j = np.arange(tiles)
        ok = (j + off >= 0) & (j + off < tiles)
        for lay in range(1, n_layers):
            srcs.append((lay - 1) * tiles + j[ok] + off)
            dsts.append(lay * tiles + j[ok])
            bits.append(np.full(int(ok.sum()), b))
    return make_graph(
        n,
        np.concatenate(srcs).astype(np.int32),
        np.concatenate(dsts).astype(np.int32),
        np.concatenate(bits).astype(np.int64),
        layer,
        tile=tile,
        output_bits=np.full(n, 2048, dtype=np.int64),
        graph_output=layer == n_layers - 1,
        dram_input_bits=np.where(layer == 0, 2048, 0).astype(np.int64),
        priority=(tile * n_layers + layer).astype(np.int64),
    )


def random_dag(n: int = 1100, n_edges: int = 3000, n_layers: int = 22, seed: int = 0) -> CNGraph:
    rng = np.random.default_rng(seed)
    layer = np.sort(rng.integers(0, n_layers, n))
    a = rng.integers(0, n, 2 * n_edges)
    b = rng.integers(0, n, 2 * n_edges)
    keep = layer[a] < layer[b]
    pairs = np.unique(np.stack([a[keep], b[keep]], axis=1), axis=0)[:n_edges]
    return make_graph(
        n,
        pairs[:, 0].astype(np.int32),
        pairs[:, 1].astype(np.int32),
        rng.integers(256, 8192, pairs.shape[0]).astype(np.int64),
        layer,
        tile=np.arange(n),
        output_bits=np.full(n, 8192, dtype=np.int64),
        graph_output=layer == n_layers - 1,
        dram_input_bits=np.where(layer == 0, 4096, 0).astype(np.int64),
        priority=np.arange(n, dtype=np.int64),
    )


def cost_table(acc: Accelerator, n_shapes: int) -> CostTable:
    results = {}
    for s in range(n_shapes):
        for c, core in enumerate(acc.cores):
            lat = 100 + 10 * s
            results[(s, c)] = CostResult(
                core.name, lat * 32, lat, lat, 0, 0, 0, 50.0, 16.0, (), 1.0, 1.0, ()
            )
    return CostTable(acc.core_names, n_shapes, results)


def timed(graph: CNGraph, acc: Accelerator, alloc: np.ndarray, repeat: int) -> None:
    costs = cost_table(acc, int(graph.layer.max()) + 1)
    t0 = time.perf_counter()
    ctx = build_context(graph, acc, costs)
    t1 = time.perf_counter()
    best = float("inf")
    for _ in range(repeat):
        t2 = time.perf_counter()
        sched = schedule_with(ctx, alloc)
        best = min(best, time.perf_counter() - t2)
    print(
        f"  {graph.n:,} CNs, {graph.n_edges:,} edges: context {t1 - t0:.3f} s, "
        f"schedule {best:.3f} s (best of {repeat}); latency {sched.latency_cycles:,} cycles, "
        f"energy {sched.energy_pj:.4g} pJ, {sched.n_transfers:,} transfers"
    )
    if graph.n <= 20_000:
        problems = validate_schedule(graph, acc, costs, sched)
        print(f"  validator: {len(problems)} violations")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiles", type=int, default=125_000)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    acc = quad_core()
    print("ResNet-18-sized random DAG on 4 cores (layers round-robin):")
    dag = random_dag()
    timed(dag, acc, (np.arange(dag.n_groups) % 4).astype(np.int32), args.repeat)
    print(f"fused chain {args.layers} layers x {args.tiles:,} tiles on 4 cores (2 layers each):")
    g = chain(args.layers, args.tiles)
    timed(g, acc, (np.arange(args.layers) * 4 // args.layers).astype(np.int32), 1)


if __name__ == "__main__":
    main()
