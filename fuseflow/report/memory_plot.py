"""Memory usage over time per top-level memory of a saved result (matplotlib step plots, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter

from fuseflow.report import units
from fuseflow.report.schema import MemoryTrace, Result

MEMORY_FILE = "memory.png"
USAGE_COLOUR = "#1f77b4"
CAPACITY_COLOUR = "#d62728"
PEAK_COLOUR = "#555555"


def memory_figure(result: Result) -> Figure:
    """One subplot per top-level memory: usage (post-step), capacity and peak lines."""
    mems = result.memories
    n = max(len(mems), 1)
    height = 0.9 + 1.45 * n
    fig, axes = plt.subplots(n, 1, figsize=(9, height), sharex=True, squeeze=False)
    # fixed margins in inches (a layout engine costs more time than all the drawing)
    fig.subplots_adjust(
        left=0.08, right=0.98, top=1 - 0.55 / height, bottom=0.45 / height, hspace=0.5
    )
    end = max(result.totals.latency_cycles, 1)
    for ax, mem in zip(axes[:, 0], mems, strict=False):
        _one(ax, mem, end)
    if not mems:
        axes[0, 0].text(0.5, 0.5, "no memory traces", ha="center", transform=axes[0, 0].transAxes)
    axes[-1, 0].xaxis.set_major_formatter(EngFormatter(sep=""))
    axes[-1, 0].set_xlabel("time (cycles)")
    handles = [
        Line2D([], [], color=USAGE_COLOUR, label="in use"),
        Line2D([], [], color=CAPACITY_COLOUR, linestyle="--", label="capacity"),
        Line2D([], [], color=PEAK_COLOUR, linestyle=":", label="peak"),
    ]
    fig.legend(handles=handles, loc="upper right", ncol=3, fontsize=8, frameon=False)
    axes[-1, 0].set_xlim(0, end)
    fig.suptitle(
        f"Top-level memory usage — {result.workload} on {result.accelerator}",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    return fig


def write_memory_plot(result: Result, out_dir: str | Path, *, dpi: int = 150) -> Path:
    path = Path(out_dir) / MEMORY_FILE
    fig = memory_figure(result)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _one(ax: plt.Axes, mem: MemoryTrace, end: int) -> None:
    scale, unit = units.byte_scale(max(mem.capacity_bits, mem.peak_bits, 1))
    times = np.asarray(mem.times, dtype=np.float64)
    usage = np.asarray(mem.usage_bits, dtype=np.float64) / scale
    if times.size == 0 or times[-1] < end:  # hold the last value to the end of the schedule
        times = np.append(times, end)
        usage = np.append(usage, usage[-1] if usage.size else 0.0)
    ax.fill_between(times, usage, step="post", color=USAGE_COLOUR, alpha=0.25, linewidth=0)
    ax.step(times, usage, where="post", color=USAGE_COLOUR, linewidth=1.0)
    cap, peak = mem.capacity_bits / scale, mem.peak_bits / scale
    ax.axhline(cap, color=CAPACITY_COLOUR, linestyle="--", linewidth=1.0)
    ax.axhline(peak, color=PEAK_COLOUR, linestyle=":", linewidth=1.0)
    share = 100 * mem.peak_bits / mem.capacity_bits if mem.capacity_bits else float("nan")
    peak_text = f"peak {units.size_bits(mem.peak_bits)} of {units.size_bits(mem.capacity_bits)}"
    ax.set_title(f"{peak_text} ({share:.0f} %)", loc="right", fontsize=8, color=PEAK_COLOUR)
    ax.set_ylim(0, max(cap, peak) * 1.12)
    ax.set_ylabel(unit, fontsize=8)
    shared = len(mem.cores) > 1 or not mem.name.startswith(f"{mem.cores[0]}:")
    label = f"{mem.name}  (cores: {', '.join(mem.cores)})" if shared else mem.name
    ax.set_title(label, loc="left", fontsize=9)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
