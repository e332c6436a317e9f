"""Rules about the client and the maintenance an operation acts on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._client_records import Client
from ..core._dates import visible
from ..core._enums import Status
from ..core._findings import CodeSpec, Finding
from ..core._maintenance import Maintenance
from ..core._rulespec import RuleContext
from ..operations._suspension import SUSPENDED
from ..operations._table import FAMILIES, KINDS
from ..operations._table import state_accepts as state_accepts
from ._registry import (
    _ALL,
    _NONE,
    _ON_MAINTENANCE,
    _SHOWN_DAYS,
    rule,
)

# -- every operation ------------------------------------------------------------------

BEFORE_HISTORY = CodeSpec(
    code="date.before_history",
    messages={
        "en": "Client '{client}' was last changed on {last_change}: an operation dated "
        "{today} would rewrite its history.",
        "es": "El cliente '{client}' se modificó por última vez el {last_change}: una "
        "operación con fecha {today} reescribiría su historial.",
    },
)


def before_history(ctx: RuleContext) -> Finding | None:
    """The ``date.before_history`` finding, when the operation is dated before the
    client's last change."""
    last = ctx.client.last_change
    if ctx.today < last:
        return BEFORE_HISTORY.finding(
            "today",
            {
                "client": ctx.client.id,
                "today": ctx.today.isoformat(),
                "last_change": last.isoformat(),
            },
        )
    return None


NOT_VISIBLE = CodeSpec(
    code="client.not_visible",
    messages={
        "en": {
            "ended": "Client '{client}' is no longer shown in the console: its services "
            "ended on {ended_on}, 90 days or more ago.",
            "never_served": "Client '{client}' is no longer shown in the console: it was "
            "added on {ended_on} and never had a service in the 90 days after.",
            "deleted": "Client '{client}' is no longer shown in the console: it was deleted "
            "on {ended_on}, 90 days or more ago.",
        },
        "es": {
            "ended": "El cliente '{client}' ya no se muestra en la consola: sus servicios "
            "terminaron el {ended_on}, hace 90 días o más.",
            "never_served": "El cliente '{client}' ya no se muestra en la consola: se dio de "
            "alta el {ended_on} y no tuvo ningún servicio en los 90 días siguientes.",
            "deleted": "El cliente '{client}' ya no se muestra en la consola: se eliminó el "
            "{ended_on}, hace 90 días o más.",
        },
    },
)


def client_not_visible(ctx: RuleContext) -> Finding:
    client = ctx.client
    if client.deleted_on is not None:
        reason = "deleted"
    elif not client.maintenances:
        reason = "never_served"
    else:
        reason = "ended"
    return NOT_VISIBLE.finding(
        None, {"client": client.id, "ended_on": client.ended_on.isoformat(), "reason": reason}
    )


def _shown_and_after_history(client: Client, today: dt.date) -> bool:
    """The usual case in a few comparisons: dated on or after the last change, and the
    client ends today or later, or ended less than 90 days before today."""
    end, last = client._end, client.changed_on
    return (
        client.deleted_on is None
        and last is not None
        and today >= last
        and (end >= today or (today - end).days < _SHOWN_DAYS)
    )


@rule(_ALL - {"delete_client"}, BEFORE_HISTORY, NOT_VISIBLE)
def rule_client(ctx: RuleContext) -> Iterable[Finding]:
    """``date.before_history``: no operation is dated before the client's last change;
    ``client.not_visible``: the client left the console (deleted or inactive 90+ days)."""
    client, today = ctx.client, ctx.today
    if _shown_and_after_history(client, today):
        return _NONE
    out = []
    history = before_history(ctx)
    if history is not None:
        out.append(history)
    if not visible(client, today):
        out.append(client_not_visible(ctx))
    return out


ALREADY_DELETED = CodeSpec(
    code="client.already_deleted",
    messages={
        "en": "Client '{client}' was already deleted on {deleted_on}.",
        "es": "El cliente '{client}' ya se eliminó el {deleted_on}.",
    },
)


@rule({"delete_client"}, BEFORE_HISTORY, ALREADY_DELETED, NOT_VISIBLE)
def rule_client_deletable(ctx: RuleContext) -> Iterable[Finding]:
    """``date.before_history``; ``client.already_deleted``, ``client.not_visible``:
    deleting a client twice, or one that left the console."""
    history = before_history(ctx)
    if history is not None:
        return (history, *_deletable(ctx))
    return _deletable(ctx)


def _deletable(ctx: RuleContext) -> tuple[Finding, ...]:
    client = ctx.client
    if client.deleted_on is not None and ctx.today >= client.deleted_on:
        return (
            ALREADY_DELETED.finding(
                None, {"client": client.id, "deleted_on": client.deleted_on.isoformat()}
            ),
        )
    if not visible(client, ctx.today):
        return (client_not_visible(ctx),)
    return _NONE


# -- the maintenance an operation acts on -----------------------------------------------

UNKNOWN_MAINTENANCE = CodeSpec(
    code="maintenance.unknown",
    messages={
        "en": "Client '{client}' has no maintenance '{maintenance}'.",
        "es": "El cliente '{client}' no tiene el mantenimiento '{maintenance}'.",
    },
)
NOT_ACTIVE = CodeSpec(
    code="maintenance.not_active",
    messages={
        "en": "Maintenance '{maintenance}' is {status}, not active.",
        "es": "El mantenimiento '{maintenance}' está {status}, no activo.",
    },
)


@rule(
    _ON_MAINTENANCE,
    UNKNOWN_MAINTENANCE,
    NOT_ACTIVE,
    *(code for family in FAMILIES for code in family.target_codes),
)
def rule_target(ctx: RuleContext) -> Iterable[Finding]:
    """The maintenance must exist and be in a state the operation accepts:
    ``maintenance.unknown``, ``maintenance.not_active``, ``maintenance.suspended``, and
    what the operation's own ``target`` finds first (its family declares those codes:
    ``conversion.not_trial``, ``renewal.not_commercial``, ...)."""
    m = ctx.maintenance
    if m is None:
        wanted = getattr(ctx.op, "maintenance", "?")
        return (
            UNKNOWN_MAINTENANCE.finding(
                "maintenance", {"client": ctx.client.id, "maintenance": wanted}
            ),
        )
    state = target_state(m, ctx.today)
    kind = KINDS[ctx.operation]
    if kind.target is not None:
        found = kind.target(ctx, m, state)
        if found is not None:
            return (found,)
    accepts = kind.accepts
    if accepts is not None and state in accepts:
        return _NONE
    params = {"maintenance": m.id}
    if state is Status.SUSPENDED:
        return (SUSPENDED.finding("maintenance", params),)
    return (NOT_ACTIVE.finding("maintenance", {**params, "status": state.value}),)


def target_state(m: Maintenance, today: dt.date) -> Status:
    """The state :func:`rule_target` judges *m* by on *today* (a day before its start
    counts as active: the history rule speaks for that day)."""
    return m.status(today) if today >= m.starts_on else Status.ACTIVE
