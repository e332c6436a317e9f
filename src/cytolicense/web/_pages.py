"""The console's pages for a person: server-rendered HTML, plain forms (no JavaScript
needed), every string through the interface table the command line uses."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..core._enums import LicenseType, ManagementMode
from ..core._exceptions import ClientExistsError, CytolicenseError, NotFoundError, RuleViolation
from ..core._findings import Decision
from ..core._messages import period_words
from ..core._operations import (
    AssignmentRequest,
    ConvertTrial,
    DeleteService,
    ExtendTrial,
    Modify,
    Operation,
    Renew,
    Resume,
    SetManagement,
    Suspend,
)
from ..core._period import Period
from ..views._charts import forecast_svg
from ..views._detail import human_duration
from ..views._input import assignment, refusal_header, whole_number
from ..views._text import tr

if TYPE_CHECKING:
    from ._app import _Context

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
)
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
SESSION = "cytolicense_session"
PAGE_SIZE = 50


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


def _render(
    ctx: _Context, request: Request, name: str, status: int = 200, **values: Any
) -> Response:
    lang = ctx.lang(request)
    session = request.cookies.get(SESSION) or secrets.token_urlsafe(24)

    def _(text: str, **kw: Any) -> str:
        return tr(text, lang, **kw)

    values.setdefault("link", lambda path: _link(request, path))
    values.setdefault("quote", _quote)
    html = _ENV.get_template(name).render(
        _=_,
        gettext=_,
        ngettext=lambda one, many, n, **kw: tr(one if n == 1 else many, lang, n=n, **kw),
        refusal=lambda kind: tr(refusal_header(kind), lang),
        lang=lang,
        today=ctx.day(),
        day=lambda d: format_day(d, lang),
        number=lambda n: format_number(n, lang),
        period=lambda p: period_words(p, lang) if p is not None else "-",
        span=lambda start, end, days=False: human_duration(start, end, in_days=days, language=lang),
        csrf=ctx.csrf_token(session),
        request=request,
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    if SESSION not in request.cookies:
        response.set_cookie(SESSION, session, httponly=True, samesite="strict")
    return response


async def _form(ctx: _Context, request: Request) -> dict[str, Any]:
    """The posted form, after its CSRF token is checked (403 otherwise)."""
    form = await request.form()
    session = request.cookies.get(SESSION, "")
    given = str(form.get("csrf", ""))
    if not session or not hmac.compare_digest(given, ctx.csrf_token(session)):
        raise _Forbidden
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        out.setdefault(key, []).append(str(value))
    return out


class _Forbidden(Exception):
    pass


class _Refused(Exception):
    """A request refused with an HTTP *status* and a sentence (401, 400, 409, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _guard(handler: Page) -> Page:
    """Errors as pages: 401/403/404 and a refused operation, never a traceback."""

    async def run(ctx: _Context, request: Request) -> Response:
        try:
            return await handler(ctx, request)
        except _Forbidden:
            return HTMLResponse(
                tr(
                    "The form has expired or was not sent by this console: reload the page "
                    "and try again.",
                    ctx.lang(request),
                ),
                status_code=403,
            )
        except NotFoundError as exc:
            return _render(
                ctx, request, "error.html", 404, message=exc.message_in(ctx.lang(request))
            )
        except _Refused as exc:
            return HTMLResponse(exc.message, status_code=exc.status)

    return run


def _link(request: Request, path: str) -> str:
    lang = request.query_params.get("lang")
    return f"{path}{'&' if '?' in path else '?'}lang={lang}" if lang else path


# -- Monitorización -------------------------------------------------------------------------


@_guard
async def monitoring(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    today = ctx.day()
    q = request.query_params.get("q") or None
    after = request.query_params.get("after") or None
    hidden = request.query_params.get("hidden") == "1"
    rows = await run_in_threadpool(
        lambda: console.store.rows(
            today, shown=not hidden, search=q, limit=PAGE_SIZE + 1, after=after
        )
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return _render(
        ctx,
        request,
        "monitoring.html",
        rows=rows,
        q=q or "",
        hidden=hidden,
        next_after=rows[-1].id if more and rows else None,
    )


@_guard
async def add_client(ctx: _Context, request: Request) -> Response:
    console, who = ctx.console(request)
    form = await _form(ctx, request)
    cid = form.get("id", [""])[0].strip()
    name = form.get("name", [""])[0].strip()
    lang = ctx.lang(request)
    if not cid or not name or len(cid) > 200 or not cid.isprintable():
        return _render(
            ctx,
            request,
            "error.html",
            400,
            message=tr("Give the new client an id (up to 200 characters) and a name.", lang),
        )
    try:
        await run_in_threadpool(console.add_client, cid, name, ctx.day(), actor=who.actor)
    except ClientExistsError as exc:
        return _render(ctx, request, "error.html", 409, message=exc.message_in(lang))
    return RedirectResponse(_link(request, f"/clients/{_quote(cid)}"), status_code=303)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# -- a client's detail ----------------------------------------------------------------------


@_guard
async def detail(ctx: _Context, request: Request) -> Response:
    return await _detail_page(ctx, request)


async def _detail_page(
    ctx: _Context,
    request: Request,
    decision: Decision | None = None,
    status: int = 200,
    kind: str | None = None,
) -> Response:
    console, _ = ctx.console(request)
    cid = request.path_params["client_id"]
    today = ctx.day()
    client = await run_in_threadpool(console.store.get, cid)
    view = await run_in_threadpool(ctx.engine.detail, client, today)
    return _render(
        ctx,
        request,
        "detail.html",
        status,
        client=client,
        detail=view,
        decision=decision,
        refused_kind=kind,
    )


def _action(
    name: str, maintenance: str, form: dict[str, Any], engine: Any, client: Any, today: dt.date
) -> Operation:
    if name == "modify":
        seats = whole_number(form.get("seats", [""])[0])
        if seats is None:
            raise ValueError("seats")
        return Modify(maintenance=maintenance, quantity=seats)
    if name in ("manage", "unmanage"):
        mode = ManagementMode.CENTRALIZED if name == "manage" else ManagementMode.UNMANAGED
        return SetManagement(maintenance=maintenance, mode=mode)
    if name == "delete":
        return DeleteService(maintenance=maintenance)
    if name == "renew":
        return Renew(maintenance=maintenance)
    if name == "extend":
        return ExtendTrial(maintenance=maintenance)
    if name == "suspend":
        return Suspend(maintenance=maintenance)
    if name == "resume":
        return Resume(maintenance=maintenance)
    if name == "convert":
        convert = engine._conversion(client.maintenance(maintenance), today)
        if convert is None:
            raise ValueError("convert")
        return ConvertTrial(maintenance=maintenance, period=convert.period)
    raise ValueError(name)


@_guard
async def act(ctx: _Context, request: Request) -> Response:
    console, who = ctx.console(request)
    form = await _form(ctx, request)
    cid = request.path_params["client_id"]
    client = await run_in_threadpool(console.store.get, cid)
    try:
        op = _action(
            form.get("action", [""])[0],
            form.get("maintenance", [""])[0],
            form,
            ctx.engine,
            client,
            ctx.day(),
        )
    except (ValueError, KeyError, CytolicenseError):
        return _render(
            ctx,
            request,
            "error.html",
            400,
            message=tr(
                "That action cannot be read: go back to the client and try again.",
                ctx.lang(request),
            ),
        )
    try:
        await run_in_threadpool(
            lambda: console.apply(
                cid, op, ctx.day(), actor=who.actor, key=form.get("key", [None])[0]
            )
        )
    except RuleViolation as exc:
        return await _detail_page(ctx, request, exc.decision, 422, op.kind)
    return RedirectResponse(_link(request, f"/clients/{_quote(cid)}"), status_code=303)


# -- Añadir producto ------------------------------------------------------------------------


@_guard
async def add_product(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    cid = request.path_params["client_id"]
    client = await run_in_threadpool(console.store.get, cid)
    offers = await run_in_threadpool(console.offer, cid, ctx.day())
    chosen = request.query_params.get("product")
    offer = next((o for o in offers if o.product == chosen), None)
    if offer is None:
        offer = next((o for o in offers if o.license_types), offers[0] if offers else None)
    return _render(
        ctx,
        request,
        "add.html",
        client=client,
        offers=offers,
        offer=offer,
        LicenseType=LicenseType,
        independent=lambda m: m.quantity_rule.value == "independent",
    )


def _request_of(form: dict[str, Any]) -> AssignmentRequest:
    """The dialog's fields as an assignment request (read as the command line reads
    its options: :func:`cytolicense.views._input.assignment`)."""

    def one(name: str, default: str = "") -> str:
        return str(form.get(name, [default])[0])

    return assignment(
        product=one("product"),
        license_type=one("license_type", "commercial"),
        quantity=one("quantity", "1"),
        period=one("period") or None,
        modules=[(m, one(f"seats_{m}") or None) for m in form.get("module", [])],
        management=one("management", "centralized"),
    )


@_guard
async def add_product_post(ctx: _Context, request: Request) -> Response:
    console, who = ctx.console(request)
    form = await _form(ctx, request)
    cid = request.path_params["client_id"]
    lang = ctx.lang(request)
    try:
        req = _request_of(form)
    except (ValueError, TypeError):
        return _render(
            ctx,
            request,
            "error.html",
            400,
            message=tr("Some fields of the form are not valid: go back and check them.", lang),
        )
    step = form.get("step", ["preview"])[0]
    client = await run_in_threadpool(console.store.get, cid)
    product = ctx.engine.catalog.products.get(req.product)
    if step == "confirm":
        try:
            await run_in_threadpool(
                lambda: console.apply(
                    cid, req, ctx.day(), actor=who.actor, key=form.get("key", [None])[0]
                )
            )
        except RuleViolation as exc:
            decision = exc.decision
        else:
            return RedirectResponse(_link(request, f"/clients/{_quote(cid)}"), status_code=303)
    else:
        decision = await run_in_threadpool(console.check, cid, req, ctx.day())
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
        modes=sorted(product.management_modes, key=lambda m: m.value) if product else [],
        key=form.get("key", [secrets.token_urlsafe(12)])[0],
        Period=Period,
    )


# -- lists ----------------------------------------------------------------------------------


@_guard
async def expiring(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    rows = await run_in_threadpool(console.expiring, ctx.day(), 60)
    return _render(ctx, request, "expiring.html", rows=rows)


@_guard
async def forecast(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    months = request.query_params.get("months", "12")
    count = int(months) if months.isdigit() and 1 <= int(months) <= 36 else 12
    clients = await run_in_threadpool(console.store.clients)
    fc = ctx.engine.forecast(clients, ctx.day(), count)
    from markupsafe import Markup

    return _render(
        ctx,
        request,
        "forecast.html",
        chart=Markup(forecast_svg(fc)),
        months=count,
        link=lambda p: _link(request, p),
    )


@_guard
async def pool(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    lines = await run_in_threadpool(console.pool)
    history = await run_in_threadpool(console.store.pool_history)
    return _render(
        ctx,
        request,
        "pool.html",
        pool=lines,
        history=history[-50:],
        link=lambda p: _link(request, p),
    )


@_guard
async def history(ctx: _Context, request: Request) -> Response:
    console, _ = ctx.console(request)
    cid = request.path_params["client_id"]
    client = await run_in_threadpool(console.store.get, cid)
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


PAGES: list[tuple[str, Page, list[str]]] = [
    ("/", monitoring, ["GET"]),
    ("/login", login, ["GET"]),
    ("/clients", add_client, ["POST"]),
    ("/clients/{client_id}", detail, ["GET"]),
    ("/clients/{client_id}/actions", act, ["POST"]),
    ("/clients/{client_id}/add", add_product, ["GET"]),
    ("/clients/{client_id}/add", add_product_post, ["POST"]),
    ("/clients/{client_id}/history", history, ["GET"]),
    ("/expiring", expiring, ["GET"]),
    ("/forecast", forecast, ["GET"]),
    ("/pool", pool, ["GET"]),
]
