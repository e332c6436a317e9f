"""The console's pages for a person: server-rendered HTML, plain forms (no JavaScript
needed), every string through the interface table the command line uses.

Every change goes through two steps: a preview (the dry run: what the change will do
and the engine's findings, in the person's words) and a confirmation (a second POST
carrying the CSRF token, the idempotency key minted with the preview and a
fingerprint of the operation previewed: a form changed since its preview is shown
again, never applied). After the change, a 303 to the client's page, which says what
was done.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import inspect
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..core._access import check_group
from ..core._client_records import Client, Maintenance
from ..core._enums import LicenseType, ManagementMode, Status
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    CytolicenseError,
    ForbiddenError,
    KeyConflictError,
    NotFoundError,
    RuleViolation,
)
from ..core._findings import Decision, Finding
from ..core._messages import period_words, render
from ..core._operations import (
    AssignmentRequest,
    ConvertTrial,
    DeleteClient,
    DeleteService,
    ExtendTrial,
    Modify,
    Operation,
    Renew,
    Resume,
    ScheduleChange,
    SetAutoRenew,
    SetGroup,
    SetManagement,
    Suspend,
)
from ..core._period import Period
from ..store._rows import ORDERS, sort_key
from ..store._serialize import to_json
from ..views._charts import forecast_svg
from ..views._detail import ClientDetail, human_duration
from ..views._input import assignment, refusal_header, whole_number
from ..views._text import tr
from ._context import Identity, _Context, _Refused

if TYPE_CHECKING:
    from ..core._catalog import Catalog
    from ..engine._engine import Engine
    from ..store._console import Console

__all__ = ["PAGES", "Page"]

Page = Callable[["_Context", Request], Awaitable[Response]]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("cytolicense.web", "templates"),
    # Jinja2's i18n extension: {% trans %} blocks and _() read the same interface
    # catalogs (cytolicense/locale/*.po) as the command line, through tr().
    extensions=["jinja2.ext.i18n"],
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates are the installed package's: no stat() of each file per request.
    auto_reload=False,
)
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
SESSION = "cytolicense_session"
PAGE_SIZE = 50
EXPIRING_DAYS = 60
"""An active line ending within this many days reads "expiring" (the Expiring page's
window)."""
KEY_MAX = 200


def format_day(day: dt.date | None, language: str) -> str:
    """A date as a person of *language* writes it: ``27 Nov 2026``, ``27/11/2026``."""
    if day is None:
        return "-"
    if language == "es":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day} {_MONTHS['en'][day.month - 1]} {day.year}"


def format_number(n: int, language: str) -> str:
    """``12,500`` in English, ``12.500`` in Spanish."""
    text = f"{n:,}"
    return text.replace(",", ".") if language == "es" else text


def plural(n: int, one: str, many: str, language: str) -> str:
    """``1 licence``, ``2 licences`` (``1 licencia``, ``12.500 licencias``)."""
    return f"{format_number(n, language)} {tr(one if n == 1 else many, language)}"


def seats(n: int, language: str) -> str:
    return plural(n, "licence", "licences", language)


# -- what a person reads: names, states, findings -------------------------------------------


def human_value(key: str, value: object, catalog: Catalog, language: str) -> object:
    """A finding's param as a person reads it: a product, module or family by its name,
    a period in words (``"1m"`` -> ``"1 mes"``)."""
    if isinstance(value, tuple | list):
        return tuple(human_value(key, v, catalog, language) for v in value)
    if not isinstance(value, str):
        return value
    for table in (catalog.products, catalog.modules, catalog.families):
        found = table.get(value)
        if found is not None:
            return str(found.name)
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_day(dt.date.fromisoformat(value), language)
        except ValueError:
            return value
    if "period" in key or key in ("enabled", "sold"):
        try:
            return period_words(Period.parse(value), language)
        except (ValueError, TypeError):
            return value
    return value


def human_message(finding: Finding, catalog: Catalog, language: str) -> str:
    """The finding's message in *language*, naming things by their names, not ids."""
    spec = finding.spec
    template = spec.template(language, finding.params) if spec is not None else None
    if template is None:
        return finding.message_in(language)
    params = {k: human_value(k, v, catalog, language) for k, v in finding.params.items()}
    try:
        text = render(template, params, language)
    except (KeyError, ValueError, IndexError):
        return finding.message_in(language)
    for k, v in params.items():  # 'Cytomic Advanced EDR' reads better unquoted
        if isinstance(v, str) and v != finding.params[k]:
            text = text.replace(f"'{v}'", v)
    return text


def line_state(m: Maintenance, today: dt.date) -> tuple[str, str]:
    """A line's state as a person reads it: ``(css class, words)``: active, expiring,
    in grace, suspended, expired, deleted, replaced."""
    if today < m.starts_on:
        return "future", "starts later"
    state = m.status(today)
    if state is Status.ACTIVE and (m.expires_on - today).days < EXPIRING_DAYS:
        return "expiring", "expiring"
    return state.value, {
        Status.ACTIVE: "active",
        Status.GRACE: "in grace",
        Status.SUSPENDED: "suspended",
        Status.EXPIRED: "expired",
        Status.DELETED: "deleted",
        Status.REPLACED: "replaced",
    }[state]


def _name(catalog: Catalog, product: str) -> str:
    found = catalog.products.get(product)
    return found.name if found is not None else product


def _module_name(catalog: Catalog, module: str) -> str:
    found = catalog.modules.get(module)
    return found.name if found is not None else module


# -- rendering ------------------------------------------------------------------------------


async def _console(ctx: _Context, request: Request) -> tuple[Console, Identity]:
    """The request's console and identity (``ctx.console`` may be a coroutine: a
    connection checked out for the request)."""
    got: Any = ctx.console(request)
    if inspect.isawaitable(got):
        got = await got
    console, who = got
    return console, who


def _lang_url(request: Request, here: str | None, code: str) -> str:
    """The page in language *code*: the same GET page (a POST's page names its GET
    twin in *here*, so that switching language never re-posts, never answers 405)."""
    if here is None:
        if request.method != "GET":
            here = "/"
        else:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    path, _, query = here.partition("?")
    pairs = [
        (k, v)
        for k, v in (p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
        if k != "lang"
    ]
    pairs.append(("lang", code))
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def _render(
    ctx: _Context, request: Request, name: str, status: int = 200, **values: Any
) -> Response:
    lang = ctx.lang(request)
    session = request.cookies.get(SESSION) or secrets.token_urlsafe(24)
    catalog = ctx.engine.catalog

    def _(text: str, **kw: Any) -> str:
        return tr(text, lang, **kw)

    here = values.pop("here", None)
    # What the request's operator may do: a page offers only that (no operator: all).
    leased = getattr(request.state, "console", None)
    values.setdefault("may", leased[0].may if leased is not None else lambda action: True)
    values.setdefault("operator", leased[1].operator if leased is not None else None)
    values.setdefault("link", lambda path: _link(request, path))
    values.setdefault("quote", _quote)
    values.setdefault("flash", None)
    html = _ENV.get_template(name).render(
        _=_,
        gettext=_,
        ngettext=lambda one, many, n, **kw: tr(one if n == 1 else many, lang, n=n, **kw),
        refusal=lambda kind: tr(refusal_header(kind), lang),
        lang=lang,
        today=ctx.day(),
        day=lambda d: format_day(d, lang),
        number=lambda n: format_number(n, lang),
        seats=lambda n: seats(n, lang),
        plural=lambda n, one, many: plural(n, one, many, lang),
        period=lambda p: period_words(p, lang) if p is not None else "-",
        span=lambda start, end, days=False: human_duration(start, end, in_days=days, language=lang),
        say=lambda f: human_message(f, catalog, lang),
        product_name=lambda p: _name(catalog, p),
        module_name=lambda m: _module_name(catalog, m),
        lang_url=lambda code: _lang_url(request, here, code),
        csrf=ctx.csrf_token(session),
        request=request,
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    if SESSION not in request.cookies:
        response.set_cookie(SESSION, session, httponly=True, samesite="strict")
    return response


def _error(ctx: _Context, request: Request, status: int, message: str, **values: Any) -> Response:
    return _render(ctx, request, "error.html", status, message=message, **values)


async def _form(ctx: _Context, request: Request) -> dict[str, list[str]]:
    """The posted form, after its CSRF token is checked (403 otherwise)."""
    form = await request.form()
    session = request.cookies.get(SESSION, "")
    given = str(form.get("csrf", ""))
    if not session or not hmac.compare_digest(given.encode(), ctx.csrf_token(session).encode()):
        raise _Forbidden
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        out.setdefault(key, []).append(str(value) if isinstance(value, str) else "")
    return out


def _one(form: Mapping[str, list[str]], name: str, default: str = "") -> str:
    return form.get(name, [default])[0]


class _Forbidden(Exception):
    pass


class _BadInput(Exception):
    """A form field a person must correct: a 400 page saying which (English; the page
    translates it)."""


def _guard(handler: Page) -> Page:
    """Errors as pages: 401/403/404, a bad field and a conflict, never a traceback."""

    async def run(ctx: _Context, request: Request) -> Response:
        lang = ctx.lang(request)
        try:
            return await handler(ctx, request)
        except _Forbidden:
            return _error(
                ctx,
                request,
                403,
                tr(
                    "The form has expired or was not sent by this console: reload the page "
                    "and try again.",
                    lang,
                ),
            )
        except NotFoundError as exc:
            return _error(ctx, request, 404, exc.message_in(lang))
        except _BadInput as exc:
            return _error(ctx, request, 400, tr(str(exc), lang))
        except KeyConflictError:
            return _error(
                ctx,
                request,
                409,
                tr(
                    "This form was already used for another change: go back to the client, "
                    "reload it and start again.",
                    lang,
                ),
            )
        except ConflictError:
            return _error(
                ctx,
                request,
                409,
                tr(
                    "The client changed while this was being done: go back to the client "
                    "and try again.",
                    lang,
                ),
            )
        except _Refused as exc:
            return HTMLResponse(exc.message, status_code=exc.status)

    return run


def _link(request: Request, path: str) -> str:
    lang = request.query_params.get("lang")
    return f"{path}{'&' if '?' in path else '?'}lang={quote(lang)}" if lang else path


def _lang_query(request: Request) -> str:
    """What ``link`` appends to a path without a query: ``?lang=es``, or nothing when
    the request names no language (for the links a page builds by the dozen)."""
    lang = request.query_params.get("lang")
    return f"?lang={quote(lang)}" if lang else ""


def _quote(text: str) -> str:
    return quote(text, safe="")


def _key(form: Mapping[str, list[str]]) -> str:
    """The idempotency key the preview minted: 1 to 200 printable characters."""
    key = _one(form, "key")
    if not key or len(key) > KEY_MAX or not key.isprintable() or key != key.strip():
        raise _BadInput(
            "The form's confirmation key is missing or damaged: go back to the client "
            "and start again."
        )
    return key


def _text_field(value: str, what: str) -> str:
    if "\x00" in value or not value.isprintable():
        raise _BadInput(what)
    return value


# -- Monitorización -------------------------------------------------------------------------

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


def _done(request: Request, cid: str, done: str, line: str | None = None) -> Response:
    """The 303 after a change, to the client's page, which says what was done."""
    query = {"done": done, **({"line": line} if line else {})}
    return RedirectResponse(
        _link(request, f"/clients/{_quote(cid)}?{urlencode(query)}"), status_code=303
    )


# -- a client's detail ----------------------------------------------------------------------

_DONE = {
    "add_client": "Client added: now add a product.",
    "assign": "Added: {product}, {seats}, until {day}.",
    "modify": "Modified: {product} now has {seats}.",
    "manage": "{product} is now managed centrally.",
    "unmanage": "{product} is no longer managed centrally.",
    "delete": "Deleted: {product}. The client stays in the list for 90 days.",
    "renew": "Renewed: {product} now expires on {day}.",
    "convert": "Converted: {product} is now commercial, until {day}.",
    "extend": "Extended: the trial of {product} now ends on {day}.",
    "suspend": "Suspended: {product} grants no service from tomorrow until it is resumed.",
    "resume": "Resumed: {product} is in service again.",
    "delete_client": "The client was deleted. It stays in the list for 90 days.",
    "move": "Moved to the group {group}.",
    "request": "Requested ({request}): it waits for another operator's approval.",
    "auto_renew_on": "{product} now renews by itself on {day}.",
    "auto_renew_off": "{product} no longer renews by itself.",
    "schedule": "Scheduled: {product} renews on {day} with the change chosen.",
    "cancel_schedule": "{product} renews on {day} as it is: nothing is scheduled.",
}


def _flash(ctx: _Context, request: Request, client: Client) -> str | None:
    done = request.query_params.get("done")
    if done not in _DONE:
        return None
    lang = ctx.lang(request)
    line = request.query_params.get("line")
    m = next((x for x in client.maintenances if x.id == line), None)
    if m is None and line is not None:
        return None
    values: dict[str, str] = {}
    if m is not None:
        values = {
            "product": _name(ctx.engine.catalog, m.product),
            "seats": seats(m.quantity, lang),
            "day": format_day(m.expires_on, lang),
        }
    elif done == "move":
        values = {"group": client.group or tr("(default group)", lang)}
    elif done == "request":
        values = {"request": request.query_params.get("request", "")}
    elif done not in ("add_client", "delete_client"):
        return None
    return tr(_DONE[str(done)], lang, **values)


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


_LINE_ACTIONS = (
    "modify",
    "unmanage",
    "manage",
    "renew",
    "convert",
    "extend",
    "suspend",
    "resume",
    "auto_renew_on",
    "auto_renew_off",
    "schedule",
    "cancel_schedule",
    "delete",
)
"""The buttons of a line, in the order the page shows them."""


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
                        escape(action),
                        Markup(" danger" if action == "delete" else " secondary"),
                        escape(f"{base}/actions?action={action}&maintenance={mid}{amp}"),
                        escape(tr(action, lang)),
                    )
                    for action in _LINE_ACTIONS
                    if action in ln.actions
                ],
            )
        )
    return out


# -- an action: preview, then confirm -------------------------------------------------------

ACTIONS: dict[str, str] = {
    "modify": "modify",
    "unmanage": "set_management",
    "manage": "set_management",
    "renew": "renew",
    "convert": "convert_trial",
    "extend": "extend_trial",
    "suspend": "suspend",
    "resume": "resume",
    "delete": "delete_service",
    "delete_client": "delete_client",
    "move": "set_group",
    "auto_renew_on": "set_auto_renew",
    "auto_renew_off": "set_auto_renew",
    "schedule": "schedule_change",
    "cancel_schedule": "schedule_change",
}
"""The console's actions and the kind of operation each makes."""

_TITLES = {
    "modify": "Modify the licences",
    "unmanage": "Stop managing centrally",
    "manage": "Manage centrally",
    "renew": "Renew",
    "convert": "Convert the trial",
    "extend": "Extend the trial",
    "suspend": "Suspend",
    "resume": "Resume",
    "delete": "Delete the service",
    "delete_client": "Delete the client",
    "move": "Move to another group",
    "auto_renew_on": "Turn auto-renewal on",
    "auto_renew_off": "Turn auto-renewal off",
    "schedule": "Schedule a change for the renewal",
    "cancel_schedule": "Cancel the scheduled change",
}

CLIENT_ACTIONS = frozenset({"delete_client", "move"})
"""The actions on the client itself (no line named)."""


def _modules_of(catalog: Catalog, product: str) -> list[Any]:
    """The modules a product offers, in the catalog's order."""
    found = catalog.products.get(product)
    offered = found.modules if found is not None else frozenset()
    return [m for mid, m in catalog.modules.items() if mid in offered]


def _operation(
    name: str,
    m: Maintenance | None,
    fields: Mapping[str, list[str]],
    engine: Engine,
    today: dt.date,
) -> Operation:
    """The operation a person's action and fields make (``_BadInput`` for a field to
    correct)."""
    if name == "delete_client":
        return DeleteClient()
    if name == "move":
        try:
            return SetGroup(group=_one(fields, "group").strip())
        except (ValueError, TypeError):
            raise _BadInput(
                "A group is names joined by '/' (north/retail), each without spaces around it."
            ) from None
    if m is None:
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    mid = m.id
    if name == "modify":
        quantity = whole_number(_one(fields, "seats", str(m.quantity)))
        if quantity is None:
            raise _BadInput("The number of licences must be a whole number.")
        modules: dict[str, int | None] | None = None
        if "modules_shown" in fields:
            held = {ml.module: ml.quantity for ml in m.modules}
            modules = {}
            for mod in fields.get("module", []):
                module = engine.catalog.modules.get(mod)
                if module is None:
                    raise _BadInput("That module cannot be read: go back and check the form.")
                if module.quantity_rule.value != "independent":
                    modules[mod] = None
                    continue
                n = whole_number(_one(fields, f"seats_{mod}", str(held.get(mod, ""))))
                if n is None:
                    raise _BadInput(
                        "The licences of a module with its own licences must be a whole number."
                    )
                modules[mod] = n
        # Built from the fields alone (not from the line as it is now): a second click
        # on Confirm makes the operation previewed, and its key answers it as applied.
        return Modify(maintenance=mid, quantity=quantity, modules=modules)
    if name in ("auto_renew_on", "auto_renew_off"):
        return SetAutoRenew(maintenance=mid, on=name == "auto_renew_on")
    if name == "cancel_schedule":
        return ScheduleChange(maintenance=mid)
    if name == "schedule":
        quantity = whole_number(_one(fields, "seats", str(m.quantity)))
        if quantity is None:
            raise _BadInput("The number of licences must be a whole number.")
        return ScheduleChange(maintenance=mid, quantity=quantity, period=_period(fields))
    if name in ("manage", "unmanage"):
        mode = ManagementMode.CENTRALIZED if name == "manage" else ManagementMode.UNMANAGED
        return SetManagement(maintenance=mid, mode=mode)
    if name == "delete":
        return DeleteService(maintenance=mid)
    if name == "extend":
        return ExtendTrial(maintenance=mid)
    if name == "suspend":
        return Suspend(maintenance=mid)
    if name == "resume":
        return Resume(maintenance=mid)
    if name in ("renew", "convert"):
        period = _period(fields)
        if name == "renew":
            return Renew(maintenance=mid, period=period)
        if period is None:
            default = engine._conversion(m, today)
            if default is None:
                raise _BadInput("This trial cannot be converted: its product sells no period.")
            period = default.period
        return ConvertTrial(maintenance=mid, period=period)
    raise _BadInput("That action cannot be read: go back to the client and try again.")


def _period(fields: Mapping[str, list[str]]) -> Period | None:
    """The period a form chose (``None``: none chosen)."""
    text = _one(fields, "period")
    if not text:
        return None
    try:
        return Period.parse(text)
    except (ValueError, TypeError):
        raise _BadInput("That period cannot be read: choose one of the list.") from None


def _with_defaults(
    name: str,
    m: Maintenance | None,
    fields: Mapping[str, list[str]],
    engine: Engine,
    today: dt.date,
) -> dict[str, list[str]]:
    """*fields* with what the form shows first where they say nothing: the line's
    seats and modules, its period (renew), the first enabled period (convert)."""
    out = dict(fields)
    if m is None:
        return out
    if name == "modify":
        out.setdefault("seats", [str(m.quantity)])
        if "modules_shown" not in out and _modules_of(engine.catalog, m.product):
            out["modules_shown"] = ["1"]
            out["module"] = [ml.module for ml in m.modules]
            for ml in m.modules:
                module = engine.catalog.modules.get(ml.module)
                if module is not None and module.quantity_rule.value == "independent":
                    out[f"seats_{ml.module}"] = [str(ml.quantity)]
    elif name == "schedule":  # from what is scheduled, else the line as it is
        planned = m.scheduled
        seats_now = planned.quantity if planned and planned.quantity else m.quantity
        out.setdefault("seats", [str(seats_now)])
        period = planned.period if planned and planned.period else m.period
        if not _one(out, "period") and period is not None:
            out["period"] = [str(period)]
    elif name == "renew" and not _one(out, "period") and m.period is not None:
        out["period"] = [str(m.period)]
    elif name == "convert" and not _one(out, "period"):
        default = engine._conversion(m, today)
        if default is not None:
            out["period"] = [str(default.period)]
    return out


def _changes(
    catalog: Catalog, before: Client, after: Client | None, today: dt.date, lang: str
) -> list[tuple[str, list[str]]]:
    """What an operation does, line by line: ``(product, [what changes])``, in the
    person's words (from the client before and after the engine applies it)."""
    if after is None:
        return []
    old = {m.id: m for m in before.maintenances}
    out: list[tuple[str, list[str]]] = []
    for m in after.maintenances:
        was = old.get(m.id)
        name = _name(catalog, m.product)
        what: list[str] = []
        if was is None:
            what.append(
                tr(
                    "new: {type}, {seats}, from {start} to {end}",
                    lang,
                    type=tr(m.license_type.value, lang),
                    seats=seats(m.quantity, lang),
                    start=format_day(m.starts_on, lang),
                    end=format_day(m.expires_on, lang),
                )
            )
            for ml in m.modules:
                what.append(f"+ {_module_name(catalog, ml.module)} ({seats(ml.quantity, lang)})")
            out.append((name, what))
            continue
        if was == m:
            continue

        arrow = functools.partial(_arrow, what, lang)
        arrow("licences", format_number(was.quantity, lang), format_number(m.quantity, lang))
        arrow("expiry", format_day(was.expires_on, lang), format_day(m.expires_on, lang))
        arrow("management", tr(was.management.value, lang), tr(m.management.value, lang))
        arrow("auto-renewal", tr(_on_off(was.auto_renew), lang), tr(_on_off(m.auto_renew), lang))
        arrow("at the renewal", _planned(was, lang), _planned(m, lang))
        s0, s1 = line_state(was, today)[1], line_state(m, today)[1]
        if m.deleted_on is not None and was.deleted_on is None:
            s1 = "deleted"
        if m.replaced_on is not None and was.replaced_on is None:
            s1 = "replaced"
        suspended0 = bool(was.suspensions) and was.suspensions[-1].resumed_on is None
        suspended1 = bool(m.suspensions) and m.suspensions[-1].resumed_on is None
        if suspended1 and not suspended0:
            s1 = "suspended"
        if suspended0 and not suspended1:
            s1 = "active"
        arrow("status", tr(s0, lang), tr(s1, lang))
        mods0 = {ml.module: ml.quantity for ml in was.modules}
        mods1 = {ml.module: ml.quantity for ml in m.modules}
        for mod, n in mods1.items():
            if mod not in mods0:
                what.append(f"+ {_module_name(catalog, mod)} ({seats(n, lang)})")
            elif mods0[mod] != n and n != m.quantity:
                what.append(
                    f"{_module_name(catalog, mod)}: {format_number(mods0[mod], lang)} → "
                    f"{format_number(n, lang)}"
                )
        for mod in mods0:
            if mod not in mods1:
                what.append(f"− {_module_name(catalog, mod)}")
        if what:
            out.append((name, what))
    if after.deleted_on is not None and before.deleted_on is None:
        out.insert(0, (before.name, [tr("the client is deleted", lang)]))
    return out


def _on_off(on: bool) -> str:
    return "on" if on else "off"


def _planned(m: Maintenance, lang: str) -> str:
    """What the next renewal will change, in words (``-``: nothing scheduled)."""
    planned = m.scheduled
    if planned is None:
        return "-"
    quantity = planned.quantity if planned.quantity is not None else m.quantity
    period = planned.period if planned.period is not None else m.period
    words = seats(quantity, lang)
    return f"{words}, {period_words(period, lang)}" if period is not None else words


def _arrow(what: list[str], lang: str, label: str, a: str, b: str) -> None:
    if a != b:
        what.append(f"{tr(label, lang)}: {a} → {b}")


def _fields_of(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The fields that make an action (not the token, the key or the step)."""
    return {k: v for k, v in form.items() if k not in ("csrf", "key", "step", "checked")}


def _here(cid: str, fields: Mapping[str, list[str]], page: str = "actions") -> str:
    """The GET twin of a posted page (its language switch and its Back link)."""
    pairs = [(k, v) for k, vs in fields.items() if k != "lang" for v in vs]
    return f"/clients/{_quote(cid)}/{page}?{urlencode(pairs)}"


async def _action_page(
    ctx: _Context,
    request: Request,
    console: Console,
    fields: Mapping[str, list[str]],
    *,
    key: str | None = None,
    decision: Decision | None = None,
    note: str | None = None,
) -> Response:
    cid = request.path_params["client_id"]
    today = ctx.day()
    lang = ctx.lang(request)
    name = _one(fields, "action")
    if name not in ACTIONS:
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    client = await run_in_threadpool(console.get, cid)
    mid = _one(fields, "maintenance")
    m = next((x for x in client.maintenances if x.id == mid), None)
    if m is None and name not in CLIENT_ACTIONS:
        raise _BadInput("That service is not this client's: go back to the client and try again.")
    engine = console.engine
    fields = _with_defaults(name, m, fields, engine, today)
    if name == "move" and "group" not in fields:  # the form starts from where it is
        fields = {**fields, "group": [client.group]}
    op = _operation(name, m, fields, engine, today)
    applied = decision is not None
    if decision is None:
        decision = await run_in_threadpool(console.check, cid, op, today)
    after: Client | None = None
    if decision.ok:
        try:
            after = engine.apply(client, op, today).client
        except (CytolicenseError, ValueError):
            after = None
    catalog = engine.catalog
    product = catalog.products.get(m.product) if m is not None else None
    held = {ml.module: ml.quantity for ml in m.modules} if m is not None else {}
    periods: tuple[Period, ...] = product.periods if product is not None else ()
    if (
        name in ("renew", "schedule")
        and m is not None
        and m.period is not None
        and m.period not in periods
    ):
        periods = (m.period, *periods)
    changes = _changes(catalog, client, after, today, lang)
    if after is not None and after.group != client.group:
        default = tr("(default group)", lang)
        moved = f"{client.group or default} → {after.group or default}"
        changes.append((tr("Group", lang), [moved]))
    return _render(
        ctx,
        request,
        "action.html",
        200 if decision.ok and not applied else 422,
        client=client,
        line=m,
        state=line_state(m, today) if m is not None else None,
        action=name,
        title=tr(_TITLES[name], lang),
        op=op,
        checked=to_json(op),
        decision=decision,
        refused_kind=op.kind,
        changes=changes,
        nothing=decision.ok and not changes,
        requesting=not console.may(op.kind) and console.may("request"),
        key=key or secrets.token_urlsafe(16),
        modules=_modules_of(catalog, m.product) if m is not None and name == "modify" else [],
        held=held,
        wanted=set(fields.get("module", held)) if "modules_shown" in fields else set(held),
        seats_value=_one(fields, "seats", str(m.quantity) if m is not None else "1"),
        own=lambda mod: _one(fields, f"seats_{mod}", str(held.get(mod, ""))),
        periods=periods,
        enabled=product.enabled if product is not None else (),
        chosen_period=_one(fields, "period"),
        note=note,
        here=_here(cid, fields),
        group_value=_one(fields, "group", client.group),
    )


@_guard
async def action_preview(ctx: _Context, request: Request) -> Response:
    """``GET /clients/{id}/actions?action=renew&maintenance=m1``: what the action will do."""
    console, _ = await _console(ctx, request)
    fields: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        fields.setdefault(k, []).append(v)
    if "action" not in fields:  # a bare address (a language switch of old): the client
        return RedirectResponse(
            _link(request, f"/clients/{_quote(request.path_params['client_id'])}"),
            status_code=303,
        )
    return await _action_page(ctx, request, console, _fields_of(fields))


@_guard
async def act(ctx: _Context, request: Request) -> Response:
    """``POST /clients/{id}/actions``: ``step=preview`` shows it again with the fields
    as edited; ``step=confirm`` applies it when the operation is the one previewed."""
    console, who = await _console(ctx, request)
    form = await _form(ctx, request)
    for field in ("action", "maintenance", "seats", "period", "group", "checked"):
        _text_field(_one(form, field), "That action cannot be read: go back and try again.")
    fields = _fields_of(form)
    cid = request.path_params["client_id"]
    if _one(form, "step") != "confirm":
        return await _action_page(ctx, request, console, fields, key=_one(form, "key") or None)
    key = _key(form)
    client = await run_in_threadpool(console.get, cid)
    name = _one(form, "action")
    m = next((x for x in client.maintenances if x.id == _one(form, "maintenance")), None)
    if name not in ACTIONS or (m is None and name not in CLIENT_ACTIONS):
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    op = _operation(name, m, fields, console.engine, ctx.day())
    if not hmac.compare_digest(to_json(op).encode(), _one(form, "checked").encode()):
        return await _action_page(
            ctx,
            request,
            console,
            fields,
            key=key,
            note=tr(
                "The form changed since it was checked: here is what it does now. "
                "Confirm again to apply it.",
                ctx.lang(request),
            ),
        )
    if not console.may(op.kind) and console.may("request"):
        # An operator who may not apply it files it for another to approve.
        try:
            filed = await run_in_threadpool(lambda: console.request(cid, op, ctx.day()))
        except RuleViolation as exc:
            return await _action_page(ctx, request, console, fields, key=key, decision=exc.decision)
        query = urlencode({"done": "request", "request": filed.id})
        return RedirectResponse(_link(request, f"/clients/{_quote(cid)}?{query}"), status_code=303)
    try:
        await run_in_threadpool(lambda: console.apply(cid, op, ctx.day(), actor=who.actor, key=key))
    except RuleViolation as exc:
        return await _action_page(ctx, request, console, fields, key=key, decision=exc.decision)
    return _done(request, cid, name, m.id if m is not None and name not in CLIENT_ACTIONS else None)


# -- Añadir producto ------------------------------------------------------------------------


def _dialog_values(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the dialog shows in its fields: what was typed (after Back, or a product
    change), else the defaults."""
    return {
        "license_type": _one(fields, "license_type"),
        "quantity": _one(fields, "quantity", "1") or "1",
        "period": _one(fields, "period"),
        "modules": set(fields.get("module", [])),
        "own": {k[6:]: v[0] for k, v in fields.items() if k.startswith("seats_")},
        "management": _one(fields, "management"),
    }


async def _dialog(
    ctx: _Context,
    request: Request,
    console: Console,
    fields: Mapping[str, list[str]],
    *,
    note: str | None = None,
    status: int = 200,
) -> Response:
    cid = request.path_params["client_id"]
    client = await run_in_threadpool(console.get, cid)
    offers = await run_in_threadpool(console.offer, cid, ctx.day())
    chosen = _one(fields, "product")
    offer = next((o for o in offers if o.product == chosen), None)
    if offer is None:
        offer = next((o for o in offers if o.license_types), offers[0] if offers else None)
    values = _dialog_values(fields)
    if offer is not None:
        types = sorted(offer.license_types, key=lambda t: t.value)
        if values["license_type"] not in [t.value for t in types]:
            values["license_type"] = types[0].value if types else ""
        if values["period"] not in [str(p) for p in offer.periods]:
            first = offer.enabled_periods or offer.periods
            values["period"] = str(first[0]) if first else ""
        values["modules"] &= {m.module for m in offer.modules}
    return _render(
        ctx,
        request,
        "add.html",
        status,
        client=client,
        offers=offers,
        offer=offer,
        values=values,
        note=note,
        LicenseType=LicenseType,
        independent=lambda m: m.quantity_rule.value == "independent",
        here=_here(cid, {**fields, "product": [offer.product]} if offer else fields, "add"),
    )


@_guard
async def add_product(ctx: _Context, request: Request) -> Response:
    console, _ = await _console(ctx, request)
    fields: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        fields.setdefault(k, []).append(v)
    return await _dialog(ctx, request, console, fields)


def _request_of(form: Mapping[str, list[str]]) -> AssignmentRequest:
    """The dialog's fields as an assignment request (read as the command line reads
    its options: :func:`cytolicense.views._input.assignment`)."""
    return assignment(
        product=_one(form, "product"),
        license_type=_one(form, "license_type", "commercial"),
        quantity=_one(form, "quantity", "1"),
        period=_one(form, "period") or None,
        modules=[(m, _one(form, f"seats_{m}") or None) for m in form.get("module", [])],
        management=_one(form, "management", "centralized"),
    )


@_guard
async def add_product_post(ctx: _Context, request: Request) -> Response:
    console, who = await _console(ctx, request)
    form = await _form(ctx, request)
    cid = request.path_params["client_id"]
    lang = ctx.lang(request)
    for vs in form.values():
        for v in vs:
            _text_field(v, "Some fields of the form are not valid: go back and check them.")
    fields = _fields_of(form)
    step = _one(form, "step", "preview")
    shown = _one(form, "shown_product")
    if step == "choose":
        return await _dialog(ctx, request, console, fields)
    if step == "preview" and shown and shown != _one(form, "product"):
        # The product was changed without "Choose": its own settings first, never the
        # previous product's.
        return await _dialog(
            ctx,
            request,
            console,
            fields,
            note=tr("You chose another product: check its settings, then press Add.", lang),
        )
    try:
        req = _request_of(form)
    except (ValueError, TypeError):
        return _error(
            ctx,
            request,
            400,
            tr("Some fields of the form are not valid: go back and check them.", lang),
            back=_here(cid, fields, "add"),
        )
    client = await run_in_threadpool(console.get, cid)
    product = ctx.engine.catalog.products.get(req.product)
    modes = sorted(product.management_modes, key=lambda m: m.value) if product else []
    if step == "confirm":
        key = _key(form)
        if not hmac.compare_digest(_one(form, "checked").encode(), _fingerprint(req).encode()):
            step = "preview"
        else:
            try:
                change = await run_in_threadpool(
                    lambda: console.apply(cid, req, ctx.day(), actor=who.actor, key=key)
                )
            except RuleViolation as exc:
                decision = exc.decision
            else:
                mid = change.maintenance.id if change.maintenance is not None else None
                return _done(request, cid, "assign", mid)
    if step != "confirm":
        if "management" not in form and modes:
            req = _request_of({**form, "management": [modes[0].value]})
        decision = await run_in_threadpool(console.check, cid, req, ctx.day())
    after: Client | None = None
    if decision.ok:
        try:
            after = ctx.engine.apply(client, req, ctx.day()).client
        except (CytolicenseError, ValueError):
            after = None
    return _render(
        ctx,
        request,
        "preview.html",
        200 if decision.ok else 422,
        client=client,
        req=req,
        product=product,
        decision=decision,
        refused_kind="assign",
        modes=modes,
        changes=_changes(ctx.engine.catalog, client, after, ctx.day(), lang),
        key=_one(form, "key") or secrets.token_urlsafe(16),
        checked=_fingerprint(req),
        back=_here(cid, fields, "add"),
        here=_here(cid, fields, "add"),
        Period=Period,
    )


def _fingerprint(req: AssignmentRequest) -> str:
    """The assignment previewed, but for its management (chosen on the preview)."""
    return to_json(
        AssignmentRequest(
            product=req.product,
            license_type=req.license_type,
            quantity=req.quantity,
            period=req.period,
            modules=req.modules,
            management=ManagementMode.CENTRALIZED,
        )
    )


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


async def login(ctx: _Context, request: Request) -> Response:
    """``/login?token=T``: keep the token in a cookie for a browser (token mode)."""
    given = request.query_params.get("token", "")
    if not given or not ctx.token_ok(given):  # a wrong token sets no cookie
        raise _Refused(401, tr("that token is not this console's", ctx.lang(request)))
    response = RedirectResponse("/", status_code=303)
    response.set_cookie("cytolicense_token", given, httponly=True, samesite="strict")
    return response


async def back_to_list(ctx: _Context, request: Request) -> Response:
    """``GET /clients``: the monitoring list (a language switch on a posted page)."""
    return RedirectResponse(_link(request, "/"), status_code=303)


PAGES: list[tuple[str, Page, list[str]]] = [
    ("/", monitoring, ["GET"]),
    ("/login", login, ["GET"]),
    ("/clients", back_to_list, ["GET"]),
    ("/clients", add_client, ["POST"]),
    ("/clients/{client_id}", detail, ["GET"]),
    ("/clients/{client_id}/actions", action_preview, ["GET"]),
    ("/clients/{client_id}/actions", act, ["POST"]),
    ("/clients/{client_id}/add", add_product, ["GET"]),
    ("/clients/{client_id}/add", add_product_post, ["POST"]),
    ("/clients/{client_id}/history", history, ["GET"]),
    ("/expiring", expiring, ["GET"]),
    ("/forecast", forecast, ["GET"]),
    ("/pool", pool, ["GET"]),
]
