"""What a schedule run produces: CN timings, transfers, memory timelines, energy breakdown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

DRAM_ENDPOINT = -1  # the src/dst of a transfer that starts or ends in DRAM


class TransferKind(IntEnum):
    CORE_TO_CORE = 0  # a CN output moved to the core of a consumer
    WEIGHT_FETCH = 1  # a weight tensor read from DRAM into a core
    INPUT_FETCH = 2  # graph input / constant activation read from DRAM
    EVICTION = 3  # a tensor written back to DRAM to make room
    OUTPUT_WRITEBACK = 4  # a network output written to DRAM
    STREAM = 5  # DRAM bandwidth held while a CN streams an operand that does not fit
    REFETCH = 6  # an evicted tensor read back from DRAM


class TensorKind(IntEnum):
    CN_OUTPUT = 0  # tensor id = CN index
    WEIGHT = 1  # tensor id = weight tensor index of the CN graph
    DRAM_INPUT = 2  # tensor id = CN index (the graph-input window that CN reads)


@dataclass(frozen=True, slots=True)
class EnergyBreakdown:
    """Energy in pJ by where it is spent; ``total_pj`` is the sum of the parts."""

    mac_pj: float  # MAC operations (cost table)
    onchip_memory_pj: float  # on-chip memory accesses inside CNs (cost table)
    streamed_dram_pj: float  # DRAM accesses of operands streamed during CNs (cost table)
    dram_fetch_pj: float  # weight and input reads from DRAM (incl. re-fetches)
    link_pj: float  # bits moved over links and buses
    eviction_pj: float  # write-backs to DRAM to make room
    output_writeback_pj: float  # network outputs written to DRAM

    @property
    def total_pj(self) -> float:
        return (
            self.mac_pj
            + self.onchip_memory_pj
            + self.streamed_dram_pj
            + self.dram_fetch_pj
            + self.link_pj
            + self.eviction_pj
            + self.output_writeback_pj
        )


@dataclass(frozen=True, slots=True)
class MemoryTimeline:
    """Occupancy of one top-level memory instance: ``usage_bits[i]`` holds from ``times[i]``."""

    name: str  # Accelerator.memory_instance identity
    cores: tuple[str, ...]
    capacity_bits: int
    times: NDArray[np.int64]
    usage_bits: NDArray[np.int64]

    @property
    def peak_bits(self) -> int:
        return int(self.usage_bits.max()) if self.usage_bits.size else 0


@dataclass(frozen=True, eq=False)
class Schedule:
    """A timed schedule of every CN plus every transfer (struct of arrays, one row each)."""

    latency_cycles: int
    energy: EnergyBreakdown
    # per CN
    cn_core: NDArray[np.int32]
    cn_start: NDArray[np.int64]
    cn_end: NDArray[np.int64]
    cn_energy_pj: NDArray[np.float64]
    # per transfer
    tr_kind: NDArray[np.int8]
    tr_tensor_kind: NDArray[np.int8]
    tr_tensor: NDArray[np.int64]
    tr_src: NDArray[np.int32]  # core index or DRAM_ENDPOINT
    tr_dst: NDArray[np.int32]
    tr_start: NDArray[np.int64]
    tr_end: NDArray[np.int64]
    tr_bits: NDArray[np.int64]
    tr_bw_bits: NDArray[np.float64]  # bandwidth held on each resource of the route
    tr_res_ptr: NDArray[np.int64]  # CSR: resources of transfer i = tr_res[ptr[i]:ptr[i+1]]
    tr_res: NDArray[np.int32]  # Topology resource indices
    memories: tuple[MemoryTimeline, ...]

    @property
    def energy_pj(self) -> float:
        return self.energy.total_pj

    @property
    def edp(self) -> float:
        return self.latency_cycles * self.energy.total_pj

    @property
    def n_transfers(self) -> int:
        return int(self.tr_kind.shape[0])
