"""Per-level quantities of every candidate mapping: data sizes, periods, double buffering."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.group import Group
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


def operand_levels(group: Group, op: OperandNest, cuts: NDArray[np.int64]) -> OperandLevels:
    """Merge stationary (irrelevant) loops down and derive sizes and periods per level, for
    every order of every job of ``group`` (``op``: the first job's operand of that role)."""
    n_perm, n = group.n_rows, group.n_loops
    role = op.role
    base = np.arange(n_perm)[:, None] * (n + 1)  # row offsets into flattened (R, n+1) arrays
    nxt = group.marks(role, "relevant", after=False)
    after_rel = group.marks(role, "relevant", after=True)
    n_lv = cuts.shape[1]
    merged = nxt.take(base + cuts)
    merged[:, -1] = n
    merged = np.maximum.accumulate(merged, axis=1)
    at = base + merged
    # footprints per (loop set, level), then picked for each order's set at each level
    where = group.loop_set.take(at) * n_lv + np.arange(n_lv)
    per_set = np.array([group.table(role, lv) for lv in range(n_lv)]).T
    data = per_set.take(where)
    if all(o.int_spatial for o in group.ops(role)):
        data_int = data
    else:  # (a job with whole spatial factors has the same integer footprints)
        per_int = [group.table(role, lv, integer=True) for lv in range(n_lv)]
        data_int = np.array(per_int).T.take(where)
    bits = group.per_row(role, "bits")[:, None]
    if role == "O":
        red_after = group.marks(None, "reduction", after=False).take(at) < n
        partial = red_after | group.per_row(role, "red_spatial_above")[:, :n_lv]
        final = group.per_row(role, "final_bits")[:, None]
        data_bits = data * np.where(partial, bits, final).astype(float)
    else:
        data_bits = data * bits.astype(float)
    total = group.total
    period = total.take(at)
    prev = np.concatenate([np.zeros((n_perm, 1), np.int64), merged[:, :-1]], axis=1)
    start_ir = np.maximum(prev, after_rel.take(at))
    start_r = np.maximum(prev, group.marks(role, "partial", after=True).take(at))
    top_ir = period / total.take(base + start_ir)
    top_r = period / total.take(base + start_r)
    mac_st = total.take(base[:, 0] + nxt[:, 0]) if role != "O" else np.ones(n_perm)
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
    group: Group, levels: list[OperandLevels], valid: NDArray[np.bool_]
) -> list[tuple[Nest, list[OperandLevels], NDArray[np.bool_]]]:
    """Per job: keep the first of each group of its loop orders whose per-level quantities are
    all equal; the job's nest, per-level quantities and validity of the kept orders.

    Everything evaluated after this point is a function of those quantities, row by row, so a
    dropped order costs exactly what the kept one does; the kept ones stay in their order, so
    the first best order (the one picked) is the same as without this step."""
    n_perm, n = group.n_rows, group.n_loops
    base = np.arange(n_perm)[:, None] * (n + 1)
    red_next = group.marks(None, "reduction", after=False)
    cols: list[NDArray] = [group.row_job[:, None], valid[:, None]]
    for ol in levels:  # the cut positions themselves only name the mapping
        cols += [ol.data, ol.period, ol.top_ir, ol.top_r]
        if ol.data_int is not ol.data:
            cols.append(ol.data_int)
        if ol.op.role == "O":  # partial sums above each level (data_bits follows from them)
            cols.append(red_next.take(base + ol.cuts) < n)
        else:  # data_bits is data times the precision
            cols.append(ol.mac_stationary[:, None])
    key = np.concatenate(cols, axis=1, dtype=np.float64)
    return per_job(group, levels, valid, _first_of_groups(key))


def per_job(
    group: Group,
    levels: list[OperandLevels],
    valid: NDArray[np.bool_],
    keep: NDArray[np.int64] | None,
) -> list[tuple[Nest, list[OperandLevels], NDArray[np.bool_]]]:
    """Each job's nest, per-level quantities and validity of the rows in ``keep`` (ascending;
    None: every row). The kept rows are taken once for all jobs, then sliced per job."""
    if keep is None:
        bounds = group.row_start.tolist()
        return [
            (nest, [_rows(ol, nest, slice(lo, hi)) for ol in levels], valid[lo:hi])
            for nest, lo, hi in zip(group.nests, bounds[:-1], bounds[1:], strict=True)
        ]
    levels = [_rows(ol, ol.op, keep) for ol in levels]
    valid = valid[keep]
    bounds = np.searchsorted(keep, group.row_start).tolist()
    local = keep - group.row_start[group.row_job[keep]]
    perm_dim, perm_size = group.perm_dim[keep], group.perm_size[keep]
    total = group.total[keep]
    out = []
    for nest, lo, hi in zip(group.nests, bounds[:-1], bounds[1:], strict=True):
        sub = dataclasses.replace(
            nest,
            perm_dim=perm_dim[lo:hi],
            perm_size=perm_size[lo:hi],
            loop_set=nest.loop_set[local[lo:hi]],
            total=total[lo:hi],
            labels=None,
        )
        out.append((sub, [_rows(ol, nest, slice(lo, hi)) for ol in levels], valid[lo:hi]))
    return out


def _rows(
    ol: OperandLevels, nest: Nest | OperandNest, rows: NDArray[np.int64] | slice
) -> OperandLevels:
    """Rows of a group's per-level quantities, with the operand of that role of ``nest`` (or
    the given operand)."""
    if isinstance(nest, OperandNest):
        op = nest
    else:
        op = next(o for o in nest.operands if o.role == ol.op.role)
    data = ol.data[rows]
    data_int = data if ol.data_int is ol.data else ol.data_int[rows]
    return OperandLevels(
        op, ol.cuts[rows], data, ol.data_bits[rows], ol.period[rows],
        ol.top_ir[rows], ol.top_r[rows], ol.mac_stationary[rows], data_int,
    )  # fmt: skip


def _first_of_groups(key: Arr) -> NDArray[np.int64] | None:
    """Ascending index of the first row of each group of bitwise equal rows of ``key``; None
    when all rows differ (or when the grouping hash cannot tell them apart)."""
    n_rows = key.shape[0]
    # group by a fixed projection, then check the groups bit for bit (a collision keeps all)
    h = np.einsum("ij,j->i", key, _hash_weights(key.shape[1]))  # not BLAS: no thread wake-ups
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
