"""Wall time of the whole run on the shipped ResNet-18 examples, in-process and as a command.

    python bench/run_resnet18.py [--repeat 3]

In-process figures exclude imports and cover parse -> tiles -> costs -> allocation -> schedule
-> validate -> result (no files); "files" is writing result.json, CSVs and plots on top. "cold"
uses an empty cost cache folder, "warm" the same folder again. The command's wall time
(subprocess, imports included) is measured with and without plots. Targets (issue 6): fused
<= 0.5 s cold and <= 0.2 s warm in-process (Stream: 57 s for the same point).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuseflow.api import STEPS, run
from fuseflow.report.examples import load_example
from fuseflow.report.plots import write_plots
from fuseflow.report.result import save_result

EXAMPLES = ("resnet18-tpu-quad-fused", "resnet18-tpu-quad-lbl")
PARSE = ("workload", "hardware", "mapping")


def timed_run(name: str, cache: Path | None) -> tuple[dict[str, float], float, object]:
    """Seconds per step of one in-process run, the total, and the result."""
    ex = load_example(name)
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    result = run(
        ex.workload,
        ex.hardware,
        ex.mapping,
        stacks=ex.stacks,
        cache=cache,
        progress=lambda s: marks.append((s, time.perf_counter())),
    )
    end = time.perf_counter()
    steps: dict[str, float] = {}
    for (step, t0), (_, t1) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        key = "parse" if step in PARSE else step
        steps[key] = steps.get(key, 0.0) + t1 - t0
    return steps, end - start, result


def files_seconds(result: object) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        save_result(result, tmp)  # type: ignore[arg-type]
        write_plots(result, tmp)  # type: ignore[arg-type]
        return time.perf_counter() - t0


def command_seconds(name: str, *extra: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "fuseflow.cli",
            "run",
            "--example",
            name,
            "--out",
            tmp,
            "--quiet",
            *extra,
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (best is reported)")
    args = parser.parse_args()
    order = ["parse", "tiles", "costs", "allocation", "schedule", "validate", "result"]
    assert set(order) <= {"parse", *STEPS}
    print(f"{'example':26} {'run':5} {'total s':>8}  " + " ".join(f"{s:>10}" for s in order))
    for name in EXAMPLES:
        with tempfile.TemporaryDirectory() as cache_dir:
            cache = Path(cache_dir)
            rows = [("cold", *timed_run(name, cache))]
            warm = [timed_run(name, cache) for _ in range(args.repeat)]
            rows.append(("warm", *min(warm, key=lambda r: r[1])))
        for label, steps, total, _result in rows:
            cells = " ".join(f"{steps.get(s, 0.0):10.3f}" for s in order)
            print(f"{name:26} {label:5} {total:8.3f}  {cells}")
        r = rows[-1][3]
        print(f"{'':26} files {files_seconds(r):8.3f}  (result.json, CSVs, 3 plots, trace)")
        t = r.totals  # type: ignore[attr-defined]
        print(
            f"{'':26} {t.n_cns} CNs, latency {t.latency_cycles:,} cycles, "
            f"energy {t.energy_pj:,.0f} pJ, EDP {t.edp:.4g}"
        )
    for name in EXAMPLES:
        full = command_seconds(name)
        bare = command_seconds(name, "--no-plots")
        print(f"command `fuseflow run --example {name}`: {full:.2f} s ({bare:.2f} s --no-plots)")


if __name__ == "__main__":
    main()
