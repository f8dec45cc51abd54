"""The scenario builder's API: a built scenario is validated by the scenario loader, comes
back as normalised YAML that loads and runs (API and CLI), every kind of invalid input is
a 422 naming the form field, and size limits hold."""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from econsec.api.builder import MAX_DEPTH, MAX_ENTRIES, MAX_YAML_CHARS
from econsec.data.runs import load_run
from econsec.data.store import Store
from econsec.data.world import World
from econsec.policy.scenarios import load_scenario, load_scenario_text

DOC: dict[str, Any] = {
    "name": "built_ga_graphite", "title": "Built: gallium licences and a graphite ban",
    "kind": "forward", "start": "2026-01-01", "horizon": "120d", "step": "day",
    "description": "",  # an empty form field: dropped
    "measures": [{"id": "chn_2023_gallium_germanium", "intensity": 0.9,
                  "effective": "2026-02-01", "licence_delay_days": 30, "lifted": ""}],
    "shocks": [{"kind": "ban", "imposers": "CHN", "targets": ["JPN", "KOR"],
                "goods": ["graphite_natural"], "start": "2026-01-10", "end": "",
                "intensity": 1}],
    "levers": {"stockpile": [{"economies": "KOR", "goods": ["gallium"], "days": 60}],
               "allied_sharing": {"members": "TRILATERAL"}},
    "parameters": {"inventory_days": {"dist": "triangular", "args": [15, 45, 90]},
                   "spare_capacity": 0.1},
}


def _doc(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    doc.update(changes)
    return doc


def _error(resp: Any) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    detail: dict[str, Any] = resp.json()["detail"][0]
    return detail


def test_valid_scenario_gives_normalised_yaml_that_loads(client: TestClient, world: World,
                                                         tmp_path: Path) -> None:
    r = client.post("/api/builder/validate", json={"scenario": DOC})
    assert r.status_code == 200, r.text
    body = r.json()
    text = body["yaml"]
    # empty form fields are dropped; dates are YAML dates, not quoted strings
    assert "description" not in text and "lifted" not in text and "end:" not in text
    assert "start: 2026-01-01\n" in text and "effective: 2026-02-01" in text
    path = tmp_path / "built.yaml"
    path.write_text(text)
    sc = load_scenario(path, world)
    assert (sc.name, sc.kind, sc.horizon_days) == ("built_ga_graphite", "forward", 120)
    measure, ban = sc.shocks
    # licensing: approval rate = 1 - intensity = 1 - 0.9 = 0.1; effective 1 Feb 2026 is
    # 31 days after the 1 Jan start; the inline ban starts 10 Jan: day 9
    assert measure.kind.value == "licensing" and measure.approval_rate == pytest.approx(0.1)
    assert measure.start == 31 and measure.goods == {"gallium", "germanium",
                                                     "compound_substrates"}
    assert ban.start == 9 and ban.targets == {"JPN", "KOR"} and ban.end is None
    assert len(sc.levers) == 2
    assert sc.parameters["inventory_days"].args == (15.0, 45.0, 90.0)
    described = body["scenario"]["shocks"]
    assert [s["start_day"] for s in described] == [31, 9]
    # the YAML text is accepted too and normalises to the same text
    again = client.post("/api/builder/validate", json={"yaml": text})
    assert again.status_code == 200 and again.json()["yaml"] == text


def test_downloaded_yaml_runs_with_the_cli(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/api/builder/scenario.yaml", json={"scenario": DOC})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="built_ga_graphite.yaml"'
    path = tmp_path / "built_ga_graphite.yaml"
    path.write_bytes(r.content)
    out = subprocess.run(
        [sys.executable, "-c", "from econsec.cli.app import main; main()", "simulate",
         str(path), "--runs", "2", "--no-store", "--format", "csv"],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "economy" in out.stdout.splitlines()[0]


def _measure(**kw: Any) -> list[dict[str, Any]]:
    return [{"id": "chn_2023_gallium_germanium", **kw}]


def _shock(**kw: Any) -> list[dict[str, Any]]:
    base = {"kind": "ban", "imposers": "CHN", "goods": ["graphite_natural"], "start": 0}
    return [{**base, **kw}]


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"name": "Bad Name"}, "name", "not a name"),
    ({"name": "jpn_kor_2019"}, "name", "shipped"),
    ({"title": ""}, "title", "missing"),
    ({"kind": "replay"}, "kind", "forward"),
    ({"kind": "someday"}, "kind", "forward"),
    ({"start": "2026-13-01"}, "start", "ISO date"),
    ({"horizon": "ten weeks"}, "horizon", "not a horizon"),
    ({"horizon": "5000d"}, "horizon", "longer than"),
    ({"step": "month"}, "step", "day"),
    ({"measures": _measure(intensity="lots")}, "measures[0].intensity", "not a number"),
    ({"measures": _measure(intensity=11)}, "measures[0].intensity", "outside"),
    ({"measures": [{"id": "chn_2023_galium_germanium"}]}, "measures[0].id",
     "did you mean chn_2023_gallium_germanium"),
    ({"measures": [{"id": "usa_2022_oct7_chips_tools", "approval_rate": 0.5}]},
     "measures[0].approval_rate", "licensing shocks only"),
    ({"measures": _measure(effective="2026-03-01", lifted="2026-02-01")},
     "measures[0].lifted", "not after effective"),
    ({"measures": _measure(licence_delay_days={"dist": "triangular", "args": [9, 5, 1]})},
     "measures[0].licence_delay_days.args", "low <= mode"),
    ({"shocks": _shock(kind="embargo")}, "shocks[0].kind", "ban"),
    ({"shocks": _shock(imposers="XXY")}, "shocks[0].imposers", "unknown economy"),
    ({"shocks": _shock(goods=["graphite_natural", "unobtainium"])}, "shocks[0].goods[1]",
     "unknown good"),
    ({"shocks": _shock(colour="red")}, "shocks[0].colour", "unknown key"),
    ({"shocks": [{"kind": "ban", "imposers": "CHN", "start": 0}]}, "shocks[0].goods",
     "missing"),
    ({"measures": [], "shocks": []}, "measures", "no measures and no shocks"),
    ({"levers": {"stockpile": [{"economies": "KOR", "goods": ["gallium"], "days": -5}]}},
     "levers.stockpile[0].days", "outside"),
    ({"levers": {"diversification": [{"economies": "JPN", "goods": ["gallium"],
                                      "away_from": "CHN", "fraction": 2}]}},
     "levers.diversification[0].fraction", "outside"),
    ({"levers": {"licence_relief": [{"measure": "nope", "approval_rate": 0.5}]}},
     "levers.licence_relief[0].measure", "unknown measure"),
    ({"levers": {"capacity_investment": [{"economy": "AUS", "good": "gallium"}]}},
     "levers.capacity_investment[0].capacity_share", "missing"),
    ({"parameters": {"inventory_dayz": 30}}, "parameters.inventory_dayz", "inventory_days"),
    ({"parameters": {"spare_capacity": {"dist": "gamma", "args": [1, 2]}}},
     "parameters.spare_capacity.dist", "unknown distribution"),
])
def test_invalid_input_names_the_field(client: TestClient, changes: dict[str, Any],
                                       field: str, words: str) -> None:
    d = _error(client.post("/api/builder/validate", json={"scenario": _doc(**changes)}))
    assert d["field"] == field, d
    assert d["loc"] == ["body", "scenario", field]
    assert words in d["msg"], d


def test_yaml_text_errors_name_the_line(client: TestClient) -> None:
    text = ("name: t1\ntitle: T\nkind: forward\nstart: 2026-01-01\nhorizon: 30d\n"
            "shocks:\n  - kind: ban\n    imposers: CHN\n    goods: [gallium]\n"
            "    start: 0\n    intensity: high\n")
    d = _error(client.post("/api/builder/validate", json={"yaml": text}))
    assert (d["field"], d["line"], d["loc"][1]) == ("shocks[0].intensity", 11, "yaml")
    d = _error(client.post("/api/builder/validate", json={"yaml": "name: [unclosed\n"}))
    assert d["field"] == "" and d["line"] is not None and "YAML" in d["msg"]


@pytest.mark.parametrize(("body", "status", "where"), [
    ({"scenario": DOC, "yaml": "name: x"}, 422, "either"),
    ({}, 422, "either"),
    ({"yaml": "a: &x [1, 2]\nb: *x\n"}, 422, "anchors"),
    ({"yaml": "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)}, 422, "deeper"),
    ({"yaml": "name: !!python/object:os.system x\n"}, 422, "tags"),
    ({"scenario": _doc(measures=[{"id": "chn_2023_gallium_germanium"}] * (MAX_ENTRIES + 1))},
     422, "at most"),
    ({"scenario": _doc(description="x" * (MAX_YAML_CHARS + 10))}, 413, "longer than"),
    ({"yaml": "x" * (MAX_YAML_CHARS + 1)}, 422, "at most"),
])
def test_size_and_shape_refusals(client: TestClient, body: dict[str, Any], status: int,
                                 where: str) -> None:
    r = client.post("/api/builder/validate", json=body)
    assert r.status_code == status, r.text
    assert where in r.text


def test_body_over_the_cap_is_413(client: TestClient) -> None:
    r = client.post("/api/builder/validate", json={"scenario": _doc(description="x" * 20_000)})
    assert r.status_code == 413


@pytest.mark.parametrize(("extra", "field"), [
    ({"runs": "5"}, "runs"), ({"runs": True}, "runs"), ({"runs": 0}, "runs"),
    ({"seed": -1}, "seed"), ({"runs": 1.5}, "runs"), ({"colour": 1}, "colour"),
    ({"runs": 2000}, "runs"),  # 2000 x 120 days x 262 nodes = 62.9M: fits; horizon next
])
def test_run_request_is_strict_and_bounded(client: TestClient, extra: dict[str, Any],
                                           field: str) -> None:
    doc = _doc(horizon="1825d") if extra == {"runs": 2000} else DOC
    r = client.post("/api/builder/runs", json={"scenario": doc, **extra})
    assert r.status_code == 422, r.text
    # 2000 x 1825 x 262 = 956M > 2e8 cells: too large
    assert field in [str(x) for d in r.json()["detail"] for x in d["loc"]], r.text


def test_built_scenario_runs_and_is_stored(client: TestClient, run_db: Path) -> None:
    doc = _doc(name="built_run_test", horizon="30d")
    text = client.post("/api/builder/validate", json={"scenario": doc}).json()["yaml"]
    r = client.post("/api/builder/runs", json={"scenario": doc, "runs": 2, "seed": 3})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    for _ in range(1200):
        job = client.get(f"/api/runs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    runs = client.get("/api/runs").json()["runs"]
    mine = [x for x in runs if x["run_id"] == job["run_id"]]
    assert mine and mine[0]["scenario"] == "built_run_test" and mine[0]["origin"] == "api"
    assert job["result"]["inputs"]["horizon_days"] == 30
    with Store(run_db) as st:
        stored = load_run(st, job["run_id"])
    # the store keeps the normalised text, which the loader (and `runs rerun`) reads back
    assert stored.meta["scenario_yaml"] == text
    assert load_scenario_text(text).name == "built_run_test"


def _fields(resp: Any) -> list[tuple[str, str]]:
    assert resp.status_code == 422, resp.text
    return [(d["field"], d["msg"]) for d in resp.json()["detail"]]


def test_every_problem_of_a_draft_at_once(client: TestClient) -> None:
    # three independent mistakes in three places of DOC: a name with a space, the second
    # of two measures with an unknown id, an unknown economy in the (only) shock
    doc = _doc(name="Bad Name",
               measures=[DOC["measures"][0], {"id": "chn_2023_galium_germanium"}],
               shocks=_shock(imposers="XXY"))
    found = _fields(client.post("/api/builder/validate", json={"scenario": doc}))
    assert [f for f, _ in found] == ["name", "measures[1].id", "shocks[0].imposers"]
    msgs = dict(found)
    assert "not a name" in msgs["name"]
    assert "did you mean chn_2023_gallium_germanium" in msgs["measures[1].id"]
    assert "unknown economy" in msgs["shocks[0].imposers"]
    # each answer also carries its form path in loc
    detail = client.post("/api/builder/validate", json={"scenario": doc}).json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "scenario", f] for f, _ in found]


def test_problems_after_a_set_aside_entry_keep_the_users_index(client: TestClient) -> None:
    # measures[0] and measures[2] are wrong, measures[1] is fine; a lever, a parameter and
    # the builder's own rule on the horizon are wrong too: five problems, the entries
    # named by their index in the draft (not in what is left once measures[0] is set aside)
    doc = _doc(horizon="5000d",
               measures=[{"id": "nope_measure"}, DOC["measures"][0],
                         {"id": "chn_2023_gallium_germanium", "intensity": "lots"}],
               levers={"stockpile": [{"economies": "KOR", "goods": ["gallium"],
                                      "days": -5}]},
               parameters={"inventory_dayz": 30})
    fields = [f for f, _ in _fields(client.post("/api/builder/validate",
                                                json={"scenario": doc}))]
    assert sorted(fields) == sorted(["measures[0].id", "measures[2].intensity",
                                     "levers.stockpile[0].days", "parameters.inventory_dayz",
                                     "horizon"])


def test_yaml_text_problems_each_with_their_line(client: TestClient) -> None:
    text = ("name: t1\ntitle: T\nkind: forward\nstart: 2026-01-01\nhorizon: 30d\n"
            "step: fortnight\n"                                     # line 6
            "shocks:\n  - kind: ban\n    imposers: CHN\n    goods: [gallium]\n"
            "    start: 0\n    intensity: high\n"                  # line 12
            "  - kind: ban\n    imposers: CHN\n    goods: [unobtainium]\n"  # line 15
            "    start: 0\n")
    detail = client.post("/api/builder/validate", json={"yaml": text}).json()["detail"]
    assert [(d["field"], d["line"]) for d in detail] == [
        ("step", 6), ("shocks[0].intensity", 12), ("shocks[1].goods[0]", 15)]


def test_a_draft_with_one_bad_entry_has_one_problem(client: TestClient) -> None:
    # the only shock set aside leaves no shock at all: not a second problem of the user's
    doc = _doc(measures=[], shocks=_shock(imposers="XXY"))
    assert [f for f, _ in _fields(client.post("/api/builder/validate",
                                              json={"scenario": doc}))] == \
        ["shocks[0].imposers"]
