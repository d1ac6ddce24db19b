"""ONNX elementwise ops (unary, binary with broadcasting, n-ary chains) and unfolded BatchNorm."""

from __future__ import annotations

from fuseflow.workload import ops
from fuseflow.workload.layer import Node
from fuseflow.workload.onnx.graph import NodeView
from fuseflow.workload.ops import Ref, ShapeMismatch

UNARY = frozenset(
    [
        "Relu",
        "LeakyRelu",
        "Sigmoid",
        "HardSigmoid",
        "Tanh",
        "Gelu",
        "Erf",
        "Exp",
        "Log",
        "Sqrt",
        "Reciprocal",
        "Neg",
        "Abs",
        "Elu",
        "Selu",
        "Celu",
        "Softplus",
        "Softsign",
        "HardSwish",
        "Swish",
        "Silu",
        "Mish",
        "ThresholdedRelu",
        "Sign",
        "Floor",
        "Ceil",
        "Round",
        "Not",
        "Sin",
        "Cos",
        "Tan",
        "Asin",
        "Acos",
        "Atan",
        "Sinh",
        "Cosh",
        "IsNaN",
        "IsInf",
        "BitwiseNot",
        "Shrink",
        "Clip",
    ]
)
BINARY = frozenset(
    [
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Pow",
        "PRelu",
        "Mod",
        "Equal",
        "Less",
        "LessOrEqual",
        "Greater",
        "GreaterOrEqual",
        "And",
        "Or",
        "Xor",
        "BitShift",
        "BitwiseAnd",
        "BitwiseOr",
        "BitwiseXor",
    ]
)
VARIADIC = frozenset(["Sum", "Max", "Min", "Mean"])


def convert_elementwise(n: NodeView) -> list[Node]:
    y = n.out()
    if n.op_type in UNARY:
        refs = [n.ref(0)]  # Clip's min/max and similar extra inputs are scalars
    else:
        refs = [n.ref(i) for i in range(len(n.inputs)) if n.has_input(i)]
    try:
        if len(refs) <= 2:
            return [ops.elementwise(n.name, _activation_first(refs), y, prec=n.precisions,
                                    op_type=n.op_type)]  # fmt: skip
        return _chain(n, refs, y)
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None


def _activation_first(refs: list[Ref]) -> list[Ref]:
    """Put the activation in ``I`` and a constant in ``W`` (elementwise ops commute in data)."""
    if len(refs) == 2 and refs[0].constant and not refs[1].constant:
        return [refs[1], refs[0]]
    return refs


def _chain(n: NodeView, refs: list[Ref], y: Ref) -> list[Node]:
    """An n-ary Sum/Max/Min/Mean as a chain of binary layers ``name``, ``name#2``, ..."""
    layers: list[Node] = []
    acc = refs[0]
    for k, ref in enumerate(refs[1:], start=1):
        last = k == len(refs) - 1
        out = y if last else Ref(f"{y.name}#{k}", y.shape)
        if not last:
            n.model.shapes[out.name] = y.shape
        name = n.name if k == 1 else f"{n.name}#{k}"
        layers.append(ops.elementwise(name, [acc, ref], out, prec=n.precisions,
                                      op_type=n.op_type))  # fmt: skip
        acc = out
    return layers


def convert_batchnorm(n: NodeView) -> list[Node]:
    """A BatchNormalization not folded into a Conv: a per-channel scale and shift."""
    try:
        layer = ops.channel_affine(n.name, n.ref(0), n.ref(1), n.out(), prec=n.precisions,
                                   op_type=n.op_type)  # fmt: skip
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None
    return [layer]


CONVERTERS = {
    **{op: convert_elementwise for op in sorted(UNARY | BINARY | VARIADIC)},
    "BatchNormalization": convert_batchnorm,
}
