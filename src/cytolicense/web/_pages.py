"""The console's pages for a person: server-rendered HTML, plain forms (no JavaScript
needed), every string through the interface table the command line uses.

Every change goes through two steps: a preview (the dry run: what the change will do
and the engine's findings, in the person's words) and a confirmation (a second POST
carrying the CSRF token, the idempotency key minted with the preview and a
fingerprint of the operation previewed: a form changed since its preview is shown
again, never applied). After the change, a 303 to the client's page, which says what
was done.

This module holds their route table (:data:`PAGES`) and the two that only redirect
(``/login``, ``GET /clients``). The pages themselves: ``_lists`` (monitoring,
expiring, forecast, pool), ``_client_page`` (a client's detail and history),
``_actions`` (the actions' table, preview and confirmation), ``_add_product`` (the
add-product dialog); what they are built with: ``_rendering`` (templates, errors as
pages, forms, links) and ``_words`` (what a person reads).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..views._text import tr
from ._actions import act, action_preview
from ._add_product import add_product, add_product_post
from ._client_page import detail, history
from ._context import _Context, _Refused
from ._lists import add_client, expiring, forecast, monitoring, pool
from ._rendering import Page, _link

__all__ = ["PAGES"]


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
