"""What every page of the console is built with: the templates and :func:`_render`
(the values every template is given, the session cookie), errors as pages
(:func:`_guard`, :func:`_error`), the posted form and its CSRF check, the fields a
person typed, the links a page writes, and the 303 to a client after a change."""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..core._exceptions import ConflictError, KeyConflictError, NotFoundError
from ..core._messages import period_words
from ..views._detail import human_duration
from ..views._input import refusal_header
from ..views._text import tr
from ._context import Identity, _Context, _Refused
from ._words import _module_name, _name, format_day, format_number, human_message, plural, seats

if TYPE_CHECKING:
    from ..store._console import Console


__all__ = ["SESSION", "Page"]


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
SESSION = "cytolicense_session"
KEY_MAX = 200


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


# -- a change: its fields, its pages, the way back to the client ----------------------------


def _done(request: Request, cid: str, done: str, line: str | None = None) -> Response:
    """The 303 after a change, to the client's page, which says what was done."""
    query = {"done": done, **({"line": line} if line else {})}
    return RedirectResponse(
        _link(request, f"/clients/{_quote(cid)}?{urlencode(query)}"), status_code=303
    )


def _fields_of(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The fields that make an action (not the token, the key or the step)."""
    return {k: v for k, v in form.items() if k not in ("csrf", "key", "step", "checked")}


def _here(cid: str, fields: Mapping[str, list[str]], page: str = "actions") -> str:
    """The GET twin of a posted page (its language switch and its Back link)."""
    pairs = [(k, v) for k, vs in fields.items() if k != "lang" for v in vs]
    return f"/clients/{_quote(cid)}/{page}?{urlencode(pairs)}"
