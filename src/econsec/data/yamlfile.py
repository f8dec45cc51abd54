"""YAML with line numbers, so that validation errors can name the line of a bad key.

``load_yaml_items(path)`` returns the parsed document plus, for every mapping in it, the
1-based line of the mapping and of each of its keys.

Every YAML file econsec reads (world registries, scenarios) goes through
:func:`_compose`, which bounds what a file can make the reader do, naming the file and
line when a bound is exceeded (:class:`~econsec.errors.DataError`):

* size: at most :data:`MAX_BYTES` bytes, UTF-8 (UTF-16, latin-1 and binary files are
  named errors);
* nesting: at most :data:`MAX_DEPTH` levels of mappings/sequences (PyYAML's composer is
  recursive: 5,000 levels gave a RecursionError);
* aliases: at most :data:`MAX_ALIASES` ``*alias`` uses, and the document with every alias
  expanded at most :data:`MAX_NODES` nodes ("billion laughs": nine levels of ten aliases
  expand to 10^9 nodes from a 1 kB file);
* text: no NUL or other control character (other than tab and line breaks) in any
  scalar, e.g. from a ``"\\0"`` escape.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from econsec.errors import DataError

#: Bounds on a YAML file (see the module docstring).
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 10_000
MAX_NODES = 1_000_000


#: The parser: libyaml's (PyYAML's wheels are built with it) when present, else PyYAML's
#: pure-Python one. Both give the same events and nodes, with the same 0-based line marks;
#: libyaml reads the world's registries about ten times faster. Values are constructed by
#: PyYAML's SafeConstructor either way (the same tags, the same Python values).
PARSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _compose(path: Path, text: str | None = None) -> yaml.Node | None:
    """The node tree of *path* (of *text*, when given: the file's text already read),
    within the bounds above; a syntax error or an exceeded bound becomes a DataError with
    the file and line."""
    if text is None:
        text = _read_text(path)
    try:
        _check_events(path, text)
        loader = PARSER(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = str(getattr(exc, "problem", exc))
        if "maximum nesting depth" in problem:  # libyaml's own bound (1,000), met first
            # when its scanner reads ahead: deeper than ours either way
            raise DataError(path, f"YAML nested deeper than {MAX_DEPTH} levels",
                            line=line) from exc
        raise DataError(path, f"invalid YAML: {problem}", line=line) from exc
    if root is not None:
        _check_expansion(path, root)
    return root


#: Unicode categories Cc (C0 and C1 controls, DEL) and Cs (surrogates) except tab, LF, CR
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """The first NUL/control character of *text* other than tab, CR, LF (as ``U+0000``):
    a character of Unicode category Cc or Cs (:data:`_BAD_CHARACTER`, one regex search)."""
    m = _BAD_CHARACTER.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def _check_events(path: Path, text: str) -> None:
    """Nesting depth, alias count and control characters, from the parser's event stream
    (iterative: safe however deep the file nests)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=PARSER):
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else None
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DataError(path, f"YAML nested deeper than {MAX_DEPTH} levels", line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise DataError(path, f"more than {MAX_ALIASES:,} YAML aliases", line=line)
        elif isinstance(event, yaml.ScalarEvent):
            bad = bad_character(event.value)
            if bad is not None:
                raise DataError(path, f"control character {bad} in a value (NUL and "
                                "control characters are refused)", line=line)


def _check_expansion(path: Path, root: yaml.Node) -> None:
    """Count the nodes of the document with every alias expanded (memoised per node, so
    counting is cheap however large the expansion); DataError above :data:`MAX_NODES`."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]  # iterative post-order walk
    while stack:
        node, expanded = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not expanded and children:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > MAX_NODES:
            raise DataError(
                path, f"YAML expands to more than {MAX_NODES:,} nodes (aliases of aliases?)",
                line=node.start_mark.line + 1,
            )
        sizes[id(node)] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


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


def load_yaml_sequence(path: Path, *, key: str | None = None,
                       min_items: int = 0) -> list[Located]:
    """Read *path*: a YAML list of mappings (or a mapping whose *key* holds that list).

    Raises DataError naming the file and line on a syntax error, on a wrong shape, or when
    the list has fewer than *min_items* entries (an empty registry that cannot be empty).
    """
    root = _compose(path)
    if root is None:
        if min_items:
            raise DataError(path, f"empty file: at least {min_items} entr"
                            f"{'ies are' if min_items > 1 else 'y is'} needed", line=1)
        return []
    seq: yaml.Node = root
    if key is not None and isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if k.value == key]
        if not found:
            raise DataError(path, f"top-level key '{key}' is missing", line=1)
        seq = found[0]
    if not isinstance(seq, yaml.SequenceNode):
        raise DataError(path, "expected a list of entries", line=seq.start_mark.line + 1)
    if len(seq.value) < min_items:
        raise DataError(path, f"{len(seq.value)} entries: at least {min_items} needed",
                        line=seq.start_mark.line + 1)
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
    """The file as UTF-8 text, at most :data:`MAX_BYTES`; DataError naming the problem."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(path, f"file of {size:,} bytes is larger than the "
                            f"{MAX_BYTES:,} bytes a YAML file may have")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise DataError(path, "is a folder, not a file") from exc
    return decode_text(path, data)


def decode_text(path: Path, data: bytes) -> str:
    """*data* decoded as UTF-8 (a BOM is dropped); DataError naming the line of the first
    bad byte, with a hint for UTF-16 and binary files."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(path, "file is UTF-16 text: save it as UTF-8", line=1)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(path, "NUL byte: a binary file, or a NUL in a value (refused)",
                        line=line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x}; latin-1? "
                        "save it as UTF-8)", line=line) from None
