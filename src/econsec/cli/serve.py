"""``econsec serve``: the JSON API and the dashboard (FastAPI + uvicorn, imported lazily)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from econsec.cli.common import fail

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: seconds a client has to send a request's headers, and to keep an idle connection
HEADER_TIMEOUT = 10.0
KEEP_ALIVE_TIMEOUT = 5
#: largest request head (request line and headers) in bytes
MAX_HEAD_BYTES = 16 * 1024
#: concurrent connections before the server answers 503
MAX_CONNECTIONS = 64


def is_local(host: str) -> bool:
    """True for loopback addresses (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-local bind without a bearer token (ValueError says why)."""
    if not is_local(host) and not token:
        raise ValueError(f"refusing to bind {host} without a token: anyone on the network "
                         "could run simulations. Give --token TOKEN (or ECONSEC_TOKEN) or "
                         "bind 127.0.0.1")


def header_timeout_protocol(seconds: float) -> Any:
    """uvicorn's h11 protocol closing a connection whose request headers have not all
    arrived *seconds* after it opened or after its last response (slow-header clients);
    uvicorn's own keep-alive timeout covers only idle connections."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11(H11Protocol):
        _head_timer: Any = None

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(seconds, self._head_expired)

        def _head_expired(self) -> None:
            cycle = self.cycle
            if cycle is None or cycle.response_complete:  # no request head completed
                self.transport.close()

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

    return HeaderTimeoutH11


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-local addresses need "
                                      "--token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[str | None, typer.Option(
        help="Token required on every route (open /?token=TOKEN once: it sets a cookie; "
        "or send Authorization: Bearer TOKEN).",
        envvar="ECONSEC_TOKEN", show_default=False)] = None,
    workers: Annotated[int, typer.Option(min=1, max=8, help="Simulation worker "
                                         "processes.")] = 2,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="Host name the server may be reached as, besides localhost, "
        "127.0.0.1 and ::1 (repeat for several); other Host headers get 400.",
        show_default=False)] = None,
    keep_runs: Annotated[int, typer.Option(min=0, max=1_000_000, help="Runs started from "
                                           "the dashboard kept in the store (newest; 0: "
                                           "all).")] = 500,
    db: Annotated[Path | None, typer.Option("--db", help="Store the runs are kept in "
                                            "(default: $ECONSEC_DB or the user data "
                                            "folder).", show_default=False)] = None,
) -> None:
    """Serve the JSON API (OpenAPI at /openapi.json) and the dashboard at /.

    Example: `econsec serve --port 8000`, then open http://127.0.0.1:8000/
    """
    try:
        check_bind(host, token)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise fail("econsec serve needs fastapi and uvicorn, which are not installed: "
                   "pip install 'econsec[server]'") from None
    from econsec.api import create_app
    from econsec.api.app import Limits

    hosts = list(allowed_host or [])
    if not is_local(host) and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    app = create_app(token=token or None, workers=workers, db=db, allowed_hosts=hosts,
                     limits=Limits(keep_runs=keep_runs), warm=True)
    typer.echo(f"econsec dashboard: http://{host}:{port}/  (API: /openapi.json; "
               f"token {'required' if token else 'off'}; pid {os.getpid()})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_TIMEOUT, limit_concurrency=MAX_CONNECTIONS,
                h11_max_incomplete_event_size=MAX_HEAD_BYTES,
                http=header_timeout_protocol(HEADER_TIMEOUT))
