"""Interconnect resources and routes: ring, bus, mesh, DRAM ports, routes through DRAM."""

from __future__ import annotations

import pytest

from fuseflow.errors import InputError
from fuseflow.hardware.load import DEFAULT_DRAM, load_accelerator
from fuseflow.hardware.model import Accelerator, Core, Link, MemoryLevel
from fuseflow.hardware.topology import Topology, build_topology


def _names(topo: Topology, resources: tuple[int, ...]) -> list[str]:
    return [topo.resources[r].name for r in resources]


def test_ring_routes_take_fewest_hops():
    topo = build_topology(load_accelerator("tpu_like_quad"))
    assert len(topo.resources) == 24 + 1  # 12 full-duplex links + one DRAM port
    assert _names(topo, topo.route(0, 1).resources) == ["core0->core1"]
    assert _names(topo, topo.route(0, 2).resources) == ["core0->core1", "core1->core2"]
    assert _names(topo, topo.route(3, 4).resources) == ["core3->core4"]
    assert topo.route(2, 2).resources == ()
    assert topo.bandwidth(topo.route(0, 2)) == 32
    assert _names(topo, topo.dram_reads[5].resources) == ["dram port"]
    assert topo.dram_reads[5] == topo.dram_writes[0]  # one port for both directions


def test_bus_is_one_shared_resource():
    topo = build_topology(load_accelerator("homo4_bus"))
    assert [(r.kind, r.bandwidth_bits) for r in topo.resources] == [("bus", 64), ("dram", 64)]
    assert topo.route(0, 3).resources == topo.route(2, 1).resources == (0,)


def test_mesh_links_and_attached_cores():
    acc = load_accelerator("homo4_mesh")
    assert len(acc.links) == 2 * (4 + 8)  # 2x2 grid edges + pooling and SIMD to each core
    topo = build_topology(acc)
    assert _names(topo, topo.route(0, 3).resources) == ["core0->core1", "core1->core3"]
    assert _names(topo, topo.route(4, 3).resources) == ["pooling->core3"]


def test_separate_dram_ports():
    topo = build_topology(load_accelerator("homo4_bus_2port"))
    kinds = [r.kind for r in topo.resources]
    assert kinds == ["bus", "dram_read", "dram_write"]
    assert topo.dram_reads[0].resources == (1,)
    assert topo.dram_writes[0].resources == (2,)


def _core(name: str) -> Core:
    sram = MemoryLevel("sram", 8192, 64, 64, 1.0, 1.0, frozenset({"I", "W", "O"}))
    return Core(name, (("D1", 4),), (("D1", (("K", 4),)),), (sram,), 0.1)


def test_dram_through_a_gateway_core_and_routes_via_dram():
    acc = Accelerator(
        "t",
        (_core("a"), _core("b"), _core("c")),
        DEFAULT_DRAM,
        links=(Link("a->b", "a", "b", 16), Link("b->a", "b", "a", 16)),
    )
    topo = build_topology(acc)
    assert topo.route(0, 2).via_dram
    assert _names(topo, topo.route(0, 2).resources) == ["dram port", "dram port"]
    gated = Accelerator("g", acc.cores[:2], DEFAULT_DRAM, links=acc.links, dram_cores=("a",))
    topo = build_topology(gated)
    assert _names(topo, topo.dram_reads[1].resources) == ["dram port", "a->b"]
    assert _names(topo, topo.dram_writes[1].resources) == ["b->a", "dram port"]


def test_unreachable_dram_is_an_input_error():
    acc = Accelerator("u", (_core("a"), _core("b")), DEFAULT_DRAM, dram_cores=("a",))
    with pytest.raises(InputError, match="'b' cannot reach DRAM"):
        build_topology(acc)


def test_unknown_cores_in_hand_built_accelerators_are_input_errors():
    from fuseflow.hardware.model import Bus

    bus = Accelerator("b", (_core("a"),), DEFAULT_DRAM, buses=(Bus("bus", ("a", "z"), 8),))
    with pytest.raises(InputError, match="bus 'bus' names unknown core 'z'"):
        build_topology(bus)
    with pytest.raises(InputError, match="unknown core 'z'"):
        build_topology(Accelerator("d", (_core("a"),), DEFAULT_DRAM, dram_cores=("z",)))
