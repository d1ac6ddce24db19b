"""Property: the dependency sets and bits equal a brute-force element-by-element computation."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph
from fuseflow.tiling.spec import TileLoop
from tiling.helpers import Net, accelerator, spec

ACC = accelerator()


def brute_force(g: CNGraph) -> Counter[tuple[int, int, int]]:
    """(src, dst, role) -> bits by walking every loop point of every tile."""
    wl = g.workload
    owner: dict[tuple[str, tuple[int, ...]], int] = {}
    for cn in range(g.n):
        if not g.produces_final[cn]:
            continue
        layer, r = g.layer_of(cn), g.loop_ranges(cn)
        out = layer.operands["O"]
        for point in itertools.product(*(range(*r[d]) for d in layer.dim_names)):
            env = dict(zip(layer.dim_names, point, strict=True))
            idx = tuple(sum(c * env[d] for d, c in a.terms) + a.offset for a in out.axes)
            owner[(out.tensor, idx)] = cn
    bits: Counter[tuple[int, int, int]] = Counter()
    for cn in range(g.n):
        layer, r = g.layer_of(cn), g.loop_ranges(cn)
        for code, role in enumerate(("I", "W")):
            op = layer.operands.get(role)
            if op is None or op.constant:
                continue
            info = wl.tensors[op.tensor]
            seen = set()
            for point in itertools.product(*(range(*r[d]) for d in layer.dim_names)):
                env = dict(zip(layer.dim_names, point, strict=True))
                idx = tuple(sum(c * env[d] for d, c in a.terms) + a.offset for a in op.axes)
                if all(0 <= i < n for i, n in zip(idx, info.shape, strict=True)):
                    seen.add(idx)
            for idx in seen:
                src = owner.get((op.tensor, idx))
                if src is not None:
                    bits[(src, cn, code)] += info.precision_bits
    return bits


def graph_edges(g: CNGraph) -> Counter[tuple[int, int, int]]:
    out: Counter[tuple[int, int, int]] = Counter()
    for s, d, b, r in zip(g.edge_src, g.edge_dst, g.edge_bits, g.edge_role, strict=True):
        if r != ORDER_EDGE:
            out[(int(s), int(d), int(r))] = int(b)
    return out


conv_params = st.fixed_dictionaries(
    {
        "k_out": st.integers(1, 4),
        "group": st.integers(1, 2),
        "kernel": st.tuples(st.integers(1, 3), st.integers(1, 3)),
        "stride": st.tuples(st.integers(1, 2), st.integers(1, 2)),
        "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
        "pads": st.tuples(*[st.integers(0, 2)] * 4),
    }
)
loops = st.lists(
    st.one_of(
        st.builds(TileLoop, st.sampled_from(["OY", "OX", "K", "C", "G", "FY"]), st.integers(1, 4)),
        st.builds(
            lambda d, s: TileLoop(d, size=s), st.sampled_from(["OY", "OX", "K"]), st.integers(1, 3)
        ),
    ),
    max_size=2,
    unique_by=lambda t: t.dim,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(3, 6), st.integers(3, 6)),
    convs=st.lists(conv_params, min_size=2, max_size=3),
    tilings=st.lists(loops, min_size=3, max_size=3),
    residual=st.booleans(),
    k_parts=st.integers(1, 3),
)
def test_dependencies_equal_brute_force(shape, convs, tilings, residual, k_parts):
    n = Net()
    t = n.input((1, *shape))
    outs = []
    for p in convs:
        h, w = n.tensors[t].shape[2:]
        oy = h + p["pads"][0] + p["pads"][2] - p["dilation"][0] * (p["kernel"][0] - 1) - 1
        ox = w + p["pads"][1] + p["pads"][3] - p["dilation"][1] * (p["kernel"][1] - 1) - 1
        assume(oy >= 0 and ox >= 0)
        assume(n.tensors[t].shape[1] % p["group"] == 0 and p["k_out"] % p["group"] == 0)
        t = n.conv(t, **p)
        outs.append(t)
    if residual and n.tensors[outs[-1]].shape == n.tensors[outs[-2]].shape:
        n.add(outs[-2], outs[-1])
    wl = n.build()
    names = [layer.name for layer in wl.layers]
    tiling = {name: tilings[i % 3] for i, name in enumerate(names)}
    tiling = {k: [x for x in v if x.dim in wl.layer(k).sizes] for k, v in tiling.items()}
    # an inter-core split of K into groups wherever K is not tiled
    split = {k: [("K", k_parts)] for k, v in tiling.items() if all(x.dim != "K" for x in v)}
    g = build_cn_graph(wl, ACC, spec(wl, tiling=tiling, split=split))
    assert graph_edges(g) == brute_force(g)
