"""The web console and its JSON API (``pip install cytolicense[web]``).

``create_app(db, partner)`` is an ASGI application a host may mount in its own;
``cytolicense serve`` serves it with uvicorn.
"""

from __future__ import annotations

from ._app import LOOPBACK_HOSTS, create_app
from ._context import RETRY, Identity
from ._openapi import openapi
from ._serve import SERVE_ENV, ServeSettings, app_from_environment

__all__ = [
    "LOOPBACK_HOSTS",
    "RETRY",
    "SERVE_ENV",
    "Identity",
    "ServeSettings",
    "app_from_environment",
    "create_app",
    "openapi",
]
