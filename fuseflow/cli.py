"""The `fuseflow` command line: one sub-command family per pipeline step, errors as one line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from fuseflow import __version__
from fuseflow.errors import FuseflowError

# Each module defines ``register(subparsers)`` adding its sub-commands; a sub-command parser sets
# ``handler`` (a function taking the parsed namespace and returning an exit code).
COMMAND_MODULES = (
    "fuseflow.workload.cli",
    "fuseflow.hardware.cli",
    "fuseflow.cost.cli",
    "fuseflow.tiling.cli",
    "fuseflow.schedule.cli",
    "fuseflow.search.cli",
    "fuseflow.validation.cli",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fuseflow",
        description="Latency, energy and memory of layer-fused DNNs on multi-core accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"fuseflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        # Argument types (budgets, sizes) are parsed by our own code and raise our errors.
        args = parser.parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        return handler(args)
    except FuseflowError as exc:
        # One problem per line, each marked, so several located problems read (and grep) alike.
        for line in str(exc).splitlines() or [""]:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `fuseflow ... | head` closed our stdout early: not an error of ours or the user's.
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
