"""Conv and pooling layers from ONNX, with numbers checked by hand."""

from __future__ import annotations

from onnx import helper

from fuseflow.workload.layer import AxisMap
from tests.workload.onnx_helpers import load, model, stub


def _conv(x_shape, w_shape, **attrs):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    return load(model([node], {"x": x_shape}, ["y"], [stub("w", w_shape)])).layer("conv")


def test_non_square_conv_keeps_height_and_width_apart():
    # H=10, W=12; kernel 3x5; stride (2, 1); dilation (1, 2); pads top 1, left 2, bottom 0, right 3
    layer = _conv(
        (1, 3, 10, 12), (4, 3, 3, 5), kernel_shape=[3, 5], strides=[2, 1], dilations=[1, 2],
        pads=[1, 2, 0, 3],
    )  # fmt: skip
    # OY = (10 + 1 + 0 - 1*(3-1) - 1) // 2 + 1 = 5; OX = (12 + 2 + 3 - 2*(5-1) - 1) // 1 + 1 = 9
    assert layer.sizes == {"B": 1, "K": 4, "C": 3, "OY": 5, "OX": 9, "FY": 3, "FX": 5}
    assert layer.macs == 4 * 3 * 5 * 9 * 3 * 5 == 8100
    iy, ix = layer.operands["I"].axes[2:]
    assert iy == AxisMap((("OY", 2), ("FY", 1)), -1)
    assert ix == AxisMap((("OX", 1), ("FX", 2)), -2)
    assert layer.reduction_dims == {"C", "FY", "FX"}
    # Input window of the tile OY in [1, 3), OX in [0, 4), whole kernel:
    tile = {"OY": (1, 3), "OX": (0, 4), "FY": (0, 3), "FX": (0, 5)}
    assert iy.span(tile) == (1, 6)  # rows 2*1+0-1 = 1 .. 2*2+2-1 = 5
    assert ix.span(tile) == (-2, 10)  # cols 0+0-2 = -2 (padding) .. 3+8-2 = 9


def test_depthwise_conv_has_groups_and_no_channel_reduction():
    layer = _conv((1, 8, 7, 7), (8, 1, 3, 3), kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8)
    assert layer.sizes == {"B": 1, "G": 8, "K": 1, "C": 1, "OY": 7, "OX": 7, "FY": 3, "FX": 3}
    assert layer.macs == 8 * 7 * 7 * 9 == 3528
    assert layer.operands["I"].axes[1] == AxisMap((("G", 1), ("C", 1)))
    assert layer.operands["O"].axes[1] == AxisMap((("G", 1), ("K", 1)))
    assert layer.operands["W"].constant and not layer.operands["I"].constant


def test_grouped_conv_channel_maps():
    layer = _conv((1, 8, 5, 5), (6, 4, 1, 1), kernel_shape=[1, 1], group=2)
    assert layer.sizes["G"] == 2 and layer.sizes["K"] == 3 and layer.sizes["C"] == 4
    assert layer.macs == 2 * 3 * 4 * 25
    assert layer.operands["I"].axes[1] == AxisMap((("G", 4), ("C", 1)))
    assert layer.operands["W"].axes[0] == AxisMap((("G", 3), ("K", 1)))


def test_same_upper_auto_pad():
    layer = _conv(
        (1, 1, 5, 6), (1, 1, 3, 3), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"
    )
    # out 3x3; total pad H = (3-1)*2+3-5 = 2 -> (1, 1); W = (3-1)*2+3-6 = 1 -> (0, 1)
    assert layer.attrs["pads"] == (1, 0, 1, 1)


def test_conv1d():
    layer = _conv((1, 2, 9), (4, 2, 3), kernel_shape=[3], strides=[2])
    assert layer.sizes == {"B": 1, "K": 4, "C": 2, "OX": 4, "FX": 3}


def test_maxpool_has_no_channel_loop():
    node = helper.make_node("MaxPool", ["x"], ["y"], name="p", kernel_shape=[3, 2], strides=[2, 1],
                            pads=[1, 0, 1, 0])  # fmt: skip
    layer = load(model([node], {"x": (1, 16, 8, 6)}, ["y"])).layer("p")
    # OY = (8 + 2 - 3) // 2 + 1 = 4; OX = (6 - 2) // 1 + 1 = 5
    assert layer.sizes == {"B": 1, "K": 16, "OY": 4, "OX": 5, "FY": 3, "FX": 2}
    assert layer.macs == 16 * 4 * 5 * 3 * 2
    assert "W" not in layer.operands and layer.kind == "pool"
    assert layer.operands["I"].axes[2] == AxisMap((("OY", 2), ("FY", 1)), -1)


def test_global_average_pool_kernel_is_the_feature_map():
    node = helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")
    layer = load(model([node], {"x": (2, 32, 7, 9)}, ["y"])).layer("gap")
    assert layer.sizes == {"B": 2, "K": 32, "OY": 1, "OX": 1, "FY": 7, "FX": 9}
    assert layer.macs == 2 * 32 * 7 * 9


def test_conv_transpose_is_a_scatter_over_input_positions():
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", kernel_shape=[3, 4],
                            strides=[2, 2], pads=[1, 1, 0, 1])  # fmt: skip
    layer = load(model([node], {"x": (1, 6, 5, 7)}, ["y"], [stub("w", (6, 2, 3, 4))])).layer("up")
    # OH = 2*(5-1) + 3 - 1 - 0 = 10; OW = 2*(7-1) + 4 - 1 - 1 = 14 (output tensor, not loop dims)
    assert layer.sizes == {"B": 1, "K": 2, "C": 6, "OY": 5, "OX": 7, "FY": 3, "FX": 4}
    assert layer.macs == 2 * 6 * 5 * 7 * 3 * 4  # real MACs only, no inserted zeros
    assert layer.operands["O"].axes[2] == AxisMap((("OY", 2), ("FY", 1)), -1)
    assert layer.operands["W"].axes[:2] == (AxisMap.of("C"), AxisMap.of("K"))
    assert layer.attrs["scatter"] is True


def test_average_pool_ceil_mode_non_square():
    node = helper.make_node("AveragePool", ["x"], ["y"], name="ap", kernel_shape=[2, 3],
                            strides=[2, 3], ceil_mode=1)  # fmt: skip
    w = load(model([node], {"x": (1, 5, 7, 8)}, ["y"]))
    layer = w.layer("ap")
    # OY = ceil((7 - 2) / 2) + 1 = 4; OX = ceil((8 - 3) / 3) + 1 = 3
    assert w.tensors["y"].shape == (1, 5, 4, 3)
    assert layer.sizes == {"B": 1, "K": 5, "OY": 4, "OX": 3, "FY": 2, "FX": 3}
    assert layer.macs == 5 * 4 * 3 * 2 * 3 == 360
    assert "C" not in layer.sizes and layer.reduction_dims == {"FY", "FX"}
    assert layer.operands["I"].axes[3] == AxisMap((("OX", 3), ("FX", 1)))


def test_global_max_pool_non_square():
    node = helper.make_node("GlobalMaxPool", ["x"], ["y"], name="gmp")
    layer = load(model([node], {"x": (1, 3, 4, 6)}, ["y"])).layer("gmp")
    assert layer.sizes == {"B": 1, "K": 3, "OY": 1, "OX": 1, "FY": 4, "FX": 6}
    assert layer.macs == 72 and layer.kind == "pool"


def test_default_precisions_and_operand_bits():
    layer = _conv((1, 3, 4, 6), (2, 3, 1, 1), kernel_shape=[1, 1])
    bits = {role: op.precision_bits for role, op in layer.operands.items()}
    assert bits == {"I": 8, "W": 8, "O": 8} and layer.partial_output_bits == 16
