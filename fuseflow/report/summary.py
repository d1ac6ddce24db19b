"""The summary a run prints: totals, energy breakdown, per-core utilisation, DRAM traffic."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table

from fuseflow.report import units
from fuseflow.report.schema import AllocationRecord, Result


def summary(result: Result) -> Group:
    """Rich tables for a terminal (``Console().print(summary(result))``)."""
    return Group(_totals(result), _cores(result), _links(result))


def print_summary(result: Result, console: Console | None = None) -> None:
    (console or Console()).print(summary(result))


def _totals(r: Result) -> Table:
    t, e = r.totals, r.energy
    table = Table(title=f"{r.workload} on {r.accelerator}", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_column("detail", style="dim")
    table.add_row("latency", f"{t.latency_cycles:,} cycles", units.cycles(t.latency_cycles))
    table.add_row("energy", f"{t.energy_pj:,.0f} pJ", units.energy(t.energy_pj))
    table.add_row("EDP", f"{t.edp:.4g}", "cycles × pJ")
    table.add_row("CNs / transfers", f"{t.n_cns:,} / {t.n_transfers:,}", f"{t.total_macs:,} MACs")
    parts = {
        "MAC": e.mac_pj,
        "on-chip memory": e.onchip_memory_pj,
        "streamed DRAM": e.streamed_dram_pj,
        "DRAM fetches": e.dram_fetch_pj,
        "links": e.link_pj,
        "evictions": e.eviction_pj,
        "output write-back": e.output_writeback_pj,
    }
    for name, pj in parts.items():
        share = 100 * pj / e.total_pj if e.total_pj else 0.0
        table.add_row(f"  energy: {name}", units.energy(pj), f"{share:.1f} %")
    d = r.dram
    table.add_row(
        "DRAM traffic",
        f"read {units.size_bits(d.read_bits)}",
        f"write {units.size_bits(d.write_bits)}",
    )
    if r.allocation is not None:
        table.add_row("allocation", *_allocation(r.allocation))
    return table


def _allocation(a: AllocationRecord) -> tuple[str, str]:
    """(allocator, detail): free groups, search figures and the gap to the lower bound."""
    what = a.algorithm if a.objective is None else f"{a.algorithm} ({a.objective})"
    detail = f"{a.free_groups} free group{'' if a.free_groups == 1 else 's'}"
    if a.evaluations:
        detail += f", {a.evaluations:,} evals"
    gap = a.gap.get(a.objective or "", None)
    if gap is not None:
        detail += f", bound +{100 * gap:.1f} %"
    return what, detail


def _cores(r: Result) -> Table:
    table = Table(title="cores", title_justify="left")
    for col in ("core", "kind", "CNs", "busy cycles", "busy", "MAC util.", "energy"):
        table.add_column(col, justify="left" if col in ("core", "kind") else "right")
    for c in r.cores:
        table.add_row(
            c.name,
            c.kind,
            f"{c.n_cns:,}",
            f"{c.busy_cycles:,}",
            f"{100 * c.utilization:.1f} %",
            f"{100 * c.mac_utilization:.1f} %",
            units.energy(c.energy_pj),
        )
    return table


def _links(r: Result) -> Table:
    table = Table(title="links, buses and DRAM ports (used)", title_justify="left")
    for col in ("resource", "transfers", "moved", "busy", "bandwidth used"):
        table.add_column(col, justify="left" if col == "resource" else "right")
    busy = sorted((x for x in r.resources if x.n_transfers), key=lambda x: -x.utilization)
    for x in busy:
        span = max(r.totals.latency_cycles, 1)
        table.add_row(
            x.name,
            f"{x.n_transfers:,}",
            units.size_bits(x.bits),
            f"{100 * x.busy_cycles / span:.1f} %",
            f"{100 * x.utilization:.1f} %",
        )
    return table
