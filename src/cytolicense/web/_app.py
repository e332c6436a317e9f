"""The console for a person and the JSON API for a service, on one ASGI application.

A shell beside the command line, over the same layers: every request opens nothing
but a store handle of its thread (SQLite and PostgreSQL handles are one connection,
used by one thread at a time), every store call runs in Starlette's thread pool so
the event loop never blocks, and every decision is the engine's.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core._catalog import Catalog
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    CytolicenseError,
    DataError,
    NotFoundError,
    RuleViolation,
)
from ..core._findings import Decision
from ..core._messages import language_of
from ..core._operations import OPERATION_TYPES
from ..engine._engine import Engine
from ..plugins._plugins import load_catalog
from ..store._console import Console
from ..store._protocol import ClientStore, open_store
from ..store._serialize import from_data, to_data
from ._openapi import openapi
from ._pages import PAGES, Page, _Refused

__all__ = ["Identity", "create_app"]

log = logging.getLogger("cytolicense.web")

OPERATIONS = {cls.__name__: cls for cls in OPERATION_TYPES}
MAX_BODY = 1 << 20
"""Request bodies larger than this (1 MiB) are refused with 413."""


@attrs.frozen
class Identity:
    """Who a request acts as, as the host's authentication says.

    Attributes:
        actor: Recorded as the actor of every event the request causes.
        partner: The partner it acts for; ``None``: the app's own partner.
    """

    actor: str
    partner: str | None = None


Authenticate = Callable[[Request], "Identity | str | None"]
"""The host's authentication: the request's :class:`Identity` (or just the actor's
name), or ``None`` to refuse it (401)."""


class _Consoles:
    """One console per (thread, partner): a store handle is one connection."""

    def __init__(self, db: str, engine: Engine) -> None:
        self.db = db
        self.engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._stores: list[ClientStore] = []

    def get(self, partner: str) -> Console:
        consoles: dict[str, Console] | None = getattr(self._local, "consoles", None)
        if consoles is None:
            consoles = self._local.consoles = {}
        console = consoles.get(partner)
        if console is None:
            store = open_store(self.db, partner)
            with self._lock:
                self._stores.append(store)
            console = consoles[partner] = Console(self.engine, store)
        return console

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()


class _BodyLimit:
    """Refuse request bodies over *limit* bytes (413) before any handler reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"error": "request body too large"}, status_code=413)
    await response(scope, receive, send)


def create_app(
    db: str,
    partner: str = "default",
    *,
    catalog: Catalog | None = None,
    today: dt.date | None = None,
    language: str = "en",
    authenticate: Authenticate | None = None,
    token: str | None = None,
    max_body: int = MAX_BODY,
    secret: str | None = None,
) -> Starlette:
    """The console and its JSON API as one ASGI application (Starlette).

    Args:
        db: The store: a SQLite path, ``sqlite:///PATH`` or ``postgresql://...``.
        partner: The partner the app acts for, unless *authenticate* names another
            for a request (the partner is never taken from the URL).
        catalog: The catalog (default: the installed catalog plugins).
        today: A fixed day for every request (default: each request's own date).
        language: The pages' language when the request asks for none (``?lang=``,
            then ``Accept-Language``).
        authenticate: The host's login: a callable from the request to an
            :class:`Identity` (or an actor's name), or ``None`` to refuse (401).
        token: A shared secret every request must carry (``Authorization: Bearer
            TOKEN``, or the cookie set by ``/login?token=TOKEN``); 401 without it.
        max_body: The largest request body accepted (413 above it).
        secret: The key that signs the forms' CSRF tokens (default: a random one
            per process).
    """
    engine = Engine(catalog if catalog is not None else load_catalog())
    consoles = _Consoles(db, engine)
    csrf_key = (secret or secrets.token_hex(32)).encode()

    def day() -> dt.date:
        return today or dt.date.today()

    def identity(request: Request) -> Identity:
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            given = given or request.cookies.get("cytolicense_token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise _Refused(401, "a token is required (Authorization: Bearer TOKEN)")
        if authenticate is None:
            return Identity(actor="console", partner=partner)
        who = authenticate(request)
        if who is None:
            raise _Refused(401, "not signed in")
        if isinstance(who, str):
            return Identity(actor=who, partner=partner)
        return Identity(actor=who.actor, partner=who.partner or partner)

    def lang(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked:
            return language_of(asked)
        header = request.headers.get("accept-language", "")
        if header:
            first = header.split(",")[0].split(";")[0].strip()
            if first:
                return language_of(first)
        return language_of(language)

    def csrf_token(session: str) -> str:
        return hmac.new(csrf_key, session.encode(), "sha256").hexdigest()

    context = _Context(
        engine=engine,
        consoles=consoles,
        day=day,
        identity=identity,
        lang=lang,
        csrf_token=csrf_token,
    )

    def api(handler: Callable[[_Context, Request], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(context, request)
            except _Refused as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except NotFoundError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except ConflictError as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            except (DataError, ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except CytolicenseError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except Exception:  # never a traceback to the caller: it goes to the log
                log.exception("error serving %s %s", request.method, request.url.path)
                return JSONResponse({"error": "internal server error"}, status_code=500)

        return endpoint

    def page(handler: Page) -> Any:
        async def endpoint(request: Request) -> Response:
            return await handler(context, request)

        return endpoint

    routes = [
        Route("/api/health", api(_health)),
        Route("/api/clients", api(_clients), methods=["GET", "POST"]),
        Route("/api/clients/{client_id}", api(_client)),
        Route("/api/clients/{client_id}/offer", api(_offer)),
        Route("/api/clients/{client_id}/operations", api(_operations), methods=["POST"]),
        Route("/api/clients/{client_id}/history", api(_history)),
        Route("/openapi.json", api(_openapi)),
        *(Route(path, page(handler), methods=methods) for path, handler, methods in PAGES),
        Mount("/static", StaticFiles(packages=[("cytolicense.web", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_BodyLimit, limit=max_body)],
    )
    app.state.consoles = consoles
    return app


@attrs.frozen
class _Context:
    engine: Engine
    consoles: _Consoles
    day: Callable[[], dt.date]
    identity: Callable[[Request], Identity]
    lang: Callable[[Request], str]
    csrf_token: Callable[[str], str]

    def console(self, request: Request) -> tuple[Console, Identity]:
        who = self.identity(request)
        assert who.partner is not None
        return self.consoles.get(who.partner), who


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise _Refused(400, "the body is not JSON") from None


async def _health(ctx: _Context, request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _clients(ctx: _Context, request: Request) -> Response:
    console, who = ctx.console(request)
    today = ctx.day()
    if request.method == "POST":
        body = await _json_body(request)
        if (
            not isinstance(body, dict)
            or set(body) - {"id", "name"}
            or not {"id", "name"} <= set(body)
        ):
            raise _Refused(400, 'expected {"id": ..., "name": ...}')
        cid, name = body["id"], body["name"]
        if not isinstance(cid, str) or not isinstance(name, str):
            raise _Refused(400, "id and name must be text")
        if not cid.strip() or len(cid) > 200 or not cid.isprintable():
            raise _Refused(400, "a client id has 1 to 200 printable characters")
        try:
            client = await run_in_threadpool(console.add_client, cid, name, today, actor=who.actor)
        except ClientExistsError as exc:
            raise _Refused(409, str(exc)) from None
        return JSONResponse(to_data(client), status_code=201)
    rows = await run_in_threadpool(console.store.rows, today)
    return JSONResponse(
        {
            "clients": [
                {
                    "id": r.id,
                    "name": r.name,
                    "shown": r.shown_until >= today,
                    "ended_on": r.ended_on.isoformat(),
                    "deleted_on": r.deleted_on.isoformat() if r.deleted_on else None,
                    "products": list(r.products),
                }
                for r in rows
            ]
        }
    )


async def _client(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    client = await run_in_threadpool(console.store.get, request.path_params["client_id"])
    return JSONResponse(to_data(client))


async def _offer(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    offers = await run_in_threadpool(console.offer, request.path_params["client_id"], ctx.day())
    return JSONResponse({"products": [to_data(o) for o in offers]})


async def _history(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    events = await run_in_threadpool(console.history, request.path_params["client_id"])
    if not events:
        await run_in_threadpool(console.store.get, request.path_params["client_id"])
    return JSONResponse({"events": [to_data(e) for e in events]})


async def _operations(ctx: _Context, request: Request) -> Response:
    console, who = ctx.console(request)
    client_id = request.path_params["client_id"]
    body = await _json_body(request)
    kind = body.get("type") if isinstance(body, dict) else None
    cls = OPERATIONS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise _Refused(
            400, f"not an operation document: 'type' must be one of {', '.join(OPERATIONS)}"
        )
    try:
        operation = from_data(cls, body)
    except DataError as exc:
        raise _Refused(400, f"not an operation document: {exc}") from None
    today = ctx.day()
    dry = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
    if dry:
        decision = await run_in_threadpool(console.check, client_id, operation, today)
        return JSONResponse({"decision": to_data(decision)})
    key = request.headers.get("idempotency-key")
    try:
        change = await run_in_threadpool(
            lambda: console.apply(client_id, operation, today, actor=who.actor, key=key)
        )
    except RuleViolation as exc:
        return JSONResponse({"decision": to_data(exc.decision)}, status_code=422)
    return JSONResponse(
        {"decision": to_data(Decision(change.warnings)), "client": to_data(change.client)}
    )


async def _openapi(ctx: _Context, request: Request) -> Response:
    return JSONResponse(openapi())
