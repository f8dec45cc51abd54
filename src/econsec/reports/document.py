"""The brief's document model: sections of tables and SVG figures, each with the sources
behind it. Built by :func:`econsec.reports.html.build_brief`, rendered by
:func:`econsec.reports.html.render_html` and
:func:`econsec.reports.markdown.render_markdown`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from econsec.reports.findings import Finding


@dataclass
class Figure:
    """An SVG figure and the source ids behind it (never empty: a figure has a source)."""

    key: str
    title: str
    svg: str
    sources: list[str]
    note: str = ""
    #: the labels of its axes as drawn, each with its unit in parentheses ("year",
    #: "date" and category axes excepted); empty only for a diagram without axes
    axes: list[str] = field(default_factory=list)


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Section:
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: generated key findings (the opening section), each rendered with a footnote
    findings: list[Finding] = field(default_factory=list)


@dataclass
class BriefDoc:
    title: str
    subtitle: str
    sections: list[Section]
    sources: dict[str, tuple[str, str]]  # id -> (citation, url)
    generated: str
