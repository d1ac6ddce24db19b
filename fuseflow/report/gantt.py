"""The interactive Gantt chart of a saved result: a self-contained plotly HTML (works offline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from fuseflow.report import units
from fuseflow.report.bars import MAX_BARS, Bars, Rows, timeline_bars, timeline_rows
from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES
from fuseflow.report.tables import endpoint_name

GANTT_FILE = "schedule.html"
# pattern per transfer kind (same order as TransferKind); compute bars are solid
PATTERNS = ("/", "x", ".", "-", "\\", "+", "|")
UNKNOWN_LAYER_COLOUR = "#9e9e9e"
EDGE_MAX_BARS_PER_ROW = 150  # white edges between tiles only while bars are wide
MAX_LUMINANCE = 0.8  # layer colours lighter than this are skipped


def layer_colours(n: int) -> list[str]:
    """Distinct colours, one per layer; consecutive layers (a fused stack) differ strongly."""
    import plotly.express as px

    palette = [
        c
        for c in px.colors.qualitative.Dark24 + px.colors.qualitative.Alphabet
        if _luminance(c) <= MAX_LUMINANCE  # near-white bars vanish on a white page
    ]
    return [palette[i % len(palette)] for i in range(n)]


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b


def gantt_figure(result: Result, *, max_bars: int = MAX_BARS) -> go.Figure:
    """Cores, then links/buses, then DRAM ports as rows; a colour per layer; hover details."""
    rows = timeline_rows(result)
    cn_bars, tr_bars = timeline_bars(result, rows, max_bars=max_bars)
    colours = layer_colours(len(result.layers))
    edge = 0.6 if np.bincount(cn_bars.row).max(initial=0) <= EDGE_MAX_BARS_PER_ROW else 0.0
    fig = go.Figure()
    for lid, layer in enumerate(result.layers):
        for bars, is_cn in ((cn_bars, True), (tr_bars, False)):
            sel = np.flatnonzero(bars.layer == lid)
            if sel.size:
                fig.add_trace(
                    _trace(result, rows, bars, sel, layer.name, colours[lid], is_cn, edge)
                )
    orphans = np.flatnonzero(tr_bars.layer < 0)
    if orphans.size:
        fig.add_trace(
            _trace(result, rows, tr_bars, orphans, "other", UNKNOWN_LAYER_COLOUR, False, 0)
        )
    _layout(fig, result, rows, merged=cn_bars.n + tr_bars.n < len(result.cns.core))
    return fig


def write_gantt(result: Result, out_dir: str | Path) -> Path:
    """Write ``schedule.html`` with plotly.js inline (no CDN) into ``out_dir``."""
    path = Path(out_dir) / GANTT_FILE
    config = {"displaylogo": False, "toImageButtonOptions": {"format": "svg", "scale": 1}}
    gantt_figure(result).write_html(path, include_plotlyjs=True, full_html=True, config=config)
    return path


def _trace(
    result: Result,
    rows: Rows,
    bars: Bars,
    sel: np.ndarray,
    name: str,
    colour: str,
    is_cn: bool,
    edge: float,
) -> go.Bar:
    texts = [_hover(result, bars, int(i), is_cn) for i in sel]
    pattern = (
        {}
        if is_cn
        else {"shape": [PATTERNS[k] for k in bars.kind[sel]], "fillmode": "overlay", "size": 6}
    )
    return go.Bar(
        orientation="h",
        y=[rows.labels[r] for r in bars.row[sel]],
        base=bars.start[sel],
        x=bars.end[sel] - bars.start[sel],
        name=name,
        legendgroup=name,
        showlegend=is_cn or name == "other",
        marker={
            "color": colour,
            "opacity": 1.0 if is_cn else 0.75,
            "line": {"width": edge if is_cn else 0, "color": "white"},
            "pattern": pattern,
        },
        hovertext=texts,
        hoverinfo="text",
    )


def _hover(result: Result, bars: Bars, i: int, is_cn: bool) -> str:
    start, end, count = int(bars.start[i]), int(bars.end[i]), int(bars.count[i])
    times = f"{start:,} – {end:,} ({end - start:,} cycles)"
    first, last = int(bars.first[i]), int(bars.last[i])
    if is_cn:
        layer = result.layers[int(bars.layer[i])].name
        tiles = result.cns.tile
        what = f"tile {tiles[first]}" if count == 1 else f"tiles {tiles[first]}–{tiles[last]}"
        n = "" if count == 1 else f" ({count} CNs)"
        core = result.cores[result.cns.core[first]].name
        return f"<b>{layer}</b> {what}{n}<br>core {core}<br>{times}<br>energy " + units.energy(
            float(bars.amount[i])
        )
    t = result.transfers
    kind = KIND_NAMES[int(bars.kind[i])].replace("_", " ")
    src, dst = endpoint_name(result, t.src[first]), endpoint_name(result, t.dst[first])
    head = f"<b>{kind}</b> {t.tensor_label[first]}"
    if count > 1:
        head += f" … {t.tensor_label[last]} ({count} transfers)"
    bits = units.size_bits(float(bars.amount[i]))
    return f"{head}<br>{src} → {dst}<br>{times}<br>{bits} at {t.bw_bits[first]:.3g} bit/cycle"


def _layout(fig: go.Figure, result: Result, rows: Rows, *, merged: bool) -> None:
    tot = result.totals
    title = (
        f"<b>{result.workload}</b> on <b>{result.accelerator}</b>: latency "
        f"{units.cycles(tot.latency_cycles)}, energy {units.energy(tot.energy_pj)}, "
        f"EDP {tot.edp:.3e} cycles·pJ"
    )
    if merged:
        title += "<br><sup>adjacent tiles of a layer merged into one bar; zoom for detail</sup>"
    fig.update_layout(
        title={"text": title, "x": 0.01},
        barmode="overlay",
        bargap=0.25,
        height=160 + 34 * len(rows.labels),
        template="plotly_white",
        font={"family": "Helvetica, Arial, sans-serif", "size": 13},
        legend={"title": {"text": "layer"}, "traceorder": "normal", "font": {"size": 11}},
        hoverlabel={"align": "left"},
        margin={"l": 10, "r": 10, "t": 80, "b": 50},
    )
    fig.update_xaxes(title_text="time (cycles)", range=[0, tot.latency_cycles], showgrid=True)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(rows.labels)),
        type="category",
        title_text="",
    )
