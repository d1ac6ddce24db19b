"""The analytical model's shortcuts give exactly what the plain evaluation gives."""

from __future__ import annotations

import itertools
from pathlib import Path
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fuseflow.cost import analytical, candidates, traffic
from fuseflow.cost.nest import build_nest
from fuseflow.cost.orders import unique_orders
from fuseflow.cost.result import CostResult
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.library import cores as library_cores
from fuseflow.hardware.load import load_core
from fuseflow.hardware.model import Core
from fuseflow.workload.layer import Layer
from fuseflow.workload.load import load_workload
from tests.cost.helpers import conv, gemm, meta_prototype, tpu_like


@given(st.lists(st.integers(0, 2), min_size=0, max_size=6))
def test_unique_orders_are_the_first_permutation_of_each_sequence(labels: list[int]) -> None:
    seen: set[tuple[int, ...]] = set()
    expected = []
    for perm in itertools.permutations(range(len(labels))):
        seq = tuple(labels[i] for i in perm)
        if seq not in seen:
            seen.add(seq)
            expected.append(perm)
    got = unique_orders(tuple(labels))
    assert [tuple(row) for row in got.tolist()] == (expected or [()])


def test_loop_sets_hold_the_running_products() -> None:
    core = tpu_like()
    layer = conv(k=64, c=48, oy=14, ox=14, fy=3, fx=3)
    nest = build_nest(layer, core, {r: core.hierarchy(r) for r in layer.operands})
    n_perm, n = nest.perm_dim.shape
    assert n_perm > 1
    for p in range(0, n_perm, 7):
        running = np.ones(len(nest.dims))
        for i in range(n + 1):
            assert np.array_equal(nest.set_cum[nest.loop_set[p, i]], running)
            if i < n:
                running[nest.perm_dim[p, i]] *= nest.perm_size[p, i]


def _all_candidates(group, levels, valid):  # type: ignore[no-untyped-def]
    return traffic.per_job(group, levels, valid, None)


@settings(max_examples=12, deadline=None)
@given(
    k=st.integers(1, 96),
    c=st.integers(1, 96),
    oy=st.integers(1, 12),
    f=st.sampled_from([1, 3]),
    stride=st.sampled_from([1, 2]),
    meta=st.booleans(),
)
def test_grouping_equal_candidates_changes_no_result(
    k: int, c: int, oy: int, f: int, stride: int, meta: bool
) -> None:
    core = meta_prototype() if meta else tpu_like()
    for layer in (
        conv(k=k, c=c, oy=oy, ox=oy + 1, fy=f, fx=f, stride=stride),
        gemm(m=oy, k=k, n=c),
    ):
        grouped = analytical.layer_cost(layer, core)
        with mock.patch.object(candidates, "distinct_candidates", _all_candidates):
            plain = analytical.layer_cost(layer, core)
        assert grouped == plain  # latency parts, energy breakdown and mapping, exactly


def test_grouping_equal_candidates_changes_no_zoo_result() -> None:
    folder = Path(library_cores.__file__).parent
    cores = [load_core(folder / f"{name}.yaml") for name in ("tpu_like", "meta_prototype_like")]
    layers = load_workload("zoo:mobilenetv2").layers[:24]
    costed = 0
    for core in cores:
        for layer in layers:
            grouped = _cost_or_error(layer, core)
            with mock.patch.object(candidates, "distinct_candidates", _all_candidates):
                plain = _cost_or_error(layer, core)
            assert grouped == plain, (layer.name, core.name)
            costed += isinstance(grouped, CostResult)
    assert costed >= 40


def _cost_or_error(layer: Layer, core: Core) -> CostResult | str:
    try:
        return analytical.layer_cost(layer, core)
    except InfeasibleError as e:  # e.g. an elementwise Add on meta_prototype's W registers
        return str(e)


def test_stacked_jobs_give_the_results_of_single_calls() -> None:
    """``layer_costs`` (jobs of one memory hierarchy evaluated in one stacked pass) gives, job
    by job, what one ``layer_cost`` call gives: on mixed layers and cores, with operands
    streaming from DRAM and jobs that cannot be costed among them."""
    folder = Path(library_cores.__file__).parent
    names = ("tpu_like", "meta_prototype_like", "eyeriss_like", "simd")
    cores = [load_core(folder / f"{name}.yaml") for name in names]
    resnet = load_workload("zoo:resnet18").layers
    bert = load_workload("zoo:bert_layer").layers
    layers = [*resnet[:8], resnet[-4], *resnet[-3:], *bert[:6]]
    jobs = [(layer, core) for layer in layers for core in cores]  # hierarchies interleaved
    stacked = analytical.layer_costs(jobs)
    streamed = errors = 0
    for (layer, core), got in zip(jobs, stacked, strict=True):
        want = _cost_or_error(layer, core)
        if isinstance(want, str):
            assert isinstance(got, InfeasibleError) and str(got) == want
            errors += 1
            continue
        assert got == want, (layer.name, core.name)
        streamed += bool(want.streamed_operands)
    assert streamed and errors and len(jobs) - errors >= 40
