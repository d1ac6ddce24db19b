"""A static Gantt chart of a saved result (matplotlib PNG) for papers, same rows as the HTML.

CNs are coloured by layer; transfers (on link, bus and DRAM rows) by what they move, so a reader
sees at a glance whether the DRAM port is busy with weights, inputs, evictions or write-backs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter

from fuseflow.report import units
from fuseflow.report.bars import Bars, timeline_bars, timeline_rows
from fuseflow.report.gantt import UNKNOWN_LAYER_COLOUR, layer_colours
from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES

GANTT_PNG_FILE = "schedule.png"
MAX_LEGEND_LAYERS = 16
EDGE_MAX_BARS_PER_ROW = 150
LABEL_FONT_PT = 6.5
LABEL_MIN_PT = 18  # narrower CN bars get no layer label
# per TransferKind: core to core, weight fetch, input fetch, eviction, write-back, stream, refetch
KIND_COLOURS = ("#4d4d4d", "#e6ab02", "#66a61e", "#d95f02", "#7570b3", "#a6761d", "#e7298a")


def gantt_png_figure(result: Result, *, max_bars: int = 3000) -> Figure:
    rows = timeline_rows(result)
    cn, tr = timeline_bars(result, rows, max_bars=max_bars)
    layer_col = np.array([*layer_colours(len(result.layers)), UNKNOWN_LAYER_COLOUR])
    n_rows = len(rows.labels)
    # thin white edges separate tiles while bars are wide enough to show them
    edge = 0.4 if np.bincount(cn.row).max(initial=0) <= EDGE_MAX_BARS_PER_ROW else 0.0
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.3 * n_rows))
    ax.add_collection(_boxes(cn, 0.8, layer_col[cn.layer], edgecolor="white", linewidth=edge))
    ax.add_collection(_boxes(tr, 0.6, np.array(KIND_COLOURS)[tr.kind], linewidth=0))
    ax.set_yticks(range(n_rows), rows.labels)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(0, max(result.totals.latency_cycles, 1))
    ax.set_xlabel("time (cycles)")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    tot = result.totals
    ax.set_title(
        f"{result.workload} on {result.accelerator}: latency {units.cycles(tot.latency_cycles)}, "
        f"energy {units.energy(tot.energy_pj)}, EDP {tot.edp:.3g} cycles·pJ",
        loc="left",
        fontsize=11,
    )
    _legend(ax, result, list(layer_col), sorted(set(tr.kind.tolist())))
    fig.tight_layout()
    _label_wide_bars(fig, ax, result, cn, layer_col)
    return fig


def write_gantt_png(result: Result, out_dir: str | Path, *, dpi: int = 150) -> Path:
    path = Path(out_dir) / GANTT_PNG_FILE
    fig = gantt_png_figure(result)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _boxes(bars: Bars, height: float, colours: np.ndarray, **style: Any) -> PolyCollection:
    """One polygon collection for many bars (far faster than one Rectangle per bar)."""
    x0, x1 = bars.start.astype(float), bars.end.astype(float)
    y0, y1 = bars.row - height / 2, bars.row + height / 2
    verts = np.stack([np.stack(p, axis=1) for p in ((x0, y0), (x0, y1), (x1, y1), (x1, y0))], 1)
    return PolyCollection(list(verts), facecolors=list(colours), **style)


def _label_wide_bars(
    fig: Figure, ax: plt.Axes, result: Result, cn: Bars, colours: np.ndarray
) -> None:
    """Write the (short) layer name into every CN bar wide enough to hold a few characters."""
    axes_pt = ax.get_position().width * fig.get_figwidth() * 72
    span = max(result.totals.latency_cycles, 1)
    names = [units.short_layer_name(la.name, la.op_type) for la in result.layers]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    px_per_pt = fig.dpi / 72
    for i in np.flatnonzero((cn.end - cn.start) / span * axes_pt >= LABEL_MIN_PT).tolist():
        layer = int(cn.layer[i])
        text = ax.text(
            (cn.start[i] + cn.end[i]) / 2,
            cn.row[i],
            names[layer] if layer < len(names) else "?",
            ha="center",
            va="center",
            fontsize=LABEL_FONT_PT,
            color=_ink(str(colours[layer])),
            clip_on=True,
        )
        room_px = ((cn.end[i] - cn.start[i]) / span * axes_pt - 3) * px_per_pt
        _shorten_to(text, room_px, renderer)


def _shorten_to(text: Any, room_px: float, renderer: Any) -> None:
    """Cut ``text`` at the front (the end is the specific part) until it fits, else hide it."""
    full = text.get_text()
    for cut in range(len(full) - 2):
        if text.get_window_extent(renderer).width <= room_px:
            return
        text.set_text("…" + full[cut + 1 :])
    text.set_visible(False)


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _legend(ax: plt.Axes, result: Result, colours: list[str], kinds: list[int]) -> None:
    """Few layers: layers and transfer kinds in a column on the right. Many layers: the
    transfer kinds in a row below the axis (full width for the bars), layers explained in
    its title and named inside the bars wide enough."""
    transfer_handles = [
        Patch(color=KIND_COLOURS[k], label=KIND_NAMES[k].replace("_", " ")) for k in kinds
    ]
    if len(result.layers) > MAX_LEGEND_LAYERS:
        ax.legend(
            handles=transfer_handles,
            title=f"core rows: a CN bar per tile, one colour per layer ({len(result.layers)} "
            "layers);  link and DRAM rows: transfers by kind",
            title_fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.09),
            ncol=len(transfer_handles),
            fontsize=8,
            frameon=False,
        )
        return
    handles = [Patch(color=colours[i], label=la.name) for i, la in enumerate(result.layers)]
    handles.append(Patch(color="none", label=""))
    handles.append(Patch(color="none", label="transfers (link, DRAM rows):"))
    legend = ax.legend(
        handles=[*handles, *transfer_handles],
        title="CNs (core rows):",
        title_fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        frameon=False,
        alignment="left",
    )
    for text in legend.get_texts():
        if text.get_text().endswith(":"):
            text.set_fontweight("bold")
    legend.get_title().set_fontweight("bold")
