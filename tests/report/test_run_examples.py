"""Finding the shipped examples: beside the package, else where pip installed from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fuseflow.errors import InputError
from fuseflow.report import examples


class _Dist:
    def __init__(self, url: str) -> None:
        self.url = url

    def read_text(self, name: str) -> str:
        assert name == "direct_url.json"
        return json.dumps({"url": self.url, "dir_info": {}})


def test_a_plain_install_finds_examples_in_the_folder_it_was_installed_from(tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    src = examples.DEFAULT_EXAMPLES_DIR
    for name in ("resnet18-tpu-quad-lbl.yaml", "resnet18_tpu_quad_mapping.yaml", "resnet18.onnx"):
        (tmp_path / "examples" / name).write_bytes((src / name).read_bytes())
    monkeypatch.setattr(examples, "DEFAULT_EXAMPLES_DIR", tmp_path / "site-packages" / "nothing")
    monkeypatch.setattr(examples, "distribution", lambda _: _Dist(tmp_path.as_uri()))
    assert examples.default_examples_dir() == tmp_path / "examples"
    ex = examples.load_example("resnet18-tpu-quad-lbl")
    assert Path(ex.workload) == tmp_path / "examples" / "resnet18.onnx"


def test_without_a_source_folder_the_error_says_how_to_get_the_examples(tmp_path, monkeypatch):
    monkeypatch.setattr(examples, "DEFAULT_EXAMPLES_DIR", tmp_path / "missing")
    monkeypatch.setattr(examples, "distribution", lambda _: _Dist("https://example.org/x.whl"))
    with pytest.raises(InputError, match="pip install -e"):
        examples.list_examples()
