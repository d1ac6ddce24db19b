"""Layer stacks (fused groups): explicit lists, cuts by on-chip weight capacity, or per layer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fuseflow.errors import InputError
from fuseflow.hardware.model import Accelerator
from fuseflow.workload.layer import Layer, Workload

Where = Callable[[Sequence[str | int]], str]


def layer_producers(workload: Workload) -> dict[str, tuple[str, ...]]:
    """Compute layers each compute layer reads from, looking through shape ops."""
    feeds: dict[str, tuple[str, ...]] = {}  # tensor -> compute layers it carries data of
    out: dict[str, tuple[str, ...]] = {}
    for node in workload.nodes:
        sources: dict[str, None] = {}
        for t in workload.node_inputs(node):
            for s in feeds.get(t, ()):
                sources[s] = None
        if isinstance(node, Layer):
            out[node.name] = tuple(sources)
            feeds[node.operands["O"].tensor] = (node.name,)
        else:
            for t in node.outputs:
                feeds[t] = tuple(sources)
    return out


def weight_capacity_bits(acc: Accelerator) -> int:
    """Total size of the cores' top-level memories that hold weights."""
    return sum(c.top_memory("W").size_bits for c in acc.cores if c.hierarchy("W"))


def auto_stacks(workload: Workload, capacity_bits: int) -> list[list[str]]:
    """Consecutive stacks, cut before a layer that would push the stack's weights past capacity."""
    stacks: list[list[str]] = []
    current: list[str] = []
    total = 0
    for layer in workload.layers:
        w = layer.operands.get("W")
        bits = workload.tensors[w.tensor].size_bits if w is not None and w.constant else 0
        if current and total + bits > capacity_bits:
            stacks.append(current)
            current, total = [], 0
        current.append(layer.name)
        total += bits
    if current:
        stacks.append(current)
    return stacks


def order_stacks(
    workload: Workload, explicit: Sequence[Sequence[str]], where: Where
) -> tuple[tuple[str, ...], ...]:
    """Add a singleton stack for every layer not listed, sort by position, check dependencies.

    ``explicit`` must not overlap (checked by the caller). A stack must not read from a later
    stack; the error names both layers.
    """
    pos = {layer.name: i for i, layer in enumerate(workload.layers)}
    listed = {name for stack in explicit for name in stack}
    stacks = [tuple(sorted(s, key=pos.__getitem__)) for s in explicit if s]
    stacks += [(layer.name,) for layer in workload.layers if layer.name not in listed]
    stacks.sort(key=lambda s: pos[s[0]])
    stack_of = {name: i for i, s in enumerate(stacks) for name in s}
    producers = layer_producers(workload)
    for i, stack in enumerate(stacks):
        for name in stack:
            for p in producers[name]:
                if stack_of[p] > i:
                    raise InputError(
                        f"layer {name} reads {p}, which is in a later stack; stacks must follow "
                        "the data flow",
                        where=where(("stacks",)),
                    )
    return tuple(stacks)


def resolve_stack_entry(entry: object, index: int, workload: Workload, where: Where) -> list[str]:
    """Layer names of one explicit stack: a list of names / ONNX node indices, or a range."""
    by_index = {n.source_index: n for n in workload.nodes if n.source_index is not None}
    layers = workload.layers
    pos = {layer.name: i for i, layer in enumerate(layers)}
    if isinstance(entry, dict):
        if "nodes" in entry and ({"from", "to"} & set(entry)):
            raise InputError("give either nodes or from/to, not both", where=where(_p(index)))
        if "nodes" in entry:
            lo, hi = _index_range(entry["nodes"], (*_p(index), "nodes"), where)
            if lo > hi:
                raise InputError(
                    f"first index {lo} is after last index {hi}", where=where((*_p(index), "nodes"))
                )
            return [
                la.name
                for la in layers
                if la.source_index is not None and lo <= la.source_index <= hi
            ]
        first = _name(entry.get("from"), workload, pos, (*_p(index), "from"), where)
        last = _name(entry.get("to"), workload, pos, (*_p(index), "to"), where)
        if pos[first] > pos[last]:
            raise InputError(f"{first} comes after {last}", where=where(_p(index)))
        return [la.name for la in layers[pos[first] : pos[last] + 1]]
    out: list[str] = []
    items: list[object] = list(entry) if isinstance(entry, list) else []
    for j, item in enumerate(items):
        path = (*_p(index), j)
        if isinstance(item, int) and not isinstance(item, bool):
            if item not in by_index:
                raise InputError(f"no ONNX node with index {item}", where=where(path))
            node = by_index[item]
            if isinstance(node, Layer):
                out.append(node.name)
        else:
            out.append(_name(item, workload, pos, path, where))
    return out


def _p(index: int) -> tuple[str | int, ...]:
    return ("stacks", index)


def _index_range(value: object, path: tuple[str | int, ...], where: Where) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
    if not ok:
        raise InputError(
            f"expected [first, last] ONNX node indices, got {value!r}", where=where(path)
        )
    assert isinstance(value, list)
    return int(value[0]), int(value[1])


def _name(
    value: object,
    workload: Workload,
    pos: dict[str, int],
    path: tuple[str | int, ...],
    where: Where,
) -> str:
    if not isinstance(value, str):
        raise InputError(f"expected a layer name, got {value!r}", where=where(path))
    if value not in pos:
        hint = " (a shape op, not a compute layer)" if value in workload._by_name else ""
        raise InputError(f"unknown layer {value!r}{hint}", where=where(path))
    return value
