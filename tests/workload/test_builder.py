"""The builder API: shapes like ONNX, identical layers to the importer, IR checks."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from onnx import helper

from fuseflow.errors import InputError
from fuseflow.workload.builder import WorkloadBuilder, onnx_pads
from fuseflow.workload.ops import Precisions
from tests.workload.onnx_helpers import load, model, stub


def test_docs_example():
    b = WorkloadBuilder("tiny")
    x = b.input("x", (1, 3, 32, 32))
    y = b.conv("c1", x, 16, kernel=(3, 5), stride=(1, 2), padding=(1, 1, 2, 2))
    assert y.shape == (1, 16, 32, 16)  # OX = (32 + 2 + 2 - 5) // 2 + 1
    y = b.elementwise("r1", "Relu", y)
    y = b.pool("p1", y, 2)
    z = b.gemm("fc", b.shape_op("flat", "Flatten", [y], (1, 16 * 16 * 8)), 10)
    w = b.build()
    assert w.outputs == (z.name,)
    assert w.layer("fc").macs == 2048 * 10
    assert w.layer("c1").macs == 16 * 3 * 32 * 16 * 3 * 5
    assert [p.name for p in w.producers(w.layer("fc"))] == ["flat"]


def test_padding_forms():
    assert onnx_pads(1) == (1, 1, 1, 1)
    assert onnx_pads((1, 2)) == (1, 2, 1, 2)
    assert onnx_pads((1, 2, 3, 4)) == (1, 3, 2, 4)  # (top, bottom, left, right) -> ONNX order


def test_attention_and_precisions():
    b = WorkloadBuilder("attn", precisions=Precisions(input_bits=16, weight_bits=4))
    q = b.input("q", (1, 4, 8, 16))
    kt = b.input("kt", (1, 4, 16, 8))
    s = b.matmul("scores", q, kt)
    p = b.softmax("sm", s)
    n = b.layer_norm("ln", p)
    r = b.reduce("mean", n, axes=(-1,), keepdims=False)
    w = b.build()
    assert w.layer("scores").sizes == {"B": 1, "G": 4, "OY": 8, "K": 8, "C": 16}
    assert w.layer("scores").operands["W"].precision_bits == 16  # an activation
    assert w.layer("ln").operands["W"].precision_bits == 4
    assert r.shape == (1, 4, 8)


def test_duplicate_tensor_is_an_error():
    b = WorkloadBuilder("dup")
    b.input("x", (1,))
    with pytest.raises(InputError, match="defined twice"):
        b.input("x", (1,))


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(5, 12), w=st.integers(5, 12), ky=st.integers(1, 4), kx=st.integers(1, 4),
    sy=st.integers(1, 3), sx=st.integers(1, 3), dy=st.integers(1, 2), dx=st.integers(1, 2),
    pads=st.tuples(*[st.integers(0, 2)] * 4), groups=st.sampled_from([1, 2]),
)  # fmt: skip
def test_builder_conv_equals_onnx_import(h, w, ky, kx, sy, sx, dy, dx, pads, groups):
    top, bottom, left, right = pads
    assume(h + top + bottom > dy * (ky - 1) and w + left + right > dx * (kx - 1))
    b = WorkloadBuilder("c")
    x = b.input("x", (1, 4, h, w))
    b.conv("conv", x, 6, (ky, kx), stride=(sy, sx), dilation=(dy, dx), padding=pads, groups=groups)
    built = b.build().layer("conv")
    node = helper.make_node(
        "Conv", ["x", "conv.weight"], ["conv_output"], name="conv", kernel_shape=[ky, kx],
        strides=[sy, sx], dilations=[dy, dx], pads=[top, left, bottom, right], group=groups,
    )  # fmt: skip
    m = model(
        [node],
        {"x": (1, 4, h, w)},
        ["conv_output"],
        [stub("conv.weight", (6, 4 // groups, ky, kx))],
    )
    imported = load(m).layer("conv")
    assert built.dims == imported.dims
    assert built.operands == imported.operands


def test_window_larger_than_input_is_an_error():
    b = WorkloadBuilder("c")
    x = b.input("x", (1, 1, 3, 3))
    with pytest.raises(InputError, match="layer c1"):
        b.conv("c1", x, 1, 5)
