"""Located errors of the ONNX importer for graphs it cannot read as they are."""

from __future__ import annotations

import pytest
from onnx import helper

from fuseflow.errors import InputError
from tests.workload.onnx_helpers import load, model


def test_unsorted_graph():
    nodes = [helper.make_node("Relu", ["a"], ["y"], name="second"),
             helper.make_node("Relu", ["x"], ["a"], name="first")]  # fmt: skip
    with pytest.raises(InputError, match=r"test.onnx, node second \(Relu\).*not topologically"):
        load(model(nodes, {"x": (4,)}, ["y"]))


def test_reading_a_dropped_extra_output():
    nodes = [helper.make_node("Dropout", ["x"], ["d", "mask"], name="drop"),
             helper.make_node("Cast", ["mask"], ["y"], name="cast", to=1)]  # fmt: skip
    with pytest.raises(InputError, match="extra output of node #0"):
        load(model(nodes, {"x": (4,)}, ["y"]))


def test_duplicate_node_names_are_renamed_with_a_warning():
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="act"),
             helper.make_node("Relu", ["a"], ["y"], name="act")]  # fmt: skip
    w = load(model(nodes, {"x": (4,)}, ["y"]))
    assert [layer.name for layer in w.layers] == ["act", "act#2"]
    assert any("act#2" in warning for warning in w.warnings)


def test_nameless_nodes_take_their_first_output_name():
    w = load(model([helper.make_node("Relu", ["x"], ["relu_out"])], {"x": (4,)}, ["relu_out"]))
    assert w.layers[0].name == "relu_out" and w.layers[0].source_index == 0


def test_symbolic_batch_dim_defaults_to_one_with_a_warning():
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r")], {"x": ("N", 4)}, ["y"])
    w = load(m)
    assert w.tensors["x"].shape == (1, 4) and "'N' set to 1" in w.warnings[0]
    assert load(m, dim_values={"N": 8}).tensors["y"].shape == (8, 4)


def test_custom_domain_op_is_unknown():
    node = helper.make_node("FusedThing", ["x"], ["y"], name="f", domain="com.example")
    m = model([node], {"x": (4,)}, ["y"])
    with pytest.raises(InputError, match="'FusedThing' is not modelled"):
        load(m)
    w = load(m, unknown_ops="passthrough")
    assert w.shape_ops[0].attrs == {"passthrough": True, "whole_tensor": False}
    assert "assumed its input's" in " ".join(w.warnings)
    assert "domain 'com.example' has no opset import" in w.warnings[0]
