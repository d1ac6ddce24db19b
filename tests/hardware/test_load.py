"""Loading our format: core references, counts, link kinds, mesh, shared memories, DRAM gateways."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuseflow.errors import InputError
from fuseflow.hardware.lint import lint
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.summary import summarize
from fuseflow.hardware.topology import build_topology

CORE = """\
    array: {D1: 4}
    unrolling: {D1: {K: 4}}
    mac_energy_pj: 0.1
    memories:
      sram: {operands: [I, W, O], size_bits: 8192, read_bw_bits: 64, write_bw_bits: 64,
             read_energy_pj: 2, write_energy_pj: 2}
"""
DRAM = (
    "dram: {size_bits: 1000000, read_bw_bits: 64, write_bw_bits: 64, read_energy_pj: 9,"
    " write_energy_pj: 9}\n"
)


def _load(tmp_path: Path, body: str, core: str = CORE):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ncore_types:\n  t:\n{core}" + body + DRAM)
    return load_accelerator(path)


def test_count_names_and_core_types(tmp_path):
    acc = _load(tmp_path, "cores:\n  - {type: t, count: 3}\n  - {name: x, type: t}\n")
    assert acc.core_names == ("t0", "t1", "t2", "x")
    assert acc.total_macs == 16
    assert acc.links == () and acc.buses == ()
    topo = build_topology(acc)
    assert topo.route(0, 3).via_dram


def test_link_kinds(tmp_path):
    body = (
        "cores:\n  - {type: t, count: 3}\ninterconnect:\n  bandwidth_bits: 16\n  links:\n"
        "    - {cores: [t0, t1]}\n    - {cores: [t1, t2], duplex: half, energy_pj_per_bit: 0.5}\n"
        "    - {cores: [t2, t0], duplex: oneway, bandwidth_bits: 8}\n"
    )
    acc = _load(tmp_path, body)
    assert [(ln.name, ln.bandwidth_bits) for ln in acc.links] == [
        ("t0->t1", 16),
        ("t1->t0", 16),
        ("t2->t0", 8),
    ]
    assert [(b.name, b.cores, b.energy_pj_per_bit) for b in acc.buses] == [
        ("t1<->t2", ("t1", "t2"), 0.5)
    ]


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), extra=st.integers(0, 2))
def test_mesh_has_grid_links_and_manhattan_routes(tmp_path_factory, rows, cols, extra):
    tmp_path = tmp_path_factory.mktemp("mesh")
    attach = [f"e{k}" for k in range(extra)]
    body = (
        f"cores:\n  - {{name: m, type: t, count: {rows * cols + 1}}}\n"
        + "".join(f"  - {{name: {a}, type: t}}\n" for a in attach)
        + f"interconnect:\n  bandwidth_bits: 8\n  mesh: {{rows: {rows}, cols: {cols}, "
        f"cores: [{', '.join(f'm{i}' for i in range(rows * cols))}], "
        f"attach: [{', '.join(attach)}]}}\n"
        f"  links:\n    - {{cores: [m0, m{rows * cols}]}}\n"
    )
    acc = _load(tmp_path, body)
    grid_edges = rows * (cols - 1) + cols * (rows - 1)
    assert len(acc.links) == 2 * (grid_edges + extra * rows * cols + 1)
    topo = build_topology(acc)
    for a in range(rows * cols):
        for b in range(rows * cols):
            hops = abs(a // cols - b // cols) + abs(a % cols - b % cols)
            hops = min(hops, 2) if extra else hops  # an attached core is a 2-hop shortcut
            assert len(topo.route(a, b).resources) == hops


def test_mesh_default_cores_and_size_mismatch(tmp_path):
    acc = _load(
        tmp_path,
        "cores:\n  - {type: t, count: 4}\n  - {name: p, type: t}\n"
        "interconnect:\n  mesh: {rows: 2, cols: 2, attach: [p], bandwidth_bits: 8}\n",
    )
    assert len(acc.links) == 8 + 8
    with pytest.raises(InputError, match="a 2x3 mesh needs 6 cores, got 4"):
        _load(
            tmp_path,
            "cores:\n  - {type: t, count: 4}\n  - {name: p, type: t}\n"
            "interconnect:\n  mesh: {rows: 2, cols: 3, attach: [p], bandwidth_bits: 8}\n",
        )


def test_duplicate_link_is_an_error(tmp_path):
    body = "cores:\n  - {type: t, count: 2}\ninterconnect:\n  bandwidth_bits: 8\n  links:\n"
    body += "    - {cores: [t0, t1]}\n    - {cores: [t1, t0]}\n"
    with pytest.raises(InputError, match="a second link from t1 to t0"):
        _load(tmp_path, body)


def test_shared_memory_must_be_identical(tmp_path):
    other = CORE.replace("read_energy_pj: 2", "read_energy_pj: 3")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: s\ncore_types:\n  t:\n{CORE}  u:\n{other}"
        "cores:\n  - {name: a, type: t}\n  - {name: b, type: u}\n  - {name: c, type: t}\n"
        "shared_memories:\n  - {memory: sram, cores: [a, b]}\n  - {memory: sram, cores: [a, c]}\n"
        + DRAM
    )
    with pytest.raises(
        InputError, match=r"s.yaml:\d+: shared_memories\[0\]: memory 'sram' of core 'b'"
    ):
        load_accelerator(path)
    path.write_text(path.read_text().replace("  - {memory: sram, cores: [a, b]}\n", ""))
    acc = load_accelerator(path)
    assert acc.memory_instance("a", "W") == acc.memory_instance("c", "I")
    assert acc.memory_instance("a", "W") != acc.memory_instance("b", "W")


def test_reference_needs_exactly_one_of_file_and_type(tmp_path):
    with pytest.raises(InputError, match="exactly one of 'file' and 'type'"):
        _load(tmp_path, "cores:\n  - {type: t, file: x.yaml}\n")
    with pytest.raises(InputError, match="unknown core type 'v'"):
        _load(tmp_path, "cores:\n  - {type: v}\n")


def test_core_without_weights(tmp_path):
    core = CORE.replace("[I, W, O]", "[I, O]") + "    operands: [I, O]\n    kind: pooling\n"
    acc = _load(tmp_path, "cores:\n  - {type: t}\n", core)
    assert acc.cores[0].hierarchy("W") == ()
    assert acc.cores[0].kind == "pooling"


def test_lint_flags_unused_array_positions_and_free_dram(tmp_path):
    core = CORE.replace("{D1: {K: 4}}", "{D1: {K: 3}}")
    acc = _load(tmp_path, "cores:\n  - {type: t}\n", core)
    assert lint(acc) == [
        "core t: array dim D1 (size 4) is unrolled 3; 1 of every 4 positions never compute"
    ]


@pytest.mark.parametrize(
    "name", ["tpu_like_quad", "homo4_mesh_2port", "hetero4_bus", "cores/eyeriss_like"]
)
def test_dump_then_load_gives_the_same_accelerator(tmp_path, name):
    from fuseflow.hardware.dump import dump_accelerator

    acc = load_accelerator(name)
    path = tmp_path / "dumped.yaml"
    path.write_text(dump_accelerator(acc))
    again = load_accelerator(path)
    assert dataclasses.replace(again, source=None) == dataclasses.replace(acc, source=None)


def test_named_links_keep_their_names(tmp_path):
    body = (
        "cores:\n  - {type: t, count: 3}\ninterconnect:\n  bandwidth_bits: 8\n  links:\n"
        "    - {cores: [t0, t1], name: up, duplex: oneway}\n    - {cores: [t1, t2], name: x}\n"
        "    - {cores: [t2, t0]}\n"
    )
    acc = _load(tmp_path, body)
    assert [ln.name for ln in acc.links] == ["up", "x:t1->t2", "x:t2->t1", "t2->t0", "t0->t2"]


def test_whole_float_sizes_are_accepted_and_core_errors_reported_with_system_errors(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: s\ncore_types:\n  t:\n{CORE}cores:\n  - {{type: t}}\n"
        + DRAM.replace("1000000", "1.0e+10")
    )
    assert load_accelerator(path).dram.size_bits == 10_000_000_000
    path.write_text(
        path.read_text().replace("name: s", "name: 5s").replace("size_bits: 8192", "size_bits: x")
    )
    with pytest.raises(InputError) as info:
        load_accelerator(path)
    assert "s.yaml:1: name: expected a name" in str(info.value)
    assert "core_types.t.memories.sram.size_bits" in str(info.value)


@pytest.mark.parametrize(
    ("sharing", "says"),
    [
        ("", "cores exchange data through DRAM"),
        ("shared_memories:\n  - {memory: sram, cores: [a, b]}\n", "outside a shared memory"),
        ("shared_memories:\n  - {memory: sram, cores: [a, b, c]}\n", "through their shared mem"),
    ],
)
def test_summary_names_how_cores_without_links_exchange_data(tmp_path, sharing, says):
    cores = "cores:\n  - {name: a, type: t}\n  - {name: b, type: t}\n  - {name: c, type: t}\n"
    text = summarize(_load(tmp_path, cores + sharing))
    assert says in text
    assert text.count("exchange data") == 1
