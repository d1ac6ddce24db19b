"""Exact index sets of tensor axes over tiles, as arrays (the kernel of dependency analysis).

A tensor axis is an affine map of loop dims (:class:`~fuseflow.workload.layer.AxisMap`). Over
a tile its indices form a set that need not be an interval (stride > kernel, dilation). Tiles
share these sets: the set of axis ``a`` depends only on the tile's cells along the dims of ``a``,
so it is computed once per *key* (a combination of those cells) and stored in CSR form.
The sets depend only on the cut (coefficients, cell bounds, offset, extent), so they and the
overlaps between them are memoised by value, shared by equal layers and by later builds.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import AxisMap

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class KeySets:
    """The sorted in-bounds index set of each key, as CSR; shared by equal cuts of an axis."""

    n_keys: int
    ptr: I64  # (n_keys + 1,) into idx
    idx: I64
    extent: int

    def __post_init__(self) -> None:
        _freeze(self.ptr, self.idx)  # memoised and shared: nobody may write into them

    @functools.cached_property
    def sizes(self) -> I64:
        return _freeze(self.ptr[1:] - self.ptr[:-1])

    @functools.cached_property
    def key_of_entry(self) -> I64:
        return _freeze(np.repeat(np.arange(self.n_keys, dtype=np.int64), self.sizes))

    @functools.cached_property
    def owner(self) -> I64:
        """For each index of the axis, the key whose set holds it (-1 for none)."""
        owner = np.full(self.extent, -1, dtype=np.int64)
        owner[self.idx] = self.key_of_entry
        return _freeze(owner)


def _freeze(*arrays: I64) -> I64:
    """Make ``arrays`` read-only; returns the first."""
    for a in arrays:
        a.flags.writeable = False
    return arrays[0]


@dataclass(frozen=True, eq=False)
class AxisSets:
    """For one tensor axis: the index sets of its keys, and each tile's key."""

    key_of_tile: I64  # (ntiles,)
    sets: KeySets

    @property
    def n_keys(self) -> int:
        return self.sets.n_keys

    @property
    def ptr(self) -> I64:
        return self.sets.ptr

    @property
    def idx(self) -> I64:
        return self.sets.idx

    @property
    def sizes(self) -> I64:
        return self.sets.sizes

    def key_of_entry(self) -> I64:
        return self.sets.key_of_entry


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
    """Drop memoised axis sets (they keep their tilings alive); sets by value are kept."""
    _axis_sets.cache_clear()


@functools.lru_cache(maxsize=2048)
def _axis_sets(
    axis: AxisMap, tiling: LayerTiling, extent: int, full_dims: tuple[str, ...]
) -> AxisSets:
    cut: list[tuple[int, tuple[int, ...]]] = []
    key_dims: list[int] = []
    for dim, coef in _merged_terms(axis):
        p = tiling.dims.index(dim)
        if dim in full_dims or tiling.n_cells(p) == 1:
            cut.append((coef, (0, tiling.sizes[p])))
        else:
            cut.append((coef, tuple(tiling.bounds[p].tolist())))
            key_dims.append(p)
    sets = _key_sets(tuple(cut), axis.offset, extent)
    if key_dims:
        counts = tuple(tiling.n_cells(p) for p in key_dims)
        cells = tuple(tiling.cells[:, p] for p in key_dims)
        key_of_tile = np.ravel_multi_index(cells, counts).astype(np.int64, copy=False)
    else:
        key_of_tile = np.zeros(tiling.n_tiles, dtype=np.int64)
    return AxisSets(key_of_tile, sets)


@functools.lru_cache(maxsize=512)
def _key_sets(cut: tuple[tuple[int, tuple[int, ...]], ...], offset: int, extent: int) -> KeySets:
    """Index sets of ``offset + sum(coef * dim)`` per key; ``cut`` holds each term's coef and
    cell bounds, and the keys number the combinations of cells of the terms cut in several."""
    counts = tuple(len(b) - 1 for _, b in cut if len(b) > 2)
    n_keys = int(np.prod(counts, dtype=np.int64)) if counts else 1
    cell = iter(np.unravel_index(np.arange(n_keys), counts) if counts else ())
    ranges = [_term_range(np.array(b, dtype=np.int64), cell, n_keys) for _, b in cut]
    if len(cut) <= 1 and all(c == 1 for c, _ in cut):
        return _interval_sets(ranges, offset, extent, n_keys)
    keys = np.arange(n_keys, dtype=np.int64)
    vals = np.full(n_keys, offset, dtype=np.int64)
    for (lo, hi), (coef, _) in zip(ranges, cut, strict=True):
        seg = np.concatenate(([0], np.cumsum(hi - lo)))
        row, entry = expand(keys, seg)
        within = entry - seg[keys[row]]
        vals = vals[row] + coef * (lo[keys[row]] + within)
        keys = keys[row]
    keep = (vals >= 0) & (vals < extent)
    flat = np.unique(keys[keep] * extent + vals[keep])
    keys, vals = flat // extent, flat % extent
    ptr = np.searchsorted(keys, np.arange(n_keys + 1, dtype=np.int64)).astype(np.int64)
    return KeySets(n_keys, ptr, vals, extent)


def _term_range(bounds: I64, cell: Iterator[I64], n_keys: int) -> tuple[I64, I64]:
    """Per key, the half-open range of a term's dim (its whole extent when not cut)."""
    if bounds.shape[0] > 2:
        c = next(cell)
        return bounds[c], bounds[c + 1]
    return np.full(n_keys, bounds[0], dtype=np.int64), np.full(n_keys, bounds[1], dtype=np.int64)


def _interval_sets(ranges: list[tuple[I64, I64]], offset: int, extent: int, n_keys: int) -> KeySets:
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
    return KeySets(n_keys, ptr, idx, extent)


def owner_of_index(sets: AxisSets, extent: int) -> I64:
    """For each index of the axis, the key whose set holds it (-1 for none)."""
    if extent == sets.sets.extent:
        return sets.sets.owner
    owner = np.full(extent, -1, dtype=np.int64)
    owner[sets.idx] = sets.key_of_entry()
    return owner


@dataclass(frozen=True, eq=False)
class Relation:
    """Per consumer key, the producer keys its set overlaps and how many indices each (CSR)."""

    ptr: I64  # (n_consumer_keys + 1,): segment k of key/count belongs to consumer key k
    key: I64
    count: I64
    single: bool  # every consumer key overlaps exactly one producer key


def relation(consumer: AxisSets, producer: AxisSets) -> Relation:
    """How the index sets of ``consumer`` overlap those of ``producer`` (the same axis).

    Memoised by the two key sets (equal cuts share them).
    """
    return _relation(consumer.sets, producer.sets)


@functools.lru_cache(maxsize=512)
def _relation(consumer: KeySets, producer: KeySets) -> Relation:
    n_owner = producer.n_keys
    o = producer.owner[consumer.idx]
    k = consumer.key_of_entry
    keep = o >= 0
    flat, count = np.unique(k[keep] * n_owner + o[keep], return_counts=True)
    keys, okeys = flat // n_owner, flat % n_owner
    ptr = np.searchsorted(keys, np.arange(consumer.n_keys + 1, dtype=np.int64)).astype(np.int64)
    single = bool(np.all(ptr[1:] - ptr[:-1] == 1))
    return Relation(_freeze(ptr), _freeze(okeys), _freeze(count.astype(np.int64)), single)
