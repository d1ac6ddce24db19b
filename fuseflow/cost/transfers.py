"""Every transfer of every candidate mapping, stacked: one row per operand, level and direction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.nest import Nest
from fuseflow.cost.traffic import READS, OperandLevels
from fuseflow.hardware.model import MemoryLevel
from fuseflow.workload.layer import Role

Arr = NDArray[np.float64]


@dataclass(frozen=True)
class Transfers:
    """Periodic transfers of all candidates (rows: transfers, columns: candidates).

    Row ``a`` moves operand ``role[a]`` at its memory level ``level[a]`` (``mem[a]``) in
    ``direction[a]`` (tl: read to low, fh: write from high, fl: write from low, th: read to
    high). Rows of one (operand, level) are adjacent, operands in nest order, levels bottom-up.
    """

    role: tuple[Role, ...]
    level: tuple[int, ...]
    mem: tuple[MemoryLevel, ...]
    direction: tuple[str, ...]
    bw_bits: Arr  # (A, 1) port bandwidth of the direction
    amount: Arr  # (A, P) elements per period per instance
    bits: Arr  # (A, P) precision of those elements
    period: Arr  # (A, P) cycles
    count: Arr  # (A, P) periods over the whole tile
    real: Arr  # (A, P) cycles to move one period's data at the port bandwidth
    allowed: Arr  # (A, P) cycles the transfer may take without stalling the array
    first_bits: Arr  # (A, P) bits of the operand at its first memory level (loading floor)
    amount_int: Arr  # (A, P) amount under the integer spatial unrolling (timing uses it)

    def is_read(self, a: int) -> bool:
        return self.direction[a] in READS


def transfers(
    nest: Nest, levels: list[OperandLevels], db: dict[tuple[str, int], NDArray[np.bool_]]
) -> Transfers:
    """Every transfer between adjacent levels (and into the array) of every operand."""
    n_perm, n = nest.perm_dim.shape
    ones = np.ones(n_perm)
    red_next = nest.next_mark(nest.reduction)
    meta: list[tuple[Role, int, MemoryLevel, str]] = []
    rows: tuple[list[Arr], ...] = ([], [], [], [], [], [])
    for ol in levels:
        _operand_rows(ol, db, red_next, n, ones, meta, rows)
    amount, amount_int, bits, period, window, first = (np.array(r) for r in rows)
    bw = np.array([[float(m.read_bw_bits if d in READS else m.write_bw_bits)] for *_, m, d in meta])
    count = np.where(amount > 0, np.floor(nest.total[:, -1] / period + 1e-9), 0.0)
    real = np.ceil(amount_int * bits / bw - 1e-9)
    role, level, mem, direction = zip(*meta, strict=True)
    return Transfers(
        role, level, mem, direction, bw, amount, bits, period, count, real, window, first,
        amount_int,
    )  # fmt: skip


def _operand_rows(
    ol: OperandLevels,
    db: dict[tuple[str, int], NDArray[np.bool_]],
    red_next: NDArray[np.int64],
    n: int,
    ones: Arr,
    meta: list[tuple[Role, int, MemoryLevel, str]],
    rows: tuple[list[Arr], ...],
) -> None:
    """Append the rows (amount, amount_int, bits, period, window, first_bits) of one operand.

    Each quantity is first formed for all levels at once as a (P, L) matrix; a level's data
    comes from the level below (``low``) or goes to the level above (``high``)."""
    op, n_lv, is_o = ol.op, len(ol.op.levels), ol.op.role == "O"
    data, data_int, period = ol.data, ol.data_int, ol.period
    first_bits = data_int[:, 0] * ol.data_bits[:, 0] / data[:, 0]
    col = ones[:, None]
    low = np.concatenate([col, data[:, :-1]], axis=1) * op.boost
    if data_int is data and op.int_spatial:  # the same numbers
        low_int = low
    else:
        low_int = np.concatenate([col, data_int[:, :-1]], axis=1) * op.boost_int
    first_period = col if is_o else ol.mac_stationary[:, None]
    low_period = np.concatenate([first_period, period[:, :-1]], axis=1)
    dbm = np.array([db[(op.role, lv)] for lv in range(n_lv)]).T
    db_below = np.concatenate([np.zeros((len(ones), 1), bool), dbm[:, :-1]], axis=1)
    ir_below = np.concatenate([col, ol.top_ir[:, :-1]], axis=1)
    low_window = np.where(db_below, low_period, np.floor(low_period / ir_below))
    high_window = np.where(dbm, period, np.floor(period / ol.top_ir))
    if is_o:
        psum = _psums(ol, red_next, n)
        wbits = np.where(psum, op.bits, op.final_bits).astype(float)
        low_ps, low_int_ps = low * psum, low_int * psum
        high_ps, high_int_ps = data[:, :-1] * psum[:, 1:], data_int[:, :-1] * psum[:, 1:]
    else:
        pbits = ones * op.bits
    for lv in range(n_lv):
        top = lv == n_lv - 1
        mem = op.levels[lv]
        lo = (low_period[:, lv], low_window[:, lv], first_bits)
        hi = (period[:, lv], high_window[:, lv], first_bits)
        if not is_o:
            new = [("tl", low[:, lv], low_int[:, lv], pbits, *lo)]
            if not top:
                new.append(("fh", data[:, lv], data_int[:, lv], pbits, *hi))
        else:
            new = [
                ("fl", low[:, lv], low_int[:, lv], wbits[:, lv], *lo),
                ("tl", low_ps[:, lv], low_int_ps[:, lv], wbits[:, lv], *lo),
            ]
            if not top:
                hbits = wbits[:, lv + 1]
                new.append(("th", data[:, lv], data_int[:, lv], hbits, *hi))
                new.append(("fh", high_ps[:, lv], high_int_ps[:, lv], hbits, *hi))
        for direction, *values in new:
            meta.append((op.role, lv, mem, direction))
            for store, value in zip(rows, values, strict=True):
                store.append(value)


def _psums(ol: OperandLevels, red_next: NDArray[np.int64], n: int) -> NDArray[np.bool_]:
    """(P, L): at level l, whether data above level l - 1 (from position ``cuts[l - 1]``, 0
    below the lowest level) still gets reduced."""
    n_perm = red_next.shape[0]
    starts = np.concatenate([np.zeros((n_perm, 1), np.int64), ol.cuts[:, :-1]], axis=1)
    red = red_next.take(starts + np.arange(n_perm)[:, None] * red_next.shape[1]) < n
    return red | ol.op.red_spatial_above[None, : red.shape[1]]


def energy_parts(tr: Transfers, units: dict[Role, Arr]) -> tuple[list[tuple[Role, str]], Arr]:
    """Memory energy per (operand, level) over all candidates, ``(parts, P)``, with the
    (operand, memory name) of each part; ``units``: each operand's instances per level."""
    gran, per_word, unit = [], [], []
    for a, mem in enumerate(tr.mem):
        read = tr.is_read(a)
        bw = mem.read_bw_bits if read else mem.write_bw_bits
        g = mem.min_read_bits if read else mem.min_write_bits
        gran.append(float(g if 0 < g <= bw else bw))
        per_word.append(mem.read_energy_pj if read else mem.write_energy_pj)
        unit.append(float(units[tr.role[a]][tr.level[a]]))
    g_col = np.array(gran)[:, None]
    words = np.ceil(tr.amount * tr.bits / g_col - 1e-9) * g_col / tr.bw_bits
    energy = words * tr.count * np.array(unit)[:, None] * np.array(per_word)[:, None]
    rows: dict[tuple[Role, int], list[int]] = {}
    for a, key in enumerate(zip(tr.role, tr.level, strict=True)):
        rows.setdefault(key, []).append(a)
    names = [(role, tr.mem[group[0]].name) for (role, _), group in rows.items()]
    # added row by row in order (as a running sum would; a reduction may pair them otherwise),
    # parts with fewer rows padded with an all-zero row at the end
    width = max(len(group) for group in rows.values())
    pad = len(tr.mem)
    index = np.array([group + [pad] * (width - len(group)) for group in rows.values()])
    padded = np.concatenate([energy, np.zeros((1, energy.shape[1]))])[index]
    total = padded[:, 0]
    for j in range(1, width):
        total = total + padded[:, j]
    return names, np.ascontiguousarray(total)
