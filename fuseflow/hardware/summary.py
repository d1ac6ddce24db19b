"""A human-readable summary of an accelerator (what `fuseflow hardware check` prints)."""

from __future__ import annotations

import dataclasses

from fuseflow.hardware.model import Accelerator, Core, Link
from fuseflow.workload.layer import ROLES, Role


def capacity_bits(acc: Accelerator) -> dict[Role, int]:
    """On-chip bits that can hold each operand: every level's size x instances, over all cores.

    A level holding several operands counts for each; a shared memory counts once.
    """
    out: dict[Role, int] = dict.fromkeys(ROLES, 0)
    seen: set[str] = set()
    for core in acc.cores:
        for level in core.memories:
            ident = f"{core.name}:{level.name}"
            for group in acc.shared_memories:
                if core.name in group.cores and level.name == group.memory:
                    ident = f"shared:{group.memory}:{'+'.join(group.cores)}"
            if ident in seen:
                continue
            seen.add(ident)
            for role in level.operands:
                out[role] += level.size_bits * core.instances(level)
    return out


def summarize(acc: Accelerator) -> str:
    cores = f"{len(acc.cores)} core" + ("s" if len(acc.cores) > 1 else "")
    lines = [f"{acc.name}: {cores}, {acc.total_macs} MACs"]
    if acc.source:
        lines[0] += f"  ({acc.source})"
    for names, core in _groups(acc.cores):
        lines.extend(_core_lines(names, core))
    lines.append(_dram_line(acc))
    lines.extend(_interconnect_lines(acc))
    for group in acc.shared_memories:
        lines.append(f"shared memory {group.memory}: one instance for {', '.join(group.cores)}")
    cap = capacity_bits(acc)
    lines.append("on-chip bits per operand: " + ", ".join(f"{r} {cap[r]}" for r in ROLES))
    return "\n".join(lines)


def _groups(cores: tuple[Core, ...]) -> list[tuple[list[str], Core]]:
    """Consecutive cores that differ only by name, summarised once."""
    groups: list[tuple[list[str], Core]] = []
    for core in cores:
        if groups and dataclasses.replace(groups[-1][1], name=core.name) == core:
            groups[-1][0].append(core.name)
        else:
            groups.append(([core.name], core))
    return groups


def _core_lines(names: list[str], core: Core) -> list[str]:
    label = names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]} ({len(names)} cores)"
    array = " x ".join(f"{d} {s}" for d, s in core.array)
    unroll = (
        ", ".join(
            f"{d}: " + " ".join(f"{ld} {f}" for ld, f in loops) for d, loops in core.unrolling
        )
        or "none"
    )
    out = [
        f"core {label} [{core.kind}]: array {array} = {core.n_macs} MACs, "
        f"{core.mac_energy_pj} pJ/MAC; unrolling {unroll}"
    ]
    for role in ROLES:
        chain = " > ".join(m.name for m in core.hierarchy(role)) or "(none)"
        out.append(f"    {role}: {chain}")
    for m in core.memories:
        held = "".join(r for r in ROLES if r in m.operands)
        out.append(
            f"    {m.name:<16} {held:<3} {m.size_bits:>12} bits"
            f" x{core.instances(m):<5} bw r/w {m.read_bw_bits}/{m.write_bw_bits} bits/cycle,"
            f" {m.read_energy_pj}/{m.write_energy_pj} pJ per access"
        )
    return out


def _dram_line(acc: Accelerator) -> str:
    d = acc.dram
    attached = "all cores" if acc.dram_cores is None else ", ".join(acc.dram_cores)
    ports = "one shared port" if d.ports == "shared" else "separate read and write ports"
    return (
        f"dram {d.name}: {d.size_bits} bits, bw r/w {d.read_bw_bits}/{d.write_bw_bits} bits/cycle, "
        f"{d.read_energy_pj}/{d.write_energy_pj} pJ per access "
        f"({d.read_pj_per_bit:.3g}/{d.write_pj_per_bit:.3g} pJ/bit), {ports}; "
        f"attached: {attached}"
    )


def _interconnect_lines(acc: Accelerator) -> list[str]:
    out: list[str] = []
    done: set[int] = set()
    for i, link in enumerate(acc.links):
        if i in done:
            continue
        back = _reverse(acc.links, link, done | {i})
        arrow = "->"
        if back is not None:
            done.add(back)
            arrow = "<->"
        out.append(
            f"link {link.src} {arrow} {link.dst}: {link.bandwidth_bits} bits/cycle, "
            f"{link.energy_pj_per_bit} pJ/bit"
        )
    for bus in acc.buses:
        out.append(
            f"bus {bus.name} ({len(bus.cores)} cores: {_few(bus.cores)}): "
            f"{bus.bandwidth_bits} bits/cycle shared, {bus.energy_pj_per_bit} pJ/bit"
        )
    if not acc.links and not acc.buses:
        sharing = {c for group in acc.shared_memories for c in group.cores}
        if not sharing:
            out.append("no on-chip interconnect: cores exchange data through DRAM")
        elif len(sharing) < len(acc.cores):
            out.append("no links or buses: cores outside a shared memory exchange data via DRAM")
        else:
            out.append("no links or buses: cores exchange data through their shared memory")
    return out


def _reverse(links: tuple[Link, ...], link: Link, skip: set[int]) -> int | None:
    for j, other in enumerate(links):
        if j in skip:
            continue
        if (other.src, other.dst) == (link.dst, link.src) and (
            other.bandwidth_bits,
            other.energy_pj_per_bit,
        ) == (link.bandwidth_bits, link.energy_pj_per_bit):
            return j
    return None


def _few(names: tuple[str, ...], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[: limit - 2]) + f", ... , {names[-1]}"
