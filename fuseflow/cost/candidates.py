"""The candidate mappings of one layer tile on one core: what streams, the loop nest, the
blocking of every loop order and the distinct orders left to evaluate."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.allocate import allocate
from fuseflow.cost.group import Group, group_key
from fuseflow.cost.nest import (
    Nest,
    axes_elements,
    build_nest,
    footprint,
    layer_axes,
    spatial_factors,
)
from fuseflow.cost.traffic import OperandLevels, distinct_candidates, operand_levels
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Core, Dram, MemoryLevel
from fuseflow.workload.layer import Layer, Role


@dataclass(frozen=True)
class Candidates:
    """The distinct candidate mappings of a layer on a core, before their costs."""

    layer: Layer
    core: Core
    nest: Nest
    levels: list[OperandLevels]
    valid: NDArray[np.bool_]
    footprint: dict[Role, int]  # top-level bits of each operand
    streamed: set[Role]  # operands streaming from DRAM


def candidates(layer: Layer, core: Core, dram: Dram) -> Candidates:
    """The candidates of ``layer`` on ``core``, its data starting in the core's top-level
    memories; operands that do not fit there stream from ``dram``."""
    (found,) = candidates_each([(layer, core)], dram)
    if isinstance(found, InfeasibleError):
        raise found
    return found


def candidates_each(
    jobs: Sequence[tuple[Layer, Core]], dram: Dram
) -> list[Candidates | InfeasibleError]:
    """:func:`candidates` of each job, or its error. Jobs whose nests have the same memory
    hierarchies and number of loops are searched together (their orders stacked), which
    gives each job exactly what searching it alone gives."""
    out: list[Candidates | InfeasibleError | None] = [None] * len(jobs)
    options: dict[int, Iterator[tuple[dict[Role, int], set[Role]]]] = {}
    for k, (layer, core) in enumerate(jobs):
        missing = [role for role in layer.operands if not core.hierarchy(role)]
        if missing:
            out[k] = InfeasibleError(f"core {core.name!r} has no memory for operand {missing[0]}")
        else:
            options[k] = _streaming_options(layer, core)
    while options:  # one streaming option of every job still open per round
        groups: dict[tuple[object, ...], list[tuple[int, Nest, tuple[MemoryLevel, ...]]]] = {}
        tried: dict[int, tuple[dict[Role, int], set[Role]]] = {}
        for k, it in list(options.items()):
            option = next(it, None)
            if option is None:
                layer, core = jobs[k]
                out[k] = InfeasibleError(
                    f"layer {layer.name!r} fits no temporal mapping on core {core.name!r}"
                    + _smallest_misfit(layer, core)
                )
                del options[k]
                continue
            tried[k] = option
            nest, physical = _nest(*jobs[k], dram, option[1])
            groups.setdefault(group_key(nest, physical), []).append((k, nest, physical))
        for members in groups.values():
            for (k, _, _), found in zip(members, _search(members), strict=True):
                if found is not None:
                    nest, levels, valid = found
                    foot, streamed = tried[k]
                    out[k] = Candidates(*jobs[k], nest, levels, valid, foot, streamed)
                    del options[k]
    return [r for r in out if r is not None]


def _nest(
    layer: Layer, core: Core, dram: Dram, streamed: set[Role]
) -> tuple[Nest, tuple[MemoryLevel, ...]]:
    """The nest of ``layer`` on ``core`` with the ``streamed`` operands topped by DRAM, and
    the memories to allocate (the core's, then the DRAM)."""
    hierarchy = {role: core.hierarchy(role) for role in layer.operands}
    physical = core.memories
    if streamed:
        virtual = dram_level(dram, streamed, core)
        hierarchy = {r: lv + ((virtual,) if r in streamed else ()) for r, lv in hierarchy.items()}
        physical = (*physical, virtual)
    return build_nest(layer, core, hierarchy), physical


Found = tuple[Nest, list[OperandLevels], NDArray[np.bool_]]


def _search(members: list[tuple[int, Nest, tuple[MemoryLevel, ...]]]) -> list[Found | None]:
    """Every distinct candidate mapping of each member; None where no loop order fits."""
    group = Group.of([nest for _, nest, _ in members])
    cuts, valid = allocate(group, members[0][2])
    starts = group.row_start.tolist()
    fits = [bool(valid[lo:hi].any()) for lo, hi in itertools.pairwise(starts)]
    if not all(fits):  # search on without the jobs that fit nowhere
        kept = [m for m, ok in zip(members, fits, strict=True) if ok]
        found = iter(_search(kept) if kept else [])
        return [next(found) if ok else None for ok in fits]
    levels = [operand_levels(group, op, cuts[op.role]) for op in group.operands]
    return list(distinct_candidates(group, levels, valid))


def top_footprints(layer: Layer, core: Core, *, partial_outputs: bool = False) -> dict[Role, int]:
    """Bits of each operand of the whole tile; outputs at final precision unless
    ``partial_outputs`` and the reduction is not fully spatial."""
    sp_total, _ = spatial_factors(layer, core)
    sizes = layer.sizes
    red_temporal = any(
        math.ceil(sizes[d] / sp_total.get(d, 1.0) - 1e-9) > 1 for d in layer.reduction_dims
    )
    extents = np.array([float(s) for _, s in layer.dims])
    out: dict[Role, int] = {}
    for role, operand in layer.operands.items():
        elems = float(axes_elements(layer_axes(operand, layer), extents))
        bits = operand.precision_bits
        if role == "O" and red_temporal and partial_outputs:
            bits = layer.partial_output_bits
        out[role] = round(elems) * bits
    return out


def _streaming_options(layer: Layer, core: Core) -> Iterator[tuple[dict[Role, int], set[Role]]]:
    """Which operands stream from DRAM, in the order tried: outputs reach the top level as
    finals when the reduction stays below it; only if no such mapping exists are partial sums
    counted there; last, everything streams so the on-chip memories only hold blocks."""
    for partial in (False, True):
        foot = top_footprints(layer, core, partial_outputs=partial)
        yield foot, _streamed(core, foot)
    yield foot, set(layer.operands)


def _smallest_misfit(layer: Layer, core: Core) -> str:
    """Why nothing fits: a memory too small for the data of one step of the spatial array."""
    nest = build_nest(layer, core, {role: core.hierarchy(role) for role in layer.operands})
    for mem in core.memories:
        need = 0.0
        for op in nest.operands:
            for lv, m in enumerate(op.levels):
                if m is mem:
                    one = np.ones((1, len(nest.dims))) * op.cum_spatial[lv][None, :]
                    need += float(footprint(op, one)[0]) * op.final_bits
        if need > mem.size_bits:
            return (
                f": memory {mem.name!r} ({mem.size_bits} bits) cannot hold the {need:.0f} bits"
                " one step of the spatial unrolling needs"
            )
    return ""


def _streamed(core: Core, foot: dict[Role, int]) -> set[Role]:
    """Operands that do not fit their top-level memory together with the others there: keep
    the smallest ones that fit, stream the rest from DRAM."""
    out: set[Role] = set()
    tops: dict[int, list[Role]] = {}
    for role in foot:
        tops.setdefault(id(core.top_memory(role)), []).append(role)
    for roles in tops.values():
        cap = core.top_memory(roles[0]).size_bits
        used = 0
        for role in sorted(roles, key=lambda r: (foot[r], r)):
            if used + foot[role] <= cap:
                used += foot[role]
            else:
                out.add(role)
    return out


def dram_level(dram: Dram, roles: set[Role], core: Core) -> MemoryLevel:
    """DRAM as the top memory level of ``core`` for the operands in ``roles`` (streamed); the
    same object for the same arguments while memoised, so layers streaming the same operands
    share one memory hierarchy."""
    return _dram_level(dram, frozenset(roles), tuple(d for d, _ in core.array))


@lru_cache(maxsize=256)
def _dram_level(dram: Dram, roles: frozenset[Role], served: tuple[str, ...]) -> MemoryLevel:
    separate = dram.ports == "separate"
    return MemoryLevel(
        name="dram",
        size_bits=dram.size_bits,
        read_bw_bits=dram.read_bw_bits,
        write_bw_bits=dram.write_bw_bits,
        read_energy_pj=dram.read_energy_pj,
        write_energy_pj=dram.write_energy_pj,
        operands=roles,
        served_dims=served,
        read_ports=1 if separate else 0,
        write_ports=1 if separate else 0,
        read_write_ports=0 if separate else 1,
    )
