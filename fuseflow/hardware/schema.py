"""The fuseflow hardware YAML format as pydantic models, and pydantic errors as located problems."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from fuseflow.hardware.yamlsrc import Problems, Source

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")]
RoleName = Literal["I", "W", "O"]
LayerDim = Literal["B", "G", "K", "C", "OY", "OX", "FY", "FX"]
LinkName = Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]  # no whitespace


def _integral(value: Any) -> Any:
    """YAML writes 1.0e+10 as a float; accept it for integer fields when it is a whole number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PosInt = Annotated[int, BeforeValidator(_integral), Field(gt=0)]
NonNegInt = Annotated[int, BeforeValidator(_integral), Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PortsSpec(_Strict):
    """Port counts of one memory; omitted counts are 0."""

    read: NonNegInt = 0
    write: NonNegInt = 0
    read_write: NonNegInt = 0


class MemorySpec(_Strict):
    operands: Annotated[list[RoleName], Field(min_length=1)]
    size_bits: PosInt
    read_bw_bits: PosInt
    write_bw_bits: PosInt
    read_energy_pj: NonNegFloat  # per access of one read_bw_bits-wide word
    write_energy_pj: NonNegFloat  # per access of one write_bw_bits-wide word
    ports: PortsSpec = PortsSpec(read_write=1)
    served_dims: list[str] = []
    latency_cycles: NonNegInt = 1
    min_read_bits: NonNegInt = 0
    min_write_bits: NonNegInt = 0
    area: NonNegFloat = 0.0


class CoreSpec(_Strict):
    name: Name
    kind: Literal["compute", "pooling", "simd"] = "compute"
    operands: Annotated[list[RoleName], Field(min_length=1)] = ["I", "W", "O"]
    array: Annotated[dict[Name, PosInt], Field(min_length=1)]
    unrolling: dict[str, dict[LayerDim, PosInt]] = {}
    mac_energy_pj: NonNegFloat
    mac_area: NonNegFloat = 0.0
    memories: Annotated[dict[Name, MemorySpec], Field(min_length=1)]
    description: str | None = None


class CoreRefSpec(_Strict):
    """A system's core entry naming a core file or a ``core_types`` entry instead of inlining it."""

    name: Name | None = None
    file: str | None = None
    type: Name | None = None
    count: PosInt = 1


class DramSpec(_Strict):
    name: Name = "dram"
    size_bits: PosInt
    read_bw_bits: PosInt
    write_bw_bits: PosInt
    read_energy_pj: NonNegFloat  # per access of one read_bw_bits-wide word
    write_energy_pj: NonNegFloat
    ports: Literal["shared", "separate"] = "shared"
    cores: list[Name] | None = None  # cores attached to DRAM; omitted = every core


class LinkSpec(_Strict):
    cores: Annotated[list[Name], Field(min_length=2, max_length=2)]
    name: LinkName | None = None
    duplex: Literal["full", "half", "oneway"] = "full"
    bandwidth_bits: PosInt | None = None
    energy_pj_per_bit: NonNegFloat | None = None


class BusSpec(_Strict):
    name: LinkName = "bus"
    cores: Annotated[list[Name], Field(min_length=2)] | None = None  # omitted = every core
    bandwidth_bits: PosInt | None = None
    energy_pj_per_bit: NonNegFloat | None = None


class MeshSpec(_Strict):
    rows: PosInt
    cols: PosInt
    cores: list[Name] | None = None  # row-major; omitted = every core not in ``attach``
    attach: list[Name] = []  # cores linked to every mesh core (pooling, SIMD, ...)
    bandwidth_bits: PosInt | None = None
    energy_pj_per_bit: NonNegFloat | None = None


class InterconnectSpec(_Strict):
    bandwidth_bits: PosInt | None = None  # default of every link, bus and mesh link
    energy_pj_per_bit: NonNegFloat = 0.0
    links: list[LinkSpec] = []
    buses: list[BusSpec] = []
    mesh: MeshSpec | None = None


class SharedMemorySpec(_Strict):
    memory: Name
    cores: Annotated[list[Name], Field(min_length=2)]


class SystemSpec(_Strict):
    name: Name
    description: str | None = None
    core_types: dict[Name, dict[str, Any]] = {}
    cores: Annotated[list[dict[str, Any]], Field(min_length=1)]
    dram: DramSpec
    interconnect: InterconnectSpec = InterconnectSpec()
    shared_memories: list[SharedMemorySpec] = []


M = TypeVar("M", bound=BaseModel)

_ALL_MODELS: tuple[type[BaseModel], ...] = (
    PortsSpec,
    MemorySpec,
    CoreSpec,
    CoreRefSpec,
    DramSpec,
    LinkSpec,
    BusSpec,
    MeshSpec,
    InterconnectSpec,
    SharedMemorySpec,
    SystemSpec,
)
KNOWN_KEYS = sorted({k for m in _ALL_MODELS for k in m.model_fields})


def validate(
    model: type[M], data: Any, src: Source, prefix: tuple[str | int, ...], problems: Problems
) -> M | None:
    """Validate ``data`` against ``model``; on failure add one located problem per error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = (*prefix, *(part for part in err["loc"] if part != "[key]"))
            problems.add(src, loc, _message(err))
        return None


def _message(err: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint}"
    if kind == "literal_error":
        return f"{err['msg'].replace('Input should be', 'expected')}, got {value!r}"
    if kind == "string_pattern_mismatch":
        return f"expected a name (letters, digits, _ . -; not starting with a digit), got {value!r}"
    msg = str(err["msg"]).replace("Input should be", "expected")
    if kind in ("int_type", "float_type") and isinstance(value, str):
        msg += " (write plain numbers such as 1048576 or 1.0e+10, no units)"
    return f"{msg}, got {value!r}"
