"""Schema-driven fuzz (schemathesis) over /openapi.json: no input may cause a 5xx.

Bounded: a few dozen examples per operation, runs capped tiny so the fuzz starts no long
simulation, so the whole pass stays well under a minute."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from econsec.api import create_app
from econsec.api.app import Limits
from econsec.data.world import load_world

APP = create_app(world=load_world(), workers=1,
                 limits=Limits(max_run_cells=262 * 30 * 5, max_active_runs=4))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.exclude(path="/api/brief.html").parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call_and_validate(checks=[not_a_server_error])
    key = f"{case.operation.method.upper()} {case.operation.path}"
    CALLS[key] = CALLS.get(key, 0) + 1
    STATUS[response.status_code] = STATUS.get(response.status_code, 0) + 1


CALLS: dict[str, int] = {}
STATUS: dict[int, int] = {}


def test_brief_endpoint_validates_without_5xx() -> None:
    """The brief is excluded from the random pass (each valid bloc pair builds a full
    report); its inputs are checked here instead."""
    from fastapi.testclient import TestClient

    with TestClient(APP) as c:
        for bloc, against in (("", ""), ("../x", "CHN"), ("ZZZ", "CHN"), ("A" * 300, "CHN"),
                              ("TRILATERAL", "QQQ,,")):
            r = c.get("/api/brief.html", params={"bloc": bloc, "against": against})
            assert r.status_code < 500, (bloc, against, r.status_code)
            if bloc in ("../x", "ZZZ"):
                assert r.status_code == 422


def test_zz_fuzz_covered_every_operation() -> None:
    """Runs after the fuzz pass (same module, defined last): every operation was called."""
    if not CALLS:
        import pytest

        pytest.skip("run together with test_no_server_errors")
    ops = {f"{m.upper()} {p}" for p, item in APP.openapi()["paths"].items() for m in item
           if p != "/api/brief.html"}
    assert ops <= set(CALLS), ops - set(CALLS)
    assert not any(code >= 500 for code in STATUS)
    print(f"fuzz: {sum(CALLS.values())} requests over {len(CALLS)} operations; "
          f"status counts {dict(sorted(STATUS.items()))}")
