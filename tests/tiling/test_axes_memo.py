"""Axis index sets memoised by value: shared between equal cuts, read-only, same graphs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fuseflow.tiling import axes
from fuseflow.tiling.build import build_cn_graph, tile_all
from fuseflow.tiling.graph import CNGraph
from fuseflow.workload.layer import Workload
from tiling.helpers import Net, accelerator, spec

ACC = accelerator()


def chain() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 2, 9, 5)), 3)
    y = n.conv(y, 3)  # the same cut as conv1: shares its axis sets
    y = n.conv(y, 3)
    n.conv(y, 4, stride=(2, 2))
    return n.build()


def arrays(g: CNGraph) -> dict[str, np.ndarray]:
    out = {
        f.name: getattr(g, f.name)
        for f in dataclasses.fields(g)
        if isinstance(getattr(g, f.name), np.ndarray)
    }
    out.update({f"ranges{i}": r for i, r in enumerate(g.ranges)})
    return out


def test_equal_cuts_share_their_key_sets_and_these_are_read_only():
    wl = chain()
    tilings = tile_all(wl, spec(wl))
    c1, c2 = wl.layer("conv1"), wl.layer("conv2")
    shape = wl.tensors[c1.operands["I"].tensor].shape
    a = axes.axis_sets(c1.operands["I"].axes[2], tilings["conv1"], shape[2])
    b = axes.axis_sets(c2.operands["I"].axes[2], tilings["conv2"], shape[2])
    assert a.sets is b.sets and a.n_keys == 9
    assert a.idx[a.ptr[4] : a.ptr[5]].tolist() == [3, 4, 5]  # row 4 of a 3x3 pad-1 conv
    with pytest.raises(ValueError):
        a.idx[0] = 1
    with pytest.raises(ValueError):
        a.sets.owner[0] = 1


def test_graphs_are_the_same_with_cold_and_warm_memos():
    wl = chain()
    axes._key_sets.cache_clear()
    axes._relation.cache_clear()
    cold = arrays(build_cn_graph(wl, ACC, spec(wl)))
    wl2 = chain()
    for g in (build_cn_graph(wl, ACC, spec(wl)), build_cn_graph(wl2, ACC, spec(wl2))):
        warm = arrays(g)
        assert warm.keys() == cold.keys()
        for name, value in cold.items():
            assert value.dtype == warm[name].dtype, name
            assert np.array_equal(value, warm[name]), name
    assert cold["edge_src"].shape[0] > 0
