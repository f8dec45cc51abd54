"""The server's hardening (issue 14 item 5): one test per finding; each fails on the code
before it (no Host check, /, static and schema open with a token, no security headers,
a store lock answering with its path and PID, booleans taken as integers, runs held in
memory and lost on restart)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from econsec.api import create_app
from econsec.data.runs import RunRecord, list_runs, prune_runs, save_frames
from econsec.data.store import Store
from econsec.data.world import World

BASE = "http://127.0.0.1"


def test_foreign_host_header_is_refused(world: World, tmp_path: Path) -> None:
    """DNS rebinding: a page at evil.example rebound to 127.0.0.1 sends Host: evil.example."""
    with TestClient(create_app(world=world, db=tmp_path / "r.duckdb"), base_url=BASE) as c:
        assert c.get("/api/world", headers={"host": "evil.example"}).status_code == 400
        assert c.get("/api/world", headers={"host": "evil.example:8000"}).status_code == 400
        assert c.get("/api/world", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/api/world", headers={"host": "[::1]:8000"}).status_code == 200
    app = create_app(world=world, db=tmp_path / "r.duckdb", allowed_hosts=["intranet.lan"])
    with TestClient(app, base_url="http://intranet.lan") as c:
        assert c.get("/api/world").status_code == 200


def test_cross_origin_post_is_refused(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 1},
                    headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "origin" in r.text


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/style.css",
                                  "/openapi.json", "/docs", "/api/world", "/api/runs"])
def test_token_guards_every_route(world: World, tmp_path: Path, path: str) -> None:
    app = create_app(world=world, token="s3cret", db=tmp_path / "r.duckdb")
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        assert c.get(path).status_code == 401
        assert c.get(path + "?token=wrong").status_code == 401
        first = c.get(path + "?token=s3cret")  # the first visit: cookie, then clean URL
        assert first.status_code == 303 and first.headers["location"] == path
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        again = c.get(path)  # the client now sends the cookie
        assert again.status_code == (404 if path == "/docs" else 200)
    with TestClient(app, base_url=BASE) as c:
        r = c.get(path, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == (404 if path == "/docs" else 200)


def test_security_headers_and_no_inline_script(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/api/world", "/api/runs/" + "0" * 32):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        script = re.search(r"script-src ([^;]*)", csp)
        assert script is not None and script.group(1).strip() == "'self'"
        assert "frame-ancestors 'none'" in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
    page = client.get("/").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", page)  # no inline event handlers


def test_busy_store_is_503_without_path_or_pid(world: World, tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with TestClient(create_app(world=world, db=db), base_url=BASE) as c:
            r = c.get("/api/runs")
        assert r.status_code == 503, r.text
        assert str(tmp_path) not in r.text and "held.duckdb" not in r.text
        assert str(holder.pid) not in r.text and "PID" not in r.text.upper()
        assert r.headers["retry-after"] == "5"
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


@pytest.mark.parametrize("field,value", [("runs", True), ("runs", "5"), ("runs", 5.0),
                                         ("seed", False), ("horizon_days", True)])
def test_integers_are_strict(client: TestClient, field: str, value: object) -> None:
    body = {"scenario": "jpn_kor_2019", "runs": 1, field: value}
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"][0]["loc"]


def _record(name: str) -> RunRecord:
    return RunRecord(name, f"name: {name}\n", "w1", 1, 0, 10, 1)


def _frames() -> dict[str, pd.DataFrame]:
    one = pd.DataFrame({"economy": ["KOR"], "good": ["x"], "v": [1.0]})
    return {n: one for n in ("timeseries", "summary", "diversion", "trade", "parameters")}


def test_retention_prunes_only_the_oldest_api_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        cli = save_frames(st, _record("cli_run"), _frames(), origin="cli")
        api = [save_frames(st, _record(f"api{i}"), _frames(), origin="api") for i in range(3)]
        # 3 API runs, keep 2: the first API run goes, the CLI run stays
        assert prune_runs(st, 2, origin="api") == [api[0]]
        left = set(list_runs(st)["run_id"])
        assert left == {cli, api[1], api[2]}
        assert st.con.execute("SELECT count(*) FROM sim_summary").fetchall()[0][0] == 3
        assert prune_runs(st, 0) == []  # 0 keeps every run
        with pytest.raises(ValueError, match="origin"):
            save_frames(st, _record("x"), _frames(), origin="web")


def test_a_dashboard_run_is_stored_and_survives_a_restart(world: World, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    with TestClient(create_app(world=world, db=db, workers=1), base_url=BASE) as c:
        rid = c.post("/api/runs", json={"scenario": "jpn_kor_2019", "runs": 2, "seed": 4,
                                        "horizon_days": 30}).json()["id"]
        for _ in range(900):
            job = c.get(f"/api/runs/{rid}").json()
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job
        stored = job["run_id"]
    # a new server over the same store (a restart): the run is listed and readable
    with TestClient(create_app(world=world, db=db), base_url=BASE) as c:
        runs = c.get("/api/runs").json()
        assert runs["total"] == 1 and runs["runs"][0]["run_id"] == stored
        assert runs["runs"][0]["origin"] == "api"
        again = c.get(f"/api/runs/{stored}").json()
        assert again["result"]["inputs"]["seed"] == 4
        assert again["result"]["inputs"]["horizon_days"] == 30
    # and the CLI's store functions see it too (what `econsec runs list` prints)
    with Store(db) as st:
        assert list(list_runs(st)["run_id"]) == [stored]
