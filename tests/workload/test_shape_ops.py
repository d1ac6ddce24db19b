"""Hand-checked source maps of every shape op."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.workload.builder import WorkloadBuilder
from fuseflow.workload.layer import TensorInfo, Workload
from fuseflow.workload.shape_ops import depends_on_whole_input, source_elements


def _one(op_type: str, in_shapes, out_shape, **attrs):
    b = WorkloadBuilder("t")
    ins: list[TensorInfo] = [b.input(f"x{i}", s) for i, s in enumerate(in_shapes)]
    b.shape_op("op", op_type, ins, out_shape, **attrs)
    w: Workload = b.build()
    return w.shape_ops[0], w


def _src(op_type, in_shapes, out_shape, output=0, **attrs):
    op, w = _one(op_type, in_shapes, out_shape, **attrs)
    which, index = source_elements(op, w, output)
    assert which.dtype == np.int8 and index.dtype == np.int64
    return which.tolist(), index.tolist()


@pytest.mark.parametrize("op_type", ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"])
def test_flat_ops_keep_the_flat_index(op_type):
    which, index = _src(op_type, [(1, 2, 3)], (3, 2))
    assert index == [[0, 1], [2, 3], [4, 5]]
    assert which == [[0, 0]] * 3


def test_transpose():
    _, index = _src("Transpose", [(2, 3)], (3, 2), perm=(1, 0))
    assert index == [[0, 3], [1, 4], [2, 5]]


def test_concat_on_axis_1():
    which, index = _src("Concat", [(2, 1), (2, 2)], (2, 3), axis=1)
    assert which == [[0, 1, 1], [0, 1, 1]]
    assert index == [[0, 0, 1], [1, 2, 3]]


def test_split_second_output():
    which, index = _src("Split", [(2, 5)], [(2, 2), (2, 3)], output=1, axis=1, splits=(2, 3))
    assert index == [[2, 3, 4], [7, 8, 9]]
    assert which == [[0, 0, 0], [0, 0, 0]]


def test_slice_with_steps_and_negative_step():
    # x = arange(12).reshape(3, 4); x[1:3, 3:0:-2] -> [[7, 5], [11, 9]]
    _, index = _src("Slice", [(3, 4)], (2, 2), starts=(1, 3), steps=(1, -2))
    assert index == [[7, 5], [11, 9]]


def test_gather_constant_indices():
    # x = arange(6).reshape(2, 3); take columns [2, 0] -> [[2, 0], [5, 3]]
    _, index = _src("Gather", [(2, 3)], (2, 2), axis=1, indices=(2, 0), indices_shape=(2,))
    assert index == [[2, 0], [5, 3]]


def test_pad_constant_border_comes_from_no_input():
    which, index = _src("Pad", [(2, 2)], (3, 4), pads_begin=(1, 0), pads_end=(0, 2))
    assert index == [[-1, -1, -1, -1], [0, 1, -1, -1], [2, 3, -1, -1]]
    assert which == [[-1, -1, -1, -1], [0, 0, -1, -1], [0, 0, -1, -1]]


def test_pad_edge_mode_and_negative_pad_crops():
    _, index = _src("Pad", [(1, 3)], (1, 3), pads_begin=(0, -1), pads_end=(0, 1), mode="edge")
    assert index == [[1, 2, 2]]


def test_expand_broadcasts():
    _, index = _src("Expand", [(3, 1)], (2, 3, 2))
    assert index == [[[0, 0], [1, 1], [2, 2]]] * 2


def test_depth_to_space_dcr():
    # blocksize 2, 4 channels of 1x1 -> one channel of 2x2 read in DCR order
    _, index = _src("DepthToSpace", [(1, 4, 1, 1)], (1, 1, 2, 2), blocksize=2)
    assert index == [[[[0, 1], [2, 3]]]]


def test_passthrough_size_mismatch_is_whole_tensor():
    op, w = _one("Weird", [(2, 3)], (4,), passthrough=True, whole_tensor=True)
    assert depends_on_whole_input(op)
    with pytest.raises(ValueError):
        source_elements(op, w)
