"""YAML with line numbers, so that validation errors can name the line of a bad key.

``load_yaml_items(path)`` returns the parsed document plus, for every mapping in it, the
1-based line of the mapping and of each of its keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from econsec.errors import DataError


def as_date(value: Any) -> dt.date:
    """An ISO date from a YAML value (YAML may already have parsed it into a date or
    datetime); ValueError when *value* is not ``YYYY-MM-DD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass
class Located:
    """A YAML mapping with the 1-based line of itself and of each key."""

    value: dict[str, Any]
    line: int
    key_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def _to_python(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    return loader.construct_object(node, deep=True)  # type: ignore[no-untyped-call]


def _construct(path: Path, node: yaml.Node, loader: yaml.SafeLoader, key: str) -> Any:
    try:
        return _to_python(node, loader)
    except (ValueError, yaml.YAMLError) as exc:
        raise DataError(path, f"bad value: {exc}", line=node.start_mark.line + 1,
                        field=key) from None


def _compose(path: Path) -> yaml.Node | None:
    """The node tree of *path*; a syntax error becomes a DataError with its line."""
    loader = yaml.SafeLoader(_read_text(path))
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DataError(path, f"invalid YAML: {getattr(exc, 'problem', exc)}", line=line) from exc
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def _located(path: Path, node: yaml.MappingNode) -> Located:
    """A mapping node as a Located value; duplicate keys are errors."""
    constructor = yaml.SafeLoader("")
    value: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for knode, vnode in node.value:
        k = str(knode.value)
        if k in value:
            raise DataError(path, "duplicate key", line=knode.start_mark.line + 1, field=k)
        value[k] = _construct(path, vnode, constructor, k)
        key_lines[k] = knode.start_mark.line + 1
    return Located(value, node.start_mark.line + 1, key_lines)


def load_yaml_sequence(path: Path, *, key: str | None = None) -> list[Located]:
    """Read *path*: a YAML list of mappings (or a mapping whose *key* holds that list).

    Raises DataError naming the file and line on a syntax error or on a wrong shape.
    """
    root = _compose(path)
    if root is None:
        return []
    seq: yaml.Node = root
    if key is not None and isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if k.value == key]
        if not found:
            raise DataError(path, f"top-level key '{key}' is missing", line=1)
        seq = found[0]
    if not isinstance(seq, yaml.SequenceNode):
        raise DataError(path, "expected a list of entries", line=seq.start_mark.line + 1)
    out: list[Located] = []
    for item in seq.value:
        if not isinstance(item, yaml.MappingNode):
            raise DataError(path, "each entry must be a mapping of key: value",
                            line=item.start_mark.line + 1)
        out.append(_located(path, item))
    return out


def load_yaml_mapping(path: Path) -> Located:
    """Read *path*: one YAML mapping, with key lines (used for scenario files)."""
    root = _compose(path)
    if not isinstance(root, yaml.MappingNode):
        raise DataError(path, "expected a mapping of key: value", line=1)
    return _located(path, root)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(path, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not UTF-8 text: {exc}") from exc
