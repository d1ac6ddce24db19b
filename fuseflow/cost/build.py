"""Build the cost table: every unique (tile shape, core) costed once, through the disk cache."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fuseflow.cost.analytical import MODEL_VERSION, layer_cost, layer_costs
from fuseflow.cost.cache import CostCache, core_key, default_cache_dir, entry_key, layer_key
from fuseflow.cost.result import CostResult
from fuseflow.cost.table import CostTable
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Accelerator, Core, Dram
from fuseflow.tiling.graph import CNGraph
from fuseflow.workload.layer import Layer

CacheSpec = CostCache | str | Path | bool | None
CostFn = Callable[..., CostResult]


def open_cache(cache: CacheSpec) -> CostCache | None:
    """``True``: the default folder (:func:`default_cache_dir`); ``None``/``False``: no cache;
    a path or a :class:`CostCache`: that one. An explicit path beats ``$FUSEFLOW_CACHE_DIR``."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return CostCache(default_cache_dir())
    if isinstance(cache, CostCache):
        return cache
    return CostCache(cache)


def build_cost_table(graph: CNGraph, acc: Accelerator, *, cache: CacheSpec = True) -> CostTable:
    """The cost of every tile shape on every core its group may run on.

    Shapes identical in content (and cores identical up to their name) are costed once;
    results come from and go to the on-disk cache (see :func:`open_cache`).
    """
    pairs = _needed_pairs(graph)
    jobs = [(graph.tile_layers[s], acc.cores[c]) for s, c in pairs]
    results = cost_pairs(jobs, acc.dram, cache=cache)
    return CostTable(acc.core_names, len(graph.tile_layers), dict(zip(pairs, results, strict=True)))


def cost_pairs(
    jobs: Sequence[tuple[Layer, Core]],
    dram: Dram,
    *,
    cache: CacheSpec = True,
    cost_fn: CostFn = layer_cost,
    version: str = MODEL_VERSION,
) -> list[CostResult]:
    """Cost of each (layer, core) job, in order; equal contents are evaluated once. A job
    that cannot be costed raises its :class:`InfeasibleError` (after the others are stored)."""
    out = _cost(jobs, dram, cache, cost_fn, version, keep_going=False)
    for r in out:
        if isinstance(r, InfeasibleError):
            raise r
    return out  # type: ignore[return-value]


def cost_each(
    jobs: Sequence[tuple[Layer, Core]],
    dram: Dram,
    *,
    cache: CacheSpec = True,
    cost_fn: CostFn = layer_cost,
    version: str = MODEL_VERSION,
) -> list[CostResult | InfeasibleError]:
    """As :func:`cost_pairs`, with the error of a job that cannot be costed in its place."""
    return _cost(jobs, dram, cache, cost_fn, version, keep_going=True)


def _cost(
    jobs: Sequence[tuple[Layer, Core]],
    dram: Dram,
    cache: CacheSpec,
    cost_fn: CostFn,
    version: str,
    *,
    keep_going: bool,
) -> list[CostResult | InfeasibleError]:
    store = open_cache(cache)
    core_hash: dict[int, str] = {}
    layer_text: dict[int, str] = {}
    keys: list[str] = []
    for layer, core in jobs:
        ch = core_hash.get(id(core))
        if ch is None:
            ch = core_hash[id(core)] = core_key(core, dram)
        lt = layer_text.get(id(layer))
        if lt is None:
            lt = layer_text[id(layer)] = layer_key(layer)
        keys.append(entry_key(lt, ch, version))
    found: dict[str, CostResult | InfeasibleError] = {}
    misses: dict[str, tuple[Layer, Core]] = {}
    for key, job in zip(keys, jobs, strict=True):
        if key in found or key in misses:
            continue
        hit = store.get(key) if store is not None else None
        if hit is None:
            misses[key] = job
        else:
            found[key] = hit
    results = _evaluate(list(misses.values()), dram, cost_fn, keep_going=keep_going)
    for key, result in zip(misses, results, strict=True):
        found[key] = result
        if store is not None and isinstance(result, CostResult):
            store.put(key, result)
    out = [_named(found[k], core.name) for k, (_, core) in zip(keys, jobs, strict=True)]
    if keep_going:  # an error names its own layer and core: jobs sharing one get their own
        for i, (key, job) in enumerate(zip(keys, jobs, strict=True)):
            if isinstance(out[i], InfeasibleError) and misses.get(key) is not job:
                out[i] = _evaluate([job], dram, cost_fn, keep_going=True)[0]
    return out


def _evaluate(
    jobs: list[tuple[Layer, Core]], dram: Dram, cost_fn: CostFn, *, keep_going: bool
) -> list[CostResult | InfeasibleError]:
    """``cost_fn`` of each job, errors in place; the analytical model evaluates all of them
    in stacked passes. Another backend (slow) stops at the first error unless
    ``keep_going``."""
    if cost_fn is layer_cost:
        return layer_costs(jobs, dram=dram)
    out: list[CostResult | InfeasibleError] = []
    for layer, core in jobs:
        try:
            out.append(cost_fn(layer, core, dram=dram))
        except InfeasibleError as exc:
            out.append(exc)
            if not keep_going:
                break
    return out + [InfeasibleError("not evaluated")] * (len(jobs) - len(out))


def _named(result: CostResult | InfeasibleError, core: str) -> CostResult | InfeasibleError:
    if isinstance(result, InfeasibleError) or result.core == core:
        return result
    return dataclasses.replace(result, core=core)


def _needed_pairs(graph: CNGraph) -> list[tuple[int, int]]:
    """Sorted unique (tile shape, core index) pairs over all groups' allowed cores."""
    if len(graph.shape) == 0:
        return []
    shape_group = np.unique(np.stack([graph.shape, graph.group], axis=1), axis=0)
    out: set[tuple[int, int]] = set()
    for s, g in shape_group.tolist():
        out.update((s, c) for c in graph.group_cores[g])
    return sorted(out)
