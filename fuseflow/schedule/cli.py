"""`fuseflow run`, `fuseflow check-schedule` and `fuseflow plot`: the end-to-end commands."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from fuseflow.errors import InputError
from fuseflow.report.examples import list_examples, load_example
from fuseflow.report.schema import Result
from fuseflow.schedule.scheduler import ScheduleOptions, parse_lookahead
from fuseflow.search.cli import add_allocation_arguments

if TYPE_CHECKING:
    from fuseflow.api import Search

DEFAULT_OUT = Path("out")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this step's sub-commands to the `fuseflow` parser."""
    run = subparsers.add_parser(
        "run",
        help="the whole flow: workload + hardware + mapping -> schedule, result, plots",
        description="Tile, cost, allocate and schedule a workload; write result.json, CSV "
        "tables, schedule.html/.png, memory.png and trace.perfetto.json into --out.",
    )
    src = run.add_argument_group("inputs (or --example)")
    src.add_argument("--workload", help="ONNX file or zoo:NAME")
    src.add_argument("--hardware", help="system YAML (ours or Stream's) or a library name")
    src.add_argument("--mapping", help="mapping YAML (ours or Stream's); default: automatic")
    src.add_argument("--stacks", help="fused stacks by ONNX node index, e.g. 0-10,11-21 (or lbl)")
    run.add_argument("--example", help="run a shipped example (see --list-examples)")
    run.add_argument("--list-examples", action="store_true", help="list the shipped examples")
    run.add_argument("--examples-dir", type=Path, help="folder of example files")
    run.add_argument("--out", type=Path, help="output folder (default: out/<example> or out/run)")
    run.add_argument("--prefetch-weights", action="store_true", help="fetch weights before start")
    run.add_argument("--order", choices=("depth_first", "latency_first"), help="CN priority")
    run.add_argument(
        "--lookahead",
        type=parse_lookahead,
        default=ScheduleOptions().lookahead,
        metavar="K|none",
        help="operands of a CN move in once its core's K-th previous CN has started (default "
        "%(default)s); none: as early as data, room and links allow (as Stream; slower on "
        "huge graphs)",
    )
    run.add_argument("--seed", type=int, default=0, help="seed of the allocation search")
    run.add_argument("--no-plots", action="store_true", help="write result.json and CSVs only")
    run.add_argument("--quiet", action="store_true", help="no progress display or summary")
    add_allocation_arguments(run)
    # No --allocate: the fast greedy allocation; --allocate ALGO (greedy too): the search, which
    # also scores against the lower bounds and writes search.json.
    run.set_defaults(handler=_run, allocate=None)

    check = subparsers.add_parser(
        "check-schedule",
        help="independently validate a saved result (reloads and re-checks its inputs)",
    )
    check.add_argument("result", type=Path, help="result.json or the folder holding it")
    check.set_defaults(handler=_check)

    plot = subparsers.add_parser("plot", help="(re)draw the plots of a saved result")
    plot.add_argument("result", type=Path, help="result.json or the folder holding it")
    plot.add_argument("--out", type=Path, help="folder for the plots (default: the result's)")
    plot.set_defaults(handler=_plot)


def _run(args: argparse.Namespace) -> int:
    console = Console()
    if args.list_examples:
        for ex in list_examples(args.examples_dir):
            console.print(f"[bold]{ex.name}[/bold]\n    {ex.description}")
        return 0
    inputs = _inputs(args)
    from fuseflow.api import STEPS, run  # heavy imports only when running
    from fuseflow.report.summary import print_summary

    options = ScheduleOptions(
        order=args.order, prefetch_weights=inputs["prefetch_weights"], lookahead=args.lookahead
    )
    out: Path = args.out or DEFAULT_OUT / (args.example or "run")
    started = time.perf_counter()
    with _progress(console, args.quiet) as bar:
        task = bar.add_task("starting", total=len(STEPS))

        def step(name: str) -> None:
            bar.update(task, description=name, completed=STEPS.index(name))

        result = run(
            inputs["workload"],
            inputs["hardware"],
            inputs["mapping"],
            stacks=inputs["stacks"],
            out_dir=out,
            options=options,
            seed=args.seed,
            plots=not args.no_plots,
            progress=None if args.quiet else step,
            search=_search(args),
        )
        bar.update(task, description="done", completed=len(STEPS))
    if not args.quiet:
        print_summary(result, console)
        _files(console, out, result, time.perf_counter() - started, plots=not args.no_plots)
    return 0


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    if args.example:
        given = [f"--{k}" for k in ("workload", "hardware", "mapping") if getattr(args, k)]
        if given:
            raise InputError(f"--example replaces {', '.join(given)}", where="fuseflow run")
        ex = load_example(args.example, args.examples_dir)
        return {
            "workload": ex.workload,
            "hardware": ex.hardware,
            "mapping": ex.mapping,
            "stacks": args.stacks or ex.stacks,
            "prefetch_weights": args.prefetch_weights or ex.prefetch_weights,
        }
    missing = [f"--{k}" for k in ("workload", "hardware") if not getattr(args, k)]
    if missing:
        raise InputError(
            f"{' and '.join(missing)} required (or --example NAME; --list-examples lists them)",
            where="fuseflow run",
        )
    return {
        "workload": args.workload,
        "hardware": args.hardware,
        "mapping": args.mapping,
        "stacks": args.stacks,
        "prefetch_weights": args.prefetch_weights,
    }


def _search(args: argparse.Namespace) -> Search | None:
    """The allocation search the flags ask for; None (fast greedy) without --allocate.

    --pareto or --stream-ga alone mean the GA."""
    from fuseflow.api import Search

    if args.allocate is None and not (args.pareto or args.stream_ga):
        return None
    algorithm = args.allocate or ("ga" if args.stream_ga or args.pareto else "greedy")
    return Search(
        algorithm=algorithm,
        objective=args.objective,
        budget=args.budget,
        workers=args.workers,
        pareto=args.pareto,
        stream_ga=args.stream_ga,
    )


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,  # no bar in logs and pipes
    )


def _files(console: Console, out: Path, result: Result, seconds: float, *, plots: bool) -> None:
    names = ["result.json", "cns.csv", "transfers.csv", "layers.csv", "cores.csv", "resources.csv"]
    names += [p.name for p in (out / "search.json", out / "pareto.html") if p.is_file()]
    if plots:
        names += ["schedule.html", "schedule.png", "memory.png", "trace.perfetto.json"]
    console.print(f"wrote {out}/: {', '.join(names)}  ({seconds:.2f} s)")
    console.print(f"check it independently: fuseflow check-schedule {out / 'result.json'}")


def _check(args: argparse.Namespace) -> int:
    from fuseflow.api import check_result

    problems = check_result(args.result)
    if problems:
        for p in problems:
            print(f"violation: {p}")
        print(f"INVALID: {len(problems)} violation(s)")
        return 1
    print("OK: the schedule is valid")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from fuseflow.report.plots import write_plots

    for path in write_plots(args.result, args.out):
        print(path)
    return 0
