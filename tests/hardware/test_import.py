"""`import-stream`: Stream systems and ZigZag cores (both formats) describe the same hardware."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from fuseflow.cli import main
from fuseflow.errors import InputError
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.stream_import import import_stream

DATA = Path(__file__).parents[1] / "data"
STREAM = DATA / "stream" / "hardware"
ZIGZAG = DATA / "zigzag"


def _imported(
    tmp_path: Path, src: Path, mapping: Path | None = None
) -> tuple[Accelerator, list[str]]:
    result = import_stream(src, mapping)
    out = tmp_path / "out.yaml"
    out.write_text(result.text)
    return load_accelerator(out), result.warnings


def _anonymous(acc: Accelerator) -> tuple[object, ...]:
    return tuple(dataclasses.replace(c, name="") for c in acc.cores)


def test_tpu_like_quad_core_is_the_library_system(tmp_path):
    acc, warnings = _imported(tmp_path, STREAM / "tpu_like_quad_core.yaml")
    lib = load_accelerator("tpu_like_quad")
    assert warnings == []
    assert acc.core_names == ("core0", "core1", "core2", "core3", "core4", "core5")
    assert _anonymous(acc) == _anonymous(lib)
    assert (acc.links, acc.buses, acc.dram) == (lib.links, lib.buses, lib.dram)
    assert [c.kind for c in acc.cores] == ["compute"] * 4 + ["pooling", "simd"]


def test_stream_core_values_are_kept(tmp_path):
    acc, _ = _imported(tmp_path, STREAM / "meta_prototype_dual_core_simd_offchip.yaml")
    core = acc.core("core0")
    assert core.array == (("D1", 32), ("D2", 2), ("D3", 4), ("D4", 4))
    sram = core.memories[2]
    assert (sram.name, sram.size_bits, sram.read_bw_bits, sram.read_energy_pj) == (
        "sram_64KB",
        524288,
        512,
        26.56,
    )
    assert (sram.min_read_bits, sram.operands, sram.served_dims) == (
        64,
        frozenset({"W"}),
        ("D1", "D2", "D3", "D4"),
    )
    assert acc.dram.read_energy_pj == 1000.0 and acc.dram.ports == "shared"
    assert len(acc.links) == 10  # five pairs, full duplex


def test_missing_dataflows_and_oversized_unrolling_warn(tmp_path):
    _, warnings = _imported(tmp_path, STREAM / "meta_prototype_dual_core_simd_offchip.yaml")
    assert any("no spatial unrolling" in w for w in warnings)
    acc, warnings = _imported(tmp_path, STREAM / "eyeriss_like_dual_core.yaml")
    assert any("K 16 does not fit size 14; clamped to 14" in w for w in warnings)
    assert acc.core("core0").unrolled_loops == {"K": 14, "C": 12}


def test_memory_sharing_and_path_fallback(tmp_path):
    acc, warnings = _imported(tmp_path, STREAM / "fusemax.yaml")
    assert [(s.memory, s.cores) for s in acc.shared_memories] == [("sram", ("core0", "core1"))]
    assert acc.memory_instance("core0", "I") == acc.memory_instance("core1", "O")
    assert any("taken from" in w for w in warnings)
    assert acc.dram.ports == "separate"  # three read-write ports
    assert acc.links == () and acc.buses == ()


def test_connectivity_groups_and_link_energy_conversion(tmp_path):
    for name in ("tpu_like.yaml", "offchip.yaml"):
        (tmp_path / name).write_text((STREAM / "cores" / name).read_text())
    system = tmp_path / "sys.yaml"
    system.write_text(
        "name: s\ncores: {0: tpu_like.yaml, 1: tpu_like.yaml, 2: tpu_like.yaml}\n"
        "offchip_core: offchip.yaml\ncore_connectivity: ['0, 1', '0, 1, 2']\n"
        "bandwidth: 32\nunit_energy_cost: 64\n"
    )
    acc, _ = _imported(tmp_path, system)
    # 64 pJ per active cycle of a 32-bit link = 2 pJ per bit
    assert [(ln.src, ln.dst, ln.energy_pj_per_bit) for ln in acc.links] == [
        ("core0", "core1", 2.0),
        ("core1", "core0", 2.0),
    ]
    assert [(b.cores, b.bandwidth_bits) for b in acc.buses] == [(("core0", "core1", "core2"), 32)]


ROUND_TRIP = [
    ("tpu_like", "tpu_like"),
    ("edge_tpu_like", "edge_tpu_like"),
    ("meta_prototype", "meta_prototype_like"),
    ("ascend_like", "ascend_like"),
    ("tesla_npu_like", "tesla_npu_like"),
    ("eyeriss_like", None),
    ("gemm_l1", "gemm_l1"),
    ("gemm_l1_l3", "gemm_l1"),
    ("generic_array_cacti", "default"),
]


@pytest.mark.zigzag
@pytest.mark.parametrize(("hw", "mapping"), ROUND_TRIP)
def test_zigzag_bundled_file_round_trips(tmp_path, hw, mapping):
    zz = _zigzag_core(ZIGZAG / "hardware" / f"{hw}.yaml")
    mapping_path = ZIGZAG / "mapping" / f"{mapping}.yaml" if mapping else None
    acc, _ = _imported(tmp_path, ZIGZAG / "hardware" / f"{hw}.yaml", mapping_path)
    (core,) = acc.cores
    assert dict(core.array) == {str(d): s for d, s in zz.operational_array.dimension_sizes.items()}
    levels = list(zz.memory_hierarchy.mem_level_list)
    if levels[-1].name == "dram":
        dram = levels.pop().memory_instance
        assert (acc.dram.size_bits, acc.dram.read_energy_pj) == (dram.size, dram.r_cost)
        assert acc.dram.read_bw_bits == max(p.bw_max for p in dram.ports)
    assert [m.name for m in core.memories] == [lv.name for lv in levels]
    for ours, theirs in zip(core.memories, levels, strict=True):
        inst = theirs.memory_instance
        names = {"I1": "I", "I2": "W", "O": "O"}
        assert ours.operands == frozenset(names[str(o)] for o in theirs.operands)
        assert (ours.size_bits, ours.read_energy_pj, ours.write_energy_pj) == (
            inst.size,
            inst.r_cost,
            inst.w_cost,
        )
        readers = [p.bw_max for p in inst.ports if p.type.value in ("read", "read_write")]
        assert ours.read_bw_bits == max(readers)
        assert set(ours.served_dims) == {str(d) for d in theirs.served_dimensions}
        assert core.instances(ours) == theirs.unroll_count
    if mapping and hw not in ("gemm_l1", "gemm_l1_l3"):  # gemm files use D0/D1/D2 loop names
        spatial = yaml.safe_load(mapping_path.read_text())[0]["spatial_mapping"]  # type: ignore[union-attr]
        expected = {
            d: {s.split(",")[0].strip(): int(s.split(",")[1]) for s in v}
            for d, v in spatial.items()
        }
        assert {d: dict(loops) for d, loops in core.unrolling} == expected


def _zigzag_core(path: Path):
    pytest.importorskip("zigzag")
    from zigzag.parser.accelerator_factory import AcceleratorFactory
    from zigzag.parser.accelerator_validator import AcceleratorValidator

    validator = AcceleratorValidator(yaml.safe_load(path.read_text()))
    assert validator.validate()
    return AcceleratorFactory(validator.normalized_data).create()


def test_duplicate_key_in_zigzag_file_warns_and_last_wins(tmp_path):
    acc, warnings = _imported(
        tmp_path, ZIGZAG / "hardware" / "tpu_like.yaml", ZIGZAG / "mapping" / "tpu_like.yaml"
    )
    assert any("sram_2MB.ports: duplicate key" in w for w in warnings)
    sram = acc.cores[0].memories[2]
    assert (sram.read_bw_bits, sram.min_read_bits) == (2048, 64)  # from the second `ports:`


def test_in_memory_computing_file_is_refused():
    with pytest.raises(InputError, match="is_imc"):
        import_stream(ZIGZAG / "hardware" / "aimc.yaml")


def test_cli_import_stream_writes_a_loadable_file(tmp_path, capsys):
    out = tmp_path / "quad.yaml"
    assert (
        main(
            [
                "hardware",
                "import-stream",
                str(STREAM / "tpu_like_quad_core.yaml"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "6 cores, 4232 MACs" in capsys.readouterr().out
    assert out.read_text().startswith("# Imported from tpu_like_quad_core.yaml")
    assert main(["hardware", "check", str(out)]) == 0


def test_cli_import_of_missing_core_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: s\ncores: {0: nowhere.yaml}\ncore_connectivity: []\nbandwidth: 8\n")
    assert main(["hardware", "import-stream", str(bad), "--out", str(tmp_path / "o.yaml")]) == 2
    assert "nowhere.yaml" in capsys.readouterr().err


def test_garbage_zigzag_file_is_a_located_error(tmp_path):
    bad = tmp_path / "core.yaml"
    bad.write_text("name: c\nmemories: [1, 2]\noperational_array: {dimensions: [D1], sizes: [4]}\n")
    with pytest.raises(InputError, match=r"core.yaml: unexpected content"):
        import_stream(bad)
    bad.write_text(
        "name: c\nmemories:\n  m: {size: 8}\noperational_array: {dimensions: [D1], sizes: [4]}\n"
    )
    with pytest.raises(InputError, match=r"core.yaml: memories.m: missing 'r_cost'"):
        import_stream(bad)


def test_single_old_format_core_gets_default_dram(tmp_path):
    acc, warnings = _imported(tmp_path, STREAM / "cores" / "simd.yaml")
    assert warnings == []
    (core,) = acc.cores
    assert (core.name, core.kind, core.n_macs, core.unrolled_loops) == (
        "core0",
        "simd",
        64,
        {"K": 64},
    )
    assert core.memories[0].read_write_ports == 2 and core.memories[0].read_ports == 0
    assert (acc.dram.read_bw_bits, acc.dram.read_energy_pj) == (64, 1000.0)
    with pytest.raises(InputError, match="off-chip"):
        import_stream(STREAM / "cores" / "offchip.yaml")


def test_simba_small_mesh_given_as_pairs(tmp_path):
    acc, warnings = _imported(tmp_path, STREAM / "simba_small.yaml")
    assert warnings == []
    assert acc.total_macs == 4 * (4 * 4 * 8 * 8)
    assert len(acc.links) == 8 and {ln.bandwidth_bits for ln in acc.links} == {32}
    chiplet = acc.core("core3")
    assert chiplet.unrolled_loops == {"K": 32, "C": 32}  # K 4 x K 8 and C 4 x C 8
    assert [m.name for m in chiplet.hierarchy("W")] == [
        "weight_registers",
        "weight_buffer",
        "global_buffer",
    ]
    assert acc.dram.read_energy_pj == 100.0


def test_cli_import_with_zigzag_mapping(tmp_path, capsys):
    out = tmp_path / "edge.yaml"
    args = ["hardware", "import-stream", str(ZIGZAG / "hardware" / "edge_tpu_like.yaml")]
    args += ["--out", str(out), "--zigzag-mapping", str(ZIGZAG / "mapping" / "edge_tpu_like.yaml")]
    assert main(args) == 0
    assert "1 core, 1024 MACs" in capsys.readouterr().out
    assert load_accelerator(out).cores[0].unrolled_loops == {"K": 8, "C": 8, "OX": 4, "OY": 4}
