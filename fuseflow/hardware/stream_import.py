"""Convert a Stream accelerator YAML (or a single ZigZag core YAML) into fuseflow's format.

Conventions: Stream core ``i`` becomes core ``core{i}``; the off-chip core becomes the DRAM
``dram``; a connectivity pair is a full-duplex link and a group of more than two cores one bus;
Stream's ``unit_energy_cost`` (pJ per active link cycle) becomes ``energy_pj_per_bit =
unit_energy_cost / bandwidth``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fuseflow.errors import InputError
from fuseflow.hardware import zigzag_import as zz
from fuseflow.hardware.dump import dram_dict
from fuseflow.hardware.load import DEFAULT_DRAM
from fuseflow.hardware.yamlsrc import format_path, read_yaml


@dataclass
class ImportResult:
    text: str  # the fuseflow YAML
    warnings: list[str] = field(default_factory=list)


def import_stream(path: Path, zigzag_mapping: Path | None = None) -> ImportResult:
    """Our YAML for a Stream system file or a ZigZag core file (with an optional mapping file)."""
    warnings: list[str] = []
    data = _read(path, warnings)
    spatial = None
    if zigzag_mapping is not None:
        spatial = zz.default_spatial_mapping(_read(zigzag_mapping, warnings), str(zigzag_mapping))
    try:
        if isinstance(data, dict) and "cores" in data:
            system, notes = _system(path, data, spatial, warnings)
        else:
            system, notes = _single(path, data, spatial, warnings)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # a structure neither Stream nor ZigZag would accept: report it, never a traceback
        msg = f"unexpected content for a Stream/ZigZag file ({exc!r})"
        raise InputError(msg, where=str(path)) from None
    header = [f"# Imported from {path.name} by `fuseflow hardware import-stream`.", *notes]
    text = "\n".join(f"# {n}" if not n.startswith("#") else n for n in header) + "\n"
    text += yaml.dump(system, Dumper=_Dumper, sort_keys=False, width=100)
    return ImportResult(text, warnings)


class _Dumper(yaml.SafeDumper):
    """Short mappings and lists of scalars on one line; everything else in block style."""


def _flow_ok(value: Any) -> bool:
    return len(repr(value)) <= 72 and all(
        not isinstance(v, dict)
        and not (isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v))
        for v in (value.values() if isinstance(value, dict) else value)
    )


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping(
        "tag:yaml.org,2002:map", data.items(), flow_style=_flow_ok(data)
    )


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_flow_ok(data))


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def _read(path: Path, warnings: list[str]) -> Any:
    src = read_yaml(path)
    for key_path, line in src.duplicates:
        warnings.append(
            f"{path}:{line}: {format_path(key_path)}: duplicate key, the last wins (as in ZigZag)"
        )
    return src.data


def _kind(path: Path, data: Any) -> str:
    text = f"{path.stem} {data.get('name', '')}".lower()
    if "simd" in path.stem.lower() or "vec" in path.stem.lower():
        return "simd"
    if "pool" in text:
        return "pooling"
    return "simd" if "simd" in text else "compute"


def _type_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem)
    return name if re.match(r"[A-Za-z_]", name) else f"core_{name}"


def _dram_dict(dram: Any | None) -> dict[str, Any]:
    return dict(dram) if dram is not None else dram_dict(DEFAULT_DRAM)


def _single(
    path: Path, data: Any, spatial: dict[str, Any] | None, warnings: list[str]
) -> tuple[dict[str, Any], list[str]]:
    if zz.is_offchip(data):
        raise InputError(
            "an off-chip (DRAM) core file: import the Stream system file that names it",
            where=str(path),
        )
    core, dram = zz.convert_core(data, str(path), spatial, warnings, _kind(path, data))
    core["description"] = f"ZigZag core {core['name']!r} from {path.name}"
    core["name"] = "core0"
    notes = []
    if dram is None:
        notes.append("The file has no DRAM level: the default DRAM (64 bits/cycle, one port).")
    system = {
        "name": _type_name(path),
        "cores": [core],
        "dram": {"name": "dram"} | _dram_dict(dram),
    }
    return system, notes


def _system(
    path: Path, data: dict[str, Any], spatial: dict[str, Any] | None, warnings: list[str]
) -> tuple[dict[str, Any], list[str]]:
    where = str(path)
    types, cores = _cores(path, data.get("cores"), spatial, warnings)
    notes: list[str] = []
    if data.get("offchip_core"):
        off = _core_file(path, str(data["offchip_core"]), warnings)
        dram = zz.offchip_dram(_read(off, warnings), str(off))
        notes.append(f"DRAM from {off.name}.")
    else:
        dram = None
        notes.append("No offchip_core: the default DRAM (64 bits/cycle, one port).")
    system: dict[str, Any] = {
        "name": _type_name(Path(str(data.get("name", path.stem)))),
        "core_types": types,
        "cores": cores,
        "dram": {"name": "dram"} | _dram_dict(dram),
    }
    interconnect, more = _interconnect(data, where)
    notes.extend(more)
    if interconnect:
        system["interconnect"] = interconnect
    shared = _sharing(data, types, cores, where)
    if shared:
        system["shared_memories"] = shared
    return system, notes


def _cores(
    path: Path, cores_in: Any, spatial: dict[str, Any] | None, warnings: list[str]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """One core type per distinct core file, and the cores ``core{id}`` in id order."""
    ids = list(cores_in) if isinstance(cores_in, dict) else []
    if not ids or not all(str(k).isdigit() for k in ids):
        raise InputError("'cores' must map integer core ids to core files", where=f"{path}: cores")
    types: dict[str, dict[str, Any]] = {}
    type_of: dict[Path, str] = {}
    cores: list[dict[str, Any]] = []
    for cid in sorted(ids, key=int):
        file = _core_file(path, str(cores_in[cid]), warnings)
        if file not in type_of:
            core_data = _read(file, warnings)
            core, extra_dram = zz.convert_core(
                core_data, str(file), spatial, warnings, _kind(file, core_data)
            )
            if extra_dram is not None:
                warnings.append(f"{file}: its DRAM level is dropped (the offchip_core is used)")
            name = _type_name(file)
            while name in types:
                name += "_"
            core["description"] = f"ZigZag core {core['name']!r} from {file.name}"
            core["name"] = name
            types[name] = core
            type_of[file] = name
        cores.append({"name": f"core{int(cid)}", "type": type_of[file]})
    return types, cores


def _core_file(system: Path, name: str, warnings: list[str]) -> Path:
    base = system.parent
    candidates = [base / name, base / "cores" / name, base / "cores" / Path(name).name]
    for i, cand in enumerate(candidates):
        if cand.is_file():
            if i == 2:
                warnings.append(f"{system}: core file {name!r} taken from {cand}")
            return cand
    raise InputError(
        f"core file {name!r} not found beside the file or in its cores/ folder", where=str(system)
    )


def _groups(entries: Any, key: str, where: str) -> list[list[str]]:
    out = []
    for i, entry in enumerate(entries or []):
        ids = [s.strip() for s in str(entry).split(",") if s.strip()]
        if len(ids) < 2 or not all(s.isdigit() for s in ids):
            raise InputError(
                f"expected 'a, b[, ...]' core ids, got {entry!r}", where=f"{where}: {key}[{i}]"
            )
        out.append([f"core{int(s)}" for s in ids])
    return out


def _interconnect(data: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    groups = _groups(data.get("core_connectivity"), "core_connectivity", where)
    if not groups:
        return {}, []
    bandwidth = data.get("bandwidth")
    if not isinstance(bandwidth, (int, float)) or bandwidth <= 0:
        raise InputError(
            f"expected a positive bandwidth, got {bandwidth!r}", where=f"{where}: bandwidth"
        )
    unit = float(data.get("unit_energy_cost", 0) or 0)
    per_bit = unit / float(bandwidth)
    notes = []
    if unit:
        notes.append(
            f"Link energy: Stream's unit_energy_cost {unit} pJ per active cycle / bandwidth "
            f"{bandwidth} bits = {per_bit:g} pJ/bit."
        )
    out: dict[str, Any] = {"bandwidth_bits": int(bandwidth), "energy_pj_per_bit": per_bit}
    links = [{"cores": g} for g in groups if len(g) == 2]
    buses = [{"name": f"bus{i}", "cores": g} for i, g in enumerate(g for g in groups if len(g) > 2)]
    if links:
        out["links"] = links
    if buses:
        out["buses"] = buses
        notes.append("Connectivity groups of more than two cores are one shared bus each.")
    return out, notes


def _sharing(
    data: dict[str, Any], types: dict[str, dict[str, Any]], cores: list[dict[str, Any]], where: str
) -> list[dict[str, Any]]:
    """Stream shares the top-level memories of the grouped cores: one entry per such memory."""
    type_of = {c["name"]: c["type"] for c in cores}
    out: list[dict[str, Any]] = []
    for group in _groups(data.get("core_memory_sharing"), "core_memory_sharing", where):
        tops: list[set[str]] = []
        for name in group:
            if name not in type_of:
                raise InputError(f"unknown core {name}", where=f"{where}: core_memory_sharing")
            mems = types[type_of[name]]["memories"]
            tops.append({_top(mems, r) for r in ("I", "W", "O") if _top(mems, r)})
        common = set.intersection(*tops)
        out.extend({"memory": m, "cores": group} for m in sorted(common))
    return out


def _top(memories: dict[str, Any], role: str) -> str:
    holders = [n for n, m in memories.items() if role in m["operands"]]
    return holders[-1] if holders else ""
