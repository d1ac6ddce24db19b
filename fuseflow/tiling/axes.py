"""Exact index sets of tensor axes over tiles, as arrays (the kernel of dependency analysis).

A tensor axis is an affine map of loop dims (:class:`~fuseflow.workload.layer.AxisMap`). Over
a tile its indices form a set that need not be an interval (stride > kernel, dilation). Tiles
share these sets: the set of axis ``a`` depends only on the tile's cells along the dims of ``a``,
so it is computed once per *key* (a combination of those cells) and stored in CSR form.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import AxisMap

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class AxisSets:
    """For one tensor axis: the sorted in-bounds index set of each key, and each tile's key."""

    key_of_tile: I64  # (ntiles,)
    n_keys: int
    ptr: I64  # (n_keys + 1,) into idx
    idx: I64

    @property
    def sizes(self) -> I64:
        return np.diff(self.ptr)

    def key_of_entry(self) -> I64:
        return np.repeat(np.arange(self.n_keys, dtype=np.int64), self.sizes)


def expand(row_keys: I64, ptr: I64) -> tuple[I64, I64]:
    """Join rows with CSR segments: for each row, every entry of segment ``row_keys[row]``.

    Returns ``(row, entry)`` index arrays, rows in order, entries in segment order.
    """
    starts = ptr[row_keys]
    deg = ptr[row_keys + 1] - starts
    total = int(deg.sum())
    row = np.repeat(np.arange(row_keys.shape[0], dtype=np.int64), deg)
    first = np.cumsum(deg) - deg
    entry = np.arange(total, dtype=np.int64) - np.repeat(first - starts, deg)
    return row, entry


def _merged_terms(axis: AxisMap) -> list[tuple[str, int]]:
    coefs: dict[str, int] = {}
    for dim, coef in axis.terms:
        coefs[dim] = coefs.get(dim, 0) + coef
    return [(d, c) for d, c in coefs.items() if c != 0]


def axis_sets(
    axis: AxisMap, tiling: LayerTiling, extent: int, full_dims: Collection[str] = ()
) -> AxisSets:
    """The index set of ``axis`` (clipped to ``[0, extent)``) for every tile of ``tiling``.

    Dims in ``full_dims`` count with their whole range whatever the tile's range. Results are
    memoised (a build asks for the same axis several times); see :func:`clear_cache`.
    """
    return _axis_sets(axis, tiling, extent, tuple(sorted(full_dims)))


def clear_cache() -> None:
    """Drop memoised axis sets (they keep their tilings alive)."""
    _axis_sets.cache_clear()


@functools.lru_cache(maxsize=2048)
def _axis_sets(
    axis: AxisMap, tiling: LayerTiling, extent: int, full_dims: tuple[str, ...]
) -> AxisSets:
    terms = _merged_terms(axis)
    dpos = [tiling.dims.index(d) for d, _ in terms]
    key_dims = [p for p, (d, _) in zip(dpos, terms, strict=True) if d not in full_dims]
    key_dims = [p for p in dict.fromkeys(key_dims) if tiling.n_cells(p) > 1]
    counts = tuple(tiling.n_cells(p) for p in key_dims)
    n_keys = int(np.prod(counts, dtype=np.int64)) if counts else 1
    if key_dims:
        key_of_tile = np.ravel_multi_index(tuple(tiling.cells[:, p] for p in key_dims), counts)
        key_cell = dict(zip(key_dims, np.unravel_index(np.arange(n_keys), counts), strict=True))
    else:
        key_of_tile, key_cell = np.zeros(tiling.n_tiles, dtype=np.int64), {}
    key_of_tile = key_of_tile.astype(np.int64, copy=False)
    ranges = [_term_range(tiling, p, key_cell, n_keys) for p in dpos]
    if len(terms) <= 1 and all(c == 1 for _, c in terms):
        return _interval_sets(ranges, axis.offset, extent, key_of_tile, n_keys)
    keys = np.arange(n_keys, dtype=np.int64)
    vals = np.full(n_keys, axis.offset, dtype=np.int64)
    for (lo, hi), (_, coef) in zip(ranges, terms, strict=True):
        seg = np.concatenate(([0], np.cumsum(hi - lo)))
        row, entry = expand(keys, seg)
        within = entry - seg[keys[row]]
        vals = vals[row] + coef * (lo[keys[row]] + within)
        keys = keys[row]
    keep = (vals >= 0) & (vals < extent)
    flat = np.unique(keys[keep] * extent + vals[keep])
    keys, vals = flat // extent, flat % extent
    ptr = np.searchsorted(keys, np.arange(n_keys + 1, dtype=np.int64)).astype(np.int64)
    return AxisSets(key_of_tile, n_keys, ptr, vals)


def _term_range(
    tiling: LayerTiling, p: int, key_cell: dict[int, I64], n_keys: int
) -> tuple[I64, I64]:
    """Per key, the half-open range of loop dim ``p`` (its whole extent when not a key dim)."""
    if p in key_cell:
        return tiling.bounds[p][key_cell[p]], tiling.bounds[p][key_cell[p] + 1]
    return np.zeros(n_keys, dtype=np.int64), np.full(n_keys, tiling.sizes[p], dtype=np.int64)


def _interval_sets(
    ranges: list[tuple[I64, I64]], offset: int, extent: int, key_of_tile: I64, n_keys: int
) -> AxisSets:
    """Fast path: the axis is ``dim + offset`` or a constant, so each set is an interval."""
    if ranges:
        lo = np.minimum(np.maximum(ranges[0][0] + offset, 0), extent)
        hi = np.minimum(np.maximum(ranges[0][1] + offset, 0), extent)
    else:
        inside = 0 <= offset < extent
        lo = np.full(n_keys, offset if inside else 0, dtype=np.int64)
        hi = lo + int(inside)
    hi = np.maximum(hi, lo)
    ptr = np.concatenate(([0], np.cumsum(hi - lo))).astype(np.int64)
    row, entry = expand(np.arange(n_keys, dtype=np.int64), ptr)
    idx = lo[row] + entry - ptr[row]
    return AxisSets(key_of_tile, n_keys, ptr, idx)


def owner_of_index(sets: AxisSets, extent: int) -> I64:
    """For each index of the axis, the key whose set holds it (-1 for none)."""
    owner = np.full(extent, -1, dtype=np.int64)
    owner[sets.idx] = sets.key_of_entry()
    return owner


def relation(consumer: AxisSets, owner: I64, n_owner: int) -> tuple[I64, I64, I64]:
    """Per consumer key: the owner keys its set overlaps and how many indices each, as CSR.

    Returns ``(ptr, owner_key, count)``; segment ``k`` of ``owner_key``/``count`` belongs to
    consumer key ``k``.
    """
    o = owner[consumer.idx]
    k = consumer.key_of_entry()
    keep = o >= 0
    flat, count = np.unique(k[keep] * n_owner + o[keep], return_counts=True)
    keys, okeys = flat // n_owner, flat % n_owner
    ptr = np.searchsorted(keys, np.arange(consumer.n_keys + 1, dtype=np.int64)).astype(np.int64)
    return ptr, okeys, count.astype(np.int64)
