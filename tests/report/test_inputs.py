"""Input identities, Stream-format detection and the --stacks syntax."""

from __future__ import annotations

import hashlib

import pytest

from fuseflow.errors import InputError
from fuseflow.report.inputs import (
    check_hashes,
    input_ref,
    is_stream_hardware,
    is_stream_mapping,
    parse_stacks,
    run_inputs,
)


def test_stacks_ranges_and_words():
    assert parse_stacks("0-10,11-21") == [{"nodes": [0, 10]}, {"nodes": [11, 21]}]
    assert parse_stacks(" 3 ") == [{"nodes": [3, 3]}]
    assert parse_stacks("lbl") == parse_stacks("layer_by_layer") == "layer_by_layer"
    assert parse_stacks("AUTO") == "auto"
    with pytest.raises(InputError, match=r"--stacks: .*'x'"):
        parse_stacks("0-3,x")
    with pytest.raises(InputError, match="ends before it starts"):
        parse_stacks("5-2")


def test_stream_formats_are_recognised():
    assert is_stream_hardware({"cores": {0: "a.yaml", 1: "b.yaml"}, "offchip_core": "o.yaml"})
    assert not is_stream_hardware({"cores": [{"name": "c"}], "dram": {}})
    assert is_stream_mapping([{"name": "default", "core_allocation": [0]}])
    assert not is_stream_mapping({"default": {"cores": [0]}})


def test_file_inputs_are_hashed_and_changes_detected(tmp_path):
    f = tmp_path / "w.onnx"
    f.write_bytes(b"abc")
    ref = input_ref(f)
    assert ref.sha256 == hashlib.sha256(b"abc").hexdigest() and ref.path == str(f.resolve())
    assert input_ref("zoo:resnet18").path is None
    inputs = run_inputs(f, "tpu_like_quad", None, stacks=None, seed=0, options={})
    assert check_hashes(inputs) == []
    f.write_bytes(b"abd")
    assert check_hashes(inputs) == [
        f"workload file {f.resolve()} changed since the run (sha256 differs)"
    ]
    f.unlink()
    assert "no longer exists" in check_hashes(inputs)[0]
