"""The web console and its JSON API (``pip install cytolicense[web]``).

``create_app(db, partner)`` is an ASGI application a host may mount in its own;
``cytolicense serve`` serves it with uvicorn.
"""

from __future__ import annotations

from ._app import Identity, create_app
from ._openapi import openapi

__all__ = ["Identity", "create_app", "openapi"]
