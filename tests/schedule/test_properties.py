"""Random small workloads, hardware and allocations: every schedule passes the validator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_cases import BIG, CN, accelerator, core, cost, graph
from sched_cases import run as run_checked

from fuseflow.cost.table import CostTable
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Accelerator
from fuseflow.schedule.context import build_context
from fuseflow.schedule.scheduler import ScheduleOptions, schedule, score_with
from fuseflow.schedule.types import EnergyBreakdown, MemoryTimeline, Schedule
from fuseflow.schedule.validator import validate_schedule
from fuseflow.tiling.graph import CNGraph

NAMES = ("A", "B", "C")


@st.composite
def hardware(draw: st.DrawFn) -> Accelerator:
    n = draw(st.integers(1, 3))
    caps = st.sampled_from([150, 400, 1500, BIG])
    shared = n >= 2 and draw(st.booleans())
    cores = []
    for i in range(n):
        split = 0 if shared else draw(st.sampled_from([0, 0, 300, BIG]))
        mem = "l1" if shared and i < 2 else "sram"
        cores.append(core(NAMES[i], mem_bits=draw(caps), mem=mem, split_w=split))
    pairs = [(a, b) for a in NAMES[:n] for b in NAMES[:n] if a != b]
    links = [(a, b, draw(st.integers(1, 32))) for a, b in pairs if draw(st.booleans())]
    buses = [(NAMES[:n], draw(st.integers(1, 32)))] if n >= 2 and draw(st.booleans()) else []
    return accelerator(
        cores,
        links=links,
        buses=buses,
        link_pj=draw(st.sampled_from([0.0, 0.25])),
        shared=[("l1", NAMES[:2])] if shared else [],
        dram_bw=draw(st.integers(1, 32)),
        ports=draw(st.sampled_from(["shared", "separate"])),
    )


@st.composite
def workloads(draw: st.DrawFn, n_cores: int) -> tuple[CNGraph, CostTable, list[int]]:
    n = draw(st.integers(1, 9))
    n_w = draw(st.integers(0, 2))
    bits = st.sampled_from([0, 8, 40, 100, 200])
    cns = [
        CN(
            layer=i,
            shape=i,
            out_bits=draw(bits),
            graph_output=draw(st.booleans()),
            dram_in_bits=draw(bits),
            weight=draw(st.integers(-1, n_w - 1)),
            priority=draw(st.integers(0, 20)),
        )
        for i in range(n)
    ]
    edges = [
        (j, i, draw(bits), draw(st.integers(0, 1)))
        for i in range(n)
        for j in range(i)
        if draw(st.integers(0, 2)) == 0
    ]
    weight_bits = [draw(st.sampled_from([8, 64, 160])) for _ in range(n_w)]
    g = graph(cns, edges, weight_bits=weight_bits, n_cores=n_cores)
    results = {}
    for s in range(n):
        for c in range(n_cores):
            streamed = draw(st.sampled_from([(), (), (), ("W",), ("I",), ("O",), ("I", "O")]))
            results[(s, c)] = cost(
                NAMES[c],
                draw(st.integers(1, 40)),
                energy=float(draw(st.integers(0, 100))),
                mac=1.0,
                streamed=streamed,  # type: ignore[arg-type]
                dram_bw=float(draw(st.integers(0, 40))) if streamed else 0.0,
                dram_pj=0.5 if streamed else 0.0,
            )
    alloc = [draw(st.integers(0, n_cores - 1)) for _ in range(n)]
    return g, CostTable(NAMES[:n_cores], n, results), alloc


@st.composite
def problems(draw: st.DrawFn) -> tuple[CNGraph, Accelerator, CostTable, list[int], ScheduleOptions]:
    acc = draw(hardware())
    g, table, alloc = draw(workloads(len(acc.cores)))
    opts = ScheduleOptions(
        order=draw(st.sampled_from(["depth_first", "latency_first"])),
        prefetch_weights=draw(st.booleans()),
        broadcast=draw(st.booleans()),
        lookahead=draw(st.sampled_from([None, 1, 2, 8, 12])),
    )
    return g, acc, table, alloc, opts


Problem = tuple[CNGraph, Accelerator, CostTable, list[int], ScheduleOptions]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_schedule_is_valid(p: Problem) -> None:
    g, acc, table, alloc, opts = p
    try:
        sched = run_checked(g, acc, table, alloc, opts)  # asserts validate_schedule(...) == []
    except InfeasibleError as err:
        assert "cannot hold" in str(err)
        return
    # the search's scoring path gives the figures of the full schedule, exactly
    ctx = build_context(g, acc, table)
    allocation = np.asarray(alloc, dtype=np.int32)
    score = score_with(ctx, allocation, options=opts)
    assert score == (sched.latency_cycles, sched.energy.total_pj)


def _chain() -> tuple[CNGraph, Accelerator, CostTable, Schedule]:
    acc = accelerator([core("A", mem_bits=1000), core("B", mem_bits=1000)], links=[("A", "B", 8)])
    g = graph(
        [CN(out_bits=80, weight=0), CN(layer=1, out_bits=80, graph_output=True), CN(layer=2)],
        [(0, 1, 80), (1, 2, 80)],
        weight_bits=[64],
        n_cores=2,
    )
    results = {(s, c): cost(NAMES[c], 10, energy=5.0, mac=1.0) for s in range(1) for c in range(2)}
    table = CostTable(NAMES[:2], 1, results)
    sched = schedule(g, acc, table, np.asarray([0, 1, 1], dtype=np.int32))
    assert validate_schedule(g, acc, table, sched) == []
    return g, acc, table, sched


def _shift(a: np.ndarray, i: int, by: int) -> np.ndarray:
    out = a.copy()
    out[i] += by
    return out


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda s: replace(s, cn_start=_shift(s.cn_start, 1, -20)), "before predecessor"),
        (lambda s: replace(s, cn_end=_shift(s.cn_end, 1, -5)), "< its latency"),
        (
            lambda s: replace(
                s, cn_start=_shift(s.cn_start, 2, -12), cn_end=_shift(s.cn_end, 2, -12)
            ),
            "overlap on core",
        ),
        (lambda s: replace(s, cn_core=np.asarray([0, 0, 1], dtype=np.int32)), "never brought"),
        (lambda s: replace(s, tr_bw_bits=s.tr_bw_bits * 4), "exceeds its bandwidth"),
        (
            lambda s: replace(
                s, tr_start=_shift(s.tr_start, 1, -8), tr_end=_shift(s.tr_end, 1, -8)
            ),
            "before it is produced",
        ),
        (lambda s: replace(s, energy=replace(s.energy, link_pj=s.energy.link_pj + 7.0)), "link_pj"),
        (lambda s: replace(s, latency_cycles=1), "before the last event"),
        (lambda s: replace(s, tr_res=np.zeros_like(s.tr_res)), "not its route"),
        (
            lambda s: replace(s, tr_res=s.tr_res[:0], tr_res_ptr=s.tr_res_ptr * 0),
            "not its route",
        ),
        (
            lambda s: replace(
                s,
                memories=tuple(
                    MemoryTimeline(m.name, m.cores, m.capacity_bits, m.times, m.usage_bits * 0)
                    for m in s.memories
                ),
            ),
            "timeline shows",
        ),
        (
            lambda s: replace(
                s,
                memories=tuple(
                    MemoryTimeline(m.name, m.cores, m.capacity_bits, m.times, m.usage_bits + 5000)
                    for m in s.memories
                ),
            ),
            "capacity",
        ),
    ],
)
def test_validator_catches_corruption(corrupt, message: str) -> None:  # type: ignore[no-untyped-def]
    g, acc, table, sched = _chain()
    problems = validate_schedule(g, acc, table, corrupt(sched))
    assert any(message in p for p in problems), problems


def test_energy_parts_must_sum() -> None:
    sched = _chain()[3]
    assert isinstance(sched.energy, EnergyBreakdown)
    assert sched.energy_pj == pytest.approx(
        sum(getattr(sched.energy, f) for f in EnergyBreakdown.__dataclass_fields__)
    )
