"""Exact tile dependencies between a producer layer and a consumer layer that reads its output.

Pairs are joined axis by axis (per-axis index sets and owner arrays, see
:mod:`fuseflow.tiling.axes`); data that passes through shape ops is handled in
:mod:`fuseflow.tiling.through`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from fuseflow.tiling.axes import I64, AxisSets, axis_sets, expand, owner_of_index, relation
from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import Layer, Operand

NONE = -1  # element comes from nowhere (padding)


@dataclass(frozen=True, eq=False)
class OutputOwners:
    """Which final tile of a layer produced each index of each output axis."""

    owners: tuple[I64, ...]  # per output axis: owner key per index
    n_keys: tuple[int, ...]
    final_tile: I64  # tile id per combination of axis keys (ravelled), -1 if none
    sets: tuple[AxisSets, ...]  # per output axis: the index sets of its keys

    def tile_array(self, shape: tuple[int, ...]) -> I64:
        """Final tile of every element of the output tensor (C order, -1 where none)."""
        lin = np.zeros((1,) * len(shape), dtype=np.int64)
        valid = np.ones((1,) * len(shape), dtype=np.bool_)
        for axis, (owner, n) in enumerate(zip(self.owners, self.n_keys, strict=True)):
            view = [1] * len(shape)
            view[axis] = shape[axis]
            lin = lin * n + np.maximum(owner, 0).reshape(view)
            valid = valid & (owner >= 0).reshape(view)
        tiles = self.final_tile[np.broadcast_to(lin, shape)]
        return np.where(np.broadcast_to(valid, shape), tiles, -1).ravel()


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
    return OutputOwners(owners, n_keys, table, tuple(sets))


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
        rel = relation(sets, owners.sets[a])
        keys = sets.key_of_tile[rows]
        if rel.single:  # one producer key per consumer key: no new rows
            entry = keys
        else:
            row, entry = expand(keys, rel.ptr)
            rows, lin, cnt = rows[row], lin[row], cnt[row]
        lin = lin * owners.n_keys[a] + rel.key[entry]
        cnt = cnt * rel.count[entry]
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


def order_edges(tiling: LayerTiling, offset: int) -> tuple[I64, I64]:
    """Ordering edges chaining the tiles of each group in tile order (global CN ids)."""
    if tiling.n_groups == 1:  # one chain through all tiles
        chain = np.arange(offset, offset + tiling.n_tiles, dtype=np.int64)
        return chain[:-1], chain[1:]
    tiles = np.lexsort((np.arange(tiling.n_tiles), tiling.group))
    same = tiling.group[tiles[1:]] == tiling.group[tiles[:-1]]
    return tiles[:-1][same] + offset, tiles[1:][same] + offset
