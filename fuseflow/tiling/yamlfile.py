"""Reading a YAML file with the line of every key, for located error messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fuseflow.errors import InputError

KeyPath = tuple[str | int, ...]
# libyaml's parser when PyYAML has it (30x faster; same nodes and line marks)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data plus the 1-based line of each key path."""

    data: Any
    lines: dict[KeyPath, int]
    source: str
    duplicates: tuple[KeyPath, ...] = ()  # keys given twice (only when allowed; last one wins)

    def where(self, path: Sequence[str | int]) -> str:
        """``file:line: key.path`` for the longest prefix of ``path`` with a known line."""
        path = tuple(path)
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        loc = f"{self.source}:{line}" if line is not None else self.source
        return f"{loc}: {format_path(path)}" if path else loc

    def error(self, path: Sequence[str | int], message: str) -> InputError:
        return InputError(message, where=self.where(path))


def format_path(path: Sequence[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def read_yaml(path: str | Path, *, allow_duplicates: bool = False) -> YamlDoc:
    """Parse ``path``; syntax errors and duplicate keys become located InputErrors.

    With ``allow_duplicates`` a key given twice keeps its last value (as PyYAML does) and is
    listed in ``YamlDoc.duplicates`` instead.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", where=str(path)) from None
    return parse_yaml(text, str(path), allow_duplicates=allow_duplicates)


def parse_yaml(text: str, source: str, *, allow_duplicates: bool = False) -> YamlDoc:
    loader = _LOADER(text)
    dups: list[KeyPath] | None = [] if allow_duplicates else None
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _walk(loader, node, (), lines, source, dups)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"invalid YAML: {exc.problem or exc}", where=f"{source}{line}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", where=source) from None
    finally:
        loader.dispose()
    return YamlDoc(data, lines, source, tuple(dups or ()))


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    src: str,
    dups: list[KeyPath] | None,
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                key = str(key)
            if key in seen and dups is not None:
                dups.append((*path, key))
            elif key in seen:
                where = f"{src}:{key_node.start_mark.line + 1}: {format_path((*path, key))}"
                raise InputError("duplicate key", where=where)
            seen.add(key)
            _walk(loader, value_node, (*path, key), lines, src, dups)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(loader, item, (*path, i), lines, src, dups)
