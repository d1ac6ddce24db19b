"""Exact tile dependencies: which producer tiles' final outputs each consumer tile reads.

Direct producer -> consumer pairs are joined axis by axis (per-axis index sets and owner
arrays, see :mod:`fuseflow.tiling.axes`); data that passes through shape ops is followed element
by element with :func:`fuseflow.workload.shape_ops.source_elements`, still as whole arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.tiling.axes import I64, axis_sets, expand, owner_of_index, relation
from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import Layer, Operand, ShapeOp, Workload

NONE = -1  # element comes from nowhere (padding)
DRAM = -2  # element is a graph input or a constant: read from DRAM
MAX_CHUNK_ELEMENTS = 1 << 24  # element-path windows enumerated per chunk of consumer tiles


@dataclass(frozen=True, eq=False)
class OutputOwners:
    """Which final tile of a layer produced each index of each output axis."""

    owners: tuple[I64, ...]  # per output axis: owner key per index
    n_keys: tuple[int, ...]
    final_tile: I64  # tile id per combination of axis keys (ravelled), -1 if none

    def tiles_of(self, axis_index: tuple[I64, ...]) -> I64:
        """Final tile of each element given by its per-axis indices."""
        if not axis_index:
            return np.zeros(0, dtype=np.int64)
        keys = tuple(o[i] for o, i in zip(self.owners, axis_index, strict=True))
        return self.final_tile[np.ravel_multi_index(keys, self.n_keys)]


def output_owners(layer: Layer, tiling: LayerTiling, shape: tuple[int, ...]) -> OutputOwners:
    out = layer.operands["O"]
    sets = [axis_sets(a, tiling, n) for a, n in zip(out.axes, shape, strict=True)]
    n_keys = tuple(s.n_keys for s in sets)
    final = np.flatnonzero(tiling.is_last(sorted(layer.reduction_dims)))
    table = np.full(int(np.prod(n_keys, dtype=np.int64)), -1, dtype=np.int64)
    if sets:
        table[np.ravel_multi_index(tuple(s.key_of_tile[final] for s in sets), n_keys)] = final
    else:
        table[:] = final[-1]
    owners = tuple(owner_of_index(s, n) for s, n in zip(sets, shape, strict=True))
    return OutputOwners(owners, n_keys, table)


@dataclass(frozen=True, eq=False)
class Edges:
    """Dependency pairs of one consumer operand: tile ids local to the two layers."""

    dst_tile: I64
    src: I64  # producer tile (direct) or global CN id (element path)
    count: I64  # elements read


def direct_edges(
    tiling: LayerTiling,
    operand: Operand,
    shape: tuple[int, ...],
    owners: OutputOwners,
    full_dims: Collection[str] = (),
) -> Edges:
    """Consumer tile -> producer final tile pairs with element counts, joined axis by axis."""
    rows = np.arange(tiling.n_tiles, dtype=np.int64)
    lin = np.zeros(tiling.n_tiles, dtype=np.int64)
    cnt = np.ones(tiling.n_tiles, dtype=np.int64)
    for a, axis in enumerate(operand.axes):
        sets = axis_sets(axis, tiling, shape[a], full_dims)
        ptr, okey, ocount = relation(sets, owners.owners[a], owners.n_keys[a])
        row, entry = expand(sets.key_of_tile[rows], ptr)
        rows = rows[row]
        lin = lin[row] * owners.n_keys[a] + okey[entry]
        cnt = cnt[row] * ocount[entry]
    src = owners.final_tile[lin]
    keep = src >= 0
    return Edges(rows[keep], src[keep], cnt[keep])


def window_volume(
    tiling: LayerTiling, operand: Operand, shape: tuple[int, ...], full_dims: Collection[str] = ()
) -> I64:
    """In-bounds elements of the operand each tile reads (padding excluded)."""
    vol = np.ones(tiling.n_tiles, dtype=np.int64)
    for a, axis in enumerate(operand.axes):
        sets = axis_sets(axis, tiling, shape[a], full_dims)
        vol *= sets.sizes[sets.key_of_tile]
    return vol


def element_edges(
    tiling: LayerTiling,
    operand: Operand,
    shape: tuple[int, ...],
    origin: I64,
    full_dims: Collection[str] = (),
) -> Edges:
    """Consumer tile -> origin pairs, enumerating each tile's window element by element.

    ``origin`` gives, per flat element of the tensor, a global CN id, ``NONE`` or ``DRAM``.
    """
    sets = [axis_sets(a, tiling, n, full_dims) for a, n in zip(operand.axes, shape, strict=True)]
    vol = np.ones(tiling.n_tiles, dtype=np.int64)
    for s in sets:
        vol *= s.sizes[s.key_of_tile]
    parts: list[Edges] = []
    bounds = _chunks(vol)
    for lo, hi in itertools.pairwise(bounds):
        rows = np.arange(lo, hi, dtype=np.int64)
        flat = np.zeros(hi - lo, dtype=np.int64)
        for s, n in zip(sets, shape, strict=True):
            row, entry = expand(s.key_of_tile[rows], s.ptr)
            rows, flat = rows[row], flat[row] * n + s.idx[entry]
        src = origin[flat]
        keep = src != NONE
        span = int(origin.max(initial=0)) + 3
        pair, count = np.unique(rows[keep] * span + (src[keep] + 2), return_counts=True)
        parts.append(Edges(pair // span, pair % span - 2, count.astype(np.int64)))
    return Edges(
        np.concatenate([p.dst_tile for p in parts]),
        np.concatenate([p.src for p in parts]),
        np.concatenate([p.count for p in parts]),
    )


def _chunks(vol: I64) -> list[int]:
    """Cut tile ids into runs of at most MAX_CHUNK_ELEMENTS window elements (at least 1 tile)."""
    csum = np.cumsum(vol)
    bounds, start, base = [0], 0, 0
    n = int(vol.shape[0])
    while start < n:
        stop = int(np.searchsorted(csum, base + MAX_CHUNK_ELEMENTS, side="right"))
        stop = max(stop, start + 1)
        bounds.append(stop)
        base, start = int(csum[stop - 1]), stop
    return bounds


class Origins:
    """Per tensor: for each flat element, the global CN whose final output it is (memoised)."""

    def __init__(
        self,
        workload: Workload,
        owners: Mapping[str, OutputOwners],
        cn_offset: Mapping[str, int],
    ) -> None:
        self.workload = workload
        self.owners = owners
        self.cn_offset = cn_offset
        self._memo: dict[str, I64] = {}

    def of(self, tensor: str) -> I64:
        if tensor not in self._memo:
            self._memo[tensor] = self._compute(tensor)
        return self._memo[tensor]

    def _compute(self, tensor: str) -> I64:
        info = self.workload.tensors[tensor]
        size = int(np.prod(info.shape, dtype=np.int64))
        if info.producer is None:
            return np.full(size, DRAM, dtype=np.int64)
        node = self.workload.node(info.producer)
        if isinstance(node, Layer):
            index = np.unravel_index(np.arange(size, dtype=np.int64), info.shape)
            tiles = self.owners[node.name].tiles_of(tuple(np.asarray(i) for i in index))
            return np.where(tiles >= 0, tiles + self.cn_offset[node.name], NONE)
        return self._through(node, tensor, size)

    def _through(self, op: ShapeOp, tensor: str, size: int) -> I64:
        from fuseflow.workload.shape_ops import depends_on_whole_input, source_elements

        if depends_on_whole_input(op):
            # Every output element needs the whole input: give each element every origin by
            # repeating the inputs' origins; element_edges then counts them all per tile.
            return np.concatenate([self.of(t) for t in op.inputs])
        inputs = [self.of(t) for t in op.inputs]
        sizes = [int(np.prod(self.workload.tensors[t].shape, dtype=np.int64)) for t in op.inputs]
        if any(o.shape[0] != n for o, n in zip(inputs, sizes, strict=True)):
            return np.concatenate(inputs)  # a whole-tensor dependency upstream stays whole
        which, index = source_elements(op, self.workload, op.outputs.index(tensor))
        which, index = which.ravel(), index.ravel()
        out = np.full(size, NONE, dtype=np.int64)
        for i, origin in enumerate(inputs):
            sel = which == i
            if sel.any():
                out[sel] = origin[index[sel]]
        return out


def order_edges(tiling: LayerTiling, offset: int) -> tuple[I64, I64]:
    """Ordering edges chaining the tiles of each group in tile order (global CN ids)."""
    tiles = np.lexsort((np.arange(tiling.n_tiles), tiling.group))
    same = tiling.group[tiles[1:]] == tiling.group[tiles[:-1]]
    return tiles[:-1][same] + offset, tiles[1:][same] + offset


def whole_tensor_tiles(origin: I64, tensor_size: int) -> bool:
    """True when ``origin`` stands for a whole-tensor dependency (longer than the tensor)."""
    return int(origin.shape[0]) != tensor_size


def whole_edges(tiling: LayerTiling, nonempty: NDArray[np.bool_], origin: I64) -> Edges:
    """Every tile with a non-empty window depends on every element of ``origin``."""
    keep = origin != NONE
    src, count = np.unique(origin[keep], return_counts=True)
    tiles = np.flatnonzero(nonempty).astype(np.int64)
    return Edges(
        np.repeat(tiles, src.shape[0]),
        np.tile(src, tiles.shape[0]),
        np.tile(count.astype(np.int64), tiles.shape[0]),
    )
