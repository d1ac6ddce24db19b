"""Dependencies through shape ops equal a brute force that moves owner ids with numpy itself."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuseflow.errors import InputError
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph
from fuseflow.tiling.spec import TileLoop
from fuseflow.workload.layer import Layer, ShapeOp, Workload
from tiling.helpers import Net, accelerator, spec

ACC = accelerator()
DRAM, NONE = -2, -1


def _moved(op: ShapeOp, ins: list[np.ndarray], out: int, shape: tuple[int, ...]) -> np.ndarray:
    """Owner array of output ``out`` of ``op``, with plain numpy (not source_elements)."""
    a = ins[0]
    t = op.op_type
    if t in ("Reshape", "Flatten"):
        return a.reshape(shape)
    if t == "Transpose":
        return a.transpose(op.attrs["perm"])
    if t == "Concat":
        return np.concatenate(ins, axis=op.attrs["axis"])
    if t == "Split":
        cuts = np.cumsum(op.attrs["splits"])[:-1]
        return np.split(a, cuts, axis=op.attrs["axis"])[out]
    if t == "Slice":
        picks = tuple(
            slice(s, s + st_ * n, st_)
            for s, st_, n in zip(op.attrs["starts"], op.attrs["steps"], shape, strict=True)
        )
        return a[picks]
    if t == "Pad":
        widths = list(zip(op.attrs["pads_begin"], op.attrs["pads_end"], strict=True))
        return np.pad(a, widths, constant_values=NONE)
    if t == "Resize":  # integer nearest upsampling
        for axis, (i, o) in enumerate(zip(a.shape, shape, strict=True)):
            a = np.repeat(a, o // i, axis=axis)
        return a
    if t == "DepthToSpace":  # DCR: out[b, c, h*s+i, w*s+j] = in[b, (i*s+j)*C + c, h, w]
        s = op.attrs["blocksize"]
        res = np.empty(shape, dtype=np.int64)
        for b, c, h, w in itertools.product(*(range(n) for n in shape)):
            i, j = h % s, w % s
            res[b, c, h, w] = a[b, (i * s + j) * shape[1] + c, h // s, w // s]
        return res
    raise AssertionError(t)


def owners(g: CNGraph) -> dict[str, np.ndarray]:
    """Per tensor the CN whose final output each element is (DRAM / NONE); whole-tensor ops
    give a 1-D object array holding every origin of their inputs."""
    wl = g.workload
    arr: dict[str, np.ndarray] = {
        name: np.full(info.shape, DRAM, dtype=np.int64)
        for name, info in wl.tensors.items()
        if info.producer is None
    }
    for node in wl.nodes:
        if isinstance(node, Layer):
            out = node.operands["O"]
            a = np.full(wl.tensors[out.tensor].shape, NONE, dtype=np.int64)
            lid = g.layers.index(node.name)
            for cn in g.cns_of_layer(lid).tolist():
                if g.produces_final[cn]:
                    for idx in _points(g, cn, out.axes):
                        a[idx] = cn
            arr[out.tensor] = a
            continue
        ins = [arr[t] for t in node.inputs]
        for k, t in enumerate(node.outputs):
            if node.attrs.get("whole_tensor") or any(x.dtype == object for x in ins):
                whole = np.empty(1, dtype=object)
                whole[0] = np.concatenate([_flat_origins(x) for x in ins])
                arr[t] = whole
            else:
                arr[t] = _moved(node, ins, k, wl.tensors[t].shape)
    return arr


def _flat_origins(a: np.ndarray) -> np.ndarray:
    return a[0] if a.dtype == object else a.ravel()


def _points(g: CNGraph, cn: int, axes) -> set[tuple[int, ...]]:
    r = g.loop_ranges(cn)
    dims = list(r)
    out = set()
    for point in itertools.product(*(range(*r[d]) for d in dims)):
        env = dict(zip(dims, point, strict=True))
        out.add(tuple(sum(c * env[d] for d, c in a.terms) + a.offset for a in axes))
    return out


def brute_force(g: CNGraph) -> tuple[Counter[tuple[int, int, int]], list[int]]:
    """(src, dst, role) -> bits over data edges, and the DRAM input bits of every CN."""
    wl, arr = g.workload, owners(g)
    bits: Counter[tuple[int, int, int]] = Counter()
    dram = [0] * g.n
    for cn in range(g.n):
        layer = g.layer_of(cn)
        for code, role in enumerate(("I", "W")):
            op = layer.operands.get(role)
            if op is None or op.constant:
                continue
            info, a = wl.tensors[op.tensor], arr[op.tensor]
            window = [
                i
                for i in _points(g, cn, op.axes)
                if all(0 <= x < n for x, n in zip(i, info.shape, strict=True))
            ]
            if a.dtype == object:
                srcs = list(a[0]) if window else []
            else:
                srcs = [int(a[i]) for i in window]
            for s in srcs:
                if s >= 0:
                    bits[(int(s), cn, code)] += info.precision_bits
                elif s == DRAM:
                    dram[cn] += info.precision_bits
    return bits, dram


def graph_edges(g: CNGraph) -> Counter[tuple[int, int, int]]:
    out: Counter[tuple[int, int, int]] = Counter()
    for s, d, b, r in zip(g.edge_src, g.edge_dst, g.edge_bits, g.edge_role, strict=True):
        if r != ORDER_EDGE:
            out[(int(s), int(d), int(r))] += int(b)
    return out


def transpose_hw() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 2, 5, 4)), 3)
    t = n.shape_op("Transpose", [y], (1, 3, 4, 5), perm=(0, 1, 3, 2))
    n.conv(t, 2)
    return n.build()


def reshape_rows() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 2, 4, 6)), 2)
    r = n.shape_op("Reshape", [y], (1, 2, 8, 3))
    n.conv(r, 2)
    return n.build()


def concat_height() -> Workload:
    n = Net()
    x = n.input((1, 1, 3, 4))
    a, b = n.conv(x, 2), n.conv(x, 2, stride=(1, 1))
    c = n.shape_op("Concat", [a, b], (1, 2, 6, 4), axis=2)
    n.conv(c, 1)
    return n.build()


def split_channels_and_add() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 2, 4, 4)), 5)
    lo, hi = n.split(y, 1, (2, 3))
    a = n.conv(lo, 3)
    n.add(a, hi)
    return n.build()


def slice_step() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 2, 7, 5)), 2)
    s = n.shape_op(
        "Slice", [y], (1, 2, 3, 2), starts=(0, 0, 1, 1), steps=(1, 1, 2, 2), axes=(0, 1, 2, 3)
    )
    n.conv(s, 2)
    return n.build()


def pad_then_valid_conv() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 1, 4, 4)), 2)
    p = n.shape_op(
        "Pad", [y], (1, 2, 6, 5), pads_begin=(0, 0, 1, 0), pads_end=(0, 0, 1, 1), mode="constant"
    )
    n.conv(p, 1, pads=(0, 0, 0, 0))
    return n.build()


def resize_twice() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 1, 3, 3)), 2)
    r = n.shape_op("Resize", [y], (1, 2, 6, 6))
    n.conv(r, 1)
    return n.build()


def depth_to_space() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 1, 3, 3)), 8)
    d = n.shape_op("DepthToSpace", [y], (1, 2, 6, 6), blocksize=2, mode="DCR")
    n.conv(d, 1)
    return n.build()


def attention_like() -> Workload:
    """(1, 4, 3, 3) -> Reshape (1, 4, 9) -> Transpose (1, 9, 4) -> Reshape (9, 4) -> Gemm."""
    n = Net()
    y = n.conv(n.input((1, 2, 3, 3)), 4)
    r = n.shape_op("Reshape", [y], (1, 4, 9))
    t = n.shape_op("Transpose", [r], (1, 9, 4), perm=(0, 2, 1))
    f = n.shape_op("Reshape", [t], (9, 4))
    n.gemm(f, 3)
    return n.build()


def whole_tensor_op() -> Workload:
    n = Net()
    y = n.conv(n.input((1, 1, 4, 3)), 2)
    w = n.shape_op("Weird", [y], (1, 3, 2, 4), whole_tensor=True)
    n.conv(w, 1)
    return n.build()


def graph_input_through_transpose() -> Workload:
    n = Net()
    x = n.input((1, 2, 3, 5))
    t = n.shape_op("Transpose", [x], (1, 2, 5, 3), perm=(0, 1, 3, 2))
    n.conv(t, 2)
    return n.build()


SCENARIOS: list[Callable[[], Workload]] = [
    transpose_hw,
    reshape_rows,
    concat_height,
    split_channels_and_add,
    slice_step,
    pad_then_valid_conv,
    resize_twice,
    depth_to_space,
    attention_like,
    whole_tensor_op,
    graph_input_through_transpose,
]
loops = st.lists(
    st.one_of(
        st.builds(TileLoop, st.sampled_from(["OY", "OX", "K", "C"]), st.integers(1, 4)),
        st.builds(
            lambda d, s: TileLoop(d, size=s), st.sampled_from(["OY", "OX"]), st.integers(1, 3)
        ),
    ),
    max_size=2,
    unique_by=lambda t: t.dim,
)


def check(wl: Workload, tilings: list[list[TileLoop]]) -> None:
    names = [layer.name for layer in wl.layers]
    tiling = {
        name: [x for x in tilings[i % len(tilings)] if x.dim in wl.layer(name).sizes]
        for i, name in enumerate(names)
    }
    g = build_cn_graph(wl, ACC, spec(wl, tiling=tiling))
    bits, dram = brute_force(g)
    assert graph_edges(g) == bits
    assert g.dram_input_bits.tolist() == dram


ROWS = [[TileLoop("OY", count=10**6)]]


def test_every_scenario_at_one_row_per_tile():
    for make in SCENARIOS:
        check(make(), ROWS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(SCENARIOS) - 1), tilings=st.lists(loops, min_size=3, max_size=3))
@example(which=SCENARIOS.index(whole_tensor_op), tilings=[[], [TileLoop("OX", 2)], []])
def test_shape_op_dependencies_equal_brute_force(which, tilings):
    check(SCENARIOS[which](), tilings)


def test_transpose_hand_checked():
    """After an H<->W transpose, consumer row r reads producer columns r-1..r+1: every row."""
    wl = transpose_hw()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={n.name: ROWS[0] for n in wl.layers}))
    cn = int(g.cns_of_layer(1)[0])
    preds = sorted(int(g.tile[p]) for p in g.predecessors(cn) if g.layer[p] == 0)
    assert preds == [0, 1, 2, 3, 4]  # 5 producer rows, each giving 2 of its 4 columns
    edges = g.in_edges[g.in_ptr[cn] : g.in_ptr[cn + 1]]
    assert {int(g.edge_bits[e]) for e in edges if g.edge_role[e] == 0} == {3 * 2 * 8}


def test_split_hand_checked():
    """The Add reads channels 2-4 of conv0 through the Split and conv1's output directly."""
    wl = split_channels_and_add()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [TileLoop("K", 5)], "add3": []}))
    add = int(g.cns_of_layer(2)[0])
    got = sorted(
        (int(g.layer[g.edge_src[e]]), int(g.tile[g.edge_src[e]]), int(g.edge_bits[e]))
        for e in g.in_edges[g.in_ptr[add] : g.in_ptr[add + 1]]
    )
    # conv0 is cut into 5 one-channel tiles; the Add needs channels 2, 3, 4 (16 pixels each)
    assert got == [(0, 2, 16 * 8), (0, 3, 16 * 8), (0, 4, 16 * 8), (1, 0, 3 * 16 * 8)]


def test_a_shape_op_without_its_attributes_is_a_located_error():
    n = Net()
    y = n.conv(n.input((1, 1, 3, 3)), 2)
    c = n.shape_op("Concat", [y], (1, 2, 3, 3))  # no axis attribute
    n.conv(c, 1)
    wl = n.build()
    with pytest.raises(InputError) as exc:
        build_cn_graph(wl, ACC, spec(wl))
    assert exc.value.where == "concat1"
