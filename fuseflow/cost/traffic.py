"""Per-level quantities of every candidate mapping: data sizes, periods, double buffering."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.nest import Nest, OperandNest

Arr = NDArray[np.float64]
READS = ("tl", "th")  # to low (feed the level below), to high (write back up)
LOW_SIDE = ("tl", "fl")  # directions talking to the level below


@dataclass(frozen=True)
class OperandLevels:
    """Per-level quantities of one operand under every candidate mapping."""

    op: OperandNest
    cuts: NDArray[np.int64]  # (P, L) positions after stationary loops merged down
    data: Arr  # (P, L) elements per instance
    data_bits: Arr  # (P, L)
    period: Arr  # (P, L) cycles between refills
    top_ir: Arr  # (P, L) outermost irrelevant loops of the level
    top_r: Arr  # (P, L) outermost relevant loops of the level
    mac_stationary: Arr  # (P,) cycles an input stays at the MAC
    data_int: Arr  # (P, L) elements per instance under the integer spatial unrolling


def operand_levels(nest: Nest, op: OperandNest, cuts: NDArray[np.int64]) -> OperandLevels:
    """Merge stationary (irrelevant) loops down and derive sizes and periods per level."""
    n_perm, n = nest.perm_dim.shape
    base = np.arange(n_perm)[:, None] * (n + 1)  # row offsets into flattened (P, n+1) arrays
    nxt, after_rel = nest.next_mark(op.relevant), nest.after_mark(op.relevant)
    n_lv = cuts.shape[1]
    merged = nxt.take(base + cuts)
    merged[:, -1] = n
    merged = np.maximum.accumulate(merged, axis=1)
    at = base + merged
    # footprints per (loop set, level), then picked for each order's set at each level
    where = nest.loop_set.take(at) * n_lv + np.arange(n_lv)
    per_set = np.array([nest.set_footprint(op, lv) for lv in range(n_lv)]).T
    data = per_set.take(where)
    if op.int_spatial:
        data_int = data
    else:
        per_int = [nest.set_footprint(op, lv, integer=True) for lv in range(n_lv)]
        data_int = np.array(per_int).T.take(where)
    if op.role == "O":
        red_after = nest.next_mark(nest.reduction).take(at) < n
        partial = red_after | op.red_spatial_above[None, :n_lv]
        data_bits = data * np.where(partial, op.bits, op.final_bits).astype(float)
    else:
        data_bits = data * float(op.bits)
    total = nest.total
    period = total.take(at)
    prev = np.concatenate([np.zeros((n_perm, 1), np.int64), merged[:, :-1]], axis=1)
    start_ir = np.maximum(prev, after_rel.take(at))
    start_r = np.maximum(prev, nest.after_mark(~op.strict_r).take(at))
    top_ir = period / total.take(base + start_ir)
    top_r = period / total.take(base + start_r)
    mac_st = total.take(base[:, 0] + nxt[:, 0]) if op.role != "O" else np.ones(n_perm)
    return OperandLevels(op, merged, data, data_bits, period, top_ir, top_r, mac_st, data_int)


@lru_cache(maxsize=16)
def _hash_weights(width: int) -> NDArray[np.float64]:
    """Fixed weights projecting a candidate's quantities to one number: the fractional parts
    of square roots of distinct primes (no rational relation between them)."""
    primes: list[int] = []
    k = 2
    while len(primes) < width:
        if all(k % p for p in primes if p * p <= k):
            primes.append(k)
        k += 1
    return np.sqrt(np.array(primes, dtype=np.float64)) % 1.0 + 0.5


def distinct_candidates(
    nest: Nest, levels: list[OperandLevels], valid: NDArray[np.bool_]
) -> tuple[Nest, list[OperandLevels], NDArray[np.bool_]]:
    """Keep the first of each group of loop orders whose per-level quantities are all equal.

    Everything evaluated after this point is a function of those quantities, row by row, so a
    dropped order costs exactly what the kept one does; the kept ones stay in their order, so
    the first best order (the one picked) is the same as without this step."""
    n_perm, n = nest.perm_dim.shape
    base = np.arange(n_perm)[:, None] * (n + 1)
    red_next = nest.next_mark(nest.reduction)
    cols: list[NDArray] = [valid[:, None]]
    for ol in levels:  # the cut positions themselves only name the mapping
        cols += [ol.data, ol.period, ol.top_ir, ol.top_r]
        if ol.data_int is not ol.data:
            cols.append(ol.data_int)
        if ol.op.role == "O":  # partial sums above each level (data_bits follows from them)
            cols.append(red_next.take(base + ol.cuts) < n)
        else:  # data_bits is data times the precision
            cols.append(ol.mac_stationary[:, None])
    key = np.concatenate(cols, axis=1, dtype=np.float64)
    keep = _first_of_groups(key)
    if keep is None:
        return nest, levels, valid
    sub = dataclasses.replace(
        nest,
        perm_dim=nest.perm_dim[keep],
        perm_size=nest.perm_size[keep],
        loop_set=nest.loop_set[keep],
        total=nest.total[keep],
        labels=None,
    )
    subs = []
    for ol in levels:
        data = ol.data[keep]
        data_int = data if ol.data_int is ol.data else ol.data_int[keep]
        part = OperandLevels(
            ol.op, ol.cuts[keep], data, ol.data_bits[keep], ol.period[keep],
            ol.top_ir[keep], ol.top_r[keep], ol.mac_stationary[keep], data_int,
        )  # fmt: skip
        subs.append(part)
    return sub, subs, valid[keep]


def _first_of_groups(key: Arr) -> NDArray[np.int64] | None:
    """Ascending index of the first row of each group of bitwise equal rows of ``key``; None
    when all rows differ (or when the grouping hash cannot tell them apart)."""
    n_rows = key.shape[0]
    # group by a fixed projection, then check the groups bit for bit (a collision keeps all)
    h = (key * _hash_weights(key.shape[1])).sum(axis=1)  # no BLAS call: no thread wake-ups
    order = np.argsort(h, kind="stable")
    hs = h[order]
    new = np.empty(n_rows, dtype=bool)
    new[:1] = True
    np.not_equal(hs[1:], hs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    if len(starts) == n_rows:
        return None
    first = order[starts]  # stable sort: the smallest index of each group
    rep = np.empty(n_rows, dtype=np.int64)
    rep[order] = first[np.cumsum(new) - 1]
    bits = key.view(np.int64)
    if not (bits == bits[rep]).all():
        return None
    return np.sort(first)
