"""JSON API: values equal the analysis functions', inputs are validated, limits hold."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from econsec import analysis
from econsec.api import create_app
from econsec.api.app import Limits
from econsec.cli.serve import check_bind, is_local
from econsec.data.world import World

BASE = "http://127.0.0.1"  # a local name the trusted-host check accepts


def _loc(resp) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(x) for d in resp.json()["detail"] for x in d["loc"]]


def test_exposure_matches_analysis(client: TestClient, world: World) -> None:
    r = client.get("/api/exposure", params={"economy": "kor", "good": "photoresist_arf"})
    assert r.status_code == 200
    body = r.json()
    want = analysis.exposure("KOR", good="photoresist_arf", world=world)
    got = pd.DataFrame(body["rows"])
    assert body["count"] == len(want) > 0
    assert list(got["supplier"]) == list(want["supplier"])
    assert got["share"].to_numpy() == pytest.approx(want["share"].to_numpy())
    assert got.loc[got["supplier"] == "JPN", "share"].iloc[0] > 0.5  # Japan's ArF resist
    cited = {s["id"] for s in body["sources"]}
    assert set(want["source"].dropna()) - {"remainder"} <= cited  # ROW remainder: derived
    assert all(s["citation"] for s in body["sources"])


def test_lookthrough_exposure_and_its_sources(client: TestClient, world: World) -> None:
    r = client.get("/api/exposure", params={"economy": "JPN", "tiers": "all"})
    assert r.status_code == 200
    want = analysis.exposure("JPN", tiers="all", world=world)
    got = pd.DataFrame(r.json()["rows"])
    assert len(got) == len(want)
    assert got["share"].sum() == pytest.approx(want["share"].sum())
    assert r.json()["sources"], "look-through rows must list the sources they rest on"


def test_chokepoints_both_directions(client: TestClient, world: World) -> None:
    r = client.get("/api/chokepoints", params={"bloc": "TRILATERAL", "against": "CHN"})
    assert r.status_code == 200
    want = analysis.chokepoints("TRILATERAL", "CHN", world)
    got = pd.DataFrame(r.json()["rows"])
    assert set(got["direction"]) == {"exposure", "leverage"}
    assert got["score"].to_numpy() == pytest.approx(want["score"].to_numpy())
    assert got["good"].tolist() == want["good"].tolist()


def test_world_goods_measures(client: TestClient, world: World) -> None:
    w = client.get("/api/world").json()
    assert w["version"] == world.version
    assert {e["code"] for e in w["economies"]} == set(world.economy_codes)
    g = client.get("/api/goods").json()
    assert g["count"] == len(world.goods)
    m = client.get("/api/measures", params={"imposer": "JPN"}).json()
    assert m["count"] == len(analysis.measures(imposer="JPN", world=world)) > 0
    assert all(row["imposer"] == "JPN" and row["source"] for row in m["rows"])


@pytest.mark.parametrize(("path", "params", "field", "status"), [
    ("/api/exposure", {"economy": "XXX"}, "economy", 422),
    ("/api/exposure", {"economy": "KOREA"}, "economy", 422),
    ("/api/exposure", {"economy": "KOR", "good": "unobtainium"}, "good", 422),
    ("/api/exposure", {"economy": "KOR", "tiers": "some"}, "tiers", 422),
    ("/api/exposure", {"economy": "KOR", "year": "1066"}, "year", 422),
    ("/api/chokepoints", {"against": "CHN"}, "bloc", 422),
    ("/api/chokepoints", {"bloc": "TRILATERAL", "min_share": "nan"}, "min_share", 422),
    ("/api/chokepoints", {"bloc": "ZZZ,QQQ"}, "bloc", 422),
    ("/api/measures", {"type": "bribe"}, "type", 422),
    ("/api/compare", {"a": "KOR", "b": "KOR"}, "b", 422),
    ("/api/compare", {"a": "KOR", "b": "CHN", "years": "19-20"}, "years", 422),
    ("/api/runs/0123456789abcdef0123456789abcdef", {}, "run_id", 404),
])
def test_bad_input_names_the_field(client: TestClient, path: str, params: dict[str, str],
                                   field: str, status: int) -> None:
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert field in _loc(r)


def test_scenarios_by_shipped_name_only(client: TestClient) -> None:
    listed = client.get("/api/scenarios").json()
    names = {s["name"] for s in listed["scenarios"]}
    assert "jpn_kor_2019" in names
    for bad in ("../../etc/passwd", "/etc/passwd", "jpn_kor_2019.yaml", "..", "nope"):
        r = client.post("/api/runs", json={"scenario": bad, "runs": 1})
        assert r.status_code in (404, 422), bad
        assert "scenario" in _loc(r)
    r = client.post("/api/runs", json={"scenario": "jpn_kor_2019", "path": "/etc/passwd"})
    assert r.status_code == 422 and "path" in _loc(r)


def test_run_size_and_body_caps(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 2000,
                                       "horizon_days": 1825})
    assert r.status_code == 422 and "runs" in _loc(r)
    assert "runs x horizon_days x nodes" in r.text
    r = client.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 0})
    assert r.status_code == 422 and "runs" in _loc(r)
    big = '{"scenario": "jpn_kor_2019", "pad": "' + "x" * 20_000 + '"}'
    r = client.post("/api/runs", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_token_required_when_set(world: World, tmp_path: Path) -> None:
    app = create_app(world=world, token="s3cret", db=tmp_path / "r.duckdb")
    with TestClient(app, base_url=BASE) as c:
        assert c.get("/api/world").status_code == 401
        assert c.get("/api/world", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = c.get("/api/world", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["version"] == world.version
        assert c.get("/").status_code == 401  # every route needs it (tests/api/test_security.py)


def test_bind_policy() -> None:
    assert is_local("127.0.0.1") and is_local("::1") and is_local("localhost")
    assert not is_local("0.0.0.0") and not is_local("192.168.1.5")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "tok")
    with pytest.raises(ValueError, match="token"):
        check_bind("0.0.0.0", None)


def test_dashboard_and_static_served_from_package(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/app.js"' in page.text
    assert "http" not in page.text.replace("/openapi.json", "").split("<footer")[0]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_heatmap_svg_with_sources(client: TestClient) -> None:
    r = client.get("/api/heatmap.svg", params={"bloc": "TRILATERAL", "against": "CHN"})
    assert r.status_code == 200 and r.text.startswith("<svg")
    assert r.headers["x-econsec-sources"]


@pytest.mark.slow  # a run in the app's worker process, its CSV and workbook
def test_run_lifecycle_csv_xlsx(client: TestClient, world: World) -> None:
    from econsec.policy.runner import run_scenario

    r = client.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 8, "seed": 3,
                                       "horizon_days": 120})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    for _ in range(600):
        job = client.get(f"/api/runs/{rid}").json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    assert job["progress"] == 1.0
    assert job["result"]["inputs"]["horizon_days"] == 120
    csv = client.get(f"/api/runs/{rid}/csv")
    ts = pd.read_csv(io.StringIO(csv.text))
    assert list(ts.columns[:4]) == ["day", "economy", "good", "metric"]
    assert ts["day"].max() <= 120
    q = ts.dropna(subset=["p5", "p50", "p95"])  # inventory days of a node with no use: NaN
    assert len(q) > 0.9 * len(ts)
    assert (q["p5"] <= q["p50"] + 1e-12).all() and (q["p50"] <= q["p95"] + 1e-12).all()
    assert "KOR" in set(ts["economy"])
    direct = run_scenario("jpn_kor_2019", world, runs=8, seed=3, horizon_days=120)
    assert len(direct.timeseries()) == len(ts)  # same seed: the same numbers as in Python
    assert ts["p50"].to_numpy() == pytest.approx(direct.timeseries()["p50"].to_numpy(),
                                                 nan_ok=True)
    xl = pd.read_excel(io.BytesIO(client.get(f"/api/runs/{rid}/xlsx").content),
                       sheet_name=None, engine="calamine")
    assert set(xl) == {"timeseries", "summary", "diversion", "prices", "outcomes", "skill",
                       "inputs"}
    assert len(xl["timeseries"]) == len(ts)
    assert xl["timeseries"]["p50"].to_numpy() == pytest.approx(ts["p50"].to_numpy(),
                                                               nan_ok=True)
    assert xl["inputs"]["horizon_days"].iloc[0] == 120
    # every good in both markets on every recorded day (day 0 .. 120)
    n_goods = len(direct.result.baseline.goods)
    assert len(xl["prices"]) == n_goods * 2 * 121
    # Japan licenses HF to Korea: Korea's buyers, in the international market, are short,
    # so its international index rises; the dashboard lists the goods whose price moved
    moved = pd.DataFrame(job["result"]["prices"])
    hf = moved[(moved["good"] == "hydrogen_fluoride") & (moved["market"] == "international")]
    assert job["result"]["prices_stored"] and len(hf) == 1 and hf["peak_p50"].iloc[0] > 1.0
    # the replay's documented outcomes beside the simulated ones: July 2019 HF imports
    # from Japan (documented -84 %) lie within the 120 days, the 2020 figures do not
    out = pd.DataFrame(job["result"]["outcomes"])
    july = out[out["period"].str.startswith("2019-07") & (out["metric"] == "imports")]
    assert july["documented_change"].iloc[0] == pytest.approx(-0.837)
    assert july["simulated_change"].iloc[0] < -0.6
    assert out[out["period"].str.startswith("2020")]["simulated_change"].isna().all()
    assert len(xl["outcomes"]) == len(out)
    svg = client.get(f"/api/runs/{rid}/chart.svg")
    assert svg.status_code == 200 and "<svg" in svg.text


def test_cancel_a_run(world: World, tmp_path: Path) -> None:
    app = create_app(world=world, workers=1, db=tmp_path / "r.duckdb")
    with TestClient(app, base_url=BASE) as c:
        first = c.post("/api/runs", json={"scenario": "chn_full_ban_trilateral", "runs": 400})
        second = c.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 5})
        assert first.status_code == second.status_code == 202
        rid = second.json()["id"]  # queued behind the first: cancelled before it starts
        assert c.delete(f"/api/runs/{rid}").json()["status"] == "cancelled"
        c.delete(f"/api/runs/{first.json()['id']}")
        for _ in range(600):
            if c.get(f"/api/runs/{first.json()['id']}").json()["status"] != "running":
                break
            time.sleep(0.1)
        assert c.get(f"/api/runs/{first.json()['id']}").json()["status"] == "cancelled"
        assert c.get(f"/api/runs/{rid}/csv").status_code == 409


def test_too_many_active_runs_is_429(world: World, tmp_path: Path) -> None:
    with TestClient(create_app(world=world, workers=1, db=tmp_path / "r.duckdb",
                               limits=Limits(max_active_runs=1)), base_url=BASE) as c:
        a = c.post("/api/runs", json={"scenario": "chn_full_ban_trilateral", "runs": 300})
        b = c.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 1})
        assert a.status_code == 202 and b.status_code == 429
        c.delete(f"/api/runs/{a.json()['id']}")


def test_compare_without_trade_panel_is_404_naming_source(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ECONSEC_DB", str(tmp_path / "absent.duckdb"))
    r = client.get("/api/compare", params={"a": "KOR", "b": "CHN", "years": "2000-2005"})
    assert r.status_code == 404, r.text
    assert "source" in _loc(r)
    assert not (tmp_path / "absent.duckdb").exists()  # looking never creates a store


def test_brief_html_endpoint(client: TestClient, shared_brief: object) -> None:
    r = client.get("/api/brief.html", params={"bloc": "TRILATERAL", "against": "CHN"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<h1>econsec brief: TRILATERAL against CHN</h1>" in r.text
    assert 'id="fig-exposure_heatmap"' in r.text and "<script" not in r.text


def test_shutdown_leaves_no_worker_process(tmp_path: Path, world: World) -> None:
    # a run started, then the server stops: no worker process may outlive it
    from econsec.api.jobs import JobManager, RunStore, exited

    jobs = JobManager(RunStore(tmp_path / "runs.duckdb"), world, workers=2)
    job = jobs.submit("jpn_kor_2019", {"runs": 2, "seed": 0, "horizon_days": 30})
    pool = jobs._executor()
    deadline = time.monotonic() + 60
    while not getattr(pool, "_processes", None) and time.monotonic() < deadline:
        time.sleep(0.05)
    procs = list(pool._processes.values())  # type: ignore[attr-defined]
    assert procs and job is not None
    jobs.shutdown()
    assert [exited(p) for p in procs] == [True] * len(procs)


def test_warm_starts_every_worker_with_the_world_before_the_first_run(
        tmp_path: Path, world: World) -> None:
    # `econsec serve` starts its workers at start-up: the first run then finds them
    # running, with the world loaded, and runs on one of them
    from econsec.api.jobs import JobManager, RunStore

    jobs = JobManager(RunStore(tmp_path / "runs.duckdb"), world, workers=2)
    try:
        warm = jobs.warm()  # each task loads the world in its worker, returns its pid
        pids = {f.result(timeout=120) for f in warm}
        pool = jobs._executor()
        assert len(warm) == 2 and pids == set(pool._processes)  # type: ignore[attr-defined]
        assert os.getpid() not in pids
        job = jobs.submit("jpn_kor_2019", {"runs": 2, "seed": 0, "horizon_days": 30})
        deadline = time.monotonic() + 120
        while job.active and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.status.value == "done", job.error
        assert set(pool._processes) == pids  # type: ignore[attr-defined]  # no new process
    finally:
        jobs.shutdown()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="process niceness is a Unix feature")
def test_simulation_workers_run_at_lower_cpu_priority(tmp_path: Path, world: World) -> None:
    # analysis requests must stay fast while simulations run: the workers yield the CPU
    from econsec.api.jobs import WORKER_NICE, JobManager, RunStore

    jobs = JobManager(RunStore(tmp_path / "runs.duckdb"), world, workers=1)
    try:
        worker_nice = jobs._executor().submit(os.nice, 0).result(timeout=120)
    finally:
        jobs.shutdown()
    assert WORKER_NICE == 10
    assert worker_nice == min(19, os.nice(0) + 10)
