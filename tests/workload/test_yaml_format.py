"""The YAML layer list: the DIANA head from its fact sheet, and located errors."""

from __future__ import annotations

import pytest

from fuseflow.cli import main
from fuseflow.errors import InputError
from fuseflow.workload.load import load_workload

DIANA = """\
name: diana_resnet18_head
precisions: {input_bits: 8, weight_bits: 8, partial_output_bits: 16, output_bits: 8}
inputs:
  image: [1, 3, 224, 224]
layers:
  - {name: conv1, op: Conv, input: image, out_channels: 64, kernel: 7, stride: 2,
     padding: [3, 2, 3, 2]}
  - {name: pool1, op: MaxPool, input: conv1, kernel: 2, stride: 2}
  - {name: conv2_1, op: Conv, input: pool1, out_channels: 64, kernel: 3, padding: 1}
  - {name: skip, op: Conv, input: pool1, out_channels: 64, kernel: 1}
  - {name: conv2_2, op: Conv, input: conv2_1, out_channels: 64, kernel: 3, padding: 1}
  - {name: add1, op: Add, inputs: [skip, conv2_2]}
  - {name: conv2_3, op: Conv, input: add1, out_channels: 64, kernel: 3, padding: 1}
  - {name: conv2_4, op: Conv, input: conv2_3, out_channels: 64, kernel: 3, padding: 1}
  - {name: add2, op: Add, inputs: [add1, conv2_4]}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "w.yaml"
    path.write_text(text)
    return path


def test_diana_head_matches_the_fact_sheet(tmp_path):
    w = load_workload(_write(tmp_path, DIANA))
    macs = {layer.name: layer.macs for layer in w.layers}
    assert macs["conv1"] == 118_013_952
    assert macs["pool1"] == 802_816
    assert macs["conv2_1"] == 115_605_504 and macs["skip"] == 12_845_056
    assert macs["add1"] == 200_704
    assert [p.name for p in w.producers(w.layer("add2"))] == ["add1", "conv2_4"]
    # pads (top, bottom, left, right) = (3, 2, 3, 2) -> ONNX order (top, left, bottom, right)
    assert w.layer("conv1").attrs["pads"] == (3, 3, 2, 2)
    assert w.outputs == ("add2_output",)


def test_shape_ops_and_transformer_ops(tmp_path):
    text = """\
inputs: {x: [1, 8, 16]}
layers:
  - {name: ln, op: LayerNormalization, input: x}
  - {name: proj, op: Gemm, input: ln, out_features: 32}
  - {name: heads, op: Reshape, input: proj, out_shape: [1, 8, 2, 16]}
  - {name: t, op: Transpose, input: heads, out_shape: [1, 2, 8, 16], perm: [0, 2, 1, 3]}
  - {name: tt, op: Transpose, input: heads, out_shape: [1, 2, 16, 8], perm: [0, 2, 3, 1]}
  - {name: scores, op: MatMul, inputs: [t, tt]}
  - {name: sm, op: Softmax, input: scores}
  - {name: act, op: Gelu, input: sm}
  - {name: mean, op: ReduceMean, input: act, axes: [-1], keepdims: false}
"""
    w = load_workload(_write(tmp_path, text))
    assert w.layer("scores").sizes == {"B": 1, "G": 2, "OY": 8, "K": 8, "C": 16}
    assert w.layer("sm").attrs["full_input_dims"] == ("OX",)
    assert w.tensors[w.outputs[0]].shape == (1, 2, 8)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("input: conv2_1,", "input: conv2_x,", ":11, layers[4].input"),
        ("op: MaxPool", "op: Maxpool", ":8, layers[1].op"),
        ("kernel: 1}", "kernel: 1, paddin: 1}", ":10, layers[3]"),
        ("image: [1, 3, 224, 224]", "image: [1, 3, -224, 224]", ":4, inputs.image"),
        ("kernel: 2,", "kernel: 999,", ":8, layers[1]"),
        ("inputs: [skip, conv2_2]", "inputs: [skip, conv2_2", ""),
    ],
)
def test_located_errors(tmp_path, old, new, where):
    path = _write(tmp_path, DIANA.replace(old, new))
    with pytest.raises(InputError) as info:
        load_workload(path)
    assert f"{path}{where}" in str(info.value)


def test_zigzag_layer_list_is_refused_with_a_pointer(tmp_path, capsys):
    path = tmp_path / "zz.yaml"
    path.write_text(
        "# a ZigZag-style layer list\n"
        "- id: 0\n"
        "  operator_type: Conv\n"
        "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
        "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
        "  loop_sizes: [1, 8, 3, 4, 4, 3, 3]\n"
    )
    assert main(["workload", "summary", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"{path}:2, [0]: a ZigZag/Stream layer list" in err and "ONNX model" in err
