"""`fuseflow hardware check|list|show` as a user sees them."""

from __future__ import annotations

from fuseflow.cli import main


def test_check_prints_a_summary(capsys):
    assert main(["hardware", "check", "tpu_like_quad"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tpu_like_quad: 6 cores, 4232 MACs")
    assert "core core0 .. core3 (4 cores) [compute]: array D1 32 x D2 32 = 1024 MACs" in out
    assert "    W: rf_128B > sram_2MB" in out
    assert "link core3 <-> core0: 32 bits/cycle" in out
    assert "one shared port" in out
    assert out.rstrip().endswith("ok")


def test_check_shows_buses_and_separate_ports(capsys):
    assert main(["hardware", "check", "homo4_bus_2port"]) == 0
    out = capsys.readouterr().out
    assert (
        "bus bus (6 cores: core0, core1, core2, core3, pooling, simd): 64 bits/cycle shared" in out
    )
    assert "separate read and write ports" in out


def test_list_and_show(capsys):
    assert main(["hardware", "list"]) == 0
    listing = capsys.readouterr().out
    assert "tpu_like_quad" in listing and "cores/c16_k16" in listing
    assert main(["hardware", "show", "cores/simd"]) == 0
    assert "kind: simd" in capsys.readouterr().out
    assert main(["hardware", "show", "homo4_mesh", "--summary"]) == 0
    assert "link core0 <-> core1: 64 bits/cycle" in capsys.readouterr().out
    assert main(["hardware", "show", "nope"]) == 2
    assert "error: nope: not in the library" in capsys.readouterr().err


def test_check_of_missing_file_exits_2(tmp_path, capsys):
    assert main(["hardware", "check", str(tmp_path / "none.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
