"""Gemm/MatMul, elementwise, normalisation, reduction and BatchNorm layers from ONNX."""

from __future__ import annotations

import pytest
from onnx import helper

from fuseflow.errors import InputError
from fuseflow.workload.layer import AxisMap
from tests.workload.onnx_helpers import const, load, model, stub

NO_AXIS = AxisMap(())


def test_gemm_with_transposed_weight():
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)
    w = load(model([node], {"x": (2, 8)}, ["y"], [stub("w", (5, 8)), stub("b", (5,))]))
    fc = w.layer("fc")
    assert fc.sizes == {"OY": 2, "K": 5, "C": 8} and fc.macs == 80
    assert fc.operands["W"].axes == (AxisMap.of("K"), AxisMap.of("C"))
    assert fc.operands["W"].constant


def test_gemm_transposed_input():
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transA=1)
    fc = load(model([node], {"x": (8, 2)}, ["y"], [stub("w", (8, 5))])).layer("fc")
    assert fc.sizes == {"OY": 2, "K": 5, "C": 8}
    assert fc.operands["I"].axes == (AxisMap.of("C"), AxisMap.of("OY"))


def test_batched_activation_matmul_with_broadcast():
    # (2, 4, 6, 8) x (4, 8, 3): heads G=4 shared, batch B=2 broadcast on the second operand
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    mm = load(model([node], {"a": (2, 4, 6, 8), "b": (4, 8, 3)}, ["y"])).layer("mm")
    assert mm.sizes == {"B": 2, "G": 4, "OY": 6, "K": 3, "C": 8}
    assert mm.macs == 2 * 4 * 6 * 3 * 8
    assert not mm.operands["W"].constant
    assert mm.operands["W"].axes == (AxisMap.of("G"), AxisMap.of("C"), AxisMap.of("K"))
    assert mm.operands["O"].dims == {"B", "G", "OY", "K"}
    assert mm.reduction_dims == {"C"}


def test_matmul_size_one_broadcast_axis_has_no_terms():
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    mm = load(model([node], {"a": (3, 2, 4), "b": (1, 4, 5)}, ["y"])).layer("mm")
    assert mm.operands["W"].axes[0] == NO_AXIS


def test_binary_elementwise_broadcasting():
    node = helper.make_node("Add", ["x", "bias"], ["y"], name="add")
    add = load(model([node], {"x": (1, 6, 4, 5)}, ["y"], [stub("bias", (6, 1, 1))])).layer("add")
    assert add.sizes == {"B": 1, "K": 6, "OY": 4, "OX": 5} and add.macs == 120
    assert add.operands["W"].axes == (AxisMap.of("K"), NO_AXIS, NO_AXIS)
    assert add.operands["W"].constant and add.kind == "elementwise"


def test_constant_first_operand_moves_to_w():
    node = helper.make_node("Sub", ["one", "x"], ["y"], name="sub")
    sub = load(model([node], {"x": (3, 4)}, ["y"], [const("one", 1.0)])).layer("sub")
    assert sub.operands["I"].tensor == "x" and sub.operands["W"].axes == ()


def test_unary_ops_and_clip_ignore_scalar_inputs():
    nodes = [
        helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="clip"),
        helper.make_node("Sigmoid", ["c"], ["s"], name="sig"),
        helper.make_node("Mul", ["c", "s"], ["y"], name="silu"),
    ]
    w = load(model(nodes, {"x": (2, 3, 4)}, ["y"], [const("lo", 0.0), const("hi", 6.0)]))
    assert [layer.name for layer in w.layers] == ["clip", "sig", "silu"]
    assert set(w.layer("clip").operands) == {"I", "O"}
    assert w.layer("silu").sizes == {"B": 2, "OY": 3, "K": 4}
    assert [p.name for p in w.producers(w.layer("silu"))] == ["clip", "sig"]


def test_variadic_sum_becomes_a_chain():
    node = helper.make_node("Sum", ["a", "b", "c"], ["y"], name="sum")
    w = load(model([node], {"a": (4,), "b": (4,), "c": (4,)}, ["y"]))
    assert [layer.name for layer in w.layers] == ["sum", "sum#2"]
    assert w.layer("sum#2").operands["O"].tensor == "y"


def test_softmax_needs_the_whole_row():
    node = helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=-1)
    sm = load(model([node], {"x": (1, 2, 8, 8)}, ["y"])).layer("sm")
    assert sm.attrs["full_input_dims"] == ("OX",)
    assert sm.macs == 128 and sm.kind == "reduction"


def test_old_softmax_flattens_from_axis():
    node = helper.make_node("Softmax", ["x"], ["y"], name="sm")  # opset 11: axis=1, flattened
    sm = load(model([node], {"x": (2, 10)}, ["y"], opset=11)).layer("sm")
    assert sm.attrs["full_input_dims"] == ("K",)


def test_layernorm_scale_and_full_dims():
    node = helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], name="ln", axis=-1)
    ln = load(model([node], {"x": (1, 16, 64)}, ["y"], [stub("g", (64,)), stub("b", (64,))]))
    layer = ln.layer("ln")
    assert layer.attrs["full_input_dims"] == ("K",)
    assert layer.operands["W"].axes == (AxisMap.of("K"),)


def test_reduce_mean_keepdims_and_axes_input():
    node = helper.make_node("ReduceMean", ["x", "axes"], ["y"], name="rm", keepdims=1)
    rm = load(model([node], {"x": (1, 8, 4, 4)}, ["y"], [const("axes", [2, 3])], opset=18))
    layer = rm.layer("rm")
    assert layer.sizes == {"B": 1, "K": 8, "OY": 4, "OX": 4} and layer.macs == 128
    assert layer.operands["O"].axes == (AxisMap.of("B"), AxisMap.of("K"), NO_AXIS, NO_AXIS)
    assert layer.reduction_dims == {"OY", "OX"}


def test_lrn_window_over_channels():
    node = helper.make_node("LRN", ["x"], ["y"], name="lrn", size=5)
    layer = load(model([node], {"x": (1, 10, 3, 3)}, ["y"])).layer("lrn")
    assert layer.macs == 10 * 9 * 5
    assert layer.operands["I"].axes[1] == AxisMap((("K", 1), ("C", 1)), -2)


def _conv_bn(extra_consumer: bool):
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"], name="bn"),
    ]
    outputs = ["y"]
    if extra_consumer:
        nodes.append(helper.make_node("Relu", ["c"], ["r"], name="relu"))
        outputs.append("r")
    inits = [stub("w", (4, 3, 1, 1))] + [stub(n, (4,)) for n in "sbmv"]
    return load(model(nodes, {"x": (1, 3, 5, 5)}, outputs, inits))


def test_batchnorm_folds_into_its_conv():
    w = _conv_bn(extra_consumer=False)
    assert [layer.name for layer in w.layers] == ["conv"]
    conv = w.layer("conv")
    assert conv.operands["O"].tensor == "y" and conv.attrs["folded"] == ("bn",)
    assert "c" not in w.tensors and w.tensors["y"].producer == "conv"


def test_batchnorm_stays_when_the_conv_output_has_other_readers():
    w = _conv_bn(extra_consumer=True)
    bn = w.layer("bn")
    assert bn.kind == "elementwise" and bn.macs == 100
    assert bn.operands["W"].axes == (AxisMap.of("K"),)


def test_precision_overrides_from_node_attributes():
    node = helper.make_node("Relu", ["x"], ["y"], name="r", act_size=4, output_size=16)
    layer = load(model([node], {"x": (4,)}, ["y"])).layer("r")
    assert layer.operands["I"].precision_bits == 4 and layer.operands["O"].precision_bits == 16


def test_reshape_needs_its_shape_values():
    node = helper.make_node("Reshape", ["x", "s"], ["y"], name="r")
    m = model([node], {"x": (2, 3)}, ["y"], [stub("s", (2,))])
    with pytest.raises(InputError, match=r"no static shape|values"):
        load(m)


def test_embedding_lookup_is_not_modelled_but_can_pass_through():
    node = helper.make_node("Gather", ["table", "ids"], ["y"], name="embed")
    m = model([node], {"ids": (1, 8)}, ["y"], [stub("table", (100, 16))])
    m.graph.input[0].type.tensor_type.elem_type = 7  # int64 token ids
    with pytest.raises(InputError, match=r"indices input 'ids'.*passthrough"):
        load(m)
    w = load(m, unknown_ops="passthrough")
    op = w.shape_ops[0]
    assert op.inputs == ("ids",) and op.attrs == {"passthrough": True, "whole_tensor": True}
    assert any("embed" in warning for warning in w.warnings)


def test_div_of_two_activations_broadcasts_the_smaller():
    # (2, 5, 6) / (2, 5, 1): rank 3 uses B, OY, K; the divisor's last axis is broadcast
    node = helper.make_node("Div", ["x", "d"], ["y"], name="div")
    div = load(model([node], {"x": (2, 5, 6), "d": (2, 5, 1)}, ["y"])).layer("div")
    assert div.sizes == {"B": 2, "OY": 5, "K": 6} and div.macs == 60
    assert not div.operands["W"].constant
    assert div.operands["W"].axes == (AxisMap.of("B"), AxisMap.of("OY"), NO_AXIS)


@pytest.mark.parametrize("op_type", ["Tanh", "Gelu", "Relu"])
def test_unary_op_on_nchw(op_type):
    node = helper.make_node(op_type, ["x"], ["y"], name="act")
    layer = load(model([node], {"x": (1, 3, 2, 5)}, ["y"], opset=20)).layer("act")
    assert layer.sizes == {"B": 1, "K": 3, "OY": 2, "OX": 5} and layer.macs == 30
    assert set(layer.operands) == {"I", "O"} and layer.op_type == op_type


def test_matmul_with_a_constant_weight_on_tokens():
    # (B=2, S=5, D=8) x W(8, 3): rows = OY (tokens), output features K, reduction C
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")
    mm = load(model([node], {"x": (2, 5, 8)}, ["y"], [stub("w", (8, 3))])).layer("proj")
    assert mm.sizes == {"B": 2, "OY": 5, "K": 3, "C": 8} and mm.macs == 2 * 5 * 3 * 8
    assert mm.operands["W"].constant and mm.operands["W"].axes == (AxisMap.of("C"), AxisMap.of("K"))
    assert mm.operands["I"].axes == (AxisMap.of("B"), AxisMap.of("OY"), AxisMap.of("C"))
