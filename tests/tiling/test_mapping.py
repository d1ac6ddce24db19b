"""The mapping file: resolution per layer, stacks, groups, and located errors."""

from __future__ import annotations

import textwrap

import pytest

from fuseflow.errors import InputError
from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.mapping import load_mapping, mapping_from_dict
from fuseflow.tiling.spec import TileLoop
from tiling.helpers import Net, accelerator

ACC = accelerator()  # core0..core3 (weights memory), simd (no weights memory)


def chain():
    n = Net()
    a = n.conv(n.input((1, 2, 6, 4)), 4)  # conv0
    b = n.conv(a, 4)  # conv1
    n.add(a, b)  # add2
    return n.build()


WL = chain()


def write(tmp_path, text):
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text, wl=WL):
    with pytest.raises(InputError) as exc:
        load_mapping(write(tmp_path, text), wl, ACC)
    return str(exc.value)


def test_entries_resolve_most_specific_first(tmp_path):
    m = load_mapping(
        write(
            tmp_path,
            """
            default: {cores: [core0, core1, core2, core3], tiling: {OY: all}, split: {K: "*"}}
            op_types: {Add: {cores: [simd], tiling: {OY: 2}}}
            layers:
              conv1: {cores: [0, 2], fixed: true, split: {K: 2}}
            stacks: [[conv0, conv1, add2]]
            priority: latency_first
            """,
        ),
        WL,
        ACC,
    )
    assert m.layers["conv0"].cores == (0, 1, 2, 3)
    assert m.layers["conv0"].tiling == (TileLoop("OY", count=6),)
    assert m.layers["conv0"].open_split == "K"
    assert m.layers["conv1"].fixed == (0, 2) and m.layers["conv1"].split == (("K", 2),)
    assert m.layers["add2"].cores == (4,) and m.layers["add2"].tiling == (TileLoop("OY", 2),)
    assert m.open_splits() == {"conv0": "K"}
    g = build_cn_graph(WL, ACC, m)
    assert g.group_fixed.tolist() == [-1, 0, 2, 4]  # add2 has one allowed core: fixed
    assert g.priority_mode == "latency_first"
    split = build_cn_graph(WL, ACC, m, splits={"conv0": 4})
    assert split.n_groups == 4 + 2 + 1 and split.cns_of_layer(0).shape[0] == 24


def test_fixed_cores_with_open_split_make_one_group_per_core():
    m = mapping_from_dict(
        {"default": {"cores": ["core1", "core3"], "fixed": True, "split": {"K": "*"}}},
        chain_without_add(),
        ACC,
    )
    assert m.layers["conv0"].split == (("K", 2),)
    g = build_cn_graph(chain_without_add(), ACC, m)
    assert g.group_fixed.tolist() == [1, 3, 1, 3]


def chain_without_add():
    n = Net()
    n.conv(n.conv(n.input((1, 2, 4, 4)), 4), 4)
    return n.build()


def test_default_cores_are_those_able_to_run_the_layer():
    m = mapping_from_dict({}, WL, ACC)
    assert m.layers["conv0"].cores == (0, 1, 2, 3)  # simd has no weight memory
    assert m.layers["add2"].cores == (0, 1, 2, 3, 4)


def test_op_type_entries_skip_dims_a_layer_lacks():
    m = mapping_from_dict(
        {"default": {"tiling": {"OY": "all", "FY": 3}, "split": {"G": 2}}}, WL, ACC
    )
    assert m.layers["conv0"].tiling == (TileLoop("OY", count=6), TileLoop("FY", count=3))
    assert m.layers["add2"].tiling == (TileLoop("OY", count=6),)  # an Add has no FY
    assert m.layers["conv0"].split == ()  # no layer has G


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("layers: {nope: {core: core0}}\n", "m.yaml:1: layers.nope: unknown layer 'nope'"),
        (
            "default:\n  cores: [core0, tpu9]\n",
            "m.yaml:2: default.cores[1]: unknown core 'tpu9'",
        ),
        ("default: {cores: [7]}\n", "default.cores[0]: core index 7 out of range"),
        ("layers:\n  conv0: {core: simd}\n", "m.yaml:2: layers.conv0.core: core simd cannot run"),
        ("layers:\n  conv0:\n    tiling: {G: 2}\n", "m.yaml:3: layers.conv0.tiling.G: no loop"),
        ("default: {tiling: {OY: lots}}\n", "default.tiling.OY: expected all, a tile count"),
        ("default: {tiling: {ZZ: 2}}\n", "default.tiling.ZZ: unknown loop dim 'ZZ'"),
        ("layers:\n  conv1: {split: {K: 9}}\n", "layers.conv1.split.K: 9 parts of K=4"),
        ("layers:\n  conv1: {cores: [0], split: {K: 2}}\n", "split into 2 parts but only 1"),
        ("layers:\n  conv1: {split: {C: 2}}\n", "C is a reduction dim"),
        ("layers:\n  conv1: {tiling: {K: 2}, split: {K: 2}}\n", "K is also tiled"),
        ("layers:\n  conv1: {cores: [0, 1, 2], fixed: true, split: {K: 2}}\n", "3 fixed cores"),
        ("defaults: {}\n", "m.yaml:1: defaults: unknown key 'defaults'"),
        ("default:\n  cores: [core0]\n  color: red\n", "m.yaml:3: default.color: unknown key"),
        ("priority: fastest\n", "m.yaml:1: priority: Input should be"),
        ("stacks: [[conv0, conv1], [conv1]]\n", "stacks[1]: layer conv1 is already in stack 0"),
        ("stacks: [[conv0, add2]]\n", "layer add2 reads conv1, which is in a later stack"),
        ("stacks: [[conv0, 17]]\n", "m.yaml:1: stacks[0][1]: no ONNX node with index 17"),
        ("stacks:\n  - {from: conv1, to: conv9}\n", "m.yaml:2: stacks[0].to: unknown layer"),
        ("default: {cores: [core0]\ntiling: x\n", "m.yaml:2: invalid YAML"),
        ("default: {}\ndefault: {}\n", "m.yaml:2: default: duplicate key"),
        ("- a\n- b\n", "a mapping file is a YAML mapping"),
        ("stacks: 5\n", "m.yaml:1: stacks: expected auto, layer_by_layer or a list of stacks"),
        ("stacks: [conv0]\n", "m.yaml:1: stacks[0]: a stack is a list of layer names or ONNX"),
        ("stacks:\n  - {foo: 1}\n", "m.yaml:2: stacks[0].foo: unknown key 'foo'\n"),
        ("stacks: [{nodes: [2, 0]}]\n", "stacks[0].nodes: first index 2 is after last index 0"),
        ("stacks: [{nodes: [0, 1], from: conv0}]\n", "stacks[0]: give either nodes or from/to"),
        ("stacks: [[conv0, 1.5]]\n", "stacks[0][1]: Input should be a valid string (got 1.5)\n"),
    ],
)
def test_malformed_mapping_gives_a_located_error(tmp_path, text, expected):
    assert expected in error_of(tmp_path, text) + "\n"


def test_stacks_by_names_indices_ranges_and_modes():
    def stacks(value):
        return mapping_from_dict({"stacks": value}, WL, ACC).stacks

    assert stacks([["conv0", "conv1"]]) == (("conv0", "conv1"), ("add2",))
    assert stacks([[0, 1]]) == (("conv0", "conv1"), ("add2",))
    assert stacks([{"nodes": [1, 2]}]) == (("conv0",), ("conv1", "add2"))
    assert stacks([{"from": "conv0", "to": "add2"}]) == (("conv0", "conv1", "add2"),)
    assert stacks("layer_by_layer") == (("conv0",), ("conv1",), ("add2",))
    assert stacks("auto") == (("conv0", "conv1", "add2"),)


def test_auto_stacks_cut_where_weights_exceed_on_chip_capacity():
    # conv weights: 4*2*9*8 = 576 and 4*4*9*8 = 1152 bits; capacity 4 cores x 300 bits
    small = accelerator(weights_bits=300)
    m = mapping_from_dict({"stacks": "auto"}, WL, small)
    assert m.stacks == (("conv0",), ("conv1", "add2"))


def test_tiling_by_size_count_and_all_never_enlarge_the_layer():
    m = mapping_from_dict(
        {
            "layers": {
                "conv0": {"tiling": {"OY": {"tile": 4}, "K": "all"}},
                "conv1": {"tiling": {"OY": 4}},
                "add2": {"tiling": {"OY": "all"}},
            }
        },
        WL,
        ACC,
    )
    g = build_cn_graph(WL, ACC, m)

    def oy_cuts(lid):
        layer = WL.layers[lid]
        r = g.ranges[lid][:, layer.dim_names.index("OY")]
        return sorted({(int(a), int(b)) for a, b in r.tolist()})

    assert oy_cuts(0) == [(0, 4), (4, 6)]  # tiles of 4 rows, a shorter last one
    assert g.cns_of_layer(0).shape[0] == 2 * 4  # x 4 one-channel K tiles
    assert oy_cuts(1) == [(0, 2), (2, 4), (4, 5), (5, 6)]  # 4 tiles of 6 rows: 2, 2, 1, 1
    assert oy_cuts(2) == [(r, r + 1) for r in range(6)]
    assert int(g.output_bits.sum()) == sum(  # every output element exactly once
        WL.tensors[la.operands["O"].tensor].size_bits for la in WL.layers
    )


def test_a_fixed_core_and_a_lone_layer_tiled_only_by_its_own_entry():
    m = mapping_from_dict(
        {
            "default": {"tiling": {"OY": "all"}},
            "layers": {"conv1": {"core": "core2", "tiling": {"OY": 3}}},
            "stacks": "layer_by_layer",
        },
        WL,
        ACC,
    )
    assert m.layers["conv1"].cores == (2,) and m.layers["conv1"].fixed == (2,)
    g = build_cn_graph(WL, ACC, m)
    # conv0 and add2 are alone in their stacks and only inherit the default tiling: one CN each
    assert [g.cns_of_layer(i).shape[0] for i in range(3)] == [1, 3, 1]
    assert g.group_fixed.tolist() == [-1, 2, -1]
