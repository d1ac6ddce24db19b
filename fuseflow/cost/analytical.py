"""The analytical cost model: latency and energy of one layer tile on one core."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.allocate import allocate
from fuseflow.cost.latency import group_ports, loading_cycles, stall_cycles
from fuseflow.cost.nest import (
    Nest,
    axes_elements,
    build_nest,
    footprint,
    layer_axes,
    spatial_factors,
)
from fuseflow.cost.result import CostResult, EnergyPart, LevelLoops, Mapping
from fuseflow.cost.traffic import (
    OperandLevels,
    distinct_candidates,
    double_buffered,
    operand_levels,
)
from fuseflow.cost.transfers import Transfers, energy_parts, transfers
from fuseflow.errors import InfeasibleError
from fuseflow.hardware.model import Core, Dram, MemoryLevel
from fuseflow.workload.layer import Layer, Role

MODEL_VERSION = "analytical-5"
# DRAM assumed when none is given (ZigZag's shipped DRAM: 64 bits/cycle, 700/750 pJ per word)
DEFAULT_DRAM = Dram("dram", 10**10, 64, 64, 700.0, 750.0)


def layer_cost(layer: Layer, core: Core, *, dram: Dram | None = None) -> CostResult:
    """Latency and energy of ``layer`` (one CN) on ``core``, its data starting in the core's
    top-level memories; operands that do not fit there stream from ``dram``.

    Hand-checked examples: tests/cost/test_analytical.py.
    """
    for role in layer.operands:
        if not core.hierarchy(role):
            raise InfeasibleError(f"core {core.name!r} has no memory for operand {role}")
    found = None
    foot: dict[Role, int] = {}
    streamed: set[Role] = set()
    for option in _streaming_options(layer, core):
        found = _search(layer, core, dram or DEFAULT_DRAM, option[1])
        if found is not None:
            foot, streamed = option
            break
    if found is None:
        raise InfeasibleError(
            f"layer {layer.name!r} fits no temporal mapping on core {core.name!r}"
            + _smallest_misfit(layer, core)
        )
    nest, levels, tr, valid = found
    part_names, parts = energy_parts(tr, {op.role: op.units for op in nest.operands})
    mem_energy = np.sum(parts, axis=0)
    mac_energy = layer.macs * core.mac_energy_pj
    energy = mac_energy + mem_energy
    t_cycles = float(nest.temporal_cycles)
    ports = group_ports(tr)
    stall = stall_cycles(tr, ports, t_cycles)
    shared = _shared_inputs(layer, nest)
    onload, offload = loading_cycles(tr, ports, t_cycles + stall, shared)
    latency = np.ceil(t_cycles + stall + onload + offload - 1e-9)
    latency = np.where(valid, latency, np.inf)
    best = int(np.lexsort((np.where(valid, energy, np.inf), latency))[0])
    dram_rows = [a for a, m in enumerate(tr.mem) if m.name == "dram" and tr.role[a] in streamed]
    dram_bits = sum(
        float(tr.amount[a, best] * tr.bits[a, best] * tr.count[a, best]) for a in dram_rows
    )
    lat = int(latency[best])
    return CostResult(
        core=core.name,
        macs=layer.macs,
        latency_cycles=lat,
        ideal_cycles=int(t_cycles),
        stall_cycles=math.ceil(float(stall[best]) - 1e-9),
        onload_cycles=math.ceil(float(onload[best]) - 1e-9),
        offload_cycles=lat
        - int(t_cycles)
        - math.ceil(float(stall[best]) - 1e-9)
        - math.ceil(float(onload[best]) - 1e-9),
        energy_pj=float(energy[best]),
        mac_energy_pj=mac_energy,
        memory_energy=tuple(
            EnergyPart(r, m, float(e)) for (r, m), e in zip(part_names, parts[:, best], strict=True)
        ),
        spatial_utilization=layer.macs / (core.n_macs * t_cycles),
        utilization=layer.macs / (core.n_macs * lat),
        top_footprint_bits=tuple(foot.items()),
        streamed_operands=tuple(r for r in ("I", "W", "O") if r in streamed),
        dram_bw_bits=dram_bits / lat if lat else 0.0,
        dram_energy_pj=sum(
            (float(e) for (_, m), e in zip(part_names, parts[:, best], strict=True) if m == "dram"),
            0.0,
        ),
        mapping=_mapping(nest, levels, best),
    )


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


def _search(
    layer: Layer, core: Core, dram: Dram, streamed: set[Role]
) -> tuple[Nest, list[OperandLevels], Transfers, NDArray[np.bool_]] | None:
    """Every candidate mapping with its transfers; None if no loop order fits."""
    hierarchy = {role: core.hierarchy(role) for role in layer.operands}
    physical = core.memories
    if streamed:
        virtual = dram_level(dram, streamed, core)
        hierarchy = {r: lv + ((virtual,) if r in streamed else ()) for r, lv in hierarchy.items()}
        physical = (*physical, virtual)
    nest = build_nest(layer, core, hierarchy)
    cuts, valid = allocate(nest, physical)
    if not valid.any():
        return None
    levels = [operand_levels(nest, op, cuts[op.role]) for op in nest.operands]
    nest, levels, valid = distinct_candidates(nest, levels, valid)
    return nest, levels, transfers(nest, levels, double_buffered(levels)), valid


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
    """DRAM as the top memory level of ``core`` for the operands in ``roles`` (streamed)."""
    separate = dram.ports == "separate"
    return MemoryLevel(
        name="dram",
        size_bits=dram.size_bits,
        read_bw_bits=dram.read_bw_bits,
        write_bw_bits=dram.write_bw_bits,
        read_energy_pj=dram.read_energy_pj,
        write_energy_pj=dram.write_energy_pj,
        operands=frozenset(roles),
        served_dims=tuple(d for d, _ in core.array),
        read_ports=1 if separate else 0,
        write_ports=1 if separate else 0,
        read_write_ports=0 if separate else 1,
    )


def _shared_inputs(layer: Layer, nest: Nest) -> set[tuple[str, int]]:
    """(input operand, level) pairs whose memory ports also serve the other input operand."""
    if "I" not in layer.operands or "W" not in layer.operands:
        return set()
    ops = {op.role: op for op in nest.operands}
    w_mems = {id(m) for m in ops["W"].levels}
    i_mems = {id(m) for m in ops["I"].levels}
    both = w_mems & i_mems
    return {(r, lv) for r in ("I", "W") for lv, m in enumerate(ops[r].levels) if id(m) in both}


def _mapping(nest: Nest, levels: list, best: int) -> Mapping:
    order = tuple(
        (nest.dims[int(d)], int(s))
        for d, s in zip(nest.perm_dim[best], nest.perm_size[best], strict=True)
    )
    blocks = []
    for ol in levels:
        start = 0
        for lv, mem in enumerate(ol.op.levels):
            stop = int(ol.cuts[best, lv])
            blocks.append(LevelLoops(ol.op.role, mem.name, order[start:stop]))
            start = stop
    return Mapping(spatial=nest.spatial, loop_order=order, levels=tuple(blocks))


__all__ = ["MODEL_VERSION", "footprint", "layer_cost", "top_footprints"]
