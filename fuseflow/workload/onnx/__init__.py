"""ONNX import: one module per op family, assembled by :func:`import_onnx`."""

from fuseflow.workload.onnx.convert import CONVERTERS, import_onnx

__all__ = ["CONVERTERS", "import_onnx"]
