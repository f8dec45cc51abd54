"""The brief as Markdown: tables as pipe tables, each figure written as an SVG file beside
the document (``<stem>_figures/<key>.svg``) and linked, with its sources under it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from econsec.reports.document import BriefDoc


def _md_cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    text = str(v)
    if isinstance(v, float):
        text = f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return text.replace("|", "\\|").replace("\n", " ")


def table_md(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_no rows_\n"
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def render_markdown(doc: BriefDoc, folder: Path, stem: str) -> str:
    """Markdown text of *doc*; figures are written to ``folder/<stem>_figures/``."""
    figdir = folder / f"{stem}_figures"
    out = [f"# {doc.title}", "", f"_{doc.subtitle}; generated {doc.generated}_", ""]
    for sec in doc.sections:
        out += [f"## {sec.title}", ""]
        if sec.intro:
            out += [sec.intro, ""]
        out += [f"> **Note.** {n}\n" for n in sec.notes]
        if sec.findings:
            out += [f"- {f.text}[^{i}]" for i, f in enumerate(sec.findings, 1)] + [""]
            out += [f"[^{i}]: " + "; ".join(
                f"[{s}] {doc.sources[s][0] if s in doc.sources else s}" for s in f.source_ids)
                for i, f in enumerate(sec.findings, 1)] + [""]
        for f in sec.figures:
            figdir.mkdir(parents=True, exist_ok=True)
            name = _SAFE.sub("_", f.key) + ".svg"
            (figdir / name).write_text(f.svg, encoding="utf-8")
            out += [f"### {f.title}", "", f"![{f.title}]({figdir.name}/{name})", "",
                    (f"{f.note}. " if f.note else "") + "Sources: " +
                    ", ".join(f"[{s}](#sources)" for s in f.sources), ""]
        for t in sec.tables:
            out += [f"### {t.title}", "", table_md(t.frame)]
    out += ["## Sources", ""]
    for sid, (citation, url) in doc.sources.items():
        link = f" <{url}>" if url.startswith(("http://", "https://")) and url not in citation \
            else ""
        out.append(f"- **[{sid}]** {citation}{link}")
    return "\n".join(out) + "\n"
