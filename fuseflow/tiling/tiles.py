"""Cutting one layer into tiles: per-dim cell boundaries, tile numbering and groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.tiling.spec import TileLoop
from fuseflow.workload.layer import Layer


@dataclass(frozen=True, eq=False)
class LayerTiling:
    """A layer cut into a grid of tiles.

    Each dim ``d`` is cut into cells ``[bounds[d][i], bounds[d][i+1])``; tile ``t`` is the
    product of the cells ``cells[t]``. Tiles are numbered with the tiling loops in the order
    written (first outermost) and the split loops innermost; ``group[t]`` is the tile's split
    part (the unit of allocation).
    """

    dims: tuple[str, ...]
    sizes: tuple[int, ...]
    bounds: tuple[NDArray[np.int64], ...]
    cells: NDArray[np.int32]  # (ntiles, ndims)
    group: NDArray[np.int32]  # (ntiles,)
    n_groups: int

    @property
    def n_tiles(self) -> int:
        return int(self.cells.shape[0])

    def n_cells(self, dim: int) -> int:
        return int(self.bounds[dim].shape[0] - 1)

    def ranges(self) -> NDArray[np.int64]:
        """Half-open loop ranges of every tile, shape ``(ntiles, ndims, 2)``."""
        out = np.empty((self.n_tiles, len(self.dims), 2), dtype=np.int64)
        if not self.dims:
            return out
        flat = np.concatenate(self.bounds)
        start = np.cumsum([0] + [b.shape[0] for b in self.bounds[:-1]])
        at = self.cells + start  # (ntiles, ndims): index of each tile's cell start in ``flat``
        out[:, :, 0] = flat[at]
        out[:, :, 1] = flat[at + 1]
        return out

    def lengths(self) -> NDArray[np.int64]:
        """Loop sizes of every tile, shape ``(ntiles, ndims)``."""
        r = self.ranges()
        return r[:, :, 1] - r[:, :, 0]

    def is_last(self, dims: Sequence[str]) -> NDArray[np.bool_]:
        """True for tiles whose cells along every one of ``dims`` are the last ones."""
        out = np.ones(self.n_tiles, dtype=np.bool_)
        for name in dims:
            d = self.dims.index(name)
            out &= self.cells[:, d] == self.n_cells(d) - 1
        return out


def count_bounds(size: int, count: int) -> NDArray[np.int64]:
    """Boundaries of ``count`` near-equal parts of ``size``, the larger parts first."""
    count = max(1, min(count, size))
    q, r = divmod(size, count)
    lengths = np.full(count, q, dtype=np.int64)
    lengths[:r] += 1
    return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


def size_bounds(size: int, tile: int) -> NDArray[np.int64]:
    """Boundaries of tiles of ``tile`` elements, the last one shorter when it does not divide."""
    return np.append(np.arange(0, size, max(1, tile), dtype=np.int64), size)


def tile_layer(
    layer: Layer,
    tiling: Sequence[TileLoop] = (),
    split: Sequence[tuple[str, int]] = (),
) -> LayerTiling:
    """Cut ``layer`` by its intra-core ``tiling`` loops and its inter-core ``split`` loops.

    A dim may appear in at most one loop. Loop sizes larger than the dim are clamped to it.

    >>> from fuseflow.workload.layer import Layer
    >>> t = tile_layer(Layer("l", "Relu", "elementwise", (("OY", 7),), {}), [TileLoop("OY", 2)])
    >>> t.ranges()[:, 0].tolist()
    [[0, 4], [4, 7]]
    """
    dims = layer.dim_names
    sizes = tuple(s for _, s in layer.dims)
    bounds = [np.array([0, s], dtype=np.int64) for s in sizes]
    loop_dims: list[int] = []
    for loop in tiling:
        d = dims.index(loop.dim)
        if loop.size is not None:
            bounds[d] = size_bounds(sizes[d], loop.size)
        else:
            bounds[d] = count_bounds(sizes[d], loop.count or 1)
        loop_dims.append(d)
    split_dims: list[int] = []
    for dim, factor in split:
        d = dims.index(dim)
        bounds[d] = count_bounds(sizes[d], factor)
        split_dims.append(d)
    order = loop_dims + split_dims
    counts = tuple(len(bounds[d]) - 1 for d in order)
    ntiles = int(np.prod(counts, dtype=np.int64)) if counts else 1
    cells = np.zeros((ntiles, len(dims)), dtype=np.int32)
    if counts:
        idx = np.unravel_index(np.arange(ntiles, dtype=np.int64), counts)
        for d, i in zip(order, idx, strict=True):
            cells[:, d] = i
    split_counts = tuple(len(bounds[d]) - 1 for d in split_dims)
    if split_dims:
        group = np.ravel_multi_index(tuple(cells[:, d] for d in split_dims), split_counts)
        n_groups = int(np.prod(split_counts))
    else:
        group, n_groups = np.zeros(ntiles, dtype=np.int64), 1
    return LayerTiling(
        dims, sizes, tuple(bounds), cells, group.astype(np.int32, copy=False), n_groups
    )
