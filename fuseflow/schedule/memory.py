"""Occupancy of the top-level memories over one schedule run: residents and usage over time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

# A resident entry: [size_bits, available_cycle, busy_until_cycle, remaining_uses]
SIZE, AVAIL, BUSY, USES = 0, 1, 2, 3


class MemoryBook:
    """Per memory instance: the resident tensors and the usage as a step function of time.

    A reservation made at cycle ``t`` counts from ``t`` on, until its release is known (the
    last user of the tensor has been scheduled), so room for a new tensor at ``t`` means room
    at every instant from ``t`` on. Reservations may be made in the past of earlier ones (a
    transfer filling an early idle window) as long as that holds.
    """

    __slots__ = ("capacity", "resident", "times", "usage")

    def __init__(self, capacity_bits: list[int]) -> None:
        n = len(capacity_bits)
        self.capacity = list(capacity_bits)
        self.times: list[list[int]] = [[0] for _ in range(n)]
        self.usage: list[list[int]] = [[0] for _ in range(n)]
        self.resident: list[dict[int, list[int]]] = [{} for _ in range(n)]

    def level(self, m: int) -> int:
        """Bits held once every known release has happened."""
        return self.usage[m][-1]

    def room_at(self, m: int, t: int, size: int) -> tuple[int, int]:
        """Earliest cycle >= t from which ``size`` more bits fit for good, and bits missing.

        ``missing > 0`` means no waiting helps: something must be evicted.
        """
        times, usage = self.times[m], self.usage[m]
        limit = self.capacity[m] - size
        if usage[-1] > limit:
            return max(t, times[-1]), usage[-1] - limit
        i = len(times) - 1
        while times[i] > t and usage[i - 1] <= limit:
            i -= 1
        return (t, 0) if times[i] <= t else (times[i], 0)

    def _add(self, m: int, t: int, delta: int) -> None:
        """Add ``delta`` bits to the usage from cycle t on."""
        times, usage = self.times[m], self.usage[m]
        i = bisect_right(times, t) - 1
        if times[i] != t:
            i += 1
            times.insert(i, t)
            usage.insert(i, usage[i - 1])
        for k in range(i, len(usage)):
            usage[k] += delta
        if i > 0 and usage[i] == usage[i - 1]:
            del times[i], usage[i]

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
