"""Plots and the Perfetto trace, all made from a saved result."""

from __future__ import annotations

import json
import re

import pytest
from report_cases import make_accelerator, make_graph, make_inputs, make_schedule

from fuseflow.cli import main
from fuseflow.report.bars import merge_bars, timeline_bars, timeline_rows
from fuseflow.report.gantt import MAX_LUMINANCE, _luminance, gantt_figure, layer_colours
from fuseflow.report.gantt_png import gantt_png_figure
from fuseflow.report.perfetto import perfetto_trace
from fuseflow.report.plots import write_plots
from fuseflow.report.result import load_result, make_result, save_result
from fuseflow.report.units import short_layer_name


@pytest.fixture(scope="module")
def plotted(tmp_path_factory):
    """A saved hand-built result with every plot drawn once (drawing is the slow part)."""
    out = tmp_path_factory.mktemp("plots")
    graph, acc, sched = make_graph(2), make_accelerator(), make_schedule(2)
    save_result(make_result(graph, acc, sched, make_inputs()), out)
    return out, write_plots(out / "result.json")


@pytest.fixture
def saved(plotted):
    return plotted[0]


def test_all_plots_are_written_from_a_saved_result(plotted):
    saved, paths = plotted
    names = sorted(p.name for p in paths)
    assert names == ["memory.png", "schedule.html", "schedule.png", "trace.perfetto.json"]
    for p in paths:
        assert p.parent == saved and p.stat().st_size > 1000
    for png in ("memory.png", "schedule.png"):
        assert (saved / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gantt_html_is_self_contained(saved):
    html = (saved / "schedule.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=", html)  # plotly.js inline, no CDN
    assert "Plotly.newPlot" in html and "conv_a" in html


def test_gantt_rows_are_cores_then_used_links_then_dram(saved):
    rows = timeline_rows(load_result(saved))
    assert rows.labels == ("core0 (compute)", "core1 (compute)", "c0->c1", "dram port")
    fig = gantt_figure(load_result(saved))
    assert {t.name for t in fig.data} == {"conv_a", "conv_b"}
    assert "latency 95 cycles" in fig.layout.title.text


def test_many_cns_are_merged_into_few_bars():
    n = 3000
    r = make_result(make_graph(n), make_accelerator(), make_schedule(n), make_inputs())
    rows = timeline_rows(r)
    cn, tr = timeline_bars(r, rows, max_bars=100)
    assert cn.n <= 100 and tr.n <= 100
    assert int(cn.count.sum()) == 2 * n  # every CN is in exactly one bar
    assert int(tr.count.sum()) == len(r.transfers.kind)
    unmerged, _ = timeline_bars(r, rows, max_bars=10**9)
    assert unmerged.n == 2 * n
    assert merge_bars(unmerged, 10**9, 1).n == 2 * n


def test_perfetto_trace_structure(saved):
    trace = json.loads((saved / "trace.perfetto.json").read_text())
    events = trace["traceEvents"]
    threads = {
        (e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"
    }
    assert sorted(threads.values()) == ["c0->c1", "core0 (compute)", "core1 (compute)", "dram port"]
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) == 4 + 8  # every CN and every transfer on each of its resources
    for e in slices:
        assert (e["pid"], e["tid"]) in threads and e["dur"] > 0
    cn2 = next(e for e in slices if e["cat"] == "compute" and e["args"]["cn"] == 2)
    assert (cn2["name"], cn2["ts"], cn2["dur"]) == ("conv_b [0]", 50, 20)
    assert any(e["ph"] == "C" for e in events)  # memory counters


def test_overlapping_transfers_get_separate_perfetto_lanes(saved):
    r = load_result(saved)
    t = r.transfers
    # make the two link transfers overlap: the second starts inside the first
    moved = r.model_copy(
        update={
            "transfers": t.model_copy(
                update={"start_cycles": [*t.start_cycles[:6], 46, *t.start_cycles[7:]]}
            )
        }
    )
    events = perfetto_trace(moved)["traceEvents"]
    link = [e for e in events if e["ph"] == "X" and e["cat"] == "core_to_core"]
    assert len({e["tid"] for e in link}) == 2


@pytest.mark.parametrize(
    ("name", "op", "short"),
    [
        ("/layer4/layer4.0/conv1/Conv", "Conv", "4.0/conv1"),
        ("/layer1/layer1.0/Add", "Add", "1.0/Add"),
        ("/layer2/layer2.0/downsample/downsample.0/Conv", "Conv", "2.0/downsample.0"),
        ("/fc/Gemm", "Gemm", "fc"),
        ("conv_a", "Conv", "conv_a"),
        ("Conv", "Conv", "Conv"),
    ],
)
def test_short_layer_names_keep_the_specific_part(name, op, short):
    assert short_layer_name(name, op) == short


def test_png_gantt_names_the_layer_in_wide_bars_only(saved):
    fig = gantt_png_figure(load_result(saved))
    labels = {t.get_text() for t in fig.axes[0].texts if t.get_visible()}
    assert labels == {"conv_a", "conv_b"}  # two CNs per layer, each a wide bar
    n = 3000
    many = make_result(make_graph(n), make_accelerator(), make_schedule(n), make_inputs())
    fig = gantt_png_figure(many, max_bars=10**6)  # unmerged: 6000 narrow bars
    assert not [t for t in fig.axes[0].texts if t.get_visible()]


def test_layer_colours_are_distinct_and_visible_on_white():
    colours = layer_colours(24)
    assert len(set(colours)) == 24
    assert all(_luminance(c) <= MAX_LUMINANCE for c in colours)


def test_plot_command_redraws_a_saved_result_elsewhere(saved, tmp_path, capsys):
    assert main(["plot", str(saved / "result.json"), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    names = ["schedule.html", "schedule.png", "memory.png", "trace.perfetto.json"]
    assert sorted(printed) == sorted(str(tmp_path / n) for n in names)
    assert all((tmp_path / n).stat().st_size > 1000 for n in names)
