"""YAML with the line of every key at every depth (scenario files nest mappings in lists).

:func:`load_located` returns the plain Python document and a :class:`Lines` index from a
key path such as ``("measures", 1, "intensity")`` to its 1-based line, so that schema
errors can name the file, the line and the dotted key (``measures[1].intensity``).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from econsec.data.yamlfile import _compose, _read_text  # errors -> DataError with the line
from econsec.errors import DataError

KeyPath = tuple[str | int, ...]


@dataclass
class Lines:
    """Lines of the keys of one YAML file."""

    path: Path
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, key: KeyPath) -> int | None:
        """Line of *key*, else of its nearest located parent."""
        k = key
        while k:
            if k in self.lines:
                return self.lines[k]
            k = k[:-1]
        return self.lines.get((), None)

    def error(self, key: KeyPath, message: str) -> DataError:
        """A DataError naming the file, the line and the dotted *key*."""
        return DataError(self.path, message, line=self.line(key), field=dotted(key) or None)


def dotted(key: KeyPath) -> str:
    """``("measures", 1, "goods")`` -> ``measures[1].goods``."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _walk(path: Path, node: yaml.Node, key: KeyPath, lines: dict[KeyPath, int],
          loader: yaml.SafeLoader) -> Any:
    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            k = str(knode.value)
            sub = (*key, k)
            if k in out:
                raise DataError(path, "duplicate key", line=knode.start_mark.line + 1,
                                field=dotted(sub))
            lines[sub] = knode.start_mark.line + 1
            out[k] = _walk(path, vnode, sub, lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(path, item, (*key, i), lines, loader) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)  # type: ignore[no-untyped-call]
    except (ValueError, yaml.YAMLError) as exc:
        what = "not an ISO date (YYYY-MM-DD)" if node.tag.endswith(":timestamp") else "bad value"
        raise DataError(path, f"{what}: {exc}", line=node.start_mark.line + 1,
                        field=dotted(key) or None) from None


def load_located(path: Path) -> tuple[dict[str, Any], Lines]:
    """Read *path*: one YAML mapping, with the line of every nested key.

    The file is read every time; its parse is memoised by :func:`_parsed` on the path and
    the text read (PyYAML's pure-Python parser takes ~0.15 s for a shipped scenario, and a
    brief loads the shipped scenarios ~20 times). The caller gets its own deep copy of
    the document and of the line index, so what it does with them never reaches the memo
    or another caller; an edited file has another text, hence another key (never a stale
    answer, whatever its mtime); errors are raised again on every call (never memoised).
    """
    doc, lines = _parsed(path, _read_text(path))
    return copy.deepcopy(doc), Lines(path, dict(lines))


@functools.lru_cache(maxsize=64)
def _parsed(path: Path, text: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """The document and key lines of *text*, read from *path* (memoised: treat both as
    read-only; :func:`load_located` hands out copies)."""
    root = _compose(path, text)
    if not isinstance(root, yaml.MappingNode):
        raise DataError(path, "expected a mapping of key: value", line=1)
    lines: dict[KeyPath, int] = {}
    loader = yaml.SafeLoader("")
    doc = _walk(path, root, (), lines, loader)
    return doc, lines
