"""Sub-commands of the search step (filled in by the issue that builds this step)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
