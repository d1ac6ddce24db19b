"""Validation case files (``examples/validation/NAME/case.yaml``) and the registry of cases."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fuseflow.errors import InputError
from fuseflow.tiling.yamlfile import YamlDoc, read_yaml
from fuseflow.workload.layer import Workload
from fuseflow.workload.load import load_workload

CASE_FILE = "case.yaml"


class _CaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    title: str
    measured_latency_cycles: int = Field(gt=0)
    source: str
    hardware: str
    workload: str
    mapping: str
    prefetch_weights: bool = True
    stream_modelled_latency_cycles: int | None = None
    reference_cn_latency_cycles: dict[str, int] = {}


@dataclass(frozen=True)
class ValidationCase:
    """One published measurement and the fuseflow inputs that describe the chip and the run.

    ``reference_cn_latency_cycles`` (per layer, Stream's ZigZag per-CN latency) and
    ``stream_modelled_latency_cycles`` are for comparison only; nothing is computed from them.
    """

    name: str
    title: str
    measured_latency_cycles: int
    source: str
    folder: Path
    hardware: Path
    workload: Path
    mapping: Path
    prefetch_weights: bool = True
    stream_modelled_latency_cycles: int | None = None
    reference_cn_latency_cycles: dict[str, int] = field(default_factory=dict)

    def build_workload(self) -> Workload:
        """The case's workload: a Python file with ``build() -> Workload``, or an ONNX file."""
        if self.workload.suffix == ".py":
            return _python_workload(self.workload)
        return load_workload(self.workload)


def cases_root() -> Path:
    """``examples/validation`` of the source tree (the package is installed editable)."""
    return Path(__file__).resolve().parents[2] / "examples" / "validation"


def load_case(path: str | Path) -> ValidationCase:
    """Read a case file (or the ``case.yaml`` of a folder); paths in it are relative to it."""
    path = Path(path)
    if path.is_dir():
        path = path / CASE_FILE
    doc = read_yaml(path)
    if not isinstance(doc.data, dict):
        raise doc.error((), "a case file is a YAML mapping")
    try:
        spec = _CaseSpec.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise doc.error(loc, msg) from None
    folder = path.parent
    files = {
        k: _existing(doc, folder, k, getattr(spec, k)) for k in ("hardware", "workload", "mapping")
    }
    return ValidationCase(
        name=spec.name,
        title=spec.title,
        measured_latency_cycles=spec.measured_latency_cycles,
        source=" ".join(spec.source.split()),
        folder=folder,
        prefetch_weights=spec.prefetch_weights,
        stream_modelled_latency_cycles=spec.stream_modelled_latency_cycles,
        reference_cn_latency_cycles=dict(spec.reference_cn_latency_cycles),
        **files,
    )


def all_cases(root: str | Path | None = None) -> list[ValidationCase]:
    """Every case under ``root`` (default :func:`cases_root`), sorted by folder name."""
    base = Path(root) if root is not None else cases_root()
    if not base.is_dir():
        raise InputError("no validation cases here (run from a source checkout)", where=str(base))
    return [load_case(d) for d in sorted(base.iterdir()) if (d / CASE_FILE).is_file()]


def find_case(name: str, root: str | Path | None = None) -> ValidationCase:
    """The case called ``name`` under ``root``; an unknown name lists the known ones."""
    cases = all_cases(root)
    for case in cases:
        if case.name == name:
            return case
    names = ", ".join(c.name for c in cases)
    raise InputError(f"unknown validation case {name!r} (cases: {names})", where="--case")


def _existing(doc: YamlDoc, folder: Path, key: str, value: str) -> Path:
    p = folder / value
    if not p.is_file():
        raise doc.error((key,), f"file {value!r} not found (paths are relative to the case file)")
    return p


def _python_workload(path: Path) -> Workload:
    spec = importlib.util.spec_from_file_location(f"fuseflow_case_{path.parent.name}", path)
    if spec is None or spec.loader is None:
        raise InputError("cannot import the workload file", where=str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build: Callable[[], Workload] | None = getattr(module, "build", None)
    if build is None:
        raise InputError("a workload .py file must define build() -> Workload", where=str(path))
    return build()
