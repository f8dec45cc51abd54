"""The scenario files shipped in the package (``econsec/data/scenarios/*.yaml``): their
folder, names and paths. A name that is not a shipped file stem is unknown, so no name
reaches another file."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

#: a scenario's name (and a shipped file's stem)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,79}$")


def scenarios_dir() -> Path:
    """Folder of the scenarios shipped in the package."""
    return Path(str(resources.files("econsec.data") / "scenarios"))


def scenario_names() -> list[str]:
    folder = scenarios_dir()
    return sorted(p.stem for p in folder.glob("*.yaml") if NAME_RE.match(p.stem))


def shipped_path(name: str) -> Path:
    """The file of shipped scenario *name*; KeyError (with close names) if unknown."""
    names = scenario_names()
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown scenario '{name}'{hint}; see `econsec scenarios list`")
    return scenarios_dir() / f"{name}.yaml"
