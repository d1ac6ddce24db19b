"""Every picture of a saved result in one call: Gantt (HTML + PNG), memory PNG, Perfetto trace."""

from __future__ import annotations

from pathlib import Path

from fuseflow.report.gantt import write_gantt
from fuseflow.report.gantt_png import write_gantt_png
from fuseflow.report.memory_plot import write_memory_plot
from fuseflow.report.perfetto import write_perfetto
from fuseflow.report.result import load_result
from fuseflow.report.schema import Result


def write_plots(result: Result | str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write schedule.html, schedule.png, memory.png and trace.perfetto.json.

    ``result`` is a Result or the path of a saved one; ``out_dir`` defaults to its folder.
    """
    if isinstance(result, Result):
        if out_dir is None:
            raise ValueError("out_dir is required when passing a Result object")
        res = result
    else:
        res = load_result(result)
        src = Path(result)
        out_dir = out_dir if out_dir is not None else (src if src.is_dir() else src.parent)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_gantt(res, out),
        write_gantt_png(res, out),
        write_memory_plot(res, out),
        write_perfetto(res, out),
    ]
