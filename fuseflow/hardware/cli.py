"""`fuseflow hardware check|list|show|import-stream`: inspect, list, convert accelerators."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fuseflow.errors import InputError
from fuseflow.hardware import catalog
from fuseflow.hardware.lint import lint
from fuseflow.hardware.load import load_accelerator, resolve
from fuseflow.hardware.summary import summarize


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
    hw = subparsers.add_parser("hardware", help="accelerator descriptions: check, list, import")
    sub = hw.add_subparsers(dest="hardware_command", metavar="ACTION")
    hw.set_defaults(handler=lambda args: _help(hw))

    check = sub.add_parser("check", help="validate a hardware file and print its summary")
    check.add_argument("file", help="system or core YAML, or a library name")
    check.set_defaults(handler=_check)

    listing = sub.add_parser("list", help="list the shipped library (systems, then cores)")
    listing.set_defaults(handler=_list)

    show = sub.add_parser("show", help="print a library file (or its summary)")
    show.add_argument("name", help="library name, e.g. tpu_like_quad or cores/tpu_like")
    show.add_argument("--summary", action="store_true", help="print the summary, not the YAML")
    show.set_defaults(handler=_show)

    imp = sub.add_parser(
        "import-stream", help="convert a Stream system YAML or a ZigZag core YAML to our format"
    )
    imp.add_argument("file", help="Stream accelerator YAML or ZigZag core YAML")
    imp.add_argument("--out", required=True, help="the fuseflow YAML to write")
    imp.add_argument(
        "--zigzag-mapping",
        help="ZigZag mapping YAML whose 'default' spatial_mapping gives the cores' unrolling",
    )
    imp.set_defaults(handler=_import)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _check(args: argparse.Namespace) -> int:
    acc = load_accelerator(args.file)
    print(summarize(acc))
    for warning in lint(acc):
        print(f"warning: {warning}")
    print("ok")
    return 0


def _list(args: argparse.Namespace) -> int:
    for name in catalog.names():
        path = catalog.path_of(name)
        assert path is not None
        print(f"{name:<24} {_first_comment(path)}")
    return 0


def _first_comment(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def _show(args: argparse.Namespace) -> int:
    path = catalog.path_of(args.name)
    if path is None:
        raise InputError(
            "not in the library (for your own file use `fuseflow hardware check FILE`; "
            f"`fuseflow hardware list` shows: {', '.join(catalog.names())})",
            where=args.name,
        )
    if args.summary:
        print(summarize(load_accelerator(resolve(str(path)))))
    else:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def _import(args: argparse.Namespace) -> int:
    from fuseflow.hardware.stream_import import import_stream

    mapping = Path(args.zigzag_mapping) if args.zigzag_mapping else None
    result = import_stream(Path(args.file), mapping)
    out = Path(args.out)
    out.write_text(result.text, encoding="utf-8")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    acc = load_accelerator(out)
    cores = f"{len(acc.cores)} core" + ("s" if len(acc.cores) > 1 else "")
    print(f"wrote {out}: {cores}, {acc.total_macs} MACs")
    return 0
