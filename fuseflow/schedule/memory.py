"""Occupancy of the top-level memories over one schedule run: residents and usage over time."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate

import numpy as np
from numpy.typing import NDArray

# A resident entry: [size_bits, available_cycle, busy_until_cycle, remaining_uses]
SIZE, AVAIL, BUSY, USES = 0, 1, 2, 3
BLOCK = 64  # change points per block of a step function (split at twice this)
_SPLIT_AT = 2 * BLOCK


class Steps:
    """Usage of one memory as a step function: change points (time, bits added) in blocks.

    Each block keeps its total and an upper bound of its highest prefix sum, so "the last
    instant the usage is above a limit" walks blocks from the end and scans only the block that
    holds it: a query near the present costs O(blocks after it + BLOCK) however long the run.
    A global upper bound of the usage (``peak``) answers the common case in O(1). Blocks wholly
    before ``base`` (nothing can change there any more) move to the archive.
    """

    __slots__ = (
        "arc_t",
        "arc_u",
        "base",
        "bmax",
        "bstart",
        "bsum",
        "d",
        "first",
        "level",
        "peak",
        "stale",
        "t",
    )

    def __init__(self) -> None:
        self.t: list[list[int]] = []  # times per block, sorted, unique
        self.d: list[list[int]] = []  # bits added at each time
        self.bstart: list[int] = []  # first time of each block
        self.bsum: list[int] = []
        self.bmax: list[int] = []  # highest prefix sum of the block's deltas
        self.first = 0  # usage before the first point
        self.level = 0  # usage after the last point
        self.peak = 0  # an upper bound of the usage at any time (exact when stale == 0)
        self.stale = 0  # changes since peak was exact
        self.base = 0  # no change before this cycle any more
        self.arc_t: list[int] = [0]
        self.arc_u: list[int] = [0]

    def add(self, t: int, delta: int) -> None:
        """Add ``delta`` bits to the usage from cycle t on."""
        if delta == 0:
            return
        if t < self.base:
            t = self.base
        level = self.level = self.level + delta
        self.stale += 1
        tl = self.t
        if not tl:
            self.peak = max(self.peak, level)
            self._new_block(0, [t], [delta])
            return
        times = tl[-1]
        if t > times[-1]:  # after every point (the common case): only the end level changes
            if level > self.peak:
                self.peak = level
            times.append(t)
            self.d[-1].append(delta)
            bsum = self.bsum
            total = bsum[-1] + delta
            bsum[-1] = total
            if total > self.bmax[-1]:
                self.bmax[-1] = total
            if len(times) > _SPLIT_AT:
                self._split(len(tl) - 1)
            return
        if delta > 0:
            self.peak += delta
        b = bisect_right(self.bstart, t) - 1
        if b < 0:
            b = 0
        times, deltas = tl[b], self.d[b]
        if t > times[-1]:
            times.append(t)
            deltas.append(delta)
            total = self.bsum[b] + delta
            self.bsum[b] = total
            if total > self.bmax[b]:
                self.bmax[b] = total
        else:
            i = bisect_left(times, t)
            if times[i] == t:
                deltas[i] += delta
                if deltas[i] == 0:
                    del times[i], deltas[i]
            else:
                times.insert(i, t)
                deltas.insert(i, delta)
            if not times:
                del tl[b], self.d[b], self.bstart[b], self.bsum[b], self.bmax[b]
                return
            self.bstart[b] = times[0]
            self.bsum[b] += delta
            if delta > 0:  # an upper bound (a new first point's prefix is delta itself);
                self.bmax[b] = max(self.bmax[b], 0) + delta  # exact when a search lands here
        if len(times) > 2 * BLOCK:
            self._split(b)

    def _new_block(self, b: int, times: list[int], deltas: list[int]) -> None:
        self.t.insert(b, times)
        self.d.insert(b, deltas)
        self.bstart.insert(b, times[0])
        self.bsum.insert(b, sum(deltas))
        self.bmax.insert(b, max(accumulate(deltas)))

    def _split(self, b: int) -> None:
        times, deltas = self.t[b], self.d[b]
        self.t[b], self.d[b] = times[:BLOCK], deltas[:BLOCK]
        self.bsum[b] = sum(self.d[b])
        self.bmax[b] = max(accumulate(self.d[b]))
        self._new_block(b + 1, times[BLOCK:], deltas[BLOCK:])

    def room(self, t: int, limit: int) -> tuple[int, int]:
        """Earliest cycle >= t from which usage stays <= limit, and bits over at the end."""
        if t < self.base:
            t = self.base
        if self.level > limit:
            return max(t, self.t[-1][-1] if self.t else t), self.level - limit
        if self.peak > limit and 4 * self.stale >= len(self.t):  # amortised O(1) per change
            self._exact_peak()
        if self.peak <= limit:
            return t, 0
        u_end = self.level
        for b in range(len(self.t) - 1, -1, -1):
            u_start = u_end - self.bsum[b]
            if u_start + self.bmax[b] > limit:
                found = self._after_last_over(b, u_end, limit)
                if found >= 0:
                    return max(t, found), 0
            if self.bstart[b] <= t:  # anything over the limit earlier ends by t
                return t, 0
            u_end = u_start
        if self.first > limit and self.t:
            return max(t, self.bstart[0]), 0
        return t, 0

    def _exact_peak(self) -> None:
        u = best = self.first
        for s, top in zip(self.bsum, self.bmax, strict=True):
            best = max(best, u + top)
            u += s
        self.peak, self.stale = best, 0

    def _after_last_over(self, b: int, u_end: int, limit: int) -> int:
        """Time of the point after the last one of block b above limit; -1 if none is.

        Finding none makes the block's maximum exact again.
        """
        times, deltas = self.t[b], self.d[b]
        u = u_end
        for k in range(len(times) - 1, -1, -1):
            if u > limit:
                return times[k + 1] if k + 1 < len(times) else self.bstart[b + 1]
            u -= deltas[k]
        self.bmax[b] = max(accumulate(deltas))
        return -1

    def prune(self, t: int) -> None:
        """Nothing will change before cycle t any more: archive the blocks that end before."""
        if t <= self.base:
            return
        self.base = t
        while len(self.t) > 1 and self.bstart[1] <= t:
            times, deltas = self.t[0], self.d[0]
            self.arc_t += times
            self.arc_u += [u + self.first for u in accumulate(deltas)]
            self.first += self.bsum[0]
            del self.t[0], self.d[0], self.bstart[0], self.bsum[0], self.bmax[0]

    def timeline(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(times, usage from each time on), without repeated times or repeated usage."""
        times = np.asarray(self.arc_t + [x for ts in self.t for x in ts], dtype=np.int64)
        live = np.cumsum(np.asarray([x for ds in self.d for x in ds], dtype=np.int64))
        usage = np.concatenate((np.asarray(self.arc_u, dtype=np.int64), live + self.first))
        keep = np.r_[times[1:] != times[:-1], True]  # a point at 0 replaces the initial one
        times, usage = times[keep], usage[keep]
        step = np.r_[True, usage[1:] != usage[:-1]]
        return times[step], usage[step]


class MemoryBook:
    """Per memory instance: the resident tensors and the usage as a step function of time.

    A reservation made at cycle ``t`` counts from ``t`` on, until its release is known (the
    last user of the tensor has been scheduled), so room for a new tensor at ``t`` means room
    at every instant from ``t`` on. Reservations may be made in the past of earlier ones (a
    transfer filling an early idle window) as long as that holds.
    """

    __slots__ = ("capacity", "resident", "steps")

    def __init__(self, capacity_bits: list[int]) -> None:
        self.capacity = list(capacity_bits)
        self.steps = [Steps() for _ in capacity_bits]
        self.resident: list[dict[int, list[int]]] = [{} for _ in capacity_bits]

    def room_at(self, m: int, t: int, size: int) -> tuple[int, int]:
        """Earliest cycle >= t from which ``size`` more bits fit for good, and bits missing.

        ``missing > 0`` means no waiting helps: something must be evicted.
        """
        return self.steps[m].room(t, self.capacity[m] - size)

    def level(self, m: int) -> int:
        """Bits held once every known release has happened."""
        return self.steps[m].level

    def prune(self, m: int, t: int) -> None:
        self.steps[m].prune(t)

    def timeline(self, m: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        return self.steps[m].timeline()

    def allocate(self, m: int, key: int, size: int, t: int, avail: int, uses: int) -> list[int]:
        self.steps[m].add(t, size)
        entry = [size, avail, avail, uses]
        self.resident[m][key] = entry
        return entry

    def release(self, m: int, key: int, t: int) -> None:
        """Drop a resident tensor; its space frees at cycle t."""
        entry = self.resident[m].pop(key)
        self.steps[m].add(t, -entry[SIZE])

    def victims(
        self, m: int, need: int, t: int, pinned: set[int], in_dram: Callable[[int], bool]
    ) -> list[int]:
        """Resident tensors of m to evict to free ``need`` bits (empty list if impossible).

        Preference: free by ``t`` (not in use), already in DRAM (no write-back), fewest
        remaining uses on this memory, then the largest (fewer evictions), then the key.
        """
        cands = [
            (e[BUSY] > t, not in_dram(k), e[USES], -e[SIZE], k)
            for k, e in self.resident[m].items()
            if k not in pinned
        ]
        cands.sort()
        out: list[int] = []
        freed = 0
        for c in cands:
            if freed >= need:
                break
            out.append(c[4])
            freed -= c[3]
        return out if freed >= need else []
