"""What ``cytolicense serve`` hands each of its worker processes: the app's settings,
through the environment (uvicorn starts workers from an import string)."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import attrs
from starlette.applications import Starlette

from ._app import create_app

__all__ = ["SERVE_ENV", "ServeSettings", "app_from_environment"]

SERVE_ENV = "CYTOLICENSE_SERVE"
"""The environment variable holding a worker's :class:`ServeSettings` (JSON)."""


@attrs.frozen(kw_only=True)
class ServeSettings:
    """The arguments of :func:`create_app` that ``serve`` sets."""

    db: str
    partner: str
    today: dt.date | None = None
    language: str = "en"
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    secret: str | None = None
    """The forms' CSRF key: one for every worker, or a form one worker served would be
    refused by the next."""
    sign_in: bool = False
    """Whether every request acts as an operator (a session signed with *secret*, so
    that every worker honours it)."""
    operator_header: str | None = None
    session_hours: float = 8.0

    def app_args(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=False)

    def to_env(self) -> str:
        data = self.app_args()
        data["today"] = self.today.isoformat() if self.today else None
        return json.dumps(data)

    @classmethod
    def from_env(cls, text: str) -> ServeSettings:
        data = json.loads(text)
        day = data.pop("today")
        hosts = tuple(data.pop("allowed_hosts"))
        today = dt.date.fromisoformat(day) if day else None
        return cls(today=today, allowed_hosts=hosts, **data)


def app_from_environment() -> Starlette:
    """The app of one ``serve --workers N`` process, from :data:`SERVE_ENV`."""
    text = os.environ.get(SERVE_ENV)
    if not text:
        raise RuntimeError(f"{SERVE_ENV} is not set: start workers with `cytolicense serve`")
    return create_app(**ServeSettings.from_env(text).app_args())
