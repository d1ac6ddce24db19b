"""Blocking of each loop order onto the memory levels, bottom-up, for all loop orders at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.group import Group
from fuseflow.cost.nest import OperandNest
from fuseflow.hardware.model import MemoryLevel
from fuseflow.workload.layer import Role


def level_bits(
    group: Group,
    op: OperandNest,
    lv: int,
    o_partial: NDArray[np.bool_] | None,
    *,
    last_only: bool = False,
) -> NDArray:
    """(R, n+1) bits one instance of level ``lv`` holds when it keeps the loops below position i
    (``last_only``: only i = n, all loops, as (R, 1)); ``o_partial`` (outputs only): which
    orders still reduce above the level."""
    per_set = group.table(op.role, lv)
    elems = per_set.take(group.loop_set[:, -1:] if last_only else group.loop_set)
    bits = group.per_row(op.role, "bits")[:, None]
    if o_partial is None:
        return elems * bits
    return elems * np.where(o_partial[:, None], bits, group.per_row(op.role, "final_bits")[:, None])


def _top_bits(group: Group, op: OperandNest, o_partial: NDArray[np.bool_] | None) -> NDArray:
    """Bits of the whole tile at the operand's top level, per order (the same for a job's)."""
    top = group.table(op.role, len(op.levels) - 1)[group.loop_set[group.first_rows(), -1]]
    elems = top[group.row_job]
    bits = group.per_row(op.role, "bits")
    if o_partial is None:
        return elems * bits
    return elems * np.where(o_partial, bits, group.per_row(op.role, "final_bits"))


def allocate(
    group: Group, physical: tuple[MemoryLevel, ...]
) -> tuple[dict[Role, NDArray[np.int64]], NDArray[np.bool_]]:
    """Cut positions per operand and level, ``(R, L)``, and which loop orders fit at all.

    Each memory level, bottom-up, takes for every operand it holds the longest prefix of the
    still unallocated loops that fits (jointly with the other operands it holds) and that
    minimises the traffic to the level above (as LOMA does). The top level takes all the rest.
    """
    n_perm, n = group.n_rows, group.n_loops
    operands = group.operands
    cur = {op.role: np.zeros(n_perm, dtype=np.int64) for op in operands}
    cuts: dict[Role, NDArray[np.int64]] = {
        op.role: np.zeros((n_perm, len(op.levels)), dtype=np.int64) for op in operands
    }
    lvl = {op.role: 0 for op in operands}
    valid: NDArray[np.bool_] = np.ones(n_perm, dtype=bool)
    # red_after[p, i]: a reduction loop sits at a position >= i
    red_after = group.marks(None, "reduction", after=False) < n
    base = np.arange(n_perm) * (n + 1)
    nodes = _nodes(operands, physical)
    pos = np.arange(n + 1)[None, :]
    reserve = _reserved(group, physical)
    for mem, ops in nodes:
        partials = [
            red_after.take(base + cur[op.role])
            | group.per_row(op.role, "red_spatial_above")[:, lvl[op.role]]
            if op.role == "O"
            else None
            for op in ops
        ]
        if all(lvl[op.role] == len(op.levels) - 1 for op in ops):
            # the top level of all its operands: each keeps every remaining loop, if they fit
            need = sum(_top_bits(group, op, pt) for op, pt in zip(ops, partials, strict=True))
            valid &= need <= float(mem.size_bits)
            for op in ops:
                cuts[op.role][:, lvl[op.role]] = n
                cur[op.role] = np.full(n_perm, n, dtype=np.int64)
                lvl[op.role] += 1
            continue
        if len(ops) == 1:  # one operand below its top level: pick per order directly
            op, partial = ops[0], partials[0]
            bits_s, acc_s, fits_s, index = _level_sets(group, op, lvl[op.role], partial, reserve)
            per_set = np.where(fits_s & (bits_s <= float(mem.size_bits)), acc_s, np.inf)
            # positions last to first, so the first minimum found is the last one
            taken = pos[:, ::-1] >= cur[op.role][:, None]
            cost_rev = np.where(taken, per_set.take(index[:, ::-1]), np.inf)
            pick = n - np.argmin(cost_rev, axis=1)
            choice = [np.where(np.isfinite(cost_rev.min(axis=1)), pick, -1)]
        else:
            choice = _best_combination(*_options(group, ops, partials, lvl, cur, reserve), mem)
        columns = [
            np.array([n]) if lvl[op.role] == len(op.levels) - 1 else np.arange(n + 1) for op in ops
        ]
        for k, op in enumerate(ops):
            bad = choice[k] < 0
            valid &= ~bad
            pick = np.where(bad, n, columns[k][np.maximum(choice[k], 0)])
            cuts[op.role][:, lvl[op.role]] = pick
            cur[op.role] = pick
            lvl[op.role] += 1
    return cuts, valid


def _reserved(
    group: Group, physical: tuple[MemoryLevel, ...]
) -> dict[int, list[tuple[Role, NDArray[np.float64]]]]:
    """Per physical memory, the operands whose top level it is with their whole-tile bits
    (finals for O), per job: space no lower level's blocking may claim there."""
    out: dict[int, list[tuple[Role, NDArray[np.float64]]]] = {}
    n = group.n_loops
    for op in group.operands:
        top = op.levels[-1]
        if any(m is top for m in physical) and top.name != "dram":
            whole = group.table(op.role, len(op.levels) - 1)[group.loop_set[group.first_rows(), n]]
            bits = whole * group.per_job(op.role, "final_bits")
            out.setdefault(id(top), []).append((op.role, bits))
    return out


def _options(
    group: Group,
    ops: list[OperandNest],
    partials: list[NDArray[np.bool_] | None],
    lvl: dict[Role, int],
    cur: dict[Role, NDArray[np.int64]],
    reserve: dict[int, list[tuple[Role, NDArray[np.float64]]]],
) -> tuple[list[NDArray], list[NDArray]]:
    """Per operand of a shared memory level: bits and accesses per order and cut position
    (inf where the position is already taken or leaves the upper levels no room)."""
    n_perm, n = group.n_rows, group.n_loops
    pos = np.arange(n + 1)[None, :]
    sizes, accesses = [], []
    for op, partial in zip(ops, partials, strict=True):
        lv = lvl[op.role]
        if lv == len(op.levels) - 1:  # the top level takes every remaining loop
            sizes.append(level_bits(group, op, lv, partial, last_only=True))
            accesses.append(np.zeros((n_perm, 1)))
            continue
        bits_s, acc_s, fits_s, index = _level_sets(group, op, lv, partial, reserve)
        ok = (pos >= cur[op.role][:, None]) & fits_s.take(index)
        sizes.append(np.where(ok, bits_s.take(index), np.inf))
        accesses.append(np.where(ok, acc_s.take(index), np.inf))
    return sizes, accesses


def _level_sets(
    group: Group,
    op: OperandNest,
    lv: int,
    partial: NDArray[np.bool_] | None,
    reserve: dict[int, list[tuple[Role, NDArray[np.float64]]]],
) -> tuple[NDArray, NDArray, NDArray[np.bool_], NDArray[np.int64]]:
    """Per loop set: bits one instance of level ``lv`` holds when it keeps those loops, the
    accesses to the level above that causes, and whether the operand's higher levels still
    have room for the copy they must hold (next to the operands topping out there), so a
    greedy low level cannot make every upper blocking infeasible; and ``(R, n+1)`` indexes
    of each order's set below each position into them.

    For outputs each set appears twice: final precision, then partial sums (``partial``
    says which one an order has: whether a reduction remains above)."""
    n_sets = group.set_job.shape[0]
    ratio = group.set_ratio()
    names = ("bits",) if partial is None else ("final_bits", "bits")
    n_jobs = len(group.nests)
    bits_v, fits_v = [], []
    for name in names:
        prec = group.per_job(op.role, name)[group.set_job]
        bits_v.append(group.table(op.role, lv) * prec)
        fits = np.ones(n_sets, dtype=bool)
        for hl in range(lv + 1, len(op.levels)):
            mem = op.levels[hl]
            if mem.name == "dram" and id(mem) not in reserve:
                continue
            others = sum(
                (b for r, b in reserve.get(id(mem), []) if r != op.role), np.zeros(n_jobs)
            )[group.set_job]
            fits &= group.table(op.role, hl) * prec + others <= mem.size_bits
        fits_v.append(fits)
    if partial is None:
        return bits_v[0], bits_v[0] * ratio, fits_v[0], group.loop_set
    bits = np.concatenate(bits_v)
    index = group.loop_set + n_sets * partial[:, None]
    return bits, bits * np.concatenate([ratio, ratio]), np.concatenate(fits_v), index


def _nodes(
    operands: tuple[OperandNest, ...], physical: tuple[MemoryLevel, ...]
) -> list[tuple[MemoryLevel, list[OperandNest]]]:
    """Memory levels bottom-up with the operands each holds; virtual (DRAM) levels come last."""
    out: list[tuple[MemoryLevel, list[OperandNest]]] = []
    for mem in physical:
        ops = [op for op in operands if any(m is mem for m in op.levels)]
        if ops:
            out.append((mem, ops))
    for op in operands:
        for mem in op.levels:
            if not any(m is mem for m in physical):
                out.append((mem, [op]))
    return out


def _last_min(cost: NDArray) -> NDArray[np.int64]:
    """Per row, the last column of the smallest finite cost; -1 where none is finite."""
    n_perm, width = cost.shape
    pick = width - 1 - np.argmin(cost[:, ::-1], axis=1)
    return np.where(np.isfinite(cost[np.arange(n_perm), pick]), pick, -1)


def _best_combination(
    sizes: list[NDArray], accesses: list[NDArray], mem: MemoryLevel
) -> list[NDArray[np.int64]]:
    """Per loop order, the column per operand minimising total accesses within the memory.

    Ties go to the last combination in lexicographic order (longer prefixes). -1 = nothing fits.
    """
    capacity = float(mem.size_bits)
    n_perm = sizes[0].shape[0]
    if len(sizes) == 1:
        return [_last_min(np.where(sizes[0] <= capacity, accesses[0], np.inf))]
    widths = [s.shape[1] for s in sizes]
    k = len(sizes)
    tot_size = np.zeros([n_perm, *widths])
    tot_acc = np.zeros_like(tot_size)
    for j, (s, a) in enumerate(zip(sizes, accesses, strict=True)):
        shape = [n_perm] + [1] * k
        shape[j + 1] = widths[j]
        tot_size = tot_size + s.reshape(shape)
        tot_acc = tot_acc + a.reshape(shape)
    cost = np.where(tot_size <= capacity, tot_acc, np.inf).reshape(n_perm, -1)
    flat = cost.shape[1] - 1 - np.argmin(cost[:, ::-1], axis=1)
    feasible = np.isfinite(cost[np.arange(n_perm), flat])
    out: list[NDArray[np.int64]] = []
    rem = flat
    for j in reversed(range(k)):
        out.append(np.where(feasible, rem % widths[j], -1))
        rem = rem // widths[j]
    return out[::-1]
