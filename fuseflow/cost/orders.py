"""Every distinct order of a layer's temporal loops, the loop sets below each position and
position marks: memoised by the loops' shape (which labels are equal), so layers whose loops
differ only in their sizes share them."""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray


def next_true(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """(P, n+1): smallest position j >= i where mask is true (n if none)."""
    n_perm, n = mask.shape
    out = np.empty((n_perm, n + 1), dtype=np.int64)
    out[:, n] = n
    np.copyto(out[:, :n], np.where(mask, np.arange(n)[None, :], n))
    rev = out[:, ::-1]
    np.minimum.accumulate(rev, axis=1, out=rev)
    return out


def after_last_true(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """(P, n+1): 1 + the largest position j < i where mask is true (0 if none)."""
    n_perm, n = mask.shape
    out = np.empty((n_perm, n + 1), dtype=np.int64)
    out[:, 0] = 0
    after = out[:, 1:]
    np.copyto(after, np.where(mask, np.arange(1, n + 1)[None, :], 0))
    np.maximum.accumulate(after, axis=1, out=after)
    return out


@lru_cache(maxsize=512)  # ~40 kB each at 720 orders
def order_marks(
    pattern: tuple[int, ...], marked_labels: tuple[bool, ...], after: bool
) -> NDArray[np.int64]:
    """(P, n+1) :func:`after_last_true` (``after``) or :func:`next_true` of the loops marked in
    ``marked_labels``, over every distinct order of loops shaped as ``pattern`` (read-only)."""
    marked = np.array(marked_labels, dtype=bool)[_orders(pattern)]
    out = np.ascontiguousarray(after_last_true(marked) if after else next_true(marked))
    out.flags.writeable = False
    return out


def unique_orders(labels: tuple[int, ...]) -> NDArray[np.int64]:
    """Every distinct ordering of a multiset of labels, as rows of indices into ``labels``
    (the first permutation, in lexicographic order, of each distinct sequence)."""
    return _orders(tuple(labels.index(x) for x in labels))


@lru_cache(maxsize=64)
def _orders(pattern: tuple[int, ...]) -> NDArray[np.int64]:
    """As :func:`unique_orders` for labels equal where ``pattern`` is (memoised by shape)."""
    n = len(pattern)
    if n == 0:
        return np.zeros((1, 0), dtype=np.int64)
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    if len(set(pattern)) == n:
        return perms
    # each label sequence as one integer (base n digits); permutations come in lexicographic
    # order, so the first index of each code is the first permutation giving that sequence
    codes = np.array(pattern, dtype=np.int64)[perms] @ (n ** np.arange(n, dtype=np.int64))
    _, first = np.unique(codes, return_index=True)
    return perms[np.sort(first)]


@lru_cache(maxsize=64)
def _order_sets(pattern: tuple[int, ...]) -> tuple[NDArray, ...]:
    """Loop sets of every distinct order of loops labelled equal where ``pattern`` is: which
    set of loops sits below each position (numbered in ascending bit-set order) and each
    set's members, ``(S, n)`` (memoised by shape; read-only)."""
    orders = _orders(pattern)
    n_perm, n = orders.shape
    # the loops below a position, as a bit set of label indices: footprints depend on it only
    bits = np.cumsum(np.left_shift(1, orders), axis=1) if n else np.zeros((1, 0), np.int64)
    members = np.concatenate([np.zeros((n_perm, 1), np.int64), bits], axis=1)
    present = np.zeros(1 << n, dtype=bool)  # the distinct sets, numbered in ascending order
    present[members] = True
    sets = np.flatnonzero(present)
    loop_set = (np.cumsum(present) - 1)[members]
    inside = (sets[:, None] >> np.arange(n)[None, :]) & 1 == 1  # (S, n)
    for arr in (loop_set, inside):
        arr.flags.writeable = False
    return loop_set, inside


@lru_cache(maxsize=128)  # ~110 kB each at 720 orders
def perm_arrays(labels: tuple[int, ...], ndims: int) -> tuple[NDArray, ...]:
    """Loop dims, sizes and running products of every distinct order of the loops labelled
    ``dim * 1000 + size`` (memoised: layers with the same temporal loops share them; the
    arrays are read-only)."""
    pattern = tuple(labels.index(x) for x in labels)
    orders = _orders(pattern)
    loop_set, inside = _order_sets(pattern)
    lab_all = np.array(labels, dtype=np.int64).reshape(-1)
    dim_of, size_of = lab_all // 1000, lab_all % 1000
    perm_dim, perm_size = dim_of[orders], size_of[orders]
    of_dim = dim_of[:, None] == np.arange(ndims)[None, :]  # (n, ndims)
    steps = np.where(inside[:, :, None] & of_dim[None], size_of[None, :, None], 1)
    set_cum = steps.prod(axis=1).astype(np.float64)  # whole numbers: exact in any order
    # the running product below each position is the product of the set below it
    total = set_cum.prod(axis=1)[loop_set]
    out = perm_dim, perm_size, total, loop_set, set_cum
    for arr in out:
        arr.flags.writeable = False
    return out
