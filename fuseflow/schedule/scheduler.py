"""List scheduling of the CN graph on the allocated cores, with memory and interconnect modelled.

>>> ctx = build_context(graph, acc, costs)          # once per (graph, accelerator, costs)
>>> sched = schedule_with(ctx, allocation)          # many times, e.g. inside a search
"""

from __future__ import annotations

import gc
from collections import deque
from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.errors import InfeasibleError, InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import Topology
from fuseflow.schedule.context import ScheduleContext, build_context
from fuseflow.schedule.engine import AVAIL, BUSY, NO_TIME, SIZE, USES, Engine
from fuseflow.schedule.transfers import END
from fuseflow.schedule.types import EnergyBreakdown, MemoryTimeline, Schedule, TransferKind
from fuseflow.tiling.graph import CNGraph

FAR = 1 << 62  # "not yet known" cycle


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    """How to schedule.

    ``order``: ``depth_first`` picks the ready CN with the lowest ``graph.priority``;
    ``latency_first`` the one that can start earliest (ties by priority); None follows
    ``graph.priority_mode``.
    ``prefetch_weights``: fetch every weight into its core before the first CN (as far as
    memory allows without evicting). ``broadcast``: a tensor already travelling over a superset
    of a route from the same source is received without a second reservation.
    ``lookahead``: operands of a CN start moving into its core's memory once the k-th previous
    CN of that core has started (a DMA queue k CNs deep; 1 = double buffering). None moves
    them as early as data, room and links allow (Stream's behaviour); on the shipped ResNet-18
    examples k = 8, 16 and 32 give the same schedule, within 1.2 % of None, but None makes each
    memory check walk back to cycle 0, which grows quadratically on 100k+ CN graphs whose
    memories fill up. ``prefetch_weights`` ignores it.
    """

    order: Literal["depth_first", "latency_first"] | None = None
    prefetch_weights: bool = False
    broadcast: bool = True
    lookahead: int | None = 8


def parse_lookahead(text: str) -> int | None:
    """``ScheduleOptions.lookahead`` from text: a whole number >= 1, or ``none``."""
    if text.strip().lower() == "none":
        return None
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    raise InputError(f"{text!r}: write a whole number >= 1 or none", where="--lookahead")


def schedule(
    graph: CNGraph,
    acc: Accelerator,
    costs: CostTable,
    allocation: NDArray[np.int32],
    *,
    options: ScheduleOptions = ScheduleOptions(),
    topology: Topology | None = None,
) -> Schedule:
    """Schedule every CN on the core its group is allocated to (one core index per group)."""
    return schedule_with(build_context(graph, acc, costs, topology), allocation, options=options)


def schedule_with(
    ctx: ScheduleContext,
    allocation: NDArray[np.int32],
    *,
    options: ScheduleOptions = ScheduleOptions(),
) -> Schedule:
    """``schedule`` with the allocation-independent precomputation already done."""
    return _scheduled(ctx, allocation, options).result()


def score_with(
    ctx: ScheduleContext,
    allocation: NDArray[np.int32],
    *,
    options: ScheduleOptions = ScheduleOptions(),
) -> tuple[int, float]:
    """(latency_cycles, energy total_pj) of ``schedule_with``, without assembling the schedule
    (no timelines, no transfer arrays): what a search needs per candidate."""
    run = _scheduled(ctx, allocation, options)
    last_transfer = max((row[END] for row in run.eng.log.rows), default=0)
    latency = max(max(run.end, default=0), last_transfer)
    return latency, _energy(run).total_pj


def _scheduled(
    ctx: ScheduleContext, allocation: NDArray[np.int32], options: ScheduleOptions
) -> _Run:
    run = _Run(ctx, cn_cores(ctx, allocation), options)
    order = options.order or getattr(ctx.graph, "priority_mode", "depth_first")
    collecting = gc.isenabled()
    gc.disable()  # a run makes many small long-lived objects and no cycles: no GC passes
    try:
        if options.prefetch_weights:
            run.prefetch()
        run.loop(order == "latency_first")
    finally:
        if collecting:
            gc.enable()
    return run


def cn_cores(ctx: ScheduleContext, allocation: NDArray[np.int32]) -> NDArray[np.int64]:
    """Core per CN from a per-group allocation, checked against fixed and allowed cores."""
    g = ctx.graph
    alloc = np.asarray(allocation, dtype=np.int64)
    n_cores = len(ctx.acc.cores)
    if alloc.shape != (g.n_groups,):
        raise InputError(
            f"allocation has shape {alloc.shape}; expected one core index per group ({g.n_groups})"
        )
    bad = np.flatnonzero((alloc < 0) | (alloc >= n_cores))
    if bad.size:
        raise InputError(f"{_group(ctx, int(bad[0]))}: core index {alloc[bad[0]]} out of range")
    fixed = np.flatnonzero((g.group_fixed >= 0) & (alloc != g.group_fixed))
    if fixed.size:
        gi = int(fixed[0])
        want = ctx.acc.cores[int(g.group_fixed[gi])].name
        raise InputError(
            f"{_group(ctx, gi)} is fixed to core {want!r} but allocated to "
            f"{ctx.acc.cores[int(alloc[gi])].name!r}"
        )
    disallowed = np.flatnonzero(~ctx.allowed[np.arange(g.n_groups), alloc])
    if disallowed.size:
        gi = int(disallowed[0])
        raise InputError(
            f"{_group(ctx, gi)} may not run on core {ctx.acc.cores[int(alloc[gi])].name!r}"
        )
    return alloc[g.group]


def _group(ctx: ScheduleContext, gi: int) -> str:
    return f"group {gi} (layer {ctx.graph.layers[int(ctx.graph.group_layer[gi])]!r})"


class _Run:
    """One schedule run: per-CN plan (lists for the event loop), the engine, the results."""

    def __init__(self, ctx: ScheduleContext, core: NDArray[np.int64], opts: ScheduleOptions):
        g = ctx.graph
        self.ctx = ctx
        self.eng = Engine(ctx, opts.broadcast)
        self.core_np = core
        lat = ctx.latency_cycles[g.shape, core]
        missing = np.flatnonzero(lat < 0)
        if missing.size:
            i = int(missing[0])
            raise InfeasibleError(
                f"no cost for CN {i} (layer {g.layers[int(g.layer[i])]!r} tile "
                f"{int(g.tile[i])}) on core {ctx.acc.cores[int(core[i])].name!r}"
            )
        mask = ctx.stream_mask[g.shape, core]
        self.core: list[int] = core.tolist()
        self.lat: list[int] = lat.tolist()
        self.mask: list[int] = mask.tolist()
        self.bw: list[float] = ctx.dram_bw_bits[g.shape, core].tolist()
        home = ctx.mem_of[core, 2].astype(np.int64)
        home[(mask & 4) != 0] = -1  # streamed outputs live in DRAM only
        self.home: list[int] = home.tolist()
        self.mem_of: list[list[int]] = ctx.mem_of.tolist()
        edge_mem = _edge_memories(ctx, core, mask)
        _check_memories(ctx, core, mask, edge_mem)
        self.edge_mem: list[int] = edge_mem.tolist()
        self.in_mem: list[int] = edge_mem[g.in_edges].tolist()  # per in-edge slot
        self.in_src = ctx.lists.in_src  # per in-edge slot
        self.weight_uses = _weight_uses(ctx, core, mask)
        self.start = [0] * g.n
        self.end = [0] * g.n
        self.core_free = [0] * len(ctx.acc.cores)
        self.lookahead = opts.lookahead
        # the last `lookahead` CN starts per core
        depth = max(1, opts.lookahead or 1)
        self.recent = [deque([0], maxlen=depth) for _ in ctx.acc.cores]
        self.pred_end = [0] * g.n
        gl = ctx.lists
        self.in_ptr = gl.in_ptr
        self.out_ptr = gl.out_ptr
        self.edge_dst = gl.edge_dst
        self.edge_bits = gl.edge_bits
        self.obits = gl.output_bits
        self.graph_out = gl.graph_output
        # uses of each CN's home copy: its data consumers, plus the write-back of an output
        self.n_uses = (np.asarray(ctx.n_data_out, dtype=np.int64) + g.graph_output).tolist()
        self.weight = gl.weight
        self.wbits = gl.weight_bits
        self.dram_in = gl.dram_input_bits

    def loop(self, latency_first: bool) -> None:
        order = self.ctx.lists.depth_first
        if latency_first or order is None:
            self._ready_loop(latency_first)
            return
        place = self.place
        for cn in order:  # depth first: the order does not depend on times (precomputed)
            place(cn)

    def _ready_loop(self, latency_first: bool) -> None:
        """Pick among the ready CNs as they become ready (latency first, or a cyclic graph)."""
        g = self.ctx.graph
        prio = g.priority.tolist()
        indeg = np.bincount(g.edge_dst, minlength=g.n).tolist()
        heap: list[tuple[int, ...]] = [
            (0, prio[i], i) if latency_first else (prio[i], i) for i in range(g.n) if indeg[i] == 0
        ]
        heapify(heap)
        core, core_free, pred_end = self.core, self.core_free, self.pred_end
        out_ptr, edge_dst, end = self.out_ptr, self.edge_dst, self.end
        placed = 0
        while heap:
            item = heappop(heap)
            cn = item[-1]
            if latency_first:
                est = max(core_free[core[cn]], pred_end[cn])
                if est > item[0]:
                    heappush(heap, (est, item[1], cn))
                    continue
            self.place(cn)
            placed += 1
            t = end[cn]
            for k in range(out_ptr[cn], out_ptr[cn + 1]):
                d = edge_dst[k]
                if t > pred_end[d]:
                    pred_end[d] = t
                indeg[d] -= 1
                if indeg[d] == 0:
                    heappush(heap, (pred_end[d], prio[d], d) if latency_first else (prio[d], d))
        if placed != g.n:
            raise InputError(f"the CN graph has a cycle ({g.n - placed} CNs never become ready)")

    def place(self, cn: int) -> None:
        eng = self.eng
        c = self.core[cn]
        eng.cur, eng.cur_core = cn, c
        eng.pins.clear()
        k = self.lookahead
        if k is not None:  # operands move no earlier than core c's k-th previous CN start
            recent = self.recent[c]
            if len(recent) >= k:
                h = recent[-k]
                if h > eng.horizon_of[c]:
                    eng.set_horizon(c, h)
            eng.horizon = eng.horizon_of[c]
        uses: list[tuple[int, int]] = []  # (memory, key) used by this CN, released at its end
        t = self._inputs(cn, c, self.core_free[c], uses)  # also waits for every predecessor
        t = self._constants(cn, c, t, uses)
        home = self.home[cn]
        entry = None
        steps = eng.mem.steps
        resident = eng.resident
        if home >= 0:
            bits = self.obits[cn]
            st = steps[home]
            if st.peak <= eng.mem.capacity[home] - bits:  # Engine.room's first answer, inlined
                t = t if t > st.base else st.base
            else:
                t = eng.room(home, t, bits)
            n_uses = self.n_uses[cn]
            if n_uses == 0:  # consumed by nobody: free at the end
                uses.append((home, cn))
                n_uses = 1
            steps[home].add(t, bits)  # MemoryBook.allocate, inlined
            entry = resident[home][cn] = [bits, FAR, FAR, n_uses]
        if self.mask[cn]:
            start, dur = eng.stream(cn, c, t, self.lat[cn], self.mask[cn], self.bw[cn])
        else:
            start, dur = t, self.lat[cn]
        end = start + dur
        self.start[cn], self.end[cn], self.core_free[c] = start, end, end
        if k is not None:
            self.recent[c].append(start)
        if entry is None:
            eng.in_dram[cn] = end
        else:
            entry[AVAIL] = entry[BUSY] = end
        for m, key in uses:  # Engine.discharge, inlined for the common case (still resident)
            on_m = resident[m]
            used = on_m.get(key)
            if used is None:
                eng.discharge(m, key, end)
                continue
            if end > used[BUSY]:
                used[BUSY] = end
            used[USES] -= 1
            if used[USES] <= 0:  # MemoryBook.release, inlined
                del on_m[key]
                steps[m].add(used[BUSY], -used[SIZE])
        if self.graph_out[cn] and home >= 0:
            done = eng.to_dram(TransferKind.OUTPUT_WRITEBACK, cn, home, c, end)
            eng.discharge(home, cn, done)

    def _inputs(self, cn: int, c: int, t: int, uses: list[tuple[int, int]]) -> int:
        """Bring every data input of cn into the memory it reads it from; the ready cycle (no
        earlier than t nor than the end of any predecessor)."""
        eng = self.eng
        resident, steps = eng.mem.resident, eng.mem.steps
        in_mem, in_src, home, pin = self.in_mem, self.in_src, self.home, eng.pins.add
        end = self.end
        for k in range(self.in_ptr[cn], self.in_ptr[cn + 1]):
            p = in_src[k]
            if end[p] > t:
                t = end[p]
            m = in_mem[k]
            if m == -1:
                continue
            pin(p)
            hp = home[p]
            if m == -2:  # streamed by cn: read from DRAM during the CN
                if hp >= 0:
                    done = eng.to_dram(TransferKind.EVICTION, p, hp, self.core[p], 0)
                    eng.discharge(hp, p, done)
                else:
                    done = eng.in_dram[p]
                if done > t:
                    t = done
                continue
            entry = resident[m].get(p)
            if entry is not None:
                arrival = entry[AVAIL]
                if m != hp and hp >= 0:  # read from a copy: one use of the home copy done
                    on_home = resident[hp]
                    at_home = on_home.get(p)
                    if at_home is None:
                        eng.discharge(hp, p, NO_TIME)
                    else:
                        at_home[USES] -= 1
                        if at_home[USES] <= 0:  # MemoryBook.release, inlined
                            del on_home[p]
                            steps[hp].add(at_home[BUSY], -at_home[SIZE])
            elif m == hp:  # the home copy was evicted: fetch it back
                arrival = eng.copy_output(p, -1, -1, m, c, self.obits[p], 1)
            else:
                n_uses, bits = self._copy_need(p, m)
                arrival = eng.copy_output(p, hp, self.core[p], m, c, bits, n_uses)
            uses.append((m, p))
            if arrival > t:
                t = arrival
        return t

    def _copy_need(self, p: int, m: int) -> tuple[int, int]:
        """Consumer edges of p reading from memory m, and the bits a copy there holds."""
        a, b = self.out_ptr[p], self.out_ptr[p + 1]
        mems = self.edge_mem[a:b]
        n_uses = mems.count(m)
        if n_uses == b - a:  # every consumer edge reads it there (the common case)
            bits = sum(self.edge_bits[a:b])
        else:
            bits = sum([x for x, y in zip(self.edge_bits[a:b], mems, strict=True) if y == m])
        return n_uses, min(bits, self.obits[p])

    def _constants(self, cn: int, c: int, t: int, uses: list[tuple[int, int]]) -> int:
        """Weights and graph-input windows of cn, fetched from DRAM unless resident/streamed."""
        eng = self.eng
        n = eng.n
        w = self.weight[cn]
        mask = self.mask[cn]
        if w >= 0 and not mask & 2:
            m = self.mem_of[c][1]
            key = n + w
            entry = eng.resident[m].get(key)
            if entry is not None:
                arrival = entry[AVAIL]
            else:
                u = self.weight_uses[w * eng.n_mem + m]
                arrival = eng.fetch(key, m, c, self.wbits[w], u, TransferKind.WEIGHT_FETCH)
            eng.pins.add(key)
            uses.append((m, key))
            if arrival > t:
                t = arrival
        bits = self.dram_in[cn]
        if bits > 0 and not mask & 1:
            m = self.mem_of[c][0]
            key = n + eng.n_w + cn
            eng.pins.add(key)
            arrival = eng.fetch(key, m, c, bits, 1, TransferKind.INPUT_FETCH)
            if arrival > t:
                t = arrival
            uses.append((m, key))
        return t

    def prefetch(self) -> None:
        """Fetch weights in first-use order while they fit without evicting anything."""
        g, eng = self.ctx.graph, self.eng
        with_weight = np.flatnonzero(g.weight >= 0)
        order = with_weight[np.argsort(g.priority[with_weight], kind="stable")]
        seen: set[int] = set()
        for cn in order.tolist():
            c, w = self.core[cn], self.weight[cn]
            m = self.mem_of[c][1]
            lk = w * eng.n_mem + m
            if self.mask[cn] & 2 or lk in seen:
                continue
            seen.add(lk)
            bits = self.wbits[w]
            if eng.mem.level(m) + bits <= eng.mem.capacity[m]:
                u = self.weight_uses[lk]
                eng.fetch(eng.n + w, m, c, bits, u, TransferKind.WEIGHT_FETCH)

    def result(self) -> Schedule:
        return _assemble(self)


def _edge_memories(
    ctx: ScheduleContext, core: NDArray[np.int64], mask: NDArray[np.int8]
) -> NDArray[np.int64]:
    """Per edge: memory the consumer reads it from; -2 if it streams it; -1 if no data."""
    g = ctx.graph
    role = np.clip(g.edge_role, 0, 1).astype(np.int64)
    dst_core = core[g.edge_dst]
    out = ctx.mem_of[dst_core, role].astype(np.int64)
    streamed = (mask[g.edge_dst] & np.where(role == 0, 1, 2)) != 0
    out[out < 0] = -3  # no memory for that operand on the consumer's core (reported)
    out[streamed] = -2
    out[~ctx.data_edge] = -1
    return out


def _check_memories(
    ctx: ScheduleContext,
    core: NDArray[np.int64],
    mask: NDArray[np.int8],
    edge_mem: NDArray[np.int64],
) -> None:
    """Every operand a CN keeps on chip needs a top-level memory for it on its core."""
    g = ctx.graph
    mem = ctx.mem_of[core]
    bad_edge = np.flatnonzero(edge_mem == -3)
    checks = [
        ("O", (mem[:, 2] < 0) & ((mask & 4) == 0)),
        ("W", (mem[:, 1] < 0) & (g.weight >= 0) & ((mask & 2) == 0)),
        ("I", (mem[:, 0] < 0) & (g.dram_input_bits > 0) & ((mask & 1) == 0)),
    ]
    if bad_edge.size:
        role = "I" if g.edge_role[bad_edge[0]] == 0 else "W"
        checks.append((role, np.isin(np.arange(g.n), g.edge_dst[bad_edge[:1]])))
    for role, bad in checks:
        idx = np.flatnonzero(bad)
        if idx.size:
            i = int(idx[0])
            raise InfeasibleError(
                f"CN {i} (layer {g.layers[int(g.layer[i])]!r}) on core "
                f"{ctx.acc.cores[int(core[i])].name!r}: the core has no memory for operand {role}"
            )


def _weight_uses(
    ctx: ScheduleContext, core: NDArray[np.int64], mask: NDArray[np.int8]
) -> dict[int, int]:
    """Number of CNs reading each weight from each memory (key: weight * n_mem + memory)."""
    g = ctx.graph
    sel = (g.weight >= 0) & ((mask & 2) == 0)
    keys = g.weight[sel].astype(np.int64) * len(ctx.mem_names) + ctx.mem_of[core[sel], 1]
    uniq, counts = np.unique(keys, return_counts=True)
    return dict(zip(uniq.tolist(), counts.tolist(), strict=True))


def _energy(run: _Run) -> EnergyBreakdown:
    ctx, core = run.ctx, run.core_np
    shape = ctx.graph.shape
    mac = float(ctx.mac_pj[shape, core].sum())
    dram = float(ctx.dram_pj[shape, core].sum())
    e = run.eng.energy
    return EnergyBreakdown(
        mac_pj=mac,
        onchip_memory_pj=float(ctx.energy_pj[shape, core].sum()) - mac - dram,
        streamed_dram_pj=dram,
        dram_fetch_pj=e.dram_fetch_pj,
        link_pj=e.link_pj,
        eviction_pj=e.eviction_pj,
        output_writeback_pj=e.output_writeback_pj,
    )


def _assemble(run: _Run) -> Schedule:
    ctx, eng = run.ctx, run.eng
    g = ctx.graph
    core = run.core_np
    tr = eng.log.arrays()
    start = np.asarray(run.start, dtype=np.int64)
    end = np.asarray(run.end, dtype=np.int64)
    latency = max(int(end.max(initial=0)), int(tr["tr_end"].max(initial=0)))
    cn_energy = ctx.energy_pj[g.shape, core]
    energy = _energy(run)
    names = ctx.acc.core_names
    memories = tuple(
        MemoryTimeline(
            name=ctx.mem_names[m],
            cores=tuple(names[c] for c in ctx.mem_cores[m]),
            capacity_bits=ctx.mem_capacity_bits[m],
            times=times,
            usage_bits=usage,
        )
        for m, (times, usage) in enumerate(eng.timelines())
    )
    return Schedule(
        latency_cycles=latency,
        energy=energy,
        cn_core=core.astype(np.int32),
        cn_start=start,
        cn_end=end,
        cn_energy_pj=cn_energy.astype(np.float64),
        memories=memories,
        **tr,
    )
