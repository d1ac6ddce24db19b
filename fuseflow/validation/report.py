"""A validation run as text for people and as a JSON-ready dict for machines."""

from __future__ import annotations

import dataclasses
from typing import Any

from fuseflow.validation.runner import CaseRun, accuracy


def as_dict(run: CaseRun) -> dict[str, Any]:
    case = run.case
    e = run.schedule.energy
    stream = case.stream_modelled_latency_cycles
    measured = case.measured_latency_cycles
    refs = case.reference_cn_latency_cycles
    ref = run.reference
    return {
        "case": case.name,
        "title": case.title,
        "source": case.source,
        "modelled_latency_cycles": run.latency_cycles,
        "measured_latency_cycles": measured,
        "accuracy": run.accuracy,
        "stream_modelled_latency_cycles": stream,
        "stream_accuracy": None if stream is None else accuracy(stream, measured),
        "with_stream_cn_latency_cycles": None if ref is None else ref.latency_cycles,
        "energy_pj": {
            **{f.name: getattr(e, f.name) for f in dataclasses.fields(e)},
            "total_pj": e.total_pj,
        },
        "cns": run.graph.n,
        "last_cn_end_cycles": run.breakdown.last_cn_end_cycles,
        "critical_path": {
            **run.breakdown.critical.cycles,
            "dominant": run.breakdown.critical.dominant,
            "core_cycles": run.breakdown.critical.core_cycles,
        },
        "cores": [dataclasses.asdict(c) for c in run.breakdown.cores],
        "resources": [dataclasses.asdict(r) for r in run.breakdown.resources],
        "layers": [
            {**dataclasses.asdict(la), "reference_cycles": refs.get(la.layer)}
            for la in run.breakdown.layers
        ],
        "validator_problems": list(run.problems),
    }


def as_text(run: CaseRun) -> str:
    case, b = run.case, run.breakdown
    lines = [
        f"{case.name}: {case.title}",
        f"  modelled {run.latency_cycles:,} cycles, measured {case.measured_latency_cycles:,}"
        f" -> accuracy {100 * run.accuracy:.2f} %",
    ]
    if case.stream_modelled_latency_cycles is not None:
        s = case.stream_modelled_latency_cycles
        acc = accuracy(s, case.measured_latency_cycles)
        lines.append(f"  (Stream's own model: {s:,} cycles, {100 * acc:.2f} %)")
    if run.reference is not None:
        with_ref = run.reference.latency_cycles
        lines.append(
            f"  (fuseflow's scheduler with Stream's per-CN latencies: {with_ref:,} cycles, "
            f"{100 * accuracy(with_ref, case.measured_latency_cycles):.2f} %; a diagnostic)"
        )
    lines.append(f"  source: {case.source}")
    lines.append(f"  energy {run.schedule.energy.total_pj:.4g} pJ " + _energy(run))
    lines.append(f"  {run.graph.n} CNs; last CN ends at {b.last_cn_end_cycles:,}")
    lines.append(_critical(run))
    lines.append(
        "  per core (cycles): busy = ideal + in-CN stall + on/off-load; idle = before/wait/after"
    )
    for c in b.cores:
        lines.append(
            f"    {c.core:<10} {c.cns:>5} CNs busy {c.busy_cycles:>10,} = {c.ideal_cycles:,} + "
            f"{c.stall_cycles:,} + {c.onoff_cycles:,}"
            + (f" + stretch {c.stretch_cycles:,}" if c.stretch_cycles else "")
            + f"; idle {c.before_cycles:,} / {c.waiting_cycles:,} / {c.after_cycles:,}"
        )
    lines.append("  interconnect busy (cycles at full bandwidth):")
    for r in b.resources:
        kinds = ", ".join(f"{k} {v:,}" for k, v in r.busy_cycles.items())
        lines.append(
            f"    {r.name} ({r.bandwidth_bits} b/cycle): {sum(r.busy_cycles.values()):,} = {kinds}"
        )
    lines.append(
        "  per CN (cost model): layer, core, CNs, latency = ideal + stall + on + off [reference]"
    )
    for la in b.layers:
        ref = case.reference_cn_latency_cycles.get(la.layer)
        lines.append(
            f"    {la.layer:<14} {la.core:<8} {la.cns:>5} x {la.latency_cycles:>5} = "
            f"{la.ideal_cycles} + {la.stall_cycles} + {la.onload_cycles} + {la.offload_cycles}"
            + (f"  [Stream: {ref}]" if ref is not None else "")
        )
    verdict = "valid" if not run.problems else f"{len(run.problems)} problems: {run.problems[0]}"
    lines.append(f"  schedule validator: {verdict}")
    return "\n".join(lines)


def _energy(run: CaseRun) -> str:
    e = run.schedule.energy
    parts = [(f.name.removesuffix("_pj"), getattr(e, f.name)) for f in dataclasses.fields(e)]
    return "(" + ", ".join(f"{k} {v:.3g}" for k, v in parts if v) + ")"


def _critical(run: CaseRun) -> str:
    cp = run.breakdown.critical
    total = max(sum(cp.cycles.values()), 1)
    parts = ", ".join(
        f"{k.replace('_', ' ')} {v:,} ({100 * v / total:.1f} %)" for k, v in cp.cycles.items()
    )
    cores = ", ".join(f"{k} {v:,}" for k, v in cp.core_cycles.items())
    return (
        f"  critical path ({cp.cns} CNs, {cp.transfers} transfers): {parts}"
        f" -> dominated by {cp.dominant.replace('_', ' ')}\n"
        f"    CN time on the critical path by core: {cores}"
    )
