"""An action on a client or one of its lines: :data:`ACTIONS`, the web action table,
and the two steps every action takes: the preview (``GET``, or a ``POST`` with
``step=preview``) and the confirmation (``step=confirm``, applied only when the
operation is the one previewed).

An operation the console offers is one row of :data:`ACTIONS` (an :class:`Action`):
its name, the kind of operation it makes, its title, what the client's page says
after it, whether it is a line's button (the table's order is the buttons' order) or
the client's own, and the function that makes the operation from the form's fields;
an action whose form asks something also names the fieldset of ``action.html`` that
asks it and the function that fills what the form shows first."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core._client_records import Client
from ..core._enums import ManagementMode
from ..core._exceptions import CytolicenseError, RuleViolation
from ..core._findings import Decision
from ..core._maintenance import Maintenance
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


__all__ = ["ACTIONS", "Action"]

Fields = Mapping[str, list[str]]
"""A form's fields: each name with the values given for it."""

Make = Callable[[Fields, Maintenance | None, "Engine", dt.date], Operation]
"""``make(fields, line, engine, today)``: the operation an action's fields make
(``_BadInput`` for a field to correct); *line* is ``None`` for a client's action."""

Defaults = Callable[[dict[str, list[str]], Client, Maintenance | None, "Engine", dt.date], None]
"""``defaults(fields, client, line, engine, today)``: fills in *fields*, where they say
nothing, what the form shows first."""


@attrs.frozen
class Action:
    """One row of the web action table: an operation the console offers."""

    name: str
    """What the forms and links call it (``action=renew``), and the button's words'
    key in the message catalog."""
    kind: str
    """The kind of operation :attr:`make` makes."""
    title: str
    """The action page's title (English, translated through the catalog)."""
    done: str
    """What the client's page says after it (English, translated through the catalog):
    a line's action may name ``{product}``, ``{seats}`` and ``{day}`` as the line is
    now; a client's, ``{group}``."""
    make: Make
    """The operation its form's fields make (a function of this module)."""
    on_line: bool = True
    """A line's button (shown where the engine offers it); ``False``: the client's
    own action, no line named."""
    form: str | None = None
    """The fieldset of ``action.html`` that asks for its fields: ``"licences"``
    (seats and modules), ``"group"``, ``"next_renewal"`` (seats and period),
    ``"period"``; ``None``: nothing to ask."""
    defaults: Defaults | None = None
    """What its form shows first where the fields say nothing (``None``: as given)."""
    own_period: bool = False
    """The form offers the line's own period even when its product no longer sells
    it."""
    danger: bool = False
    """Its buttons are drawn as a danger (it deletes)."""


def _modules_of(catalog: Catalog, product: str) -> list[Any]:
    """The modules a product offers, in the catalog's order."""
    found = catalog.products.get(product)
    offered = found.modules if found is not None else frozenset()
    return [m for mid, m in catalog.modules.items() if mid in offered]


def _line(m: Maintenance | None) -> Maintenance:
    """The line a line's action names (the pages check it is the client's first)."""
    if m is None:
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    return m


def _period(fields: Fields) -> Period | None:
    """The period a form chose (``None``: none chosen)."""
    text = _one(fields, "period")
    if not text:
        return None
    try:
        return Period.parse(text)
    except (ValueError, TypeError):
        raise _BadInput("That period cannot be read: choose one of the list.") from None


def _seats(fields: Fields, m: Maintenance) -> int:
    """The licences a form asks for (the line's when it says none)."""
    quantity = whole_number(_one(fields, "seats", str(m.quantity)))
    if quantity is None:
        raise _BadInput("The number of licences must be a whole number.")
    return quantity


def _modify(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
    m = _line(m)
    quantity = _seats(fields, m)
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
    # Built from the fields alone (not from the line as it is now): a second click on
    # Confirm makes the operation previewed, and its key answers it as applied.
    return Modify(maintenance=m.id, quantity=quantity, modules=modules)


def _licences_now(
    fields: dict[str, list[str]],
    client: Client,
    m: Maintenance | None,
    engine: Engine,
    today: dt.date,
) -> None:
    """modify: the line's seats and modules."""
    m = _line(m)
    fields.setdefault("seats", [str(m.quantity)])
    if "modules_shown" not in fields and _modules_of(engine.catalog, m.product):
        fields["modules_shown"] = ["1"]
        fields["module"] = [ml.module for ml in m.modules]
        for ml in m.modules:
            module = engine.catalog.modules.get(ml.module)
            if module is not None and module.quantity_rule.value == "independent":
                fields[f"seats_{ml.module}"] = [str(ml.quantity)]


def _schedule(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
    m = _line(m)
    return ScheduleChange(maintenance=m.id, quantity=_seats(fields, m), period=_period(fields))


def _scheduled_now(
    fields: dict[str, list[str]],
    client: Client,
    m: Maintenance | None,
    engine: Engine,
    today: dt.date,
) -> None:
    """schedule: what is scheduled, else the line as it is."""
    m = _line(m)
    planned = m.scheduled
    seats_now = planned.quantity if planned and planned.quantity else m.quantity
    fields.setdefault("seats", [str(seats_now)])
    period = planned.period if planned and planned.period else m.period
    if not _one(fields, "period") and period is not None:
        fields["period"] = [str(period)]


def _renew(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
    return Renew(maintenance=_line(m).id, period=_period(fields))


def _period_now(
    fields: dict[str, list[str]],
    client: Client,
    m: Maintenance | None,
    engine: Engine,
    today: dt.date,
) -> None:
    """renew: the line's period."""
    m = _line(m)
    if not _one(fields, "period") and m.period is not None:
        fields["period"] = [str(m.period)]


def _convert(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
    m = _line(m)
    period = _period(fields)
    if period is None:
        default = engine._conversion(m, today)
        if default is None:
            raise _BadInput("This trial cannot be converted: its product sells no period.")
        period = default.period
    return ConvertTrial(maintenance=m.id, period=period)


def _first_conversion(
    fields: dict[str, list[str]],
    client: Client,
    m: Maintenance | None,
    engine: Engine,
    today: dt.date,
) -> None:
    """convert: the first period the product enables."""
    if not _one(fields, "period"):
        default = engine._conversion(_line(m), today)
        if default is not None:
            fields["period"] = [str(default.period)]


def _management(mode: ManagementMode) -> Make:
    """manage, unmanage: the line managed as *mode* says."""

    def make(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
        return SetManagement(maintenance=_line(m).id, mode=mode)

    return make


def _auto_renewal(on: bool) -> Make:
    """auto_renew_on, auto_renew_off: the line renews by itself, or no longer."""

    def make(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
        return SetAutoRenew(maintenance=_line(m).id, on=on)

    return make


def _the_line(operation: Callable[..., Operation]) -> Make:
    """An operation that names its line and nothing else (``operation(maintenance=id)``)."""

    def make(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
        return operation(maintenance=_line(m).id)

    return make


def _move(fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date) -> Operation:
    try:
        return SetGroup(group=_one(fields, "group").strip())
    except (ValueError, TypeError):
        raise _BadInput(
            "A group is names joined by '/' (north/retail), each without spaces around it."
        ) from None


def _group_now(
    fields: dict[str, list[str]],
    client: Client,
    m: Maintenance | None,
    engine: Engine,
    today: dt.date,
) -> None:
    """move: where the client is."""
    fields.setdefault("group", [client.group])


def _delete_client(
    fields: Fields, m: Maintenance | None, engine: Engine, today: dt.date
) -> Operation:
    return DeleteClient()


ACTIONS: Mapping[str, Action] = {
    action.name: action
    for action in (
        Action(
            "modify",
            kind="modify",
            title="Modify the licences",
            done="Modified: {product} now has {seats}.",
            make=_modify,
            form="licences",
            defaults=_licences_now,
        ),
        Action(
            "unmanage",
            kind="set_management",
            title="Stop managing centrally",
            done="{product} is no longer managed centrally.",
            make=_management(ManagementMode.UNMANAGED),
        ),
        Action(
            "manage",
            kind="set_management",
            title="Manage centrally",
            done="{product} is now managed centrally.",
            make=_management(ManagementMode.CENTRALIZED),
        ),
        Action(
            "renew",
            kind="renew",
            title="Renew",
            done="Renewed: {product} now expires on {day}.",
            make=_renew,
            form="period",
            defaults=_period_now,
            own_period=True,
        ),
        Action(
            "convert",
            kind="convert_trial",
            title="Convert the trial",
            done="Converted: {product} is now commercial, until {day}.",
            make=_convert,
            form="period",
            defaults=_first_conversion,
        ),
        Action(
            "extend",
            kind="extend_trial",
            title="Extend the trial",
            done="Extended: the trial of {product} now ends on {day}.",
            make=_the_line(ExtendTrial),
        ),
        Action(
            "suspend",
            kind="suspend",
            title="Suspend",
            done="Suspended: {product} grants no service from tomorrow until it is resumed.",
            make=_the_line(Suspend),
        ),
        Action(
            "resume",
            kind="resume",
            title="Resume",
            done="Resumed: {product} is in service again.",
            make=_the_line(Resume),
        ),
        Action(
            "auto_renew_on",
            kind="set_auto_renew",
            title="Turn auto-renewal on",
            done="{product} now renews by itself on {day}.",
            make=_auto_renewal(True),
        ),
        Action(
            "auto_renew_off",
            kind="set_auto_renew",
            title="Turn auto-renewal off",
            done="{product} no longer renews by itself.",
            make=_auto_renewal(False),
        ),
        Action(
            "schedule",
            kind="schedule_change",
            title="Schedule a change for the renewal",
            done="Scheduled: {product} renews on {day} with the change chosen.",
            make=_schedule,
            form="next_renewal",
            defaults=_scheduled_now,
            own_period=True,
        ),
        Action(
            "cancel_schedule",
            kind="schedule_change",
            title="Cancel the scheduled change",
            done="{product} renews on {day} as it is: nothing is scheduled.",
            make=_the_line(ScheduleChange),
        ),
        Action(
            "delete",
            kind="delete_service",
            title="Delete the service",
            done="Deleted: {product}. The client stays in the list for 90 days.",
            make=_the_line(DeleteService),
            danger=True,
        ),
        Action(
            "delete_client",
            kind="delete_client",
            title="Delete the client",
            done="The client was deleted. It stays in the list for 90 days.",
            make=_delete_client,
            on_line=False,
            danger=True,
        ),
        Action(
            "move",
            kind="set_group",
            title="Move to another group",
            done="Moved to the group {group}.",
            make=_move,
            on_line=False,
            form="group",
            defaults=_group_now,
        ),
    )
}
"""The web action table: the console's actions, a line's in the order of its buttons."""


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
    action = ACTIONS.get(_one(fields, "action"))
    if action is None:
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    client = await run_in_threadpool(console.get, cid)
    mid = _one(fields, "maintenance")
    m = next((x for x in client.maintenances if x.id == mid), None)
    if m is None and action.on_line:
        raise _BadInput("That service is not this client's: go back to the client and try again.")
    engine = console.engine
    if action.defaults is not None:  # the form starts from what is
        filled = dict(fields)
        action.defaults(filled, client, m, engine, today)
        fields = filled
    op = action.make(fields, m, engine, today)
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
    if action.own_period and m is not None and m.period is not None and m.period not in periods:
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
        action=action.name,
        title=tr(action.title, lang),
        form=action.form,
        danger=action.danger,
        op=op,
        checked=to_json(op),
        decision=decision,
        refused_kind=op.kind,
        changes=changes,
        nothing=decision.ok and not changes,
        requesting=not console.may(op.kind) and console.may("request"),
        key=key or secrets.token_urlsafe(16),
        modules=_modules_of(catalog, m.product)
        if m is not None and action.form == "licences"
        else [],
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
    action = ACTIONS.get(_one(form, "action"))
    m = next((x for x in client.maintenances if x.id == _one(form, "maintenance")), None)
    if action is None or (m is None and action.on_line):
        raise _BadInput("That action cannot be read: go back to the client and try again.")
    op = action.make(fields, m, console.engine, ctx.day())
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
    return _done(request, cid, action.name, m.id if m is not None and action.on_line else None)
