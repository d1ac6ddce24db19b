"""End to end: the shipped examples, Stream's own inputs, and the run/check-schedule commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fuseflow.api import Search, check_result, run
from fuseflow.cli import main
from fuseflow.report.examples import list_examples, load_example
from fuseflow.report.result import load_result
from fuseflow.schedule.scheduler import ScheduleOptions

STREAM = Path(__file__).parent / "data" / "stream"
STREAM_HW = STREAM / "hardware" / "tpu_like_quad_core.yaml"
STREAM_MAPPING = STREAM / "mapping" / "tpu_like_quad_core_resnet18_fixed_split_tiled.yaml"
STREAM_ONNX = STREAM / "workload" / "resnet18.onnx"


@pytest.fixture(scope="module")
def fused(tmp_path_factory):
    """The fused example run once through the command line, plots included."""
    out = tmp_path_factory.mktemp("fused")
    assert main(["run", "--example", "resnet18-tpu-quad-fused", "--out", str(out), "--quiet"]) == 0
    return out


def test_fused_example_writes_every_file_and_validates(fused, capsys):
    names = {p.name for p in fused.iterdir()}
    assert {
        "result.json",
        "cns.csv",
        "transfers.csv",
        "layers.csv",
        "cores.csv",
        "schedule.html",
        "schedule.png",
        "memory.png",
        "trace.perfetto.json",
    } <= names
    r = load_result(fused)
    assert r.totals.n_cns == 1118  # Stream's CN count for this point
    assert r.totals.latency_cycles > 0 and r.totals.energy_pj > 0
    assert r.inputs.stacks is None and r.inputs.hardware.spec == "tpu_like_quad"
    assert len(r.inputs.workload.sha256 or "") == 64
    assert main(["check-schedule", str(fused / "result.json")]) == 0
    assert "OK" in capsys.readouterr().out


def test_fused_trace_slices_never_partly_overlap_on_a_track(fused):
    """Perfetto draws complete events of one track as a stack: they must nest, not cross."""
    events = json.loads((fused / "trace.perfetto.json").read_text())["traceEvents"]
    tracks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for e in events:
        if e["ph"] == "X":
            tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    assert sum(len(v) for v in tracks.values()) >= 1118
    for spans in tracks.values():
        open_ends: list[int] = []  # ends of the enclosing slices, innermost last
        for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            assert not open_ends or end <= open_ends[-1]
            open_ends.append(end)


def test_stream_inputs_run_unchanged_and_match_the_fused_example(fused, tmp_path):
    r = run(
        STREAM_ONNX, STREAM_HW, STREAM_MAPPING, stacks="0-10,11-21", out_dir=tmp_path, plots=False
    )
    ours = load_result(fused)
    assert r.totals == ours.totals
    assert r.cns == ours.cns and r.energy == ours.energy
    assert check_result(tmp_path) == []


def test_a_fixed_mapping_records_that_nothing_was_chosen(fused):
    a = load_result(fused).allocation
    assert a is not None and (a.algorithm, a.free_groups, a.bounds) == ("fixed", 0, None)


def test_run_searches_the_allocation_with_a_tiny_budget(tmp_path, capsys):
    out = tmp_path / "ga"
    argv = ["run", "--workload", str(STREAM_ONNX), "--hardware", "tpu_like_quad"]
    argv += ["--stacks", "lbl", "--allocate", "ga", "--objective", "edp", "--budget", "3evals"]
    assert main([*argv, "--seed", "4", "--out", str(out), "--no-plots"]) == 0
    assert "ga (edp)" in capsys.readouterr().out
    r = load_result(out)
    a = r.allocation
    assert a is not None and (a.algorithm, a.objective, a.budget) == ("ga", "edp", "3evals")
    assert a.free_groups == 48 and 1 <= a.evaluations <= 3 and a.bounds is not None
    assert a.gap["edp"] == pytest.approx(r.totals.edp / a.bounds.edp - 1)
    assert all(g is not None and g >= 0 for g in a.gap.values())  # bounds are lower bounds
    search = json.loads((out / "search.json").read_text())
    assert search["seed"] == 4 and search["allocation"] == r.inputs.allocation
    assert [r.inputs.allocation[g] for g in r.cns.group] == r.cns.core  # the search's choice ran
    assert check_result(out) == []


def test_search_example_chooses_split_factors_that_check_schedule_rebuilds(tmp_path, capsys):
    out = tmp_path / "search"
    argv = ["run", "--example", "resnet18-tpu-quad-search", "--allocate", "ga", "--budget"]
    assert main([*argv, "4evals", "--seed", "2", "--out", str(out), "--no-plots"]) == 0
    r = load_result(out)
    assert r.allocation is not None and r.allocation.free_groups > 48  # core-set genes
    split_layers = {name for name, f in r.inputs.splits.items() if f > 1}
    assert split_layers and split_layers <= {x.name for x in r.layers if x.op_type == "Conv"}
    search = json.loads((out / "search.json").read_text())
    assert {k: f for k, f in search["splits"].items() if f > 1} == r.inputs.splits
    assert r.totals.n_cns > 1118  # the split parts are CNs of their own
    assert check_result(out) == []  # rebuilt with the chosen splits, then validated
    assert main(["check-schedule", str(out / "result.json")]) == 0


@pytest.mark.parametrize("algorithm", ["greedy", "ga"])
def test_search_scores_with_the_runs_scheduler_options(tmp_path, algorithm):
    options = ScheduleOptions(order="latency_first", prefetch_weights=True, lookahead=None)
    search = Search(algorithm, "latency", "4evals")
    r = run(STREAM_ONNX, "tpu_like_quad", stacks="lbl", out_dir=tmp_path, plots=False,
            options=options, search=search)  # fmt: skip
    found = json.loads((tmp_path / "search.json").read_text())
    # the search's figure is the final schedule's: both ran with the same options
    assert found["latency_cycles"] == r.totals.latency_cycles
    assert r.inputs.options["lookahead"] is None
    assert found["energy_pj"] == pytest.approx(r.totals.energy_pj)
    assert check_result(tmp_path) == []


def test_default_allocation_is_greedy_without_a_search(tmp_path):
    r = run(STREAM_ONNX, "tpu_like_quad", stacks="lbl", out_dir=tmp_path, plots=False)
    a = r.allocation
    assert a is not None and (a.algorithm, a.free_groups, a.evaluations) == ("greedy", 48, 0)
    assert not (tmp_path / "search.json").exists()
    assert check_result(tmp_path) == []


def test_layer_by_layer_example_has_one_cn_per_layer_part(tmp_path):
    ex = load_example("resnet18-tpu-quad-lbl")
    r = run(ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, out_dir=tmp_path, plots=False)
    assert r.totals.n_cns == len(r.layers) == 48
    assert check_result(tmp_path) == []


def test_examples_are_listed(capsys):
    names = {"resnet18-tpu-quad-fused", "resnet18-tpu-quad-lbl", "resnet18-tpu-quad-search"}
    assert {e.name for e in list_examples()} >= names
    assert main(["run", "--list-examples"]) == 0
    assert "resnet18-tpu-quad-lbl" in capsys.readouterr().out


def test_a_tampered_schedule_is_invalid(fused, tmp_path, capsys):
    shutil.copytree(fused, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "result.json"
    raw = json.loads(path.read_text())
    raw["cns"]["start_cycles"][5] = raw["cns"]["start_cycles"][4]  # overlaps CN 4 on its core
    path.write_text(json.dumps(raw))
    assert main(["check-schedule", str(path)]) == 1
    assert "INVALID" in capsys.readouterr().out


def _first(raw, kind):
    return raw["transfers"]["kind"].index(kind)


def _double_mac_energy(raw):
    raw["energy"]["mac_pj"] *= 2


def _shorten_cn(raw):
    raw["cns"]["end_cycles"][10] = raw["cns"]["start_cycles"][10] + 1


def _halve_memory_capacity(raw):
    raw["memories"][0]["capacity_bits"] = raw["memories"][0]["peak_bits"] // 2


def _move_transfer_before_its_producer(raw):
    t, i = raw["transfers"], _first(raw, "core_to_core")
    t["end_cycles"][i] -= t["start_cycles"][i]
    t["start_cycles"][i] = 0


def _delay_transfer_after_its_consumer(raw):
    raw["transfers"]["end_cycles"][_first(raw, "core_to_core")] += 10**6


def _overfill_dram_port(raw):
    raw["transfers"]["bw_bits"][_first(raw, "weight_fetch")] *= 4


@pytest.mark.parametrize(
    ("tamper", "found"),
    [
        (_double_mac_energy, "energy parts sum to"),
        (_shorten_cn, "lasts 1 < its latency"),
        (_halve_memory_capacity, "hardware says"),
        (_move_transfer_before_its_producer, "before it is produced"),
        (_delay_transfer_after_its_consumer, "arrives at"),
        (_overfill_dram_port, "exceeds its bandwidth"),
    ],
)
def test_check_schedule_finds_each_kind_of_tampering(fused, tmp_path, tamper, found):
    shutil.copytree(fused, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "result.json"
    raw = json.loads(path.read_text())
    tamper(raw)
    path.write_text(json.dumps(raw))
    problems = check_result(path)
    assert any(found in p for p in problems), problems


def test_a_changed_input_file_is_reported(tmp_path, capsys):
    onnx = tmp_path / "model.onnx"
    shutil.copy(STREAM_ONNX, onnx)
    run(onnx, STREAM_HW, STREAM_MAPPING, stacks="lbl", out_dir=tmp_path / "out", plots=False)
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    assert main(["check-schedule", str(tmp_path / "out")]) == 2
    assert "changed since the run" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--hardware", "tpu_like_quad"], "--workload required"),
        (["run", "--example", "nope"], "no example named 'nope'"),
        (["run", "--example", "x", "--examples-dir", "/nonexistent"], "no examples folder"),
        (["run", "--example", "resnet18-tpu-quad-lbl", "--workload", "x.onnx"], "replaces"),
        (
            [
                "run",
                "--workload",
                str(STREAM_ONNX),
                "--hardware",
                "tpu_like_quad",
                "--stacks",
                "0-10,x",
            ],
            "--stacks",
        ),
        (["check-schedule", "/nonexistent/result.json"], "no such result file"),
        (["run", "--example", "resnet18-tpu-quad-lbl", "--lookahead", "0"], "--lookahead: '0'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
