"""The console for a person and the JSON API for a service, on one ASGI application.

A shell beside the command line, over the same layers. Each request leases a store
handle of its own (one database connection) for its whole life and gives it back
when it ends, so no two requests in flight ever share a connection; every store call
runs in Starlette's thread pool so the event loop never blocks, and every decision
is the engine's. What a browser can forge is refused before any handler runs: a
``Host`` the app does not serve (DNS rebinding), a cross-site write, a write that is
not JSON.

This module builds the app (:func:`create_app`: who a request acts as, its leased
console, its faults as answers, the routes); the handlers are ``_api``'s (the JSON
API) and ``_pages``' (the console's pages), the guards before them ``_middleware``'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core._catalog import Catalog
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    ConnectionLostError,
    CytolicenseError,
    DataError,
    ForbiddenError,
    KeyConflictError,
    NotFoundError,
    RetryableError,
    RuleViolation,
    StoreError,
    UnknownIdError,
)
from ..core._messages import language_of
from ..engine._engine import Engine
from ..plugins._plugins import load_catalog
from ..views._text import tr
from ._api import (
    _asks_language,
    _client,
    _clients,
    _error,
    _health,
    _history,
    _offer,
    _openapi,
    _operations,
)
from ._auth import SIGNED_IN, Sessions, Throttle
from ._context import Identity, _Consoles, _Context, _Refused
from ._middleware import _BodyLimit, _Guard, _hostname
from ._pages import PAGES
from ._rendering import Page, _link, _quote
from ._rendering import _error as _page_error
from ._team_pages import TEAM_PAGES, UNLEASED, Auth
from ._webhooks import API as WEBHOOK_API
from ._webhooks import PAGES as WEBHOOK_PAGES

__all__ = ["LOOPBACK_HOSTS", "Identity", "create_app"]

log = logging.getLogger("cytolicense.web")

MAX_BODY = 1 << 20
"""Request bodies larger than this (1 MiB) are refused with 413."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
"""The ``Host`` names an app answers by default: the loopback ones (and ``testserver``,
Starlette's test client's, which no DNS name can rebind to)."""


Authenticate = Callable[[Request], "Identity | str | None"]
"""The host's authentication: the request's :class:`Identity` (or just the actor's
name), or ``None`` to refuse it (401)."""


def _gone(request: Request) -> Response:
    """The answer to a caller that disconnected before its body was read: nobody gets
    it (400, as uvicorn logs it); a line in the debug log, no traceback."""
    log.debug("%s %s: the client disconnected", request.method, request.url.path)
    return Response(status_code=400)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _request_id(request: Request) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token, else a new one."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def _fault(exc: BaseException) -> tuple[int, str, bool]:
    """The status, the sentence and whether to retry for a fault of the server or the
    database: the detail (a path, a URL) goes to the log only."""
    if isinstance(exc, ConnectionLostError):
        return 503, "the database is unreachable; try again shortly", True
    if isinstance(exc, RetryableError):  # a lock timeout, a deadlock: a lost race
        return 409, "another write to the same data was in progress; try again", True
    if isinstance(exc, StoreError):
        return 503, "the database could not serve this request", False
    return 500, "internal server error", False


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
    allowed_hosts: Iterable[str] | None = LOOPBACK_HOSTS,
    connections: int = 16,
    sign_in: bool = False,
    operator_header: str | None = None,
    session_hours: float = 8.0,
    sign_in_attempts: int = 5,
    sign_in_window: float = 900.0,
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
        allowed_hosts: The ``Host`` names the app answers (421 for any other; ports
            are ignored). Default: the loopback names. Behind a reverse proxy or on
            a public name, list that name; ``None`` answers every host (only where
            the proxy in front checks it).
        connections: At most this many requests hold a store handle (a database
            connection) at once; the others wait for one.
        sign_in: Whether every request must act as an operator: signed in with its
            password (``/signin``; a session that expires after *session_hours*), named
            by *operator_header* or by *authenticate*; only a request with the shared
            *token* (a service) acts without one. Pages then send a stranger to
            ``/signin``; the API answers 401.
        operator_header: The header a reverse proxy in front sets to the signed-in
            operator's id (for example ``X-Forwarded-User`` behind oauth2-proxy).
            Trusted only when given: the proxy must strip it from what clients send.
        session_hours: How long a password sign-in lasts.
        sign_in_attempts: Failed sign-ins allowed per operator and per address within
            *sign_in_window* seconds (then 429 until the window has passed).
    """
    engine = Engine(catalog if catalog is not None else load_catalog())
    consoles = _Consoles(db, engine, limit=connections)
    csrf_key = (secret or secrets.token_hex(32)).encode()
    hosts = None if allowed_hosts is None else frozenset(_hostname(h) for h in allowed_hosts)

    def day() -> dt.date:
        return today or dt.date.today()

    def token_ok(given: str) -> bool:
        return token is None or hmac.compare_digest(given.encode(), token.encode())

    auth = Auth(
        sessions=Sessions(b"sessions:" + csrf_key, session_hours * 3600),
        throttle=Throttle(sign_in_attempts, sign_in_window),
        required=sign_in,
        header=operator_header,
    )

    def operator_of(request: Request) -> Identity | None:
        """The operator the proxy's header or a signed-in session names."""
        if operator_header is not None:
            named = request.headers.get(operator_header, "").strip()
            if named:
                return Identity(actor=named, partner=partner, operator=named)
        found = auth.sessions.read(request.cookies.get(SIGNED_IN, ""))
        if found is not None:
            return Identity(actor=found.operator, partner=found.partner, operator=found.operator)
        return None

    def identity(request: Request) -> Identity:
        named = operator_of(request)
        if named is not None:
            return named
        if sign_in and token is None and authenticate is None:
            raise _Refused(401, "not signed in")
        if token is not None:
            header = request.headers.get("authorization")
            if header is not None:
                scheme, _, given = header.strip().partition(" ")
                given = given.strip() if scheme.lower() == "bearer" else ""
            else:
                given = request.cookies.get("cytolicense_token", "")
            if not given or not token_ok(given):
                raise _Refused(401, "a token is required (Authorization: Bearer TOKEN)")
        if authenticate is None:
            return Identity(actor="console", partner=partner)
        who = authenticate(request)
        if who is None:
            raise _Refused(401, "not signed in")
        if isinstance(who, str):
            who = Identity(actor=who, partner=partner)
        if sign_in and who.operator is None and token is None:
            raise _Refused(401, "not signed in")  # the host named nobody to act as
        return Identity(actor=who.actor, partner=who.partner or partner, operator=who.operator)

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
        partner=partner,
        day=day,
        identity=identity,
        lang=lang,
        csrf_token=csrf_token,
        token_ok=token_ok,
        auth=auth,
    )

    async def leased(
        handler: Callable[[_Context, Request], Awaitable[Response]], request: Request, lease: bool
    ) -> Response:
        """*handler* with the request's own console (when *lease*); a read whose
        connection was lost (the database restarted) runs once more on a new one."""
        if not lease:
            return await handler(context, request)
        who = identity(request)
        assert who.partner is not None
        for attempt in (1, 2):
            try:
                async with consoles.lease(who.partner) as console:
                    if who.operator is not None:  # every call checked against it
                        try:
                            console = await run_in_threadpool(console.as_operator, who.operator)
                        except UnknownIdError:
                            raise _Refused(401, "not signed in") from None
                    request.state.console = (console, who)
                    return await handler(context, request)
            except ConnectionLostError:
                if attempt == 2 or request.method not in ("GET", "HEAD"):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def api(handler: Callable[[_Context, Request], Awaitable[Response]], lease: bool = True) -> Any:
        async def endpoint(request: Request) -> Response:
            def said(exc: Exception) -> str:  # in the caller's language when it asks
                if isinstance(exc, CytolicenseError) and _asks_language(request):
                    return exc.message_in(lang(request))
                return str(exc)

            try:
                return await leased(handler, request, lease)
            except _Refused as exc:
                return _error(exc.status, exc.message)
            except ForbiddenError as exc:  # the operator's role or scope
                return _error(403, said(exc))
            except NotFoundError as exc:
                return _error(404, said(exc))
            except (KeyConflictError, ClientExistsError) as exc:
                return _error(409, said(exc))
            except ConflictError as exc:  # a race the console's retries did not win
                return _error(409, said(exc), retry=True)
            except (DataError, ValueError, TypeError, RuleViolation) as exc:
                return _error(400, said(exc))
            except ClientDisconnect:  # the caller left while its body was read: no fault
                return _gone(request)
            except Exception as exc:  # never a path, URL or traceback to the caller
                rid = _request_id(request)
                status, message, retry = _fault(exc)
                log.exception(
                    "request %s: error serving %s %s", rid, request.method, request.url.path
                )
                return _error(status, message, request_id=rid, retry=retry)

        return endpoint

    def page(handler: Page, lease: bool = True) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await leased(handler, request, lease)
            except _Refused as exc:
                if exc.status == 401 and sign_in and request.method == "GET":
                    return RedirectResponse(_link(request, "/signin"), status_code=303)
                return HTMLResponse(exc.message, status_code=exc.status)
            except ForbiddenError as exc:  # a page of the console, with its way back
                cid = request.path_params.get("client_id")
                back = {"back": f"/clients/{_quote(cid)}"} if isinstance(cid, str) else {}
                return _page_error(context, request, 403, exc.message_in(lang(request)), **back)
            except ConflictError:
                return HTMLResponse(
                    tr(
                        "The client changed while this was being done: go back and try again.",
                        lang(request),
                    ),
                    status_code=409,
                )
            except ClientDisconnect:
                return _gone(request)
            except Exception as exc:
                rid = _request_id(request)
                status, message, _ = _fault(exc)
                message = tr(message, lang(request))
                log.exception(
                    "request %s: error serving %s %s", rid, request.method, request.url.path
                )
                return HTMLResponse(
                    f"{message} (request {rid})", status_code=status, headers={"X-Request-Id": rid}
                )

        return endpoint

    async def router_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, str(exc.detail))

    unleased = {"/login", *UNLEASED}
    routes = [
        Route("/api/health", api(_health, lease=False)),
        Route("/api/clients", api(_clients), methods=["GET", "POST"]),
        Route("/api/clients/{client_id}", api(_client)),
        Route("/api/clients/{client_id}/offer", api(_offer)),
        Route("/api/clients/{client_id}/operations", api(_operations), methods=["POST"]),
        Route("/api/clients/{client_id}/history", api(_history)),
        Route("/openapi.json", api(_openapi, lease=False)),
        *(Route(path, api(handler), methods=methods) for path, handler, methods in WEBHOOK_API),
        *(
            Route(path, page(handler, lease=path not in unleased), methods=methods)
            for path, handler, methods in (*PAGES, *WEBHOOK_PAGES, *TEAM_PAGES)
        ),
        Mount("/static", StaticFiles(packages=[("cytolicense.web", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(_Guard, hosts=hosts),
            Middleware(_BodyLimit, limit=max_body),
        ],
        exception_handlers={HTTPException: router_error},
        lifespan=lambda app: _closing(consoles),
    )
    app.state.consoles = consoles
    return app


@contextlib.asynccontextmanager
async def _closing(consoles: _Consoles) -> AsyncIterator[None]:
    """The app's lifespan: its idle store handles are closed when the server stops."""
    yield
    consoles.close()
