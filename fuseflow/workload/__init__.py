"""Workload front end: layers as loop nests, ONNX import, builders and the model zoo."""
