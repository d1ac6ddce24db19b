"""Turn a validated core spec into a :class:`Core`, with the cross-checks a schema cannot do."""

from __future__ import annotations

import math

from fuseflow.hardware.model import Core, MemoryLevel
from fuseflow.hardware.schema import CoreSpec, MemorySpec
from fuseflow.hardware.yamlsrc import KeyPath, Problems, Source
from fuseflow.workload.layer import ROLES, Role


def build_core(spec: CoreSpec, src: Source, at: KeyPath, problems: Problems) -> Core:
    """Build the core; every inconsistency is added to ``problems`` located at ``at`` in ``src``."""
    dims = tuple(spec.array.items())
    memories = tuple(
        _memory(name, mem, spec, src, (*at, "memories", name), problems)
        for name, mem in spec.memories.items()
    )
    _check_unrolling(spec, src, at, problems)
    _check_operands(spec, src, at, problems)
    unrolling = tuple((d, tuple(loops.items())) for d, loops in spec.unrolling.items())
    return Core(
        name=spec.name,
        array=dims,
        unrolling=unrolling,
        memories=memories,
        mac_energy_pj=float(spec.mac_energy_pj),
        mac_area=float(spec.mac_area),
        kind=spec.kind,
    )


def _memory(
    name: str, m: MemorySpec, core: CoreSpec, src: Source, at: KeyPath, problems: Problems
) -> MemoryLevel:
    for i, dim in enumerate(m.served_dims):
        if dim not in core.array:
            problems.add(
                src, (*at, "served_dims", i), f"{dim!r} is not an array dim ({_dims(core)})"
            )
    if len(set(m.served_dims)) != len(m.served_dims):
        problems.add(src, (*at, "served_dims"), "an array dim is listed twice")
    if len(set(m.operands)) != len(m.operands):
        problems.add(src, (*at, "operands"), "an operand is listed twice")
    for key, bw in (("read_bw_bits", m.read_bw_bits), ("write_bw_bits", m.write_bw_bits)):
        if bw > m.size_bits:
            problems.add(
                src,
                (*at, key),
                f"{bw} bits/cycle is more than the whole memory ({m.size_bits} bits); "
                "sizes are in bits and bandwidths in bits per cycle",
            )
    if m.ports.read + m.ports.read_write == 0:
        problems.add(src, (*at, "ports"), "no read port: give ports.read or ports.read_write")
    if m.ports.write + m.ports.read_write == 0:
        problems.add(src, (*at, "ports"), "no write port: give ports.write or ports.read_write")
    for key, gran, bw in (
        ("min_read_bits", m.min_read_bits, m.read_bw_bits),
        ("min_write_bits", m.min_write_bits, m.write_bw_bits),
    ):
        if gran > bw:
            problems.add(src, (*at, key), f"{gran} is larger than the bandwidth word ({bw} bits)")
    return MemoryLevel(
        name=name,
        size_bits=m.size_bits,
        read_bw_bits=m.read_bw_bits,
        write_bw_bits=m.write_bw_bits,
        read_energy_pj=float(m.read_energy_pj),
        write_energy_pj=float(m.write_energy_pj),
        operands=frozenset(m.operands),
        served_dims=tuple(m.served_dims),
        read_ports=m.ports.read,
        write_ports=m.ports.write,
        read_write_ports=m.ports.read_write,
        latency_cycles=m.latency_cycles,
        min_read_bits=m.min_read_bits,
        min_write_bits=m.min_write_bits,
        area=float(m.area),
    )


def _dims(core: CoreSpec) -> str:
    return "array dims: " + ", ".join(core.array)


def _check_unrolling(spec: CoreSpec, src: Source, at: KeyPath, problems: Problems) -> None:
    for dim, loops in spec.unrolling.items():
        where = (*at, "unrolling", dim)
        if dim not in spec.array:
            problems.add(src, where, f"{dim!r} is not an array dim ({_dims(spec)})")
            continue
        total = math.prod(loops.values())
        if total > spec.array[dim]:
            factors = " x ".join(f"{d} {f}" for d, f in loops.items())
            problems.add(
                src,
                where,
                f"unrolling {factors} = {total} does not fit array dim {dim} of size "
                f"{spec.array[dim]}",
            )


def _check_operands(spec: CoreSpec, src: Source, at: KeyPath, problems: Problems) -> None:
    declared = set(spec.operands)
    for role in ROLES:
        holders = [n for n, m in spec.memories.items() if role in m.operands]
        if role in declared and not holders:
            problems.add(
                src,
                (*at, "memories"),
                f"operand {role} has no memory: list it in some level's operands, or leave it "
                f"out of the core's operands ({', '.join(spec.operands)})",
            )
        if role not in declared and holders:
            problems.add(
                src,
                (*at, "memories", holders[0], "operands"),
                f"operand {role} is not among the core's operands ({', '.join(spec.operands)})",
            )


def supported_operands(core: Core) -> tuple[Role, ...]:
    """Operands the core has memories for, in I, W, O order."""
    return tuple(r for r in ROLES if core.hierarchy(r))
