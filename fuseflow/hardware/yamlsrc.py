"""YAML reading with a line per key path, duplicate-key detection and located problem lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fuseflow.errors import InputError

KeyPath = tuple[str | int, ...]
# libyaml's parser when PyYAML has it (30x faster; same nodes and line marks)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Source:
    """A parsed YAML document with the line of every key path (1-based) and its duplicate keys."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)

    def line(self, key_path: Sequence[str | int]) -> int | None:
        """Line of the longest prefix of ``key_path`` that has a recorded line."""
        kp = tuple(key_path)
        while kp:
            if kp in self.lines:
                return self.lines[kp]
            kp = kp[:-1]
        return self.lines.get((), None)

    def where(self, key_path: Sequence[str | int]) -> str:
        """``file:line: key.path`` for a problem report."""
        line = self.line(key_path)
        loc = f"{self.path}:{line}" if line is not None else str(self.path)
        return f"{loc}: {format_path(key_path)}" if key_path else loc


def format_path(key_path: Iterable[str | int]) -> str:
    out = ""
    for part in key_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_yaml(path: Path) -> Source:
    """Parse ``path``; bad syntax or a missing file raise a located :class:`InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file ({exc})", where=str(path)) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}", where=where) from None
    src = Source(path, None)
    if node is None:
        raise InputError("the file is empty", where=str(path))
    src.lines[()] = node.start_mark.line + 1
    src.data = _convert(node, (), src, SafeConstructor())
    return src


def _convert(node: Node, kp: KeyPath, src: Source, ctor: SafeConstructor) -> Any:
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                ctor.construct_object(key_node, deep=True)
                if isinstance(key_node, ScalarNode)
                else None
            )
            key = str(key) if isinstance(key, (int, float, bool)) else key
            if not isinstance(key, str):
                key = str(key)
            sub = (*kp, key)
            if key in out:
                src.duplicates.append((sub, key_node.start_mark.line + 1))
            src.lines[sub] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, sub, src, ctor)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            src.lines[(*kp, i)] = item.start_mark.line + 1
            items.append(_convert(item, (*kp, i), src, ctor))
        return items
    return ctor.construct_object(node, deep=True)


class Problems:
    """Collects located problems; :meth:`raise_if_any` turns them into one InputError.

    Problems are reported grouped by file and in line order, one per line.
    """

    def __init__(self) -> None:
        self.items: list[str] = []
        self._keys: list[tuple[str, int]] = []

    def add(self, src: Source | None, key_path: Sequence[str | int], message: str) -> None:
        if src is None:
            self.note(f"{format_path(key_path)}: {message}")
        else:
            line = src.line(key_path) or 0
            self.note(f"{src.where(key_path)}: {message}", (str(src.path), line))

    def note(self, text: str, key: tuple[str, int] = ("", 0)) -> None:
        """A problem already formatted (e.g. another file's InputError)."""
        self.items.append(text)
        self._keys.append(key)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            order = sorted(range(len(self.items)), key=lambda i: self._keys[i])
            unique = list(dict.fromkeys(self.items[i] for i in order))
            raise InputError("\n".join(unique))
