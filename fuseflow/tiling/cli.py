"""Sub-commands of the tiling step: `fuseflow tile` and `fuseflow mapping import-stream`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from fuseflow.errors import InputError
from fuseflow.tiling.report import dump_graph, graph_summary, print_summary


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
    tile = subparsers.add_parser(
        "tile",
        help="cut a workload into CNs and show them per layer",
        description="Tile MODEL as the mapping says: CNs per layer, edges, bits, stacks.",
    )
    tile.add_argument("model", help="an .onnx file, a workload .yaml or zoo:NAME")
    tile.add_argument("--hardware", required=True, help="accelerator YAML file")
    tile.add_argument("--mapping", help="mapping YAML file (default: automatic stacks, OY: all)")
    tile.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tile.add_argument("--dump", type=Path, help="write the CN graph (.npz arrays or .json)")
    tile.set_defaults(handler=_tile)

    mapping = subparsers.add_parser("mapping", help="mapping files")
    msub = mapping.add_subparsers(dest="mapping_command", metavar="COMMAND")
    imp = msub.add_parser(
        "import-stream",
        help="convert a Stream mapping file",
        description="Convert a Stream mapping YAML (a list of per-op entries) to our format.",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--out", type=Path, help="output file (default: print)")
    imp.add_argument(
        "--workload",
        help="the model the mapping is for (.onnx or zoo:NAME): op types of named layers, "
        "loops they lack dropped as Stream does",
    )
    imp.set_defaults(handler=_import_stream)


def _tile(args: argparse.Namespace) -> int:
    from fuseflow.hardware.load import load_accelerator
    from fuseflow.tiling.build import build_cn_graph
    from fuseflow.tiling.mapping import default_mapping, load_mapping
    from fuseflow.workload.load import load_workload

    workload = load_workload(args.model)
    acc = load_accelerator(args.hardware)
    if args.mapping:
        mapping = load_mapping(args.mapping, workload, acc)
    else:
        mapping = default_mapping(workload, acc)
    start = time.perf_counter()
    graph = build_cn_graph(workload, acc, mapping)
    seconds = time.perf_counter() - start
    summary = graph_summary(graph, mapping, seconds)
    if args.dump:
        dump_graph(graph, args.dump)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print_summary(summary)
    return 0


def _import_stream(args: argparse.Namespace) -> int:
    from fuseflow.tiling.stream_import import import_stream_mapping

    workload = None
    if args.workload:
        from fuseflow.workload.load import load_workload

        workload = load_workload(args.workload)
    text = import_stream_mapping(args.file, workload)
    if args.out is None:
        print(text, end="")
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", where=str(args.out)) from None
    print(f"wrote {args.out}")
    return 0
