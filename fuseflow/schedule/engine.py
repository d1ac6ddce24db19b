"""The state of one schedule run: moving tensors between memories, DRAM and cores over time."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np

from fuseflow.errors import InfeasibleError
from fuseflow.schedule.context import RouteInfo, ScheduleContext, ceil_div
from fuseflow.schedule.memory import AVAIL, BUSY, SIZE, USES, MemoryBook
from fuseflow.schedule.resources import EPS, ResourceBook
from fuseflow.schedule.transfers import BITS, BW, END, SRC, START, TransferLog
from fuseflow.schedule.types import DRAM_ENDPOINT, TensorKind, TransferKind

NO_TIME = -1
# the enums as plain ints (attribute access on an enum class is slow in the per-transfer path)
_C2C = int(TransferKind.CORE_TO_CORE)
_EVICTION = int(TransferKind.EVICTION)
_WRITEBACK = int(TransferKind.OUTPUT_WRITEBACK)
_REFETCH = int(TransferKind.REFETCH)
_CN_OUTPUT, _WEIGHT, _DRAM_INPUT = (int(k) for k in TensorKind)


@dataclass
class Energy:
    """Energy a run accumulates outside the cost table, in pJ."""

    dram_fetch_pj: float = 0.0
    link_pj: float = 0.0
    eviction_pj: float = 0.0
    output_writeback_pj: float = 0.0


class Engine:
    """Memories, resource reservations and the transfer log of one run (never shared).

    Tensor keys: CN output ``p`` -> ``p``; weight ``w`` -> ``n + w``; the DRAM-input window of
    CN ``i`` -> ``n + n_weights + i``. A CN output on the memory where it was produced is the
    *home* copy; copies on other memories are made on demand and counted per consumer edge.
    """

    def __init__(self, ctx: ScheduleContext, broadcast: bool) -> None:
        g = ctx.graph
        self.ctx = ctx
        self.n = g.n
        self.n_w = int(g.weight_bits.shape[0])
        self.n_mem = len(ctx.mem_names)
        self.broadcast = broadcast
        self.mem = MemoryBook(list(ctx.mem_capacity_bits))
        self.resident = self.mem.resident
        self.book = ResourceBook(ctx.res_capacity_bits)
        self.log = TransferLog()
        self.energy = Energy()
        self.in_dram: dict[int, int] = {}  # CN output -> cycle its DRAM copy is complete
        self.left: dict[int, int] = {}  # key * n_mem + m -> uses left of an evicted copy
        self.last_tr: dict[int, int] = {}  # key -> last transfer index (broadcast reuse)
        self.fetched: set[int] = set()  # key * n_mem + m of DRAM tensors fetched before
        self.pins: set[int] = set()  # keys the CN being placed needs (not evictable)
        self.horizon = 0  # no transfer into a memory starts before this (prefetch depth)
        self.horizon_of = [0] * len(ctx.acc.cores)
        self.core_mems = [  # per core: (memory, cores sharing it) of its memories
            [(m, ctx.mem_cores[m]) for m in sorted({int(m) for m in row if m >= 0})]
            for row in ctx.mem_of
        ]
        n_cores = len(ctx.acc.cores)
        self.c2c: list[list[RouteInfo | None]] = [  # core-to-core routes by [src][dst]
            [ctx.c2c.get((a, b)) for b in range(n_cores)] for a in range(n_cores)
        ]
        self.cur = -1  # the CN being placed, for error messages
        self.cur_core = -1

    def set_horizon(self, core: int, t: int) -> None:
        """Nothing moves into ``core``'s memories before cycle t any more: prune them."""
        horizon_of = self.horizon_of
        horizon_of[core] = t
        steps = self.mem.steps
        for m, cores in self.core_mems[core]:
            h = t if len(cores) == 1 else min([horizon_of[c] for c in cores])
            st = steps[m]
            if h > st.base:  # Steps.prune; its block loop only when a block ends before h
                if len(st.t) > 1 and st.bstart[1] <= h:
                    st.prune(h)
                else:
                    st.base = h

    # -- DRAM copies -------------------------------------------------------------------------
    def dram_time(self, key: int) -> int | None:
        """Cycle from which ``key`` has a copy in DRAM, or None."""
        if key >= self.n:
            return 0
        return self.in_dram.get(key)

    def _has_dram_copy(self, key: int) -> bool:
        return key >= self.n or key in self.in_dram

    # -- moving bits ------------------------------------------------------------------------
    def move(
        self,
        kind: int,
        key: int,
        src: int,
        dst: int,
        route: RouteInfo,
        bits: int,
        t0: int,
        local_bw: int = 1,
    ) -> tuple[int, int]:
        """Reserve the route for ``bits`` from the earliest window >= t0; log it; (start, end)."""
        n = self.n
        if key < n:
            tkind, tid = _CN_OUTPUT, key
        elif key < n + self.n_w:
            tkind, tid = _WEIGHT, key - n
        else:
            tkind, tid = _DRAM_INPUT, key - n - self.n_w
        if not route.resources:  # a copy between two memories of one core
            dur = ceil_div(bits, local_bw)
            self.log.add(kind, tkind, tid, src, dst, t0, t0 + dur, bits, local_bw, ())
            return t0, t0 + dur
        bw: float = route.bw_bits
        dur = ceil(bits / bw - 1e-12) if bw > 0 else 0  # ceil_div, inlined
        book = self.book
        demand = route.demand
        if len(demand) == 1 and dur > 0:  # ResourceBook.earliest's one-resource case, inlined
            s = book.earliest_on(demand[0][0], t0, demand[0][1], dur)
        else:
            s = book.earliest(demand, t0, dur)
        if s > t0:  # try a slower start now on the bandwidth left over (e.g. beside a stream)
            free = min(book.capacity[r] - book.used_at(r, t0) for r in route.resources)
            if EPS < free < bw:
                dur2 = ceil_div(bits, free)
                part = tuple((r, free) for r in route.resources)
                if t0 + dur2 < s + dur and book.earliest(part, t0, dur2) == t0:
                    s, dur, bw, demand = t0, dur2, free, part
        if dur > 0:  # ResourceBook.reserve, inlined
            reserve_on = book.reserve_on
            for r, rbw in demand:
                reserve_on(r, rbw, s, s + dur)
        log = self.log  # TransferLog.add, inlined
        rows, res = log.rows, log.res
        rows.append((kind, tkind, tid, src, dst, s, s + dur, bits, bw))
        res += route.resources
        log.res_ptr.append(len(res))
        self.last_tr[key] = len(rows) - 1
        e = self.energy
        e.link_pj += bits * route.pj_per_bit
        if kind == _EVICTION:
            e.eviction_pj += bits * self.ctx.dram_write_pj_per_bit
        elif kind == _WRITEBACK:
            e.output_writeback_pj += bits * self.ctx.dram_write_pj_per_bit
        elif kind != _C2C:
            e.dram_fetch_pj += bits * self.ctx.dram_read_pj_per_bit
        return s, s + dur

    def _tensor_id(self, key: int) -> tuple[int, int]:
        if key < self.n:
            return _CN_OUTPUT, key
        if key < self.n + self.n_w:
            return _WEIGHT, key - self.n
        return _DRAM_INPUT, key - self.n - self.n_w

    def _try_broadcast(
        self, kind: int, key: int, src: int, dst: int, route: RouteInfo, bits: int, t0: int, m: int
    ) -> int | None:
        """Receive a transfer of the same tensor already on (a superset of) this route."""
        j = self.last_tr.get(key)
        if j is None:
            return None
        log = self.log
        row = log.rows[j]
        if row[SRC] != src or row[BITS] < bits or row[START] < t0:
            return None
        s = row[START]
        if self.mem.room_at(m, s, bits) != (s, 0):
            return None
        if not set(route.resources) <= set(log.resources_of(j)):
            return None
        tkind, tid = self._tensor_id(key)
        log.add(kind, tkind, tid, src, dst, s, row[END], bits, row[BW], ())
        return j

    # -- memory -----------------------------------------------------------------------------
    def room(self, m: int, t: int, size: int) -> int:
        """Earliest time >= t at which ``size`` bits fit on m, evicting if need be."""
        mem = self.mem
        cap = mem.capacity[m]
        if size > cap:
            raise self._too_big(m, size, "a tensor of")
        steps = mem.steps[m]
        if steps.peak <= cap - size:  # fits at every instant (Steps.room's first answer)
            return t if t > steps.base else steps.base
        t_room, missing = steps.room(t, cap - size)
        if missing == 0:
            return t_room
        victims = mem.victims(m, missing, t_room, self.pins, self._has_dram_copy)
        if not victims:
            raise self._too_big(m, size, "its operands together with")
        for k in victims:
            self._evict(m, k, t_room)
        t_room, missing = mem.room_at(m, t, size)
        assert missing == 0, "evictions freed too little"
        return t_room

    def _too_big(self, m: int, size: int, what: str) -> InfeasibleError:
        g = self.ctx.graph
        where = "weight prefetch"
        if self.cur >= 0:
            layer = g.layers[int(g.layer[self.cur])]
            core = self.ctx.acc.cores[self.cur_core].name
            where = f"CN {self.cur} (layer {layer!r} tile {int(g.tile[self.cur])}) on core {core!r}"
        return InfeasibleError(
            f"{where}: memory {self.ctx.mem_names[m]!r} ({self.mem.capacity[m]} bits) "
            f"cannot hold {what} {size} bits"
        )

    def _evict(self, m: int, key: int, t: int) -> None:
        entry = self.mem.resident[m][key]
        free = max(t, entry[BUSY])
        if not self._has_dram_copy(key):
            core = self.ctx.mem_cores[m][0]
            t0 = max(t, entry[AVAIL])
            route = self.ctx.dram_write[core]
            _, e = self.move(_EVICTION, key, core, DRAM_ENDPOINT, route, entry[SIZE], t0)
            self.in_dram[key] = e
            free = max(free, e)
        self.left[key * self.n_mem + m] = entry[USES]
        entry[BUSY] = free
        self.mem.release(m, key, free)

    def discharge(self, m: int, key: int, t: int) -> None:
        """One use of ``key`` on m is done (at cycle t, or NO_TIME); release after the last."""
        entry = self.resident[m].get(key)
        if entry is not None:
            if t > entry[BUSY]:
                entry[BUSY] = t
            entry[USES] -= 1
            if entry[USES] <= 0:
                self.mem.release(m, key, entry[BUSY])
            return
        lk = key * self.n_mem + m
        u = self.left.get(lk)
        if u is not None:
            if u <= 1:
                del self.left[lk]
            else:
                self.left[lk] = u - 1

    def fetch(self, key: int, m: int, core: int, bits: int, uses: int, kind: int) -> int:
        """Bring a tensor with a DRAM copy into memory m of ``core``; its arrival cycle."""
        lk = key * self.n_mem + m
        if lk in self.fetched:
            kind = _REFETCH
            uses = self.left.pop(lk, uses)
        self.fetched.add(lk)
        t0 = self.dram_time(key)
        assert t0 is not None, "a fetched tensor must have a DRAM copy"
        route = self.ctx.dram_read[core]
        return self._bring(kind, key, DRAM_ENDPOINT, core, route, bits, t0, m, uses)

    def _bring(
        self,
        kind: int,
        key: int,
        src: int,
        dst: int,
        route: RouteInfo,
        bits: int,
        t0: int,
        m: int,
        uses: int,
    ) -> int:
        if self.horizon > t0:
            t0 = self.horizon
        if self.broadcast and route.resources and key in self.last_tr:
            j = self._try_broadcast(kind, key, src, dst, route, bits, t0, m)
            if j is not None:
                row = self.log.rows[j]
                self.mem.allocate(m, key, bits, row[START], row[END], uses)
                return row[END]
        steps = self.mem.steps[m]
        if steps.peak <= self.mem.capacity[m] - bits:  # Engine.room's first answer, inlined
            t = t0 if t0 > steps.base else steps.base
        else:
            t = self.room(m, t0, bits)
        s, e = self.move(kind, key, src, dst, route, bits, t, self.ctx.mem_local_bw_bits[m])
        self.mem.steps[m].add(s, bits)  # MemoryBook.allocate, inlined
        self.resident[m][key] = [bits, e, e, uses]
        return e

    def copy_output(
        self, p: int, home: int, src_core: int, m: int, core: int, bits: int, uses: int
    ) -> int:
        """Bring CN output p to memory m of ``core`` from its home copy or from DRAM."""
        lk = p * self.n_mem + m
        if lk in self.left:
            uses = self.left.pop(lk)
        entry = self.mem.resident[home].get(p) if home >= 0 else None
        if entry is not None:
            route = self.c2c[src_core][core] or self.ctx.c2c[(src_core, core)]
            e = self._bring(_C2C, p, src_core, core, route, bits, entry[AVAIL], m, uses)
            # one use of the home copy done (Engine.discharge; m != home, so it is still there)
            if e > entry[BUSY]:
                entry[BUSY] = e
            entry[USES] -= 1
            if entry[USES] <= 0:  # MemoryBook.release, inlined
                del self.resident[home][p]
                self.mem.steps[home].add(entry[BUSY], -entry[SIZE])
            return e
        self.fetched.add(lk)
        if home >= 0:
            self.discharge(home, p, NO_TIME)
        t0 = self.dram_time(p)
        assert t0 is not None, "an evicted output must have been written back"
        route = self.ctx.dram_read[core]
        return self._bring(_REFETCH, p, DRAM_ENDPOINT, core, route, bits, t0, m, uses)

    def to_dram(self, kind: int, p: int, home: int, core: int, t0: int) -> int:
        """Make sure CN output p has a DRAM copy; the cycle it is complete."""
        t = self.in_dram.get(p)
        if t is not None:
            return t
        entry = self.mem.resident[home][p]
        route = self.ctx.dram_write[core]
        _, e = self.move(kind, p, core, DRAM_ENDPOINT, route, entry[SIZE], max(t0, entry[AVAIL]))
        self.in_dram[p] = e
        return e

    def stream(self, cn: int, core: int, t: int, lat: int, mask: int, bw: float) -> tuple[int, int]:
        """Hold DRAM bandwidth for streamed operands of a CN; (start, duration).

        Inputs stream over the DRAM-read route, outputs over the DRAM-write route (bandwidth
        split evenly when both do). If the routes cannot supply it, the CN is stretched.
        """
        dirs: list[tuple[RouteInfo, int, int, int]] = []
        if mask & 3:
            dirs.append((self.ctx.dram_read[core], _DRAM_INPUT, DRAM_ENDPOINT, core))
        if mask & 4:
            dirs.append((self.ctx.dram_write[core], _CN_OUTPUT, core, DRAM_ENDPOINT))
        if bw <= 0:
            return t, lat
        share = bw / len(dirs)
        demand: dict[int, float] = {}
        for route, *_ in dirs:
            for r in route.resources:
                demand[r] = demand.get(r, 0.0) + share
        cap = self.book.capacity
        scale = min([1.0] + [cap[r] / d for r, d in demand.items()])
        dur = ceil_div(lat, scale) if scale < 1.0 else lat
        need = [(r, d * scale) for r, d in demand.items()]
        s = self.book.earliest(need, t, dur)
        self.book.reserve(need, s, s + dur)
        for route, tkind, src, dst in dirs:
            bits = round(share * lat)
            self.log.add(
                TransferKind.STREAM,
                tkind,
                cn,
                src,
                dst,
                s,
                s + dur,
                bits,
                share * scale,
                route.resources,
            )
            self.energy.link_pj += bits * route.pj_per_bit
        return s, dur

    def timelines(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [self.mem.timeline(m) for m in range(self.n_mem)]


__all__ = ["AVAIL", "BUSY", "NO_TIME", "SIZE", "USES", "Energy", "Engine"]
