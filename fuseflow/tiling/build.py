"""build_cn_graph: tile every layer as the mapping says and connect the tiles exactly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.tiling import deps, through
from fuseflow.tiling.axes import I64, clear_cache
from fuseflow.tiling.graph import ORDER_EDGE, ROLE_CODES, CNGraph, csr_from_edges
from fuseflow.tiling.spec import LayerMapping, MappingSpec
from fuseflow.tiling.tileinfo import tile_shapes, weight_tensors
from fuseflow.tiling.tiles import LayerTiling, tile_layer
from fuseflow.workload.layer import Layer, Operand, Workload


@dataclass(frozen=True, eq=False)
class _EdgeLists:
    src: list[I64]
    dst: list[I64]
    bits: list[I64]
    role: list[NDArray[np.int8]]

    def add(self, src: I64, dst: I64, bits: I64, role: int) -> None:
        self.src.append(src)
        self.dst.append(dst)
        self.bits.append(bits)
        self.role.append(np.full(src.shape[0], role, dtype=np.int8))


def tile_all(
    workload: Workload, mapping: MappingSpec, splits: Mapping[str, int] | None = None
) -> dict[str, LayerTiling]:
    """The tiling of every compute layer: fused layers tiled, lone layers only if asked."""
    in_fused = {name for stack in mapping.stacks if len(stack) > 1 for name in stack}
    out: dict[str, LayerTiling] = {}
    for layer in workload.layers:
        lm = mapping.layers[layer.name]
        tiling = lm.tiling if (layer.name in in_fused or lm.tiling_explicit) else ()
        out[layer.name] = tile_layer(layer, tiling, _split_of(layer, lm, splits))
    return out


def _split_of(
    layer: Layer, lm: LayerMapping, splits: Mapping[str, int] | None
) -> tuple[tuple[str, int], ...]:
    if not splits or layer.name not in splits:
        return lm.split
    if lm.open_split is None:
        raise InputError(
            "splits: layer has no split left to the allocator (write split: {DIM: '*'})",
            where=layer.name,
        )
    factor = int(splits[layer.name])
    if not 1 <= factor <= len(lm.cores):
        raise InputError(
            f"split factor {factor} must be between 1 and its {len(lm.cores)} allowed cores",
            where=layer.name,
        )
    return (*lm.split, (lm.open_split, factor))


def build_cn_graph(
    workload: Workload,
    acc: Accelerator,
    mapping: MappingSpec,
    *,
    splits: Mapping[str, int] | None = None,
) -> CNGraph:
    """Every CN of ``workload`` tiled as ``mapping`` says, with its exact dependencies.

    ``splits`` sets the factor of splits the mapping left to the allocator (``split: {K: "*"}``)
    for the named layers; without it such layers are built unsplit, as one group.
    """
    del acc  # cores are already resolved to indices in the mapping
    try:
        return _build(workload, mapping, splits)
    finally:
        clear_cache()


def _build(workload: Workload, mapping: MappingSpec, splits: Mapping[str, int] | None) -> CNGraph:
    layers = workload.layers
    names = tuple(layer.name for layer in layers)
    layer_id = {n: i for i, n in enumerate(names)}
    tilings = tile_all(workload, mapping, splits)
    counts = np.array([tilings[n].n_tiles for n in names], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    offset = {n: int(offsets[i]) for i, n in enumerate(names)}
    n = int(offsets[-1])

    layer_arr = np.repeat(np.arange(len(names), dtype=np.int32), counts)
    tile_arr = (np.arange(n, dtype=np.int64) - np.repeat(offsets[:-1], counts)).astype(np.int32)
    group_offsets = np.concatenate(([0], np.cumsum([tilings[m].n_groups for m in names])))
    group_arr = np.concatenate(
        [tilings[m].group + group_offsets[i] for i, m in enumerate(names)]
    ).astype(np.int32)

    shapes, tile_layers = tile_shapes(layers, tilings)
    weight, weight_bits = weight_tensors(workload, layers, tilings)
    owners = {
        layer.name: deps.output_owners(
            layer, tilings[layer.name], workload.tensors[layer.operands["O"].tensor].shape
        )
        for layer in layers
    }
    out_bits, final, graph_out = _output_arrays(workload, layers, tilings)
    edges = _EdgeLists([], [], [], [])
    dram_bits = np.zeros(n, dtype=np.int64)
    origins = through.Origins(workload, owners, offset)
    for layer in layers:
        _layer_edges(
            workload, layer, tilings[layer.name], offset, owners, origins, edges, dram_bits
        )
        src, dst = deps.order_edges(tilings[layer.name], offset[layer.name])
        edges.add(src, dst, np.zeros(src.shape[0], dtype=np.int64), ORDER_EDGE)
    csr = csr_from_edges(
        n,
        _cat(edges.src).astype(np.int32),
        _cat(edges.dst).astype(np.int32),
        _cat(edges.bits),
        np.concatenate(edges.role) if edges.role else np.zeros(0, dtype=np.int8),
    )
    stacks = tuple(tuple(layer_id[m] for m in stack) for stack in mapping.stacks)
    priority = _priority(stacks, layer_arr, tile_arr, mapping.priority)
    g_layer, g_cores, g_fixed = _groups(names, tilings, mapping)
    return CNGraph(
        workload=workload,
        layers=names,
        ranges=tuple(tilings[m].ranges() for m in names),
        tile_layers=tile_layers,
        layer=layer_arr,
        tile=tile_arr,
        group=group_arr,
        shape=shapes,
        output_bits=out_bits,
        produces_final=final,
        graph_output=graph_out,
        dram_input_bits=dram_bits,
        weight=weight,
        priority=priority,
        weight_bits=weight_bits,
        group_layer=g_layer,
        group_cores=g_cores,
        group_fixed=g_fixed,
        **csr._asdict(),
        stacks=stacks,
        priority_mode=mapping.priority,
    )


def full_input_dims(layer: Layer) -> tuple[str, ...]:
    """Dims along which a tile reads the whole input (e.g. K of a Softmax over K)."""
    value = layer.attrs.get("full_input_dims", ())
    return tuple(str(d) for d in value) if isinstance(value, tuple | list) else ()


def _cat(parts: list[I64]) -> I64:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _layer_edges(
    workload: Workload,
    layer: Layer,
    tiling: LayerTiling,
    offset: Mapping[str, int],
    owners: Mapping[str, deps.OutputOwners],
    origins: through.Origins,
    edges: _EdgeLists,
    dram_bits: I64,
) -> None:
    """Data edges into the tiles of ``layer`` for each of its input operands."""
    base = offset[layer.name]
    full = full_input_dims(layer)
    for role in layer.input_roles():
        operand = layer.operands[role]
        info = workload.tensors[operand.tensor]
        if len(operand.axes) != len(info.shape):
            raise InputError(
                f"operand {role} has {len(operand.axes)} axes, tensor {info.name} has "
                f"shape {info.shape}",
                where=layer.name,
            )
        if role == "W" and operand.constant:
            continue  # weights: see tileinfo.weight_tensors
        if info.producer is None or info.constant:
            vol = deps.window_volume(tiling, operand, info.shape, full)
            dram_bits[base : base + tiling.n_tiles] += vol * info.precision_bits
            continue
        producer = workload.node(info.producer)
        code = ROLE_CODES[role]
        if isinstance(producer, Layer):
            e = deps.direct_edges(tiling, operand, info.shape, owners[producer.name], full)
            src = e.src + offset[producer.name]
        else:
            e = _through_shape_ops(tiling, operand, info.shape, origins, full)
            src = e.src
            dram = src == through.DRAM
            np.add.at(dram_bits, e.dst_tile[dram] + base, e.count[dram] * info.precision_bits)
            keep = src >= 0
            e = deps.Edges(e.dst_tile[keep], src[keep], e.count[keep])
            src = e.src
        edges.add(src, e.dst_tile + base, e.count * info.precision_bits, code)


def _through_shape_ops(
    tiling: LayerTiling,
    operand: Operand,
    shape: tuple[int, ...],
    origins: through.Origins,
    full: tuple[str, ...],
) -> deps.Edges:
    origin = origins.of(operand.tensor)
    if origins.is_whole(operand.tensor):
        vol = deps.window_volume(tiling, operand, shape, full)
        return through.whole_edges(vol > 0, origin)
    return through.element_edges(tiling, operand, shape, origin, full)


def _output_arrays(
    workload: Workload, layers: tuple[Layer, ...], tilings: Mapping[str, LayerTiling]
) -> tuple[I64, NDArray[np.bool_], NDArray[np.bool_]]:
    bits, final, gout = [], [], []
    outputs = _graph_output_tensors(workload)
    for layer in layers:
        t = tilings[layer.name]
        out = layer.operands["O"]
        shape = workload.tensors[out.tensor].shape
        vol = deps.window_volume(t, out, shape)
        fin = t.is_last(sorted(layer.reduction_dims))
        bits.append(np.where(fin, vol * out.precision_bits, vol * layer.partial_output_bits))
        final.append(fin)
        gout.append(fin & (out.tensor in outputs))
    return (
        np.concatenate(bits).astype(np.int64),
        np.concatenate(final),
        np.concatenate(gout),
    )


def _graph_output_tensors(workload: Workload) -> set[str]:
    """Tensors that are graph outputs or reach one through shape ops only."""
    found = set(workload.outputs)
    for node in reversed(workload.nodes):
        if not isinstance(node, Layer) and any(t in found for t in node.outputs):
            found.update(node.inputs)
    return found


def _priority(
    stacks: tuple[tuple[int, ...], ...],
    layer: NDArray[np.int32],
    tile: NDArray[np.int32],
    mode: str,
) -> I64:
    """Rank of each CN (0 = first): stacks in order; depth-first puts deeper layers first."""
    nlayers = max((max(s) for s in stacks if s), default=-1) + 1
    stack_of = np.zeros(nlayers, dtype=np.int64)
    depth = np.zeros(nlayers, dtype=np.int64)
    for s, members in enumerate(stacks):
        for d, lid in enumerate(members):
            stack_of[lid], depth[lid] = s, d
    inner = -depth[layer] if mode == "depth_first" else depth[layer]
    order = np.lexsort((tile, inner, stack_of[layer]))
    rank = np.empty(layer.shape[0], dtype=np.int64)
    rank[order] = np.arange(layer.shape[0], dtype=np.int64)
    return rank


def _groups(
    names: tuple[str, ...], tilings: Mapping[str, LayerTiling], mapping: MappingSpec
) -> tuple[NDArray[np.int32], tuple[tuple[int, ...], ...], NDArray[np.int32]]:
    g_layer: list[int] = []
    g_cores: list[tuple[int, ...]] = []
    g_fixed: list[int] = []
    for i, name in enumerate(names):
        lm = mapping.layers[name]
        for g in range(tilings[name].n_groups):
            g_layer.append(i)
            if lm.fixed is not None:
                core = lm.fixed[g % len(lm.fixed)]
                g_cores.append((core,))
                g_fixed.append(core)
            else:
                g_cores.append(lm.cores)
                g_fixed.append(lm.cores[0] if len(lm.cores) == 1 else -1)
    return (
        np.array(g_layer, dtype=np.int32),
        tuple(g_cores),
        np.array(g_fixed, dtype=np.int32),
    )
