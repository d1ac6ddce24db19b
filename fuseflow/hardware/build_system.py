"""Interconnect, DRAM and shared memories of a system spec, with their cross-checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fuseflow.errors import InputError
from fuseflow.hardware.model import Bus, Core, Dram, Link, MemoryLevel, SharedMemory
from fuseflow.hardware.schema import DramSpec, InterconnectSpec, MeshSpec, SharedMemorySpec
from fuseflow.hardware.yamlsrc import KeyPath, Problems, Source

Interconnect = tuple[tuple[Link, ...], tuple[Bus, ...]]


def build_dram(spec: DramSpec, names: Sequence[str], src: Source, problems: Problems) -> Dram:
    _check_names(spec.cores or [], names, src, ("dram", "cores"), problems)
    for key, bw in (("read_bw_bits", spec.read_bw_bits), ("write_bw_bits", spec.write_bw_bits)):
        if bw > spec.size_bits:
            problems.add(src, ("dram", key), f"{bw} bits/cycle exceeds the DRAM size in bits")
    return Dram(
        name=spec.name,
        size_bits=spec.size_bits,
        read_bw_bits=spec.read_bw_bits,
        write_bw_bits=spec.write_bw_bits,
        read_energy_pj=float(spec.read_energy_pj),
        write_energy_pj=float(spec.write_energy_pj),
        ports=spec.ports,
    )


def _check_names(
    used: Sequence[str], names: Sequence[str], src: Source, at: KeyPath, problems: Problems
) -> bool:
    ok = True
    for i, name in enumerate(used):
        if name not in names:
            problems.add(src, (*at, i), f"unknown core {name!r} (cores: {', '.join(names)})")
            ok = False
    if len(set(used)) != len(used):
        problems.add(src, at, "a core is listed twice")
        ok = False
    return ok


def build_interconnect(
    spec: InterconnectSpec, names: Sequence[str], src: Source, problems: Problems
) -> Interconnect:
    """Directed links (two per full-duplex link) and buses (a half-duplex link is a 2-core bus)."""
    links: list[Link] = []
    buses: list[Bus] = []
    pairs: set[tuple[str, str]] = set()

    def add(a: str, b: str, bw: int, pj: float, at: KeyPath, name: str | None = None) -> None:
        if (a, b) in pairs:
            problems.add(src, at, f"a second link from {a} to {b}")
        pairs.add((a, b))
        links.append(Link(name or f"{a}->{b}", a, b, bw, pj))

    for i, ln in enumerate(spec.links):
        at: KeyPath = ("interconnect", "links", i)
        if not _check_names(ln.cores, names, src, (*at, "cores"), problems):
            continue
        bw, pj = _bw(ln.bandwidth_bits, ln.energy_pj_per_bit, spec, src, at, problems)
        a, b = ln.cores
        if ln.duplex == "half":
            buses.append(Bus(ln.name or f"{a}<->{b}", (a, b), bw, pj))
            continue
        if ln.duplex == "oneway":
            add(a, b, bw, pj, at, ln.name)
            continue
        add(a, b, bw, pj, at, f"{ln.name}:{a}->{b}" if ln.name else None)
        add(b, a, bw, pj, at, f"{ln.name}:{b}->{a}" if ln.name else None)
    if spec.mesh is not None:
        for a, b, at in _mesh_pairs(spec.mesh, names, src, problems):
            m = spec.mesh
            bw, pj = _bw(m.bandwidth_bits, m.energy_pj_per_bit, spec, src, at, problems)
            add(a, b, bw, pj, at)
            add(b, a, bw, pj, at)
    for i, bs in enumerate(spec.buses):
        at = ("interconnect", "buses", i)
        members = list(names) if bs.cores is None else bs.cores
        if not _check_names(members, names, src, (*at, "cores"), problems):
            continue
        bw, pj = _bw(bs.bandwidth_bits, bs.energy_pj_per_bit, spec, src, at, problems)
        buses.append(Bus(bs.name, tuple(members), bw, pj))
    bus_names = [b.name for b in buses]
    if len(set(bus_names)) != len(bus_names):
        problems.add(src, ("interconnect", "buses"), "two buses have the same name")
    return tuple(links), tuple(buses)


def _bw(
    bw: int | None,
    pj: float | None,
    spec: InterconnectSpec,
    src: Source,
    at: KeyPath,
    problems: Problems,
) -> tuple[int, float]:
    if bw is None:
        bw = spec.bandwidth_bits
    if bw is None:
        problems.add(src, at, "no bandwidth_bits: give it here or as interconnect.bandwidth_bits")
        bw = 1
    energy = spec.energy_pj_per_bit if pj is None else pj
    if energy > 100:
        problems.add(
            src,
            at,
            f"energy_pj_per_bit {energy} is implausibly large: it is pJ per bit moved, "
            "not per cycle or per word",
        )
    return bw, float(energy)


def _mesh_pairs(
    m: MeshSpec, names: Sequence[str], src: Source, problems: Problems
) -> list[tuple[str, str, KeyPath]]:
    at: KeyPath = ("interconnect", "mesh")
    grid = m.cores if m.cores is not None else [n for n in names if n not in m.attach]
    ok = _check_names(grid, names, src, (*at, "cores"), problems)
    ok &= _check_names(m.attach, names, src, (*at, "attach"), problems)
    if len(grid) != m.rows * m.cols:
        problems.add(
            src,
            (*at, "cores") if m.cores is not None else at,
            f"a {m.rows}x{m.cols} mesh needs {m.rows * m.cols} cores, got {len(grid)}",
        )
        return []
    if not ok:
        return []
    pairs: list[tuple[str, str, KeyPath]] = []
    for r in range(m.rows):
        for c in range(m.cols):
            here = grid[r * m.cols + c]
            if c + 1 < m.cols:
                pairs.append((here, grid[r * m.cols + c + 1], at))
            if r + 1 < m.rows:
                pairs.append((here, grid[(r + 1) * m.cols + c], at))
    pairs.extend((core, extra, (*at, "attach")) for extra in m.attach for core in grid)
    return pairs


def build_shared(
    specs: Sequence[SharedMemorySpec], cores: Sequence[Core], src: Source, problems: Problems
) -> tuple[SharedMemory, ...]:
    """Shared top-level memories; the memory must exist, be identical and be a top level."""
    by_name = {c.name: c for c in cores}
    out: list[SharedMemory] = []
    for i, sm in enumerate(specs):
        at: KeyPath = ("shared_memories", i)
        if not _check_names(sm.cores, list(by_name), src, (*at, "cores"), problems):
            continue
        levels = []
        for name in sm.cores:
            level = next((m for m in by_name[name].memories if m.name == sm.memory), None)
            if level is None:
                problems.add(src, (*at, "memory"), f"core {name!r} has no memory {sm.memory!r}")
            else:
                levels.append((name, level))
        for name, level in levels[1:]:
            if _physical(level) != _physical(levels[0][1]):
                problems.add(
                    src,
                    at,
                    f"memory {sm.memory!r} of core {name!r} differs from that of core "
                    f"{levels[0][0]!r}; a shared memory must be described identically",
                )
        for name, level in levels:
            core = by_name[name]
            if not any(core.top_memory(r) == level for r in level.operands):
                problems.add(
                    src, (*at, "memory"), f"{sm.memory!r} is not a top-level memory of {name!r}"
                )
        out.append(SharedMemory(sm.memory, tuple(sm.cores)))
    return tuple(out)


def _physical(level: MemoryLevel) -> MemoryLevel:
    """The memory itself, without what describes one core's use of it: the operands it keeps
    there and the array dims it serves (DIANA: only its SIMD core keeps W in the shared L1)."""
    return replace(level, operands=frozenset(), served_dims=())


def dram_problem(exc: InputError) -> str:
    """A topology error re-phrased for the system file."""
    return f"{exc}: attach it to DRAM (dram.cores) or connect it to a core that is attached"
