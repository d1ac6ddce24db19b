"""Warnings about valid but suspicious accelerator descriptions (printed by `hardware check`)."""

from __future__ import annotations

import math

from fuseflow.hardware.model import Accelerator, Core

BIG_MEMORY_BITS = 1 << 20


def lint(acc: Accelerator) -> list[str]:
    """One message per suspicious value; an empty list for a clean description."""
    out: list[str] = []
    d = acc.dram
    if d.read_energy_pj == 0 or d.write_energy_pj == 0:
        out.append(f"dram {d.name}: an access energy is 0 pJ, so DRAM traffic costs no energy")
    seen: set[str] = set()
    for core in acc.cores:
        if core.name in seen:
            continue
        seen.add(core.name)
        out.extend(_core(core))
    return out


def _core(core: Core) -> list[str]:
    out: list[str] = []
    if core.mac_energy_pj == 0:
        out.append(f"core {core.name}: mac_energy_pj is 0")
    for level in core.memories:
        free = 0 in (level.read_energy_pj, level.write_energy_pj)
        if level.size_bits >= BIG_MEMORY_BITS and free:
            out.append(f"core {core.name}: memory {level.name} has a 0 pJ access energy")
    unrolled = dict(core.unrolling)
    for dim, size in core.array:
        used = math.prod(f for _, f in unrolled.get(dim, ()))
        if used < size:
            out.append(
                f"core {core.name}: array dim {dim} (size {size}) is unrolled {used}; "
                f"{size - used} of every {size} positions never compute"
            )
    return out
