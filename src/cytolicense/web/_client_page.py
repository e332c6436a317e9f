"""A client's pages: its detail (each line with its state, modules and the buttons of
the actions it allows; what was just done, said after a change) and its history."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..core._client_records import Client
from ..core._operations import DeleteClient
from ..views._detail import ClientDetail, human_duration
from ..views._text import tr
from ._actions import ACTIONS
from ._context import _Context
from ._rendering import _console, _guard, _lang_query, _link, _quote, _render
from ._words import _name, format_day, format_number, line_state, seats

_DONE = {
    "add_client": "Client added: now add a product.",
    "assign": "Added: {product}, {seats}, until {day}.",
    "request": "Requested ({request}): it waits for another operator's approval.",
}
"""What the client's page says after a change that is not an action of the table (an
action's is its row's ``done``): a client added, a product added (``{product}``,
``{seats}``, ``{day}``), an operation requested (``{request}``)."""


def _flash(ctx: _Context, request: Request, client: Client) -> str | None:
    done = request.query_params.get("done", "")
    action = ACTIONS.get(done)
    message = action.done if action is not None else _DONE.get(done)
    if message is None:
        return None
    lang = ctx.lang(request)
    line = request.query_params.get("line")
    m = next((x for x in client.maintenances if x.id == line), None)
    values: dict[str, str]
    if "{product}" in message:  # a line's: said only of a line the client has
        if m is None:
            return None
        values = {
            "product": _name(ctx.engine.catalog, m.product),
            "seats": seats(m.quantity, lang),
            "day": format_day(m.expires_on, lang),
        }
    elif "{group}" in message:  # the client's own: where it is now
        values = {"group": client.group or tr("(default group)", lang)}
    elif "{request}" in message:
        values = {"request": request.query_params.get("request", "")}
    else:
        values = {}
    return tr(message, lang, **values)


@_guard
async def detail(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    cid = request.path_params["client_id"]
    today = ctx.day()

    def read() -> tuple[Client, ClientDetail, bool]:  # one hop to the thread pool, not three
        client = console.get(cid)
        view = ctx.engine.detail(client, today)
        return client, view, ctx.engine.check(client, DeleteClient(), today).ok

    client, view, can_delete = await run_in_threadpool(read)
    lang = ctx.lang(request)
    base = f"/clients/{_quote(client.id)}"
    lang_query = _lang_query(request)
    return _render(
        ctx,
        request,
        "detail.html",
        client=client,
        detail=view,
        lines=_detail_lines(client, view, today, lang, base, lang_query),
        links={
            page: escape(_link(request, base + page))
            for page in (
                "/history",
                "/actions?action=move",
                "/add",
                "/actions?action=delete_client",
            )
        },
        can_delete=can_delete,
        flash=_flash(ctx, request, client),
    )


class _Line(NamedTuple):
    """A detail line's cells as the page writes them, escaped (issue 46)."""

    id: Markup
    product: Markup
    css: Markup
    words: Markup
    kind: Markup
    seats: Markup
    expires: Markup
    management: Markup
    cells: tuple[Markup, Markup, Markup, Markup]
    """The product's row: seats, duration, start, expiry."""
    modules: list[tuple[Markup, Markup, Markup, Markup, Markup]]
    """Each module's row: name, seats, duration, start, expiry."""
    actions: list[tuple[Markup, Markup, Markup, Markup]]
    """The buttons: action, css class, href, words."""


def _detail_lines(
    client: Client,
    view: ClientDetail,
    today: dt.date,
    lang: str,
    base: str,
    lang_query: str,
) -> list[_Line]:
    """The detail page's lines, every cell written and escaped here rather than by a
    call through the template per cell (issue 46)."""
    by_id = {m.id: m for m in client.maintenances}
    amp = "&" + lang_query[1:] if lang_query else ""
    out = []
    for ln in view.lines:
        css, words = line_state(by_id[ln.maintenance_id], today)
        in_days = ln.period is None
        mid = _quote(ln.maintenance_id)
        expires = escape(format_day(ln.expires_on, lang))
        modules = [
            (
                escape(mod.name),
                escape(format_number(mod.quantity, lang)),
                escape(
                    human_duration(mod.starts_on, mod.expires_on, in_days=in_days, language=lang)
                ),
                escape(format_day(mod.starts_on, lang)),
                escape(format_day(mod.expires_on, lang)),
            )
            for mod in ln.modules
        ]
        out.append(
            _Line(
                id=escape(ln.maintenance_id),
                product=escape(ln.product_name),
                css=escape(css),
                words=escape(tr(words, lang)),
                kind=escape(tr(ln.license_type.value, lang)),
                seats=escape(seats(ln.quantity, lang)),
                management=escape(tr(ln.management.value, lang)),
                expires=expires,
                cells=(
                    escape(format_number(ln.quantity, lang)),
                    escape(
                        human_duration(ln.starts_on, ln.expires_on, in_days=in_days, language=lang)
                    ),
                    escape(format_day(ln.starts_on, lang)),
                    expires,
                ),
                modules=modules,
                actions=[
                    (
                        escape(action.name),
                        Markup(" danger" if action.danger else " secondary"),
                        escape(f"{base}/actions?action={action.name}&maintenance={mid}{amp}"),
                        escape(tr(action.name, lang)),
                    )
                    for action in ACTIONS.values()  # in the table's order
                    if action.on_line and action.name in ln.actions
                ],
            )
        )
    return out


@_guard
async def history(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    cid = request.path_params["client_id"]
    client = await run_in_threadpool(console.get, cid)
    events = await run_in_threadpool(console.history, cid)
    from ..views._history import describe_history

    lines = describe_history(events, ctx.lang(request), who=False)  # who and why: columns
    return _render(
        ctx,
        request,
        "history.html",
        client=client,
        rows=list(zip(events, lines, strict=True)),
    )
