"""Interconnect resources of an accelerator (links, buses, DRAM ports) and routes between cores."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator

ResourceKind = Literal["link", "bus", "dram", "dram_read", "dram_write"]


@dataclass(frozen=True, slots=True)
class Resource:
    """Something a transfer occupies: a directed link, a bus, or a DRAM port."""

    name: str
    kind: ResourceKind
    bandwidth_bits: int
    energy_pj_per_bit: float = 0.0


@dataclass(frozen=True, slots=True)
class Route:
    """Resources a transfer occupies, in path order. Empty for a core to itself."""

    resources: tuple[int, ...]
    via_dram: bool = False  # no on-chip path: the data goes through DRAM


@dataclass(frozen=True)
class Topology:
    """Routes between every ordered pair of cores and from/to DRAM, by resource index."""

    resources: tuple[Resource, ...]
    routes: dict[tuple[int, int], Route]
    dram_reads: tuple[Route, ...]  # per core: DRAM -> core
    dram_writes: tuple[Route, ...]  # per core: core -> DRAM

    def route(self, src: int, dst: int) -> Route:
        return self.routes[(src, dst)]

    def bandwidth(self, route: Route) -> int:
        return min(self.resources[r].bandwidth_bits for r in route.resources)


def build_topology(acc: Accelerator) -> Topology:
    """Resources and shortest-hop routes (ties broken by declaration order; deterministic)."""
    n = len(acc.cores)
    resources, adjacency = _interconnect(acc)
    read_port, write_port = _dram_ports(acc, resources)
    paths = [_shortest_paths(adjacency, s) for s in range(n)]
    dram_reads, dram_writes = _dram_routes(acc, paths, read_port, write_port)
    routes: dict[tuple[int, int], Route] = {}
    for s in range(n):
        for d in range(n):
            if s == d:
                routes[(s, d)] = Route(())
            elif d in paths[s]:
                routes[(s, d)] = Route(paths[s][d])
            else:
                both = dram_writes[s].resources + dram_reads[d].resources
                routes[(s, d)] = Route(both, via_dram=True)
    return Topology(tuple(resources), routes, tuple(dram_reads), tuple(dram_writes))


Adjacency = list[list[tuple[int, int]]]  # core -> (neighbour, resource index), declaration order


def _interconnect(acc: Accelerator) -> tuple[list[Resource], Adjacency]:
    """One resource per directed link and per bus; a bus connects every pair of its cores."""
    resources: list[Resource] = []
    index = acc.core_index
    adjacency: Adjacency = [[] for _ in acc.cores]
    for link in acc.links:
        for end in (link.src, link.dst):
            if end not in index:
                raise InputError(f"link {link.name!r} names unknown core {end!r}")
        resources.append(Resource(link.name, "link", link.bandwidth_bits, link.energy_pj_per_bit))
        adjacency[index[link.src]].append((index[link.dst], len(resources) - 1))
    for bus in acc.buses:
        for end in bus.cores:
            if end not in index:
                raise InputError(f"bus {bus.name!r} names unknown core {end!r}")
        resources.append(Resource(bus.name, "bus", bus.bandwidth_bits, bus.energy_pj_per_bit))
        members = [index[c] for c in bus.cores]
        for a in members:
            adjacency[a].extend((b, len(resources) - 1) for b in members if b != a)
    return resources, adjacency


def _dram_ports(acc: Accelerator, resources: list[Resource]) -> tuple[int, int]:
    """Append the DRAM port resource(s); return the (read, write) resource indices."""
    dram = acc.dram
    if dram.ports == "shared":
        bw = min(dram.read_bw_bits, dram.write_bw_bits)
        resources.append(Resource(f"{dram.name} port", "dram", bw))
        return len(resources) - 1, len(resources) - 1
    resources.append(Resource(f"{dram.name} read", "dram_read", dram.read_bw_bits))
    resources.append(Resource(f"{dram.name} write", "dram_write", dram.write_bw_bits))
    return len(resources) - 2, len(resources) - 1


def _dram_routes(
    acc: Accelerator, paths: list[dict[int, tuple[int, ...]]], read_port: int, write_port: int
) -> tuple[list[Route], list[Route]]:
    """Per core, DRAM -> core and core -> DRAM through the nearest core attached to DRAM."""
    index = acc.core_index
    for name in acc.dram_cores or ():
        if name not in index:
            raise InputError(f"DRAM is attached to unknown core {name!r}", where=acc.source)
    n = len(acc.cores)
    attached = set(range(n)) if acc.dram_cores is None else {index[c] for c in acc.dram_cores}
    dram_reads: list[Route] = []
    dram_writes: list[Route] = []
    for core in range(n):
        gateway = _nearest(paths[core], attached, core)
        if gateway is None:
            raise InputError(f"core {acc.cores[core].name!r} cannot reach DRAM", where=acc.source)
        to_gateway = paths[core][gateway]
        from_gateway = paths[gateway].get(core)
        if from_gateway is None:
            raise InputError(f"DRAM cannot reach core {acc.cores[core].name!r}", where=acc.source)
        dram_reads.append(Route((read_port, *from_gateway)))
        dram_writes.append(Route((*to_gateway, write_port)))
    return dram_reads, dram_writes


def _shortest_paths(adjacency: Adjacency, src: int) -> dict[int, tuple[int, ...]]:
    """Breadth-first search: for each reachable core, the resources on a fewest-hop path."""
    paths: dict[int, tuple[int, ...]] = {src: ()}
    queue = deque([src])
    while queue:
        node = queue.popleft()
        for nxt, res in adjacency[node]:
            if nxt not in paths:
                paths[nxt] = (*paths[node], res)
                queue.append(nxt)
    return paths


def _nearest(paths: dict[int, tuple[int, ...]], targets: set[int], core: int) -> int | None:
    if core in targets:
        return core
    reachable = [(len(p), t) for t, p in paths.items() if t in targets]
    return min(reachable)[1] if reachable else None
