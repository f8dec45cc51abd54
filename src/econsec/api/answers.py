"""Serialised answers of the query routes, computed once and served from memory.

Profile of one ``GET /api/exposure`` on the built-in world (2-core machine, Dec 2026):

* a **new** query computes the answer with pandas (0.25-2.3 s: the supply network, the
  look-through solve, frames) and, before this module, did so *on the event loop*, so
  every other request waited for it;
* a **repeated** query (a cache hit) cost the server about 1.1 ms of CPU: 0.33 ms inside
  the app, of which FastAPI's parameter parsing and validation (``solve_dependencies``)
  took 0.3 ms, the rest uvicorn's h11 protocol, asyncio and the socket.

Hence two pieces:

:class:`Answers`
    a least-recently-used store of encoded answers (JSON bytes and their gzip), bounded in
    **bytes**; a miss is computed once (concurrent misses of one key wait for the first;
    the routes compute misses in a worker thread, so the event loop keeps serving hits).
    Keys are the handler's name and its normalised arguments; answers from the run store
    (``source=trade|icio``) carry the store file's stamp (:func:`store_stamp`), so an
    import or a stored run invalidates them.
:class:`AnswerMemo`
    an ASGI middleware, inside the guard (host check, token, security headers all still
    run first), that answers a GET whose exact path, query string and gzip acceptance were
    answered before by a route marking its answer as immutable (``scope[MEMO_KEY]``, set
    by :meth:`Answers.mark`; only answers from the immutable world are marked), without
    routing or re-validating the parameters: the same query string validates the same
    way, and only 200 answers are remembered. Its entries point into :class:`Answers`
    (an evicted answer is a miss: the request goes through the app again).
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: scope key a route sets to the :class:`Answers` key of an immutable 200 answer
MEMO_KEY = "econsec.answer_key"
#: default byte bound of :class:`Answers` (an exposure answer is 60-170 kB of JSON, 10-25 kB
#: gzipped)
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: entries of :class:`AnswerMemo` (each a key and a response head, a few hundred bytes)
MAX_MEMO_ENTRIES = 4096
GZIP_LEVEL = 5


def store_stamp(path: Path) -> tuple[int, int, int, int]:
    """(mtime_ns, size) of the DuckDB store at *path* and of its write-ahead log (zeros
    when absent): changes whenever the store is written."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [0, 0]
    return out[0], out[1], out[2], out[3]


class Answers:
    """Encoded answers keyed by ``(encoding, name, args)``; see the module docstring.

    *compute(name, args)* returns the JSON-ready answer of handler *name* (it may raise;
    errors are not stored)."""

    def __init__(self, compute: Callable[[str, tuple[Any, ...]], Any],
                 max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self._compute, self.max_bytes = compute, max_bytes
        self._lru: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}

    @staticmethod
    def key(name: str, args: tuple[Any, ...], gzipped: bool,
            stamp: Hashable = None) -> Hashable:
        """The key of an answer; *stamp*: the version of the data it reads besides the
        world (the store's :func:`store_stamp`), None for none."""
        return ("gzip" if gzipped else "json", name, args, stamp)

    def peek(self, key: Hashable) -> bytes | None:
        """The stored answer of *key* (marked recently used), or None."""
        with self._lock:
            body = self._lru.get(key)
            if body is not None:
                self._lru.move_to_end(key)
            return body

    def get(self, name: str, args: tuple[Any, ...], gzipped: bool,
            stamp: Hashable = None) -> bytes:
        """The answer of handler *name* on *args*: ``json.dumps`` compact, no NaN, UTF-8
        (gzip level 5, mtime 0, of those bytes when *gzipped*); computed on a miss."""
        key = self.key(name, args, gzipped, stamp)
        body = self.peek(key)
        if body is not None:
            return body
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            body = self.peek(key)
            if body is None:
                body = self._encode(name, args, gzipped, stamp)
                self._put(key, body)
        with self._lock:
            self._flights.pop(key, None)
        return body

    def _encode(self, name: str, args: tuple[Any, ...], gzipped: bool,
                stamp: Hashable) -> bytes:
        if gzipped:
            return gzip.compress(self.get(name, args, False, stamp),
                                 compresslevel=GZIP_LEVEL, mtime=0)
        import json

        return json.dumps(self._compute(name, args), allow_nan=False,
                          separators=(",", ":")).encode()

    def _put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            old = self._lru.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._lru[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes and len(self._lru) > 1:
                _, dropped = self._lru.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._lru)


def accepts_gzip(headers: Any) -> bool:
    """Whether an ``accept-encoding`` header among *headers* (ASGI ``(name, value)`` byte
    pairs) mentions gzip: the test the routes apply."""
    return any(k.lower() == b"accept-encoding" and b"gzip" in v for k, v in headers)


class AnswerMemo:
    """The middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, answers: Answers,
                 max_entries: int = MAX_MEMO_ENTRIES) -> None:
        self.app, self.answers, self.max_entries = app, answers, max_entries
        self._memo: OrderedDict[tuple[str, bytes, bool], tuple[Hashable, Any]] = OrderedDict()
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        mkey = (scope.get("path", ""), scope.get("query_string", b""),
                accepts_gzip(scope.get("headers", ())))
        hit = self._memo.get(mkey)
        if hit is not None:
            body = self.answers.peek(hit[0])
            if body is not None:
                self._memo.move_to_end(mkey)
                self.hits += 1
                await send(hit[1])
                await send({"type": "http.response.body", "body": body})
                return
        start: dict[str, Any] = {}

        async def capture(message: Any) -> None:
            if message.get("type") == "http.response.start":
                start.update(message)
            await send(message)

        await self.app(scope, receive, capture)
        akey = scope.get(MEMO_KEY)
        if akey is not None and start.get("status") == 200:
            self._memo[mkey] = (akey, {"type": "http.response.start", "status": 200,
                                       "headers": list(start.get("headers", []))})
            while len(self._memo) > self.max_entries:
                self._memo.popitem(last=False)
