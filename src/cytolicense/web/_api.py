"""The JSON API's handlers (``/api/...`` and ``/openapi.json``): the body read as
strict JSON, the query's flags and bounds, a decision's answer (with its messages in
the caller's language when it asks), and the body of every refusal (``{"error":
...}``, :func:`_error`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core._exceptions import ClientExistsError, DataError, RuleViolation
from ..core._findings import Decision
from ..core._operations import OPERATION_TYPES
from ..store._console import idempotency_key
from ..store._serialize import from_data, to_data
from ._context import _Context, _Refused
from ._openapi import MAX_PAGE, openapi

OPERATIONS = {cls.__name__: cls for cls in OPERATION_TYPES}


def _error(
    status: int, message: str, *, request_id: str | None = None, retry: bool = False
) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if retry:
        body["retry"] = True
    headers = None if request_id is None else {"X-Request-Id": request_id}
    return JSONResponse(body, status_code=status, headers=headers)


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
