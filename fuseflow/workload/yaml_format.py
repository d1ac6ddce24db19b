"""A YAML layer list (fuseflow's own format) read through the builder, with located errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from fuseflow.errors import InputError
from fuseflow.workload.builder import WorkloadBuilder
from fuseflow.workload.layer import TensorInfo, Workload
from fuseflow.workload.onnx.elementwise import BINARY, UNARY, VARIADIC
from fuseflow.workload.onnx.norm import REDUCE_OPS
from fuseflow.workload.ops import Precisions
from fuseflow.workload.shape_ops import FLAT_OPS

SHAPE_OPS = frozenset(FLAT_OPS | {"Transpose", "Concat", "Split", "Slice", "Gather", "Pad",
                                  "Expand", "Tile", "DepthToSpace", "SpaceToDepth"})  # fmt: skip
COMMON_KEYS = {"name", "op", "input", "inputs"}
SINGLE_INPUT = frozenset(
    {"Conv", "Gemm", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Softmax",
     "LayerNormalization", "RMSNormalization", *REDUCE_OPS}
)  # fmt: skip


class _Doc:
    """The parsed YAML with the line of every key path, for error locations."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text()
            self.root = yaml.compose(text)
            self.data = yaml.safe_load(text)
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", where=str(path)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})",
                             where=f"{path}{line}") from None  # fmt: skip

    def where(self, keys: Sequence[str | int]) -> str:
        node, line = self.root, None
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                node = node.value[key] if key < len(node.value) else None
            else:
                node = None
            if node is None:
                break
            line = node.start_mark.line + 1
        path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        return f"{self.path}{f':{line}' if line else ''}, {path}" if path else str(self.path)

    def error(self, message: str, keys: Sequence[str | int]) -> InputError:
        return InputError(message, where=self.where(keys))


def _is_zigzag_layer_list(data: object) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and {"operator_type", "equation"} <= data[0].keys()
    )


def load_yaml_workload(path: str | Path, *, precisions: Precisions | None = None) -> Workload:
    """Read a layer list; see docs/workload.md ("YAML layer lists") for the format."""
    doc = _Doc(Path(path))
    data = doc.data
    if _is_zigzag_layer_list(data):
        raise doc.error(
            "a ZigZag/Stream layer list (entries with 'operator_type' and 'equation') is not "
            "read: it has no paddings or tensor shapes; load the ONNX model instead, or write "
            "fuseflow's layer list (docs/workload.md)",
            [0],
        )
    if not isinstance(data, dict):
        raise doc.error("the file must be a mapping with 'inputs' and 'layers'", [])
    unknown = sorted(set(data) - {"name", "precisions", "inputs", "layers", "outputs"})
    if unknown:
        raise doc.error(f"unknown key(s) {unknown}", [unknown[0]])
    prec = precisions or _precisions(doc, data.get("precisions"))
    b = WorkloadBuilder(str(data.get("name", Path(path).stem)), prec)
    tensors: dict[str, TensorInfo] = {}
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise doc.error("'inputs' must map input names to shapes", ["inputs"])
    for name, shape in inputs.items():
        tensors[str(name)] = b.input(str(name), _shape(doc, shape, ["inputs", name]))
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise doc.error("'layers' must be a non-empty list", ["layers"])
    for i, entry in enumerate(layers):
        _layer(doc, b, tensors, entry, ["layers", i])
    outputs = data.get("outputs")
    if outputs is None:
        return b.build(source=str(path))
    if not isinstance(outputs, list) or any(o not in tensors for o in outputs):
        raise doc.error("'outputs' must list layer or input names", ["outputs"])
    return b.build([tensors[o].name for o in outputs], source=str(path))


def _precisions(doc: _Doc, raw: object) -> Precisions:
    if raw is None:
        return Precisions()
    fields = set(Precisions.__dataclass_fields__)
    if (
        not isinstance(raw, dict)
        or set(raw) - fields
        or not all(isinstance(v, int) and v > 0 for v in raw.values())
    ):
        raise doc.error(
            f"'precisions' takes positive integers for {sorted(fields)}", ["precisions"]
        )
    return Precisions(**raw)


def _shape(doc: _Doc, raw: object, keys: list[str | int]) -> tuple[int, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, int) and s > 0 for s in raw):
        raise doc.error("a shape is a list of positive integers", keys)
    return tuple(raw)


def _layer(doc: _Doc, b: WorkloadBuilder, tensors: dict[str, TensorInfo],
           entry: object, keys: list[str | int]) -> None:  # fmt: skip
    if not isinstance(entry, dict) or "name" not in entry or "op" not in entry:
        raise doc.error("each layer needs 'name' and 'op'", keys)
    name, op = str(entry["name"]), str(entry["op"])
    if name in tensors:
        raise doc.error(f"name {name!r} is used twice", [*keys, "name"])
    refs = entry.get("inputs", [entry["input"]] if "input" in entry else [])
    if not isinstance(refs, list) or not refs:
        raise doc.error("give the layer's 'input' (or 'inputs')", keys)
    ref_keys: list[str | int] = [*keys, "inputs" if "inputs" in entry else "input"]
    for j, ref in enumerate(refs):
        if ref not in tensors:
            where = [*ref_keys, j] if "inputs" in entry else ref_keys
            raise doc.error(f"unknown input {ref!r} (not an input or earlier layer)", where)
    args = [tensors[r] for r in refs]
    arity = 2 if op == "MatMul" else 1 if op in SINGLE_INPUT else len(args)
    if len(args) != arity:
        raise doc.error(f"{op} takes {arity} input(s), got {len(args)}", keys)
    options = {k: v for k, v in entry.items() if k not in COMMON_KEYS}
    make = _dispatch(doc, op, keys)
    try:
        tensors[name] = make(b, name, op, args, options)
    except TypeError as exc:
        raise doc.error(f"bad options for {op}: {exc}", keys) from None
    except InputError as exc:
        raise doc.error(str(exc).split(": ", 1)[-1], keys) from None


Maker = Callable[[WorkloadBuilder, str, str, list[TensorInfo], dict[str, Any]], TensorInfo]


def _dispatch(doc: _Doc, op: str, keys: list[str | int]) -> Maker:
    table: Mapping[str, Maker] = {
        "Conv": lambda b, n, o, a, kw: b.conv(n, a[0], **_tuples(kw)),
        "Gemm": lambda b, n, o, a, kw: b.gemm(n, a[0], **kw),
        "MatMul": lambda b, n, o, a, kw: b.matmul(n, a[0], a[1], **kw),
        "MaxPool": lambda b, n, o, a, kw: b.pool(n, a[0], op_type=o, **_tuples(kw)),
        "AveragePool": lambda b, n, o, a, kw: b.pool(n, a[0], op_type=o, **_tuples(kw)),
        "GlobalAveragePool": lambda b, n, o, a, kw: b.global_pool(n, a[0], o),
        "GlobalMaxPool": lambda b, n, o, a, kw: b.global_pool(n, a[0], o),
        "Softmax": lambda b, n, o, a, kw: b.softmax(n, a[0], **kw),
        "LayerNormalization": lambda b, n, o, a, kw: b.layer_norm(n, a[0], op_type=o, **kw),
        "RMSNormalization": lambda b, n, o, a, kw: b.layer_norm(n, a[0], op_type=o, **kw),
    }
    if op in table:
        return table[op]
    if op in UNARY | BINARY | VARIADIC:
        return lambda b, n, o, a, kw: b.elementwise(n, o, *a, **kw)
    if op in REDUCE_OPS:
        return lambda b, n, o, a, kw: b.reduce(n, a[0], op_type=o, **_tuples(kw))
    if op in SHAPE_OPS:
        return lambda b, n, o, a, kw: b.shape_op(n, o, a, **_tuples(kw))
    raise doc.error(f"unknown op {op!r}", [*keys, "op"])


def _tuples(options: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
