"""Stall, on-loading and off-loading cycles of every candidate mapping from its transfers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.traffic import LOW_SIDE, READS
from fuseflow.hardware.model import MemoryLevel

if TYPE_CHECKING:
    from fuseflow.cost.plan import Plan
    from fuseflow.cost.transfers import Transfers

Arr = NDArray[np.float64]


def port_of(mem: MemoryLevel, direction: str) -> str:
    """The port serving a direction. Convention (as ZigZag's shipped cores): with two read
    (write) ports the second serves the traffic towards the upper level."""
    read = direction in READS
    dedicated = mem.read_ports if read else mem.write_ports
    if dedicated >= 1:
        second = dedicated >= 2 and direction not in LOW_SIDE
        return f"{'r' if read else 'w'}{2 if second else 1}"
    second = mem.read_write_ports >= 2 and direction not in LOW_SIDE
    return f"rw{2 if second else 1}"


def stall_cycles(plan: Plan, tr: Transfers, temporal_cycles: Arr) -> Arr:
    """Cycles the array waits because some port cannot move its data within the allowed window.

    Per port: the stalls of its transfers add up; slack of one transfer can absorb the others'
    busy time only within the union of their update windows. Ports work in parallel.
    """
    ordered, starts = plan.port_rows, plan.port_starts
    count = tr.count[ordered]
    allowed = tr.allowed[ordered]
    active = count > 0
    repeats = np.maximum(count - 1, 0) * active
    stall = (tr.real[ordered] - allowed) * repeats
    window = allowed * repeats
    full = np.logical_or.reduceat((allowed >= tr.period[ordered]) & active, starts)
    union = np.where(full, temporal_cycles, np.maximum.reduceat(window, starts))
    pos = np.add.reduceat(np.maximum(stall, 0.0), starts)
    neg = np.add.reduceat(np.minimum(stall, 0.0), starts)
    multi = pos + np.maximum(0.0, neg + np.add.reduceat(window, starts) - union)
    alone = np.add.reduceat(active.astype(np.int64), starts) <= 1
    comb = np.where(alone, np.add.reduceat(stall, starts), multi)
    return np.maximum(comb.max(axis=0), 0.0)


def _loading_values(plan: Plan, tr: Transfers, compute_cycles: Arr) -> Arr:
    """(G * W + 1, R): cycles of the first (or only) transfer of each loading transfer (per
    port, padded; last row zero), after borrowing the port's spare bandwidth during
    computation for data that moves only once.

    Ports are padded to the same number of transfers (padding never moves data), so every
    port is handled in one array of shape (ports, transfers, candidates)."""
    n_rows = compute_cycles.shape[0]
    index = plan.load_rows
    if index.size == 0:
        return np.zeros((1, n_rows))
    zero = np.zeros((1, n_rows))
    need_all = np.floor(tr.amount_int * tr.bits / tr.period)
    count, real, need, first = (
        np.concatenate([x, zero])[index] for x in (tr.count, tr.real, need_all, tr.first_bits)
    )
    bw = plan.load_bw  # (G, 1)
    req = np.where(count > 1, np.ceil(need), 0.0).sum(axis=1)  # (G, R)
    surplus = np.maximum(0.0, (bw - req) / bw * compute_cycles[None, :])
    single = count == 1
    cyc = np.where(single, real, 0.0)
    reducible = np.maximum(cyc - np.ceil(first / bw[:, :, None]), 0.0) * (cyc > 0)
    order = np.argsort(-cyc, axis=1, kind="stable")
    red_sorted = np.take_along_axis(reducible, order, 1)
    before = np.cumsum(red_sorted, axis=1) - red_sorted
    got = np.clip(surplus[:, None, :] - before, 0.0, red_sorted)
    reduction = np.zeros_like(got)
    np.put_along_axis(reduction, order, got, 1)
    val = np.where(count > 0, np.where(single, real - reduction, real), 0.0)
    return np.concatenate([val.reshape(-1, n_rows), zero])


def loading_cycles(plan: Plan, tr: Transfers, compute_cycles: Arr) -> tuple[Arr, Arr]:
    """(on-loading, off-loading) cycles: the first data down to the array before computing,
    the last outputs up to the top level after it."""
    vals = _loading_values(plan, tr, compute_cycles)
    zero = np.zeros_like(compute_cycles)
    parts: dict[str, tuple[Arr, Arr, Arr]] = {}
    for role, pairs in plan.onload:
        ind: Arr = zero
        half: Arr = zero
        shr: Arr = zero
        for e1, e2, kind in pairs:
            longest = np.maximum(vals[e1], vals[e2])  # -1: the zero row
            if kind == "shr":
                shr = shr + longest
            elif kind == "ind":
                ind = ind + longest
            else:
                half = longest
        parts[role] = (ind, half, shr)
    if len(parts) == 1:
        onload = next(iter(parts.values()))[0]
    elif parts:
        (i1, h1, s1), (i2, h2, s2) = parts["I"], parts["W"]
        first = s1 + np.maximum(s2 + h2 + i2, h1 + i1)
        second = s2 + np.maximum(s1 + h1 + i1, h2 + i2)
        onload = np.minimum(first, second)
    else:
        onload = zero
    offload = zero
    for e1, e2 in plan.offload:
        offload = offload + np.maximum(vals[e1], vals[e2])
    return onload, offload
