"""Fixtures of the report tests: the hand-built case of report_cases.py."""

from __future__ import annotations

import pytest
from report_cases import make_accelerator, make_graph, make_schedule

from fuseflow.hardware.model import Accelerator
from fuseflow.schedule.types import Schedule
from fuseflow.tiling.graph import CNGraph


@pytest.fixture
def case2() -> tuple[CNGraph, Accelerator, Schedule]:
    return make_graph(2), make_accelerator(), make_schedule(2)
