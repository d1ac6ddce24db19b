"""`fuseflow cost`: per-layer costs as a table and as JSON, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fuseflow.cli import main
from fuseflow.cost.cache import ENV_VAR
from fuseflow.hardware.load import load_accelerator
from fuseflow.workload.load import load_workload

CORE_FILE = Path(__file__).parents[2] / "fuseflow/hardware/library/cores/tpu_like.yaml"


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))


def test_json_one_core_of_a_system(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["cost", "zoo:resnet18", "--hardware", "tpu_like_quad", "--core", "core0",
                 "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["layers"]
    names = [layer.name for layer in load_workload("zoo:resnet18").layers]
    assert [r["name"] for r in rows] == names
    assert {r["core"] for r in rows} == {"core0"}
    conv = rows[0]
    assert conv["op_type"] == "Conv"
    parts = ("ideal_cycles", "stall_cycles", "onload_cycles", "offload_cycles")
    assert conv["latency_cycles"] == sum(conv[p] for p in parts)
    assert conv["energy_pj"] == pytest.approx(sum(conv["energy_breakdown_pj"].values()))
    assert set(conv["top_footprint_bits"]) == {"I", "W", "O"}
    assert list(tmp_path.rglob("*.json"))  # results went to the cache


def test_single_core_file_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "zoo:resnet18", "--hardware", str(CORE_FILE)]) == 0
    out = capsys.readouterr().out.splitlines()
    core = load_accelerator(CORE_FILE).cores[0].name
    assert out[0].split()[:4] == ["layer", "op", "core", "latency"]
    assert len(out) == 1 + len(load_workload("zoo:resnet18").layers)
    assert all(core in line for line in out[1:])


def test_unknown_core_is_a_located_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "zoo:resnet18", "--hardware", "tpu_like_quad", "--core", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--core" in err[0] and "'nope'" in err[0]


def test_zigzag_backend_missing_is_an_input_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "zigzag" else real(name, *a)
    )
    args = ["cost", "zoo:resnet18", "--hardware", "tpu_like_quad", "--backend", "zigzag"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "zigzag-dse" in err and len(err.strip().splitlines()) == 1
