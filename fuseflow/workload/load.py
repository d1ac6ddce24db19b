"""``load_workload``: one entry point for ONNX files and zoo models."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fuseflow.errors import InputError
from fuseflow.workload.layer import Workload
from fuseflow.workload.onnx import import_onnx
from fuseflow.workload.onnx.convert import UnknownOps
from fuseflow.workload.ops import Precisions
from fuseflow.workload.yaml_format import load_yaml_workload
from fuseflow.workload.zoo import parse_zoo_spec, zoo_model

ZOO_PREFIX = "zoo:"


def load_workload(
    spec: str | Path,
    *,
    unknown_ops: UnknownOps = "error",
    precisions: Precisions | None = None,
    dim_values: Mapping[str, int] | None = None,
) -> Workload:
    """Load a workload: an ``.onnx`` or ``.yaml`` path, or ``"zoo:NAME[?seq=128&batch=2]"``.

    ``precisions`` sets the default operand precisions (node attributes ``act_size``,
    ``weight_size``, ``output_size`` override them per node); ``dim_values`` fixes symbolic
    input dims by name (unset ones become 1, with a warning in ``Workload.warnings``).

    >>> load_workload("zoo:resnet18").layer("/fc/Gemm").macs
    512000
    """
    if isinstance(spec, str) and spec.startswith(ZOO_PREFIX):
        name, params = parse_zoo_spec(spec[len(ZOO_PREFIX) :])
        model = zoo_model(name).model(params)
        return import_onnx(
            spec, model=model, name=name, unknown_ops=unknown_ops, precisions=precisions,
            dim_values=dim_values,
        )  # fmt: skip
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise InputError("no such file", where=str(path))
        return load_yaml_workload(path, precisions=precisions)
    return import_onnx(path, unknown_ops=unknown_ops, precisions=precisions, dim_values=dim_values)
