"""The workload IR: layers as loop nests over operands I, W, O, shape ops, and the graph of both.

Loop dimensions use one vocabulary for every op kind (see docs/workload.md):

====  ==========================================================================
B     batch
G     groups of a grouped/depthwise conv; attention heads of a (batched) MatMul
K     output channels / output features (Gemm, MatMul N); channels of pooling
      and elementwise ops
C     reduced input channels / the reduction dim of Gemm and MatMul
OY    output rows (conv, pooling, elementwise); the M (token/row) dim of MatMul
OX    output columns
FY    kernel rows
FX    kernel columns
====  ==========================================================================

A tensor axis is an affine function of loop dims (:class:`AxisMap`), e.g. the input row of a
conv is ``iy = stride_y*OY + dilation_y*FY - pad_top``; the input channel of a grouped conv is
``ch = C_size*G + C``. Indices outside ``[0, shape)`` are padding (never data).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

DIM_NAMES: tuple[str, ...] = ("B", "G", "K", "C", "OY", "OX", "FY", "FX")
Role = Literal["I", "W", "O"]
ROLES: tuple[Role, ...] = ("I", "W", "O")
LayerKind = Literal["conv", "gemm", "pool", "elementwise", "reduction"]

DEFAULT_INPUT_BITS = 8
DEFAULT_WEIGHT_BITS = 8
DEFAULT_PARTIAL_OUTPUT_BITS = 16
DEFAULT_FINAL_OUTPUT_BITS = 8


@dataclass(frozen=True, slots=True)
class AxisMap:
    """One tensor axis as ``sum(coef * dim for dim, coef in terms) + offset``."""

    terms: tuple[tuple[str, int], ...]
    offset: int = 0

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(dim for dim, _ in self.terms)

    def span(self, ranges: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
        """Half-open index interval ``[lo, hi)`` the axis takes over half-open loop ranges."""
        lo = hi = self.offset
        for dim, coef in self.terms:
            start, stop = ranges[dim]
            a, b = coef * start, coef * (stop - 1)
            lo += min(a, b)
            hi += max(a, b)
        return lo, hi + 1

    @staticmethod
    def of(dim: str, coef: int = 1, offset: int = 0) -> AxisMap:
        return AxisMap(((dim, coef),), offset)


@dataclass(frozen=True, slots=True)
class Operand:
    """One operand of a layer: which tensor it reads or writes and how loops index it."""

    tensor: str
    axes: tuple[AxisMap, ...]
    precision_bits: int
    constant: bool = False

    @property
    def dims(self) -> frozenset[str]:
        """Loop dims this operand depends on (its relevant and partially relevant dims)."""
        return frozenset(d for axis in self.axes for d in axis.dims)


@dataclass(frozen=True, slots=True)
class Layer:
    """A compute layer: a loop nest over ``dims`` reading ``I`` (and ``W``), writing ``O``.

    ``W`` is a constant (weights) for Conv/Gemm, absent for unary ops and pooling, and a second
    activation for binary elementwise ops and activation x activation MatMuls. ``O`` carries the
    final output precision; ``partial_output_bits`` is the precision of partial sums.
    Every loop point is one MAC (or one operation for pooling/elementwise/reduction layers).
    """

    name: str
    op_type: str
    kind: LayerKind
    dims: tuple[tuple[str, int], ...]
    operands: Mapping[Role, Operand]
    partial_output_bits: int = DEFAULT_PARTIAL_OUTPUT_BITS
    source_index: int | None = None  # position of the node in the source ONNX graph
    attrs: Mapping[str, object] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[str, int]:
        return dict(self.dims)

    @property
    def dim_names(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.dims)

    @property
    def macs(self) -> int:
        return math.prod(s for _, s in self.dims)

    @property
    def reduction_dims(self) -> frozenset[str]:
        return frozenset(self.dim_names) - self.operands["O"].dims

    def operand(self, role: Role) -> Operand | None:
        return self.operands.get(role)

    def input_roles(self) -> tuple[Role, ...]:
        return tuple(r for r in ("I", "W") if r in self.operands)

    def with_sizes(self, sizes: Mapping[str, int]) -> Layer:
        """The same layer with some loop sizes replaced (a tile's shape for costing)."""
        return replace(self, dims=tuple((d, int(sizes.get(d, s))) for d, s in self.dims))


@dataclass(frozen=True, slots=True)
class ShapeOp:
    """A node that moves data but computes nothing (Reshape, Transpose, Concat, Slice, ...).

    ``attrs`` holds what is needed to map output elements back to input elements;
    :func:`fuseflow.workload.shape_ops.source_elements` does that mapping.
    """

    name: str
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, object] = field(default_factory=dict)
    source_index: int | None = None


Node = Layer | ShapeOp


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """A tensor of the graph: its shape, element precision and the node that produces it."""

    name: str
    shape: tuple[int, ...]
    precision_bits: int
    producer: str | None  # node name; None for graph inputs and constants
    constant: bool = False

    @property
    def size_bits(self) -> int:
        return math.prod(self.shape) * self.precision_bits


@dataclass(frozen=True)
class Workload:
    """A DNN as a DAG of layers and shape ops, in topological order, joined by named tensors."""

    name: str
    nodes: tuple[Node, ...]
    tensors: Mapping[str, TensorInfo]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    source: str | None = None
    warnings: tuple[str, ...] = ()  # what the importer approximated (e.g. passthrough nodes)

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Layer))

    @property
    def shape_ops(self) -> tuple[ShapeOp, ...]:
        return tuple(n for n in self.nodes if isinstance(n, ShapeOp))

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @cached_property
    def _by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    def node(self, name: str) -> Node:
        return self._by_name[name]

    def layer(self, name: str) -> Layer:
        node = self.node(name)
        if not isinstance(node, Layer):
            raise KeyError(f"{name} is a shape op, not a compute layer")
        return node

    def node_inputs(self, node: Node) -> tuple[str, ...]:
        if isinstance(node, ShapeOp):
            return node.inputs
        return tuple(node.operands[r].tensor for r in node.input_roles())

    def node_outputs(self, node: Node) -> tuple[str, ...]:
        if isinstance(node, ShapeOp):
            return node.outputs
        return (node.operands["O"].tensor,)

    def consumers(self, tensor: str) -> Iterator[Node]:
        for n in self.nodes:
            if tensor in self.node_inputs(n):
                yield n

    def producers(self, node: Node) -> tuple[Node, ...]:
        """Nodes whose outputs this node reads (graph inputs and constants excluded)."""
        names = [self.tensors[t].producer for t in self.node_inputs(node)]
        return tuple(self.node(n) for n in dict.fromkeys(names) if n is not None)
