"""The workload and zoo commands: output shapes, and one-line located errors with exit code 2."""

from __future__ import annotations

import json

import onnx
import pytest
from onnx import TensorProto, helper

from fuseflow.cli import main
from tests.workload.onnx_helpers import model


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def test_summary_json_shape(capsys):
    code, out, _ = _run(capsys, "workload", "summary", "zoo:resnet18?size=64", "--json")
    assert code == 0
    data = json.loads(out)
    first = data["layers"][0]
    assert {"name", "op_type", "macs", "dims", "operands", "producers"} <= first.keys()
    assert first["name"] == "/conv1/Conv" and first["op_type"] == "Conv"
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])
    assert data["layers"][-1]["producers"] == ["/Flatten"]


def test_summary_table(capsys):
    code, out, _ = _run(capsys, "workload", "summary", "zoo:squeezenet?size=64")
    assert code == 0
    assert "/features/features.3/squeeze/Conv" in out and "total" in out


def test_nonexistent_path(capsys, tmp_path):
    missing = tmp_path / "nope.onnx"
    code, _, err = _run(capsys, "workload", "summary", str(missing))
    _assert_one_line_error(code, err, str(missing), "no such file")


def test_malformed_onnx(capsys, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07this is not a protobuf \xff\xfe" * 10)
    code, _, err = _run(capsys, "workload", "summary", str(bad))
    _assert_one_line_error(code, err, str(bad))


def _save(tmp_path, m: onnx.ModelProto, name: str) -> str:
    path = tmp_path / name
    onnx.save(m, str(path))
    return str(path)


def test_unknown_op_error_and_passthrough(capsys, tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("Det", ["r"], ["y"], name="determinant")]  # fmt: skip
    path = _save(tmp_path, model(nodes, {"x": (3, 3)}, ["y"]), "det.onnx")
    code, _, err = _run(capsys, "workload", "summary", path)
    _assert_one_line_error(code, err, path, "determinant", "'Det'", "passthrough")

    code, out, err = _run(
        capsys, "workload", "summary", path, "--unknown-ops", "passthrough", "--json"
    )
    assert code == 0
    assert "determinant" in err and "passed through" in err
    data = json.loads(out)
    assert data["shape_ops"][0]["attrs"] == {"passthrough": True, "whole_tensor": True}


def test_missing_shape(capsys, tmp_path):
    shape_in = helper.make_tensor_value_info("s", TensorProto.INT64, [2])
    node = helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")
    m = model([node], {"x": (2, 3)}, ["y"])
    m.graph.input.append(shape_in)
    path = _save(tmp_path, m, "reshape.onnx")
    code, _, err = _run(capsys, "workload", "summary", path)
    _assert_one_line_error(code, err, path, "reshape", "no static shape")


def test_zoo_list_and_export(capsys, tmp_path):
    code, out, _ = _run(capsys, "zoo", "list")
    assert code == 0 and "llama_decode" in out and "kv_len=1024" in out
    dest = tmp_path / "bert.onnx"
    code, out, _ = _run(
        capsys, "zoo", "export", "bert_layer", "--out", str(dest), "--param", "seq=16"
    )
    assert code == 0 and dest.exists()
    onnx.checker.check_model(str(dest), full_check=True)  # a real, runnable ONNX file
    code, out, _ = _run(capsys, "workload", "summary", str(dest), "--json")
    scores = next(x for x in json.loads(out)["layers"] if x["name"] == "/attention/self/MatMul")
    assert scores["dims"] == {"B": 1, "G": 12, "OY": 16, "K": 16, "C": 64}


@pytest.mark.parametrize("param", ["seq", "seq=x"])
def test_zoo_export_bad_param(capsys, tmp_path, param):
    code, _, err = _run(capsys, "zoo", "export", "bert_layer", "--out", str(tmp_path / "b.onnx"),
                        "--param", param)  # fmt: skip
    _assert_one_line_error(code, err, "zoo:bert_layer")


def test_graph_input_without_shape_and_empty_file(capsys, tmp_path):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="r")], {"x": ()}, ["y"])
    m.graph.input[0].type.tensor_type.ClearField("shape")
    path = _save(tmp_path, m, "noshape.onnx")
    code, _, err = _run(capsys, "workload", "summary", path)
    _assert_one_line_error(code, err, f"{path}, x", "no static shape")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    code, _, err = _run(capsys, "workload", "summary", str(empty))
    _assert_one_line_error(code, err, str(empty), "no nodes")
