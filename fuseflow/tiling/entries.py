"""Resolving the mapping entries that apply to one layer (its own, its op type's, the default)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator, Core
from fuseflow.tiling.spec import LayerMapping, TileLoop
from fuseflow.tiling.yamlfile import KeyPath, YamlDoc
from fuseflow.workload.layer import DIM_NAMES, Layer


@dataclass(frozen=True)
class EntryRef:
    """A mapping entry, where it sits in the file, and whether it names the layer itself."""

    path: KeyPath
    entry: Any  # mapping.Entry or None
    own: bool


def can_run(layer: Layer, core: Core) -> bool:
    """A core can run a layer when it has memories for its inputs, outputs and weights."""
    needed = {"I", "O"} & set(layer.operands)
    w = layer.operands.get("W")
    if w is not None and w.constant:
        needed.add("W")
    return all(core.hierarchy(r) for r in needed)  # type: ignore[arg-type]


def resolve_layer(
    layer: Layer, chain: list[EntryRef], acc: Accelerator, doc: YamlDoc
) -> LayerMapping:
    """Field by field, the most specific entry that sets a field wins."""

    def first(*fields: str) -> EntryRef | None:
        for ref in chain:
            if ref.entry is not None and any(getattr(ref.entry, f) is not None for f in fields):
                return ref
        return None

    cores, fixed = _allocation(layer, first("core", "cores", "fixed"), acc, doc)
    tiling_ref = first("tiling")
    tiling = _tiling(layer, tiling_ref, doc)
    split, open_dim = _split(layer, first("split"), doc, {t.dim for t in tiling})
    split, open_dim, fixed = _groups(layer, first("split"), doc, split, open_dim, cores, fixed)
    explicit = tiling_ref is not None and tiling_ref.own
    return LayerMapping(layer.name, cores, fixed, tiling, split, open_dim, explicit)


def _err(doc: YamlDoc, path: KeyPath, layer: Layer, message: str) -> InputError:
    return doc.error(path, f"{message} (layer {layer.name}, {layer.op_type})")


def _core_index(value: object, acc: Accelerator, doc: YamlDoc, path: KeyPath) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise doc.error(path, f"expected a core name or index, got {value!r}")
    if isinstance(value, int):
        if 0 <= value < len(acc.cores):
            return value
        raise doc.error(path, f"core index {value} out of range (0..{len(acc.cores) - 1})")
    if value not in acc.core_index:
        raise doc.error(path, f"unknown core {value!r} (cores: {', '.join(acc.core_names)})")
    return acc.core_index[value]


def _allocation(
    layer: Layer, ref: EntryRef | None, acc: Accelerator, doc: YamlDoc
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    able = [i for i, c in enumerate(acc.cores) if can_run(layer, c)]
    if ref is None:
        if not able:
            raise InputError("no core has memories for all its operands", where=layer.name)
        return tuple(able), None
    e = ref.entry
    if e.core is not None and e.cores is not None:
        raise _err(doc, (*ref.path, "core"), layer, "give either core or cores, not both")
    if e.core is not None:
        i = _core_index(e.core, acc, doc, (*ref.path, "core"))
        if i not in able:
            raise _err(doc, (*ref.path, "core"), layer, f"core {acc.cores[i].name} cannot run it")
        return (i,), (i,)
    if e.cores is None:
        raise _err(doc, (*ref.path, "fixed"), layer, "fixed: true needs a cores list")
    idx = [_core_index(c, acc, doc, (*ref.path, "cores", j)) for j, c in enumerate(e.cores)]
    if not idx:
        raise _err(doc, (*ref.path, "cores"), layer, "empty cores list")
    for j, i in enumerate(idx):
        if i not in able and (e.fixed or ref.own):
            path = (*ref.path, "cores", j)
            raise _err(doc, path, layer, f"core {acc.cores[i].name} cannot run it")
    if e.fixed:
        return tuple(dict.fromkeys(idx)), tuple(idx)
    allowed = tuple(i for i in dict.fromkeys(idx) if i in able)
    if not allowed:
        raise _err(doc, (*ref.path, "cores"), layer, "none of these cores can run it")
    return allowed, None


def _loop_value(value: object, dim: str, size: int, doc: YamlDoc, path: KeyPath) -> TileLoop:
    if value == "all":
        return TileLoop(dim, count=size)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return TileLoop(dim, count=value)
    if isinstance(value, dict) and set(value) == {"tile"}:
        t = value["tile"]
        if isinstance(t, int) and not isinstance(t, bool) and t >= 1:
            return TileLoop(dim, size=t)
    raise doc.error(path, f"expected all, a tile count >= 1 or {{tile: SIZE}}, got {value!r}")


def _tiling(layer: Layer, ref: EntryRef | None, doc: YamlDoc) -> tuple[TileLoop, ...]:
    if ref is None:
        return ()
    loops: list[TileLoop] = []
    sizes = layer.sizes
    for dim, value in ref.entry.tiling.items():
        path = (*ref.path, "tiling", dim)
        if dim not in DIM_NAMES:
            raise doc.error(path, f"unknown loop dim {dim!r} (dims: {', '.join(DIM_NAMES)})")
        loop = _loop_value(value, dim, sizes.get(dim, 1), doc, path)
        if dim not in sizes:
            if ref.own:
                raise _err(doc, path, layer, f"no loop dim {dim} (dims: {layer.dim_names})")
            continue  # a default or op-type entry: dims a layer lacks do not apply to it
        loops.append(loop)
    return tuple(loops)


def _split(
    layer: Layer, ref: EntryRef | None, doc: YamlDoc, tiled: set[str]
) -> tuple[tuple[tuple[str, int], ...], str | None]:
    if ref is None:
        return (), None
    split: list[tuple[str, int]] = []
    open_dim: str | None = None
    sizes = layer.sizes
    for dim, value in ref.entry.split.items():
        path = (*ref.path, "split", dim)
        if dim not in DIM_NAMES:
            raise doc.error(path, f"unknown loop dim {dim!r} (dims: {', '.join(DIM_NAMES)})")
        star = value == "*"
        if not star and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise doc.error(path, f"expected a number of parts >= 1 or '*', got {value!r}")
        if dim not in sizes:
            if ref.own:
                raise _err(doc, path, layer, f"no loop dim {dim} (dims: {layer.dim_names})")
            continue
        if dim in tiled:
            raise _err(doc, path, layer, f"{dim} is also tiled; a dim is either tiled or split")
        if dim in layer.reduction_dims:
            raise _err(doc, path, layer, f"{dim} is a reduction dim: partial sums cannot be split")
        if star:
            if open_dim is not None:
                raise _err(doc, path, layer, "at most one split may be left to the allocator")
            open_dim = dim
        elif value > sizes[dim]:
            raise _err(doc, path, layer, f"{value} parts of {dim}={sizes[dim]}")
        else:
            split.append((dim, int(value)))
    return tuple(split), open_dim


def _groups(
    layer: Layer,
    ref: EntryRef | None,
    doc: YamlDoc,
    split: tuple[tuple[str, int], ...],
    open_dim: str | None,
    cores: tuple[int, ...],
    fixed: tuple[int, ...] | None,
) -> tuple[tuple[tuple[str, int], ...], str | None, tuple[int, ...] | None]:
    """Match the split with the cores: group g of a fixed layer runs on fixed[g]."""
    parts = math.prod(f for _, f in split)
    path = (*ref.path, "split") if ref is not None else ()
    if fixed is not None and open_dim is not None:
        # A fixed list of cores with split '*': one part per listed core.
        if len(fixed) % parts:
            raise _err(doc, path, layer, f"{len(fixed)} fixed cores for {parts} parts")
        factor = len(fixed) // parts
        if factor > layer.sizes[open_dim]:
            raise _err(doc, path, layer, f"{factor} parts of {open_dim}={layer.sizes[open_dim]}")
        return (*split, (open_dim, factor)), None, fixed
    if fixed is not None:
        if len(fixed) == 1:
            return split, None, fixed * parts
        if len(fixed) != parts:
            raise _err(
                doc, path, layer, f"{len(fixed)} fixed cores but the split makes {parts} groups"
            )
        return split, None, fixed
    if parts > len(cores):
        raise _err(doc, path, layer, f"split into {parts} parts but only {len(cores)} cores")
    if open_dim is not None and len(cores) == 1:
        open_dim = None  # one core: nothing for the allocator to choose
    return split, open_dim, None
