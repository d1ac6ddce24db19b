"""Write an Accelerator back as fuseflow YAML: one self-contained file that loads equal."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from fuseflow.hardware.model import Accelerator, Core, Dram, MemoryLevel
from fuseflow.workload.layer import ROLES


def dump_accelerator(acc: Accelerator) -> str:
    """YAML text; identical cores share one ``core_types`` entry.

    >>> from fuseflow.hardware.load import load_accelerator
    >>> text = dump_accelerator(load_accelerator("tpu_like_quad"))
    >>> text.splitlines()[0]
    'name: tpu_like_quad'
    """
    types: dict[str, dict[str, Any]] = {}
    type_of: dict[Core, str] = {}
    cores = []
    for core in acc.cores:
        key = dataclasses.replace(core, name="")
        if key not in type_of:
            name = f"type_{core.name}"
            type_of[key] = name
            types[name] = core_dict(core)
        cores.append({"name": core.name, "type": type_of[key]})
    dram = dram_dict(acc.dram)
    if acc.dram_cores is not None:
        dram["cores"] = list(acc.dram_cores)
    out: dict[str, Any] = {"name": acc.name, "core_types": types, "cores": cores, "dram": dram}
    links = [
        {"cores": [ln.src, ln.dst], "name": ln.name, "duplex": "oneway"}
        | {"bandwidth_bits": ln.bandwidth_bits, "energy_pj_per_bit": ln.energy_pj_per_bit}
        for ln in acc.links
    ]
    buses = [
        {"name": b.name, "cores": list(b.cores), "bandwidth_bits": b.bandwidth_bits}
        | {"energy_pj_per_bit": b.energy_pj_per_bit}
        for b in acc.buses
    ]
    if links or buses:
        out["interconnect"] = {"links": links, "buses": buses}
    if acc.shared_memories:
        out["shared_memories"] = [
            {"memory": s.memory, "cores": list(s.cores)} for s in acc.shared_memories
        ]
    return yaml.safe_dump(out, sort_keys=False, default_flow_style=None, width=100)


def dram_dict(d: Dram) -> dict[str, Any]:
    """The ``dram:`` section of a system file describing ``d`` (without ``cores``)."""
    return dataclasses.asdict(d)


def core_dict(core: Core) -> dict[str, Any]:
    """A core as it is written in our format."""
    return {
        "name": core.name,
        "kind": core.kind,
        "operands": [r for r in ROLES if core.hierarchy(r)],
        "array": dict(core.array),
        "unrolling": {dim: dict(loops) for dim, loops in core.unrolling},
        "mac_energy_pj": core.mac_energy_pj,
        "mac_area": core.mac_area,
        "memories": {m.name: _memory(m) for m in core.memories},
    }


def _memory(m: MemoryLevel) -> dict[str, Any]:
    return {
        "operands": [r for r in ROLES if r in m.operands],
        "size_bits": m.size_bits,
        "read_bw_bits": m.read_bw_bits,
        "write_bw_bits": m.write_bw_bits,
        "read_energy_pj": m.read_energy_pj,
        "write_energy_pj": m.write_energy_pj,
        "ports": {"read": m.read_ports, "write": m.write_ports, "read_write": m.read_write_ports},
        "served_dims": list(m.served_dims),
        "latency_cycles": m.latency_cycles,
        "min_read_bits": m.min_read_bits,
        "min_write_bits": m.min_write_bits,
        "area": m.area,
    }
