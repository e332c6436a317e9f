"""What every page and API handler of the web app is handed: who the request acts as
(:class:`Identity`), the app's store handles (one leased per request in flight), the
context the app builds once (:class:`_Context`), and the refusal a handler raises
(:class:`_Refused`, an HTTP status and a sentence).

Below ``_app`` (the application), ``_api`` (the JSON API's handlers) and the console's
pages (``_rendering`` and the page modules), which import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from ..core._exceptions import (
    ConflictError,
    ConnectionLostError,
    CytolicenseError,
    NotFoundError,
    StoreError,
)
from ..engine._engine import Engine
from ..store._console import Console, Retry
from ..store._open import open_store

__all__ = ["RETRY", "Identity"]


RETRY = Retry(attempts=8, backoff=0.005, max_backoff=0.25, without_key=True, conflicts=True)
"""How the app's consoles retry a write: one that lost a race to another write of the
same client is decided again on the client as it now is (up to 8 tries, jittered
waits); a keyed one after any retryable fault; an unkeyed one only when the database
said nothing was written."""


@attrs.frozen
class Identity:
    """Who a request acts as, as the host's authentication says.

    Attributes:
        actor: Recorded as the actor of every event the request causes.
        partner: The partner it acts for; ``None``: the app's own partner.
        operator: The operator it acts as (its role and client groups are checked
            on every call); ``None``: every right (a service holding the token, or a
            console without operators).
    """

    actor: str
    partner: str | None = None
    operator: str | None = None


class _Refused(Exception):
    """A request refused with an HTTP *status* and a sentence (401, 400, 409, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Consoles:
    """The app's store handles: one per request in flight, never shared.

    A request leases a console (a store handle: one database connection) for its
    whole life and gives it back when it ends, whatever the handler did. Idle handles
    wait for the next request of their partner; at most *limit* are leased at once
    (a request past that waits for one, holding no thread). A handle that saw a
    store fault is closed, not reused, and a lost connection closes every idle one
    too (the server restarted or failed over): the next requests connect afresh.
    """

    def __init__(self, db: str, engine: Engine, *, limit: int) -> None:
        self.db = db
        self.engine = engine
        self.limit = limit
        self._lock = threading.Lock()
        self._idle: dict[str, list[Console]] = {}
        self._slots: asyncio.Semaphore | None = None
        self.opened = 0
        """Handles opened so far (for tests and the log)."""

    def _open(self, partner: str) -> Console:
        console = Console(self.engine, open_store(self.db, partner), retry=RETRY)
        with self._lock:
            self.opened += 1
        return console

    @contextlib.asynccontextmanager
    async def lease(self, partner: str) -> AsyncIterator[Console]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            with self._lock:
                idle = self._idle.get(partner)
                console = idle.pop() if idle else None
            if console is None:
                console = await run_in_threadpool(self._open, partner)
            try:
                yield console
            except BaseException as exc:
                if _reusable(exc):
                    self._give(partner, console)
                else:
                    await run_in_threadpool(self._discard, console, exc)
                raise
            self._give(partner, console)

    def _give(self, partner: str, console: Console) -> None:
        with self._lock:
            self._idle.setdefault(partner, []).append(console)

    def _discard(self, console: Console, exc: BaseException) -> None:
        with contextlib.suppress(Exception):
            console.store.close()
        if isinstance(exc, ConnectionLostError):
            self.close()

    def close(self) -> None:
        """Close every idle handle (leased ones are closed when given back broken)."""
        with self._lock:
            idle = [c for consoles in self._idle.values() for c in consoles]
            self._idle.clear()
        for console in idle:
            with contextlib.suppress(Exception):
                console.store.close()


def _reusable(exc: BaseException) -> bool:
    """Whether a handle that raised *exc* is fit for the next request: an answer about
    the request (refused, unknown, a lost race), not a fault of the store."""
    if isinstance(exc, (NotFoundError, ConflictError)):
        return True
    if isinstance(exc, StoreError):
        return False
    return isinstance(
        exc, (CytolicenseError, _Refused, HTTPException, ValueError, TypeError, ClientDisconnect)
    )


@attrs.frozen
class _Context:
    engine: Engine
    consoles: _Consoles
    partner: str
    day: Callable[[], dt.date]
    identity: Callable[[Request], Identity]
    lang: Callable[[Request], str]
    csrf_token: Callable[[str], str]
    token_ok: Callable[[str], bool]
    auth: Any = None

    def console(self, request: Request) -> tuple[Console, Identity]:
        """The request's own console (leased for it alone) and who it acts as."""
        leased: tuple[Console, Identity] = request.state.console
        return leased
