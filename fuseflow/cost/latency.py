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


Ports = dict[tuple[int, str], list[Activity]]


def group_ports(acts: list[Activity]) -> Ports:
    """The activities of each (memory, port), in their order."""
    out: Ports = {}
    for a in acts:
        out.setdefault((id(a.mem), port_of(a.mem, a.direction)), []).append(a)
    return out


def _stack(ports: Ports) -> tuple[list[Activity], NDArray[np.int64]]:
    """Activities sorted by port (stable) and the start index of each port's run."""
    ordered = [a for group in ports.values() for a in group]
    sizes = np.array([len(g) for g in ports.values()])
    return ordered, np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def stall_cycles(ports: Ports, temporal_cycles: float) -> Arr:
    """Cycles the array waits because some port cannot move its data within the allowed window.

    Per port: the stalls of its transfers add up; slack of one transfer can absorb the others'
    busy time only within the union of their update windows. Ports work in parallel.
    """
    ordered, starts = _stack(ports)
    count = np.stack([a.count for a in ordered])
    allowed = np.stack([a.allowed for a in ordered])
    active = count > 0
    repeats = np.maximum(count - 1, 0) * active
    stall = (np.stack([a.real for a in ordered]) - allowed) * repeats
    window = allowed * repeats
    full = np.logical_or.reduceat((allowed >= np.stack([a.period for a in ordered])) & active,
                                  starts)  # fmt: skip
    union = np.where(full, temporal_cycles, np.maximum.reduceat(window, starts))
    pos = np.add.reduceat(np.maximum(stall, 0.0), starts)
    neg = np.add.reduceat(np.minimum(stall, 0.0), starts)
    multi = pos + np.maximum(0.0, neg + np.add.reduceat(window, starts) - union)
    alone = np.add.reduceat(active.astype(np.int64), starts) <= 1
    comb = np.where(alone, np.add.reduceat(stall, starts), multi)
    return np.maximum(comb.max(axis=0), 0.0)


def _loading_values(ports: Ports, compute_cycles: Arr) -> dict[tuple[str, int, str], Arr]:
    """Cycles of the first (or only) transfer of each loading activity, after borrowing the
    port's spare bandwidth during computation for data that moves only once.

    Ports are padded to the same number of activities (padding never moves data), so every
    port is handled in one array of shape (ports, activities, candidates)."""
    groups = [
        [a for a in g if not (a.role == "O" and a.direction in ("tl", "fh"))]
        for g in ports.values()
    ]
    groups = [g for g in groups if g]
    if not groups:
        return {}
    width = max(len(g) for g in groups)
    n_perm = compute_cycles.shape[0]
    shape = (len(groups), width, n_perm)
    count, real, need, first = (np.zeros(shape) for _ in range(4))
    bw = np.array([[float(g[0].bw_bits)] for g in groups])  # (G, 1)
    for gi, g in enumerate(groups):
        for k, a in enumerate(g):
            count[gi, k], real[gi, k], first[gi, k] = a.count, a.real, a.first_bits
            need[gi, k] = np.floor(a.amount_int * a.bits / a.period)
    req = np.where(count > 1, np.ceil(need), 0.0).sum(axis=1)  # (G, P)
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
    return {
        (a.role, a.level, a.direction): val[gi, k]
        for gi, g in enumerate(groups)
        for k, a in enumerate(g)
    }


def loading_cycles(
    ports: Ports, compute_cycles: Arr, shared_inputs: set[tuple[str, int]]
) -> tuple[Arr, Arr]:
    """(on-loading, off-loading) cycles: the first data down to the array before computing,
    the last outputs up to the top level after it (``ports``: from :func:`group_ports`)."""
    vals = _loading_values(ports, compute_cycles)
    acts = [a for g in ports.values() for a in g]
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
