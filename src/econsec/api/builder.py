"""The dashboard's scenario builder: validate, download and run a scenario composed in a form.

The builder sends either the scenario as a JSON document (the form's fields, the shape of a
scenario file: ``name``, ``title``, ``kind``, ``start``, ``horizon``, ``measures``,
``shocks``, ``levers``, ``parameters``) or YAML text. A JSON document is written as YAML
text (:func:`to_yaml`) and every text is validated by the one scenario loader,
:func:`econsec.policy.scenarios.load_scenario_text` (the loader of the shipped files and
of ``econsec simulate path.yaml``): there is no second schema here. The loader's
:class:`~econsec.errors.DataError` names the dotted key (``measures[0].intensity``) and
the line; the API answers 422 with that ``field`` (which the form maps to its input) and
``line``. On success the answer is the *normalised* YAML (keys in the file order of
``docs/scenarios.md``, form fields left empty dropped, dates as dates), which loads with
the same loader again and with ``econsec simulate``.

Every problem at once: the loader stops at its first error, so the builder reports it,
sets the part in error aside (the list entry — ``measures[2]``, ``shocks[0]``,
``levers.stockpile[1]`` —, the parameter, or a required top-level value replaced by a
valid stand-in) and loads again, until the rest loads or :data:`MAX_PROBLEMS` problems are
found (:func:`problems`). The 422 answer lists them all, each with its field, its line
and its message; an entry's second problem shows once the first is fixed.

Rules of the builder on top of the loader (bounds, not schema): the scenario is
``kind: forward`` (replays ship with their documented outcomes), its name is not a shipped
scenario's, its horizon is within the server's ``max_horizon_days``, and the text is at
most :data:`MAX_YAML_CHARS` characters with at most :data:`MAX_ENTRIES` entries per list.
YAML text with anchors or aliases (a "billion laughs" expansion) or nested deeper than
:data:`MAX_DEPTH` is refused before it is composed.

A built scenario runs like a shipped one: the same worker processes
(:class:`econsec.api.jobs.JobManager`, given the normalised text), the same runner and the
same run store (the stored run keeps the text, so ``econsec runs rerun`` re-runs it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from fastapi import Body, FastAPI, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from econsec.errors import DataError
from econsec.policy.yamlpath import dotted

if TYPE_CHECKING:
    from econsec.api.jobs import Job, JobManager
    from econsec.api.security import Limits
    from econsec.data.world import World
    from econsec.policy.scenarios import Scenario

#: longest scenario text the builder takes (characters; the body cap is 16 KiB)
MAX_YAML_CHARS = 12_000
#: most entries in any list of the scenario (measures, shocks, each lever's list)
MAX_ENTRIES = 40
#: deepest nesting of mappings and lists (a scenario file needs 4)
MAX_DEPTH = 8
#: most problems one validation reports (each costs one more load of the scenario)
MAX_PROBLEMS = 20
#: keys whose string value the form gives as an ISO date (written as a YAML date)
DATE_KEYS = frozenset({"start", "end", "effective", "lifted", "announced"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BuildError(ValueError):
    """A builder input the loader (or a builder bound) refuses: *field* is the dotted key
    (``measures[0].intensity``; ``""`` for the whole scenario), *line* the line in the text
    validated, *source* ``scenario`` (the JSON document) or ``yaml`` (the text)."""

    def __init__(self, field: str, message: str, line: int | None = None,
                 source: str = "scenario", status: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.line = field, message, line
        self.source, self.status = source, status

    def detail(self) -> list[dict[str, Any]]:
        loc: list[Any] = ["body", self.source] + ([self.field] if self.field else [])
        return [{"loc": loc, "msg": self.message, "type": "value_error",
                 "field": self.field, "line": self.line}]


class BuildErrors(BuildError):
    """Several problems of one built scenario (:func:`problems`), answered together."""

    def __init__(self, problems: list[BuildError]) -> None:
        first = problems[0]
        super().__init__(first.field, first.message, first.line, first.source,
                         max(p.status for p in problems))
        self.problems = problems

    def detail(self) -> list[dict[str, Any]]:
        return [d for p in self.problems for d in p.detail()]


class BuildRequest(BaseModel):
    """A scenario from the builder: the form's JSON document or YAML text (one of them)."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] | None = Field(None, description="the scenario as a JSON "
                                            "document with the keys of a scenario file")
    yaml: StrictStr | None = Field(None, max_length=MAX_YAML_CHARS,
                                   description="the scenario as YAML text")


class BuildRunRequest(BuildRequest):
    """POST /api/builder/runs: a built scenario, Monte Carlo runs and seed."""

    runs: StrictInt = Field(50, ge=1, le=2000, description="Monte Carlo draws")
    seed: StrictInt = Field(0, ge=0, le=2**32 - 1)


# ----- the document and its text -----------------------------------------------------------

def _clean(value: Any, key: str = "") -> Any:
    """A form document without the fields left empty (None, "", [] and {} mean "not
    given"); ISO date strings at :data:`DATE_KEYS` as dates."""
    if isinstance(value, dict):
        out = {str(k): _clean(v, str(k)) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_clean(x) for x in value) if v not in (None, "", [], {})]
    if key in DATE_KEYS and isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value  # the loader names the field: not an ISO date
    if isinstance(value, str):
        return value.strip()
    return value


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys in the order of a scenario file; unknown keys last (the loader
    names them)."""
    from econsec.policy.scenarios import TOP_OPTIONAL, TOP_REQUIRED

    order = [*TOP_REQUIRED, "step", "as_of_year", "description", *TOP_OPTIONAL]
    known = [k for k in dict.fromkeys(order) if k in doc]
    return {k: doc[k] for k in [*known, *(k for k in doc if k not in known)]}


def to_yaml(doc: dict[str, Any]) -> str:
    """*doc* as scenario YAML text (block mappings, short lists in flow style)."""
    text: str = yaml.safe_dump(_ordered(doc), sort_keys=False, default_flow_style=None,
                               allow_unicode=True, width=88)
    return text


def _depth(value: Any) -> int:
    """Nesting depth of a JSON document (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def check_text(text: str, source: str) -> None:
    """Refuse YAML text that is too long, has anchors, aliases or tags, or is nested
    deeper than :data:`MAX_DEPTH`, before anything composes it (the scan is iterative)."""
    if len(text) > MAX_YAML_CHARS:
        raise BuildError("", f"scenario text of {len(text):,} characters is longer than "
                         f"{MAX_YAML_CHARS:,}", source=source, status=413)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = None if event.start_mark is None else event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise BuildError("", "YAML anchors and aliases (&, *) are not accepted "
                                 "in a built scenario", line, source)
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) \
                    and event.tag is not None:
                raise BuildError("", f"YAML tags ({event.tag}) are not accepted in a built "
                                 "scenario", line, source)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise BuildError("", f"nested deeper than {MAX_DEPTH} levels", line,
                                     source)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BuildError("", f"not YAML: {getattr(exc, 'problem', None) or exc}",
                         None if mark is None else mark.line + 1, source) from None


def _check_entries(doc: Any, source: str) -> None:
    """At most :data:`MAX_ENTRIES` entries in every list of *doc*."""
    if not isinstance(doc, dict):
        raise BuildError("", "a scenario is a mapping of key: value", source=source)
    lists: list[tuple[str, Any]] = [(k, doc.get(k)) for k in ("measures", "shocks")]
    levers = doc.get("levers")
    if isinstance(levers, dict):
        lists += [(f"levers.{k}", v) for k, v in levers.items()]
    for name, value in lists:
        if isinstance(value, list) and len(value) > MAX_ENTRIES:
            raise BuildError(name, f"{len(value)} entries: a built scenario has at most "
                             f"{MAX_ENTRIES} per list", source=source)


def scenario_text(req: BuildRequest) -> tuple[str, str]:
    """The YAML text of a request and where it came from (``scenario`` or ``yaml``)."""
    if (req.scenario is None) == (req.yaml is None):
        raise BuildError("", "give the scenario either as 'scenario' (a JSON document) or "
                         "as 'yaml' (text), not both nor neither", source="scenario")
    if req.scenario is not None:
        if _depth(req.scenario) > MAX_DEPTH:
            raise BuildError("", f"nested deeper than {MAX_DEPTH} levels")
        doc = _clean(req.scenario)
        _check_entries(doc, "scenario")
        text = to_yaml(doc)
        check_text(text, "scenario")
        return text, "scenario"
    assert req.yaml is not None
    check_text(req.yaml, "yaml")
    _check_entries(yaml.safe_load(req.yaml), "yaml")
    return req.yaml, "yaml"


# ----- validation with the scenario loader ------------------------------------------------

#: loader messages about the whole scenario that belong to one form field
_WHOLE = {"the scenario has no measures and no shocks": "measures"}
_MISSING = re.compile(r"required key '(\w+)' is missing")


def _load(text: str, world: World, source: str) -> Scenario:
    """The scenario loader on *text*; its DataError as a BuildError naming the field."""
    from econsec.policy.scenarios import load_scenario_text

    try:
        return load_scenario_text(text, "built-scenario", world)
    except DataError as exc:
        field = exc.field or _WHOLE.get(exc.message, "")
        missing = _MISSING.fullmatch(exc.message)
        if missing:  # the loader names the parent; the form shows it at the missing key
            field = f"{field}.{missing.group(1)}" if field else missing.group(1)
        raise BuildError(field, exc.message, exc.line, source) from None


#: valid stand-ins for a required top-level value in error, so the rest can be checked
_STAND_IN: dict[str, Any] = {"name": "built_scenario_check", "title": "untitled",
                             "kind": "forward", "start": dt.date(2026, 1, 1),
                             "horizon": "30d", "step": "day"}
_NONE = object()
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _key_path(field: str) -> tuple[str | int, ...]:
    """``levers.stockpile[0].days`` -> ``("levers", "stockpile", 0, "days")``."""
    return tuple(int(i) if i else str(k) for k, i in _TOKEN.findall(field))


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The 1-based line of every key path of *text* (composed, not constructed: a bad
    date does not stop it; *text* passed :func:`check_text`, so it is shallow)."""
    out: dict[tuple[str | int, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return out
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, key = stack.pop()
        out.setdefault(key, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                sub = (*key, str(knode.value))
                out[sub] = knode.start_mark.line + 1
                stack.append((vnode, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*key, i)) for i, item in enumerate(node.value))
    return out


class _SetAside:
    """The parts of a scenario document set aside after a problem, and the map from the
    entries left in each list to their index in the user's document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.index: dict[tuple[str, ...], list[int]] = {}
        self.replaced: set[str] = set()
        self.removed_entries = False

    def _list(self, path: tuple[str, ...]) -> tuple[list[Any] | None, list[int]]:
        parent: Any = self.doc
        for k in path:
            parent = parent.get(k) if isinstance(parent, dict) else None
        entries = parent if isinstance(parent, list) else None
        index = self.index.setdefault(path, list(range(len(entries or []))))
        return entries, index

    def original(self, key: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """*key* (of the current document) in the user's document."""
        n = 2 if key[:1] == ("levers",) else 1
        at = key[n] if len(key) > n else None
        if isinstance(at, int):
            _, index = self._list(tuple(str(k) for k in key[:n]))
            if at < len(index):
                return (*key[:n], index[at], *key[n + 1:])
        return key

    def set_aside(self, key: tuple[str | int, ...]) -> bool:
        """Remove (a list entry, a lever, a parameter, an optional key) or replace (a
        required value, by its stand-in) the part of the document *key* is in; False
        when there is nothing left to set aside."""
        if not key:
            return False
        head = str(key[0])
        n = 2 if head == "levers" else 1
        at = key[n] if len(key) > n else None
        if head in ("measures", "shocks", "levers") and isinstance(at, int):
            entries, index = self._list(tuple(str(k) for k in key[:n]))
            if entries is None or at >= len(entries):
                return False
            del entries[at], index[at]
            self.removed_entries = True
            return True
        group = self.doc.get(head)
        if head in ("levers", "parameters") and len(key) > 1 and isinstance(group, dict):
            return group.pop(str(key[1]), _NONE) is not _NONE
        if head in _STAND_IN:
            if head in self.replaced:  # the stand-in itself refused: nothing more to learn
                return False
            self.doc[head] = _STAND_IN[head]
            self.replaced.add(head)
            return True
        return self.doc.pop(head, _NONE) is not _NONE


def problems(text: str, world: World, source: str
             ) -> tuple[list[BuildError], Scenario | None, set[str]]:
    """Every problem of scenario *text* (module docstring): the problems, the scenario
    the rest loads into (None if it does not) and the top-level keys given stand-ins."""
    try:
        return [], _load(text, world, source), set()  # errors name the user's own lines
    except BuildError as exc:
        found, current = [exc], exc
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # e.g. an impossible date: only the first
        return found, None, set()
    if not isinstance(doc, dict):
        return found, None, set()
    lines = _key_lines(text)
    aside = _SetAside(doc)
    while len(found) < MAX_PROBLEMS and aside.set_aside(_key_path(current.field)):
        try:
            return found, _load(to_yaml(doc), world, source), aside.replaced
        except BuildError as exc:
            if exc.message in _WHOLE and aside.removed_entries:
                break  # the lists emptied by setting entries aside, not by the user
            key = aside.original(_key_path(exc.field))
            where = dotted(key)
            if any(p.field == where and p.message == exc.message for p in found):
                break
            line = next((lines[key[:i]] for i in range(len(key), -1, -1)
                         if key[:i] in lines), None)
            found.append(BuildError(where, exc.message, line, source))
            current = exc
    return found, None, aside.replaced


def _rules(doc: Any, scenario: Scenario | None, replaced: set[str], max_horizon_days: int,
           source: str) -> list[BuildError]:
    """The builder's bounds (module docstring) on what loaded; *doc* for the name."""
    from econsec.policy.scenarios import scenario_names

    out: list[BuildError] = []
    if scenario is not None and "kind" not in replaced and scenario.kind != "forward":
        out.append(BuildError("kind", "the builder makes forward-looking scenarios (kind: "
                              "forward); replays ship with their documented outcomes",
                              source=source))
    name = doc.get("name") if isinstance(doc, dict) else None
    if isinstance(name, str) and name in scenario_names():
        out.append(BuildError("name", f"'{name}' is a shipped scenario's name: choose "
                              "another", source=source))
    if scenario is not None and "horizon" not in replaced \
            and scenario.horizon_days > max_horizon_days:
        out.append(BuildError("horizon", f"horizon of {scenario.horizon_days} days is "
                              f"longer than this server's {max_horizon_days}",
                              source=source))
    return out


def validate(world: World, req: BuildRequest, max_horizon_days: int
             ) -> tuple[str, Scenario]:
    """The normalised YAML text of a built scenario and the loaded scenario; otherwise
    :class:`BuildErrors` with every problem, each naming its field (module docstring)."""
    text, source = scenario_text(req)
    found, scenario, replaced = problems(text, world, source)
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        doc = None
    found += _rules(doc, scenario, replaced, max_horizon_days, source)
    if found:
        raise BuildErrors(found)
    assert scenario is not None
    normal = to_yaml(_clean(doc) if source == "scenario" else doc)
    if normal != text:
        scenario = _load(normal, world, source)
    return normal, scenario


def describe(scenario: Scenario) -> dict[str, Any]:
    """What the loader made of a built scenario (shown under the form)."""
    return {
        "name": scenario.name, "title": scenario.title, "kind": scenario.kind,
        "start": scenario.start.isoformat(), "horizon_days": scenario.horizon_days,
        "step_days": scenario.step_days,
        "shocks": [{"kind": s.kind.value, "measure_id": s.measure_id,
                    "imposers": sorted(s.imposers), "targets": sorted(s.targets) or ["ALL"],
                    "goods": sorted(s.goods), "start_day": s.start, "end_day": s.end,
                    "intensity": s.intensity, "approval_rate": s.approval_rate}
                   for s in scenario.shocks],
        "levers": [type(lv).__name__ for lv in scenario.levers],
        "parameters": {k: {"dist": v.kind.value, "args": list(v.args)}
                       for k, v in scenario.parameters.items()},
    }


def schema_info(world: World, lim: Limits) -> dict[str, Any]:
    """What the form offers: shock kinds, registry measure types that act on trade,
    parameters with their meaning and default, distributions, investments, limits."""
    from econsec.policy.levers import LEVER_KEYS
    from econsec.policy.scenarios import _DEFAULT_KIND, scenario_names
    from econsec.simulation.spec import PARAMETERS, DistKind, ShockKind

    return {
        "shock_kinds": [k.value for k in ShockKind],
        "measure_types": sorted(t.value for t in _DEFAULT_KIND),
        "parameters": [{"name": k, "description": d, "default": None if v == float("inf")
                        else v} for k, (d, v) in PARAMETERS.items()],
        "distributions": [k.value for k in DistKind],
        "levers": list(LEVER_KEYS),
        "investments": [{"id": i.id, "economy": i.economy, "good": i.good,
                         "capacity_share": i.capacity_share, "status": i.status}
                        for i in world.investments],
        "shipped": scenario_names(),
        "limits": {"max_yaml_chars": MAX_YAML_CHARS, "max_entries": MAX_ENTRIES,
                   "max_horizon_days": lim.max_horizon_days, "max_runs": lim.max_runs},
    }


# ----- routes ------------------------------------------------------------------------------

def add_routes(app: FastAPI, *, world: Callable[[], World], jobs: JobManager, lim: Limits,
               nodes: Callable[[], int], job_json: Callable[[Job], dict[str, Any]]) -> None:
    """The builder's routes on *app* (the server's world, jobs, limits)."""

    def checked(req: BuildRequest) -> tuple[str, Scenario]:
        try:
            return validate(world(), req, lim.max_horizon_days)
        except BuildError as exc:
            raise HTTPException(exc.status, detail=exc.detail()) from None

    @app.get("/api/builder/schema", tags=["builder"])
    def builder_schema() -> dict[str, Any]:
        """What the scenario builder's form offers (measures: GET /api/measures)."""
        return schema_info(world(), lim)

    @app.post("/api/builder/validate", tags=["builder"])
    def builder_validate(req: Annotated[BuildRequest, Body()]) -> dict[str, Any]:
        """Validate a built scenario with the scenario loader: the normalised YAML and what
        it resolves to, or 422 naming the field (``detail[0].field``, ``line``)."""
        text, scenario = checked(req)
        return {"yaml": text, "scenario": describe(scenario)}

    @app.post("/api/builder/scenario.yaml", tags=["builder"], response_class=Response)
    def builder_yaml(req: Annotated[BuildRequest, Body()]) -> Response:
        """The normalised YAML of a valid built scenario as a download (``NAME.yaml``; runs
        with ``econsec simulate NAME.yaml``)."""
        text, scenario = checked(req)
        return Response(text, media_type="application/yaml", headers={
            "content-disposition": f'attachment; filename="{scenario.name}.yaml"'})

    @app.post("/api/builder/runs", tags=["builder"], status_code=202)
    def builder_run(req: Annotated[BuildRunRequest, Body()]) -> dict[str, Any]:
        """Validate and run a built scenario in a worker process, stored like any run;
        poll GET /api/runs/{id} (the job id)."""
        text, scenario = checked(req)
        if req.runs > lim.max_runs:
            raise HTTPException(422, detail=[{"loc": ["body", "runs"], "type": "value_error",
                                              "msg": f"runs must be <= {lim.max_runs}"}])
        cells = req.runs * scenario.horizon_days * nodes()
        if cells > lim.max_run_cells:
            raise HTTPException(422, detail=[{"loc": ["body", "runs"], "type": "value_error",
                                              "msg": f"run too large: runs x horizon_days x "
                                              f"nodes = {cells:,} > {lim.max_run_cells:,}"}])
        params = {"scenario": scenario.name, "runs": req.runs, "seed": req.seed,
                  "horizon_days": scenario.horizon_days, "built": True}
        try:
            job = jobs.submit(scenario.name, params, yaml_text=text)
        except OverflowError as exc:
            raise HTTPException(429, detail=[{"loc": ["body", "scenario"],
                                              "msg": str(exc)}]) from None
        return job_json(job)
