"""Lower bounds: hand-checked parts and validity against brute force."""

import numpy as np
from alloc_instances import Spec, brute_force, build, evaluator_factory, random_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuseflow.search.bounds import core_set_work_bound, lower_bounds
from fuseflow.search.problem import make_problem

SPEC = Spec(
    tiles=(3, 3, 2),
    n_cores=2,
    latency=((100, 150), (80, 60), (50, 70)),
    energy=((10, 12), (8, 6), (5, 7)),
    allowed=((0, 1), (0, 1), (0, 1)),
)


def test_bound_parts_by_hand() -> None:
    bounds = lower_bounds(make_problem(*build(SPEC), "latency"))
    parts = dict(bounds.latency_parts)
    # longest chain: one tile of each layer on its fastest core: 100 + 60 + 50
    assert parts["critical_path"] == 210
    # 3*100 + 3*60 + 2*50 cycles of work over 2 cores
    assert parts["core_work"] == 290
    assert bounds.latency_cycles == 290
    e = dict(bounds.energy_parts)
    assert e["cn_energy"] == 3 * 10 + 3 * 6 + 2 * 5
    # weights 3 x 512 bits + input 12x8x8 bits read, output 8x8x8 bits written, 8 pJ / 256 bits
    assert e["dram_energy"] == (3 * 512 + 768 + 512) * 8 / 256


def test_core_set_bound_uses_restricted_cores() -> None:
    # two CNs only on core 0 (mask 1), one anywhere: core 0 alone carries 20
    lat = np.array([10.0, 10.0, 12.0])
    masks = np.array([1, 1, 3])
    assert core_set_work_bound(lat, masks, 2) == 20.0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_bounds_never_exceed_the_optimum(seed: int) -> None:
    problem = make_problem(*build(random_spec(seed, max_groups=4)), "latency")
    scored = brute_force(problem, evaluator_factory())
    bounds = lower_bounds(problem)
    assert bounds.latency_cycles <= min(c.latency_cycles for c in scored)
    assert bounds.energy_pj <= min(c.energy_pj for c in scored) * (1 + 1e-9)
