"""Dependencies through shape ops: element origins, and tile windows summed by *atoms*.

The origin of every element of a tensor read through Reshape/Transpose/Concat/... is a CN (or
DRAM) found with :func:`fuseflow.workload.shape_ops.source_elements`. A consumer tile's window
is a product of per-axis index sets; indices of an axis that lie in exactly the same consumer
sets form an *atom*. The origins of the tensor are counted once per combination of atoms, and
each tile sums the counts of the atom combinations in its window: the work is the tensor size
plus the edges, never the sum of all window sizes (attention tiles each read a whole tensor).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.errors import InputError
from fuseflow.tiling.axes import I64, AxisSets, axis_sets, expand
from fuseflow.tiling.deps import NONE, Edges, OutputOwners
from fuseflow.tiling.tiles import LayerTiling
from fuseflow.workload.layer import Layer, Operand, ShapeOp, Workload

DRAM = -2  # element is a graph input or a constant: read from DRAM


@dataclass(frozen=True, eq=False)
class Atoms:
    """One tensor axis cut into atoms: each atom lies in the same consumer key sets."""

    of_index: I64  # atom of each index, -1 when no tile reads it
    n: int
    key_ptr: I64  # CSR: atoms making up each key's set
    key_atoms: I64


def atoms_of(sets: AxisSets, extent: int) -> Atoms:
    keys, idx = sets.key_of_entry(), sets.idx
    of_index = np.full(extent, -1, dtype=np.int64)
    covered = np.bincount(idx, minlength=extent)
    if covered.max(initial=0) <= 1:  # sets do not overlap: the keys are the atoms
        of_index[idx] = keys
        n = sets.n_keys
    else:  # halos: an index shared by several keys is in the atom of that exact key list
        order = np.lexsort((keys, idx))
        idx_s, key_s = idx[order], keys[order]
        starts = np.flatnonzero(np.concatenate(([True], idx_s[1:] != idx_s[:-1])))
        ends = np.append(starts[1:], idx_s.shape[0])
        ids: dict[bytes, int] = {}
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            of_index[idx_s[a]] = ids.setdefault(key_s[a:b].tobytes(), len(ids))
        n = len(ids)
    flat = np.unique(keys * max(n, 1) + of_index[idx])
    key_of, atom = flat // max(n, 1), flat % max(n, 1)
    ptr = np.searchsorted(key_of, np.arange(sets.n_keys + 1, dtype=np.int64)).astype(np.int64)
    return Atoms(of_index, n, ptr, atom)


def element_edges(
    tiling: LayerTiling,
    operand: Operand,
    shape: tuple[int, ...],
    origin: I64,
    full_dims: Collection[str] = (),
) -> Edges:
    """Consumer tile -> origin (global CN id or ``DRAM``) pairs with element counts."""
    sets = [axis_sets(a, tiling, n, full_dims) for a, n in zip(operand.axes, shape, strict=True)]
    atoms = [atoms_of(s, n) for s, n in zip(sets, shape, strict=True)]
    hist_ptr, hist_src, hist_count = _histogram(atoms, shape, origin)
    rows = np.arange(tiling.n_tiles, dtype=np.int64)
    lin = np.zeros(tiling.n_tiles, dtype=np.int64)
    for s, a in zip(sets, atoms, strict=True):
        row, entry = expand(s.key_of_tile[rows], a.key_ptr)
        rows, lin = rows[row], lin[row] * a.n + a.key_atoms[entry]
    row, entry = expand(lin, hist_ptr)
    tiles, src, count = rows[row], hist_src[entry], hist_count[entry]
    span = int(origin.max(initial=0)) + 3
    pair, inverse = np.unique(tiles * span + (src + 2), return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=count, minlength=pair.shape[0])
    return Edges(pair // span, pair % span - 2, total.astype(np.int64))


def _histogram(atoms: list[Atoms], shape: tuple[int, ...], origin: I64) -> tuple[I64, I64, I64]:
    """Per atom combination (CSR): the origins of its elements and how many of each."""
    combo = np.zeros((1,) * len(shape), dtype=np.int64)
    valid = np.ones((1,) * len(shape), dtype=np.bool_)
    for axis, a in enumerate(atoms):
        view = [1] * len(shape)
        view[axis] = shape[axis]
        combo = combo * a.n + a.of_index.reshape(view)
        valid = valid & (a.of_index >= 0).reshape(view)
    combo = np.broadcast_to(combo, shape).ravel()
    keep = np.broadcast_to(valid, shape).ravel() & (origin != NONE)
    span = int(origin.max(initial=0)) + 3
    flat, count = np.unique(combo[keep] * span + (origin[keep] + 2), return_counts=True)
    combos, src = flat // span, flat % span - 2
    n_combos = int(np.prod([a.n for a in atoms], dtype=np.int64))
    ptr = np.searchsorted(combos, np.arange(n_combos + 1, dtype=np.int64)).astype(np.int64)
    return ptr, src, count.astype(np.int64)


def whole_edges(nonempty: NDArray[np.bool_], origin: I64) -> Edges:
    """Every tile with a non-empty window depends on every element of ``origin``."""
    keep = origin != NONE
    src, count = np.unique(origin[keep], return_counts=True)
    tiles = np.flatnonzero(nonempty).astype(np.int64)
    return Edges(
        np.repeat(tiles, src.shape[0]),
        np.tile(src, tiles.shape[0]),
        np.tile(count.astype(np.int64), tiles.shape[0]),
    )


class Origins:
    """Per tensor: for each flat element, the global CN whose final output it is (memoised).

    A tensor behind a whole-tensor shape op (every output element needs every input element)
    gets the concatenated origins of its inputs instead (whatever their length), and
    :meth:`is_whole` says so.
    """

    def __init__(
        self, workload: Workload, owners: Mapping[str, OutputOwners], cn_offset: Mapping[str, int]
    ) -> None:
        self.workload = workload
        self.owners = owners
        self.cn_offset = cn_offset
        self._memo: dict[str, I64] = {}
        self._whole: set[str] = set()

    def size(self, tensor: str) -> int:
        return int(np.prod(self.workload.tensors[tensor].shape, dtype=np.int64))

    def is_whole(self, tensor: str) -> bool:
        """True when every element of ``tensor`` depends on every origin in ``of(tensor)``."""
        self.of(tensor)
        return tensor in self._whole

    def of(self, tensor: str) -> I64:
        if tensor not in self._memo:
            self._memo[tensor] = self._compute(tensor)
        return self._memo[tensor]

    def _compute(self, tensor: str) -> I64:
        info = self.workload.tensors[tensor]
        if info.producer is None:
            return np.full(self.size(tensor), DRAM, dtype=np.int64)
        node = self.workload.node(info.producer)
        if isinstance(node, Layer):
            tiles = self.owners[node.name].tile_array(info.shape)
            return np.where(tiles >= 0, tiles + self.cn_offset[node.name], NONE)
        return self._through(node, tensor)

    def _through(self, op: ShapeOp, tensor: str) -> I64:
        from fuseflow.workload.shape_ops import depends_on_whole_input, source_elements

        inputs = [self.of(t) for t in op.inputs]
        if depends_on_whole_input(op) or any(self.is_whole(t) for t in op.inputs):
            self._whole.add(tensor)
            return np.concatenate(inputs)
        try:
            which, index = source_elements(op, self.workload, op.outputs.index(tensor))
        except KeyError as exc:  # attributes the workload step let through
            raise InputError(f"{op.op_type} without attribute {exc}", where=op.name) from None
        except (ValueError, IndexError) as exc:
            raise InputError(f"{op.op_type}: {exc}", where=op.name) from None
        # One gather from the inputs' origins laid end to end, plus a NONE for "no input".
        start = np.cumsum([0] + [int(o.shape[0]) for o in inputs], dtype=np.int64)
        pool = np.concatenate([*inputs, np.array([NONE], dtype=np.int64)])
        w = which.ravel().astype(np.int64)
        return pool[np.where(w >= 0, start[np.maximum(w, 0)] + index.ravel(), start[-1])]
