"""Hand-computed costs of small layers on the TPU-like core (32x32, K on D1, C on D2)."""

from __future__ import annotations

import math

import pytest

from fuseflow.cost.analytical import layer_cost
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Core, Dram
from tests.cost.helpers import add, conv, gemm, maxpool, mem, tpu_like

DRAM = Dram("dram", 10**10, 64, 64, 100.0, 100.0)


def test_perfect_mapping() -> None:
    # O[16, 32] = I[16, 32] @ W[32, 32]: K and C fill the array, OY=16 runs in time
    r = layer_cost(gemm(m=16, k=32, n=32), tpu_like(), dram=DRAM)
    assert r.ideal_cycles == 16
    assert r.spatial_utilization == 1.0
    assert r.stall_cycles == 0
    assert r.latency_cycles == r.ideal_cycles + r.onload_cycles + r.offload_cycles
    assert r.mac_energy_pj == pytest.approx(16 * 32 * 32 * 0.04)
    # every operand once at the top level, outputs final (8 bit): the reduction is spatial
    assert dict(r.top_footprint_bits) == {"I": 16 * 32 * 8, "W": 32 * 32 * 8, "O": 16 * 32 * 8}
    assert r.streamed_operands == ()
    parts = {(p.operand, p.level): p.energy_pj for p in r.memory_energy}
    # I: 16 rows of 32 x 8 bit = 256 bits = 1/8 of a 2048-bit SRAM word each
    assert parts[("I", "sram_2MB")] == pytest.approx(16 * 256 / 2048 * 416.16)
    # W: read once from SRAM (4 words), written once into and read once from each 1-word RF
    assert parts[("W", "sram_2MB")] == pytest.approx(4 * 416.16)
    assert parts[("W", "rf_128B")] == pytest.approx(2 * 1024 * 0.095)
    # O: 512 finals written to SRAM once (2 words)
    assert parts[("O", "sram_2MB")] == pytest.approx(2 * 378.4)
    assert r.energy_pj == pytest.approx(r.mac_energy_pj + sum(parts.values()))
    # the mapping: OY=16 as temporal loops; every operand's levels hold all of them
    assert r.mapping is not None and dict(r.mapping.spatial) == {"K": 32, "C": 32}
    assert math.prod(f for _, f in r.mapping.loop_order) == 16
    for role in ("I", "W", "O"):
        loops = [lp for lv in r.mapping.levels if lv.operand == role for lp in lv.loops]
        assert loops == list(r.mapping.loop_order)


def test_spatial_underutilisation() -> None:
    # K=20 on a 32-wide D1 and C=48 on D2 (two passes of 24): 20*48 / (32*32*2) used
    r = layer_cost(gemm(m=16, k=48, n=20), tpu_like(), dram=DRAM)
    assert r.ideal_cycles == 16 * 2
    assert r.spatial_utilization == pytest.approx(20 * 48 / (32 * 32 * 2))
    assert dict(r.mapping.spatial) == {"K": 20, "C": 24} if r.mapping else False
    assert r.stall_cycles == 0


def test_bandwidth_bound() -> None:
    # SRAM at 64 bit/cycle: each cycle needs a 256-bit input row -> 4 cycles per row
    r = layer_cost(gemm(m=16, k=32, n=32), tpu_like(sram_bw=64), dram=DRAM)
    assert r.ideal_cycles == 16
    assert r.stall_cycles == (4 - 1) * (16 - 1)  # the first row is on-loading
    assert r.onload_cycles == 32 * 32 * 8 // 64  # all weights into the RFs first
    assert r.offload_cycles == 2 * 32 * 8 // 64  # the last two output rows of the O RF
    assert r.latency_cycles == 16 + 45 + 128 + 8


def test_weights_do_not_fit_on_chip() -> None:
    # W = 256x256 x 8 bit = 512 kbit against a 64 kbit SRAM: W streams from DRAM
    r = layer_cost(gemm(m=4, k=256, n=256), tpu_like(sram_bits=65536), dram=DRAM)
    assert r.streamed_operands == ("W",)
    assert r.footprint("W") == 256 * 256 * 8
    # each weight crosses the 64-bit DRAM port exactly once: 8192 words at 100 pJ
    assert r.dram_energy_pj == pytest.approx(256 * 256 * 8 / 64 * 100.0)
    assert r.latency_cycles >= 256 * 256 * 8 // 64
    assert r.latency_cycles < 256 * 256 * 8 // 64 + r.ideal_cycles
    assert r.dram_bw_bits == pytest.approx(256 * 256 * 8 / r.latency_cycles)
    assert r.dram_bw_bits <= 64


def test_everything_streams_when_keeping_one_operand_leaves_no_room() -> None:
    # I alone fills the 64 kbit SRAM; W and O pass through it, so all three stream from DRAM
    r = layer_cost(gemm(m=32, k=256, n=256), tpu_like(sram_bits=65536), dram=DRAM)
    assert r.streamed_operands == ("I", "W", "O")
    dram = {p.operand: p.energy_pj for p in r.memory_energy if p.level == "dram"}
    assert dram["W"] == pytest.approx(256 * 256 * 8 / 64 * 100.0)  # weights read once
    assert dram["I"] >= 32 * 256 * 8 / 64 * 100.0
    assert dram["O"] >= 32 * 256 * 8 / 64 * 100.0
    assert r.dram_energy_pj == pytest.approx(sum(dram.values()))


def test_infeasible_names_the_memory() -> None:
    # a W register shared (broadcast) over 4 PEs cannot feed an Add, whose W differs per PE
    core = Core(
        "bcast",
        (("D1", 4),),
        (("D1", (("K", 4),)),),
        (
            mem("rf", 8, 8, 0.1, 0.1, "W", ("D1",)),
            mem("sram", 1 << 20, 256, 1, 1, "I,W,O", ("D1",)),
        ),
        0.01,
    )
    with pytest.raises(InfeasibleError, match="'rf' \\(8 bits\\) cannot hold the 32 bits"):
        layer_cost(add(ch=8, oy=2, ox=2), core, dram=DRAM)


def test_weights_independent_of_output_rows() -> None:
    # W does not depend on OY: 4x the rows leaves the weight traffic unchanged
    small = layer_cost(gemm(m=16, k=32, n=32), tpu_like(), dram=DRAM)
    big = layer_cost(gemm(m=64, k=32, n=32), tpu_like(), dram=DRAM)
    w = {(p.operand, p.level): p.energy_pj for p in (*small.memory_energy, *big.memory_energy)}
    assert w[("W", "sram_2MB")] == pytest.approx(4 * 416.16)
    assert big.ideal_cycles == 4 * small.ideal_cycles


def test_sliding_window_input_footprint() -> None:
    # 3x3 conv, stride 1, 8x8 outputs: 10x10 input pixels, not 8*8*9
    r = layer_cost(conv(k=32, c=32, oy=8, ox=8, fy=3, fx=3), tpu_like(), dram=DRAM)
    assert r.footprint("I") == 32 * 10 * 10 * 8
    s2 = layer_cost(conv(k=32, c=32, oy=8, ox=8, fy=3, fx=3, stride=2), tpu_like(), dram=DRAM)
    assert s2.footprint("I") == 32 * 17 * 17 * 8
    assert r.ideal_cycles == 8 * 8 * 9
    # a strided 1x1 conv touches 8x8 of the 15x15 input pixels, not the whole span
    one = layer_cost(conv(k=32, c=32, oy=8, ox=8, stride=2), tpu_like(), dram=DRAM)
    assert one.footprint("I") == 32 * 8 * 8 * 8


def test_partial_sums_at_16_bit_when_the_reduction_is_temporal() -> None:
    # C=64 takes two passes over the array: if outputs were kept as partial sums in SRAM
    # they would take 16 bits; the model keeps the C loop below so finals go up at 8 bits
    r = layer_cost(gemm(m=8, k=64, n=32), tpu_like(), dram=DRAM)
    assert r.footprint("O") == 8 * 32 * 8
    o_rf = next(p for p in r.memory_energy if (p.operand, p.level) == ("O", "rf_2B"))
    assert o_rf.energy_pj > 0


def pool_core() -> Core:
    return Core(
        "pool",
        (("D1", 8), ("D2", 3), ("D3", 3)),
        (("D1", (("K", 8),)), ("D2", (("FX", 3),)), ("D3", (("FY", 3),))),
        (mem("sram_64KB", 524288, 256, 20.0, 20.0, "I,O", ("D1", "D2", "D3")),),
        0.01,
        kind="pooling",
    )


def test_maxpool_on_a_pooling_core() -> None:
    # 3x3/2 max-pool of 16 channels to 8x8: the window is spatial, K in 2 passes of 8
    r = layer_cost(maxpool(ch=16, oy=8, ox=8, f=3, stride=2), pool_core(), dram=DRAM)
    assert r.macs == 16 * 8 * 8 * 9
    assert r.ideal_cycles == 2 * 8 * 8
    assert r.spatial_utilization == 1.0
    assert dict(r.top_footprint_bits) == {"I": 16 * 17 * 17 * 8, "O": 16 * 8 * 8 * 8}


def test_elementwise_add_on_a_simd_core() -> None:
    simd = Core(
        "simd",
        (("D1", 64),),
        (("D1", (("K", 64),)),),
        (mem("sram", 1 << 20, 1024, 10.0, 10.0, "I,W,O", ("D1",)),),
        0.01,
        kind="simd",
    )
    r = layer_cost(add(ch=64, oy=4, ox=4), simd, dram=DRAM)
    assert r.ideal_cycles == 16
    # per cycle a 512-bit read of each input and a 512-bit write of the output; with no finer
    # access granularity each costs a whole 1024-bit word (as ZigZag counts accesses)
    parts = {(p.operand, p.level): p.energy_pj for p in r.memory_energy}
    assert parts == pytest.approx(
        {("I", "sram"): 160.0, ("W", "sram"): 160.0, ("O", "sram"): 160.0}
    )
    assert r.energy_pj == pytest.approx(3 * 160.0 + 64 * 16 * 0.01)


def test_fully_spatial_layer() -> None:
    # one output row: K and C fill the array, no temporal loop at all
    r = layer_cost(gemm(m=1, k=32, n=32), tpu_like(), dram=DRAM)
    assert r.ideal_cycles == 1
    assert r.mapping is not None and r.mapping.loop_order == ()


def test_deterministic_and_infeasible() -> None:
    layer = conv(k=64, c=64, oy=14, ox=14, fy=3, fx=3)
    assert layer_cost(layer, tpu_like()) == layer_cost(layer, tpu_like())
    w_only = Core("bad", (("D1", 4),), (("D1", (("K", 4),)),), (mem("m", 8192, 64, 1, 1, "W"),), 1)
    with pytest.raises(InfeasibleError):
        layer_cost(layer, w_only)
