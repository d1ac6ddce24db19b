"""The shipped library: every file loads, and derived totals match numbers worked out by hand."""

from __future__ import annotations

import pytest

from fuseflow.hardware import catalog
from fuseflow.hardware.load import load_accelerator, load_core
from fuseflow.hardware.summary import capacity_bits, summarize


@pytest.mark.parametrize("name", catalog.names())
def test_every_library_file_loads_and_summarizes(name):
    acc = load_accelerator(name)
    assert acc.total_macs > 0
    assert acc.name in summarize(acc)


# MACs and on-chip bits per operand (size x instances, summed over every level holding it).
# C16_K16: reg_W 512 b x 256 MACs, reg_O 4096 b x 16, L1 (I,O) 262144, W SRAM 2097152, act SRAM
# (I,O) 2097152 -> I 2359296, W 2228224, O 2424832. pooling_3x3 and simd_32 add 1048576 to each.
TOTALS = {
    # 4 x 1024 + pooling 72 + SIMD 64; per TPU-like core I 16777216 (sram),
    # W 16777216 + 1024 b x 1024 MACs, O 16777216 + 16 b x 32 columns; + 2 x 1048576 each
    "tpu_like_quad": (4232, 69206016, 73400320, 69208064),
    # 4 x C16_K16 + 9 + 32
    "homo4_bus": (1065, 11534336, 11010048, 11796480),
    "homo4_mesh_2port": (1065, 11534336, 11010048, 11796480),
    # iso-area with homo4: same I and W bits; O registers: 4096 b x 32 instead of 4 x 16
    "single_c32_k32": (1065, 11534336, 11010048, 11665408),
    # 2 x C16_K16 + OX16_K16 (I 2359296, W 2162688, O 2228224)
    # + OX28_FX3_FY3 (I 2226176, W 2115584, O 2416640) + pooling + SIMD
    "hetero4_mesh": (1061, 11401216, 10831872, 11591680),
    "hetero64_bus": (32 * 256 + 16 * 256 + 16 * 252 + 41, None, None, None),
    "homo64_bus": (64 * 256 + 41, None, None, None),
    "single_c128_k128": (128 * 128 + 41, None, None, None),
}


@pytest.mark.parametrize("name", sorted(TOTALS))
def test_derived_totals(name):
    macs, i_bits, w_bits, o_bits = TOTALS[name]
    acc = load_accelerator(name)
    assert acc.total_macs == macs
    if i_bits is not None:
        assert capacity_bits(acc) == {"I": i_bits, "W": w_bits, "O": o_bits}


def test_tpu_like_quad_is_streams_example_system():
    acc = load_accelerator("tpu_like_quad")
    assert acc.core_names == ("core0", "core1", "core2", "core3", "core4", "core5")
    assert [c.kind for c in acc.cores] == ["compute"] * 4 + ["pooling", "simd"]
    assert len(acc.links) == 24 and {ln.bandwidth_bits for ln in acc.links} == {32}
    assert {ln.energy_pj_per_bit for ln in acc.links} == {0.0}
    d = acc.dram
    assert (d.read_bw_bits, d.write_bw_bits, d.ports, d.read_energy_pj) == (
        64,
        64,
        "shared",
        1000.0,
    )
    tpu = acc.core("core2")
    assert tpu.unrolled_loops == {"K": 32, "C": 32}
    assert [m.name for m in tpu.hierarchy("W")] == ["rf_128B", "sram_2MB"]
    assert tpu.instances(tpu.memories[1]) == 32  # rf_2B shared along D2


def test_paper_system_variants():
    assert load_accelerator("homo4_bus").buses[0].cores == (
        "core0",
        "core1",
        "core2",
        "core3",
        "pooling",
        "simd",
    )
    assert load_accelerator("homo4_mesh").buses == ()
    assert load_accelerator("homo4_bus_2port").dram.ports == "separate"
    assert load_accelerator("homo4_bus").dram.read_energy_pj == 650.0
    assert load_accelerator("homo4_bus_2port").dram.read_energy_pj == 700.0
    hetero = load_accelerator("hetero16_bus")
    assert [c.name for c in hetero.cores].count("pooling") == 1
    assert sum(c.name.startswith("c16_k16_") for c in hetero.cores) == 8


def test_single_core_file_gets_the_default_dram():
    acc = load_accelerator("cores/ox28_fx3_fy3")
    assert acc.core_names == ("ox28_fx3_fy3",)
    assert (acc.dram.read_bw_bits, acc.dram.ports) == (64, "shared")
    core = load_core(catalog.path_of("ox28_fx3_fy3"))  # type: ignore[arg-type]
    assert core.n_macs == 252 and core.unrolled_loops == {"FX": 3, "FY": 3, "OX": 28}
