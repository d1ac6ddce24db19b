"""Result schema: make, save, load, CSV tables, schema-version and malformed-file errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from report_cases import make_accelerator, make_graph, make_inputs, make_schedule

from fuseflow.errors import InputError
from fuseflow.report.restore import schedule_from_result
from fuseflow.report.result import load_result, make_result, save_result


def test_totals_and_summaries_match_the_hand_built_schedule(case2):
    graph, acc, sched = case2
    r = make_result(graph, acc, sched, make_inputs())
    assert r.totals.latency_cycles == 95
    assert r.totals.energy_pj == pytest.approx(345.0)
    assert r.totals.edp == pytest.approx(95 * 345.0)
    assert r.totals.total_macs == 4 * 64
    assert [c.busy_cycles for c in r.cores] == [40, 40]
    assert r.cores[0].utilization == pytest.approx(40 / 95)
    assert r.cores[0].mac_utilization == pytest.approx(128 / (16 * 95))
    assert [(x.start_cycles, x.end_cycles) for x in r.layers] == [(25, 65), (50, 90)]
    link = r.resources[0]
    assert (link.name, link.n_transfers, link.bits, link.busy_cycles) == ("c0->c1", 2, 256, 10)
    assert link.utilization == pytest.approx(25.6 * 10 / (32 * 95))
    dram = r.resources[2]
    # weights [0,20), input fetches [20,25) and [40,45), write-backs [70,75) and [90,95)
    assert (dram.kind, dram.n_transfers, dram.busy_cycles) == ("dram", 6, 40)
    assert (r.dram.read_bits, r.dram.write_bits) == (4 * 128, 2 * 128)
    assert r.dram.bits_by_kind == {"weight_fetch": 256, "input_fetch": 256, "output_writeback": 256}
    assert r.transfers.tensor_label[:3] == ["W0 conv_a", "W1 conv_b", "in conv_a[0]"]
    assert r.transfers.tensor_label[3:5] == ["conv_a[0]", "conv_b[0]"]


def test_save_load_round_trip_is_equal(tmp_path, case2):
    graph, acc, sched = case2
    r = make_result(graph, acc, sched, make_inputs())
    path = save_result(r, tmp_path)
    assert path == tmp_path / "result.json"
    assert load_result(path) == r
    assert load_result(tmp_path) == r


def test_restored_schedule_has_the_same_arrays(case2):
    graph, acc, sched = case2
    back = schedule_from_result(make_result(graph, acc, sched, make_inputs()))
    assert back.energy == sched.energy and back.latency_cycles == sched.latency_cycles
    for name in ("cn_core", "cn_start", "cn_end", "tr_kind", "tr_tensor", "tr_src", "tr_res"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sched, name))
    np.testing.assert_array_equal(back.memories[1].usage_bits, sched.memories[1].usage_bits)


def test_csv_tables_hold_names_and_times(tmp_path, case2):
    graph, acc, sched = case2
    save_result(make_result(graph, acc, sched, make_inputs()), tmp_path)
    with (tmp_path / "cns.csv").open() as f:
        cns = list(csv.DictReader(f))
    assert len(cns) == 4
    assert cns[2] == {
        "cn": "2",
        "layer": "conv_b",
        "tile": "0",
        "group": "1",
        "core": "core1",
        "start_cycles": "50",
        "end_cycles": "70",
        "energy_pj": "75.0",
    }
    with (tmp_path / "transfers.csv").open() as f:
        trs = list(csv.DictReader(f))
    assert trs[0]["src"] == "DRAM" and trs[0]["dst"] == "core0"
    assert trs[3]["resources"] == "c0->c1" and trs[3]["kind"] == "core_to_core"
    with (tmp_path / "layers.csv").open() as f:
        layers = list(csv.DictReader(f))
    assert [x["cores"] for x in layers] == ["core0", "core1"]
    with (tmp_path / "cores.csv").open() as f:
        assert [x["busy_cycles"] for x in csv.DictReader(f)] == ["40", "40"]
    assert (tmp_path / "resources.csv").exists()


def test_unknown_schema_version_is_a_located_input_error(tmp_path, case2):
    graph, acc, sched = case2
    path = save_result(make_result(graph, acc, sched, make_inputs()), tmp_path)
    raw = json.loads(path.read_text())
    raw["schema_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"result.json: schema_version: .*99"):
        load_result(path)


def test_malformed_results_are_located_input_errors(tmp_path, case2):
    path = tmp_path / "result.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON file"):
        load_result(path)
    path.write_text("[]")
    with pytest.raises(InputError, match="no schema_version"):
        load_result(path)
    graph, acc, sched = case2
    save_result(make_result(graph, acc, sched, make_inputs()), tmp_path)
    raw = json.loads(path.read_text())
    raw["cns"]["start_cycles"] = raw["cns"]["start_cycles"][:-1]
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"result.json: cns"):
        load_result(path)
    with pytest.raises(InputError, match="no such result"):
        load_result(tmp_path / "missing.json")


def test_large_schedule_round_trips(tmp_path):
    n = 5000
    r = make_result(make_graph(n), make_accelerator(), make_schedule(n), make_inputs())
    save_result(r, tmp_path)
    back = load_result(tmp_path)
    assert back.totals.n_cns == 2 * n and back.cns.end_cycles[-1] == 70 + 20 * (n - 1)
