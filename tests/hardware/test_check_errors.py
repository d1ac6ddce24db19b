"""Malformed hardware files: each gives located one-line problems and exit code 2 via the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuseflow.cli import main
from fuseflow.errors import InputError
from fuseflow.hardware.load import load_accelerator

# line numbers matter: the expectations below name them
GOOD = """\
name: tiny
cores:
  - name: a
    array: {D1: 4, D2: 4}
    unrolling:
      D1: {K: 4}
      D2: {C: 4}
    mac_energy_pj: 0.04
    memories:
      rf:
        operands: [W]
        size_bits: 64
        read_bw_bits: 8
        write_bw_bits: 8
        read_energy_pj: 0.1
        write_energy_pj: 0.1
      sram:
        operands: [I, W, O]
        size_bits: 65536
        read_bw_bits: 128
        write_bw_bits: 128
        read_energy_pj: 10
        write_energy_pj: 12
        served_dims: [D1, D2]
  - {name: b, file: core_b.yaml}
dram:
  size_bits: 1000000000
  read_bw_bits: 64
  write_bw_bits: 64
  read_energy_pj: 640
  write_energy_pj: 640
interconnect:
  bandwidth_bits: 32
  links:
    - {cores: [a, b]}
"""

CORE_B = """\
name: b
kind: simd
array: {D1: 8}
unrolling: {D1: {K: 8}}
mac_energy_pj: 0.1
memories:
  buf:
    operands: [I, W, O]
    size_bits: 8192
    read_bw_bits: 64
    write_bw_bits: 64
    read_energy_pj: 5
    write_energy_pj: 5
"""

# (case id, old text, new text, expected fragments of the error)
CASES = [
    ("missing key", "    mac_energy_pj: 0.04\n", "", [":3: cores[0].mac_energy_pj: missing"]),
    (
        "wrong type",
        "size_bits: 64\n",
        "size_bits: 64 bits\n",
        [":12: cores[0].memories.rf.size_bits"],
    ),
    (
        "unknown key",
        "        size_bits: 64\n",
        "        size_bits: 64\n        sise: 3\n",
        [":13: cores[0].memories.rf.sise: unknown key 'sise'"],
    ),
    (
        "negative size",
        "size_bits: 65536",
        "size_bits: -5",
        [":19: cores[0].memories.sram.size_bits", "greater than 0"],
    ),
    (
        "bandwidth above size (unit mix-up)",
        "read_bw_bits: 128",
        "read_bw_bits: 131072",
        [":20: cores[0].memories.sram.read_bw_bits", "more than the whole memory"],
    ),
    (
        "dangling link",
        "[a, b]}",
        "[a, c]}",
        [":35: interconnect.links[0].cores[1]", "unknown core 'c'"],
    ),
    (
        "unreachable DRAM",
        "  write_energy_pj: 640\ninterconnect:\n  bandwidth_bits: 32\n  links:\n"
        "    - {cores: [a, b]}\n",
        "  write_energy_pj: 640\n  cores: [a]\ninterconnect:\n  bandwidth_bits: 32\n  links:\n"
        "    - {cores: [a, b], duplex: oneway}\n",
        [":32: dram.cores", "core 'b' cannot reach DRAM"],
    ),
    (
        "unrolling too large",
        "D1: {K: 4}",
        "D1: {K: 8}",
        [":6: cores[0].unrolling.D1", "does not fit"],
    ),
    ("bad YAML syntax", "    array: {D1: 4, D2: 4}", "    array: {D1: 4, D2: 4", ["invalid YAML"]),
    ("duplicate core name", "{name: b, file", "{name: a, file", ["core name 'a' is used twice"]),
    (
        "duplicate key",
        "    mac_energy_pj: 0.04\n",
        "    mac_energy_pj: 0.04\n    mac_energy_pj: 0.05\n",
        [":9: cores[0].mac_energy_pj: duplicate key"],
    ),
    ("missing core file", "core_b.yaml", "core_c.yaml", [":25: cores[1].file", "not found"]),
    ("unknown layer dim", "D2: {C: 4}", "D2: {X: 4}", [":7: cores[0].unrolling.D2.X"]),
    (
        "served dim not in array",
        "served_dims: [D1, D2]",
        "served_dims: [D1, D3]",
        [":24: cores[0].memories.sram.served_dims[1]", "'D3' is not an array dim"],
    ),
    (
        "operand without memory",
        "operands: [I, W, O]\n        size_bits: 65536",
        "operands: [I, W]\n        size_bits: 65536",
        [":9: cores[0].memories", "operand O has no memory"],
    ),
    (
        "link without bandwidth",
        "  bandwidth_bits: 32\n",
        "",
        [":34: interconnect.links[0]", "no bandwidth_bits"],
    ),
    (
        "bad DRAM ports",
        "  write_energy_pj: 640\n",
        "  write_energy_pj: 640\n  ports: dual\n",
        [":32: dram.ports", "'shared' or 'separate'", "'dual'"],
    ),
    (
        "link energy per cycle (unit mix-up)",
        "  bandwidth_bits: 32\n",
        "  bandwidth_bits: 32\n  energy_pj_per_bit: 512\n",
        ["implausibly large"],
    ),
    (
        "number with unit",
        "read_energy_pj: 10\n",
        "read_energy_pj: 10pJ\n",
        [":22: cores[0].memories.sram.read_energy_pj", "no units"],
    ),
]


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "core_b.yaml").write_text(CORE_B)
    path = tmp_path / "sys.yaml"
    path.write_text(text)
    return path


def test_the_good_file_passes(tmp_path, capsys):
    assert main(["hardware", "check", str(_write(tmp_path, GOOD))]) == 0
    assert "tiny: 2 cores, 24 MACs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_file_gives_located_error_and_exit_2(tmp_path, capsys, old, new, expected):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    assert main(["hardware", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}"), err  # one problem, one line
    for fragment in expected:
        assert fragment in err, err


def test_every_problem_is_reported_on_its_own_line(tmp_path, capsys):
    text = GOOD.replace("size_bits: 64\n", "size_bits: -1\n").replace(
        "D1: {K: 4}", "D1: {K: 4, Q: 2}"
    )
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_accelerator(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(str(path)) for line in lines)
    assert main(["hardware", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.removeprefix("error: ") for line in err] == lines
    assert err[0].startswith("error: ") and "Traceback" not in "".join(err)


def test_error_in_referenced_core_file_names_that_file(tmp_path):
    path = _write(tmp_path, GOOD)
    (tmp_path / "core_b.yaml").write_text(CORE_B.replace("size_bits: 8192", "size_bits: 0"))
    with pytest.raises(InputError, match=r"core_b.yaml:9: memories.buf.size_bits"):
        load_accelerator(path)


def test_unknown_library_name_lists_the_library():
    with pytest.raises(InputError, match="tpu_like_quad"):
        load_accelerator("no_such_system")


def test_stream_file_points_to_the_importer(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\ncores: {0: a.yaml}\ncore_connectivity: []\nbandwidth: 32\n")
    with pytest.raises(InputError, match="import-stream"):
        load_accelerator(path)
