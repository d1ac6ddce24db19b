"""The transfers of one memory hierarchy and how they group (energy parts, ports, loading)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.latency import port_of
from fuseflow.cost.nest import Nest, Same
from fuseflow.cost.traffic import READS
from fuseflow.hardware.model import MemoryLevel
from fuseflow.workload.layer import Role

# bank blocks: where a row's quantity comes from (each block has one column per level)
LOW, LOW_PSUM, HIGH, HIGH_PSUM = range(4)  # amounts
HERE, ABOVE = range(2)  # precision of this level's or the next level's data


@dataclass(frozen=True, eq=False)
class Plan:
    """Every transfer row of a hierarchy (operands with their memory levels), in the order
    operand, level bottom-up, direction; columns ``m`` number the (operand, level) pairs.

    Everything here follows from the hierarchy alone, so it is built once per hierarchy and
    shared by every layer mapped onto it."""

    roles: tuple[Role, ...]  # per operand, in nest order
    levels: tuple[tuple[MemoryLevel, ...], ...]  # per operand
    first_col: tuple[int, ...]  # per operand: its level 0 column
    n_cols: int
    below: NDArray[np.int64]  # (M,) column of the level below; n_cols at level 0
    above: NDArray[np.int64]  # (M,) column of the level above; n_cols at the top
    col_op: NDArray[np.int64]  # (M,) operand of each column
    col_is_output: NDArray[np.bool_]  # (M,)
    low_period_col: NDArray[np.int64]  # (M,) column of [period | MAC stationarity per operand]
    # giving the period on the level's low side (the level below, or the MAC at level 0)
    role: tuple[Role, ...]  # per row
    level: tuple[int, ...]
    mem: tuple[MemoryLevel, ...]
    direction: tuple[str, ...]
    row_op: NDArray[np.int64]  # (A,) operand index
    row_col: NDArray[np.int64]  # (A,) (operand, level) column
    amount_col: NDArray[np.int64]  # (A,) column in the amount bank (block * M + column)
    bits_col: NDArray[np.int64]  # (A,) column in the precision bank
    high_side: NDArray[np.bool_]  # (A,) the transfer talks to the level above (period, window)
    bw_bits: NDArray[np.float64]  # (A, 1)
    gran_bits: NDArray[np.float64]  # (A, 1) access granularity
    per_word_pj: NDArray[np.float64]  # (A, 1)
    parts: tuple[tuple[Role, str], ...]  # energy parts: (operand, memory name)
    part_rows: NDArray[np.int64]  # (K, W) rows of each part, padded with A
    port_rows: NDArray[np.int64]  # rows ordered by port
    port_starts: NDArray[np.int64]  # start of each port's run in port_rows
    load_rows: NDArray[np.int64]  # (G, W) loading rows per port, padded with A
    load_bw: NDArray[np.float64]  # (G, 1)
    onload: tuple[tuple[Role, tuple[tuple[int, int, str], ...]], ...]  # per input role
    offload: tuple[tuple[int, int], ...]
    buffers: tuple[tuple[float, tuple[int, ...]], ...]  # (capacity, columns) in O, W, I order


def plan_of(nest: Nest) -> Plan:
    """The plan of the hierarchy of ``nest``'s operands (memoised by memory identity)."""
    key = tuple((op.role, Same(op.levels)) for op in nest.operands)
    return _plan(key)


@lru_cache(maxsize=256)
def _plan(key: tuple[tuple[Role, Same], ...]) -> Plan:
    roles = tuple(role for role, _ in key)
    levels = tuple(same.obj for _, same in key)
    first_col = tuple(int(x) for x in np.cumsum([0, *(len(lv) for lv in levels)])[:-1])
    n_cols = sum(len(lv) for lv in levels)
    cols = [
        (f + lv, lv, len(ls))
        for f, ls in zip(first_col, levels, strict=True)
        for lv in range(len(ls))
    ]
    below = np.array([n_cols if lv == 0 else m - 1 for m, lv, _ in cols], dtype=np.int64)
    above = np.array([n_cols if lv == n - 1 else m + 1 for m, lv, n in cols], dtype=np.int64)
    col_op = np.repeat(np.arange(len(roles)), [len(ls) for ls in levels]).astype(np.int64)
    rows: list[tuple[int, int, str, int, int, bool]] = []  # op, level, direction, amount, bits
    for o, (r, ls) in enumerate(zip(roles, levels, strict=True)):
        for lv in range(len(ls)):
            top = lv == len(ls) - 1
            if r != "O":
                rows.append((o, lv, "tl", LOW, HERE, False))
                if not top:
                    rows.append((o, lv, "fh", HIGH, HERE, True))
                continue
            rows.append((o, lv, "fl", LOW, HERE, False))
            rows.append((o, lv, "tl", LOW_PSUM, HERE, False))
            if not top:
                rows.append((o, lv, "th", HIGH, ABOVE, True))
                rows.append((o, lv, "fh", HIGH_PSUM, ABOVE, True))
    role = tuple(roles[o] for o, *_ in rows)
    level = tuple(lv for _, lv, *_ in rows)
    mem = tuple(levels[o][lv] for o, lv, *_ in rows)
    direction = tuple(d for _, _, d, *_ in rows)
    col = np.array([first_col[o] + lv for o, lv, *_ in rows], dtype=np.int64)
    amount_col = np.array([blk for *_, blk, _, _ in rows]) * n_cols + col
    bits_col = np.array([b for *_, b, _ in rows]) * n_cols + col
    read = [d in READS for d in direction]
    bw = [float(m.read_bw_bits if r else m.write_bw_bits) for m, r in zip(mem, read, strict=True)]
    gran = [
        float(g if 0 < g <= b else b)
        for g, b in zip(
            (m.min_read_bits if r else m.min_write_bits for m, r in zip(mem, read, strict=True)),
            (int(b) for b in bw),
            strict=True,
        )
    ]
    per_word = [
        m.read_energy_pj if r else m.write_energy_pj for m, r in zip(mem, read, strict=True)
    ]
    part_groups: dict[tuple[Role, int], list[int]] = {}
    for a, k in enumerate(zip(role, level, strict=True)):
        part_groups.setdefault(k, []).append(a)
    ports: dict[tuple[int, str], list[int]] = {}
    for a, m in enumerate(mem):
        ports.setdefault((id(m), port_of(m, direction[a])), []).append(a)
    load_groups = [
        g for g in ([a for a in p if not (role[a] == "O" and direction[a] in ("tl", "fh"))]
                    for p in ports.values()) if g
    ]  # fmt: skip
    on, off = _loading_pairs(roles, levels, load_groups, role, level, direction)
    n_rows = len(rows)
    return Plan(
        roles=roles, levels=levels, first_col=first_col, n_cols=n_cols, below=below,
        above=above,
        col_op=col_op,
        col_is_output=np.array([roles[o] == "O" for o in col_op], dtype=bool),
        low_period_col=np.where(below == n_cols, n_cols + col_op, below),
        role=role, level=level, mem=mem, direction=direction,
        row_op=np.array([o for o, *_ in rows], dtype=np.int64), row_col=col,
        amount_col=amount_col, bits_col=bits_col,
        high_side=np.array([h for *_, h in rows], dtype=bool),
        bw_bits=np.array(bw)[:, None], gran_bits=np.array(gran)[:, None],
        per_word_pj=np.array(per_word, dtype=np.float64)[:, None],
        parts=tuple((r, levels[roles.index(r)][lv].name) for r, lv in part_groups),
        part_rows=_padded(list(part_groups.values()), n_rows),
        port_rows=np.array([a for g in ports.values() for a in g], dtype=np.int64),
        port_starts=np.cumsum([0, *(len(g) for g in ports.values())])[:-1].astype(np.int64),
        load_rows=_padded(load_groups, n_rows),
        load_bw=np.array([[bw[g[0]]] for g in load_groups]).reshape(-1, 1),
        onload=on, offload=off, buffers=_buffers(roles, levels, first_col),
    )  # fmt: skip


def _padded(groups: list[list[int]], pad: int) -> NDArray[np.int64]:
    width = max((len(g) for g in groups), default=0)
    return np.array([g + [pad] * (width - len(g)) for g in groups], dtype=np.int64).reshape(
        len(groups), width
    )


def _loading_pairs(
    roles: tuple[Role, ...],
    levels: tuple[tuple[MemoryLevel, ...], ...],
    load_groups: list[list[int]],
    role: tuple[Role, ...],
    level: tuple[int, ...],
    direction: tuple[str, ...],
) -> tuple[tuple[tuple[Role, tuple[tuple[int, int, str], ...]], ...], tuple[tuple[int, int], ...]]:
    """Per input role, its (lower, upper) loading transfers per level pair as flat indexes
    into the (G * W) loading values (-1: none) and whether the pair's ports are shared with
    the other input ('ind', 'half' or 'shr'); the same pairs of the outputs' off-loading."""
    width = max((len(g) for g in load_groups), default=0)
    flat = {
        (role[a], level[a], direction[a]): gi * width + k
        for gi, g in enumerate(load_groups)
        for k, a in enumerate(g)
    }
    shared = _shared_inputs(roles, levels)
    on = []
    for r in ("I", "W"):
        if r not in roles:
            continue
        n_lv = len(levels[roles.index(r)])
        pairs = []
        for lv in range(n_lv - 1):
            lo, hi = (r, lv) in shared, (r, lv + 1) in shared
            kind = "shr" if lo and hi else "ind" if not lo and not hi else "half"
            pairs.append((flat.get((r, lv, "fh"), -1), flat.get((r, lv + 1, "tl"), -1), kind))
        on.append((r, tuple(pairs)))
    off = []
    if "O" in roles:
        for lv in range(len(levels[roles.index("O")]) - 1):
            off.append((flat.get(("O", lv, "th"), -1), flat.get(("O", lv + 1, "fl"), -1)))
    return tuple(on), tuple(off)


def _shared_inputs(
    roles: tuple[Role, ...], levels: tuple[tuple[MemoryLevel, ...], ...]
) -> set[tuple[str, int]]:
    """(input operand, level) pairs whose memory ports also serve the other input operand."""
    if "I" not in roles or "W" not in roles:
        return set()
    of = dict(zip(roles, levels, strict=True))
    both = {id(m) for m in of["W"]} & {id(m) for m in of["I"]}
    return {(r, lv) for r in ("I", "W") for lv, m in enumerate(of[r]) if id(m) in both}


def _buffers(
    roles: tuple[Role, ...], levels: tuple[tuple[MemoryLevel, ...], ...], first_col: tuple[int, ...]
) -> tuple[tuple[float, tuple[int, ...]], ...]:
    """Per memory, its capacity and the (operand, level) columns it holds, operands in the
    order O, W, I (the order they claim a free half for double buffering)."""
    groups: dict[int, tuple[float, list[int]]] = {}
    for o in sorted(range(len(roles)), key=lambda o: "OWI".index(roles[o])):
        for lv, m in enumerate(levels[o]):
            groups.setdefault(id(m), (float(m.size_bits), []))[1].append(first_col[o] + lv)
    return tuple((cap, tuple(cols)) for cap, cols in groups.values())
