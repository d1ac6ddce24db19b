"""`fuseflow tile` and `fuseflow mapping import-stream` on Stream's real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from fuseflow.cli import main
from fuseflow.hardware.load import load_accelerator
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.mapping import load_mapping, parse_mapping_file
from fuseflow.tiling.stream_import import import_stream_mapping
from fuseflow.tiling.yamlfile import parse_yaml
from fuseflow.workload.load import load_workload

DATA = Path(__file__).parents[1] / "data" / "stream"
RESNET = DATA / "workload" / "resnet18.onnx"
MAPPINGS = sorted((DATA / "mapping").glob("*.yaml"))
TPU_FILES = [p for p in MAPPINGS if p.name.startswith("tpu_like")] + [
    DATA / "mapping" / "array_and_vec.yaml"
]
FUSED = "stacks: [{nodes: [0, 10]}, {nodes: [11, 21]}]"


@pytest.fixture(scope="module")
def resnet():
    return load_workload(RESNET)


@pytest.fixture(scope="module")
def tpu():
    return load_accelerator("tpu_like_quad")


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.name)
def test_every_stream_mapping_converts_to_a_valid_file(path):
    text = import_stream_mapping(path)
    parse_mapping_file(parse_yaml(text, "converted"))
    assert "Converted from the Stream mapping" in text


@pytest.mark.parametrize("path", TPU_FILES, ids=lambda p: p.name)
def test_converted_tpu_mappings_load_against_resnet18(path, tmp_path, resnet, tpu):
    out = tmp_path / "m.yaml"
    assert (
        main(["mapping", "import-stream", str(path), "--out", str(out), "--workload", str(RESNET)])
        == 0
    )
    m = load_mapping(out, resnet, tpu)
    assert len(m.layers) == len(resnet.layers)


def test_translation_of_dims_cores_and_fixed_lists():
    text = import_stream_mapping(DATA / "mapping" / "tpu_like_quad_core.yaml")
    data = yaml.safe_load(text)
    assert data["default"] == {
        "cores": ["core0", "core1", "core2", "core3"],
        "tiling": {"OY": "all"},  # Stream's D
        "split": {"K": "*"},
    }
    assert data["op_types"]["Gemm"]["split"] == {"G": "*"}  # Stream's H (heads)
    assert data["op_types"]["Add"] == {
        "cores": ["core5"],
        "tiling": {"OY": "all"},
        "split": {"K": "*"},
    }
    fixed = yaml.safe_load(
        import_stream_mapping(DATA / "mapping" / "tpu_like_quad_core_resnet18_fixed_split.yaml")
    )
    # Stream ran a fixed list with a '*' split on the list's first core
    assert fixed["layers"]["/layer4/layer4.0/conv1/Conv"] == {"core": "core1"}
    assert fixed["layers"]["/avgpool/GlobalAveragePool"] == {"cores": ["core4"]}


def test_resnet18_fused_point_matches_stream_counts(tmp_path, resnet, tpu):
    src = DATA / "mapping" / "tpu_like_quad_core_resnet18_fixed_split_tiled.yaml"
    text = import_stream_mapping(src, resnet).replace("stacks: auto", FUSED)
    path = tmp_path / "m.yaml"
    path.write_text(text)
    g = build_cn_graph(resnet, tpu, load_mapping(path, resnet, tpu))
    # Stream's run of this point: 1,118 CNs and 3,043 edges (intra-layer edges included)
    assert (g.n, g.n_edges) == (1118, 3043)
    assert int((g.edge_role == -1).sum()) == 1118 - 48


def test_tile_cli_prints_json_and_dumps(tmp_path, capsys):
    dump = tmp_path / "g.npz"
    code = main(["tile", str(RESNET), "--hardware", "tpu_like_quad", "--json", "--dump", str(dump)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cns"] == sum(r["cns"] for r in out["layers"])
    assert out["layers"][0]["name"] == "/conv1/Conv"
    with np.load(dump) as z:
        assert z["layer"].shape[0] == out["cns"]
        assert json.loads(str(z["meta"]))["layers"][0] == "/conv1/Conv"


def test_tile_cli_bad_mapping_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("default: {cores: [core0]}\nlayers:\n  /conv1/Conv: {core: tpu9}\n")
    assert main(["tile", str(RESNET), "--hardware", "tpu_like_quad", "--mapping", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "bad.yaml:3: layers./conv1/Conv.core: unknown core 'tpu9'" in err


def test_import_stream_malformed_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "s.yaml"
    bad.write_text("- name: default\n  core_allocation: [0]\n  intra_core_tiling: [OY]\n")
    assert main(["mapping", "import-stream", str(bad)]) == 2
    assert "s.yaml:3: [0].intra_core_tiling[0]: expected 'DIM, factor'" in capsys.readouterr().err


def test_simba_small_mappings_tile_on_the_imported_simba_small(tmp_path, resnet):
    hw = tmp_path / "simba_small.yaml"
    src = DATA / "hardware" / "simba_small.yaml"
    assert main(["hardware", "import-stream", str(src), "--out", str(hw)]) == 0
    acc = load_accelerator(hw)
    graphs = {}
    for name in ("simba_small", "simba_small_fixed"):
        out = tmp_path / f"{name}_mapping.yaml"
        args = ["mapping", "import-stream", str(DATA / "mapping" / f"{name}.yaml")]
        assert main([*args, "--out", str(out), "--workload", str(RESNET)]) == 0
        graphs[name] = build_cn_graph(resnet, acc, load_mapping(out, resnet, acc))
    free, fixed = graphs["simba_small"], graphs["simba_small_fixed"]
    assert (free.n, free.n_edges) == (fixed.n, fixed.n_edges)  # same tiling, other cores
    assert set(fixed.group_fixed.tolist()) == {0}  # every layer fixed to core 0
    assert set(free.group_fixed.tolist()) == {-1} and set(free.group_cores) == {(0, 1, 2, 3)}


def test_stream_tiling_loops_keep_their_nesting(tmp_path):
    src = tmp_path / "s.yaml"
    entry = "- name: default\n  core_allocation: [0]\n  intra_core_tiling: ['OY, 4', 'OX, 2']\n"
    src.write_text(entry)
    data = yaml.safe_load(import_stream_mapping(src))
    # Stream varies its first loop fastest (innermost); ours lists the outermost first
    assert list(data["default"]["tiling"].items()) == [("OX", 2), ("OY", 4)]


def test_tile_cli_text_table_and_json_dump(tmp_path, capsys):
    dump = tmp_path / "g.json"
    model = "zoo:fsrcnn?height=6&width=5"
    assert main(["tile", model, "--hardware", "tpu_like_quad", "--dump", str(dump)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:4] == ["layer", "op", "stack", "CNs"]
    assert len(lines) == 1 + 8 + 1  # header, 8 layers, totals
    assert lines[-1].startswith("48 CNs, ")  # 8 fused layers x 6 rows
    data = json.loads(dump.read_text())
    assert len(data["layer"]) == 48 and len(data["ranges"]) == 8
    assert data["stacks"] == [list(range(8))]
