"""Load an accelerator: a system YAML, a single core YAML, or the name of a shipped library system.

>>> acc = load_accelerator("tpu_like_quad")
>>> acc.core_names
('core0', 'core1', 'core2', 'core3', 'pooling', 'simd')
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from fuseflow.errors import InputError
from fuseflow.hardware import catalog as library
from fuseflow.hardware.build_core import build_core
from fuseflow.hardware.build_system import (
    build_dram,
    build_interconnect,
    build_shared,
    dram_problem,
)
from fuseflow.hardware.model import Accelerator, Core, Dram
from fuseflow.hardware.schema import CoreRefSpec, CoreSpec, SystemSpec, validate
from fuseflow.hardware.topology import build_topology
from fuseflow.hardware.yamlsrc import KeyPath, Problems, Source, format_path, read_yaml

# The DRAM a single core file gets: Stream's example off-chip memory (64 bits/cycle, one port).
DEFAULT_DRAM = Dram(
    name="dram",
    size_bits=10_000_000_000,
    read_bw_bits=64,
    write_bw_bits=64,
    read_energy_pj=1000.0,
    write_energy_pj=1000.0,
    ports="shared",
)


def load_accelerator(spec: str | Path) -> Accelerator:
    """A system file, a single core file (one core plus :data:`DEFAULT_DRAM`) or a library name."""
    path = resolve(spec)
    src = read_yaml(path)
    problems = Problems()
    _duplicates(src, problems)
    kind = file_kind(src)
    if kind == "core":
        core = _core_from(src, (), problems)
        problems.raise_if_any()
        assert core is not None
        return Accelerator(name=core.name, cores=(core,), dram=DEFAULT_DRAM, source=str(path))
    acc = _system_from(src, problems)
    problems.raise_if_any()
    assert acc is not None
    return acc


def load_core(path: str | Path) -> Core:
    """One core file in fuseflow's format."""
    src = read_yaml(Path(path))
    problems = Problems()
    _duplicates(src, problems)
    if file_kind(src) != "core":
        raise InputError("not a core file (a core has 'array' and 'memories')", where=str(path))
    core = _core_from(src, (), problems)
    problems.raise_if_any()
    assert core is not None
    return core


def resolve(spec: str | Path) -> Path:
    """A path to an existing file, or the file of a library name."""
    path = Path(spec)
    if path.is_file():
        return path
    if isinstance(spec, str) and not spec.endswith((".yaml", ".yml")):
        found = library.path_of(spec)
        if found is not None:
            return found
        raise InputError(
            f"no such file, and no library accelerator of that name "
            f"(`fuseflow hardware list` shows them: {', '.join(library.names())})",
            where=spec,
        )
    raise InputError("file not found", where=str(spec))


def file_kind(src: Source) -> str:
    """'system' or 'core'; other known formats raise an error that names the right command."""
    data = src.data
    if not isinstance(data, dict):
        raise InputError("expected a mapping of keys at the top of the file", where=src.where(()))
    if "operational_array" in data or "multipliers" in data or "core_connectivity" in data:
        raise InputError(
            "this is a Stream/ZigZag file; convert it with `fuseflow hardware import-stream`",
            where=str(src.path),
        )
    if "cores" in data:
        return "system"
    if "array" in data or "memories" in data:
        return "core"
    raise InputError(
        "neither a system (needs 'cores') nor a core file (needs 'array' and 'memories')",
        where=str(src.path),
    )


def _duplicates(src: Source, problems: Problems) -> None:
    for key_path, line in src.duplicates:
        problems.note(f"{src.path}:{line}: {_fmt(key_path)}: duplicate key", (str(src.path), line))


def _fmt(key_path: KeyPath) -> str:
    return format_path(key_path)


def _core_from(
    src: Source, at: KeyPath, problems: Problems, name: str | None = None, data: Any = None
) -> Core | None:
    data = _get(src.data, at) if data is None else data
    if name is not None and isinstance(data, dict) and "name" not in data:
        data = {"name": name, **data}
    spec = validate(CoreSpec, data, src, at, problems)
    return None if spec is None else build_core(spec, src, at, problems)


def _get(data: Any, at: KeyPath) -> Any:
    for part in at:
        data = data[part]
    return data


def _system_from(src: Source, problems: Problems) -> Accelerator | None:
    spec = validate(SystemSpec, src.data, src, (), problems)
    cores = _all_cores(src, problems)  # checked even when the system part has problems
    if spec is None or problems:
        return None
    names = [c.name for c in cores]
    dram = build_dram(spec.dram, names, src, problems)
    links, buses = build_interconnect(spec.interconnect, names, src, problems)
    shared = build_shared(spec.shared_memories, cores, src, problems)
    if problems:
        return None
    acc = Accelerator(
        name=spec.name,
        cores=tuple(cores),
        dram=dram,
        links=links,
        buses=buses,
        shared_memories=shared,
        dram_cores=None if spec.dram.cores is None else tuple(spec.dram.cores),
        source=str(src.path),
    )
    try:
        build_topology(dataclasses.replace(acc, source=None))
    except InputError as exc:
        at = ("dram", "cores") if spec.dram.cores is not None else ("interconnect",)
        problems.add(src, at, dram_problem(exc))
        return None
    return acc


def _all_cores(src: Source, problems: Problems) -> list[Core]:
    raw_types = src.data.get("core_types")
    raw_cores = src.data.get("cores")
    types = {
        str(name): _core_from(src, ("core_types", name), problems, name=str(name))
        for name in (raw_types if isinstance(raw_types, dict) else {})
    }
    cores: list[Core] = []
    files: dict[Path, Core | None] = {}
    for i, item in enumerate(raw_cores if isinstance(raw_cores, list) else []):
        cores.extend(_core_entry(item, src, ("cores", i), types, files, problems))
    names = [c.name for c in cores]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add(src, ("cores",), f"core name {name!r} is used twice")
    return cores


def _core_entry(
    item: dict[str, Any],
    src: Source,
    at: KeyPath,
    types: dict[str, Core | None],
    files: dict[Path, Core | None],
    problems: Problems,
) -> list[Core]:
    """The cores of one ``cores`` entry: inline, ``file:`` or ``type:``, ``count`` times."""
    if not isinstance(item, dict):
        problems.add(src, at, f"expected a core (a mapping), got {item!r}")
        return []
    if "file" in item or "type" in item:
        ref = validate(CoreRefSpec, item, src, at, problems)
        if ref is None:
            return []
        if (ref.file is None) == (ref.type is None):
            problems.add(src, at, "give exactly one of 'file' and 'type'")
            return []
        if ref.type is not None:
            if ref.type not in types:
                known = ", ".join(types) or "none"
                problems.add(
                    src, (*at, "type"), f"unknown core type {ref.type!r} (core_types: {known})"
                )
                return []
            core = types[ref.type]
        else:
            assert ref.file is not None
            core = _core_file(src.path.parent / ref.file, src, (*at, "file"), files, problems)
        count, name = ref.count, ref.name
    else:
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.add(src, (*at, "count"), f"expected a positive integer, got {count!r}")
            return []
        body = {k: v for k, v in item.items() if k != "count"}
        core = _core_from(src, at, problems, data=body)
        name = None
    if core is None:
        return []
    base = name or core.name
    names = [base] if count == 1 else [f"{base}{k}" for k in range(count)]
    return [dataclasses.replace(core, name=n) for n in names]


def _core_file(
    path: Path, src: Source, at: KeyPath, files: dict[Path, Core | None], problems: Problems
) -> Core | None:
    key = path.resolve()
    if key in files:
        return files[key]
    if not path.is_file():
        problems.add(
            src, at, f"core file {str(path)!r} not found (paths are relative to this file)"
        )
        files[key] = None
        return None
    try:
        core_src = read_yaml(path)
        _duplicates(core_src, problems)
        if file_kind(core_src) != "core":
            problems.add(src, at, f"{path} is not a core file")
            files[key] = None
            return None
    except InputError as exc:
        problems.note(str(exc), (str(path), 0))
        files[key] = None
        return None
    files[key] = _core_from(core_src, (), problems)
    return files[key]
