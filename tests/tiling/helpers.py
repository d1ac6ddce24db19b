"""Tiny workloads and accelerators built directly from the contract types, for tiling tests."""

from __future__ import annotations

from collections.abc import Sequence

from fuseflow.hardware.model import Accelerator, Core, Dram, MemoryLevel
from fuseflow.tiling.spec import LayerMapping, MappingSpec, TileLoop
from fuseflow.workload.layer import AxisMap, Layer, Operand, ShapeOp, TensorInfo, Workload


class Net:
    """Builds a Workload layer by layer; tensors are NCHW (or 2-D for gemm)."""

    def __init__(self, name: str = "net") -> None:
        self.name = name
        self.nodes: list[Layer | ShapeOp] = []
        self.tensors: dict[str, TensorInfo] = {}
        self.inputs: list[str] = []

    def _tensor(self, name: str, shape: Sequence[int], producer: str | None, const=False) -> str:
        self.tensors[name] = TensorInfo(name, tuple(shape), 8, producer, const)
        return name

    def input(self, shape: Sequence[int], name: str = "x") -> str:
        self.inputs.append(name)
        return self._tensor(name, shape, None)

    def conv(
        self,
        x: str,
        k_out: int,
        kernel: tuple[int, int] = (3, 3),
        stride: tuple[int, int] = (1, 1),
        dilation: tuple[int, int] = (1, 1),
        pads: tuple[int, int, int, int] = (1, 1, 1, 1),
        group: int = 1,
        name: str | None = None,
    ) -> str:
        """pads = (top, left, bottom, right) as in ONNX."""
        b, c_in, h, w = self.tensors[x].shape
        name = name or f"conv{len(self.nodes)}"
        fy, fx = kernel
        oy = (h + pads[0] + pads[2] - dilation[0] * (fy - 1) - 1) // stride[0] + 1
        ox = (w + pads[1] + pads[3] - dilation[1] * (fx - 1) - 1) // stride[1] + 1
        k, c = k_out // group, c_in // group
        dims = [("B", b)] + ([("G", group)] if group > 1 else []) + [("K", k), ("C", c)]
        dims += [("OY", oy), ("OX", ox), ("FY", fy), ("FX", fx)]

        def ch(inner: str, size: int) -> AxisMap:
            return AxisMap((("G", size), (inner, 1))) if group > 1 else AxisMap.of(inner)

        iy = AxisMap((("OY", stride[0]), ("FY", dilation[0])), -pads[0])
        ix = AxisMap((("OX", stride[1]), ("FX", dilation[1])), -pads[1])
        w_t = self._tensor(f"{name}.w", (k_out, c, fy, fx), None, const=True)
        y = self._tensor(f"{name}.y", (b, k_out, oy, ox), name)
        ops = {
            "I": Operand(x, (AxisMap.of("B"), ch("C", c), iy, ix), 8),
            "W": Operand(
                w_t, (ch("K", k), AxisMap.of("C"), AxisMap.of("FY"), AxisMap.of("FX")), 8, True
            ),
            "O": Operand(y, (AxisMap.of("B"), ch("K", k), AxisMap.of("OY"), AxisMap.of("OX")), 8),
        }
        self.nodes.append(
            Layer(name, "Conv", "conv", tuple(dims), ops, source_index=len(self.nodes))
        )
        return y

    def add(self, a: str, b: str, name: str | None = None) -> str:
        shape = self.tensors[a].shape
        name = name or f"add{len(self.nodes)}"
        y = self._tensor(f"{name}.y", shape, name)
        names = ("B", "K", "OY", "OX")
        axes = tuple(AxisMap.of(d) for d in names)
        ops = {"I": Operand(a, axes, 8), "W": Operand(b, axes, 8), "O": Operand(y, axes, 8)}
        dims = tuple(zip(names, shape, strict=True))
        self.nodes.append(
            Layer(name, "Add", "elementwise", dims, ops, source_index=len(self.nodes))
        )
        return y

    def shape_op(self, op_type: str, inputs: Sequence[str], shape: Sequence[int], **attrs) -> str:
        name = f"{op_type.lower()}{len(self.nodes)}"
        y = self._tensor(f"{name}.y", shape, name)
        self.nodes.append(ShapeOp(name, op_type, tuple(inputs), (y,), attrs, len(self.nodes)))
        return y

    def split(self, x: str, axis: int, sizes: Sequence[int]) -> list[str]:
        """An ONNX Split of ``x`` along ``axis`` into parts of ``sizes``."""
        name = f"split{len(self.nodes)}"
        outs = []
        for i, size in enumerate(sizes):
            shape = list(self.tensors[x].shape)
            shape[axis] = size
            outs.append(self._tensor(f"{name}.y{i}", shape, name))
        attrs = {"axis": axis, "splits": tuple(sizes)}
        self.nodes.append(ShapeOp(name, "Split", (x,), tuple(outs), attrs, len(self.nodes)))
        return outs

    def gemm(self, x: str, n_out: int, name: str | None = None) -> str:
        m, c = self.tensors[x].shape
        name = name or f"gemm{len(self.nodes)}"
        w_t = self._tensor(f"{name}.w", (c, n_out), None, const=True)
        y = self._tensor(f"{name}.y", (m, n_out), name)
        ops = {
            "I": Operand(x, (AxisMap.of("OY"), AxisMap.of("C")), 8),
            "W": Operand(w_t, (AxisMap.of("C"), AxisMap.of("K")), 8, True),
            "O": Operand(y, (AxisMap.of("OY"), AxisMap.of("K")), 8),
        }
        dims = (("OY", m), ("K", n_out), ("C", c))
        self.nodes.append(Layer(name, "Gemm", "gemm", dims, ops, source_index=len(self.nodes)))
        return y

    def build(self, outputs: Sequence[str] | None = None) -> Workload:
        if outputs is None:
            outputs = [
                self.nodes[-1].outputs[0]
                if isinstance(self.nodes[-1], ShapeOp)
                else self.nodes[-1].operands["O"].tensor
            ]
        return Workload(
            self.name, tuple(self.nodes), dict(self.tensors), tuple(self.inputs), tuple(outputs)
        )


def memory(name: str, size_bits: int, operands: str) -> MemoryLevel:
    return MemoryLevel(name, size_bits, 64, 64, 1.0, 1.0, frozenset(operands))  # type: ignore[arg-type]


def core(name: str, weights_bits: int = 1 << 20, kind: str = "compute") -> Core:
    mems = (memory("rf", 1024, "IO"), memory("sram", weights_bits, "IWO"))
    return Core(
        name,
        (("D1", 4), ("D2", 4)),
        (("D1", (("K", 4),)), ("D2", (("C", 4),))),
        mems,
        1.0,
        kind=kind,
    )


def simd_core(name: str) -> Core:
    return Core(
        name,
        (("D1", 4),),
        (("D1", (("K", 4),)),),
        (memory("sram", 1 << 16, "IO"),),
        1.0,
        kind="simd",
    )


def accelerator(n_cores: int = 4, weights_bits: int = 1 << 20) -> Accelerator:
    cores = (*tuple(core(f"core{i}", weights_bits) for i in range(n_cores)), simd_core("simd"))
    return Accelerator("acc", cores, Dram("dram", 1 << 40, 64, 64, 64.0, 64.0))


def spec(
    wl: Workload,
    tiling: dict[str, Sequence[TileLoop]] | None = None,
    split: dict[str, Sequence[tuple[str, int]]] | None = None,
    stacks: Sequence[Sequence[str]] | None = None,
    cores: tuple[int, ...] = (0, 1, 2, 3),
    priority: str = "depth_first",
) -> MappingSpec:
    """A resolved mapping: every layer in one fused stack, tiled as given (default one row)."""
    names = [layer.name for layer in wl.layers]
    explicit = tiling is not None  # tilings given here apply even to a layer alone
    tiling = tiling if tiling is not None else {n: [TileLoop("OY", count=10**9)] for n in names}
    layers = {
        n: LayerMapping(
            n,
            cores,
            tiling=tuple(tiling.get(n, ())),
            split=tuple((split or {}).get(n, ())),
            tiling_explicit=explicit and n in tiling,
        )
        for n in names
    }
    return MappingSpec(layers, tuple(tuple(s) for s in (stacks or [names])), priority)  # type: ignore[arg-type]
