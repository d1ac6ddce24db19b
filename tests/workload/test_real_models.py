"""Every weight-stripped CNN shipped inside the onnx package and Stream's examples import, with
MACs equal to an independent count from ONNX shape inference."""

from __future__ import annotations

import math
from pathlib import Path

import onnx
import pytest
from onnx import helper

from fuseflow.workload.layer import Workload
from fuseflow.workload.load import load_workload

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
STREAM = Path(__file__).parent.parent / "data" / "stream" / "workload"
LIGHT_MODELS = [
    "bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet",
    "squeezenet", "vgg19", "zfnet512",
]  # fmt: skip


def independent_counts(path: Path) -> dict[str, int]:
    """MACs of conv/gemm and operations of pooling, from the shape-inferred ONNX graph alone."""
    m = onnx.shape_inference.infer_shapes(onnx.load(str(path), load_external_data=False))
    g = m.graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*g.input, *g.value_info, *g.output]}  # fmt: skip
    shapes.update({i.name: list(i.dims) for i in g.initializer})
    counts = {"conv": 0, "gemm": 0, "pool": 0}
    for node in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        out = shapes[node.output[0]]
        if node.op_type == "Conv":
            w = shapes[node.input[1]]
            counts["conv"] += math.prod(out) * w[1] * math.prod(w[2:])  # C_in/group * kh * kw
        elif node.op_type == "Gemm":
            a = shapes[node.input[0]]
            counts["gemm"] += math.prod(out) * (a[0] if attrs.get("transA") else a[1])
        elif node.op_type in ("MaxPool", "AveragePool"):
            counts["pool"] += math.prod(out) * math.prod(attrs["kernel_shape"])
        elif node.op_type.startswith("Global"):
            counts["pool"] += math.prod(shapes[node.input[0]])
    return counts


def fuseflow_counts(w: Workload) -> dict[str, int]:
    return {
        kind: sum(x.macs for x in w.layers if x.kind == kind) for kind in ("conv", "gemm", "pool")
    }


@pytest.mark.parametrize("name", LIGHT_MODELS)
def test_onnx_light_models_import_with_independent_mac_counts(name):
    path = LIGHT / f"light_{name}.onnx"
    w = load_workload(path)
    assert fuseflow_counts(w) == independent_counts(path)
    assert w.warnings == ()
    for layer in w.layers:
        if layer.kind == "elementwise":
            assert layer.macs == math.prod(w.tensors[layer.operands["O"].tensor].shape)


def test_light_resnet50_folds_every_batchnorm():
    w = load_workload(LIGHT / "light_resnet50.onnx")
    assert not [x for x in w.layers if x.op_type == "BatchNormalization"]
    assert sum(len(x.attrs.get("folded", ())) for x in w.layers) == 53
    assert fuseflow_counts(w)["conv"] + fuseflow_counts(w)["gemm"] == 4_089_184_256


@pytest.mark.parametrize("name", ["resnet18", "fsrcnn"])
def test_stream_examples(name):
    path = STREAM / f"{name}.onnx"
    w = load_workload(path)
    assert fuseflow_counts(w) == independent_counts(path)


def test_stream_resnet18_names_and_totals():
    w = load_workload(STREAM / "resnet18.onnx")
    assert w.layer("/conv1/Conv").sizes == {
        "B": 1, "K": 64, "C": 3, "OY": 112, "OX": 112, "FY": 7, "FX": 7,
    }  # fmt: skip
    assert w.layer("/layer1/layer1.0/Add").kind == "elementwise"
    assert fuseflow_counts(w)["conv"] + fuseflow_counts(w)["gemm"] == 1_814_073_344
    # Graph inputs are activations fetched from DRAM, weights are constants.
    assert not w.tensors["input.1"].constant
    assert w.layer("/conv1/Conv").operands["W"].constant


def test_stream_fsrcnn_equals_the_zoo_model():
    # 8 convs at 540x960: 1->56 5x5, 56->12 1x1, 4 x 12->12 3x3, 12->56 1x1, 56->16 3x3
    per_pixel = 56 * 25 + 12 * 56 + 4 * 12 * 12 * 9 + 56 * 12 + 16 * 56 * 9
    expected = 540 * 960 * per_pixel
    assert load_workload(STREAM / "fsrcnn.onnx").total_macs == expected
    assert load_workload("zoo:fsrcnn").total_macs == expected
