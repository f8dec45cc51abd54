"""Web API and dashboard (``econsec serve``).

Importing this package is cheap: FastAPI is imported by :func:`create_app` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(**kwargs: Any) -> FastAPI:
    """See :func:`econsec.api.app.create_app`."""
    from econsec.api.app import create_app as _create

    return _create(**kwargs)
