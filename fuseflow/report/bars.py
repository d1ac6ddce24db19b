"""Timeline bars of a saved result (CNs on cores, transfers on resources), merged when many."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.report.schema import Result
from fuseflow.report.summaries import KIND_NAMES

COMPUTE = -1  # Bars.kind of a CN; transfers use their TransferKind value
MAX_BARS = 4000  # above this, touching bars of one layer on one row are merged


@dataclass(frozen=True)
class Rows:
    """The rows of a timeline: cores first, then every resource that carries a transfer."""

    labels: tuple[str, ...]
    kinds: tuple[str, ...]  # "core", "link", "bus", "dram", "dram_read", "dram_write"
    resource_row: dict[int, int]  # Result.resources index -> row


@dataclass(frozen=True)
class Bars:
    """One bar per CN or per (transfer, resource), or per merged run of such bars."""

    row: NDArray[np.int64]
    layer: NDArray[np.int64]
    kind: NDArray[np.int64]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    first: NDArray[np.int64]  # CN / transfer index of the first bar merged here
    last: NDArray[np.int64]
    count: NDArray[np.int64]
    amount: NDArray[np.float64]  # energy (pJ) of CNs, bits of transfers

    @property
    def n(self) -> int:
        return int(self.row.shape[0])


def timeline_rows(result: Result) -> Rows:
    used = sorted(set(result.transfers.res))
    # links and buses before DRAM ports, each in declaration order
    used.sort(key=lambda r: (result.resources[r].kind.startswith("dram"), r))
    labels = [f"{c.name} ({c.kind})" for c in result.cores]
    labels += [result.resources[r].name for r in used]
    kinds = ["core"] * len(result.cores) + [result.resources[r].kind for r in used]
    offset = len(result.cores)
    return Rows(tuple(labels), tuple(kinds), {r: offset + i for i, r in enumerate(used)})


def timeline_bars(result: Result, rows: Rows, *, max_bars: int = MAX_BARS) -> tuple[Bars, Bars]:
    """(CN bars, transfer bars), each merged until it has at most ``max_bars`` bars."""
    c, t = result.cns, result.transfers
    n = len(c.core)
    idx = np.arange(n, dtype=np.int64)
    cn = Bars(
        np.asarray(c.core, dtype=np.int64),
        np.asarray(c.layer, dtype=np.int64),
        np.full(n, COMPUTE, dtype=np.int64),
        np.asarray(c.start_cycles, dtype=np.int64),
        np.asarray(c.end_cycles, dtype=np.int64),
        idx,
        idx,
        np.ones(n, dtype=np.int64),
        np.asarray(c.energy_pj, dtype=np.float64),
    )
    owner = np.repeat(np.arange(len(t.kind), dtype=np.int64), np.diff(t.res_ptr))
    row_of = np.zeros(len(result.resources) + 1, dtype=np.int64)
    for r, row in rows.resource_row.items():
        row_of[r] = row
    kind_code = _kind_codes(t.kind)
    tr = Bars(
        row_of[np.asarray(t.res, dtype=np.int64)],
        np.asarray(t.layer, dtype=np.int64)[owner],
        kind_code[owner],
        np.asarray(t.start_cycles, dtype=np.int64)[owner],
        np.asarray(t.end_cycles, dtype=np.int64)[owner],
        owner,
        owner,
        np.ones(owner.size, dtype=np.int64),
        np.asarray(t.bits, dtype=np.float64)[owner],
    )
    span = max(result.totals.latency_cycles, 1)
    return merge_bars(cn, max_bars, span), merge_bars(tr, max_bars, span)


def merge_bars(bars: Bars, max_bars: int, span: int) -> Bars:
    """Merge bars of one (row, layer, kind) whose gaps are below a tolerance that grows
    (from 1/4000 of the span, x4 per round) until at most ``max_bars`` remain."""
    if bars.n <= max_bars:
        return bars
    order = np.lexsort((bars.start, bars.kind, bars.layer, bars.row))
    b = Bars(*(getattr(bars, f)[order] for f in Bars.__dataclass_fields__))
    tol = span / 4000
    while True:
        merged = _merge_once(b, tol)
        if merged.n <= max_bars or tol > span:
            return merged
        tol *= 4


def _merge_once(b: Bars, tol: float) -> Bars:
    new = np.ones(b.n, dtype=bool)
    same = (b.row[1:] == b.row[:-1]) & (b.layer[1:] == b.layer[:-1]) & (b.kind[1:] == b.kind[:-1])
    new[1:] = ~same | (b.start[1:] > b.end[:-1] + tol)
    at = np.flatnonzero(new)
    last = np.append(at[1:], b.n) - 1
    return Bars(
        b.row[at],
        b.layer[at],
        b.kind[at],
        b.start[at],
        np.maximum.reduceat(b.end, at),
        b.first[at],
        b.last[last],
        np.add.reduceat(b.count, at),
        np.add.reduceat(b.amount, at),
    )


def _kind_codes(kinds: Sequence[str]) -> NDArray[np.int64]:
    code = {name: i for i, name in enumerate(KIND_NAMES)}
    return np.asarray([code[k] for k in kinds], dtype=np.int64)
