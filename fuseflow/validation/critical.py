"""What a schedule's latency is made of: a backward walk along its critical path."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from fuseflow.cost.table import CostTable
from fuseflow.schedule.types import DRAM_ENDPOINT, Schedule, TensorKind
from fuseflow.tiling.graph import CNGraph

CATEGORIES = ("compute", "memory_stall", "dram", "links", "waiting")


@dataclass(frozen=True)
class CriticalPath:
    """Cycles of the critical path by cause; the parts sum to the latency.

    ``compute``: ideal MAC cycles of the CNs on the path; ``memory_stall``: their in-CN memory
    port stalls and on/off-loading (cost model); ``dram``: DRAM transfers the path waits for
    (fetches, write-backs, streaming stretch, waiting for a busy port); ``links``: core-to-core
    transfers; ``waiting``: time no event explains (memory space, scheduling order).
    """

    cycles: dict[str, int]
    cns: int  # CNs on the path
    transfers: int  # transfers on the path
    core_cycles: dict[str, int]  # CN time on the path per core (cores in accelerator order)

    @property
    def dominant(self) -> str:
        return max(CATEGORIES, key=lambda k: self.cycles[k])


def critical_path(graph: CNGraph, costs: CostTable, sched: Schedule) -> CriticalPath:
    """Walk back from the event that ends last; at each CN step to whatever it waited for last.

    A CN waits for the latest of: its predecessors, the previous CN on its core, the transfers
    that bring its operands and (for space) the last transfer out of its core. A transfer waits
    for the CN that produced its data, else for the latest CN on its destination core or
    transfer on its destination core or resources that ended before it started.
    """
    walk = _Walk(graph, costs, sched)
    return walk.run()


class _Walk:
    def __init__(self, graph: CNGraph, costs: CostTable, s: Schedule) -> None:
        self.g, self.costs, self.s = graph, costs, s
        self.parts: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
        self.n_cns = self.n_tr = 0
        self.on_core = [0] * len(costs.core_names)
        self.seen: set[tuple[str, int]] = set()
        self.feeding: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.on_resource: dict[int, list[int]] = defaultdict(list)
        self.outbound = {}  # core -> (transfers leaving it by end time, their end times)
        for c in np.unique(s.tr_src[s.tr_src >= 0]).tolist():
            trs = np.flatnonzero(s.tr_src == c)
            trs = trs[np.argsort(s.tr_end[trs], kind="stable")]
            self.outbound[c] = (trs, s.tr_end[trs])
        self.by_end = {}  # core -> (its CNs by end time, their end times)
        for c in np.unique(s.cn_core).tolist():
            cns = np.flatnonzero(s.cn_core == c)
            cns = cns[np.argsort(s.cn_end[cns], kind="stable")]
            self.by_end[c] = (cns, s.cn_end[cns])
        for i in range(s.n_transfers):
            self.feeding[(int(s.tr_tensor_kind[i]), int(s.tr_tensor[i]))].append(i)
            for r in s.tr_res[s.tr_res_ptr[i] : s.tr_res_ptr[i + 1]].tolist():
                self.on_resource[r].append(i)

    def run(self) -> CriticalPath:
        s = self.s
        t = s.latency_cycles
        node = self._last_event(t)
        while node is not None and t > 0:
            kind, i = node
            self.seen.add(node)
            end = int(s.cn_end[i] if kind == "cn" else s.tr_end[i])
            self.parts["waiting"] += t - end
            t, node = self._cn(i) if kind == "cn" else self._transfer(i)
        self.parts["waiting"] += max(t, 0)
        names = self.costs.core_names
        per_core = {names[c]: n for c, n in enumerate(self.on_core) if n}
        return CriticalPath(dict(self.parts), self.n_cns, self.n_tr, per_core)

    def _last_event(self, t: int) -> tuple[str, int] | None:
        s = self.s
        cands: list[tuple[int, int, str, int]] = []
        if s.cn_end.size:
            c = int(np.argmax(s.cn_end))
            cands.append((int(s.cn_end[c]), 1, "cn", c))
        if s.n_transfers:
            i = int(np.argmax(s.tr_end))
            cands.append((int(s.tr_end[i]), 0, "tr", i))
        cands = [x for x in cands if x[0] <= t]
        return (max(cands)[2], max(cands)[3]) if cands else None

    def _cn(self, cn: int) -> tuple[int, tuple[str, int] | None]:
        s, g = self.s, self.g
        self.n_cns += 1
        core = int(s.cn_core[cn])
        r = self.costs.get(int(g.shape[cn]), core)
        start, dur = int(s.cn_start[cn]), int(s.cn_end[cn] - s.cn_start[cn])
        self.on_core[core] += dur
        inside = min(dur, r.latency_cycles)
        ideal = min(inside, r.ideal_cycles)
        self.parts["compute"] += ideal
        self.parts["memory_stall"] += inside - ideal
        self.parts["dram"] += dur - inside  # stretched by streaming DRAM bandwidth
        cands: list[tuple[int, int, str, int]] = []
        for p in g.predecessors(cn).tolist():
            cands.append((int(s.cn_end[p]), 2, "cn", p))
        keys = [(int(TensorKind.DRAM_INPUT), cn)]
        keys += [(int(TensorKind.CN_OUTPUT), p) for p in g.predecessors(cn).tolist()]
        if g.weight[cn] >= 0:
            keys.append((int(TensorKind.WEIGHT), int(g.weight[cn])))
        for key in keys:
            for i in self.feeding.get(key, ()):
                if int(s.tr_dst[i]) == core:
                    cands.append((int(s.tr_end[i]), 1, "tr", i))
        prev = self._previous_cn(core, start)
        if prev is not None:
            cands.append((int(s.cn_end[prev]), 3, "cn", prev))
        # data leaving the core frees its memory: a CN that waited for space waited for that
        out = self.outbound.get(core)
        if out is not None:
            k = int(np.searchsorted(out[1], start, side="right"))
            if k:
                cands.append((int(out[1][k - 1]), 0, "tr", int(out[0][k - 1])))
        return start, self._latest(cands, start)

    def _transfer(self, i: int) -> tuple[int, tuple[str, int] | None]:
        s = self.s
        self.n_tr += 1
        start = int(s.tr_start[i])
        dram = DRAM_ENDPOINT in (int(s.tr_src[i]), int(s.tr_dst[i]))
        cat = "dram" if dram else "links"
        self.parts[cat] += int(s.tr_end[i]) - start
        if int(s.tr_tensor_kind[i]) == TensorKind.CN_OUTPUT:
            src = int(s.tr_tensor[i])
            # the gap between the data being ready and the transfer starting: a busy port/link
            self.parts[cat] += start - int(s.cn_end[src])
            return int(s.cn_end[src]), ("cn", src)
        core = int(s.tr_dst[i])
        cands: list[tuple[int, int, str, int]] = []
        prev = self._previous_cn(core, start)
        if prev is not None:
            cands.append((int(s.cn_end[prev]), 1, "cn", prev))
        # or the transfer before it on its destination core or on a port/link it uses
        near = np.flatnonzero(s.tr_dst == core).tolist()
        for r in s.tr_res[s.tr_res_ptr[i] : s.tr_res_ptr[i + 1]].tolist():
            near += self.on_resource[r]
        before = np.asarray(near, dtype=np.int64)
        before = before[s.tr_end[before] <= start]
        if before.size:
            j = int(before[np.argmax(s.tr_end[before])])
            cands.append((int(s.tr_end[j]), 0, "tr", j))
        return start, self._latest(cands, start)

    def _latest(self, cands: list[tuple[int, int, str, int]], t: int) -> tuple[str, int] | None:
        """The candidate not yet walked that ended last (ties: higher rank) at or before ``t``."""
        ok = [c for c in cands if c[0] <= t and (c[2], c[3]) not in self.seen]
        if not ok:
            return None
        best = max(ok)
        return best[2], best[3]

    def _previous_cn(self, core: int, t: int) -> int | None:
        order, ends = self.by_end[core]
        k = int(np.searchsorted(ends, t, side="right"))
        return int(order[k - 1]) if k else None
