"""``fuseflow validate``: JSON output, unknown cases and bad case files as one-line errors."""

from __future__ import annotations

import json
import textwrap

import pytest

from fuseflow.cli import main
from fuseflow.errors import InputError
from fuseflow.validation import cli as validate_cli
from fuseflow.validation.case import ValidationCase, load_case
from fuseflow.validation.runner import CaseRun, run_case

_RUNS: dict[str, CaseRun] = {}


@pytest.fixture
def once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each case once for all the output tests of this module (the runs are deterministic)."""

    def cached(case: ValidationCase) -> CaseRun:
        if case.name not in _RUNS:
            _RUNS[case.name] = run_case(case)
        return _RUNS[case.name]

    monkeypatch.setattr(validate_cli, "run_case", cached)


@pytest.mark.usefixtures("once")
def test_json_output_has_latencies_and_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--case", "diana", "--json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)
    assert out["case"] == "diana"
    assert out["measured_latency_cycles"] == 812_000
    assert 0 < out["accuracy"] <= 1
    assert [c["core"] for c in out["cores"]] == ["digital", "pooling", "analog", "simd"]
    assert out["validator_problems"] == []
    cp = out["critical_path"]
    parts = sum(v for k, v in cp.items() if k not in ("dominant", "core_cycles"))
    assert parts == out["modelled_latency_cycles"]
    in_cns = cp["compute"] + cp["memory_stall"]  # plus any DRAM streaming stretch
    assert in_cns <= sum(cp["core_cycles"].values()) <= in_cns + cp["dram"]
    assert out["with_stream_cn_latency_cycles"] > 0


@pytest.mark.usefixtures("once")
def test_text_output_names_what_dominates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--case", "diana"]) == 0
    out = capsys.readouterr().out
    assert "measured 812,000 -> accuracy" in out
    assert "-> dominated by " in out
    assert "schedule validator: valid" in out


def test_unknown_case_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--case", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown validation case 'nope'" in err and "\n" not in err


def test_bad_case_file_is_located(tmp_path) -> None:
    (tmp_path / "case.yaml").write_text(
        textwrap.dedent(
            """
            name: x
            title: x
            measured_latency_cycles: 10
            source: x
            hardware: hw.yaml
            workload: w.py
            mapping: m.yaml
            colour: red
            """
        )
    )
    with pytest.raises(InputError, match=r"case.yaml:9: colour: unknown key"):
        load_case(tmp_path)


def test_missing_file_is_located(tmp_path) -> None:
    (tmp_path / "case.yaml").write_text(
        "name: x\ntitle: x\nmeasured_latency_cycles: 10\nsource: x\n"
        "hardware: hw.yaml\nworkload: w.py\nmapping: m.yaml\n"
    )
    with pytest.raises(InputError, match=r"case.yaml:5: hardware: file 'hw.yaml' not found"):
        load_case(tmp_path)
