"""A static Gantt chart of a saved result (matplotlib PNG/PDF) for papers, same rows as the HTML."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fuseflow.report import units
from fuseflow.report.bars import timeline_bars, timeline_rows
from fuseflow.report.gantt import PATTERNS, UNKNOWN_LAYER_COLOUR, layer_colours
from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES

GANTT_PNG_FILE = "schedule.png"
MAX_LEGEND_LAYERS = 24
EDGE_MAX_BARS_PER_ROW = 150


def gantt_png_figure(result: Result, *, max_bars: int = 3000) -> Figure:
    rows = timeline_rows(result)
    cn, tr = timeline_bars(result, rows, max_bars=max_bars)
    colours = np.array([*layer_colours(len(result.layers)), UNKNOWN_LAYER_COLOUR])
    n_rows = len(rows.labels)
    # thin white edges separate tiles while bars are wide enough to show them
    edge = 0.4 if np.bincount(cn.row).max(initial=0) <= EDGE_MAX_BARS_PER_ROW else 0.0
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.32 * n_rows), layout="constrained")
    ax.barh(
        cn.row,
        cn.end - cn.start,
        left=cn.start,
        height=0.8,
        color=colours[cn.layer],
        linewidth=edge,
        edgecolor="white",
    )
    for kind in np.unique(tr.kind):
        sel = tr.kind == kind
        hatch = PATTERNS[int(kind)] * 3
        ax.barh(
            tr.row[sel],
            (tr.end - tr.start)[sel],
            left=tr.start[sel],
            height=0.6,
            color=colours[tr.layer[sel]],
            alpha=0.7,
            hatch=hatch,
            linewidth=0,
        )
    ax.set_yticks(range(n_rows), rows.labels)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(0, max(result.totals.latency_cycles, 1))
    ax.set_xlabel("time (cycles)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    tot = result.totals
    ax.set_title(
        f"{result.workload} on {result.accelerator}: latency {units.cycles(tot.latency_cycles)}, "
        f"energy {units.energy(tot.energy_pj)}, EDP {tot.edp:.3e} cycles·pJ",
        loc="left",
        fontsize=11,
    )
    _legend(ax, result, list(colours), [int(k) for k in np.unique(tr.kind)])
    return fig


def write_gantt_png(result: Result, out_dir: str | Path, *, dpi: int = 200) -> Path:
    path = Path(out_dir) / GANTT_PNG_FILE
    fig = gantt_png_figure(result)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _legend(ax: plt.Axes, result: Result, colours: list[str], kinds: list[int]) -> None:
    handles: list[Patch] = []
    if len(result.layers) <= MAX_LEGEND_LAYERS:
        handles += [
            Patch(color=colours[i], label=layer.name) for i, layer in enumerate(result.layers)
        ]
    handles += [
        Patch(
            facecolor="white",
            edgecolor="0.3",
            hatch=PATTERNS[k] * 3,
            label=KIND_NAMES[k].replace("_", " "),
        )
        for k in kinds
    ]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=8,
            frameon=False,
            title="colour = layer" if len(result.layers) > MAX_LEGEND_LAYERS else None,
        )
