"""Stall, on-loading and off-loading cycles of every candidate mapping from its transfers."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.traffic import LOW_SIDE, READS, Activity
from fuseflow.hardware.model import MemoryLevel

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


def _ports(acts: list[Activity]) -> dict[tuple[int, str], list[Activity]]:
    out: dict[tuple[int, str], list[Activity]] = {}
    for a in acts:
        out.setdefault((id(a.mem), port_of(a.mem, a.direction)), []).append(a)
    return out


def stall_cycles(acts: list[Activity], temporal_cycles: float) -> Arr:
    """Cycles the array waits because some port cannot move its data within the allowed window.

    Per port: the stalls of its transfers add up; slack of one transfer can absorb the others'
    busy time only within the union of their update windows. Ports work in parallel.
    """
    worst = np.zeros_like(acts[0].count)
    for group in _ports(acts).values():
        active = [a for a in group]
        stall = [(a.real - a.allowed) * np.maximum(a.count - 1, 0) * (a.count > 0) for a in active]
        window = [a.allowed * np.maximum(a.count - 1, 0) * (a.count > 0) for a in active]
        n_active = np.sum([a.count > 0 for a in active], axis=0)
        pos = np.sum([np.maximum(s, 0) for s in stall], axis=0)
        neg = np.sum([np.minimum(s, 0) for s in stall], axis=0)
        full = np.any([(a.allowed >= a.period) & (a.count > 0) for a in active], axis=0)
        union = np.where(full, temporal_cycles, np.max(window, axis=0))
        multi = pos + np.maximum(0.0, neg + np.sum(window, axis=0) - union)
        comb = np.where(n_active <= 1, np.sum(stall, axis=0), multi)
        worst = np.maximum(worst, comb)
    return worst


def _loading_values(acts: list[Activity], compute_cycles: Arr) -> dict[tuple[str, int, str], Arr]:
    """Cycles of the first (or only) transfer of each loading activity, after borrowing the
    port's spare bandwidth during computation for data that moves only once."""
    out: dict[tuple[str, int, str], Arr] = {}
    for group in _ports(acts).values():
        group = [a for a in group if not (a.role == "O" and a.direction in ("tl", "fh"))]
        if not group:
            continue
        bw = float(group[0].bw_bits)
        req = np.sum(
            [
                np.where(a.count > 1, np.ceil(np.floor(a.amount_int * a.bits / a.period)), 0)
                for a in group
            ],
            axis=0,
        )
        surplus = np.maximum(0.0, (bw - req) / bw * compute_cycles)
        single = [(a.count == 1) for a in group]
        cyc = np.stack([np.where(s, a.real, 0.0) for a, s in zip(group, single, strict=True)], 1)
        floor = np.stack([np.ceil(a.first_bits / bw) for a in group], 1)
        reducible = np.maximum(cyc - floor, 0.0) * (cyc > 0)
        order = np.argsort(-cyc, axis=1, kind="stable")
        red_sorted = np.take_along_axis(reducible, order, 1)
        before = np.cumsum(red_sorted, axis=1) - red_sorted
        got = np.clip(surplus[:, None] - before, 0.0, red_sorted)
        reduction = np.zeros_like(got)
        np.put_along_axis(reduction, order, got, 1)
        for k, (a, s) in enumerate(zip(group, single, strict=True)):
            val = np.where(s, a.real - reduction[:, k], a.real)
            out[(a.role, a.level, a.direction)] = np.where(a.count > 0, val, 0.0)
    return out


def loading_cycles(
    acts: list[Activity], compute_cycles: Arr, shared_inputs: set[tuple[str, int]]
) -> tuple[Arr, Arr]:
    """(on-loading, off-loading) cycles: the first data down to the array before computing,
    the last outputs up to the top level after it."""
    vals = _loading_values(acts, compute_cycles)
    zero = np.zeros_like(compute_cycles)
    depth: dict[str, int] = {}
    for a in acts:
        depth[a.role] = max(depth.get(a.role, 0), a.level + 1)
    parts: dict[str, tuple[Arr, Arr, Arr]] = {}
    for role in ("I", "W"):
        if role not in depth:
            continue
        ind: Arr = zero
        half: Arr = zero
        shr: Arr = zero
        for lv in range(depth[role] - 1):
            e1 = vals.get((role, lv, "fh"), zero)
            e2 = vals.get((role, lv + 1, "tl"), zero)
            lo_shared, hi_shared = (role, lv) in shared_inputs, (role, lv + 1) in shared_inputs
            longest = np.maximum(e1, e2)
            if lo_shared and hi_shared:
                shr = shr + longest
            elif not lo_shared and not hi_shared:
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
    for lv in range(depth.get("O", 0) - 1):
        offload = offload + np.maximum(
            vals.get(("O", lv, "th"), zero), vals.get(("O", lv + 1, "fl"), zero)
        )
    return onload, offload
