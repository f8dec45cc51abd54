"""``econsec serve``: the JSON API and the dashboard (FastAPI + uvicorn, imported lazily)."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from econsec.cli.common import fail

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


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


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-local addresses need "
                                      "--token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[str | None, typer.Option(
        help="Bearer token required on /api/ (Authorization: Bearer TOKEN).",
        envvar="ECONSEC_TOKEN", show_default=False)] = None,
    workers: Annotated[int, typer.Option(min=1, max=8, help="Simulation worker "
                                         "threads.")] = 2,
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

    app = create_app(token=token or None, workers=workers)
    typer.echo(f"econsec dashboard: http://{host}:{port}/  (API: /openapi.json; "
               f"token {'required' if token else 'off'}; pid {os.getpid()})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
