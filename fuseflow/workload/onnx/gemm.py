"""ONNX Gemm and MatMul as gemm layers ``O[B,G,OY,K] += I[B,G,OY,C] * W[B,G,C,K]``."""

from __future__ import annotations

from fuseflow.workload import ops
from fuseflow.workload.layer import Node
from fuseflow.workload.onnx.graph import NodeView
from fuseflow.workload.ops import ShapeMismatch


def convert_gemm(n: NodeView) -> list[Node]:
    """Gemm (transA/transB honoured; the bias C and alpha/beta cost nothing here) or MatMul."""
    a, b, y = n.ref(0), n.ref(1), n.out()
    trans_a = bool(n.integer("transA", 0)) if n.op_type == "Gemm" else False
    trans_b = bool(n.integer("transB", 0)) if n.op_type == "Gemm" else False
    try:
        layer = ops.matmul(
            n.name, a, b, y, trans_a=trans_a, trans_b=trans_b, prec=n.precisions,
            op_type=n.op_type,
        )  # fmt: skip
    except ShapeMismatch as exc:
        raise n.unsupported(str(exc)) from None
    return [layer]


CONVERTERS = {"Gemm": convert_gemm, "MatMul": convert_gemm}
