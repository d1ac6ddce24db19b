"""The cost of one layer tile on one core: latency with its parts, energy with its breakdown."""

from __future__ import annotations

from dataclasses import dataclass

from fuseflow.workload.layer import Role


@dataclass(frozen=True, slots=True)
class LevelLoops:
    """Temporal loops (outermost last) assigned to one memory level of one operand's hierarchy."""

    operand: Role
    level: str
    loops: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Mapping:
    """The temporal mapping chosen: loop order (innermost first) and the blocking per level."""

    spatial: tuple[tuple[str, int], ...]  # layer dim -> spatial factor actually used
    loop_order: tuple[tuple[str, int], ...]  # temporal loops, innermost first
    levels: tuple[LevelLoops, ...]

    def describe(self) -> str:
        sp = " ".join(f"{d}{f}" for d, f in self.spatial)
        tl = " ".join(f"{d}{f}" for d, f in self.loop_order)
        return f"spatial [{sp}] temporal (inner→outer) [{tl}]"


@dataclass(frozen=True, slots=True)
class EnergyPart:
    operand: Role
    level: str
    energy_pj: float


@dataclass(frozen=True, slots=True)
class CostResult:
    """Latency and energy of one CN shape on one core, data assumed in the top-level memories.

    ``latency_cycles = ideal_cycles + stall_cycles + onload_cycles + offload_cycles``.
    Operands in ``streamed_operands`` do not fit the core's top-level memory: they stream from
    DRAM at ``dram_bw_bits`` bits/cycle during the CN (``dram_energy_pj`` is that DRAM energy,
    included in ``energy_pj``).
    """

    core: str
    macs: int
    latency_cycles: int
    ideal_cycles: int
    stall_cycles: int
    onload_cycles: int
    offload_cycles: int
    energy_pj: float
    mac_energy_pj: float
    memory_energy: tuple[EnergyPart, ...]
    spatial_utilization: float  # used PEs / all PEs under the spatial unrolling
    utilization: float  # macs / (n_macs * latency_cycles)
    top_footprint_bits: tuple[tuple[Role, int], ...]
    streamed_operands: tuple[Role, ...] = ()
    dram_bw_bits: float = 0.0
    dram_energy_pj: float = 0.0
    mapping: Mapping | None = None

    @property
    def onchip_energy_pj(self) -> float:
        return self.energy_pj - self.dram_energy_pj

    def footprint(self, operand: Role) -> int:
        return dict(self.top_footprint_bits).get(operand, 0)
