"""The versioned result schema (pydantic): what `DIR/result.json` holds, columnar per CN."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

SCHEMA_VERSION = 1
TransferKindName = Literal[
    "core_to_core",
    "weight_fetch",
    "input_fetch",
    "eviction",
    "output_writeback",
    "stream",
    "refetch",
]
TensorKindName = Literal["cn_output", "weight", "dram_input"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputRef(_Model):
    """One input as the user named it, where it resolved to and the sha256 of its bytes.

    ``path``/``sha256`` are None for built-in names (``zoo:resnet18``, library hardware).
    """

    spec: str
    path: str | None = None
    sha256: str | None = None


class RunInputs(_Model):
    """Everything needed to reproduce the run (``fuseflow check-schedule`` reloads these)."""

    workload: InputRef
    hardware: InputRef
    mapping: InputRef | None = None
    stacks: str | None = None  # a --stacks override, e.g. "0-10,11-21"
    seed: int = 0
    options: dict[str, Any] = {}
    allocation: list[int] = []  # core index per group
    splits: dict[str, int] = {}  # split factors an allocation search chose (open splits)
    fuseflow_version: str
    versions: dict[str, str] = {}  # python, numpy, ... for the record


class Totals(_Model):
    latency_cycles: int
    energy_pj: float
    edp: float  # latency_cycles * energy_pj (cycles x pJ)
    n_cns: int
    n_transfers: int
    total_macs: int


class Energy(_Model):
    """Energy in pJ by where it is spent; ``total_pj`` equals the sum of the other fields."""

    mac_pj: float
    onchip_memory_pj: float
    streamed_dram_pj: float
    dram_fetch_pj: float
    link_pj: float
    eviction_pj: float
    output_writeback_pj: float
    total_pj: float


class CoreSummary(_Model):
    name: str
    kind: str
    n_macs: int
    n_cns: int
    busy_cycles: int
    utilization: float  # busy_cycles / latency_cycles
    mac_utilization: float  # MACs done / (n_macs * latency_cycles)
    energy_pj: float  # energy of the CNs run on the core


class ResourceSummary(_Model):
    """A link, bus or DRAM port; ``utilization`` = bandwidth-time used / (bandwidth x latency)."""

    name: str
    kind: str
    bandwidth_bits: int
    n_transfers: int
    bits: int
    busy_cycles: int  # time during which at least one transfer is active
    utilization: float


class LayerSummary(_Model):
    name: str
    op_type: str
    source_index: int | None
    n_cns: int
    cores: list[int]
    start_cycles: int
    end_cycles: int
    macs: int
    energy_pj: float


class DramTraffic(_Model):
    read_bits: int
    write_bits: int
    bits_by_kind: dict[str, int]  # transfer kind name -> bits moved from/to DRAM


class CnTable(_Model):
    """Every CN, one column per field (row i = CN i of the CN graph)."""

    layer: list[int]  # index into Result.layers
    tile: list[int]
    group: list[int]
    core: list[int]
    start_cycles: list[int]
    end_cycles: list[int]
    energy_pj: list[float]

    @model_validator(mode="after")
    def _same_length(self) -> CnTable:
        _check_lengths(self, "cns")
        return self


class TransferTable(_Model):
    """Every transfer; ``src``/``dst`` are core indices, -1 for DRAM; resources as CSR."""

    kind: list[TransferKindName]
    tensor_kind: list[TensorKindName]
    tensor: list[int]
    tensor_label: list[str]
    layer: list[int]  # layer of the tensor: its producer, or the first consumer of a weight
    src: list[int]
    dst: list[int]
    start_cycles: list[int]
    end_cycles: list[int]
    bits: list[int]
    bw_bits: list[float]
    res_ptr: list[int]  # resources of transfer i: res[res_ptr[i]:res_ptr[i+1]]
    res: list[int]  # indices into Result.resources

    @model_validator(mode="after")
    def _consistent(self) -> TransferTable:
        _check_lengths(self, "transfers", skip=("res_ptr", "res"))
        if len(self.res_ptr) != len(self.kind) + 1 or self.res_ptr[-1] != len(self.res):
            raise ValueError("transfers.res_ptr must have n+1 entries ending at len(res)")
        return self


class MemoryTrace(_Model):
    """Occupancy of one top-level memory: ``usage_bits[i]`` holds from ``times[i]`` on."""

    name: str
    cores: list[str]
    capacity_bits: int
    peak_bits: int
    times: list[int]
    usage_bits: list[int]

    @model_validator(mode="after")
    def _same_length(self) -> MemoryTrace:
        if len(self.times) != len(self.usage_bits):
            raise ValueError(f"memory {self.name!r}: times and usage_bits differ in length")
        return self


class LowerBounds(_Model):
    """Lower bounds on latency and energy over every allocation (``fuseflow.search.bounds``)."""

    latency_cycles: float
    energy_pj: float
    edp: float


class AllocationRecord(_Model):
    """How the core of every group was chosen and how far the result is from the lower bounds.

    ``algorithm`` is ``fixed`` when the mapping fixes every group, else the allocator that chose
    (``greedy``, ``ga``, ``cp``). ``gap[objective]`` = this result / bound - 1 (None: no bound).
    The search scores allocations with the scheduler; the result is one more scheduler run of
    the chosen allocation with this run's options.
    """

    algorithm: str
    objective: str | None = None
    budget: str | None = None
    free_groups: int
    evaluations: int = 0
    interrupted: bool = False
    bounds: LowerBounds | None = None
    gap: dict[str, float | None] = {}
    notes: list[str] = []


class Result(_Model):
    """One schedule run: totals, summaries, every CN and transfer, memory traces, inputs."""

    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    workload: str
    accelerator: str
    inputs: RunInputs
    totals: Totals
    energy: Energy
    dram: DramTraffic
    cores: list[CoreSummary]
    resources: list[ResourceSummary]
    layers: list[LayerSummary]
    cns: CnTable
    transfers: TransferTable
    memories: list[MemoryTrace]
    allocation: AllocationRecord | None = None


def _check_lengths(model: BaseModel, what: str, skip: tuple[str, ...] = ()) -> None:
    lengths = {k: len(v) for k, v in model.__dict__.items() if k not in skip}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{what}: columns differ in length {lengths}")
