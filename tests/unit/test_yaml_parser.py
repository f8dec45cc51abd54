"""The YAML reader's parser (libyaml's when PyYAML has it) reads every shipped YAML file
into the same values, with the same line for every key, as PyYAML's pure-Python parser,
the reference (validation errors name those lines)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import econsec
from econsec.data import yamlfile

PACKAGE = Path(econsec.__file__).parent
FILES = sorted([*(PACKAGE / "data" / "scenarios").glob("*.yaml"),
                *(PACKAGE / "data" / "world").glob("*.yaml"),
                *(PACKAGE / "data" / "curated").glob("*.yaml")])


def _walk(node: yaml.Node) -> list[tuple[str, int, int]]:
    """(tag, line, column) of every node, depth first."""
    out = [(node.tag, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            out += _walk(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _walk(key) + _walk(value)
    return out


def test_files_are_found() -> None:
    assert len(FILES) >= 12


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_parser_reads_what_the_reference_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    got = yamlfile._compose(path, text)
    ref = yaml.compose(text, Loader=yaml.SafeLoader)  # PyYAML's pure-Python parser
    assert got is not None and ref is not None
    assert _walk(got) == _walk(ref)
    assert yaml.SafeLoader("").construct_document(got) == yaml.safe_load(text)


def test_nesting_deeper_than_the_bound_is_named(tmp_path: Path) -> None:
    """Flow nesting past libyaml's own limit and block nesting past ours give one error."""
    from econsec.errors import DataError

    block = "".join("  " * i + "k:\n" for i in range(70)) + "  " * 70 + "v\n"
    for name, text in (("flow.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n"),
                       ("block.yaml", block)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=f"nested deeper than {yamlfile.MAX_DEPTH} levels"):
            yamlfile._compose(path)
