"""Schema-driven fuzz (schemathesis) over /openapi.json: no input may cause a 5xx.

Bounded: a few dozen examples per operation, runs capped tiny so the fuzz starts no long
simulation, so the whole pass stays well under a minute."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from econsec.api import create_app
from econsec.api.app import Limits
from econsec.data.world import load_world

APP = create_app(world=load_world(), workers=1,
                 db=Path(tempfile.mkdtemp(prefix="econsec-fuzz-")) / "runs.duckdb",
                 allowed_hosts=("testserver",),  # the ASGI test client's Host
                 limits=Limits(max_run_cells=262 * 30 * 5, max_active_runs=4))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.exclude(path="/api/brief.html").parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])


def test_brief_endpoint_validates_without_5xx(shared_brief: object) -> None:
    """The brief is excluded from the random pass (each valid bloc pair builds a full
    report); its inputs are checked here instead (the default pair: the session's brief)."""
    from fastapi.testclient import TestClient

    with TestClient(APP) as c:
        for bloc, against in (("", ""), ("../x", "CHN"), ("ZZZ", "CHN"), ("A" * 300, "CHN"),
                              ("TRILATERAL", "QQQ,,")):
            r = c.get("/api/brief.html", params={"bloc": bloc, "against": against})
            assert r.status_code < 500, (bloc, against, r.status_code)
            if bloc in ("../x", "ZZZ"):
                assert r.status_code == 422


@given(data=st.data())
@settings(max_examples=1, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_is_fuzzed(data: st.DataObject) -> None:
    """On its own (not after the pass above): one generated request per operation of the
    fuzzed schema, and those operations are every operation of the app but the brief."""
    status: dict[str, int] = {}
    for result in schema.exclude(path="/api/brief.html").get_all_operations():
        op = result.ok()
        case = data.draw(op.as_strategy())
        status[f"{op.method.upper()} {op.path}"] = case.call().status_code
    ops = {f"{m.upper()} {p}" for p, item in APP.openapi()["paths"].items() for m in item
           if p != "/api/brief.html"}
    assert set(status) == ops
    assert not {k: v for k, v in status.items() if v >= 500}
