"""ZigZag core YAMLs (the older r_bw/fh-tl format and the zigzag-dse 3.9 port format) -> our dicts.

ZigZag's memory operands map to ours as I1 -> I, I2 -> W, O -> O. A top-level memory whose name
contains ``dram`` or ``offchip`` is the system DRAM, not a core memory.
"""

from __future__ import annotations

import math
from typing import Any

from fuseflow.errors import InputError
from fuseflow.workload.layer import DIM_NAMES

OPERANDS = {"I1": "I", "I2": "W", "O": "O"}
DRAM_WORDS = ("dram", "offchip")


def convert_core(
    data: Any, where: str, spatial: dict[str, Any] | None, warnings: list[str], kind: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(our core dict, our DRAM dict or None) of one ZigZag core file's parsed ``data``."""
    if not isinstance(data, dict) or "memories" not in data:
        raise InputError("not a ZigZag core file (no 'memories')", where=where)
    array = data.get("operational_array", data.get("multipliers"))
    if not isinstance(array, dict):
        raise InputError("no 'operational_array' (or 'multipliers')", where=where)
    if array.get("is_imc"):
        raise InputError("in-memory-computing arrays (is_imc) are not supported", where=where)
    dims = [str(d) for d in array.get("dimensions", [])]
    sizes = [int(s) for s in array.get("sizes", [])]
    if len(dims) != len(sizes) or not dims:
        raise InputError("operational_array.dimensions and sizes must match", where=where)
    if "systolic_dimensions" in array:
        warnings.append(f"{where}: systolic_dimensions ignored (not modelled)")
    memories = dict(data["memories"])
    dram = None
    last = list(memories)[-1]
    if any(w in last.lower() for w in DRAM_WORDS) and len(memories) > 1:
        dram = convert_dram(memories.pop(last), f"{where}: memories.{last}")
        dram["name"] = last
    core: dict[str, Any] = {
        "name": str(data.get("name", "core")),
        "kind": kind,
        "operands": _operands(memories),
        "array": dict(zip(dims, sizes, strict=True)),
        "unrolling": _unrolling(
            data.get("dataflows") or spatial, dict(zip(dims, sizes, strict=True)), where, warnings
        ),
        "mac_energy_pj": float(array.get("unit_energy", 0.0)),
        "mac_area": float(array.get("unit_area", 0.0)),
        "memories": {
            name: convert_memory(m, f"{where}: memories.{name}") for name, m in memories.items()
        },
    }
    return core, dram


def is_offchip(data: Any) -> bool:
    """A Stream off-chip 'core': an operational array of size 0."""
    array = (
        data.get("operational_array", data.get("multipliers", {})) if isinstance(data, dict) else {}
    )
    return isinstance(array, dict) and math.prod(int(s) for s in array.get("sizes", [1])) == 0


def offchip_dram(data: Any, where: str) -> dict[str, Any]:
    """The DRAM of a Stream off-chip core file (its top memory)."""
    memories = data.get("memories") or {}
    if not memories:
        raise InputError("the off-chip core has no memory", where=where)
    name = list(memories)[-1]
    dram = convert_dram(memories[name], f"{where}: memories.{name}")
    dram["name"] = name
    return dram


def _operands(memories: dict[str, Any]) -> list[str]:
    held = {OPERANDS.get(str(o), str(o)) for m in memories.values() for o in m.get("operands", [])}
    return [r for r in ("I", "W", "O") if r in held]


def convert_memory(m: dict[str, Any], where: str) -> dict[str, Any]:
    if m.get("auto_cost_extraction"):
        raise InputError(
            "auto_cost_extraction (CACTI) is not supported: give r_cost/w_cost", where=where
        )
    for key in ("size", "r_cost", "w_cost"):
        if key not in m:
            raise InputError(f"missing {key!r}", where=where)
    ports, rbw, wbw, rmin, wmin = _ports(m, where)
    out: dict[str, Any] = {
        "operands": [OPERANDS.get(str(o), str(o)) for o in m.get("operands", [])],
        "size_bits": int(m["size"]),
        "read_bw_bits": rbw,
        "write_bw_bits": wbw,
        "read_energy_pj": float(m["r_cost"]),
        "write_energy_pj": float(m["w_cost"]),
        "ports": ports,
        "served_dims": [str(d) for d in m.get("served_dimensions", [])],
        "latency_cycles": int(m.get("latency", 1)),
    }
    if rmin:
        out["min_read_bits"] = rmin
    if wmin:
        out["min_write_bits"] = wmin
    if m.get("area"):
        out["area"] = float(m["area"])
    return out


def _ports(m: dict[str, Any], where: str) -> tuple[dict[str, int], int, int, int, int]:
    """Port counts, read/write bandwidth and minimal granularities, from either ZigZag format."""
    listed = m.get("ports") or []
    if listed and isinstance(listed[0], dict) and "type" in listed[0]:
        kinds = {"read": [], "write": [], "read_write": []}  # type: dict[str, list[dict[str, Any]]]
        for port in listed:
            kinds.setdefault(str(port["type"]), []).append(port)
        readers = kinds["read"] + kinds["read_write"]
        writers = kinds["write"] + kinds["read_write"]
        if not readers or not writers:
            raise InputError("needs a read and a write (or read_write) port", where=where)
        rbw = max(int(p["bandwidth_max"]) for p in readers)
        wbw = max(int(p["bandwidth_max"]) for p in writers)
        rmin = min(int(p.get("bandwidth_min", rbw)) for p in readers)
        wmin = min(int(p.get("bandwidth_min", wbw)) for p in writers)
        counts = {k: len(v) for k, v in kinds.items() if v}
        return counts, rbw, wbw, (rmin if rmin < rbw else 0), (wmin if wmin < wbw else 0)
    for key in ("r_bw", "w_bw"):
        if key not in m:
            raise InputError(f"missing {key!r}", where=where)
    counts = {
        k: int(m.get(z, d))
        for k, z, d in (("read", "r_port", 1), ("write", "w_port", 1), ("read_write", "rw_port", 0))
    }
    counts = {k: v for k, v in counts.items() if v}
    return (
        counts,
        int(m["r_bw"]),
        int(m["w_bw"]),
        int(m.get("min_r_granularity", 0) or 0),
        int(m.get("min_w_granularity", 0) or 0),
    )


def convert_dram(m: dict[str, Any], where: str) -> dict[str, Any]:
    mem = convert_memory(m, where)
    n_ports = sum(mem["ports"].values())
    return {
        "size_bits": mem["size_bits"],
        "read_bw_bits": mem["read_bw_bits"],
        "write_bw_bits": mem["write_bw_bits"],
        "read_energy_pj": mem["read_energy_pj"],
        "write_energy_pj": mem["write_energy_pj"],
        "ports": "shared" if n_ports <= 1 else "separate",
    }


def _unrolling(
    flows: Any, array: dict[str, int], where: str, warnings: list[str]
) -> dict[str, dict[str, int]]:
    if not flows:
        warnings.append(f"{where}: no spatial unrolling (no dataflows, no --zigzag-mapping)")
        return {}
    out: dict[str, dict[str, int]] = {}
    for dim, loops in dict(flows).items():
        factors: dict[str, int] = {}
        for loop in loops or []:
            layer_dim, factor = _loop(loop)
            if layer_dim not in DIM_NAMES:
                warnings.append(
                    f"{where}: unrolling of {dim} over {layer_dim!r} dropped "
                    f"(not one of {', '.join(DIM_NAMES)})"
                )
                continue
            factors[layer_dim] = factors.get(layer_dim, 1) * factor
        size = array.get(str(dim))
        if size is None:
            warnings.append(f"{where}: unrolling of unknown array dim {dim!r} dropped")
            continue
        if math.prod(factors.values()) > size:
            if len(factors) == 1:
                (only,) = factors
                warnings.append(
                    f"{where}: {dim}: {only} {factors[only]} does not fit size {size}; "
                    f"clamped to {size}"
                )
                factors = {only: size}
            else:
                warnings.append(
                    f"{where}: {dim}: unrolling {factors} does not fit size {size}; dropped"
                )
                factors = {}
        if factors:
            out[str(dim)] = factors
    return out


def _loop(loop: Any) -> tuple[str, int]:
    if isinstance(loop, str):
        name, _, factor = loop.partition(",")
        return name.strip(), int(factor.strip())
    name, factor = loop
    return str(name).strip(), int(factor)


def default_spatial_mapping(data: Any, where: str) -> dict[str, Any]:
    """The ``default`` entry's ``spatial_mapping`` of a ZigZag mapping file."""
    entries = data if isinstance(data, list) else []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == "default":
            mapping = entry.get("spatial_mapping")
            if isinstance(mapping, dict):
                return mapping
            raise InputError("the 'default' entry has no spatial_mapping", where=where)
    raise InputError("no entry named 'default' in the ZigZag mapping file", where=where)
