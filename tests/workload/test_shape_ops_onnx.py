"""Imported shape ops map elements exactly as ONNX's reference implementation moves them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from onnx.reference import ReferenceEvaluator

from fuseflow.workload.shape_ops import source_elements
from tests.workload.onnx_helpers import const, load, model

OFFSET = 10_000  # input i holds arange + i * OFFSET, so a value names its source element


def _check(node, inputs: dict[str, tuple[int, ...]], inits=(), opset: int = 18) -> None:
    outputs = [o for o in node.output if o]
    m = model([node], inputs, outputs, inits, opset=opset)
    w = load(m)
    feeds = {
        name: (np.arange(math.prod(shape)) + i * OFFSET).reshape(shape).astype(np.float32)
        for i, (name, shape) in enumerate(inputs.items())
    }
    results = ReferenceEvaluator(m).run(None, feeds)
    op = w.shape_ops[0]
    for k, expected in enumerate(results):
        which, index = source_elements(op, w, k)
        offsets = np.array([list(inputs).index(t) * OFFSET for t in op.inputs])
        got = np.where(which >= 0, index + offsets[np.maximum(which, 0)], 0)
        np.testing.assert_array_equal(got, expected)


def N(op: str, inputs: list[str], outputs: list[str] | None = None, **attrs):
    return helper.make_node(op, inputs, outputs or ["y"], name="op", **attrs)


CASES = {
    "reshape": (N("Reshape", ["x", "s"]), {"x": (2, 3, 4)}, [const("s", [4, -1])]),
    "flatten": (N("Flatten", ["x"], axis=2), {"x": (2, 3, 4)}, []),
    "squeeze": (N("Squeeze", ["x", "a"]), {"x": (2, 1, 4)}, [const("a", [1])]),
    "unsqueeze": (N("Unsqueeze", ["x", "a"]), {"x": (2, 4)}, [const("a", [0, 3])]),
    "transpose": (N("Transpose", ["x"], perm=[2, 0, 1]), {"x": (2, 3, 4)}, []),
    "concat": (N("Concat", ["x", "z"], axis=-1), {"x": (2, 3), "z": (2, 2)}, []),
    "split": (N("Split", ["x", "p"], ["y", "y2"], axis=1), {"x": (2, 5)}, [const("p", [2, 3])]),
    "slice": (
        N("Slice", ["x", "b", "e", "a", "t"]), {"x": (5, 6)},
        [const("b", [-1, 1]), const("e", [-10, 6]), const("a", [0, 1]), const("t", [-2, 2])],
    ),
    "gather": (N("Gather", ["x", "i"], axis=1), {"x": (2, 4)}, [const("i", [[3, -4], [1, 1]])]),
    "gather_scalar": (N("Gather", ["x", "i"], axis=0), {"x": (3, 4)}, [const("i", 2)]),
    "pad_constant": (N("Pad", ["x", "p"]), {"x": (2, 3)}, [const("p", [1, 0, 0, 2])]),
    "pad_reflect": (N("Pad", ["x", "p"], mode="reflect"), {"x": (3, 4)}, [const("p", [1, 2, 1, 1])]),  # noqa: E501
    "pad_edge": (N("Pad", ["x", "p"], mode="edge"), {"x": (3, 4)}, [const("p", [2, 0, 0, 1])]),
    "expand": (N("Expand", ["x", "s"]), {"x": (3, 1)}, [const("s", [2, 3, 4])]),
    "tile": (N("Tile", ["x", "r"]), {"x": (2, 3)}, [const("r", [2, 3])]),
    "d2s_dcr": (N("DepthToSpace", ["x"], blocksize=2), {"x": (1, 8, 2, 3)}, []),
    "d2s_crd": (N("DepthToSpace", ["x"], blocksize=2, mode="CRD"), {"x": (1, 8, 2, 3)}, []),
    "s2d": (N("SpaceToDepth", ["x"], blocksize=2), {"x": (1, 2, 4, 6)}, []),
    "resize": (
        N("Resize", ["x", "", "sc"], mode="nearest"), {"x": (1, 2, 3, 4)},
        [const("sc", [1.0, 1.0, 2.0, 3.0])],
    ),
    "identity": (N("Identity", ["x"]), {"x": (2, 3)}, []),
    "dropout": (N("Dropout", ["x"]), {"x": (2, 3)}, []),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_op_matches_onnx_reference(case):
    node, inputs, inits = CASES[case]
    _check(node, inputs, inits)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    data=st.data(),
)
def test_slice_property(shape, data):
    rank = len(shape)
    axes = data.draw(st.permutations(range(rank)))[: data.draw(st.integers(1, rank))]
    starts = [data.draw(st.integers(-7, 7)) for _ in axes]
    ends = [data.draw(st.integers(-7, 7)) for _ in axes]
    steps = [data.draw(st.sampled_from([-3, -2, -1, 1, 2, 3])) for _ in axes]
    slice_lens = [
        len(range(shape[a])[slice(s, e, t)])
        for a, s, e, t in zip(axes, starts, ends, steps, strict=True)
    ]
    if 0 in slice_lens:
        return  # empty outputs carry no dependencies
    inits = [const("b", starts), const("e", ends), const("a", list(axes)), const("t", steps)]
    _check(N("Slice", ["x", "b", "e", "a", "t"]), {"x": tuple(shape)}, inits)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=5), data=st.data())
def test_transpose_property(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    _check(N("Transpose", ["x"], perm=list(perm)), {"x": tuple(shape)})
