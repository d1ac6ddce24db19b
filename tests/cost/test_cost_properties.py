"""Invariants of the analytical model on random small layers (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fuseflow.cost.analytical import layer_cost
from fuseflow.cost.nest import axes_elements
from tests.cost.helpers import conv, gemm, tpu_like


@given(
    a=st.integers(1, 9),
    b=st.integers(1, 9),
    sa=st.integers(1, 4),
    sb=st.integers(1, 3),
)
def test_sliding_window_count_matches_brute_force(a: int, b: int, sa: int, sb: int) -> None:
    # distinct values of sa*x + sb*y over x < a, y < b
    brute = len({sa * x + sb * y for x in range(a) for y in range(b)})
    got = axes_elements((((0, sa), (1, sb)),), np.array([float(a), float(b)]))
    assert float(got) == brute


@settings(max_examples=15, deadline=None)
@given(
    k=st.integers(1, 80),
    c=st.integers(1, 80),
    oy=st.integers(1, 9),
    ox=st.integers(1, 9),
    f=st.sampled_from([1, 3]),
    stride=st.sampled_from([1, 2]),
)
def test_conv_cost_invariants(k: int, c: int, oy: int, ox: int, f: int, stride: int) -> None:
    core = tpu_like()
    layer = conv(k=k, c=c, oy=oy, ox=ox, fy=f, fx=f, stride=stride)
    r = layer_cost(layer, core)
    steps = math.ceil(k / 32) * math.ceil(c / 32) * oy * ox * f * f
    assert r.ideal_cycles == steps
    assert r.latency_cycles == r.ideal_cycles + r.stall_cycles + r.onload_cycles + r.offload_cycles
    assert 0 < r.spatial_utilization <= 1.0
    assert r.macs == k * c * oy * ox * f * f
    assert r.energy_pj >= r.mac_energy_pj > 0
    assert r.energy_pj == sum(p.energy_pj for p in r.memory_energy) + r.mac_energy_pj
    assert r == layer_cost(layer, core)


@settings(max_examples=10, deadline=None)
@given(m=st.integers(1, 64), k=st.integers(1, 96), n=st.integers(1, 96))
def test_more_rows_never_cost_less(m: int, k: int, n: int) -> None:
    small = layer_cost(gemm(m=m, k=k, n=n), tpu_like())
    big = layer_cost(gemm(m=2 * m, k=k, n=n), tpu_like())
    assert big.latency_cycles >= small.latency_cycles
    assert big.energy_pj >= small.energy_pj
