"""Converting a Stream mapping file (a YAML list of per-op entries) into a fuseflow mapping."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fuseflow.tiling.yamlfile import KeyPath, YamlDoc, format_path, read_yaml
from fuseflow.workload.layer import Layer, Workload

STREAM_KEYS = frozenset(
    {
        "name",
        "core_allocation",
        "core_allocation_is_fixed",
        "intra_core_tiling",
        "inter_core_tiling",
        "spatial_mapping",
        "spatial_mapping_hint",
        "memory_operand_links",
        "temporal_ordering",
    }
)
IGNORED_KEYS = (
    "spatial_mapping",
    "spatial_mapping_hint",
    "memory_operand_links",
    "temporal_ordering",
)
GEMM_OPS = frozenset({"Gemm", "MatMul", "QLinearMatMul"})
ELEMENTWISE_OPS = frozenset(
    {"Add", "Mul", "Sub", "Div", "Relu", "Gelu", "Silu", "Sigmoid", "Tanh", "Clip", "Pow"}
)
CONV_OPS = frozenset(
    {"Conv", "QLinearConv", "ConvTranspose", "Pool", "MaxPool", "AveragePool"}
    | {"GlobalAveragePool", "GlobalMaxPool"}
)
# Stream's loop names per op kind -> ours (DEVELOPERS.md); conv and pooling names are shared.
GEMM_DIMS = {"D": "OY", "H": "G"}
ELEMENTWISE_DIMS = {"H": "K", "D": "OY", "K": "OX"}
HEADER = """\
# Converted from the Stream mapping {src} by `fuseflow mapping import-stream`.
# - Stream core ids are named core<id>, as the hardware importer names imported cores.
# - Tiling factors stay numbers of tiles, as in Stream ("all" = one row/element per tile);
#   several loops are listed outermost first (Stream lists the innermost first).
# - Loop names translated per op: Gemm/MatMul D->OY, H->G (K, C unchanged); elementwise ops
#   (rank-4 NCHW: B,H,D,K) H->K, D->OY, K->OX; Conv and pooling names are ours already.
#   The default entry and entries whose op type is unknown use the Gemm translation.
# - Stream clears tiling of a layer alone in its stack; here only a layer's own entry tiles a
#   lone layer, so per-layer tilings equal to the inherited one are left out.
"""


@dataclass
class _Entry:
    key: str
    body: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def import_stream_mapping(path: str | Path, workload: Workload | None = None) -> str:
    """The text of a fuseflow mapping file equivalent to the Stream mapping at ``path``.

    With ``workload``, entries naming a layer use its op type for the loop-name translation,
    and loops the layer does not have are dropped (Stream ignores them too).
    """
    doc = read_yaml(path, allow_duplicates=True)
    if not isinstance(doc.data, list):
        raise doc.error((), "a Stream mapping file is a YAML list of entries")
    entries = [_convert(doc, i, item, workload) for i, item in enumerate(doc.data)]
    default = next((e for e in entries if e.key == "default"), None)
    if default is None:
        raise doc.error((), "a Stream mapping needs an entry with name: default")
    if "tiling" not in default.body:
        default.body["tiling"] = {"OY": "all"}
        default.notes.append("no tiling: Stream cuts fused layers into one row per tile")
    ops = [e for e in entries if e.key != "default" and _is_op_type(e.key)]
    layers = [e for e in entries if e.key != "default" and e not in ops]
    _drop_inherited_tiling(layers, ops, default)
    out = [HEADER.format(src=Path(path).name)]
    out += [f"# Key {format_path(p)} was given twice; the last value is used (as Stream does).\n"
            for p in doc.duplicates]  # fmt: skip
    out.append(_emit_entry("default", default, 0))
    out.append("op_types:\n" if ops else "op_types: {}\n")
    out += [_emit_entry(e.key, e, 2) for e in ops]
    out.append("layers:\n" if layers else "layers: {}\n")
    out += [_emit_entry(e.key, e, 2) for e in layers]
    out.append("stacks: auto  # Stream's stacks are given on its command line; list them here\n")
    out.append("priority: depth_first\n")
    return "".join(out)


def _is_op_type(name: str) -> bool:
    """Entry names that are ONNX op types (``Conv``), not node names (``/conv1/Conv``)."""
    return re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) is not None


def _kind_of_name(name: str) -> str:
    """The op type an entry name denotes: itself if an op type, else the last path part's."""
    known = GEMM_OPS | ELEMENTWISE_OPS | CONV_OPS
    if name in known:
        return name
    last = re.sub(r"_\d+$", "", name.rsplit("/", 1)[-1])
    return last if last in known else ""


def _dim_map(kind: str) -> dict[str, str]:
    if kind in ELEMENTWISE_OPS:
        return ELEMENTWISE_DIMS
    if kind in CONV_OPS:
        return {}
    return GEMM_DIMS


def _convert(doc: YamlDoc, i: int, item: Any, workload: Workload | None) -> _Entry:
    if not isinstance(item, dict):
        raise doc.error((i,), f"expected an entry mapping, got {item!r}")
    for key in item:
        if key not in STREAM_KEYS:
            raise doc.error((i, key), f"unknown Stream mapping key {key!r}")
    name = item.get("name")
    if not isinstance(name, str):
        raise doc.error((i, "name") if "name" in item else (i,), "each entry needs a name")
    e = _Entry(name)
    layer = _layer_named(workload, name)
    kind = "" if name == "default" else (layer.op_type if layer else _kind_of_name(name))
    if name != "default" and not kind:
        e.notes.append("op type not recognised from the name: Gemm dim translation used")
    dims = _dim_map(kind)
    e.notes += [f"{k} ignored (Stream ignores it too)" for k in IGNORED_KEYS if k in item]
    _allocation(doc, i, item, e)
    intra = _pairs(doc, (i, "intra_core_tiling"), item.get("intra_core_tiling") or [], dims)
    inter = _pairs(doc, (i, "inter_core_tiling"), item.get("inter_core_tiling") or [], dims)
    if len(intra) > 1:
        # Stream's first listed loop varies fastest; ours is the outermost: reverse the order.
        intra = intra[::-1]
        e.notes.append("tiling loops reversed: Stream's first loop is innermost, ours outermost")
    for (dim, factor), j in intra:
        if factor == "*":
            raise doc.error(
                (i, "intra_core_tiling", j), "'*' is only allowed for inter-core tiling"
            )
        e.body.setdefault("tiling", {})[dim] = factor
    for (dim, factor), j in inter:
        if factor == "all":
            raise doc.error(
                (i, "inter_core_tiling", j), "'all' is not allowed for inter-core tiling"
            )
        e.body.setdefault("split", {})[dim] = factor
    _fixed_with_star(e)
    if layer is not None:
        _drop_missing_dims(e, layer)
    return e


def _layer_named(workload: Workload | None, name: str) -> Layer | None:
    if workload is None or name == "default" or _is_op_type(name):
        return None
    node = workload._by_name.get(name)
    return node if isinstance(node, Layer) else None


def _drop_missing_dims(e: _Entry, layer: Layer) -> None:
    sizes = layer.sizes
    for key in ("tiling", "split"):
        loops = e.body.get(key, {})
        for dim in [d for d in loops if d not in sizes]:
            del loops[dim]
            e.notes.append(f"{key} on {dim} dropped: the layer has no such loop (Stream skips it)")
        if key in e.body and not loops:
            del e.body[key]


def _allocation(doc: YamlDoc, i: int, item: dict[str, Any], e: _Entry) -> None:
    cores = item.get("core_allocation", [0])
    if "core_allocation" not in item:
        e.notes.append("no core_allocation: Stream's default [0]")
    if (
        not isinstance(cores, list)
        or not cores
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in cores)
    ):
        raise doc.error((i, "core_allocation"), f"expected a list of core ids, got {cores!r}")
    names = [f"core{c}" for c in cores]
    if item.get("core_allocation_is_fixed", False):
        if len(names) == 1:
            e.body["core"] = names[0]
        else:
            e.body["cores"], e.body["fixed"] = names, True
    else:
        e.body["cores"] = names


def _pairs(
    doc: YamlDoc, path: KeyPath, items: Any, dims: dict[str, str]
) -> list[tuple[tuple[str, int | str], int]]:
    if not isinstance(items, list):
        raise doc.error(path, f"expected a list of 'DIM, factor' strings, got {items!r}")
    out: list[tuple[tuple[str, int | str], int]] = []
    for j, text in enumerate(items):
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) != 2 or not parts[0]:
            raise doc.error((*path, j), f"expected 'DIM, factor', got {text!r}")
        dim, raw = parts
        factor: int | str
        if raw in ("all", "*"):
            factor = raw
        elif raw.isdigit() and int(raw) >= 1:
            factor = int(raw)
        else:
            raise doc.error((*path, j), f"factor must be a count >= 1, all or *, got {raw!r}")
        out.append(((dims.get(dim, dim), factor), j))
    return out


def _fixed_with_star(e: _Entry) -> None:
    """A fixed core list longer than the numeric split: Stream ran every tile on its first core.

    (With a '*' or no inter-core split Stream makes one group, and group g runs on core g.)
    """
    if not e.body.get("fixed"):
        return
    listed = e.body["cores"]
    parts = 1
    for f in e.body.get("split", {}).values():
        parts *= f if isinstance(f, int) else 1
    if parts == len(listed):
        return
    del e.body["cores"], e.body["fixed"]
    e.body["core"] = listed[0]
    e.notes.append(
        f"fixed cores [{', '.join(listed)}] for {parts} group(s): Stream ran every tile on "
        f"{listed[0]}; to split over them write split: {{K: {len(listed)}}} with these cores "
        "and fixed: true"
    )


def _drop_inherited_tiling(layers: list[_Entry], ops: list[_Entry], default: _Entry) -> None:
    by_op = {e.key: e for e in ops}
    for e in layers:
        op = by_op.get(_kind_of_name(e.key))
        inherited = (op.body if op and "tiling" in op.body else default.body).get("tiling")
        if "tiling" in e.body and e.body["tiling"] == inherited:
            del e.body["tiling"]
        elif "tiling" in e.body:
            e.notes.append("tiles this layer even when it is alone in its stack (Stream did not)")


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _emit_entry(key: str, e: _Entry, indent: int) -> str:
    pad = " " * indent
    notes = "".join(f"{pad}# {n}\n" for n in e.notes)
    return f"{notes}{pad}{_flow(key)}: {_flow(e.body)}\n"
