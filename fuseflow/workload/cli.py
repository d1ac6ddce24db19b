"""Sub-commands of the workload step: ``workload summary`` and ``zoo list|export``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import onnx
from rich.console import Console

from fuseflow.errors import InputError
from fuseflow.workload.load import load_workload
from fuseflow.workload.summary import print_summary, summary_dict
from fuseflow.workload.zoo import ZOO, parse_zoo_spec, zoo_model


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
    wl = subparsers.add_parser("workload", help="inspect workloads (ONNX files, zoo models)")
    wl_sub = wl.add_subparsers(dest="workload_command", metavar="COMMAND")
    s = wl_sub.add_parser("summary", help="per-layer loop dims, MACs, operand sizes, producers")
    s.add_argument("model", help="an .onnx file or zoo:NAME[?k=v&...] (see `fuseflow zoo list`)")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.add_argument("--unknown-ops", choices=("error", "passthrough"), default="error",
                   help="what to do with ops fuseflow does not model (default: error)")  # fmt: skip
    s.set_defaults(handler=_summary)

    zoo = subparsers.add_parser("zoo", help="the built-in model zoo")
    zoo_sub = zoo.add_subparsers(dest="zoo_command", metavar="COMMAND")
    zoo_sub.add_parser("list", help="models and their size parameters").set_defaults(handler=_list)
    e = zoo_sub.add_parser("export", help="write a zoo model as a weight-stripped .onnx file")
    e.add_argument("name")
    e.add_argument("--out", required=True, type=Path, help="the .onnx file to write")
    e.add_argument("--param", action="append", default=[], metavar="K=V",
                   help="a size parameter, e.g. --param seq=256 (repeatable)")  # fmt: skip
    e.set_defaults(handler=_export)


def _summary(args: argparse.Namespace) -> int:
    workload = load_workload(args.model, unknown_ops=args.unknown_ops)
    for warning in workload.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary_dict(workload), indent=1))
    else:
        # Piped output keeps full node names on one line instead of folding at 80 columns.
        print_summary(workload, Console(width=None if sys.stdout.isatty() else 220))
    return 0


def _list(args: argparse.Namespace) -> int:
    for model in ZOO.values():
        params = " ".join(f"{k}={v}" for k, v in model.params.items())
        print(f"{model.name:<14} {model.summary}\n{'':<14} params: {params}")
    return 0


def _export(args: argparse.Namespace) -> int:
    name, params = parse_zoo_spec(f"{args.name}?{'&'.join(args.param)}")
    model = zoo_model(name).model(params)
    if args.out.parent and not args.out.parent.exists():
        raise InputError("directory does not exist", where=str(args.out.parent))
    onnx.save(model, str(args.out))
    print(f"wrote {args.out} ({name}, {args.out.stat().st_size} bytes; weights not included)")
    return 0
