"""Hand-checkable tile dependencies: halos, strides, dilation, groups, residuals, shape ops."""

from __future__ import annotations

import numpy as np

from fuseflow.tiling.build import build_cn_graph
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph
from fuseflow.tiling.spec import TileLoop
from tiling.helpers import Net, accelerator, spec

ACC = accelerator()
ROWS = TileLoop("OY", count=10**6)  # one output row per tile ("OY: all")


def data_deps(g: CNGraph, layer: int) -> dict[int, dict[int, int]]:
    """For each tile of ``layer``: {producer CN: bits} over data edges."""
    out: dict[int, dict[int, int]] = {}
    for cn in g.cns_of_layer(layer).tolist():
        edges = g.in_edges[g.in_ptr[cn] : g.in_ptr[cn + 1]]
        data = edges[g.edge_role[edges] != ORDER_EDGE]
        out[int(g.tile[cn])] = {int(g.edge_src[e]): int(g.edge_bits[e]) for e in data}
    return out


def rows_of(g: CNGraph, deps: dict[int, int]) -> list[int]:
    return sorted(int(g.tile[s]) for s in deps)


def test_3x3_stride1_pad1_needs_rows_r_minus_1_to_r_plus_1():
    n = Net()
    y = n.conv(n.input((1, 2, 6, 5)), 3)
    n.conv(y, 4)
    g = build_cn_graph(n.build(), ACC, spec(n.build()))
    deps = data_deps(g, 1)
    assert rows_of(g, deps[0]) == [0, 1]  # clipped at the top border
    assert rows_of(g, deps[3]) == [2, 3, 4]
    assert rows_of(g, deps[5]) == [4, 5]  # clipped at the bottom border
    # one producer row = 3 channels x 5 columns x 8 bits
    assert set(deps[3].values()) == {3 * 5 * 8}
    # the first layer reads the graph input from DRAM: 2 channels x 2 rows x 5 columns x 8 bits
    assert g.dram_input_bits[g.cns_of_layer(0)].tolist() == [160, 240, 240, 240, 240, 160]


def test_stride_2_reads_rows_2r_minus_1_to_2r_plus_1():
    n = Net()
    y = n.conv(n.input((1, 1, 8, 4)), 2)
    n.conv(y, 2, stride=(2, 2))  # 8 rows -> 4 rows
    g = build_cn_graph(n.build(), ACC, spec(n.build()))
    deps = data_deps(g, 1)
    assert [rows_of(g, deps[r]) for r in range(4)] == [[0, 1], [1, 2, 3], [3, 4, 5], [5, 6, 7]]


def test_stride_2_kernel_1_skips_odd_rows_of_a_multi_row_tile():
    n = Net()
    y = n.conv(n.input((1, 1, 8, 4)), 2)
    n.conv(y, 2, kernel=(1, 1), stride=(2, 2), pads=(0, 0, 0, 0))  # 4 output rows
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [ROWS], "conv1": [TileLoop("OY", 2)]}))
    deps = data_deps(g, 1)
    assert rows_of(g, deps[0]) == [0, 2]  # output rows 0-1 read input rows 0 and 2 only
    assert rows_of(g, deps[1]) == [4, 6]
    assert set(deps[1].values()) == {2 * 2 * 8}  # 2 channels x columns 0 and 2 of 4


def test_dilation_2_reads_rows_r_minus_2_r_r_plus_2():
    n = Net()
    y = n.conv(n.input((1, 1, 7, 3)), 1)
    n.conv(y, 1, dilation=(2, 2), pads=(2, 2, 2, 2))
    g = build_cn_graph(n.build(), ACC, spec(n.build()))
    deps = data_deps(g, 1)
    assert rows_of(g, deps[3]) == [1, 3, 5]  # not 2 and 4
    assert rows_of(g, deps[0]) == [0, 2]
    assert rows_of(g, deps[6]) == [4, 6]


def test_non_square_kernel_and_column_tiles():
    n = Net()
    y = n.conv(n.input((1, 1, 4, 8)), 1, kernel=(1, 3), pads=(0, 1, 0, 1))
    n.conv(y, 1, kernel=(1, 3), pads=(0, 1, 0, 1))
    wl = n.build()
    tiles = [ROWS, TileLoop("OX", size=4)]  # rows outer, two column tiles inner
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": tiles, "conv1": tiles}))
    deps = data_deps(g, 1)
    # tile t = 2*row + column tile; columns 0-3 need producer columns 0-4 (tiles 0 and 1)
    assert sorted(int(g.tile[s]) for s in deps[2]) == [2, 3]
    bits = {int(g.tile[s]): b for s, b in deps[2].items()}
    assert bits == {2: 4 * 8, 3: 1 * 8}  # 4 columns from its own tile, 1 halo column


def test_depthwise_channel_parts_only_read_their_channels():
    n = Net()
    y = n.conv(n.input((1, 2, 4, 4)), 4)
    n.conv(y, 4, group=4)  # depthwise: G=4, K=1, C=1
    wl = n.build()
    g = build_cn_graph(
        wl,
        ACC,
        spec(wl, tiling={"conv0": [TileLoop("K", 2)], "conv1": [TileLoop("G", 2)]}),
    )
    deps = data_deps(g, 1)
    assert rows_of(g, deps[0]) == [0] and rows_of(g, deps[1]) == [1]
    assert deps[0] == {0: 2 * 4 * 4 * 8}  # channels 0-1, all 4x4 pixels


def test_grouped_conv_reads_its_group_channels():
    n = Net()
    y = n.conv(n.input((1, 2, 3, 3)), 8)
    n.conv(y, 4, group=2)  # G=2: output channels 0-1 read input channels 0-3
    wl = n.build()
    tiling = {"conv0": [TileLoop("K", 4)], "conv1": [TileLoop("G", 2)]}
    g = build_cn_graph(wl, ACC, spec(wl, tiling=tiling))
    deps = data_deps(g, 1)
    assert rows_of(g, deps[0]) == [0, 1] and rows_of(g, deps[1]) == [2, 3]


def test_residual_add_reads_both_producers():
    n = Net()
    a = n.conv(n.input((1, 2, 4, 3)), 2)
    b = n.conv(a, 2)
    n.add(a, b)
    g = build_cn_graph(n.build(), ACC, spec(n.build()))
    add = g.cns_of_layer(2)
    cn = int(add[1])
    edges = g.in_edges[g.in_ptr[cn] : g.in_ptr[cn + 1]]
    got = sorted(
        (int(g.layer[g.edge_src[e]]), int(g.tile[g.edge_src[e]]), int(g.edge_role[e]))
        for e in edges
    )
    # I from conv0 row 1, W (second activation) from conv1 row 1, ordering edge from add row 0
    assert got == [(0, 1, 0), (1, 1, 1), (2, 0, ORDER_EDGE)]
    assert all(int(g.edge_bits[e]) in (0, 2 * 3 * 8) for e in edges)


def test_concat_follows_each_input():
    n = Net()
    x = n.input((1, 1, 4, 2))
    a = n.conv(x, 2)
    b = n.conv(x, 3)
    c = n.shape_op("Concat", [a, b], (1, 5, 4, 2), axis=1)
    n.conv(c, 1, kernel=(1, 1), pads=(0, 0, 0, 0))
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl))
    deps = data_deps(g, 2)
    got = {(int(g.layer[s]), int(g.tile[s])): bits for s, bits in deps[2].items()}
    assert got == {(0, 2): 2 * 2 * 8, (1, 2): 3 * 2 * 8}


def test_flatten_then_gemm_rows():
    n = Net()
    y = n.conv(n.input((1, 1, 4, 3)), 2)  # (1, 2, 4, 3): channel-major
    f = n.shape_op("Flatten", [y], (1, 24), axis=1)
    n.gemm(f, 5)
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [ROWS]}))
    deps = data_deps(g, 1)
    # the single gemm tile needs every conv row: each row holds 2 channels x 3 columns
    assert rows_of(g, deps[0]) == [0, 1, 2, 3]
    assert set(deps[0].values()) == {2 * 3 * 8}


def test_non_divisible_split_gives_a_smaller_last_tile_and_never_grows():
    n = Net()
    n.conv(n.input((1, 1, 7, 2)), 1)
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [TileLoop("OY", size=3)]}))
    oy = wl.layers[0].dim_names.index("OY")
    assert g.ranges[0][:, oy].tolist() == [[0, 3], [3, 6], [6, 7]]
    assert g.output_bits.tolist() == [3 * 2 * 8, 3 * 2 * 8, 1 * 2 * 8]
    assert len(g.tile_layers) == 2  # 3-row and 1-row tiles


def test_k_split_groups_share_weights_and_are_serialised():
    n = Net()
    n.conv(n.input((1, 2, 4, 4)), 8)
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [ROWS]}, split={"conv0": [("K", 2)]}))
    # tile = 2*row + K part (the split is innermost); group = K part
    assert g.group.tolist() == [0, 1] * 4
    assert g.weight.tolist() == [0, 1] * 4
    assert g.weight_bits.tolist() == [4 * 2 * 9 * 8] * 2  # 4 of 8 output channels each
    is_order = g.edge_role == ORDER_EDGE
    order = list(zip(g.edge_src[is_order].tolist(), g.edge_dst[is_order].tolist(), strict=True))
    assert order == [(0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7)]
    assert g.group_cores == ((0, 1, 2, 3), (0, 1, 2, 3))


def test_c_tiling_only_last_c_tile_is_final():
    n = Net()
    y = n.conv(n.input((1, 4, 2, 2)), 2)
    n.conv(y, 1)
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, tiling={"conv0": [TileLoop("C", 2)], "conv1": [ROWS]}))
    assert g.produces_final[g.cns_of_layer(0)].tolist() == [False, True]
    assert g.output_bits[g.cns_of_layer(0)].tolist() == [2 * 4 * 16, 2 * 4 * 8]  # partial: 16 b
    deps = data_deps(g, 1)
    assert rows_of(g, deps[0]) == [1]  # only the final C tile feeds the consumer


def test_priority_depth_first_prefers_deeper_layers():
    n = Net()
    y = n.conv(n.input((1, 1, 3, 2)), 1)
    n.conv(y, 1)
    wl = n.build()
    deep = build_cn_graph(wl, ACC, spec(wl))
    assert deep.priority.tolist() == [3, 4, 5, 0, 1, 2]
    lat = build_cn_graph(wl, ACC, spec(wl, priority="latency_first"))
    assert lat.priority.tolist() == [0, 1, 2, 3, 4, 5]
    assert lat.priority_mode == "latency_first"


def test_layer_alone_in_its_stack_is_not_tiled():
    n = Net()
    y = n.conv(n.input((1, 1, 4, 2)), 1)
    n.conv(y, 1)
    wl = n.build()
    g = build_cn_graph(wl, ACC, spec(wl, stacks=[["conv0"], ["conv1"]]))
    assert g.n == 2 and g.n_edges == 1
    assert int(g.edge_bits[0]) == 4 * 2 * 8
    assert np.array_equal(g.graph_output, [False, True])
