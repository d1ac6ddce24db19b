"""The shipped silicon cases: regression guards on the accuracy reached today, valid schedules.

Re-blessing: when a change to the model moves a case's latency on purpose, run
``fuseflow validate --json``, explain the move in docs/validation.md, and update TODAY below.
These figures are what the model gives, not targets (DepFiN is below the 97 % goal; see docs).
"""

from __future__ import annotations

from functools import cache

import pytest

from fuseflow.errors import InputError
from fuseflow.validation.case import find_case
from fuseflow.validation.runner import CaseRun, accuracy, run_case

# modelled latency today (cycles); guard: within 0.2 % of it
TODAY = {"depfin": 5_736_919, "diana": 802_891}
TOLERANCE = 0.002


@cache
def _cached(name: str) -> CaseRun:
    return run_case(find_case(name))


def _run(name: str) -> CaseRun:
    try:
        return _cached(name)
    except InputError as exc:
        if "described identically" in str(exc):
            pytest.xfail(
                "the hardware loader rejects one shared L1 kept with different operands and "
                "array dims per core (docs/validation.md, missing mechanisms)"
            )
        raise


@pytest.mark.parametrize("name", sorted(TODAY))
def test_case_matches_todays_accuracy_and_schedule_is_valid(name: str) -> None:
    run = _run(name)
    assert run.problems == ()
    assert abs(run.latency_cycles / TODAY[name] - 1) <= TOLERANCE
    expected = accuracy(TODAY[name], run.case.measured_latency_cycles)
    assert run.accuracy == pytest.approx(expected, abs=TOLERANCE)


def test_depfin_anatomy() -> None:
    """One core; the link carries the layer-0 input rows and the layer-7 output rows."""
    run = _run("depfin")
    (core,) = run.breakdown.cores
    assert core.cns == 8 * 540
    assert core.ideal_cycles == 4_924_800  # the ZigZag figure of the fact sheet
    (port,) = run.breakdown.resources
    assert port.bits["output_writeback"] == 16 * 540 * 960 * 8
    assert port.bits["weight_fetch"] == 8 * 15_992


def test_diana_anatomy() -> None:
    """The analog core is busiest; the last event is the final write of layer-8 output."""
    run = _run("diana")
    busy = {c.core: c.busy_cycles for c in run.breakdown.cores}
    assert max(busy, key=busy.__getitem__) == "analog"
    writes = {r.name: r for r in run.breakdown.resources}
    assert sum(w.bits.get("output_writeback", 0) for w in writes.values()) == 64 * 56 * 56 * 8
    assert run.latency_cycles > run.breakdown.last_cn_end_cycles


def test_accuracy_formula() -> None:
    assert accuracy(6.18e6, 6.18e6) == 1.0
    assert accuracy(1.1, 1.0) == pytest.approx(0.9)
    assert accuracy(0.9, 1.0) == pytest.approx(0.9)
