"""Shipped run examples: ``examples/NAME.yaml`` files naming a workload, hardware and mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

import fuseflow
from fuseflow.errors import InputError

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when available
# A source checkout or an editable install keeps examples/ beside the package folder.
DEFAULT_EXAMPLES_DIR = Path(fuseflow.__file__).resolve().parent.parent / "examples"


def default_examples_dir() -> Path:
    """examples/ beside the package, else in the source folder pip installed from (it records
    the folder in direct_url.json for ``pip install PATH``), else the first (reported missing)."""
    if DEFAULT_EXAMPLES_DIR.is_dir():
        return DEFAULT_EXAMPLES_DIR
    source = _installed_from()
    if source is not None and (source / "examples").is_dir():
        return source / "examples"
    return DEFAULT_EXAMPLES_DIR


def _installed_from() -> Path | None:
    try:
        text = distribution("fuseflow").read_text("direct_url.json")
        url = json.loads(text or "{}").get("url", "")
    except (PackageNotFoundError, ValueError, AttributeError):
        return None
    parsed = urlparse(url)
    return Path(url2pathname(parsed.path)) if parsed.scheme == "file" else None


class _ExampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    workload: str
    hardware: str
    mapping: str | None = None
    stacks: str | None = None
    prefetch_weights: bool = False


@dataclass(frozen=True)
class Example:
    """An example with its input paths resolved (library names and zoo: specs kept as given)."""

    name: str
    description: str
    workload: str
    hardware: str
    mapping: str | None
    stacks: str | None
    prefetch_weights: bool


def list_examples(examples_dir: Path | None = None) -> list[Example]:
    folder = _folder(examples_dir)
    return [load_example(p.stem, folder) for p in sorted(folder.glob("*.yaml")) if _is_example(p)]


def load_example(name: str, examples_dir: Path | None = None) -> Example:
    folder = _folder(examples_dir)
    path = folder / f"{name}.yaml"
    if not path.is_file() or not _is_example(path):
        known = ", ".join(e.name for e in list_examples(folder))
        raise InputError(f"no example named {name!r} (examples: {known})", where="--example")
    try:
        spec = _ExampleFile.model_validate(
            yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        )
    except (ValidationError, yaml.YAMLError) as exc:
        msg = f"not a valid example file: {exc}".splitlines()[0]
        raise InputError(msg, where=str(path)) from None
    return Example(
        name=name,
        description=" ".join(spec.description.split()),
        workload=_local(folder, spec.workload),
        hardware=_local(folder, spec.hardware),
        mapping=None if spec.mapping is None else _local(folder, spec.mapping),
        stacks=spec.stacks,
        prefetch_weights=spec.prefetch_weights,
    )


def _folder(examples_dir: Path | None) -> Path:
    folder = examples_dir or default_examples_dir()
    if not folder.is_dir():
        how = (
            "pass --examples-dir PATH/TO/examples"
            if examples_dir
            else "the examples ship with the source folder, which is gone: install from a "
            "checkout (`pip install -e .`) or pass --examples-dir PATH/TO/examples"
        )
        raise InputError(f"no examples folder ({how})", where=str(folder))
    return folder


def _is_example(path: Path) -> bool:
    """Example files have a ``description`` and a ``workload``; mappings in the folder do not."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and "description" in data and "workload" in data


def _local(folder: Path, spec: str) -> str:
    """A path relative to the examples folder when such a file exists, else the spec as is."""
    candidate = folder / spec
    return str(candidate) if candidate.is_file() else spec
