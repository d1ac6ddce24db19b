"""Stall, on-loading and off-loading cycles of every candidate mapping from its transfers."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.traffic import LOW_SIDE, READS
from fuseflow.cost.transfers import Transfers
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


Ports = list[list[int]]


def group_ports(tr: Transfers) -> Ports:
    """The transfer rows of each (memory, port), ports in order of first use."""
    out: dict[tuple[int, str], list[int]] = {}
    for a, mem in enumerate(tr.mem):
        out.setdefault((id(mem), port_of(mem, tr.direction[a])), []).append(a)
    return list(out.values())


def stall_cycles(tr: Transfers, ports: Ports, temporal_cycles: float) -> Arr:
    """Cycles the array waits because some port cannot move its data within the allowed window.

    Per port: the stalls of its transfers add up; slack of one transfer can absorb the others'
    busy time only within the union of their update windows. Ports work in parallel.
    """
    ordered = [a for group in ports for a in group]
    sizes = np.array([len(g) for g in ports])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
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


def _loading_values(
    tr: Transfers, ports: Ports, compute_cycles: Arr
) -> dict[tuple[str, int, str], Arr]:
    """Cycles of the first (or only) transfer of each loading activity, after borrowing the
    port's spare bandwidth during computation for data that moves only once.

    Ports are padded to the same number of transfers (padding never moves data), so every
    port is handled in one array of shape (ports, transfers, candidates)."""
    groups = [
        [a for a in g if not (tr.role[a] == "O" and tr.direction[a] in ("tl", "fh"))] for g in ports
    ]
    groups = [g for g in groups if g]
    if not groups:
        return {}
    width = max(len(g) for g in groups)
    pad = len(tr.mem)  # index of an all-zero row
    index = np.array([g + [pad] * (width - len(g)) for g in groups])
    zero = np.zeros((1, compute_cycles.shape[0]))
    need_all = np.floor(tr.amount_int * tr.bits / tr.period)
    count, real, need, first = (
        np.concatenate([x, zero])[index] for x in (tr.count, tr.real, need_all, tr.first_bits)
    )
    bw = tr.bw_bits[[g[0] for g in groups]]  # (G, 1)
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
        (tr.role[a], tr.level[a], tr.direction[a]): val[gi, k]
        for gi, g in enumerate(groups)
        for k, a in enumerate(g)
    }


def loading_cycles(
    tr: Transfers, ports: Ports, compute_cycles: Arr, shared_inputs: set[tuple[str, int]]
) -> tuple[Arr, Arr]:
    """(on-loading, off-loading) cycles: the first data down to the array before computing,
    the last outputs up to the top level after it (``ports``: from :func:`group_ports`)."""
    vals = _loading_values(tr, ports, compute_cycles)
    zero = np.zeros_like(compute_cycles)
    depth: dict[str, int] = {}
    for role, level in zip(tr.role, tr.level, strict=True):
        depth[role] = max(depth.get(role, 0), level + 1)
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
