"""An action on a client or one of its lines: :data:`ACTIONS` (the console's actions
and the kind of operation each makes), the operation a form's fields make, and the
two steps every action takes: the preview (``GET``, or a ``POST`` with
``step=preview``) and the confirmation (``step=confirm``, applied only when the
operation is the one previewed).

An operation the console offers adds its row to :data:`ACTIONS`, its title to
``_TITLES`` and its case to :func:`_operation` here; a line's action also its button in
``_client_page._LINE_ACTIONS`` and what the client's page then says in
``_client_page._DONE``."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core._client_records import Client, Maintenance
from ..core._enums import ManagementMode
from ..core._exceptions import CytolicenseError, RuleViolation
from ..core._findings import Decision
from ..core._operations import (
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
from ..store._serialize import to_json
from ..views._input import whole_number
from ..views._text import tr
from ._context import _Context
from ._rendering import (
    _BadInput,
    _console,
    _done,
    _fields_of,
    _form,
    _guard,
    _here,
    _key,
    _link,
    _one,
    _quote,
    _render,
    _text_field,
)
from ._words import _changes, line_state

if TYPE_CHECKING:
    from ..core._catalog import Catalog
    from ..engine._engine import Engine
    from ..store._console import Console


__all__ = ["ACTIONS", "CLIENT_ACTIONS"]


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
