"""Wall time of the whole run on the shipped ResNet-18 examples, in-process and as a command.

    python bench/run_resnet18.py [--repeat 3] [--profile]

In-process figures exclude imports and cover parse -> tiles -> costs -> allocation -> schedule
-> validate -> result (no files, no plots; lazily imported modules are imported first).
"cold" uses an empty cost cache folder, "warm" the same folder again (best of --repeat). "cpu"
is the process CPU time of the same span: on a shared, loaded machine it is the better guide,
wall time includes waiting for a core. Writing
result.json + CSVs and drawing the plots are timed separately. The command's wall time
(subprocess, imports included) is measured with and without plots. Targets (issue 6): fused
<= 0.5 s cold and <= 0.2 s warm in-process (Stream: 57 s for the same point). ``--profile``
prints the top functions of one warm fused run (cProfile, by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuseflow.api import STEPS, run
from fuseflow.report.examples import load_example
from fuseflow.report.plots import write_plots
from fuseflow.report.result import save_result
from fuseflow.report.schema import Result

EXAMPLES = ("resnet18-tpu-quad-fused", "resnet18-tpu-quad-lbl")
PARSE = ("workload", "hardware", "mapping")
# modules the run imports lazily inside functions: imported up front so "cold" excludes imports
PRELOAD = ("fuseflow.cost.build", "fuseflow.cost.analytical", "fuseflow.schedule.validator")
ORDER = ("parse", "tiles", "costs", "allocation", "schedule", "validate", "result")


def timed_run(name: str, cache: Path | None) -> tuple[dict[str, float], float, float, Result]:
    """Wall seconds per step of one in-process run, the wall and CPU totals, and the result."""
    ex = load_example(name)
    marks: list[tuple[str, float]] = []
    cpu0, start = time.process_time(), time.perf_counter()
    result = run(
        ex.workload,
        ex.hardware,
        ex.mapping,
        stacks=ex.stacks,
        cache=cache,
        progress=lambda s: marks.append((s, time.perf_counter())),
    )
    end, cpu = time.perf_counter(), time.process_time() - cpu0
    steps: dict[str, float] = {}
    for (step, t0), (_, t1) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        key = "parse" if step in PARSE else step
        steps[key] = steps.get(key, 0.0) + t1 - t0
    return steps, end - start, cpu, result


def files_seconds(result: Result) -> tuple[float, float]:
    """(result.json + CSVs, the plots) in wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        save_result(result, tmp)
        t1 = time.perf_counter()
        write_plots(result, tmp)
        return t1 - t0, time.perf_counter() - t1


def command_seconds(name: str, *extra: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "fuseflow.cli", "run", "--example", name]
        cmd += ["--out", tmp, "--quiet", *extra]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        return time.perf_counter() - t0


def profile(name: str, cache: Path) -> None:
    ex = load_example(name)
    prof = cProfile.Profile()
    prof.enable()
    run(ex.workload, ex.hardware, ex.mapping, stacks=ex.stacks, cache=cache)
    prof.disable()
    print(f"\ncProfile of one warm `{name}` run (top 25 by own time):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (best is reported)")
    parser.add_argument("--profile", action="store_true", help="cProfile a warm fused run")
    args = parser.parse_args()
    assert set(ORDER) <= {"parse", *STEPS}
    for module in PRELOAD:
        importlib.import_module(module)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wall seconds:")
    head = f"{'example':24} {'run':4} {'total':>6} {'cpu':>6} "
    print(head + " ".join(f"{s:>10}" for s in ORDER))
    for name in EXAMPLES:
        with tempfile.TemporaryDirectory() as cache_dir:
            cache = Path(cache_dir)
            rows = [("cold", *timed_run(name, cache))]
            warm = [timed_run(name, cache) for _ in range(args.repeat)]
            rows.append(("warm", *min(warm, key=lambda r: r[1])))
            if args.profile and name == EXAMPLES[0]:
                profile(name, cache)
        for label, steps, total, cpu, _result in rows:
            cells = " ".join(f"{steps.get(s, 0.0):10.3f}" for s in ORDER)
            print(f"{name:24} {label:4} {total:6.3f} {cpu:6.3f} {cells}")
        r = rows[-1][4]
        saving, plotting = files_seconds(r)
        print(f"{'':24} files: result.json + CSVs {saving:.3f} s, plots + trace {plotting:.3f} s")
        t = r.totals
        print(
            f"{'':24} {t.n_cns} CNs, latency {t.latency_cycles:,} cycles, "
            f"energy {t.energy_pj:,.0f} pJ, EDP {t.edp:.4g}"
        )
    for name in EXAMPLES:
        full = command_seconds(name)
        bare = command_seconds(name, "--no-plots")
        print(f"command `fuseflow run --example {name}`: {full:.2f} s ({bare:.2f} s --no-plots)")


if __name__ == "__main__":
    main()
