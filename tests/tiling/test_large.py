"""The large benchmark graph builder: FSRCNN cut into one-row column tiles."""

from __future__ import annotations

import numpy as np

from fuseflow.tiling.large import fsrcnn_graph, fsrcnn_workload
from tiling.helpers import accelerator
from tiling.test_deps import data_deps


def test_fsrcnn_graph_is_one_row_by_column_part_tiles_with_same_padding_halos():
    wl = fsrcnn_workload(height=5, width=7)
    g = fsrcnn_graph(accelerator(), workload=wl, column_parts=2)
    assert g.n == len(wl.layers) * 5 * 2
    assert g.stacks == (tuple(range(len(wl.layers))),)
    for lid, layer in enumerate(wl.layers):
        r = g.ranges[lid]
        oy, ox = layer.dim_names.index("OY"), layer.dim_names.index("OX")
        assert np.all(r[:, oy, 1] - r[:, oy, 0] == 1)
        assert r[:2, ox].tolist() == [[0, 4], [4, 7]]
        if lid == 0:
            continue
        # 'same' padding: a tile reads producer rows r-FY//2..r+FY//2 and its columns widened
        # by FX//2 on each side, clipped at the borders
        hy, hx = layer.sizes["FY"] // 2, layer.sizes["FX"] // 2
        prev = g.ranges[lid - 1]
        for tile, deps in data_deps(g, lid).items():
            y0, x0, x1 = r[tile, oy, 0], r[tile, ox, 0], r[tile, ox, 1]
            want = [
                t
                for t in range(prev.shape[0])
                if abs(prev[t, oy, 0] - y0) <= hy
                and prev[t, ox, 0] < x1 + hx
                and prev[t, ox, 1] > x0 - hx
            ]
            assert sorted(int(g.tile[s]) for s in deps) == want
