"""The console's pages for a team: sign in, sign out, and the audit (for an operator
whose role may read it)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core._access import OperationRequest
from ..core._exceptions import CytolicenseError, ForbiddenError, RuleViolation, UnknownIdError
from ..views._text import tr
from ._auth import SIGNED_IN, Sessions, Throttle, verify_password
from ._context import _Context
from ._rendering import Page, _console, _error, _form, _guard, _link, _one, _render
from ._words import _changes

__all__ = ["TEAM_PAGES", "Auth"]


@attrs.frozen
class Auth:
    """How the app signs operators in.

    Attributes:
        sessions: The signed sessions.
        throttle: The failed sign-ins counted.
        required: Whether a request must name an operator (signed in, the trusted
            header, or the host's ``authenticate``) or carry the service token.
        header: The reverse proxy's header naming the operator, when trusted.
    """

    sessions: Sessions
    throttle: Throttle
    required: bool = False
    header: str | None = None


def _auth(ctx: _Context) -> Auth:
    auth: Auth | None = getattr(ctx, "auth", None)
    if auth is None:  # pragma: no cover - the app always builds one
        raise RuntimeError("the app signs nobody in")
    return auth


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


async def signin(ctx: _Context, request: Request) -> Response:
    """``GET /signin``: the sign-in form."""
    return _render(ctx, request, "signin.html", operator="", failed=None)


async def signin_post(ctx: _Context, request: Request) -> Response:
    """``POST /signin``: a right operator and password start a session; wrong ones
    are counted (429 once too many)."""
    auth = _auth(ctx)
    form = await _form(ctx, request)
    operator = _one(form, "operator").strip()
    password = _one(form, "password")
    lang = ctx.lang(request)
    keys = (f"operator:{ctx.partner}:{operator}", f"address:{_address(request)}")
    if auth.throttle.blocked(*keys):
        minutes = max(1, int(auth.throttle.window // 60))
        return _render(
            ctx,
            request,
            "signin.html",
            429,
            operator=operator,
            failed=tr(
                "Too many failed sign-ins: try again in {minutes} minutes.", lang, minutes=minutes
            ),
        )

    def check() -> bool:
        # Its own store handle, only for the check (the sign-in page is not leased).
        from ..store._console import Console
        from ..store._open import open_store

        store = open_store(ctx.consoles.db, ctx.partner)
        try:
            console = Console(ctx.engine, store)
            known = any(o.id == operator for o in console.operators()) if operator else False
            stored = console.password_hash(operator) if known else None
            return verify_password(stored, password) and known
        finally:
            store.close()

    if not operator or not password or not await run_in_threadpool(check):
        auth.throttle.failed(*keys)
        return _render(
            ctx,
            request,
            "signin.html",
            401,
            operator=operator,
            failed=tr("That operator and password do not match.", lang),
        )
    auth.throttle.succeeded(*keys)
    response = RedirectResponse(_link(request, "/"), status_code=303)
    response.set_cookie(
        SIGNED_IN,
        auth.sessions.issue(ctx.partner, operator),
        max_age=int(auth.sessions.seconds),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def signout(ctx: _Context, request: Request) -> Response:
    """``POST /signout``: the session ends now."""
    await _form(ctx, request)
    _auth(ctx).sessions.revoke(request.cookies.get(SIGNED_IN, ""))
    response = RedirectResponse(_link(request, "/signin"), status_code=303)
    response.delete_cookie(SIGNED_IN)
    return response


@_guard
async def audit(ctx: _Context, request: Request) -> Response:
    """``GET /audit``: every attempted change, newest first (total control only)."""
    console, _ = await _console(ctx, request)
    try:
        entries = await run_in_threadpool(lambda: console.audit(limit=200))
    except ForbiddenError as exc:
        return _error(ctx, request, 403, exc.message_in(ctx.lang(request)))
    return _render(ctx, request, "audit.html", entries=entries, moment=_moment)


@_guard
async def requests(ctx: _Context, request: Request) -> Response:
    """``GET /requests``: the pending requests in the operator's scope, each with
    Approve and Reject for an operator who may decide it (not its own)."""
    console, who = await _console(ctx, request)
    lang = ctx.lang(request)
    today = ctx.day()

    Shown = tuple[OperationRequest, str, list[tuple[str, list[str]]]]

    def shown() -> list[Shown]:
        # Each request with its client's name and what it would do, in words (an
        # approver decides on that, not on an operation's kind).
        out: list[Shown] = []
        for r in console.requests():
            try:
                client = console.get(r.client)
                after = ctx.engine.apply(client, r.operation, today).client
            except (CytolicenseError, ValueError):
                out.append((r, r.client, []))
                continue
            changes = _changes(ctx.engine.catalog, client, after, today, lang)
            if after.group != client.group:
                default = tr("(default group)", lang)
                moved = f"{client.group or default} → {after.group or default}"
                changes.append((tr("Group", lang), [moved]))
            out.append((r, client.name, changes))
        return out

    pending = await run_in_threadpool(shown)
    done = request.query_params.get("done")
    flash = None
    if done in _DECIDED:
        flash = tr(_DECIDED[done], lang, request=request.query_params.get("request", ""))
    return _render(
        ctx,
        request,
        "requests.html",
        pending=pending,
        decides=console.may("approve"),
        me=who.operator,
        flash=flash,
    )


_DECIDED = {
    "approved": "Request {request} approved: its operation was applied today.",
    "rejected": "Request {request} rejected.",
}


@_guard
async def decide(ctx: _Context, request: Request) -> Response:
    """``POST /requests/{request_id}``: ``decision=approve`` or ``reject``."""
    console, _ = await _console(ctx, request)
    form = await _form(ctx, request)
    rid = request.path_params["request_id"]
    lang = ctx.lang(request)
    try:
        if _one(form, "decision") == "approve":
            await run_in_threadpool(lambda: console.approve(rid, ctx.day()))
            done = "approved"
        else:
            reason = _one(form, "reason").strip() or None
            await run_in_threadpool(lambda: console.reject(rid, ctx.day(), reason=reason))
            done = "rejected"
    except ForbiddenError as exc:
        return _error(ctx, request, 403, exc.message_in(lang))
    except UnknownIdError:
        return _error(ctx, request, 404, tr("No such request is pending.", lang))
    except RuleViolation as exc:
        said = "; ".join(f.message_in(lang) for f in exc.decision.errors)
        return _error(ctx, request, 422, said)
    query = urlencode({"done": done, "request": rid})
    return RedirectResponse(_link(request, f"/requests?{query}"), status_code=303)


def _moment(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


TEAM_PAGES: list[tuple[str, Page, list[str]]] = [
    ("/signin", signin, ["GET"]),
    ("/signin", signin_post, ["POST"]),
    ("/signout", signout, ["POST"]),
    ("/audit", audit, ["GET"]),
    ("/requests", requests, ["GET"]),
    ("/requests/{request_id}", decide, ["POST"]),
]
"""The team's pages (``/signin`` and ``/signout`` hold no store handle)."""

UNLEASED = frozenset({"/signin", "/signout"})
