"""Accelerator description types: cores, memory levels, DRAM, links and buses (no simulation state).

Units everywhere: sizes in bits, bandwidths in bits per cycle, time in cycles, energies in pJ.
A memory's ``read_energy_pj``/``write_energy_pj`` is the energy of one access of one
bandwidth-wide word (``read_bw_bits``/``write_bw_bits`` bits), as in ZigZag. A MAC's energy is
pJ per MAC (or per operation on pooling/SIMD cores). Link energy is pJ per bit moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from fuseflow.workload.layer import Role

DramPorts = Literal["shared", "separate"]


@dataclass(frozen=True, slots=True)
class MemoryLevel:
    """One level of a core's memory hierarchy (one instance; ``served_dims`` says how many)."""

    name: str
    size_bits: int
    read_bw_bits: int
    write_bw_bits: int
    read_energy_pj: float
    write_energy_pj: float
    operands: frozenset[Role]
    served_dims: tuple[str, ...] = ()  # array dims over which ONE instance is shared (broadcast)
    read_ports: int = 0
    write_ports: int = 0
    read_write_ports: int = 1
    latency_cycles: int = 1
    min_read_bits: int = 0  # minimal access granularity (0 = the bandwidth word)
    min_write_bits: int = 0
    area: float = 0.0


@dataclass(frozen=True, slots=True)
class Core:
    """A MAC array with a fixed spatial unrolling and a per-operand memory hierarchy.

    ``unrolling`` maps each array dim to the layer loops it unrolls, e.g.
    ``(("D1", (("K", 32),)), ("D2", (("C", 32),)))`` for a 32x32 KxC array. ``memories`` is
    listed bottom-up (closest to the array first); each operand's hierarchy is the sub-sequence
    of levels that hold it, and its last level is the operand's top-level memory.
    """

    name: str
    array: tuple[tuple[str, int], ...]
    unrolling: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    memories: tuple[MemoryLevel, ...]
    mac_energy_pj: float
    mac_area: float = 0.0
    kind: str = "compute"  # a label: compute, pooling, simd, ...

    @property
    def n_macs(self) -> int:
        return math.prod(s for _, s in self.array)

    @property
    def unrolled_loops(self) -> dict[str, int]:
        """Layer dim -> total spatial unrolling factor over all array dims."""
        out: dict[str, int] = {}
        for _, loops in self.unrolling:
            for dim, factor in loops:
                out[dim] = out.get(dim, 1) * factor
        return out

    def hierarchy(self, operand: Role) -> tuple[MemoryLevel, ...]:
        return tuple(m for m in self.memories if operand in m.operands)

    def top_memory(self, operand: Role) -> MemoryLevel:
        return self.hierarchy(operand)[-1]

    def instances(self, level: MemoryLevel) -> int:
        """How many physical instances of ``level`` the core has (one per non-served array dim)."""
        return math.prod(s for d, s in self.array if d not in level.served_dims)


@dataclass(frozen=True, slots=True)
class Dram:
    """Off-chip memory. ``ports='shared'``: one read-write resource for every core and both
    directions; ``'separate'``: one read resource and one write resource, each shared by all."""

    name: str
    size_bits: int
    read_bw_bits: int
    write_bw_bits: int
    read_energy_pj: float  # per access of one read_bw_bits word
    write_energy_pj: float  # per access of one write_bw_bits word
    ports: DramPorts = "shared"

    @property
    def read_pj_per_bit(self) -> float:
        return self.read_energy_pj / self.read_bw_bits

    @property
    def write_pj_per_bit(self) -> float:
        return self.write_energy_pj / self.write_bw_bits


@dataclass(frozen=True, slots=True)
class Link:
    """A directed point-to-point link (a full-duplex link is two of these)."""

    name: str
    src: str
    dst: str
    bandwidth_bits: int
    energy_pj_per_bit: float = 0.0


@dataclass(frozen=True, slots=True)
class Bus:
    """One shared medium: at any instant its bandwidth is shared by every transfer on it."""

    name: str
    cores: tuple[str, ...]
    bandwidth_bits: int
    energy_pj_per_bit: float = 0.0


@dataclass(frozen=True, slots=True)
class SharedMemory:
    """Cores whose memory named ``memory`` is one physical instance (a shared L1)."""

    memory: str
    cores: tuple[str, ...]


@dataclass(frozen=True)
class Accelerator:
    """A whole system: cores, DRAM, interconnect. Cores are addressed by name or index."""

    name: str
    cores: tuple[Core, ...]
    dram: Dram
    links: tuple[Link, ...] = ()
    buses: tuple[Bus, ...] = ()
    shared_memories: tuple[SharedMemory, ...] = ()
    dram_cores: tuple[str, ...] | None = None  # cores attached to DRAM; None = every core
    source: str | None = None

    @cached_property
    def core_index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.cores)}

    def core(self, name: str) -> Core:
        return self.cores[self.core_index[name]]

    @property
    def core_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cores)

    @property
    def total_macs(self) -> int:
        return sum(c.n_macs for c in self.cores)

    @cached_property
    def _memory_instances(self) -> dict[tuple[str, Role], str]:
        return {}  # memo of memory_instance: the scheduler and validator ask per CN

    def memory_instance(self, core: str, operand: Role) -> str:
        """Identity of the top-level memory holding ``operand`` on ``core``.

        Cores in a shared-memory group share one identity for that memory, so the scheduler
        sees one capacity and a tensor written by one core is present for the others.
        """
        key = (core, operand)
        found = self._memory_instances.get(key)
        if found is None:
            found = self._memory_instances[key] = self._find_memory_instance(core, operand)
        return found

    def _find_memory_instance(self, core: str, operand: Role) -> str:
        mem = self.core(core).top_memory(operand)
        for group in self.shared_memories:
            if core in group.cores and mem.name == group.memory:
                return f"shared:{group.memory}:{'+'.join(group.cores)}"
        return f"{core}:{mem.name}"
