"""The loop nest of a layer on a core: spatial factors, temporal prime factors and loop orders."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.orders import after_last_true, next_true, order_marks, perm_arrays
from fuseflow.hardware.model import Core, MemoryLevel
from fuseflow.workload.layer import Layer, Operand, Role

LPF_LIMIT = 6  # at most this many temporal loop factors are permuted (as ZigZag's LOMA default)


@dataclass(frozen=True)
class OperandNest:
    """How one operand sits in the nest: its axes, precisions and memory hierarchy."""

    role: Role
    axes: tuple[tuple[tuple[int, int], ...], ...]  # per tensor axis: (dim index, |coef|)
    relevant: NDArray[np.bool_]  # (ndims,) dim indexes this operand (r or pr)
    strict_r: NDArray[np.bool_]  # (ndims,) dims that alone index an axis (r, not pr)
    bits: int  # precision (partial-sum precision for O)
    final_bits: int  # final precision (O), = bits for inputs
    levels: tuple[MemoryLevel, ...]  # bottom-up; may end with a virtual DRAM level
    cum_spatial: NDArray[np.float64]  # (L, ndims) spatial factor per dim below-or-at level l
    units: NDArray[np.float64]  # (L,) unrolled instances of level l (all spatial loops above it)
    boost: NDArray[np.float64]  # (L,) distinct-data fan-out of the spatial loops just below l
    red_spatial_above: NDArray[np.bool_]  # (L+1,) a reduction loop is unrolled above level l
    cum_spatial_int: NDArray[np.float64]  # as cum_spatial with integer factors (for timing)
    boost_int: NDArray[np.float64]
    int_spatial: bool  # cum_spatial_int equals cum_spatial (every spatial factor whole)


@dataclass(frozen=True)
class Nest:
    """Spatial and temporal loops of a layer on a core, and the candidate loop orders."""

    dims: tuple[str, ...]
    spatial: tuple[tuple[str, int], ...]  # layer dim -> spatial factor used (integer)
    temporal: NDArray[np.int64]  # (ndims,) temporal iterations per dim (ceil-based)
    perm_dim: NDArray[np.int64]  # (P, n) dim index of each loop, innermost first
    perm_size: NDArray[np.int64]  # (P, n) loop size
    loop_set: NDArray[np.int64]  # (P, n+1) which set of loops sits below position i
    set_cum: NDArray[np.float64]  # (S, ndims) product of each dim's loops in each loop set
    total: NDArray[np.float64]  # (P, n+1) product of all loops below position i
    reduction: NDArray[np.bool_]  # (ndims,) dims the output does not depend on
    operands: tuple[OperandNest, ...]
    labels: tuple[int, ...] | None = None  # the loop labels, while every order is present
    per_set: dict[tuple[str, int, bool], NDArray[np.float64]] = field(default_factory=dict)

    @property
    def temporal_cycles(self) -> int:
        return int(np.prod(self.temporal))

    def set_footprint(self, op: OperandNest, lv: int, *, integer: bool = False) -> NDArray:
        """(S,) elements of ``op`` one instance of its level ``lv`` holds per loop set (under
        the integer spatial unrolling if ``integer``); memoised per nest."""
        key = (op.role, lv, integer)
        got = self.per_set.get(key)
        if got is None:  # every level of the operand at once: (L, S, ndims) extents
            scale = op.cum_spatial_int if integer else op.cum_spatial
            every = footprint(op, self.set_cum[None, :, :] * scale[:, None, :])
            for level, row in enumerate(every):
                self.per_set[(op.role, level, integer)] = row
            got = self.per_set[key]
        return got

    def next_mark(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """(P, n+1) :func:`next_true` of the loops whose dim is in ``mask``."""
        return self._mark(mask, after=False)

    def after_mark(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """(P, n+1) :func:`after_last_true` of the loops whose dim is in ``mask``."""
        return self._mark(mask, after=True)

    def _mark(self, mask: NDArray[np.bool_], *, after: bool) -> NDArray[np.int64]:
        """Memoised per loop-order pattern and marked labels while the nest holds every order
        (layers with the same shape of temporal loops share them)."""
        if self.labels is None:
            marked = mask[self.perm_dim]
            return after_last_true(marked) if after else next_true(marked)
        marked_labels = tuple(mask[self.label_dims].tolist())
        return order_marks(self.pattern, marked_labels, after)

    @cached_property
    def pattern(self) -> tuple[int, ...]:
        """The labels' shape: each label replaced by the index of its first occurrence."""
        labels = self.labels or ()
        return tuple(labels.index(x) for x in labels)

    @cached_property
    def label_dims(self) -> NDArray[np.int64]:
        """The dim index of each temporal loop label."""
        return np.array([x // 1000 for x in self.labels or ()], dtype=np.int64)


def spatial_factors(
    layer: Layer, core: Core
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """Effective spatial factor per layer dim and per (array dim, layer dim).

    A layer dim smaller than the unrolling leaves PEs idle; one not divisible by it takes
    ``ceil(size / unroll)`` temporal steps and the spatial factor is the average ``size / steps``.
    """
    total, per_array = _spatial(layer.dims, core.unrolling)
    return dict(total), dict(per_array)


@lru_cache(maxsize=1024)
def _spatial(
    dims: tuple[tuple[str, int], ...],
    unrolling: tuple[tuple[str, tuple[tuple[str, int], ...]], ...],
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """:func:`spatial_factors` by content (memoised; callers get copies)."""
    sizes = dict(dims)
    per_array: dict[tuple[str, str], float] = {}
    remaining = dict(sizes)
    for array_dim, loops in unrolling:
        for dim, factor in loops:
            if dim not in sizes or factor <= 1:
                continue
            used = min(factor, remaining[dim])
            per_array[(array_dim, dim)] = float(used)
            remaining[dim] = math.ceil(remaining[dim] / used)
    total: dict[str, float] = {}
    for (_, dim), unrolled in per_array.items():
        total[dim] = total.get(dim, 1.0) * unrolled
    for dim, unrolled in list(total.items()):
        exact = sizes[dim] / remaining[dim]
        if exact < unrolled:  # spread the fractional part over this dim's last array dim
            last = [k for k in per_array if k[1] == dim][-1]
            per_array[last] *= exact / unrolled
            total[dim] = exact
    return total, per_array


def lpfs(temporal: dict[str, int], limit: int = LPF_LIMIT) -> list[tuple[str, int]]:
    """Temporal loops split into prime factors, merging the smallest factors of the dim with the
    most factors until at most ``max(limit, number of dims)`` remain."""
    factors = {d: _prime_factors(s) for d, s in temporal.items() if s > 1}
    limit = max(limit, len(factors))
    while sum(len(f) for f in factors.values()) > limit:
        dim = max(factors, key=lambda d: len(factors[d]))
        fs = sorted(factors[dim])
        factors[dim] = sorted([fs[0] * fs[1], *fs[2:]])
    return [(d, f) for d, fs in factors.items() for f in fs]


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def build_nest(layer: Layer, core: Core, levels: dict[Role, tuple[MemoryLevel, ...]]) -> Nest:
    """The nest of ``layer`` on ``core`` with each operand's hierarchy given by ``levels``."""
    dims = layer.dim_names
    index = {d: i for i, d in enumerate(dims)}
    sizes = layer.sizes
    sp_total, sp_array = spatial_factors(layer, core)
    temporal = {d: math.ceil(sizes[d] / sp_total.get(d, 1.0) - 1e-9) for d in dims}
    factors = lpfs(temporal)
    labels = tuple(index[d] * 1000 + f for d, f in factors)
    perm_dim, perm_size, total, loop_set, set_cum = perm_arrays(labels, len(dims))
    out_dims = layer.operands["O"].dims
    red_t = tuple(d not in out_dims for d in dims)
    reduction = np.array(red_t)
    ops = tuple(
        _operand_nest(layer, role, levels[role], index, sp_array, red_t)
        for role in ("I", "W", "O")
        if role in layer.operands
    )
    spatial = tuple((d, round(f)) for d, f in sp_total.items() if f > 1)
    temporal_arr = np.array([temporal[d] for d in dims], dtype=np.int64)
    return Nest(
        dims, spatial, temporal_arr, perm_dim, perm_size, loop_set, set_cum, total,
        reduction, ops, labels,
    )  # fmt: skip


def footprint(
    op: OperandNest, extents: NDArray[np.float64], scale: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Elements of ``op`` touched by loops of the given per-dim extents (last axis = dims),
    each dim's extent multiplied by ``scale`` (per dim) when given."""
    return axes_elements(op.axes, extents, scale)


def axes_elements(
    axes: tuple[tuple[tuple[int, int], ...], ...],
    extents: NDArray[np.float64],
    scale: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Distinct elements over the axes. A one-term axis ``s*a`` has ``A`` (a strided 1x1 conv
    skips rows, it does not touch them); a two-term axis ``sa*a + sb*b`` (a sliding window)
    has ``A*B - max(0, B - sa/g) * max(0, A - sb/g)`` distinct indices, g = gcd(sa, sb): every
    index reached twice is counted once (ZigZag omits the second max, wrong when A < sb/g)."""

    ext = extents if scale is None else extents * scale  # the arrays here are small
    out: NDArray[np.float64] | float = 1.0
    for axis in axes:
        if len(axis) == 1:  # coef*d touches one element per value of d, whatever the stride
            out = out * ext[..., axis[0][0]]
            continue
        if len(axis) == 2:
            (da, sa), (db, sb) = axis
            g = math.gcd(sa, sb)
            a, b = np.floor(ext[..., da] + 1e-9), np.floor(ext[..., db] + 1e-9)
            out = out * (a * b - np.maximum(0.0, b - sa // g) * np.maximum(0.0, a - sb // g))
            continue
        span: NDArray[np.float64] | float = 1.0
        for d, coef in axis:
            span = span + coef * (ext[..., d] - 1.0)
        out = out * span
    if isinstance(out, float):
        return np.full(extents.shape[:-1], out)
    return out


def layer_axes(operand: Operand, layer: Layer) -> tuple[tuple[tuple[int, int], ...], ...]:
    """:func:`split_axes` of a layer's operand, dims indexed in the layer's order."""
    return _layer_axes(operand, layer.dims)


@lru_cache(maxsize=4096)
def _layer_axes(
    operand: Operand, dims: tuple[tuple[str, int], ...]
) -> tuple[tuple[tuple[int, int], ...], ...]:
    return split_axes(operand, dict(dims), {d: i for i, (d, _) in enumerate(dims)})


def split_axes(
    operand: Operand, sizes: dict[str, int], index: dict[str, int]
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Axes as (dim index, |coef|) terms; a flattened axis (``ch = C_size*G + C``) is split into
    one axis per dim, since its elements are then the product of the dims' extents."""
    out: list[tuple[tuple[int, int], ...]] = []
    for axis in operand.axes:
        terms = sorted((abs(c), d) for d, c in axis.terms if d in index and c != 0 and sizes[d] > 1)
        radix, flat = 1, len(terms) > 1
        for coef, d in terms:
            flat &= coef == radix
            radix *= sizes[d]
        if not terms:
            continue
        if flat:
            out.extend(((index[d], 1),) for _, d in terms)
        else:  # keep the axis' own term order: the overlap count below depends on it
            kept = {d for _, d in terms}
            out.append(tuple((index[d], abs(c)) for d, c in axis.terms if d in kept))
    return tuple(out)


class Same:
    """Memory levels compared by identity (they are compared with ``is`` downstream); a memo
    holding this keeps them alive, so their ids stay unique."""

    __slots__ = ("obj",)

    def __init__(self, obj: tuple[MemoryLevel, ...]) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return hash(tuple(map(id, self.obj)))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Same)
            and len(other.obj) == len(self.obj)
            and all(a is b for a, b in zip(other.obj, self.obj, strict=True))
        )


def _operand_nest(
    layer: Layer,
    role: Role,
    levels: tuple[MemoryLevel, ...],
    index: dict[str, int],
    sp_array: dict[tuple[str, str], float],
    reduction: tuple[bool, ...],
) -> OperandNest:
    operand = layer.operands[role]
    bits = layer.partial_output_bits if role == "O" else operand.precision_bits
    spatial = tuple((a, index[d], f) for (a, d), f in sp_array.items())
    return _operand_nest_of(
        role, layer_axes(operand, layer), bits, operand.precision_bits, Same(levels),
        len(index), spatial, reduction,
    )  # fmt: skip


@lru_cache(maxsize=2048)
def _operand_nest_of(
    role: Role,
    axes: tuple[tuple[tuple[int, int], ...], ...],
    bits: int,
    final_bits: int,
    same_levels: Same,
    nd: int,
    spatial: tuple[tuple[str, int, float], ...],
    reduction_t: tuple[bool, ...],
) -> OperandNest:
    """The operand's place in the nest, by content (memoised: many layers share it; its
    arrays are read-only)."""
    levels = same_levels.obj
    reduction = np.array(reduction_t, dtype=bool)
    relevant = np.zeros(nd, dtype=bool)
    strict = np.zeros(nd, dtype=bool)
    for axis in axes:
        for d, _ in axis:
            relevant[d] = True
        if len(axis) == 1:
            strict[axis[0][0]] = True
    n_lv = len(levels)
    group = np.ones((n_lv, nd))
    served: dict[str, int] = {}  # array dim -> the lowest level whose instance it shares
    for array_dim, d_idx, f in spatial:
        lv = served.get(array_dim)
        if lv is None:
            lv = served[array_dim] = next(
                (i for i, m in enumerate(levels) if array_dim in m.served_dims), n_lv - 1
            )
        group[lv, d_idx] *= f
    cum_spatial: NDArray[np.float64] = np.cumprod(group, axis=0, dtype=np.float64)
    above = np.prod(group, axis=1).tolist()
    units = np.array([math.prod(above[lv + 1 :]) for lv in range(n_lv)], dtype=np.float64)
    cum_int: NDArray[np.float64] = np.cumprod(np.floor(group + 1e-9), axis=0).astype(float)
    red_here = [bool(x) for x in np.any((group > 1) & reduction[None, :], axis=1)]
    red_above = np.array([any(red_here[lv + 1 :]) for lv in range(n_lv + 1)], dtype=np.bool_)
    boost = _boost(axes, cum_spatial)
    whole = bool(np.array_equal(cum_int, cum_spatial))
    boost_int = boost if whole else _boost(axes, cum_int)
    for arr in (relevant, strict, cum_spatial, units, boost, red_above, cum_int, boost_int):
        arr.flags.writeable = False
    return OperandNest(
        role, axes, relevant, strict, bits, final_bits, levels,
        cum_spatial, units, boost, red_above, cum_int, boost_int, whole,
    )  # fmt: skip


def _boost(
    axes: tuple[tuple[tuple[int, int], ...], ...], cum_spatial: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distinct-data fan-out of each level's own spatial loops."""
    elems = axes_elements(axes, cum_spatial)
    return elems / np.concatenate([[1.0], elems[:-1]])
