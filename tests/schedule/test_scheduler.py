"""Hand-computed schedules: every expected start/end below is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest
from sched_cases import CN, accelerator, core, cost, costs, graph, rows, run, times

from fuseflow.errors import InfeasibleError, InputError
from fuseflow.schedule.scheduler import ScheduleOptions, schedule
from fuseflow.schedule.types import DRAM_ENDPOINT as DRAM
from fuseflow.schedule.types import TransferKind as K


def test_two_layers_on_two_cores() -> None:
    # A: CN0 100 cycles -> 80 bits over link A->B at 8 b/c = 10 cycles -> B: CN1 50 cycles,
    # then its 40-bit network output to DRAM at 16 b/c: ceil(2.5) = 3 cycles.
    acc = accelerator([core("A"), core("B")], links=[("A", "B", 8)], link_pj=0.1)
    g = graph([CN(out_bits=80), CN(layer=1, shape=1, out_bits=40, graph_output=True)], [(0, 1, 80)])
    s = run(g, acc, costs(acc, [100, 50]), [0, 1])
    assert times(s) == [(0, 100), (110, 160)]
    assert rows(s) == [
        (K.CORE_TO_CORE, 0, 0, 1, 100, 110),
        (K.OUTPUT_WRITEBACK, 1, 1, DRAM, 160, 163),
    ]
    assert s.latency_cycles == 163
    assert s.energy.link_pj == pytest.approx(8.0)  # 80 bits x 0.1 pJ
    assert s.energy.output_writeback_pj == pytest.approx(80.0)  # 40 bits x 2 pJ
    assert s.energy.onchip_memory_pj == pytest.approx(150.0)  # cost energies 100 + 50


def test_link_bottleneck_delays_second_transfer() -> None:
    # link 4 b/c: 80 bits take 20 cycles. A runs CN0 [0,10) CN1 [10,20); transfer 0 [10,30),
    # transfer 1 waits for the link: [30,50); B runs CN2 [30,40), CN3 [50,60).
    acc = accelerator([core("A"), core("B")], links=[("A", "B", 4)])
    cns = [CN(out_bits=80, priority=0), CN(out_bits=80, priority=2)]
    cns += [CN(layer=1, shape=0, priority=1), CN(layer=1, shape=0, priority=3)]
    g = graph(cns, [(0, 2, 80), (1, 3, 80)])
    s = run(g, acc, costs(acc, [10]), [0, 0, 1, 1])
    assert times(s) == [(0, 10), (10, 20), (30, 40), (50, 60)]
    assert rows(s) == [(K.CORE_TO_CORE, 0, 0, 1, 10, 30), (K.CORE_TO_CORE, 1, 0, 1, 30, 50)]


@pytest.mark.parametrize(
    ("lat_c", "lookahead", "tr1"),
    [
        (5, None, (5, 15)),  # C's data is ready at 5: back-fills the idle bus before 30
        (5, 1, (40, 50)),  # double buffering: not before B starts the CN before (CN2 at 40)
        (25, None, (40, 50)),  # ready at 25: [25,35) would clash with A's [30,40)
    ],
)
def test_bus_shared_by_three_cores(lat_c: int, lookahead: int | None, tr1: tuple[int, int]) -> None:
    # one bus (8 b/c) joins A, B, C: A->B and C->B contend on it. CN0 on A [0,30),
    # its 80 bits cross the bus [30,40), CN2 on B [40,50), CN3 on B [50,60).
    acc = accelerator([core("A"), core("B"), core("C")], buses=[(("A", "B", "C"), 8)])
    cns = [CN(out_bits=80, priority=0), CN(shape=1, out_bits=80, priority=2)]
    cns += [CN(layer=1, shape=2, priority=1), CN(layer=1, shape=2, priority=3)]
    g = graph(cns, [(0, 2, 80), (1, 3, 80)])
    opts = ScheduleOptions(lookahead=lookahead)
    s = run(g, acc, costs(acc, [30, lat_c, 10]), [0, 2, 1, 1], opts)
    assert times(s) == [(0, 30), (0, lat_c), (40, 50), (50, 60)]
    assert rows(s) == [(K.CORE_TO_CORE, 0, 0, 1, 30, 40), (K.CORE_TO_CORE, 1, 2, 1, *tr1)]


def test_memory_full_forces_eviction_and_refetch() -> None:
    # one core, 100-bit memory, DRAM 10 b/c. CN0 [0,10) leaves 60 bits for CN2 (run last).
    # CN1 needs 60 more: CN0's output is written back [10,16) and freed at 16; CN1 [16,26);
    # CN3 [26,36) reads CN1. CN2: memory holds 80 until both free at 36, so CN0's output is
    # fetched back [36,42) and CN2 runs [42,52).
    acc = accelerator([core("X", mem_bits=100)], dram_bw=10)
    cns = [CN(out_bits=60, priority=0), CN(out_bits=60, priority=1)]
    cns += [CN(layer=1, out_bits=20, priority=3), CN(layer=1, out_bits=20, priority=2)]
    g = graph(cns, [(0, 2, 60), (1, 3, 60)])
    s = run(g, acc, costs(acc, [10]), [0, 0, 0, 0])
    assert times(s) == [(0, 10), (16, 26), (42, 52), (26, 36)]
    assert rows(s) == [(K.EVICTION, 0, 0, DRAM, 10, 16), (K.REFETCH, 0, DRAM, 0, 36, 42)]
    assert s.energy.eviction_pj == pytest.approx(120.0)  # 60 bits x 2 pJ
    assert s.energy.dram_fetch_pj == pytest.approx(60.0)  # 60 bits x 1 pJ
    tl = s.memories[0]
    assert list(zip(tl.times.tolist(), tl.usage_bits.tolist(), strict=True)) == [
        (0, 60),
        (26, 80),
        (36, 60),
        (42, 80),
        (52, 0),
    ]


@pytest.mark.parametrize(
    ("ports", "fetch", "cn1", "latency"),
    [
        ("shared", (15, 25), (25, 35), 35),  # the write-back [5,15) holds the only port
        ("separate", (0, 10), (10, 20), 20),  # reads and writes have a port each
    ],
)
def test_dram_ports(ports: str, fetch: tuple[int, int], cn1: tuple[int, int], latency: int) -> None:
    # B: CN0 [0,5) writes 160 bits to DRAM at 16 b/c [5,15). A: CN1 needs a 160-bit weight.
    acc = accelerator([core("A"), core("B")], ports=ports)
    g = graph([CN(out_bits=160, graph_output=True), CN(shape=1, weight=0)], weight_bits=[160])
    s = run(g, acc, costs(acc, [5, 10]), [1, 0])
    assert times(s) == [(0, 5), cn1]
    assert rows(s) == [
        (K.OUTPUT_WRITEBACK, 0, 1, DRAM, 5, 15),
        (K.WEIGHT_FETCH, 0, DRAM, 0, *fetch),
    ]
    assert s.latency_cycles == latency


def test_weight_fetched_once_and_released_after_last_use() -> None:
    # 160-bit weight at 16 b/c: [0,10); CN0 [10,20), CN1 [20,30) reuse it; freed at 30.
    acc = accelerator([core("A")])
    g = graph([CN(weight=0), CN(weight=0)], weight_bits=[160])
    s = run(g, acc, costs(acc, [10]), [0, 0])
    assert times(s) == [(10, 20), (20, 30)]
    assert rows(s) == [(K.WEIGHT_FETCH, 0, DRAM, 0, 0, 10)]
    tl = s.memories[0]
    assert list(zip(tl.times.tolist(), tl.usage_bits.tolist(), strict=True)) == [(0, 160), (30, 0)]


def test_weight_too_big_names_cn_core_and_memory() -> None:
    acc = accelerator([core("A", split_w=100)])
    g = graph([CN(weight=0)], weight_bits=[160])
    with pytest.raises(InfeasibleError, match=r"CN 0 \(layer 'L0' tile 0\) on core 'A'.*A:wmem"):
        schedule(g, acc, costs(acc, [10]), np.asarray([0], dtype=np.int32))


def test_streamed_operand_stretches_when_dram_is_too_slow() -> None:
    # needs 32 b/c for 100 cycles from a 16 b/c port: 3200 bits take 200 cycles.
    acc = accelerator([core("A")])
    streamed = cost("A", 100, streamed=("W",), dram_bw=32.0, dram_pj=7.0, energy=10.0)
    table = costs(acc, [100], s0c0=streamed)
    s = run(table=table, g=graph([CN()]), acc=acc, alloc=[0])
    assert times(s) == [(0, 200)]
    assert rows(s) == [(K.STREAM, 0, DRAM, 0, 0, 200)]
    assert s.tr_bits.tolist() == [3200] and s.tr_bw_bits.tolist() == [16.0]
    assert s.energy.streamed_dram_pj == pytest.approx(7.0)


def test_fetch_shares_the_port_with_a_stream() -> None:
    # A streams at 8 of the port's 16 b/c for [0,100); B's 80-bit weight uses the other
    # 8 b/c right away: [0,10) instead of waiting until 100. CN1 [10,20).
    acc = accelerator([core("A"), core("B")])
    table = costs(acc, [100, 10], s0c0=cost("A", 100, streamed=("W",), dram_bw=8.0))
    g = graph([CN(), CN(shape=1, weight=0)], weight_bits=[80])
    s = run(g, acc, table, [0, 1])
    assert times(s) == [(0, 100), (10, 20)]
    assert rows(s) == [(K.STREAM, 0, DRAM, 0, 0, 100), (K.WEIGHT_FETCH, 0, DRAM, 1, 0, 10)]
    assert s.tr_bw_bits.tolist() == [8.0, 8.0]


def test_shared_l1_needs_no_transfer() -> None:
    acc = accelerator([core("A", mem="l1"), core("B", mem="l1")], shared=[("l1", ("A", "B"))])
    g = graph([CN(out_bits=80), CN(layer=1)], [(0, 1, 80)])
    s = run(g, acc, costs(acc, [10]), [0, 1])
    assert times(s) == [(0, 10), (10, 20)]
    assert s.n_transfers == 0
    assert [m.name for m in s.memories] == ["shared:l1:A+B"]


@pytest.mark.parametrize(
    ("broadcast", "second", "cn2"), [(True, (10, 20), (20, 30)), (False, (20, 30), (30, 40))]
)
def test_broadcast_on_a_bus(broadcast: bool, second: tuple[int, int], cn2: tuple[int, int]) -> None:
    # A's 80 bits go to B and C over one 8 b/c bus: one transfer [10,20) serves both.
    acc = accelerator([core("A"), core("B"), core("C")], buses=[(("A", "B", "C"), 8)], link_pj=0.5)
    g = graph([CN(out_bits=80), CN(layer=1), CN(layer=1)], [(0, 1, 80), (0, 2, 80)])
    s = run(g, acc, costs(acc, [10]), [0, 1, 2], ScheduleOptions(broadcast=broadcast))
    assert times(s) == [(0, 10), (20, 30), cn2]
    assert rows(s)[1][4:] == second
    assert s.energy.link_pj == pytest.approx(40.0 if broadcast else 80.0)


def test_weight_read_once_for_two_cores() -> None:
    acc = accelerator([core("A"), core("B")])
    g = graph([CN(weight=0), CN(weight=0)], weight_bits=[160])
    s = run(g, acc, costs(acc, [10]), [0, 1])
    assert times(s) == [(10, 20), (10, 20)]
    assert s.energy.dram_fetch_pj == pytest.approx(160.0)


def test_latency_first_order() -> None:
    # CN1 (priority 0) waits for CN0 on another core; latency-first runs CN2 on B first.
    acc = accelerator([core("A"), core("B")], links=[("A", "B", 1000)])
    cns = [CN(out_bits=8, priority=1), CN(layer=1, priority=0), CN(layer=2, priority=2)]
    g = graph(cns, [(0, 1, 8)])
    depth = run(g, acc, costs(acc, [10]), [0, 1, 1], ScheduleOptions(order="depth_first"))
    lat = run(g, acc, costs(acc, [10]), [0, 1, 1], ScheduleOptions(order="latency_first"))
    assert times(depth) == [(0, 10), (11, 21), (21, 31)]
    assert times(lat) == [(0, 10), (11, 21), (0, 10)]


@pytest.mark.parametrize("order", ["depth_first", "latency_first"])
def test_cyclic_graph_is_an_input_error(order: str) -> None:
    acc = accelerator([core("A")])
    g = graph([CN(out_bits=8), CN(layer=1, out_bits=8)], [(0, 1, 8), (1, 0, 8)])
    with pytest.raises(InputError, match="cycle"):
        schedule(
            g,
            acc,
            costs(acc, [10]),
            np.asarray([0, 0], dtype=np.int32),
            options=ScheduleOptions(order=order),
        )  # type: ignore[arg-type]


def test_prefetch_weights_runs_and_validates() -> None:
    acc = accelerator([core("A")])
    g = graph([CN(weight=0), CN(weight=1)], weight_bits=[160, 160])
    s = run(g, acc, costs(acc, [10]), [0, 0], ScheduleOptions(prefetch_weights=True))
    assert [r[4:] for r in rows(s)] == [(0, 10), (10, 20)]
    assert times(s) == [(10, 20), (20, 30)]


def test_allocation_errors_are_located() -> None:
    acc = accelerator([core("A"), core("B")])
    g = graph([CN(), CN()], fixed=[0, -1])
    table = costs(acc, [10])
    with pytest.raises(InputError, match=r"group 0 \(layer 'L0'\) is fixed to core 'A'"):
        schedule(g, acc, table, np.asarray([1, 1], dtype=np.int32))
    with pytest.raises(InputError, match="one core index per group"):
        schedule(g, acc, table, np.asarray([0], dtype=np.int32))
    with pytest.raises(InputError, match="out of range"):
        schedule(g, acc, table, np.asarray([0, 5], dtype=np.int32))
