"""The on-disk cost cache: one JSON file per content key, shared by runs and processes."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
import threading
from dataclasses import asdict, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from fuseflow.cost.result import CostResult, EnergyPart, LevelLoops, Mapping
from fuseflow.hardware.model import Core, Dram
from fuseflow.workload.layer import Layer

ENV_VAR = "FUSEFLOW_CACHE_DIR"
_TMP_COUNTER = itertools.count()


def default_cache_dir() -> Path:
    """``$FUSEFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/fuseflow``, else ``~/.cache/fuseflow``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "fuseflow"


def layer_key(layer: Layer) -> str:
    """What of a layer the cost depends on: loop sizes, operand relations and precisions
    (not its name, tensor names or position in the model)."""
    operands = tuple(
        (role, tuple((a.terms, a.offset) for a in op.axes), op.precision_bits, op.constant)
        for role, op in sorted(layer.operands.items())
    )
    return repr((layer.kind, layer.dims, operands, layer.partial_output_bits))


def core_key(core: Core, dram: Dram) -> str:
    """A hash of the core description (its name left out) and of the DRAM it streams from
    (memoised: descriptions are immutable)."""
    return _core_key(core, dram)


@lru_cache(maxsize=256)
def _core_key(core: Core, dram: Dram) -> str:
    fields = asdict(core)
    fields.pop("name")
    for m in fields["memories"]:
        m["operands"] = sorted(m["operands"])
    text = json.dumps([fields, asdict(dram)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def entry_key(layer_text: str, core_hash: str, version: str) -> str:
    return hashlib.sha256(f"{version}|{core_hash}|{layer_text}".encode()).hexdigest()


class CostCache:
    """Cost results in ``root/<key[:2]>/<key>.json``; writes go through a temporary file and an
    atomic rename, so concurrent writers never leave a torn file (the same key gets the same
    content from any writer, so the last rename winning is harmless)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._folders: set[str] = set()  # shard folders known to exist (saves a mkdir per put)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CostResult | None:
        try:
            text = self._path(key).read_text()
        except OSError:  # missing, or a folder we may not read
            return None
        try:
            return result_from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError):
            return None  # a file from an incompatible writer: recompute and overwrite it

    def put(self, key: str, result: CostResult) -> None:
        """Store a result; a folder that cannot be written only costs the speed-up."""
        folder = os.path.join(self.root, key[:2])
        data = json.dumps(result_to_dict(result)).encode()
        tmp = self._open_temporary(folder)
        if tmp is None:
            return
        fd, tmp_path = tmp
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp_path, os.path.join(folder, f"{key}.json"))
        except OSError:  # e.g. a full disk: leave no partial file, keep the result
            Path(tmp_path).unlink(missing_ok=True)
        except BaseException:
            Path(tmp_path).unlink(missing_ok=True)
            raise

    def _open_temporary(self, folder: str) -> tuple[int, str] | None:
        """A new temporary file in ``folder`` (made if needed), named by process, thread and
        a counter; None if the folder cannot be written."""
        name = f".tmp-{os.getpid()}-{threading.get_ident()}-{next(_TMP_COUNTER)}.json"
        path = os.path.join(folder, name)
        for attempt in range(2):
            if folder not in self._folders or attempt:
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError:
                    return None
                self._folders.add(folder)
            try:
                return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), path
            except FileNotFoundError:  # the folder was removed since: make it again
                continue
            except FileExistsError:  # left by a crashed process with the same id
                try:
                    return tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
                except OSError:
                    return None
            except OSError:
                return None
        return None


def result_to_dict(r: CostResult) -> dict[str, Any]:
    """``dataclasses.asdict(r)`` (same keys, order and values), without its deep copying."""
    m = r.mapping
    mapping = None
    if m is not None:
        mapping = {
            "spatial": m.spatial,
            "loop_order": m.loop_order,
            "levels": [
                {"operand": lv.operand, "level": lv.level, "loops": lv.loops} for lv in m.levels
            ],
        }
    out: dict[str, Any] = {k: getattr(r, k) for k in _FIELDS}
    out["memory_energy"] = [
        {"operand": p.operand, "level": p.level, "energy_pj": p.energy_pj} for p in r.memory_energy
    ]
    out["mapping"] = mapping
    return out


def result_from_dict(d: dict[str, Any]) -> CostResult:
    """The inverse of ``dataclasses.asdict`` on a :class:`CostResult` read back from JSON."""
    m = d["mapping"]
    mapping = None
    if m is not None:
        mapping = Mapping(
            spatial=_pairs(m["spatial"]),
            loop_order=_pairs(m["loop_order"]),
            levels=tuple(
                LevelLoops(lv["operand"], lv["level"], _pairs(lv["loops"])) for lv in m["levels"]
            ),
        )
    return CostResult(
        **{k: d[k] for k in _SCALARS},
        memory_energy=tuple(EnergyPart(**p) for p in d["memory_energy"]),
        top_footprint_bits=tuple((r, int(b)) for r, b in d["top_footprint_bits"]),
        streamed_operands=tuple(d["streamed_operands"]),
        mapping=mapping,
    )


def _pairs(items: list[list[Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((str(a), int(b)) for a, b in items)


_SCALARS = (
    "core",
    "macs",
    "latency_cycles",
    "ideal_cycles",
    "stall_cycles",
    "onload_cycles",
    "offload_cycles",
    "energy_pj",
    "mac_energy_pj",
    "spatial_utilization",
    "utilization",
    "dram_bw_bits",
    "dram_energy_pj",
)
_FIELDS = tuple(f.name for f in fields(CostResult))
