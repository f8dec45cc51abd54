"""The server's guard: an ASGI middleware in front of every route.

In order, for every HTTP request:

1. **Trusted host** (against DNS rebinding): the ``Host`` header's name must be one of the
   allowed host names (:data:`LOCAL_HOST_NAMES` by default, plus ``--allowed-host``);
   otherwise 400. A page on another origin that rebinds its name to 127.0.0.1 still sends
   its own name as ``Host`` and is refused.
2. **Origin** on state-changing methods (POST, PUT, PATCH, DELETE): a request whose
   ``Origin`` header names another host is refused (403).
3. **Token** (when the server has one): EVERY route, ``/``, ``/static/*`` and
   ``/openapi.json`` included, needs it, as ``Authorization: Bearer <token>`` or the
   ``econsec_token`` cookie. A first visit to any page with ``?token=<token>`` (GET) sets
   the cookie (``HttpOnly; SameSite=Strict; Path=/``) and redirects (303) to the same URL
   without the token; a wrong token is a 401 like a missing one.
4. **Body cap**: a body over *max_body* bytes is a 413.

Every response carries :data:`SECURITY_HEADERS`: a Content-Security-Policy without inline
or remote script (``script-src 'self'``, ``frame-ancestors 'none'``), ``nosniff``,
``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass(frozen=True)
class Limits:
    """Caps on request and run size."""

    max_body_bytes: int = 16 * 1024
    max_runs: int = 2000
    max_horizon_days: int = 1825
    #: runs x horizon_days x nodes (nodes: producing economy-good pairs of the world)
    max_run_cells: int = 200_000_000
    max_active_runs: int = 16
    #: runs started by the API kept in the store (newest first; 0 keeps all)
    keep_runs: int = 500
    #: rows per page of GET /api/runs
    max_page: int = 200


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_HOST_NAMES = ("localhost", "127.0.0.1", "::1")
COOKIE = "econsec_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def host_name(value: str) -> str:
    """The host name of a ``Host`` header or URL authority (no port; IPv6 unbracketed;
    lower case)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") > 1:  # a bare IPv6 address
        return value
    return value.split(":", 1)[0]


class Guard:
    """The middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int,
                 allowed_hosts: Iterable[str] = LOCAL_HOST_NAMES) -> None:
        self.app, self.token, self.max_body = app, token, max_body
        self.allowed = frozenset(host_name(h) for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if host_name(headers.get("host", "")) not in self.allowed:
            await send_json(send, 400, _detail("header", "host", "Host not allowed: start "
                            "the server with --allowed-host NAME to serve this name"))
            return
        origin = headers.get("origin")
        if scope.get("method") in UNSAFE_METHODS and origin is not None \
                and host_name(urlsplit(origin).netloc) not in self.allowed:
            await send_json(send, 403, _detail("header", "origin",
                                               "cross-origin request refused"))
            return
        if self.token and not await self._authorised(scope, headers, send):
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await send_json(send, 413, _detail("body", None,
                                               f"request body larger than {self.max_body} bytes"))
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await send_json(send, 413, _detail("body", None,
                                               f"request body larger than {self.max_body} bytes"))

    async def _authorised(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """True when the request carries the token; otherwise answers (401 or the 303 that
        turns ``?token=`` into the cookie) and returns False."""
        assert self.token is not None
        want = self.token.encode()
        auth = headers.get("authorization", "")
        if auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].encode(), want):
            return True
        cookies = _cookies(headers.get("cookie", ""))
        if COOKIE in cookies and hmac.compare_digest(cookies[COOKIE].encode(), want):
            return True
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if scope.get("method") == "GET" and given \
                and hmac.compare_digest(given[0].encode(), want):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await send_json(send, 303, {"detail": "token accepted"},
                            {"location": location, "set-cookie": cookie})
            return False
        await send_json(send, 401, _detail(
            "header", "authorization", "token required: open the dashboard once as "
            "/?token=TOKEN (sets a cookie) or send Authorization: Bearer TOKEN"),
            {"www-authenticate": "Bearer"})
        return False


class _BodyTooLarge(Exception):
    pass


def _detail(where: str, field: str | None, msg: str) -> dict[str, Any]:
    loc = [where] if field is None else [where, field]
    return {"detail": [{"loc": loc, "msg": msg}]}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


def _with_headers(send: Send) -> Send:
    """*send* adding :data:`SECURITY_HEADERS` to the response start (unless present)."""

    async def wrapped(message: Any) -> None:
        if message.get("type") == "http.response.start":
            have = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                     if k.encode() not in have]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def send_json(send: Send, status: int, body: Any,
                    extra: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(data)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
