"""ONNX convolutions and pooling windows as conv / pool layers (H and W kept apart everywhere)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fuseflow.workload import ops
from fuseflow.workload.layer import Layer, Node
from fuseflow.workload.onnx.graph import NodeView
from fuseflow.workload.ops import Ref, ShapeMismatch


def window_pads(
    n: NodeView,
    in_sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    out_sizes: Sequence[int],
) -> tuple[int, ...]:
    """ONNX ``pads`` (begins then ends, one per spatial axis), resolving ``auto_pad``."""
    nsp = len(in_sizes)
    auto = str(n.attr("auto_pad", "NOTSET"))
    if auto in ("NOTSET", ""):
        pads = n.ints("pads", [0] * (2 * nsp))
        if len(pads) != 2 * nsp:
            raise n.error(f"pads {pads} must have {2 * nsp} entries")
        return pads
    if auto == "VALID":
        return (0,) * (2 * nsp)
    begins, ends = [], []
    for size, k, s, d, out in zip(in_sizes, kernel, strides, dilations, out_sizes, strict=True):
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        begins.append(small if auto == "SAME_UPPER" else big)
        ends.append(big if auto == "SAME_UPPER" else small)
    return (*begins, *ends)


def convert_conv(n: NodeView) -> list[Node]:
    x, w, y, kernel, strides, dilations = _conv_window(n)
    pads = window_pads(n, x.shape[2:], kernel, strides, dilations, y.shape[2:])
    return _conv_layer(n, ops.conv, x, w, y, strides, dilations, pads)


def convert_conv_transpose(n: NodeView) -> list[Node]:
    x, w, y, kernel, strides, dilations = _conv_window(n)
    nsp = len(x.shape) - 2
    pads = n.ints("pads", [0] * 2 * nsp)
    if str(n.attr("auto_pad", "NOTSET")) not in ("NOTSET", "") or n.attr("output_shape"):
        begins = []
        extra = n.ints("output_padding", [0] * nsp)
        for i in range(nsp):
            total = strides[i] * (x.shape[2 + i] - 1) + extra[i] + (kernel[i] - 1) * dilations[i]
            total += 1 - y.shape[2 + i]
            upper = str(n.attr("auto_pad", "SAME_UPPER")) != "SAME_LOWER"
            begins.append(total // 2 if upper else total - total // 2)
        pads = (*begins, *begins)
    return _conv_layer(n, ops.conv_transpose, x, w, y, strides, dilations, pads)


def _conv_window(n: NodeView) -> tuple[Ref, Ref, Ref, Sequence[int], Sequence[int], Sequence[int]]:
    """Input, weight and output of a (transposed) conv node; its kernel, strides, dilations."""
    x, w, y = n.ref(0), n.ref(1), n.out()
    nsp = len(x.shape) - 2
    if nsp not in (1, 2):
        raise n.unsupported(f"only 1-D and 2-D convolutions are modelled, input shape is {x.shape}")
    kernel = n.ints("kernel_shape", w.shape[2:])
    strides, dilations = n.ints("strides", [1] * nsp), n.ints("dilations", [1] * nsp)
    return x, w, y, kernel, strides, dilations


def _conv_layer(
    n: NodeView,
    make: Callable[..., Layer],
    x: Ref,
    w: Ref,
    y: Ref,
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
) -> list[Node]:
    """``make`` (ops.conv or ops.conv_transpose) on the node; shape mismatches located on it."""
    try:
        layer = make(
            n.name, x, w, y, strides=strides, dilations=dilations, pads=pads,
            group=n.integer("group", 1), prec=n.precisions, op_type=n.op_type,
        )  # fmt: skip
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None
    return [layer]


def convert_pool(n: NodeView) -> list[Node]:
    x, y = n.ref(0), n.out()
    if len(x.shape) != 4:
        raise n.unsupported(f"only 2-D pooling is modelled, input shape is {x.shape}")
    if n.op_type.startswith("Global"):
        kernel: tuple[int, ...] = x.shape[2:]
        strides: tuple[int, ...] = (1, 1)
        dilations: tuple[int, ...] = (1, 1)
        pads: tuple[int, ...] = (0, 0, 0, 0)
    else:
        kernel = n.ints("kernel_shape", ())
        if len(kernel) != 2:
            raise n.error(f"kernel_shape {kernel} must have 2 entries")
        strides, dilations = n.ints("strides", (1, 1)), n.ints("dilations", (1, 1))
        pads = window_pads(n, x.shape[2:], kernel, strides, dilations, y.shape[2:])
    layer = ops.pool(
        n.name, x, y, kernel=kernel, strides=strides, dilations=dilations, pads=pads,
        prec=n.precisions, op_type=n.op_type,
    )  # fmt: skip
    return [layer]


CONVERTERS = {
    "Conv": convert_conv,
    "ConvTranspose": convert_conv_transpose,
    **{op: convert_pool for op in ("MaxPool", "AveragePool", "LpPool")},
    **{op: convert_pool for op in ("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool")},
}
