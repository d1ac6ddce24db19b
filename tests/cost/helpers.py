"""Hand-built layers and cores for the cost tests (no importer needed)."""

from __future__ import annotations

from fuseflow.hardware.model import Core, MemoryLevel
from fuseflow.workload.layer import AxisMap, Layer, Operand


def conv(
    name: str = "conv",
    *,
    k: int,
    c: int,
    oy: int,
    ox: int,
    fy: int = 1,
    fx: int = 1,
    stride: int = 1,
    groups: int = 1,
    b: int = 1,
    pad: int = 0,
) -> Layer:
    """A (grouped) convolution; ``k`` and ``c`` are per group; depthwise = groups=ch, k=c=1."""
    dims = [("B", b)] + ([("G", groups)] if groups > 1 else [])
    dims += [("K", k), ("C", c), ("OY", oy), ("OX", ox), ("FY", fy), ("FX", fx)]
    ch_in = AxisMap((("G", c), ("C", 1))) if groups > 1 else AxisMap.of("C")
    ch_out = AxisMap((("G", k), ("K", 1))) if groups > 1 else AxisMap.of("K")
    w_axes = (AxisMap.of("G"),) if groups > 1 else ()
    operands = {
        "I": Operand(
            "x",
            (
                AxisMap.of("B"),
                ch_in,
                AxisMap((("OY", stride), ("FY", 1)), -pad),
                AxisMap((("OX", stride), ("FX", 1)), -pad),
            ),
            8,
        ),
        "W": Operand(
            "w",
            (*w_axes, AxisMap.of("K"), AxisMap.of("C"), AxisMap.of("FY"), AxisMap.of("FX")),
            8,
            constant=True,
        ),
        "O": Operand("y", (AxisMap.of("B"), ch_out, AxisMap.of("OY"), AxisMap.of("OX")), 8),
    }
    return Layer(name, "Conv", "conv", tuple(dims), operands)


def gemm(name: str = "gemm", *, m: int, k: int, n: int, constant: bool = True) -> Layer:
    """O[M, N] += I[M, K] * W[K, N] as O[OY, K] += I[OY, C] * W[C, K]."""
    dims = (("B", 1), ("K", n), ("C", k), ("OY", m))
    operands = {
        "I": Operand("x", (AxisMap.of("OY"), AxisMap.of("C")), 8),
        "W": Operand("w", (AxisMap.of("C"), AxisMap.of("K")), 8, constant=constant),
        "O": Operand("y", (AxisMap.of("OY"), AxisMap.of("K")), 8),
    }
    return Layer(name, "Gemm" if constant else "MatMul", "gemm", dims, operands)


def maxpool(name: str = "pool", *, ch: int, oy: int, ox: int, f: int, stride: int) -> Layer:
    dims = (("B", 1), ("K", ch), ("OY", oy), ("OX", ox), ("FY", f), ("FX", f))
    operands = {
        "I": Operand(
            "x",
            (
                AxisMap.of("B"),
                AxisMap.of("K"),
                AxisMap((("OY", stride), ("FY", 1))),
                AxisMap((("OX", stride), ("FX", 1))),
            ),
            8,
        ),
        "O": Operand(
            "y", (AxisMap.of("B"), AxisMap.of("K"), AxisMap.of("OY"), AxisMap.of("OX")), 8
        ),
    }
    return Layer(name, "MaxPool", "pool", dims, operands, partial_output_bits=8)


def add(name: str = "add", *, ch: int, oy: int, ox: int) -> Layer:
    axes = (AxisMap.of("B"), AxisMap.of("K"), AxisMap.of("OY"), AxisMap.of("OX"))
    dims = (("B", 1), ("K", ch), ("OY", oy), ("OX", ox))
    operands = {"I": Operand("a", axes, 8), "W": Operand("b", axes, 8), "O": Operand("y", axes, 8)}
    return Layer(name, "Add", "elementwise", dims, operands, partial_output_bits=8)


def mem(
    name: str,
    size_bits: int,
    bw: int,
    r_pj: float,
    w_pj: float,
    operands: str,
    served: tuple[str, ...] = (),
    *,
    ports: tuple[int, int, int] = (1, 1, 0),
    min_bits: int = 0,
) -> MemoryLevel:
    return MemoryLevel(
        name, size_bits, bw, bw, r_pj, w_pj, frozenset(operands.split(",")), served,
        read_ports=ports[0], write_ports=ports[1], read_write_ports=ports[2],
        min_read_bits=min_bits, min_write_bits=min_bits,
    )  # fmt: skip


def tpu_like(sram_bits: int = 16_777_216, sram_bw: int = 2048) -> Core:
    """Stream's tpu_like core: 32x32 array, K on D1, C on D2."""
    return Core(
        "tpu_like",
        (("D1", 32), ("D2", 32)),
        (("D1", (("K", 32),)), ("D2", (("C", 32),))),
        (
            mem("rf_128B", 1024, 8, 0.095, 0.095, "W"),
            mem("rf_2B", 16, 16, 0.021, 0.021, "O", ("D2",), ports=(2, 2, 0)),
            mem("sram_2MB", sram_bits, sram_bw, 416.16, 378.4, "I,W,O", ("D1", "D2"), min_bits=64),
        ),
        0.04,
    )


def meta_prototype() -> Core:
    """Stream's meta_prototype core: 32x2x4x4 array."""
    return Core(
        "meta_prototype",
        (("D1", 32), ("D2", 2), ("D3", 4), ("D4", 4)),
        (
            ("D1", (("K", 32),)),
            ("D2", (("C", 2),)),
            ("D3", (("OX", 4),)),
            ("D4", (("OY", 4),)),
        ),
        (
            mem("rf_1B", 8, 8, 0.01, 0.01, "W", ("D3", "D4")),
            mem("rf_2B", 16, 16, 0.02, 0.02, "O", ("D2",), ports=(2, 2, 0)),
            mem("sram_64KB", 524288, 512, 26.56, 30.8, "W", ("D1", "D2", "D3", "D4"), min_bits=64),
            mem("sram_32KB", 262144, 256, 13.28, 15.4, "I", ("D1", "D2", "D3", "D4"), min_bits=64),
            mem(
                "sram_1MB_A",
                8388608,
                1024,
                208.08,
                189.2,
                "I,O",
                ("D1", "D2", "D3", "D4"),
                min_bits=64,
            ),
            mem(
                "sram_1MB_W",
                8388608,
                1024,
                208.08,
                189.2,
                "W",
                ("D1", "D2", "D3", "D4"),
                min_bits=64,
            ),
        ),
        0.04,
    )
