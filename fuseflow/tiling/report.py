"""Summaries and dumps of a CN graph for people: per-layer counts, edges, bits, stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from fuseflow.errors import InputError
from fuseflow.tiling.graph import ORDER_EDGE, CNGraph
from fuseflow.tiling.spec import MappingSpec

ARRAY_FIELDS = (
    "layer", "tile", "group", "shape", "output_bits", "produces_final", "graph_output",
    "dram_input_bits", "weight", "priority", "weight_bits", "group_layer", "group_fixed",
    "edge_src", "edge_dst", "edge_bits", "edge_role", "out_ptr", "in_edges", "in_ptr",
)  # fmt: skip


def graph_summary(graph: CNGraph, mapping: MappingSpec, seconds: float) -> dict[str, Any]:
    """Plain data: totals, stacks and one row per layer."""
    nl = len(graph.layers)
    data = graph.edge_role != ORDER_EDGE
    tiles = np.bincount(graph.layer, minlength=nl)
    groups = np.bincount(graph.group_layer, minlength=nl)
    dst_layer = graph.layer[graph.edge_dst]
    edges_in = np.bincount(dst_layer[data], minlength=nl)
    bits_in = np.bincount(dst_layer[data], weights=graph.edge_bits[data], minlength=nl)
    dram = np.bincount(graph.layer, weights=graph.dram_input_bits, minlength=nl)
    stack_of = {lid: s for s, members in enumerate(graph.stacks) for lid in members}
    rows = []
    for i, name in enumerate(graph.layers):
        layer = graph.workload.layer(name)
        rows.append(
            {
                "name": name,
                "op_type": layer.op_type,
                "stack": stack_of[i],
                "cns": int(tiles[i]),
                "groups": int(groups[i]),
                "tile_shapes": len(set(graph.shape[graph.layer == i].tolist())),
                "edges_in": int(edges_in[i]),
                "bits_in": int(bits_in[i]),
                "dram_input_bits": int(dram[i]),
                "open_split": mapping.layers[name].open_split,
            }
        )
    return {
        "workload": graph.workload.name,
        "cns": graph.n,
        "edges": graph.n_edges,
        "data_edges": int(data.sum()),
        "order_edges": int((~data).sum()),
        "bits_carried": int(graph.edge_bits.sum()),
        "groups": graph.n_groups,
        "tile_shapes": len(graph.tile_layers),
        "weight_tensors": int(graph.weight_bits.shape[0]),
        "priority": graph.priority_mode,
        "stacks": [[graph.layers[i] for i in s] for s in graph.stacks],
        "build_seconds": round(seconds, 4),
        "layers": rows,
    }


def print_summary(s: dict[str, Any]) -> None:
    width = max([len(r["name"]) for r in s["layers"]] + [5])
    head = f"{'layer':<{width}}  {'op':<10} stack   CNs groups shapes  edges_in      bits_in"
    print(head)
    for r in s["layers"]:
        split = f"  split {r['open_split']}: *" if r["open_split"] else ""
        print(
            f"{r['name']:<{width}}  {r['op_type']:<10} {r['stack']:>5} {r['cns']:>5} "
            f"{r['groups']:>6} {r['tile_shapes']:>6} "
            f"{r['edges_in']:>9} {r['bits_in']:>12}{split}"
        )
    fused = sum(1 for st in s["stacks"] if len(st) > 1)
    print(
        f"{s['cns']} CNs, {s['edges']} edges ({s['data_edges']} data, {s['order_edges']} order), "
        f"{s['bits_carried']} bits carried, {s['groups']} groups, {s['tile_shapes']} tile shapes; "
        f"{len(s['stacks'])} stacks ({fused} fused), priority {s['priority']}; "
        f"built in {s['build_seconds']:.3f} s"
    )


def dump_graph(graph: CNGraph, path: Path) -> None:
    """Write the graph's arrays: ``.npz`` (numpy) or ``.json`` (lists), with layer names."""
    arrays = {f: getattr(graph, f) for f in ARRAY_FIELDS}
    meta = {
        "layers": list(graph.layers),
        "stacks": [list(s) for s in graph.stacks],
        "group_cores": [list(c) for c in graph.group_cores],
        "priority_mode": graph.priority_mode,
        "tile_layers": [
            {"name": t.name, "op_type": t.op_type, "dims": dict(t.dims)} for t in graph.tile_layers
        ],
    }
    try:
        if path.suffix == ".json":
            data = {**meta, **{k: v.tolist() for k, v in arrays.items()}}
            data["ranges"] = [r.tolist() for r in graph.ranges]
            path.write_text(json.dumps(data), encoding="utf-8")
        else:
            ranges = {f"ranges_{i}": r for i, r in enumerate(graph.ranges)}
            everything: dict[str, Any] = {"meta": np.array(json.dumps(meta)), **arrays, **ranges}
            np.savez_compressed(path, **everything)
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", where=str(path)) from None
