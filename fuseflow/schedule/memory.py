"""Occupancy of the top-level memories over one schedule run: residents and usage over time."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

# A resident entry: [size_bits, available_cycle, busy_until_cycle, remaining_uses]
SIZE, AVAIL, BUSY, USES = 0, 1, 2, 3


class MemoryBook:
    """Per memory instance: the resident tensors and the usage as a step function of time.

    A reservation made at cycle ``t`` counts from ``t`` on, until its release is known (the
    last user of the tensor has been scheduled), so room for a new tensor at ``t`` means room
    at every instant from ``t`` on. Reservations may be made in the past of earlier ones (a
    transfer filling an early idle window) as long as that holds.

    The step function is kept as change points (``t``, ``d``: time, bits added) after
    ``base``; ``first`` is the usage before the first point, ``level`` after the last one and
    ``peak`` an upper bound of the usage from ``base`` on, so that the common case (room
    everywhere) costs O(1). Points before ``base`` are final and moved to the timeline.
    """

    __slots__ = ("base", "capacity", "d", "first", "level", "peak", "resident", "t", "tl_t", "tl_u")

    def __init__(self, capacity_bits: list[int]) -> None:
        k = len(capacity_bits)
        self.capacity = list(capacity_bits)
        self.t: list[list[int]] = [[] for _ in range(k)]
        self.d: list[list[int]] = [[] for _ in range(k)]
        self.first = [0] * k
        self.level = [0] * k
        self.peak = [0] * k
        self.base = [0] * k
        self.tl_t: list[list[int]] = [[0] for _ in range(k)]
        self.tl_u: list[list[int]] = [[0] for _ in range(k)]
        self.resident: list[dict[int, list[int]]] = [{} for _ in range(k)]

    def room_at(self, m: int, t: int, size: int) -> tuple[int, int]:
        """Earliest cycle >= t from which ``size`` more bits fit for good, and bits missing.

        ``missing > 0`` means no waiting helps: something must be evicted.
        """
        t = max(t, self.base[m])
        limit = self.capacity[m] - size
        times = self.t[m]
        if self.level[m] > limit:
            return max(t, times[-1] if times else t), self.level[m] - limit
        if self.peak[m] <= limit:
            return t, 0
        usage = np.cumsum(np.asarray(self.d[m], dtype=np.int64)) + self.first[m]
        self.peak[m] = max(self.first[m], int(usage.max(initial=0)))
        if self.peak[m] <= limit:
            return t, 0
        i = bisect_right(times, t)  # points at or before t; usage at t is usage[i - 1]
        over = np.flatnonzero(usage[max(i - 1, 0) :] > limit)
        if over.size:
            return max(t, times[max(i - 1, 0) + int(over[-1]) + 1]), 0
        if i == 0 and self.first[m] > limit:
            return times[0], 0
        return t, 0

    def _add(self, m: int, t: int, delta: int) -> None:
        """Add ``delta`` bits to the usage from cycle t on."""
        if delta == 0:
            return
        t = max(t, self.base[m])
        times, deltas = self.t[m], self.d[m]
        i = bisect_left(times, t)
        if i < len(times) and times[i] == t:
            deltas[i] += delta
            if deltas[i] == 0:
                del times[i], deltas[i]
        else:
            times.insert(i, t)
            deltas.insert(i, delta)
        self.level[m] += delta
        if delta > 0:
            self.peak[m] += delta

    def prune(self, m: int, t: int) -> None:
        """Nothing will change before cycle t any more: move that part to the timeline."""
        if t <= self.base[m]:
            return
        self.base[m] = t
        times = self.t[m]
        if len(times) < 64 or times[63] >= t:
            return
        k = bisect_left(times, t)
        usage = np.cumsum(np.asarray(self.d[m][:k], dtype=np.int64)) + self.first[m]
        self.tl_t[m] += times[:k]
        self.tl_u[m] += usage.tolist()
        self.first[m] = int(usage[-1])
        del times[:k], self.d[m][:k]

    def timeline(self, m: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        usage = np.cumsum(np.asarray(self.d[m], dtype=np.int64)) + self.first[m]
        times = np.asarray(self.tl_t[m] + self.t[m], dtype=np.int64)
        usage = np.concatenate((np.asarray(self.tl_u[m], dtype=np.int64), usage))
        keep = np.r_[times[1:] != times[:-1], True]  # a point at 0 replaces the initial one
        times, usage = times[keep], usage[keep]
        step = np.r_[True, usage[1:] != usage[:-1]]  # drop points that change nothing
        return times[step], usage[step]

    def allocate(self, m: int, key: int, size: int, t: int, avail: int, uses: int) -> list[int]:
        self._add(m, t, size)
        entry = [size, avail, avail, uses]
        self.resident[m][key] = entry
        return entry

    def release(self, m: int, key: int, t: int) -> None:
        """Drop a resident tensor; its space frees at cycle t."""
        entry = self.resident[m].pop(key)
        self._add(m, t, -entry[SIZE])

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
