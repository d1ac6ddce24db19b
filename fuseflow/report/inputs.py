"""What a run reads: input identities (paths, sha256), Stream-format detection and conversion."""

from __future__ import annotations

import hashlib
import platform
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fuseflow import __version__
from fuseflow.errors import InputError
from fuseflow.hardware.load import load_accelerator
from fuseflow.hardware.model import Accelerator
from fuseflow.report.schema import InputRef, RunInputs
from fuseflow.tiling.mapping import load_mapping, mapping_from_dict
from fuseflow.tiling.spec import MappingSpec
from fuseflow.workload.layer import Workload

# libyaml's safe loader when PyYAML has it (about 30x faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STACK_WORDS = {"lbl": "layer_by_layer", "layer_by_layer": "layer_by_layer", "auto": "auto"}
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def input_ref(spec: str | Path) -> InputRef:
    """The identity of one input: an existing file gets its absolute path and sha256."""
    path = Path(spec)
    if path.is_file():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return InputRef(spec=str(spec), path=str(path.resolve()), sha256=digest)
    return InputRef(spec=str(spec))


def run_inputs(
    workload: str | Path,
    hardware: str | Path,
    mapping: str | Path | None,
    *,
    stacks: str | None,
    seed: int,
    options: dict[str, Any],
) -> RunInputs:
    return RunInputs(
        workload=input_ref(workload),
        hardware=input_ref(hardware),
        mapping=None if mapping is None else input_ref(mapping),
        stacks=stacks,
        seed=seed,
        options=options,
        fuseflow_version=__version__,
        versions={"python": platform.python_version(), "numpy": np.__version__},
    )


def check_hashes(inputs: RunInputs) -> list[str]:
    """Inputs whose file changed (or vanished) since the run that recorded ``inputs``."""
    problems = []
    for role, ref in (
        ("workload", inputs.workload),
        ("hardware", inputs.hardware),
        ("mapping", inputs.mapping),
    ):
        if ref is None or ref.path is None:
            continue
        now = input_ref(ref.path)
        if now.sha256 is None:
            problems.append(f"{role} file {ref.path} no longer exists")
        elif now.sha256 != ref.sha256:
            problems.append(f"{role} file {ref.path} changed since the run (sha256 differs)")
    return problems


def read_yaml_data(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", where=str(path)) from None


def is_stream_hardware(data: Any) -> bool:
    """Stream's system YAML: integer-keyed ``cores`` plus an ``offchip_core``."""
    return (
        isinstance(data, dict)
        and "offchip_core" in data
        and isinstance(data.get("cores"), dict)
        and all(isinstance(k, int) for k in data["cores"])
    )


def is_stream_mapping(data: Any) -> bool:
    """Stream's mapping YAML: a list of entries that each have a ``name``."""
    return isinstance(data, list) and all(isinstance(e, dict) and "name" in e for e in data)


def load_hardware(spec: str | Path) -> Accelerator:
    """``load_accelerator``, converting a Stream system file through the Stream importer."""
    path = Path(spec)
    is_yaml = path.suffix.lower() in (".yaml", ".yml") and path.is_file()
    if is_yaml and is_stream_hardware(read_yaml_data(path)):
        from fuseflow.hardware.stream_import import import_stream

        converted = import_stream(path).text
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{path.stem}.yaml"
            out.write_text(converted, encoding="utf-8")
            return load_accelerator(out)
    return load_accelerator(spec)


def parse_stacks(text: str) -> str | list[dict[str, list[int]]]:
    """``"0-10,11-21"`` -> node-index ranges; ``lbl``/``layer_by_layer``/``auto`` as words."""
    word = STACK_WORDS.get(text.strip().lower())
    if word is not None:
        return word
    out = []
    for part in text.split(","):
        m = _RANGE.match(part)
        if m is None:
            raise InputError(
                f"expected ONNX node index ranges like 0-10,11-21 (or lbl, auto), got {part!r}",
                where="--stacks",
            )
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise InputError(f"range {part.strip()!r} ends before it starts", where="--stacks")
        out.append({"nodes": [lo, hi]})
    return out


def load_run_mapping(
    mapping: str | Path | None, workload: Workload, acc: Accelerator, stacks: str | None
) -> MappingSpec:
    """Our mapping file, a Stream mapping (converted), or the default mapping; ``stacks``
    (``--stacks``) replaces the file's stacks."""
    if mapping is None:
        data: Any = {"default": {"tiling": {"OY": "all"}}}
        source = "<default mapping>"
    else:
        path = Path(mapping)
        if not path.is_file():
            raise InputError("mapping file not found", where=str(mapping))
        data = read_yaml_data(path)
        source = str(path)
        if is_stream_mapping(data):
            from fuseflow.tiling.stream_import import import_stream_mapping

            data = yaml.load(import_stream_mapping(path, workload), Loader=YAML_LOADER)
        elif stacks is None:
            return load_mapping(path, workload, acc)  # keeps line numbers in errors
    if stacks is not None:
        if not isinstance(data, dict):
            raise InputError("a mapping file is a YAML mapping", where=source)
        data = {**data, "stacks": parse_stacks(stacks)}
    return mapping_from_dict(data or {}, workload, acc, source)
