"""The blocked usage step function answers like a plain list of (time, usage) would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuseflow.schedule import memory
from fuseflow.schedule.memory import Steps


def _usage_at(changes: list[tuple[int, int]], t: int) -> int:
    return sum(d for time, d in changes if time <= t)


def _room(changes: list[tuple[int, int]], t: int, limit: int) -> tuple[int, int]:
    """Brute force: the first instant >= t after which usage never exceeds limit."""
    level = sum(d for _, d in changes)
    net: dict[int, int] = {}
    for time, d in changes:
        net[time] = net.get(time, 0) + d
    times = sorted(time for time, d in net.items() if d)  # points that change something
    if level > limit:
        return max(t, times[-1]), level - limit
    over = [x for x in times if x > t and _usage_at(changes, x) > limit]
    if over:
        return min(x for x in times if x > max(over)), 0
    if _usage_at(changes, t) > limit:
        return min(x for x in times if x > t), 0
    return t, 0


ops = st.lists(
    st.tuples(st.integers(0, 60), st.integers(-30, 40), st.integers(0, 70), st.integers(0, 90)),
    min_size=1,
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_room_matches_brute_force(steps: list[tuple[int, int, int, int]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(memory, "BLOCK", 2)  # many small blocks: splits and block walks
        s = Steps()
        changes: list[tuple[int, int]] = []
        for t, delta, query, limit in steps:
            s.add(t, delta)
            changes.append((t, delta))
            assert s.room(query, limit) == _room(changes, query, limit)
        times, usage = s.timeline()
        for time, u in zip(times.tolist(), usage.tolist(), strict=True):
            assert u == _usage_at(changes, time)


def test_prune_keeps_the_timeline() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(memory, "BLOCK", 2)
        s = Steps()
        for t in range(0, 100, 10):
            s.add(t, 5)
            s.add(t + 5, -2)
        s.prune(50)
        s.add(20, 7)  # before the pruned horizon: counts from 50 on
        times, usage = s.timeline()
        pairs = dict(zip(times.tolist(), usage.tolist(), strict=True))
        assert pairs[0] == 5 and pairs[5] == 3 and pairs[45] == 15
        assert pairs[50] == 5 * 6 - 2 * 5 + 7
        assert s.room(0, 40) == (50, 0)  # at most 39 bits (at 90): fits from the horizon on
        assert s.room(0, 38) == (95, 0)  # 39 > 38 until the release at 95
        assert s.room(0, 30) == (95, 7)  # 37 bits stay: 7 must be evicted
