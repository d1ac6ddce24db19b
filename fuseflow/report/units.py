"""Human-readable numbers for plots and tables: SI prefixes, energies in J, sizes in bytes."""

from __future__ import annotations

import math
import re

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))
_SUB = ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))


def si(value: float, unit: str = "", digits: int = 3) -> str:
    """``1234567`` -> ``'1.23 M'`` (+ unit); values below 1 get milli/micro/... prefixes."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    mag = abs(value)
    table = _PREFIXES if mag >= 1 else _SUB
    for scale, prefix in table:
        if mag >= scale or scale == table[-1][0]:
            return f"{value / scale:.{digits}g} {prefix}{unit}".strip()
    return f"{value:g} {unit}".strip()  # pragma: no cover


def energy(pj: float) -> str:
    """Energy given in pJ, shown in the best-fitting unit of joules (pJ .. J)."""
    return si(pj * 1e-12, "J")


def cycles(n: float) -> str:
    return si(n, "cycles")


def size_bits(bits: float) -> str:
    """A size given in bits, shown in B/KiB/MiB/GiB."""
    value = bits / 8
    for unit in ("B", "KiB", "MiB"):
        if abs(value) < 1024:
            return f"{value:.4g} {unit}"
        value /= 1024
    return f"{value:.4g} GiB"


def byte_scale(max_bits: float) -> tuple[float, str]:
    """(divisor from bits, unit) so that ``max_bits`` reads as a number below 1024."""
    scale, unit = 8.0, "B"
    for nxt in ("KiB", "MiB", "GiB"):
        if max_bits / scale < 1024:
            break
        scale, unit = scale * 1024, nxt
    return scale, unit


def short_layer_name(name: str, op_type: str) -> str:
    """A layer name short enough for a bar label: ``/layer4/layer4.0/conv1/Conv`` ->
    ``4.0/conv1``. Drops a part repeated by the next one, a trailing op-type part (unless it
    follows a block number) and the word before a block number."""
    parts = [p for p in name.split("/") if p]
    parts = [p for p, nxt in zip(parts, [*parts[1:], ""], strict=True) if not nxt.startswith(p)]
    if len(parts) >= 2 and parts[-1] == op_type and not _BLOCK.search(parts[-2]):
        parts = parts[:-1]
    if len(parts) >= 2:
        parts[0] = re.sub(r"^[A-Za-z_]+(?=\d+\.\d)", "", parts[0])
    return "/".join(parts) or name


_BLOCK = re.compile(r"\d+\.\d+$")
