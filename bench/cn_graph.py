"""Times CN-graph construction: Stream's ResNet-18 fused point and a one-million-CN FSRCNN.

Run: python bench/cn_graph.py [--quick]. Prints CN and edge counts, build seconds (best of a
few runs) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy.ma  # noqa: F401 (np.unique imports it on its first call: keep it out of the times)

from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.large import MILLION_COLUMN_PARTS, fsrcnn_graph, fsrcnn_workload
from fuseflow.tiling.mapping import resolve_mapping
from fuseflow.tiling.spec import MappingSpec
from fuseflow.tiling.stream_import import import_stream_mapping
from fuseflow.tiling.yamlfile import parse_yaml
from fuseflow.workload.layer import Workload
from fuseflow.workload.load import load_workload

DATA = Path(__file__).parents[1] / "tests" / "data" / "stream"
STREAM_POINT = DATA / "mapping" / "tpu_like_quad_core_resnet18_fixed_split_tiled.yaml"
# Stream's fused run: layers 0-10 and 11-21 (ONNX node indices) fused, the rest layer by layer.
FUSED_STACKS = "stacks: [{nodes: [0, 10]}, {nodes: [11, 21]}]"


def timed(
    workload: Workload, acc: Accelerator, mapping: MappingSpec, repeat: int
) -> tuple[CNGraph, str]:
    """The graph and its build times: the first call's CPU seconds (it fills the memos of axis
    index sets) and the best of ``repeat`` later calls, wall and CPU (CPU is immune to load)."""
    start_cpu = time.process_time()
    graph = build_cn_graph(workload, acc, mapping)
    first = time.process_time() - start_cpu
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        graph = build_cn_graph(workload, acc, mapping)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return graph, (
        f"{first:.3f} s CPU (first call), then {wall:.3f} s wall, {cpu:.3f} s CPU (best of "
        f"{repeat})"
    )


def peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def resnet18(repeat: int) -> None:
    workload = load_workload(DATA / "workload" / "resnet18.onnx")
    acc = load_accelerator("tpu_like_quad")
    text = import_stream_mapping(STREAM_POINT, workload).replace("stacks: auto", FUSED_STACKS)
    mapping = resolve_mapping(parse_yaml(text, str(STREAM_POINT)), workload, acc)
    graph, seconds = timed(workload, acc, mapping, repeat)
    order = int((graph.edge_role == -1).sum())
    print(
        f"ResNet-18, Stream's fused point (tpu_like_quad): {graph.n:,} CNs, {graph.n_edges:,} "
        f"edges ({graph.n_edges - order:,} data + {order:,} intra-layer order), "
        f"{len(graph.tile_layers)} tile shapes; built in {seconds}; "
        "Stream: 1,118 CNs / 3,043 edges in 2 s"
    )


def fsrcnn(columns: int, repeat: int) -> None:
    workload = fsrcnn_workload(2160, 3840)
    acc = load_accelerator("tpu_like_quad")
    wall = cpu = float("inf")
    graph = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        graph = fsrcnn_graph(acc, workload=workload, column_parts=columns)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    assert graph is not None
    print(
        f"FSRCNN 3840x2160, one row x 1/{columns} of the columns per CN: {graph.n:,} CNs, "
        f"{graph.n_edges:,} edges, {int(graph.edge_bits.sum()) / 8e9:.2f} GB carried; built in "
        f"{wall:.3f} s wall, {cpu:.3f} s CPU (best of {repeat}, mapping resolution included); "
        f"peak RSS so far {peak_rss_mib():,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the one-million-CN graph")
    args = parser.parse_args()
    resnet18(repeat=5)
    fsrcnn(columns=8, repeat=1)
    if not args.quick:
        fsrcnn(columns=MILLION_COLUMN_PARTS, repeat=1)


if __name__ == "__main__":
    main()
