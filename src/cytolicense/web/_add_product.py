"""Adding a product to a client: the dialog (the offer, a product's settings), its
preview and its confirmation, applied only when the assignment is the one previewed."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..core._client_records import Client
from ..core._enums import LicenseType, ManagementMode
from ..core._exceptions import CytolicenseError, RuleViolation
from ..core._operations import AssignmentRequest
from ..core._period import Period
from ..store._serialize import to_json
from ..views._input import assignment
from ..views._text import tr
from ._context import _Context
from ._rendering import (
    _console,
    _done,
    _error,
    _fields_of,
    _form,
    _guard,
    _here,
    _key,
    _one,
    _render,
    _text_field,
)
from ._words import _changes

if TYPE_CHECKING:
    from ..store._console import Console


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
