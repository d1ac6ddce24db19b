"""The resolved mapping: per layer its cores, tiling and split, plus stacks and priority."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

PriorityMode = Literal["depth_first", "latency_first"]


@dataclass(frozen=True, slots=True)
class TileLoop:
    """One intra-core tiling loop: cut ``dim`` into ``count`` tiles, or into tiles of ``size``.

    ``count`` tiles have sizes that differ by at most one, the larger ones first (so a
    non-divisible count leaves the last tiles one smaller); ``size`` tiles are all ``size`` long
    except a shorter last one. The layer is never enlarged.
    """

    dim: str
    count: int | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class LayerMapping:
    """How one layer is mapped: allowed cores, fixed cores per group, tiling and split.

    ``cores`` are allowed core indices (``Accelerator.cores`` order). ``fixed`` (when not
    ``None``) gives the core of each group; ``split`` cuts the layer into groups (the unit of
    allocation) along ``dim`` into ``factor`` parts; ``open_split`` is a dim whose split factor
    is left to the allocator (built unsplit until ``build_cn_graph(..., splits=...)`` sets it).
    ``tiling_explicit`` is true when the layer's own entry sets ``tiling`` (then the layer is
    tiled even alone in its stack).
    """

    name: str
    cores: tuple[int, ...]
    fixed: tuple[int, ...] | None = None
    tiling: tuple[TileLoop, ...] = ()
    split: tuple[tuple[str, int], ...] = ()
    open_split: str | None = None
    tiling_explicit: bool = False


@dataclass(frozen=True)
class MappingSpec:
    """A mapping resolved against one workload and one accelerator."""

    layers: Mapping[str, LayerMapping]
    stacks: tuple[tuple[str, ...], ...]  # every compute layer exactly once, in scheduling order
    priority: PriorityMode = "depth_first"
    source: str | None = None
    notes: tuple[str, ...] = field(default=())  # what the resolution decided silently

    def open_splits(self) -> dict[str, str]:
        """Layer name -> dim whose split factor the allocator chooses."""
        return {n: m.open_split for n, m in self.layers.items() if m.open_split is not None}
