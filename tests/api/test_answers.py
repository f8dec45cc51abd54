"""Encoded answers computed once (:class:`econsec.api.answers.Answers`) and the memo in
front of the routes (:class:`econsec.api.answers.AnswerMemo`): bounded in bytes, one
computation per key even under concurrent misses, errors never stored, store-backed
answers keyed by the store's stamp, and a memo hit still behind the guard."""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from econsec.api import create_app, handlers
from econsec.api.answers import AnswerMemo, Answers, store_stamp
from econsec.data.world import World

BASE = "http://127.0.0.1"


class Counting:
    """A compute function answering ``{"x": "a" * n}`` for args ``(n,)``, counting calls."""

    def __init__(self, delay: float = 0.0, fail_first: bool = False) -> None:
        self.calls, self.delay, self.fail_first = 0, delay, fail_first

    def __call__(self, name: str, args: tuple[Any, ...]) -> Any:
        self.calls += 1
        if self.fail_first and self.calls == 1:
            raise ValueError("first call fails")
        time.sleep(self.delay)
        return {"x": "a" * args[0]}


def test_answer_is_compact_json_and_its_gzip() -> None:
    ans = Answers(Counting())
    # json.dumps(..., separators=(",", ":")): {"x":"aaa"} is 11 bytes
    assert ans.get("q", (3,), False) == b'{"x":"aaa"}'
    assert gzip.decompress(ans.get("q", (3,), True)) == b'{"x":"aaa"}'


def test_bounded_in_bytes_oldest_dropped_first() -> None:
    compute = Counting()
    # each answer {"x":"a"*100} is 100 + 8 = 108 bytes: two fit in 250, not three
    ans = Answers(compute, max_bytes=250)
    for n in (100, 101, 102):
        ans.get("q", (n,), False)
    assert len(ans) == 2 and ans.nbytes == 109 + 110
    assert ans.peek(Answers.key("q", (100,), False)) is None  # the oldest went
    ans.get("q", (101,), False)  # still stored: no new computation
    assert compute.calls == 3


def test_concurrent_misses_compute_once() -> None:
    compute = Counting(delay=0.2)
    ans = Answers(compute)
    start = threading.Barrier(8)
    got: list[bytes] = []

    def ask() -> None:
        start.wait()
        got.append(ans.get("q", (5,), False))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert compute.calls == 1 and got == [b'{"x":"aaaaa"}'] * 8


def test_errors_are_not_stored() -> None:
    compute = Counting(fail_first=True)
    ans = Answers(compute)
    try:
        ans.get("q", (1,), False)
    except ValueError:
        pass
    else:
        raise AssertionError("the first computation raises")
    assert len(ans) == 0
    assert ans.get("q", (1,), False) == b'{"x":"a"}' and compute.calls == 2


def test_stamp_is_part_of_the_key(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert store_stamp(db) == (0, 0, 0, 0)
    db.write_bytes(b"12345")
    first = store_stamp(db)
    assert first[1] == 5 and first[2:] == (0, 0)
    compute = Counting()
    ans = Answers(compute)
    ans.get("q", (2,), False, first)
    ans.get("q", (2,), False, first)
    db.write_bytes(b"1234567")  # the store was written: a new stamp, a new computation
    assert store_stamp(db)[1] == 7
    ans.get("q", (2,), False, store_stamp(db))
    assert compute.calls == 2


def _memo(app: FastAPI) -> AnswerMemo:
    node: Any = app.middleware_stack
    while not isinstance(node, AnswerMemo):
        node = node.app
    return node


def test_repeated_query_is_a_memo_hit_with_the_same_bytes(world: World,
                                                          tmp_path: Path) -> None:
    app = create_app(world=world, db=tmp_path / "r.duckdb")
    # the answer recomputed independently of the server: the handler, then json.dumps
    want = json.dumps(handlers.exposure(world, "KOR", None, "all"), allow_nan=False,
                      separators=(",", ":")).encode()
    with TestClient(app, base_url=BASE) as c:
        q = "/api/exposure?economy=KOR&tiers=all"
        first = c.get(q, headers={"accept-encoding": "identity"})
        assert _memo(app).hits == 0
        again = c.get(q, headers={"accept-encoding": "identity"})
        assert _memo(app).hits == 1
        zipped = c.get(q, headers={"accept-encoding": "gzip"})  # another encoding: a miss
        zipped2 = c.get(q, headers={"accept-encoding": "gzip"})
        assert _memo(app).hits == 2
    assert first.content == again.content == want
    assert zipped.content == zipped2.content == want  # httpx gunzips
    assert zipped2.headers["content-encoding"] == "gzip"
    assert dict(again.headers) == dict(first.headers)
    for r in (again, zipped2):  # the guard still adds its headers to a memo hit
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_memo_hit_still_needs_host_and_token(world: World, tmp_path: Path) -> None:
    app = create_app(world=world, token="s3cret", db=tmp_path / "r.duckdb")
    q = "/api/exposure?economy=JPN"
    auth = {"Authorization": "Bearer s3cret"}
    with TestClient(app, base_url=BASE) as c:
        assert c.get(q, headers=auth).status_code == 200
        assert c.get(q, headers=auth).status_code == 200
        assert _memo(app).hits == 1
        assert c.get(q).status_code == 401
        assert c.get(q, headers={**auth, "host": "evil.example"}).status_code == 400
        assert _memo(app).hits == 1


def test_errors_and_store_answers_are_not_memoised(world: World, tmp_path: Path) -> None:
    app = create_app(world=world, db=tmp_path / "r.duckdb")
    with TestClient(app, base_url=BASE) as c:
        for q in ("/api/exposure?economy=XXX", "/api/exposure?economy=KOR&year=20x0",
                  "/api/exposure?economy=KOR&source=icio"):
            codes = {c.get(q).status_code for _ in range(2)}
            assert codes.isdisjoint({200})
        assert _memo(app).hits == 0
