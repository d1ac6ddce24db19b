"""Large real CN graphs for benchmarks: FSRCNN at 4K tiled to about a million CNs."""

from __future__ import annotations

from typing import Any

from fuseflow.hardware.model import Accelerator
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import CNGraph
from fuseflow.tiling.mapping import mapping_from_dict
from fuseflow.workload.layer import Workload
from fuseflow.workload.load import load_workload

MILLION_COLUMN_PARTS = 60  # 8 layers x 2160 rows x 60 column parts = 1,036,800 CNs


def fsrcnn_workload(height: int = 2160, width: int = 3840) -> Workload:
    """The zoo's FSRCNN (8 layers) on a ``height`` x ``width`` image."""
    return load_workload(f"zoo:fsrcnn?height={height}&width={width}")


def fsrcnn_graph(
    acc: Accelerator,
    *,
    height: int = 2160,
    width: int = 3840,
    column_parts: int = MILLION_COLUMN_PARTS,
    workload: Workload | None = None,
) -> CNGraph:
    """FSRCNN fused as automatic stacks, each CN one output row x 1/``column_parts`` columns.

    Every layer may run on every core of ``acc`` able to run it. With the defaults this is
    1,036,800 CNs and about 7.1 million edges (a real graph with halos, for the scheduler's
    million-CN benchmark); ``column_parts=8`` gives 138,240 CNs.
    """
    wl = workload if workload is not None else fsrcnn_workload(height, width)
    data: dict[str, Any] = {
        "default": {"tiling": {"OY": "all", "OX": column_parts}},
        "stacks": "auto",
    }
    mapping = mapping_from_dict(data, wl, acc, f"<fsrcnn 1/{column_parts} columns>")
    return build_cn_graph(wl, acc, mapping)
