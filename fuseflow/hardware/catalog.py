"""The shipped accelerator library: system and core YAML files installed with the package."""

from __future__ import annotations

from pathlib import Path

LIBRARY_DIR = Path(__file__).parent / "library"


def names() -> list[str]:
    """Systems first (``tpu_like_quad``), then cores (``cores/tpu_like``), sorted."""
    systems = sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))
    cores = sorted(f"cores/{p.stem}" for p in (LIBRARY_DIR / "cores").glob("*.yaml"))
    return systems + cores


def path_of(name: str) -> Path | None:
    """The file of a library name: a system, or a core given as ``cores/NAME`` or ``NAME``."""
    for candidate in (LIBRARY_DIR / f"{name}.yaml", LIBRARY_DIR / "cores" / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    return None
