"""The webhooks page (issue 49): the partner's webhooks and their latest deliveries
(status, tries, next try), adding and removing one with a preview and a confirmation
as the console's other actions; and the feed in the JSON API (``GET /api/feed``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core._exceptions import NotFoundError
from ..store._delivery import check_url, new_secret
from ..store._serialize import to_data
from ._context import _Context, _Refused
from ._rendering import Page, _BadInput, _console, _form, _guard, _link, _one, _render

__all__ = ["API", "PAGES", "api_feed"]


async def api_feed(ctx: _Context, request: Request) -> Response:
    """``GET /api/feed?after=N&limit=M``: the feed's items after position *N* (at most
    *M*, 1 to 1000, default 100) as FeedItem documents, and the position to ask after
    next (``null`` when none was returned)."""
    console, _ = ctx.console(request)
    params = request.query_params
    try:
        after = int(params.get("after", "0"))
        limit = int(params.get("limit", "100"))
    except ValueError:
        raise _Refused(400, "after and limit are whole numbers") from None
    if not 0 <= after <= _LAST or not 1 <= limit <= 1000:
        raise _Refused(400, "after is 0 or more, limit from 1 to 1000")
    items = await run_in_threadpool(console.feed, after, limit)
    return JSONResponse(
        {
            "items": [to_data(i) for i in items],
            "next": items[-1].position if items else None,
        }
    )


_LAST = 2**63 - 1  # the largest position a database holds

API = [("/api/feed", api_feed, ["GET"])]
"""The JSON API's routes of this module (path, handler, methods)."""


@_guard
async def webhooks(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    hooks = await run_in_threadpool(console.webhooks)
    deliveries = await run_in_threadpool(console.deliveries)
    params = request.query_params
    return _render(
        ctx,
        request,
        "webhooks.html",
        hooks=hooks,
        deliveries=deliveries,
        added=params.get("added"),
        removed=params.get("removed"),
    )


def _events_of(text: str) -> list[str] | None:
    names = [n.strip() for n in text.replace(" ", ",").split(",") if n.strip()]
    return names or None


@_guard
async def add_webhook(ctx: _Context, request: Request) -> Response:
    """``POST /webhooks``: ``step=preview`` shows what will be added (the URL checked,
    a new secret shown to be copied); ``step=confirm`` adds it and answers 303."""
    console, _ = await _console(ctx, request)
    form = await _form(ctx, request)
    url = _one(form, "url").strip()
    events = _events_of(_one(form, "events"))
    try:
        await run_in_threadpool(check_url, url)
        from ..core._feed import to_event_names

        to_event_names(events)
    except ValueError as exc:
        raise _BadInput(str(exc)) from None
    hooks = await run_in_threadpool(console.webhooks)
    if any(h.url == url for h in hooks):
        raise _BadInput("A webhook for this URL exists already.")
    if _one(form, "step") != "confirm":
        return _render(
            ctx,
            request,
            "webhook_confirm.html",
            adding=True,
            url=url,
            events=events,
            secret=new_secret(),
            here="/webhooks",
        )
    secret = _one(form, "secret")
    try:
        hook = await run_in_threadpool(
            lambda: console.add_webhook(url, secret, ctx.day(), events=events)
        )
    except ValueError as exc:
        raise _BadInput(str(exc)) from None
    return RedirectResponse(_link(request, f"/webhooks?added={hook.id}"), status_code=303)


@_guard
async def remove_webhook(ctx: _Context, request: Request) -> Response:
    """``GET /webhooks/{id}/remove`` previews the removal; ``POST`` confirms it (303)."""
    console, _ = await _console(ctx, request)
    webhook_id = request.path_params["webhook_id"]
    hooks = await run_in_threadpool(console.webhooks)
    hook = next((h for h in hooks if h.id == webhook_id), None)
    if hook is None:
        raise NotFoundError(getattr(console.store, "partner", ""), webhook_id)
    if request.method == "GET":
        pending = await run_in_threadpool(
            lambda: console.deliveries(webhook_id, status="pending", limit=100_000)
        )
        return _render(
            ctx,
            request,
            "webhook_confirm.html",
            adding=False,
            hook=hook,
            pending=len(pending),
            here="/webhooks",
        )
    await _form(ctx, request)  # the CSRF token
    await run_in_threadpool(console.remove_webhook, webhook_id, ctx.day())
    return RedirectResponse(_link(request, f"/webhooks?removed={webhook_id}"), status_code=303)


PAGES: list[tuple[str, Page, list[str]]] = [
    ("/webhooks", webhooks, ["GET"]),
    ("/webhooks", add_webhook, ["POST"]),
    ("/webhooks/{webhook_id}/remove", remove_webhook, ["GET", "POST"]),
]
"""The console's pages of this module (path, handler, methods)."""
