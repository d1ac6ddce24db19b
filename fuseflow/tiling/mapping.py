"""The mapping file: cores per layer, tiling and split, layer stacks, scheduling priority."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.tiling import stacks as st
from fuseflow.tiling.entries import EntryRef, resolve_layer
from fuseflow.tiling.spec import LayerMapping, MappingSpec
from fuseflow.tiling.yamlfile import YamlDoc, read_yaml
from fuseflow.workload.layer import Workload

STACK_FORMS = "{from: NAME, to: NAME} or {nodes: [FIRST, LAST]}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Entry(_Strict):
    """One mapping entry (default, per op type or per layer name)."""

    cores: list[str | int] | None = None
    core: str | int | None = None
    fixed: bool | None = None
    tiling: dict[str, Any] | None = None
    split: dict[str, Any] | None = None


class StackRange(_Strict):
    nodes: list[int] | None = None
    first: str | None = Field(default=None, alias="from")
    to: str | None = None


class MappingFile(_Strict):
    default: Entry = Entry()
    op_types: dict[str, Entry] = {}
    layers: dict[str, Entry] = {}
    stacks: Literal["auto", "layer_by_layer"] | list[list[str | int] | StackRange] = "auto"
    priority: Literal["depth_first", "latency_first"] = "depth_first"


def load_mapping(path: str | Path, workload: Workload, acc: Accelerator) -> MappingSpec:
    """Read and check a mapping file against ``workload`` and ``acc``.

    Every problem raises :class:`~fuseflow.errors.InputError` located by file, line and key path.
    """
    return resolve_mapping(read_yaml(path), workload, acc)


def mapping_from_dict(
    data: Mapping[str, Any], workload: Workload, acc: Accelerator, source: str = "<mapping>"
) -> MappingSpec:
    """The same as :func:`load_mapping` for mapping data already in memory."""
    return resolve_mapping(YamlDoc(dict(data), {}, source), workload, acc)


def default_mapping(workload: Workload, acc: Accelerator) -> MappingSpec:
    """Every layer on any core able to run it, automatic stacks, one output row per fused tile."""
    return mapping_from_dict({"default": {"tiling": {"OY": "all"}}}, workload, acc, "<default>")


def parse_mapping_file(doc: YamlDoc) -> MappingFile:
    """Schema check only (unknown keys, wrong types), with located errors."""
    if doc.data is None:
        return MappingFile()
    if not isinstance(doc.data, dict):
        raise doc.error((), f"a mapping file is a YAML mapping, got {type(doc.data).__name__}")
    try:
        return MappingFile.model_validate(doc.data)
    except ValidationError as exc:
        raise _located(doc, exc) from None


def _located(doc: YamlDoc, exc: ValidationError) -> InputError:
    errors = exc.errors()
    # A union (stacks) reports one error per member: the one deepest in the data is the
    # member the user meant.
    paths = [_data_path(doc.data, e["loc"]) for e in errors]
    pick = max(range(len(errors)), key=lambda i: len(paths[i]))
    first, path = errors[pick], paths[pick]
    if first["type"] == "extra_forbidden":
        msg = f"unknown key {path[-1]!r}" if path else "unknown key"
    elif path == ("stacks",):
        msg = f"expected auto, layer_by_layer or a list of stacks (got {first.get('input')!r})"
    elif len(path) == 2 and path[0] == "stacks":
        msg = f"a stack is a list of layer names or ONNX node indices, {STACK_FORMS}"
    else:
        msg = f"{first['msg']} (got {first.get('input')!r})"
    others = {q for q in paths if q != path[: len(q)]}  # not the chosen one or its parents
    more = f" (and {len(others)} more problems)" if others else ""
    return InputError(msg + more, where=doc.where(path))


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[str | int, ...]:
    """The part of a pydantic error location that indexes the data (drops union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        found, child = _child(node, part)
        if found:  # else a union member's tag such as 'literal[...]', not a key of the data
            node = child
            out.append(part)
    return tuple(out)


def _child(node: Any, part: int | str) -> tuple[bool, Any]:
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def resolve_mapping(doc: YamlDoc, workload: Workload, acc: Accelerator) -> MappingSpec:
    """Check ``doc`` against the workload and accelerator and resolve it per layer."""
    spec = parse_mapping_file(doc)
    names = {layer.name for layer in workload.layers}
    for name in spec.layers:
        if name not in names:
            hint = " (a shape op, not a compute layer)" if name in workload._by_name else ""
            raise doc.error(("layers", name), f"unknown layer {name!r}{hint}")
    notes: list[str] = []
    present_ops = {layer.op_type for layer in workload.layers}
    notes += [
        f"op_types.{op}: no layer of this type" for op in spec.op_types if op not in present_ops
    ]
    layers: dict[str, LayerMapping] = {}
    for layer in workload.layers:
        chain = [EntryRef(("layers", layer.name), spec.layers.get(layer.name), True)]
        chain.append(EntryRef(("op_types", layer.op_type), spec.op_types.get(layer.op_type), False))
        chain.append(EntryRef(("default",), spec.default, False))
        layers[layer.name] = resolve_layer(layer, chain, acc, doc)
    stacks = _stacks(spec, doc, workload, acc)
    return MappingSpec(layers, stacks, spec.priority, doc.source, tuple(notes))


def _stacks(
    spec: MappingFile, doc: YamlDoc, workload: Workload, acc: Accelerator
) -> tuple[tuple[str, ...], ...]:
    if spec.stacks == "layer_by_layer":
        explicit: list[list[str]] = []
    elif spec.stacks == "auto":
        explicit = st.auto_stacks(workload, st.weight_capacity_bits(acc))
    else:
        explicit = []
        seen: dict[str, int] = {}
        raw = doc.data.get("stacks", []) if isinstance(doc.data, dict) else []
        for i, entry in enumerate(raw):
            members = st.resolve_stack_entry(entry, i, workload, doc.where)
            for name in members:
                if name in seen:
                    raise doc.error(("stacks", i), f"layer {name} is already in stack {seen[name]}")
                seen[name] = i
            explicit.append(members)
    return st.order_stacks(workload, explicit, doc.where)
