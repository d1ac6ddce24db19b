"""``fuseflow validate``: run the silicon validation cases and compare with measured latency."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fuseflow.validation.case import all_cases, find_case
from fuseflow.validation.report import as_dict, as_text
from fuseflow.validation.runner import run_case


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "validate",
        help="reproduce the measured latency of the shipped silicon cases (DepFiN, DIANA)",
        description="Run each validation case end to end and print modelled vs measured latency, "
        "accuracy (1 - |1 - modelled/measured|), energy and the per-core breakdown.",
    )
    p.add_argument("--case", metavar="NAME", help="run only this case")
    p.add_argument("--cases-dir", metavar="DIR", help="folder of case folders (default: shipped)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    cases = [find_case(args.case, args.cases_dir)] if args.case else all_cases(args.cases_dir)
    runs = [run_case(c) for c in cases]
    if args.json:
        print(json.dumps([as_dict(r) for r in runs], indent=2))
    else:
        print("\n\n".join(as_text(r) for r in runs))
    return 1 if any(r.problems for r in runs) else 0
