"""The CN graph: computation nodes (tiles of layers) and their dependencies, stored as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from fuseflow.workload.layer import Layer, Workload

ROLE_CODES = {"I": 0, "W": 1}  # edge_role values; ORDER_EDGE marks an ordering-only edge
ORDER_EDGE = -1


@dataclass(frozen=True, eq=False)
class CNGraph:
    """Every CN of the tiled workload with its data and its edges (CSR), ready to schedule.

    CN ``i`` is tile ``tile[i]`` of layer ``layers[layer[i]]``; its loop ranges are
    ``ranges[layer[i]][tile[i]]`` (shape ``(ndims, 2)``, half-open, dims in the layer's order).
    Its cost on a core is the cost of ``tile_layers[shape[i]]`` on that core.

    Edges are sorted by (src, dst); ``out_ptr`` indexes them by source. ``in_edges`` lists
    edge indices sorted by destination, indexed by ``in_ptr``. ``edge_bits`` is the number of
    bits of the source's final output the destination reads (0 for ordering edges, whose
    ``edge_role`` is ``ORDER_EDGE``).
    """

    workload: Workload
    layers: tuple[str, ...]  # compute layers covered; a layer id is an index into this
    ranges: tuple[NDArray[np.int64], ...]  # per layer id: (ntiles, ndims, 2)
    tile_layers: tuple[Layer, ...]  # unique tile shapes, each costed once per core
    # per CN
    layer: NDArray[np.int32]
    tile: NDArray[np.int32]
    group: NDArray[np.int32]
    shape: NDArray[np.int32]
    output_bits: NDArray[np.int64]  # bits of the output tile (final precision if final)
    produces_final: NDArray[np.bool_]  # emits final (fully reduced) outputs
    graph_output: NDArray[np.bool_]  # its outputs are outputs of the network (go to DRAM)
    dram_input_bits: NDArray[np.int64]  # input bits read from DRAM (graph inputs, constants)
    weight: NDArray[np.int32]  # weight tensor id, -1 when none
    priority: NDArray[np.int64]  # lower value = scheduled first among ready CNs
    # per weight tensor
    weight_bits: NDArray[np.int64]
    # per group (the unit of allocation)
    group_layer: NDArray[np.int32]
    group_cores: tuple[tuple[int, ...], ...]  # allowed core indices
    group_fixed: NDArray[np.int32]  # fixed core index, -1 when the allocator chooses
    # edges
    edge_src: NDArray[np.int32]
    edge_dst: NDArray[np.int32]
    edge_bits: NDArray[np.int64]
    edge_role: NDArray[np.int8]
    out_ptr: NDArray[np.int64]
    in_edges: NDArray[np.int64]
    in_ptr: NDArray[np.int64]
    # layer stacks (fused groups of layer ids), in scheduling order
    stacks: tuple[tuple[int, ...], ...]
    # how ``priority`` was ranked: "depth_first" (deepest ready tile of the stack first) or
    # "latency_first" (topological order, then tile order)
    priority_mode: str = "depth_first"

    @property
    def n(self) -> int:
        return int(self.layer.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_src.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_layer.shape[0])

    def successors(self, cn: int) -> NDArray[np.int32]:
        return self.edge_dst[self.out_ptr[cn] : self.out_ptr[cn + 1]]

    def predecessors(self, cn: int) -> NDArray[np.int32]:
        return self.edge_src[self.in_edges[self.in_ptr[cn] : self.in_ptr[cn + 1]]]

    def layer_of(self, cn: int) -> Layer:
        return self.workload.layer(self.layers[int(self.layer[cn])])

    def loop_ranges(self, cn: int) -> dict[str, tuple[int, int]]:
        layer = self.layer_of(cn)
        r = self.ranges[int(self.layer[cn])][int(self.tile[cn])]
        return {d: (int(r[i, 0]), int(r[i, 1])) for i, d in enumerate(layer.dim_names)}

    def cns_of_layer(self, layer_id: int) -> NDArray[np.int64]:
        return np.flatnonzero(self.layer == layer_id)


class EdgeArrays(NamedTuple):
    """The edge fields of a :class:`CNGraph`, named as there: ``CNGraph(..., **e._asdict())``."""

    edge_src: NDArray[np.int32]
    edge_dst: NDArray[np.int32]
    edge_bits: NDArray[np.int64]
    edge_role: NDArray[np.int8]
    out_ptr: NDArray[np.int64]
    in_edges: NDArray[np.int64]
    in_ptr: NDArray[np.int64]


def csr_from_edges(
    n: int,
    src: NDArray[np.int32],
    dst: NDArray[np.int32],
    bits: NDArray[np.int64],
    role: NDArray[np.int8],
) -> EdgeArrays:
    """Sort edges by (src, dst) and build the out- and in-CSR index arrays."""
    order = np.lexsort((dst, src))
    src, dst, bits, role = src[order], dst[order], bits[order], role[order]
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=out_ptr[1:])
    in_edges = np.lexsort((src, dst)).astype(np.int64)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=in_ptr[1:])
    return EdgeArrays(src, dst, bits, role, out_ptr, in_edges, in_ptr)
