"""The shipped library: every file loads, and derived totals match numbers worked out by hand."""

from __future__ import annotations

import pytest

from fuseflow.cli import main
from fuseflow.hardware import catalog
from fuseflow.hardware.load import load_accelerator, load_core
from fuseflow.hardware.summary import capacity_bits


@pytest.mark.parametrize("name", catalog.names())
def test_every_library_file_passes_hardware_check(name, capsys):
    assert main(["hardware", "check", name]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("ok") and "warning" not in out
    assert out.startswith(f"{load_accelerator(name).name}: ")


# Per core by hand: MACs and on-chip bits per operand (I, W, O), each level's size x its
# instances (one per MAC for served_dims [], one per row/column for a single served dim).
C16 = (256, 262144 + 2097152, 512 * 256 + 2097152, 4096 * 16 + 262144 + 2097152)
C32 = (1024, 1048576 + 8388608, 512 * 1024 + 8388608, 4096 * 32 + 1048576 + 8388608)
C64 = (4096, 4194304 + 33554432, 512 * 4096 + 33554432, 4096 * 64 + 4194304 + 33554432)
C128 = (16384, 16777216 + 134217728, 512 * 16384 + 134217728,
        4096 * 128 + 16777216 + 134217728)  # fmt: skip
OX16 = (256, 262144 + 2097152, 4096 * 16 + 2097152, 512 * 256 + 2097152)
OX28 = (252, 512 * 252 + 2097152, 2048 * 9 + 2097152, 2048 * 28 + 262144 + 2097152)
TPU = (1024, 16777216, 1024 * 1024 + 16777216, 16 * 32 + 16777216)
MB = 1048576  # the one I/W/O buffer of the pooling and SIMD cores
CORES = {
    "cores/c16_k16": C16,
    "cores/c32_k32": C32,
    "cores/c64_k64": C64,
    "cores/c128_k128": C128,
    "cores/ox16_k16": OX16,
    "cores/ox28_fx3_fy3": OX28,
    "cores/tpu_like": TPU,
    # 14 x 12 PEs with 512 b I and W and 128 b O registers each, 64 Kib O, 512 Kib W, 8 Mib I/O
    "cores/eyeriss_like": (
        168,
        512 * 168 + 8388608,
        512 * 168 + 524288,
        128 * 168 + 65536 + 8388608,
    ),
    # 32 x 2 x 4 x 4: W regs shared over OX/OY (64 of them), O regs shared over C (512)
    "cores/meta_prototype_like": (
        1024,
        262144 + 8388608,
        8 * 64 + 524288 + 8388608,
        16 * 512 + 8388608,
    ),
    "cores/pooling": (3 * 3 * 8, MB, MB, MB),
    "cores/pooling_3x3": (9, MB, MB, MB),
    "cores/simd": (64, MB, MB, MB),
    "cores/simd_32": (32, MB, MB, MB),
}
EXTRA = (9 + 32, 2 * MB, 2 * MB, 2 * MB)  # pooling_3x3 + simd_32 in every paper system


def _sum(*parts: tuple[tuple[int, ...], int]) -> tuple[int, ...]:
    return tuple(sum(core[i] * n for core, n in parts) for i in range(4))


HETERO4 = ((C16, 2), (OX16, 1), (OX28, 1), (EXTRA, 1))
SYSTEMS = {
    # name: (MACs, I, W, O bits), links (one per direction), buses, DRAM ports
    "tpu_like_quad": (_sum((TPU, 4), ((72 + 64, 2 * MB, 2 * MB, 2 * MB), 1)), 24, 0, "shared"),
    "homo4_bus": (_sum((C16, 4), (EXTRA, 1)), 0, 1, "shared"),
    "homo4_bus_2port": (_sum((C16, 4), (EXTRA, 1)), 0, 1, "separate"),
    # 2 x 2 mesh (4 edges) + pooling and SIMD attached to each core (8 edges), both ways
    "homo4_mesh": (_sum((C16, 4), (EXTRA, 1)), 24, 0, "shared"),
    "homo4_mesh_2port": (_sum((C16, 4), (EXTRA, 1)), 24, 0, "separate"),
    "homo16_bus": (_sum((C16, 16), (EXTRA, 1)), 0, 1, "shared"),
    "homo64_bus": (_sum((C16, 64), (EXTRA, 1)), 0, 1, "shared"),
    "hetero4_bus": (_sum(*HETERO4), 0, 1, "shared"),
    "hetero4_bus_2port": (_sum(*HETERO4), 0, 1, "separate"),
    "hetero4_mesh": (_sum(*HETERO4), 24, 0, "shared"),
    "hetero4_mesh_2port": (_sum(*HETERO4), 24, 0, "separate"),
    "hetero16_bus": (_sum((C16, 8), (OX16, 4), (OX28, 4), (EXTRA, 1)), 0, 1, "shared"),
    "hetero64_bus": (_sum((C16, 32), (OX16, 16), (OX28, 16), (EXTRA, 1)), 0, 1, "shared"),
    # one big core with pooling and SIMD linked to it (2 edges, both ways)
    "single_c16_k16": (_sum((C16, 1), (EXTRA, 1)), 4, 0, "shared"),
    "single_c32_k32": (_sum((C32, 1), (EXTRA, 1)), 4, 0, "shared"),
    "single_c32_k32_2port": (_sum((C32, 1), (EXTRA, 1)), 4, 0, "separate"),
    "single_c64_k64": (_sum((C64, 1), (EXTRA, 1)), 4, 0, "shared"),
    "single_c128_k128": (_sum((C128, 1), (EXTRA, 1)), 4, 0, "shared"),
}


def test_every_library_entry_has_hand_totals():
    assert sorted(catalog.names()) == sorted([*CORES, *SYSTEMS])


@pytest.mark.parametrize("name", sorted(CORES))
def test_core_totals(name):
    macs, i_bits, w_bits, o_bits = CORES[name]
    acc = load_accelerator(name)
    assert acc.total_macs == macs
    assert capacity_bits(acc) == {"I": i_bits, "W": w_bits, "O": o_bits}


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_system_totals(name):
    (macs, i_bits, w_bits, o_bits), links, buses, ports = SYSTEMS[name]
    acc = load_accelerator(name)
    assert acc.total_macs == macs
    assert capacity_bits(acc) == {"I": i_bits, "W": w_bits, "O": o_bits}
    assert (len(acc.links), len(acc.buses), acc.dram.ports) == (links, buses, ports)


def test_paper_iso_area_pairs_have_equal_macs():
    # 1 big core vs 4 / 16 / 64 small ones: same MAC count (paper section VI)
    for big, small in [("c32_k32", "homo4"), ("c64_k64", "homo16"), ("c128_k128", "homo64")]:
        assert SYSTEMS[f"single_{big}"][0][0] == SYSTEMS[f"{small}_bus"][0][0]


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
