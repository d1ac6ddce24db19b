"""Per-tile facts besides dependencies: unique tile shapes (for costing) and weight tensors."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from fuseflow.tiling.deps import window_volume
from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import Layer, Workload


def _signature(layer: Layer) -> tuple[object, ...]:
    """What besides loop sizes makes two tiles cost the same (not the layer's name)."""
    operands = tuple(
        (role, op.axes, op.precision_bits, op.constant)
        for role, op in sorted(layer.operands.items())
    )
    attrs = repr(sorted((k, repr(v)) for k, v in layer.attrs.items()))
    return (layer.op_type, layer.kind, layer.dim_names, operands, layer.partial_output_bits, attrs)


def tile_shapes(
    layers: tuple[Layer, ...], tilings: Mapping[str, LayerTiling]
) -> tuple[NDArray[np.int32], tuple[Layer, ...]]:
    """Shape id of every CN and the unique tile shapes, shared by identical layers."""
    ids: dict[tuple[object, ...], int] = {}
    shapes: list[Layer] = []
    per_cn: list[NDArray[np.int64]] = []
    for layer in layers:
        t = tilings[layer.name]
        code, rows = _shape_codes(t)
        sig = _signature(layer)
        local = np.empty(len(rows), dtype=np.int64)
        for i, row in enumerate(rows):
            key = (sig, row)
            if key not in ids:
                ids[key] = len(shapes)
                shapes.append(layer.with_sizes(dict(zip(t.dims, row, strict=True))))
            local[i] = ids[key]
        per_cn.append(local[code])
    arr = np.concatenate(per_cn) if per_cn else np.zeros(0, dtype=np.int64)
    return arr.astype(np.int32), tuple(shapes)


def _shape_codes(t: LayerTiling) -> tuple[NDArray[np.int64], list[tuple[int, ...]]]:
    """Per tile a dense id of its loop sizes, and the sizes of each id (in id order).

    A dim's cells take only a few distinct lengths, so a tile's shape is a small mixed-radix
    number over per-dim length classes; no sort over the tiles is needed.
    """
    code = np.zeros(t.n_tiles, dtype=np.int64)
    classes: list[tuple[int, ...]] = []
    for d, b in enumerate(t.bounds):
        lengths, inverse = _length_classes(tuple(b.tolist()))
        if len(lengths) > 1:
            code = code * len(lengths) + inverse[t.cells[:, d]]
        classes.append(lengths)
    radix = tuple(len(c) for c in classes)
    if all(r == 1 for r in radix):  # every tile has the same shape
        return code, [tuple(c[0] for c in classes)]
    used = np.zeros(int(np.prod(radix, dtype=np.int64)), dtype=np.int64)
    used[code] = 1
    present = np.flatnonzero(used)
    dense = np.cumsum(used) - 1
    rows = [
        tuple(classes[d][i] for d, i in enumerate(np.unravel_index(int(p), radix))) for p in present
    ]
    return dense[code], rows


@functools.lru_cache(maxsize=1024)
def _length_classes(bounds: tuple[int, ...]) -> tuple[tuple[int, ...], NDArray[np.int64]]:
    """The distinct cell lengths of a dim cut at ``bounds`` (ascending) and each cell's class."""
    lengths, inverse = np.unique(np.diff(np.array(bounds, dtype=np.int64)), return_inverse=True)
    classes = inverse.ravel().astype(np.int64)
    classes.flags.writeable = False  # memoised and shared
    return tuple(int(v) for v in lengths), classes


def weight_tensors(
    workload: Workload, layers: tuple[Layer, ...], tilings: Mapping[str, LayerTiling]
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """Weight tensor id of every CN (-1 without constant weights) and each tensor's bits.

    One tensor per (layer, cells of the tiled dims the weights depend on): tiles that only
    differ in OY share their layer's weights.
    """
    per_cn: list[NDArray[np.int64]] = []
    bits: list[NDArray[np.int64]] = []
    next_id = 0
    for layer in layers:
        t = tilings[layer.name]
        w = layer.operands.get("W")
        if w is None or not w.constant:
            per_cn.append(np.full(t.n_tiles, -1, dtype=np.int64))
            continue
        dims = [t.dims.index(d) for d in sorted(w.dims) if t.n_cells(t.dims.index(d)) > 1]
        if dims:
            key = np.ravel_multi_index(
                tuple(t.cells[:, d] for d in dims), tuple(t.n_cells(d) for d in dims)
            )
        else:
            key = np.zeros(t.n_tiles, dtype=np.int64)
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        shape = workload.tensors[w.tensor].shape
        vol = window_volume(t, w, shape)
        bits.append(vol[first] * w.precision_bits)
        per_cn.append(inverse.ravel().astype(np.int64) + next_id)
        next_id += int(uniq.shape[0])
    w_arr = np.concatenate(per_cn) if per_cn else np.zeros(0, dtype=np.int64)
    b_arr = np.concatenate(bits) if bits else np.zeros(0, dtype=np.int64)
    return w_arr.astype(np.int32), b_arr.astype(np.int64)
