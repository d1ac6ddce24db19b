"""Constructors of the loop nest of each op kind, shared by the ONNX importer and the builder."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fuseflow.workload.layer import (
    DEFAULT_FINAL_OUTPUT_BITS,
    DEFAULT_INPUT_BITS,
    DEFAULT_PARTIAL_OUTPUT_BITS,
    DEFAULT_WEIGHT_BITS,
    AxisMap,
    Layer,
    LayerKind,
    Operand,
)

# Loop dims of an elementwise-like op by the rank of its output tensor (DEVELOPERS.md).
ELEMENTWISE_DIMS: dict[int, tuple[str, ...]] = {
    0: (),
    1: ("K",),
    2: ("OY", "K"),
    3: ("B", "OY", "K"),
    4: ("B", "K", "OY", "OX"),
    5: ("B", "G", "K", "OY", "OX"),
}
NO_AXIS = AxisMap(())


@dataclass(frozen=True, slots=True)
class Precisions:
    """Operand precisions in bits: activations in, weights, partial sums, final outputs."""

    input_bits: int = DEFAULT_INPUT_BITS
    weight_bits: int = DEFAULT_WEIGHT_BITS
    partial_output_bits: int = DEFAULT_PARTIAL_OUTPUT_BITS
    output_bits: int = DEFAULT_FINAL_OUTPUT_BITS


DEFAULT_PRECISIONS = Precisions()


@dataclass(frozen=True, slots=True)
class Ref:
    """A tensor a layer reads or writes: its name, shape and whether it is a constant."""

    name: str
    shape: tuple[int, ...]
    constant: bool = False


class ShapeMismatch(ValueError):
    """The tensor shapes given to a layer constructor do not fit the op."""


def elementwise_dims(rank: int) -> tuple[str, ...]:
    if rank not in ELEMENTWISE_DIMS:
        raise ShapeMismatch(f"tensors of rank {rank} are not supported (at most 5)")
    return ELEMENTWISE_DIMS[rank]


def broadcast_axes(shape: Sequence[int], out_shape: Sequence[int]) -> tuple[AxisMap, ...]:
    """Axes of an input broadcast (numpy rules) to ``out_shape``; broadcast axes have no terms."""
    names = elementwise_dims(len(out_shape))
    lead = len(out_shape) - len(shape)
    if lead < 0:
        raise ShapeMismatch(f"input shape {tuple(shape)} has more axes than output {out_shape}")
    axes = []
    for j, size in enumerate(shape):
        out_size = out_shape[lead + j]
        if size == out_size:
            axes.append(AxisMap.of(names[lead + j]))
        elif size == 1:
            axes.append(NO_AXIS)
        else:
            raise ShapeMismatch(f"shape {tuple(shape)} does not broadcast to {tuple(out_shape)}")
    return tuple(axes)


def _layer(
    name: str,
    op_type: str,
    kind: LayerKind,
    dims: Sequence[tuple[str, int]],
    operands: Mapping[str, Operand],
    prec: Precisions,
    attrs: Mapping[str, object] | None = None,
) -> Layer:
    return Layer(
        name=name,
        op_type=op_type,
        kind=kind,
        dims=tuple(dims),
        operands=dict(operands),  # type: ignore[arg-type]
        partial_output_bits=prec.partial_output_bits,
        attrs=dict(attrs or {}),
    )


def _operand(ref: Ref, axes: Sequence[AxisMap], bits: int) -> Operand:
    return Operand(ref.name, tuple(axes), bits, ref.constant)


def conv(
    name: str,
    x: Ref,
    w: Ref,
    y: Ref,
    *,
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
    group: int = 1,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "Conv",
) -> Layer:
    """A 1-D or 2-D (grouped) convolution; ``pads`` in ONNX order (begins then ends, H before W).

    ``O[B, G*K+K', OY, OX] += I[B, G*C+C', sy*OY+dy*FY-pad_top, sx*OX+dx*FX-pad_left]
    * W[G*K+K', C', FY, FX]``.
    """
    nsp = len(x.shape) - 2
    if nsp not in (1, 2) or len(y.shape) != nsp + 2 or len(w.shape) != nsp + 2:
        raise ShapeMismatch(f"conv needs 1-D or 2-D NC(H)W tensors, got {x.shape}, {w.shape}")
    b, c_in = x.shape[:2]
    c_out = y.shape[1]
    if c_in % group or c_out % group or w.shape[1] * group != c_in or w.shape[0] != c_out:
        raise ShapeMismatch(f"group {group} does not fit {c_in} in / {c_out} out channels")
    k, c = c_out // group, c_in // group
    spatial = list(zip(("OY", "OX")[-nsp:], ("FY", "FX")[-nsp:], strict=True))
    dims = [("B", b)] + ([("G", group)] if group > 1 else []) + [("K", k), ("C", c)]
    dims += [(o, n) for (o, _), n in zip(spatial, y.shape[2:], strict=True)]
    dims += [(f, n) for (_, f), n in zip(spatial, w.shape[2:], strict=True)]

    def channel(inner: str, size: int) -> AxisMap:
        return AxisMap((("G", size), (inner, 1))) if group > 1 else AxisMap.of(inner)

    in_axes = [
        AxisMap(((o, strides[i]), (f, dilations[i])), -pads[i]) for i, (o, f) in enumerate(spatial)
    ]
    o_axes = [AxisMap.of(o) for o, _ in spatial]
    f_axes = [AxisMap.of(f) for _, f in spatial]
    operands = {
        "I": _operand(x, [AxisMap.of("B"), channel("C", c), *in_axes], prec.input_bits),
        "W": _operand(w, [channel("K", k), AxisMap.of("C"), *f_axes], prec.weight_bits),
        "O": _operand(y, [AxisMap.of("B"), channel("K", k), *o_axes], prec.output_bits),
    }
    attrs = {"strides": tuple(strides), "dilations": tuple(dilations), "pads": tuple(pads)}
    return _layer(name, op_type, "conv", dims, operands, prec, {**attrs, "group": group})


def conv_transpose(
    name: str,
    x: Ref,
    w: Ref,
    y: Ref,
    *,
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
    group: int = 1,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "ConvTranspose",
) -> Layer:
    """A transposed conv as a *scatter*: ``OY, OX`` run over the **input** positions.

    ``O[B, G*K+K', sy*OY+dy*FY-pad_top, sx*OX+dx*FX-pad_left] += I[B, G*C+C', OY, OX]
    * W[G*C+C', K', FY, FX]``; every loop point is a real MAC (no inserted zeros). Output
    indices outside the tensor (cropped by ``pads``) are discarded. ``attrs["scatter"]``.
    """
    nsp = len(x.shape) - 2
    if nsp not in (1, 2) or len(y.shape) != nsp + 2 or len(w.shape) != nsp + 2:
        raise ShapeMismatch(f"conv needs 1-D or 2-D NC(H)W tensors, got {x.shape}, {w.shape}")
    b, c_in = x.shape[:2]
    c_out = y.shape[1]
    if c_in % group or w.shape[0] != c_in or w.shape[1] * group != c_out:
        raise ShapeMismatch(f"group {group} does not fit {c_in} in / {c_out} out channels")
    k, c = c_out // group, c_in // group
    spatial = list(zip(("OY", "OX")[-nsp:], ("FY", "FX")[-nsp:], strict=True))
    dims = [("B", b)] + ([("G", group)] if group > 1 else []) + [("K", k), ("C", c)]
    dims += [(o, n) for (o, _), n in zip(spatial, x.shape[2:], strict=True)]
    dims += [(f, n) for (_, f), n in zip(spatial, w.shape[2:], strict=True)]

    def channel(inner: str, size: int) -> AxisMap:
        return AxisMap((("G", size), (inner, 1))) if group > 1 else AxisMap.of(inner)

    out_axes = [
        AxisMap(((o, strides[i]), (f, dilations[i])), -pads[i]) for i, (o, f) in enumerate(spatial)
    ]
    operands = {
        "I": _operand(
            x,
            [AxisMap.of("B"), channel("C", c), *[AxisMap.of(o) for o, _ in spatial]],
            prec.input_bits,
        ),
        "W": _operand(
            w,
            [channel("C", c), AxisMap.of("K"), *[AxisMap.of(f) for _, f in spatial]],
            prec.weight_bits,
        ),
        "O": _operand(y, [AxisMap.of("B"), channel("K", k), *out_axes], prec.output_bits),
    }
    attrs = {"strides": tuple(strides), "dilations": tuple(dilations), "pads": tuple(pads)}
    return _layer(name, op_type, "conv", dims, operands, prec,
                  {**attrs, "group": group, "scatter": True})  # fmt: skip


def pool(
    name: str,
    x: Ref,
    y: Ref,
    *,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "MaxPool",
) -> Layer:
    """A 2-D pooling window: ``O[B,K,OY,OX] = reduce I[B, K, sy*OY+dy*FY-pt, sx*OX+dx*FX-pl]``.

    There is no channel-reduction loop: the work is B*K*OY*OX*FY*FX operations.
    """
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise ShapeMismatch(f"pooling needs NCHW tensors, got {x.shape} -> {y.shape}")
    b, ch, oy, ox = y.shape
    fy, fx = kernel
    dims = [("B", b), ("K", ch), ("OY", oy), ("OX", ox), ("FY", fy), ("FX", fx)]
    in_axes = [
        AxisMap(((o, strides[i]), (f, dilations[i])), -pads[i])
        for i, (o, f) in enumerate((("OY", "FY"), ("OX", "FX")))
    ]
    bk = [AxisMap.of("B"), AxisMap.of("K")]
    operands = {
        "I": _operand(x, [*bk, *in_axes], prec.input_bits),
        "O": _operand(y, [*bk, AxisMap.of("OY"), AxisMap.of("OX")], prec.output_bits),
    }
    attrs = {"kernel": tuple(kernel), "strides": tuple(strides), "pads": tuple(pads)}
    return _layer(name, op_type, "pool", dims, operands, prec, attrs)


def matmul(
    name: str,
    a: Ref,
    b: Ref,
    y: Ref,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "MatMul",
) -> Layer:
    """``O[B,G,OY,K] += I[B,G,OY,C] * W[B,G,C,K]`` with numpy broadcasting of batch axes.

    Rank-1 operands follow numpy: a vector ``a`` has no OY axis, a vector ``b`` no K axis.
    """
    sa, sb = list(a.shape), list(b.shape)
    if not sa or not sb:
        raise ShapeMismatch("MatMul operands must have at least one axis")
    if trans_a and len(sa) >= 2:
        sa[-2], sa[-1] = sa[-1], sa[-2]
    if trans_b and len(sb) >= 2:
        sb[-2], sb[-1] = sb[-1], sb[-2]
    has_m, has_n = len(sa) > 1, len(sb) > 1
    m, red = (sa[-2] if has_m else 1), sa[-1]
    red_b, n = (sb[-2], sb[-1]) if has_n else (sb[-1], 1)
    if red != red_b:
        raise ShapeMismatch(f"MatMul reduction sizes differ: {a.shape} x {b.shape}")
    batch = tuple(y.shape[: len(y.shape) - int(has_m) - int(has_n)])
    if len(batch) > 2:
        raise ShapeMismatch(f"MatMul with {len(batch)} batch axes (at most 2) {y.shape}")
    batch_names = ("B", "G")[: len(batch)]
    dims = list(zip(batch_names, batch, strict=True))
    dims += ([("OY", m)] if has_m else []) + ([("K", n)] if has_n else []) + [("C", red)]
    full = _batch_maps(batch_names, batch)

    def batch_axes(shape: Sequence[int], nmat: int) -> list[AxisMap]:
        own = shape[: len(shape) - nmat]
        lead = len(batch) - len(own)
        return [full[lead + i] if s == batch[lead + i] else NO_AXIS for i, s in enumerate(own)]

    a_mat = [AxisMap.of("OY")] * has_m + [AxisMap.of("C")]
    b_mat = [AxisMap.of("C")] + [AxisMap.of("K")] * has_n
    if trans_a and has_m:
        a_mat.reverse()
    if trans_b and has_n:
        b_mat.reverse()
    o_mat = [AxisMap.of("OY")] * has_m + [AxisMap.of("K")] * has_n
    operands = {
        "I": _operand(a, batch_axes(a.shape, 1 + has_m) + a_mat, prec.input_bits),
        "W": _operand(
            b,
            batch_axes(b.shape, 1 + has_n) + b_mat,
            prec.weight_bits if b.constant else prec.input_bits,
        ),
        "O": _operand(y, full + o_mat, prec.output_bits),
    }
    return _layer(name, op_type, "gemm", dims, operands, prec)


def _batch_maps(names: Sequence[str], sizes: Sequence[int]) -> list[AxisMap]:
    return [AxisMap.of(d) for d, _ in zip(names, sizes, strict=True)]


def elementwise(
    name: str,
    inputs: Sequence[Ref],
    y: Ref,
    *,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "Add",
) -> Layer:
    """One operation per output element; the second input (if any) is ``W``; broadcasting."""
    if not 1 <= len(inputs) <= 2:
        raise ShapeMismatch(f"elementwise layers take 1 or 2 inputs, got {len(inputs)}")
    names = elementwise_dims(len(y.shape))
    dims = list(zip(names, y.shape, strict=True))
    operands = {
        "I": _operand(inputs[0], broadcast_axes(inputs[0].shape, y.shape), _bits(inputs[0], prec))
    }
    if len(inputs) == 2:
        w = inputs[1]
        operands["W"] = _operand(w, broadcast_axes(w.shape, y.shape), _bits(w, prec))
    operands["O"] = _operand(y, [AxisMap.of(d) for d in names], prec.output_bits)
    return _layer(name, op_type, "elementwise", dims, operands, prec)


def _bits(ref: Ref, prec: Precisions) -> int:
    return prec.weight_bits if ref.constant else prec.input_bits


def channel_affine(
    name: str, x: Ref, scale: Ref, y: Ref, *, prec: Precisions = DEFAULT_PRECISIONS, op_type: str
) -> Layer:
    """A per-channel (axis 1) scale and shift, e.g. an unfolded BatchNormalization."""
    names = elementwise_dims(len(y.shape))
    dims = list(zip(names, y.shape, strict=True))
    full = [AxisMap.of(d) for d in names]
    channel_axis = full[1] if len(full) > 1 else full[0]
    operands = {
        "I": _operand(x, full, prec.input_bits),
        "W": _operand(scale, [channel_axis], prec.weight_bits),
        "O": _operand(y, full, prec.output_bits),
    }
    return _layer(name, op_type, "elementwise", dims, operands, prec)


def normalisation(
    name: str,
    x: Ref,
    y: Ref,
    *,
    axes: Sequence[int],
    scale: Ref | None = None,
    scale_axes: Sequence[int] = (),
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "Softmax",
) -> Layer:
    """An op whose every output element needs the whole input along ``axes`` (Softmax, norms).

    The loop nest is elementwise over the output; ``attrs["full_input_dims"]`` names the dims
    along which one output element reads the whole input extent. ``scale`` (if any) is indexed
    by the tensor axes ``scale_axes``.
    """
    names = elementwise_dims(len(y.shape))
    dims = list(zip(names, y.shape, strict=True))
    full = [AxisMap.of(d) for d in names]
    operands = {"I": _operand(x, full, prec.input_bits)}
    if scale is not None:
        operands["W"] = _operand(scale, [full[a] for a in scale_axes], prec.weight_bits)
    operands["O"] = _operand(y, full, prec.output_bits)
    attrs = {"full_input_dims": tuple(names[a] for a in sorted(axes))}
    return _layer(name, op_type, "reduction", dims, operands, prec, attrs)


def reduce(
    name: str,
    x: Ref,
    y: Ref,
    *,
    axes: Sequence[int],
    keepdims: bool,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "ReduceMean",
) -> Layer:
    """A reduction over tensor ``axes``: loops over the input, the reduced dims are not in ``O``."""
    names = elementwise_dims(len(x.shape))
    dims = list(zip(names, x.shape, strict=True))
    out_axes = [
        (NO_AXIS if a in axes else AxisMap.of(d))
        for a, d in enumerate(names)
        if keepdims or a not in axes
    ]
    if math.prod(y.shape) != math.prod(s for a, s in enumerate(x.shape) if a not in axes):
        raise ShapeMismatch(f"reduction of {x.shape} over {tuple(axes)} cannot give {y.shape}")
    operands = {
        "I": _operand(x, [AxisMap.of(d) for d in names], prec.input_bits),
        "O": _operand(y, out_axes, prec.output_bits),
    }
    attrs = {"reduced_dims": tuple(names[a] for a in sorted(axes))}
    return _layer(name, op_type, "reduction", dims, operands, prec, attrs)


def channel_window(
    name: str,
    x: Ref,
    y: Ref,
    *,
    size: int,
    prec: Precisions = DEFAULT_PRECISIONS,
    op_type: str = "LRN",
) -> Layer:
    """A window across channels (LRN): ``O[B,K,OY,OX]`` reads channels ``K + C - (size-1)//2``."""
    if len(x.shape) != 4:
        raise ShapeMismatch(f"{op_type} needs an NCHW tensor, got {x.shape}")
    b, ch, h, w = x.shape
    dims = [("B", b), ("K", ch), ("OY", h), ("OX", w), ("C", size)]
    channel = AxisMap((("K", 1), ("C", 1)), -((size - 1) // 2))
    spatial = [AxisMap.of("OY"), AxisMap.of("OX")]
    operands = {
        "I": _operand(x, [AxisMap.of("B"), channel, *spatial], prec.input_bits),
        "O": _operand(y, [AxisMap.of("B"), AxisMap.of("K"), *spatial], prec.output_bits),
    }
    return _layer(name, op_type, "reduction", dims, operands, prec, {"size": size})
