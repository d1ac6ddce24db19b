"""Bandwidth reservations over time on the interconnect resources (links, buses, DRAM ports)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

EPS = 1e-9


class ResourceBook:
    """Per resource, the bandwidth in use as a step function over time.

    ``times[r][i]`` starts a segment where ``used[r][i]`` bits/cycle are reserved; the last
    segment runs to infinity. Adjacent equal segments are merged so that back-to-back transfers
    at full bandwidth stay one segment (keeps window searches short on saturated resources).
    A reservation may land in any earlier idle window (back-filling).
    """

    __slots__ = ("capacity", "times", "used")

    def __init__(self, capacity_bits: Sequence[float]) -> None:
        self.capacity = [float(c) for c in capacity_bits]
        self.times: list[list[int]] = [[0] for _ in capacity_bits]
        self.used: list[list[float]] = [[0.0] for _ in capacity_bits]

    def used_at(self, r: int, t: int) -> float:
        times = self.times[r]
        return self.used[r][bisect_right(times, t) - 1]

    def earliest_on(self, r: int, t0: int, bw: float, dur: int) -> int:
        """Earliest start >= t0 of a window of ``dur`` cycles with ``bw`` free on resource r."""
        times, used = self.times[r], self.used[r]
        limit = self.capacity[r] + EPS - bw
        n = len(times)
        i = bisect_right(times, t0) - 1
        s = t0
        while True:
            if used[i] > limit:
                i += 1
                s = times[i]  # the last segment is never over the limit for bw <= capacity
                continue
            if i + 1 >= n or times[i + 1] - s >= dur:
                return s
            i += 1

    def earliest(self, demand: Sequence[tuple[int, float]], t0: int, dur: int) -> int:
        """Earliest start >= t0 where every (resource, bw) of ``demand`` fits for ``dur``."""
        if dur <= 0 or not demand:
            return t0
        if len(demand) == 1:  # one resource: its earliest window is a fixed point already
            r, bw = demand[0]
            return self.earliest_on(r, t0, bw, dur)
        s = t0
        stable = False
        while not stable:
            stable = True
            for r, bw in demand:
                s2 = self.earliest_on(r, s, bw, dur)
                if s2 != s:
                    s = s2
                    stable = False
        return s

    def reserve(self, demand: Sequence[tuple[int, float]], start: int, end: int) -> None:
        if end <= start:
            return
        for r, bw in demand:
            self.reserve_on(r, bw, start, end)

    def reserve_on(self, r: int, bw: float, start: int, end: int) -> None:
        times, used = self.times[r], self.used[r]
        u = used[-1]
        v = u + bw
        if start > times[-1] and abs(v - u) > EPS:  # after every change point (common case)
            times += (start, end)
            used += (v, u)
            return
        i = _split(times, used, start)
        j = _split(times, used, end)
        for k in range(i, j):
            used[k] += bw
        if j < len(times) and abs(used[j] - used[j - 1]) <= EPS:
            del times[j], used[j]
        if i > 0 and abs(used[i] - used[i - 1]) <= EPS:
            del times[i], used[i]


def _split(times: list[int], used: list[float], t: int) -> int:
    """Make ``t`` a change point (copying the segment it falls in); return its index."""
    k = bisect_right(times, t) - 1
    if times[k] == t:
        return k
    times.insert(k + 1, t)
    used.insert(k + 1, used[k])
    return k + 1
