"""The console for a person and the JSON API for a service, on one ASGI application.

A shell beside the command line, over the same layers. Each request leases a store
handle of its own (one database connection) for its whole life and gives it back
when it ends, so no two requests in flight ever share a connection; every store call
runs in Starlette's thread pool so the event loop never blocks, and every decision
is the engine's. What a browser can forge is refused before any handler runs: a
``Host`` the app does not serve (DNS rebinding), a cross-site write, a write that is
not JSON.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import logging
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

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
from ..core._findings import Decision
from ..core._messages import language_of
from ..core._operations import OPERATION_TYPES
from ..engine._engine import Engine
from ..plugins._plugins import load_catalog
from ..store._console import idempotency_key
from ..store._serialize import from_data, to_data
from ..views._text import tr
from ._auth import SIGNED_IN, Sessions, Throttle
from ._context import Identity, _Consoles, _Context, _Refused
from ._openapi import MAX_PAGE, openapi
from ._pages import PAGES
from ._rendering import Page, _link, _quote
from ._rendering import _error as _page_error
from ._team_pages import TEAM_PAGES, UNLEASED, Auth
from ._webhooks import API as WEBHOOK_API
from ._webhooks import PAGES as WEBHOOK_PAGES

__all__ = ["LOOPBACK_HOSTS", "Identity", "create_app"]

log = logging.getLogger("cytolicense.web")

OPERATIONS = {cls.__name__: cls for cls in OPERATION_TYPES}
MAX_BODY = 1 << 20
"""Request bodies larger than this (1 MiB) are refused with 413."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
"""The ``Host`` names an app answers by default: the loopback ones (and ``testserver``,
Starlette's test client's, which no DNS name can rebind to)."""


Authenticate = Callable[[Request], "Identity | str | None"]
"""The host's authentication: the request's :class:`Identity` (or just the actor's
name), or ``None`` to refuse it (401)."""


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
            await _error(413, "request body too large")(scope, receive, send)
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

        await self.app(scope, limited, send)


class _TooLarge(_Refused):
    """A streamed (chunked) body grew past the limit while a handler read it."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPE = re.compile(r"application/([\w.+-]+\+)?json\s*(;.*)?", re.IGNORECASE)


class _Guard:
    """What a browser can forge, refused before any handler runs.

    - A ``Host`` the app does not serve (421): a page on another site that rebinds
      its DNS name to this address would otherwise read every client.
    - A write from another site: ``Sec-Fetch-Site`` other than ``same-origin`` or
      ``none`` (a person typing), or an ``Origin`` that is not this host (403).
    - A write to the JSON API whose body is declared anything but JSON (415): a
      cross-site ``text/plain`` form needs no CORS preflight, ``application/json``
      does. A body with no ``Content-Type`` (``curl --data-binary``, a service's
      client) is read as JSON: a browser sending one cross-site also sends the
      ``Origin`` and ``Sec-Fetch-Site`` refused above.
    """

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        refusal = self._refusal(scope, headers, host)
        if refusal is not None:
            await _error(*refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str], host: str) -> tuple[int, str] | None:
        if self.hosts is not None and _hostname(host) not in self.hosts:
            return 421, f"this server does not answer for the host {host[:100]!r}"
        if scope["method"] not in _UNSAFE:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return 403, f"a cross-site write is refused (Sec-Fetch-Site: {site[:40]})"
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"a write from another origin is refused (Origin: {origin[:100]})"
        declared = headers.get("content-type")
        if (
            scope["path"].startswith("/api/")
            and declared is not None
            and not _JSON_TYPE.fullmatch(declared)
        ):
            return 415, "a write to the API is a JSON body: Content-Type: application/json"
        return None


def _hostname(host: str) -> str:
    """The name of a ``Host`` header, without its port (``[::1]:8000`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _gone(request: Request) -> Response:
    """The answer to a caller that disconnected before its body was read: nobody gets
    it (400, as uvicorn logs it); a line in the debug log, no traceback."""
    log.debug("%s %s: the client disconnected", request.method, request.url.path)
    return Response(status_code=400)


def _error(
    status: int, message: str, *, request_id: str | None = None, retry: bool = False
) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if retry:
        body["retry"] = True
    headers = None if request_id is None else {"X-Request-Id": request_id}
    return JSONResponse(body, status_code=status, headers=headers)


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


def _no_constant(name: str) -> Any:
    raise _Refused(400, f"the body is not JSON: {name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 4000:
        raise _Refused(400, "the body has a number with more than 4000 digits")
    return int(text)


def _whole(text: str) -> int | float:
    """A JSON number with a fraction or exponent; a whole one (``2.0``, ``1e3``) is the
    integer it equals, as JSON Schema counts it (no document field is fractional)."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_int=_integer, parse_float=_whole, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise _Refused(400, "the body is not JSON: it is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        where = f" ({exc})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _Refused(400, f"the body is not JSON{where}") from None


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter: ``true``/``1`` or ``false``/``0`` (400 for anything
    else: an unrecognised ``dry_run`` never applies an operation)."""
    given = request.query_params.getlist(name)
    if len(given) > 1:
        raise _Refused(400, f"{name} is given more than once")
    value = given[0] if given else ""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _Refused(400, f"{name} must be true or false, got {value[:40]!r}")


async def _health(ctx: _Context, request: Request) -> Response:
    """Alive, and the database answers (503 while it does not)."""
    async with ctx.consoles.lease(ctx.partner) as console:
        ping = getattr(console.store, "ping", None)
        if ping is not None:
            await run_in_threadpool(ping)
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
    limit = _bounded(request, "limit", 1, MAX_PAGE)
    after = request.query_params.get("after") or None
    rows = await run_in_threadpool(lambda: console.rows(today, limit=limit, after=after))
    listed: dict[str, Any] = {
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
    if limit is not None:  # a page: where the next one starts (null: this was the last)
        listed["next"] = rows[-1].id if len(rows) == limit else None
    return JSONResponse(listed)


def _bounded(request: Request, name: str, low: int, high: int) -> int | None:
    """An optional whole-number query parameter within ``[low, high]`` (400 otherwise)."""
    text = request.query_params.get(name)
    if text is None:
        return None
    if not text.isdecimal() or not low <= int(text) <= high:
        raise _Refused(400, f"{name} must be a whole number from {low} to {high}")
    return int(text)


async def _client(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    client = await run_in_threadpool(console.get, request.path_params["client_id"])
    return JSONResponse(to_data(client))


async def _offer(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    offers = await run_in_threadpool(console.offer, request.path_params["client_id"], ctx.day())
    return JSONResponse({"products": [to_data(o) for o in offers]})


async def _history(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    events = await run_in_threadpool(console.history, request.path_params["client_id"])
    if not events:
        await run_in_threadpool(console.get, request.path_params["client_id"])
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
    key = request.headers.get("idempotency-key")
    if key is not None:
        idempotency_key(key)  # a dry run refuses a bad key as the apply would (400)
    if _flag(request, "dry_run"):
        decision = await run_in_threadpool(console.check, client_id, operation, today)
        return _decided(ctx, request, decision)
    try:
        change = await run_in_threadpool(
            lambda: console.apply(client_id, operation, today, actor=who.actor, key=key)
        )
    except RuleViolation as exc:
        return _decided(ctx, request, exc.decision, status=422)
    return _decided(ctx, request, Decision(change.warnings), client=to_data(change.client))


def _decided(
    ctx: _Context,
    request: Request,
    decision: Decision,
    *,
    status: int = 200,
    client: dict[str, Any] | None = None,
) -> JSONResponse:
    """A decision's answer; with ``"messages"`` (each finding's message, in order) in
    the language the caller asked for (``Accept-Language`` or ``?lang=``)."""
    body: dict[str, Any] = {"decision": to_data(decision)}
    if client is not None:
        body["client"] = client
    if _asks_language(request):
        lang = ctx.lang(request)
        body["messages"] = decision.messages(lang)
        return JSONResponse(body, status_code=status, headers={"Content-Language": lang})
    return JSONResponse(body, status_code=status)


def _asks_language(request: Request) -> bool:
    return "lang" in request.query_params or "accept-language" in request.headers


async def _openapi(ctx: _Context, request: Request) -> Response:
    return JSONResponse(openapi())
