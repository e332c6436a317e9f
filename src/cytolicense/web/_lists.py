"""The console's lists: monitoring (the client list: its search, group filter, sorts
and keyset pages, and the add-client form it carries), the expiring lines, the
forecast and the pool."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..core._exceptions import ClientExistsError, CytolicenseError, ForbiddenError
from ..core._validation import check_group
from ..store._rows import ORDERS, sort_key
from ..views._charts import forecast_svg
from ..views._text import tr
from ._context import _Context
from ._rendering import (
    _BadInput,
    _console,
    _done,
    _error,
    _form,
    _guard,
    _lang_query,
    _one,
    _render,
)
from ._words import EXPIRING_DAYS, _module_name, _name, format_day

if TYPE_CHECKING:
    from ..core._catalog import Catalog
    from ..store._console import Console


__all__ = ["EXPIRING_PAGE", "SORTS", "client_state"]


# -- Monitorización -------------------------------------------------------------------------

PAGE_SIZE = 50
SORTS = {"name": "name", "ended_on": "ended_on"}
"""The monitoring columns a person can sort by (``?sort=name``, ``?sort=-name``):
the name (folded, as a search compares it) and the last day of service. The state is
not a sort of its own: it follows the last day of service (no longer shown, no
service, expiring, active), which that sort orders; without ``sort`` the list is in
id order."""


def client_state(row: Any, today: dt.date) -> tuple[str, str, dt.date | None]:
    """A monitoring row's state as a person reads it: ``(css class, words, day)``."""
    if row.deleted_on is not None and row.deleted_on <= today:
        return "deleted", "deleted on {day}", row.deleted_on
    if row.shown_until < today:
        return "ended", "no longer shown (90 days without service)", None
    if row.ended_on < today:
        return "ended", "no service", None
    if not row.products:
        return "none", "no product yet", None
    if (row.ended_on - today).days < EXPIRING_DAYS:
        return "expiring", "expiring", None
    return "active", "active", None


def _sort_of(params: Mapping[str, str]) -> str:
    """The page's order (one of the store's :data:`ORDERS`); ``id`` for none or an
    unknown one."""
    wanted = params.get("sort") or "id"
    return wanted if wanted in ORDERS and wanted.removeprefix("-") in SORTS else "id"


def _after_of(params: Mapping[str, str], order: str) -> str | tuple[object, str] | None:
    """Where the page starts: ``after`` (an id) in the id order, ``after`` and
    ``after_key`` (its sort key) in another; a malformed key starts from the first
    page."""
    after = params.get("after") or None
    if after is None or order == "id":
        return after
    key = params.get("after_key")
    if key is None:
        return None
    if order.removeprefix("-") == "ended_on":
        try:
            dt.date.fromisoformat(key)
        except ValueError:
            return None
    return key, after


async def _page_rows(
    console: Console,
    today: dt.date,
    *,
    hidden: bool,
    q: str | None,
    order: str,
    after: str | tuple[object, str] | None,
    group: str | None = None,
) -> tuple[list[Any], str | tuple[str, str] | None]:
    """A page of rows in *order* and where the next page starts (``None``: the last
    page). A search folds case for every script (``ñandú`` finds "Ñandú", ``STRASSE``
    "Straße"): the store compares its folded names."""
    store = console.lister(group)  # the operator's scope (and the group), in SQL
    rows = await run_in_threadpool(
        functools.partial(
            store.rows,
            today,
            shown=not hidden,
            search=q,
            limit=PAGE_SIZE + 1,
            after=after,
            order=order,
        )
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, sort_key(rows[-1], order) if more and rows else None


def _list_query(
    *,
    q: str | None,
    hidden: bool,
    order: str,
    after: str | tuple[str, str] | None = None,
    group: str | None = None,
) -> str:
    """The query string of a monitoring page (the language is added by ``link``)."""
    query: dict[str, str] = {}
    if q:
        query["q"] = q
    if group:
        query["group"] = group
    if hidden:
        query["hidden"] = "1"
    if order != "id":
        query["sort"] = order
    if isinstance(after, tuple):
        query["after_key"], query["after"] = after
    elif after is not None:
        query["after"] = after
    return urlencode(query)


def _monitoring_rows(
    rows: list[Any], today: dt.date, lang: str, catalog: Catalog, lang_query: str
) -> list[Markup]:
    """Each row of the monitoring page as its HTML (``<tr>``: the name linked to the
    client and its id; the state; the last day of service; the products), every value
    in it escaped here: issue 46, where a call through the template and an escape per
    cell cost most of the page. The labels are written once, and the state, day and
    products cells, which repeat from row to row, once for each distinct value;
    *lang_query* is what ``link`` appends (``?lang=es`` or nothing)."""
    status = escape(tr("status", lang))
    ended_label = escape(tr("last day of service", lang))
    products_label = escape(tr("products", lang))
    tails: dict[tuple[tuple[str, str, dt.date | None], dt.date, tuple[str, ...]], str] = {}
    out = []
    for r in rows:
        state = client_state(r, today)
        key = (state, r.ended_on, r.products)
        tail = tails.get(key)
        if tail is None:
            css, words, day = state
            names = ", ".join(_name(catalog, p) for p in r.products) if r.products else "-"
            tail = tails[key] = (
                f'  <td data-label="{status}"><span class="badge {escape(css)}">'
                f"{escape(tr(words, lang, day=format_day(day, lang)))}</span></td>\n"
                f'  <td data-label="{ended_label}" class="date">'
                f"{escape(format_day(r.ended_on, lang))}</td>\n"
                f'  <td data-label="{products_label}">{escape(names)}</td>\n'
                "</tr>"
            )
        # The href is percent-encoded (no character HTML gives a meaning to); the
        # name and the id, as a person typed them, are escaped.
        out.append(
            Markup(
                "<tr>\n"
                f'  <td class="lead"><a href="/clients/{quote(r.id, safe="")}{lang_query}">'
                f'{escape(r.name)}</a> <span class="muted id">{escape(r.id)}</span></td>\n'
                f"{tail}"
            )
        )
    return out


@_guard
async def monitoring(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    today = ctx.day()
    params = request.query_params
    q = (params.get("q") or "").strip() or None
    group = (params.get("group") or "").strip() or None
    if group is not None:
        try:
            check_group(group)
        except ValueError:
            raise _BadInput(
                "A group is names joined by '/' (north/retail), each without spaces around it."
            ) from None
    hidden = params.get("hidden") == "1"
    order = _sort_of(params)
    rows, next_after = await _page_rows(
        console,
        today,
        hidden=hidden,
        q=q,
        order=order,
        after=_after_of(params, order),
        group=group,
    )
    lang = ctx.lang(request)
    shown = _monitoring_rows(rows, today, lang, ctx.engine.catalog, _lang_query(request))
    # Each sortable header: its link (ascending, or descending when it is the sort
    # now) and its aria-sort ("ascending", "descending", or none).
    headers = {}
    for column in SORTS:
        current = order.removeprefix("-") == column
        descending = order.startswith("-")
        target = f"-{column}" if current and not descending else column
        query = _list_query(q=q, hidden=hidden, order=target, group=group)
        headers[column] = (
            f"/?{query}" if query else "/",
            ("descending" if descending else "ascending") if current else None,
        )
    next_query = (
        None
        if next_after is None
        else _list_query(q=q, hidden=hidden, order=order, after=next_after, group=group)
    )
    return _render(
        ctx,
        request,
        "monitoring.html",
        rows=shown,
        q=q or "",
        group=group or "",
        hidden=hidden,
        order=order,
        headers=headers,
        next_query=next_query,
    )


@_guard
async def add_client(ctx: _Context, request: Request) -> Response:
    console, who = await _console(ctx, request)
    form = await _form(ctx, request)
    cid = _one(form, "id").strip()
    name = _one(form, "name").strip()
    lang = ctx.lang(request)
    if (
        not cid
        or not name
        or len(cid) > 200
        or len(name) > 200
        or not cid.isprintable()
        or not name.isprintable()
        or "/" in cid
    ):
        return _error(
            ctx,
            request,
            400,
            tr(
                "Give the new client an id (up to 200 characters, no '/' and no control "
                "characters) and a name (up to 200 characters).",
                lang,
            ),
        )
    group = _one(form, "group").strip()
    try:
        await run_in_threadpool(
            lambda: console.add_client(cid, name, ctx.day(), actor=who.actor, group=group)
        )
    except ClientExistsError as exc:
        return _error(ctx, request, 409, exc.message_in(lang))
    except ForbiddenError as exc:  # a group out of the operator's scope
        return _error(ctx, request, 403, exc.message_in(lang))
    except (ValueError, TypeError, CytolicenseError):
        return _error(
            ctx,
            request,
            400,
            tr("The client cannot be added with that id and name: check them.", lang),
        )
    return _done(request, cid, "add_client")


# -- lists ----------------------------------------------------------------------------------

EXPIRING_PAGE = 100
"""Lines a page of the Expiring list shows."""


@_guard
async def expiring(ctx: _Context, request: Request) -> Response:
    """A page of :data:`EXPIRING_PAGE` lines from the store's expiry index; the next
    page's link carries the last line's ``(expires_on, client_id, maintenance_id)``
    (keyset: the same cost at any depth). A malformed key starts from the first page."""
    console, _ = await _console(ctx, request)
    params = request.query_params
    after: tuple[dt.date, str, str] | None = None
    on, cid, line = params.get("after_on"), params.get("after_client"), params.get("after_line")
    if on and cid is not None and line is not None:
        try:
            after = (dt.date.fromisoformat(on), cid, line)
        except ValueError:
            after = None
    page = await run_in_threadpool(
        functools.partial(
            console.expiring_page, ctx.day(), EXPIRING_DAYS, after=after, limit=EXPIRING_PAGE
        )
    )
    next_query = None
    if page.next is not None:
        day, cid, line = page.next
        next_query = urlencode(
            {"after_on": day.isoformat(), "after_client": cid, "after_line": line}
        )
    return _render(
        ctx,
        request,
        "expiring.html",
        rows=page.rows,
        days=EXPIRING_DAYS,
        next_query=next_query,
    )


@_guard
async def forecast(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    months = request.query_params.get("months", "12")
    count = int(months) if months.isdigit() and 1 <= int(months) <= 36 else 12
    # One aggregate query over the expiry index (no client document is read).
    fc = await run_in_threadpool(console.forecast, ctx.day(), count)
    lang = ctx.lang(request)
    names = {p: _name(ctx.engine.catalog, p) for p in fc.seats}
    return _render(
        ctx,
        request,
        "forecast.html",
        chart=Markup(forecast_svg(fc, language=lang, names=names)),
        months=count,
    )


@_guard
async def pool(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    lines = await run_in_threadpool(console.pool)
    # The last movements alone, read backwards from the key (not the whole history).
    history = await run_in_threadpool(functools.partial(console.store.pool_history, last=50))
    catalog = ctx.engine.catalog
    return _render(
        ctx,
        request,
        "pool.html",
        pool=lines,
        history=history,
        item_name=lambda i: (
            _name(catalog, i) if i in catalog.products else _module_name(catalog, i)
        ),
    )
