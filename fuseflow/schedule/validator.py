"""An independent check of a Schedule: timing, one CN per core, bandwidth, memory, energy.

It reads only the inputs (graph, accelerator, costs) and the Schedule, and shares no code with
the scheduler, so a scheduler bug shows up as a violation instead of being repeated here.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.table import CostTable
from fuseflow.hardware.model import Accelerator
from fuseflow.hardware.topology import Topology, build_topology
from fuseflow.schedule.types import Schedule, TensorKind, TransferKind
from fuseflow.tiling.graph import CNGraph

MAX_PER_CHECK = 10
REL_TOL = 1e-6


def validate_schedule(
    graph: CNGraph,
    acc: Accelerator,
    costs: CostTable,
    sched: Schedule,
    *,
    topology: Topology | None = None,
) -> list[str]:
    """Every violation found, as one human-readable line each (empty list = valid)."""
    topo = topology if topology is not None else build_topology(acc)
    shape_errors = _check_shapes(graph, sched)
    if shape_errors:
        return shape_errors
    view = _View(graph, acc, costs, sched)
    out: list[str] = []
    for check in (
        _check_cores,
        _check_timing,
        _check_arrivals,
        _check_streams,
        _check_transfers,
        _check_memory,
        _check_energy,
    ):
        found = check(view, topo)
        out += found[:MAX_PER_CHECK]
        if len(found) > MAX_PER_CHECK:
            out.append(f"... and {len(found) - MAX_PER_CHECK} more like the above")
    return out


def _check_shapes(graph: CNGraph, s: Schedule) -> list[str]:
    out = [
        f"{name} has {len(arr)} entries for {graph.n} CNs"
        for name, arr in (("cn_core", s.cn_core), ("cn_start", s.cn_start), ("cn_end", s.cn_end))
        if len(arr) != graph.n
    ]
    nt = s.n_transfers
    for name in ("tr_tensor_kind", "tr_tensor", "tr_src", "tr_dst", "tr_start", "tr_end"):
        if len(getattr(s, name)) != nt:
            out.append(f"{name} has {len(getattr(s, name))} entries for {nt} transfers")
    if len(s.tr_res_ptr) != nt + 1 or (nt and s.tr_res_ptr[-1] != len(s.tr_res)):
        out.append("tr_res_ptr does not index tr_res")
    return out


class _View:
    """The inputs re-derived for checking: cores, costs and memory instances per CN."""

    def __init__(self, g: CNGraph, acc: Accelerator, costs: CostTable, s: Schedule) -> None:
        self.g, self.acc, self.costs, self.s = g, acc, costs, s
        self.names = acc.core_names
        self.core = s.cn_core.astype(np.int64)
        n_cores = len(acc.cores)
        self.valid_core = (self.core >= 0) & (self.core < n_cores)
        self.streamed: list[frozenset[str]] = []
        self.cost_ok = np.zeros(g.n, dtype=bool)
        self.lat = np.zeros(g.n, dtype=np.int64)
        self.energy = np.zeros(g.n)
        self.mac = np.zeros(g.n)
        self.dram = np.zeros(g.n)
        for i in range(g.n):
            r = costs.results.get((int(g.shape[i]), int(self.core[i])))
            self.streamed.append(frozenset(r.streamed_operands) if r else frozenset())
            if r is not None:
                self.cost_ok[i] = True
                self.lat[i], self.energy[i] = r.latency_cycles, r.energy_pj
                self.mac[i], self.dram[i] = r.mac_energy_pj, r.dram_energy_pj
        self._mem_names: dict[tuple[int, str], str] = {}  # asked per CN, edge and transfer
        self.dram_bw = {
            (s_, c): r.dram_bw_bits for (s_, c), r in costs.results.items() if r.dram_bw_bits > 0
        }

    def mem(self, core: int, role: str) -> str:
        key = (core, role)
        name = self._mem_names.get(key)
        if name is None:
            if not self.acc.cores[core].hierarchy(role):  # type: ignore[arg-type]
                role = "I"  # a core without that operand (pooling: no W) takes activations in I's
            name = self.acc.memory_instance(self.names[core], role)  # type: ignore[arg-type]
            self._mem_names[key] = name
        return name

    def cn(self, i: int) -> str:
        g = self.g
        return f"CN {i} (layer {g.layers[int(g.layer[i])]!r} tile {int(g.tile[i])})"

    def capacity(self, name: str) -> int | None:
        for core in self.acc.cores:
            for role in ("I", "W", "O"):
                if core.hierarchy(role) and self.mem(self.acc.core_index[core.name], role) == name:
                    level = core.top_memory(role)
                    return level.size_bits * core.instances(level)
        return None


def _check_cores(v: _View, topo: Topology) -> list[str]:
    g, out = v.g, []
    for i in np.flatnonzero(~v.valid_core).tolist():
        out.append(f"{v.cn(i)} is on core index {v.core[i]}, which does not exist")
    for i in range(g.n):
        if not v.valid_core[i]:
            continue
        grp = int(g.group[i])
        if int(v.core[i]) not in g.group_cores[grp]:
            out.append(f"{v.cn(i)} runs on {v.names[v.core[i]]!r}, not an allowed core")
        elif g.group_fixed[grp] >= 0 and g.group_fixed[grp] != v.core[i]:
            out.append(f"{v.cn(i)} runs on {v.names[v.core[i]]!r}, its group is fixed elsewhere")
        if not v.cost_ok[i]:
            out.append(f"{v.cn(i)} has no cost on core {v.names[v.core[i]]!r}")
    by_group: dict[int, set[int]] = defaultdict(set)
    for grp, c in zip(g.group.tolist(), v.core.tolist(), strict=True):
        by_group[grp].add(c)
    split = [(k, sorted(cs)) for k, cs in by_group.items() if len(cs) > 1]
    out += [f"group {k} is split over cores {cs}" for k, cs in split]
    return out


def _check_timing(v: _View, topo: Topology) -> list[str]:
    g, s, out = v.g, v.s, []
    start, end = s.cn_start, s.cn_end
    for i in np.flatnonzero(start < 0).tolist():
        out.append(f"{v.cn(i)} starts at negative cycle {start[i]}")
    short = np.flatnonzero(v.cost_ok & (end - start < v.lat))
    out += [f"{v.cn(i)} lasts {end[i] - start[i]} < its latency {v.lat[i]}" for i in short.tolist()]
    late = np.flatnonzero(start[g.edge_dst] < end[g.edge_src])
    for e in late.tolist():
        a, b = int(g.edge_src[e]), int(g.edge_dst[e])
        out.append(f"{v.cn(b)} starts at {start[b]} before predecessor {v.cn(a)} ends at {end[a]}")
    order = np.lexsort((start, v.core))
    same = v.core[order][1:] == v.core[order][:-1]
    overlap = np.flatnonzero(same & (start[order][1:] < end[order][:-1]))
    for k in overlap.tolist():
        a, b = int(order[k]), int(order[k + 1])
        out.append(f"{v.cn(a)} and {v.cn(b)} overlap on core {v.names[v.core[a]]!r}")
    latest = max(int(end.max(initial=0)), int(s.tr_end.max(initial=0)))
    if s.latency_cycles < latest:
        out.append(f"latency {s.latency_cycles} is before the last event at {latest}")
    return out


def _arrivals(v: _View) -> dict[tuple[int, int, str], int]:
    """Earliest end of a transfer of (tensor kind, tensor) into each memory instance."""
    s = v.s
    first: dict[tuple[int, int, str], int] = {}
    inbound = np.flatnonzero((s.tr_dst >= 0) & (s.tr_kind != TransferKind.STREAM))
    for t in inbound.tolist():
        kind, tensor, dst = int(s.tr_tensor_kind[t]), int(s.tr_tensor[t]), int(s.tr_dst[t])
        roles = ("W",) if kind == TensorKind.WEIGHT else ("I",) if kind else ("I", "W")
        for mem in {v.mem(dst, r) for r in roles}:
            key = (kind, tensor, mem)
            first[key] = min(first.get(key, 1 << 62), int(s.tr_end[t]))
    return first


def _check_arrivals(v: _View, topo: Topology) -> list[str]:
    """Data from elsewhere (other memory, DRAM) arrives before the CN that reads it starts."""
    g, s, out = v.g, v.s, []
    first = _arrivals(v)

    def need(kind: int, tensor: int, cn: int, role: str, what: str) -> None:
        mem = v.mem(int(v.core[cn]), role)
        got = first.get((kind, tensor, mem))
        if got is None:
            out.append(f"{v.cn(cn)} reads {what} but it is never brought to {mem!r}")
        elif got > s.cn_start[cn]:
            out.append(f"{v.cn(cn)} starts at {s.cn_start[cn]} before {what} arrives at {got}")

    data = np.flatnonzero((g.edge_role >= 0) & (g.edge_bits > 0) & v.valid_core[g.edge_dst])
    for e in data.tolist():
        p, c = int(g.edge_src[e]), int(g.edge_dst[e])
        role = "I" if g.edge_role[e] == 0 else "W"
        if role in v.streamed[c] or not v.valid_core[p]:
            continue
        if "O" in v.streamed[p] or v.mem(int(v.core[p]), "O") != v.mem(int(v.core[c]), role):
            need(TensorKind.CN_OUTPUT, p, c, role, f"the output of {v.cn(p)}")
    for c in np.flatnonzero((g.weight >= 0) & v.valid_core).tolist():
        if "W" not in v.streamed[c]:
            need(TensorKind.WEIGHT, int(g.weight[c]), c, "W", f"weight {int(g.weight[c])}")
    for c in np.flatnonzero((g.dram_input_bits > 0) & v.valid_core).tolist():
        if "I" not in v.streamed[c]:
            need(TensorKind.DRAM_INPUT, c, c, "I", "its DRAM input")
    produced = np.flatnonzero(
        (s.tr_tensor_kind == TensorKind.CN_OUTPUT) & (s.tr_kind != TransferKind.STREAM)
    )
    early = produced[s.tr_start[produced] < s.cn_end[s.tr_tensor[produced]]]
    for t in early.tolist():
        p = int(s.tr_tensor[t])
        out.append(f"transfer {t} moves the output of {v.cn(p)} before it is produced")
    return out


def _check_streams(v: _View, topo: Topology) -> list[str]:
    """Streamed operands hold DRAM bandwidth for the whole CN; outputs reach DRAM."""
    g, s, out = v.g, v.s, []
    streams: dict[int, list[int]] = defaultdict(list)
    for t in np.flatnonzero(s.tr_kind == TransferKind.STREAM).tolist():
        streams[int(s.tr_tensor[t])].append(t)
    for i in range(g.n):
        if not v.streamed[i] or v.dram_bw.get((int(g.shape[i]), int(v.core[i])), 0) <= 0:
            continue
        if not any(
            s.tr_start[t] <= s.cn_start[i] and s.tr_end[t] >= s.cn_end[i] for t in streams[i]
        ):
            out.append(f"{v.cn(i)} streams {sorted(v.streamed[i])} without DRAM bandwidth held")
    wb = s.tr_kind == TransferKind.OUTPUT_WRITEBACK
    written = set(s.tr_tensor[wb & (s.tr_tensor_kind == TensorKind.CN_OUTPUT)].tolist())
    for i in np.flatnonzero(g.graph_output).tolist():
        if "O" not in v.streamed[i] and i not in written:
            out.append(f"{v.cn(i)} produces a network output that is never written to DRAM")
    return out


def _check_transfers(v: _View, topo: Topology) -> list[str]:
    """Each transfer fits its bandwidth; per resource, bandwidths in use never exceed it."""
    s, out = v.s, []
    n_res = len(topo.resources)
    dur = s.tr_end - s.tr_start
    for t in np.flatnonzero((dur < 0) | (s.tr_start < 0)).tolist():
        out.append(f"transfer {t} runs from {s.tr_start[t]} to {s.tr_end[t]}")
    slow = np.flatnonzero(s.tr_bits > s.tr_bw_bits * np.maximum(dur, 0) + 1)
    out += [f"transfer {t}: {s.tr_bits[t]} bits cannot move in {dur[t]} cycles" for t in slow]
    res = s.tr_res.astype(np.int64)
    owner = np.repeat(np.arange(s.n_transfers), np.diff(s.tr_res_ptr))
    bad = (res < 0) | (res >= n_res)
    out += [f"transfer {owner[k]} uses unknown resource {res[k]}" for k in np.flatnonzero(bad)]
    out += _check_routes(v, topo, res, bad)
    for r in range(n_res):
        ts = owner[res == r]
        if ts.size == 0:
            continue
        times = np.concatenate([s.tr_start[ts], s.tr_end[ts]])
        delta = np.concatenate([s.tr_bw_bits[ts], -s.tr_bw_bits[ts]])
        order = np.lexsort((delta, times))
        level = np.cumsum(delta[order])
        cap = topo.resources[r].bandwidth_bits
        over = np.flatnonzero(level > cap * (1 + REL_TOL) + 1e-9)
        if over.size:
            k = int(over[0])
            out.append(
                f"resource {topo.resources[r].name!r}: {level[k]:.6g} bits/cycle in use at "
                f"cycle {times[order][k]} exceeds its bandwidth {cap}"
            )
    return out


def _check_routes(
    v: _View, topo: Topology, res: NDArray[np.int64], bad: NDArray[np.bool_]
) -> list[str]:
    """Each transfer holds the resources of the route between its ends (as a set), or rides
    on a transfer of the same tensor at the same time whose resources cover that route."""
    s = v.s
    out: list[str] = []
    if bad.any():
        return out  # unknown resources are reported already
    ptr = s.tr_res_ptr.tolist()
    carriers: dict[tuple[int, int, int, int, int], set[int]] = defaultdict(set)
    used: list[set[int]] = []
    for t in range(s.n_transfers):
        held = set(res[ptr[t] : ptr[t + 1]].tolist())
        used.append(held)
        key = (int(s.tr_tensor_kind[t]), int(s.tr_tensor[t]), int(s.tr_src[t]))
        carriers[(*key, int(s.tr_start[t]), int(s.tr_end[t]))] |= held
    n_cores = len(v.acc.cores)
    for t in range(s.n_transfers):
        a, b = int(s.tr_src[t]), int(s.tr_dst[t])
        if not (-1 <= a < n_cores and -1 <= b < n_cores) or a == b == -1:
            out.append(f"transfer {t} runs between unknown endpoints {a} -> {b}")
            continue
        if a == -1:
            want = set(topo.dram_reads[b].resources)
        elif b == -1:
            want = set(topo.dram_writes[a].resources)
        else:
            want = set(topo.routes[(a, b)].resources)
        if used[t] == want or (a == b and not used[t]):
            continue
        key = (int(s.tr_tensor_kind[t]), int(s.tr_tensor[t]), a)
        if not used[t] and want <= carriers[(*key, int(s.tr_start[t]), int(s.tr_end[t]))]:
            continue  # received from a broadcast on the way
        names = sorted(topo.resources[r].name for r in used[t])
        out.append(
            f"transfer {t} ({v.names[a] if a >= 0 else 'DRAM'} -> "
            f"{v.names[b] if b >= 0 else 'DRAM'}) holds {names}, not its route"
        )
    return out


def _check_memory(v: _View, topo: Topology) -> list[str]:
    """Timelines stay within capacity and above the occupancy implied by CNs and transfers."""
    out = []
    lower = _occupancy_lower_bound(v)
    for tl in v.s.memories:
        cap = v.capacity(tl.name)
        if cap is None:
            out.append(f"memory timeline {tl.name!r} names no memory of the accelerator")
        elif cap != tl.capacity_bits:
            out.append(f"memory {tl.name!r}: capacity {tl.capacity_bits}, hardware says {cap}")
        if np.any(np.diff(tl.times) < 0):
            out.append(f"memory {tl.name!r}: timeline times go backwards")
        limit = tl.capacity_bits if cap is None else cap
        for k in np.flatnonzero((tl.usage_bits > limit) | (tl.usage_bits < 0))[:1].tolist():
            out.append(
                f"memory {tl.name!r}: {tl.usage_bits[k]} bits at cycle {tl.times[k]} "
                f"(capacity {limit})"
            )
        times, need = lower.pop(tl.name, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        if times.size:
            idx = np.searchsorted(tl.times, times, side="right") - 1
            shown = np.where(idx >= 0, tl.usage_bits[np.maximum(idx, 0)], 0)
            bad = np.flatnonzero(need > shown)
            if bad.size:
                k = int(bad[0])
                out.append(
                    f"memory {tl.name!r}: at cycle {times[k]} at least {need[k]} bits are "
                    f"resident but the timeline shows {shown[k]}"
                )
    for name, (_, need) in lower.items():
        cap = v.capacity(name)
        if cap is not None and need.size and need.max() > cap:
            out.append(f"memory {name!r}: at least {need.max()} bits resident (capacity {cap})")
    return out


def _occupancy_lower_bound(v: _View) -> dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Per memory, bits that must be resident: operands of running CNs, data in flight."""
    g, s = v.g, v.s
    spans: dict[tuple[str, int, int], list[tuple[int, int, int]]] = defaultdict(list)

    def hold(mem: str, kind: int, tensor: int, a: int, b: int, bits: int) -> None:
        if b > a and bits > 0:
            spans[(mem, kind, tensor)].append((a, b, bits))

    start, end = s.cn_start.tolist(), s.cn_end.tolist()
    for i in np.flatnonzero(v.valid_core).tolist():
        c = int(v.core[i])
        if "O" not in v.streamed[i]:
            hold(v.mem(c, "O"), 0, i, start[i], end[i], int(g.output_bits[i]))
        w = int(g.weight[i])
        if w >= 0 and "W" not in v.streamed[i]:
            hold(v.mem(c, "W"), 1, w, start[i], end[i], int(g.weight_bits[w]))
        if g.dram_input_bits[i] > 0 and "I" not in v.streamed[i]:
            hold(v.mem(c, "I"), 2, i, start[i], end[i], int(g.dram_input_bits[i]))
    data = np.flatnonzero((g.edge_role >= 0) & (g.edge_bits > 0))
    for e in data.tolist():
        p, c = int(g.edge_src[e]), int(g.edge_dst[e])
        role = "I" if g.edge_role[e] == 0 else "W"
        if v.valid_core[c] and role not in v.streamed[c]:
            bits = min(int(g.edge_bits[e]), int(g.output_bits[p]))
            hold(v.mem(int(v.core[c]), role), 0, p, start[c], end[c], bits)
    for t in np.flatnonzero((s.tr_dst >= 0) & (s.tr_kind != TransferKind.STREAM)).tolist():
        kind, dst = int(s.tr_tensor_kind[t]), int(s.tr_dst[t])
        roles = {v.mem(dst, "W")} if kind == TensorKind.WEIGHT else {v.mem(dst, "I")}
        if kind == TensorKind.CN_OUTPUT and v.mem(dst, "W") != v.mem(dst, "I"):
            continue  # which of the two memories receives it is not recorded
        hold(
            roles.pop(),
            kind,
            int(s.tr_tensor[t]),
            int(s.tr_start[t]),
            int(s.tr_end[t]),
            int(s.tr_bits[t]),
        )
    return _sweep(spans)


def _sweep(
    spans: dict[tuple[str, int, int], list[tuple[int, int, int]]],
) -> dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Union the spans of each tensor per memory, then total bits resident per change time."""
    events: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (mem, _, _), items in spans.items():
        items.sort()
        a, b, bits = items[0]
        for a2, b2, bits2 in items[1:]:
            if a2 <= b:
                b, bits = max(b, b2), max(bits, bits2)
            else:
                events[mem] += [(a, bits), (b, -bits)]
                a, b, bits = a2, b2, bits2
        events[mem] += [(a, bits), (b, -bits)]
    out = {}
    for mem, ev in events.items():
        arr = np.asarray(ev, dtype=np.int64)
        order = np.argsort(arr[:, 0], kind="stable")
        times, level = arr[order, 0], np.cumsum(arr[order, 1])
        last = np.r_[times[1:] != times[:-1], True]  # level after all changes at that time
        out[mem] = (times[last], level[last])
    return out


def _check_energy(v: _View, topo: Topology) -> list[str]:
    """Parts sum to the total and match what the costs and the transfers imply."""
    s, e, acc, out = v.s, v.s.energy, v.acc, []
    parts = {
        "mac_pj": e.mac_pj,
        "onchip_memory_pj": e.onchip_memory_pj,
        "streamed_dram_pj": e.streamed_dram_pj,
        "dram_fetch_pj": e.dram_fetch_pj,
        "link_pj": e.link_pj,
        "eviction_pj": e.eviction_pj,
        "output_writeback_pj": e.output_writeback_pj,
    }
    if not np.isclose(sum(parts.values()), s.energy_pj, rtol=REL_TOL):
        out.append(f"energy parts sum to {sum(parts.values())} but the total is {s.energy_pj}")
    per_bit = np.asarray([r.energy_pj_per_bit for r in topo.resources] + [0.0])
    res = np.where((s.tr_res >= 0) & (s.tr_res < len(topo.resources)), s.tr_res, -1)
    owner = np.repeat(np.arange(s.n_transfers), np.diff(s.tr_res_ptr))
    moved = s.tr_res_ptr[1:] > s.tr_res_ptr[:-1]  # rows without resources share another's bits
    bits = s.tr_bits.astype(np.float64)
    fetch = (
        np.isin(
            s.tr_kind, [TransferKind.WEIGHT_FETCH, TransferKind.INPUT_FETCH, TransferKind.REFETCH]
        )
        & moved
    )
    rd, wr = acc.dram.read_pj_per_bit, acc.dram.write_pj_per_bit
    expect = {
        "mac_pj": v.mac.sum(),
        "onchip_memory_pj": v.energy.sum() - v.mac.sum() - v.dram.sum(),
        "streamed_dram_pj": v.dram.sum(),
        "dram_fetch_pj": bits[fetch].sum() * rd,
        "link_pj": float((bits[owner] * per_bit[res]).sum()),
        "eviction_pj": bits[(s.tr_kind == TransferKind.EVICTION) & moved].sum() * wr,
        "output_writeback_pj": bits[(s.tr_kind == TransferKind.OUTPUT_WRITEBACK) & moved].sum()
        * wr,
    }
    for name, want in expect.items():
        if not np.isclose(parts[name], want, rtol=REL_TOL, atol=1e-6):
            out.append(f"energy {name} is {parts[name]:.6g} but the inputs imply {want:.6g}")
    if not np.allclose(s.cn_energy_pj, v.energy, rtol=REL_TOL):
        out.append("per-CN energies differ from the cost table")
    return out
