"""Rules about the client and the maintenance an operation acts on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._client_records import Client, Maintenance
from ..core._dates import visible
from ..core._enums import Status
from ..core._findings import CodeSpec, Finding
from ..core._operations import (
    AddSeats,
    ChangeProduct,
    ConvertTrial,
    DeleteService,
    ExtendTrial,
    Operation,
    Renew,
    Resume,
    ResumeClient,
    SuspendClient,
)
from ..core._rulespec import RuleContext
from ._registry import (
    _ALL,
    _NONE,
    _ON_MAINTENANCE,
    _SHOWN_DAYS,
    _TRIAL,
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
        return BEFORE_HISTORY._found(
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
    return NOT_VISIBLE._found(
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
            ALREADY_DELETED._found(
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
NOT_TRIAL = CodeSpec(
    code="conversion.not_trial",
    messages={
        "en": "Maintenance '{maintenance}' is not a trial: only a trial is converted or extended.",
        "es": "El mantenimiento '{maintenance}' no es una prueba: solo una prueba se "
        "convierte o se amplía.",
    },
)
RENEWAL_NOT_COMMERCIAL = CodeSpec(
    code="renewal.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: a trial is not renewed (convert it).",
        "es": "El mantenimiento '{maintenance}' es una prueba: una prueba no se renueva "
        "(conviértela).",
    },
)
NOT_COMMERCIAL = CodeSpec(
    code="maintenance.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: seats are added to a commercial "
        "maintenance only.",
        "es": "El mantenimiento '{maintenance}' es una prueba: solo se añaden licencias a un "
        "mantenimiento comercial.",
    },
)
CHANGE_NOT_ALLOWED = CodeSpec(
    code="change.not_allowed",
    messages={
        "en": {
            "trial": "Maintenance '{maintenance}' is a trial: convert it instead of "
            "changing its product.",
            "not_offered": "'{product}' cannot be changed to '{target}' (allowed: {allowed}).",
            "no_changes": "'{product}' cannot be changed to another product: the catalog "
            "allows no change from it.",
        },
        "es": {
            "trial": "El mantenimiento '{maintenance}' es una prueba: conviértala en lugar de "
            "cambiar su producto.",
            "not_offered": "'{product}' no se puede cambiar a '{target}' (permitidos: {allowed}).",
            "no_changes": "'{product}' no se puede cambiar a otro producto: el catálogo no "
            "permite ningún cambio desde él.",
        },
    },
)

SUSPENDED = CodeSpec(
    code="maintenance.suspended",
    messages={
        "en": "Maintenance '{maintenance}' is suspended: resume it first (only resuming "
        "and deleting it are allowed).",
        "es": "El mantenimiento '{maintenance}' está suspendido: reanúdalo antes (solo se "
        "puede reanudar o borrar).",
    },
)
NOT_SUSPENDED = CodeSpec(
    code="maintenance.not_suspended",
    messages={
        "en": "Maintenance '{maintenance}' is not suspended: there is nothing to resume.",
        "es": "El mantenimiento '{maintenance}' no está suspendido: no hay nada que reanudar.",
    },
)
RESUME_EXPIRED = CodeSpec(
    code="resume.after_expiry",
    messages={
        "en": "Maintenance '{maintenance}' expired on {expires_on} while suspended: it can "
        "no longer be resumed (renewal is refused too; assign a new licence).",
        "es": "El mantenimiento '{maintenance}' caducó el {expires_on} mientras estaba "
        "suspendido: ya no se puede reanudar (asigna una licencia nueva).",
    },
)
NOTHING_TO_SUSPEND = CodeSpec(
    code="client.nothing_to_suspend",
    messages={
        "en": "Client '{client}' has no active maintenance to suspend.",
        "es": "El cliente '{client}' no tiene ningún mantenimiento activo que suspender.",
    },
)
NOTHING_TO_RESUME = CodeSpec(
    code="client.nothing_to_resume",
    messages={
        "en": "Client '{client}' has no maintenance suspended by a client-wide suspension "
        "to resume.",
        "es": "El cliente '{client}' no tiene ningún mantenimiento suspendido con todo el "
        "cliente que reanudar.",
    },
)

# Which states each operation accepts.
_IN_FORCE = frozenset({Status.ACTIVE, Status.GRACE})
_ACTIVE = frozenset({Status.ACTIVE})
_NOT_STOPPED = frozenset({Status.ACTIVE, Status.GRACE, Status.EXPIRED, Status.SUSPENDED})
_SUSPENDED = frozenset({Status.SUSPENDED})


def suspended_by_client(client: Client, today: dt.date) -> list[Maintenance]:
    """The lines a :class:`ResumeClient` on *today* resumes: suspended by a client-wide
    suspension, still open, not expired."""
    return [
        m
        for m in client.maintenances
        if (s := m.suspension) is not None and s.by_client and m.status(today) is Status.SUSPENDED
    ]


def live_lines(client: Client, today: dt.date) -> list[Maintenance]:
    """The lines a :class:`SuspendClient` on *today* suspends: active ones."""
    return [
        m for m in client.maintenances if m.starts_on <= today and m.status(today) is Status.ACTIVE
    ]


@rule({"suspend_client", "resume_client"}, NOTHING_TO_SUSPEND, NOTHING_TO_RESUME)
def rule_client_suspension(ctx: RuleContext) -> Iterable[Finding]:
    """``client.nothing_to_suspend``, ``client.nothing_to_resume``."""
    op, client = ctx.op, ctx.client
    if isinstance(op, SuspendClient) and not live_lines(client, ctx.today):
        return (NOTHING_TO_SUSPEND._found(None, {"client": client.id}),)
    if isinstance(op, ResumeClient) and not suspended_by_client(client, ctx.today):
        return (NOTHING_TO_RESUME._found(None, {"client": client.id}),)
    return _NONE


@rule(
    _ON_MAINTENANCE,
    UNKNOWN_MAINTENANCE,
    NOT_ACTIVE,
    NOT_TRIAL,
    RENEWAL_NOT_COMMERCIAL,
    NOT_COMMERCIAL,
    CHANGE_NOT_ALLOWED,
    SUSPENDED,
    NOT_SUSPENDED,
    RESUME_EXPIRED,
)
def rule_target(ctx: RuleContext) -> Iterable[Finding]:
    """The maintenance must exist and be in a state the operation accepts:
    ``maintenance.unknown``, ``maintenance.not_active``, ``conversion.not_trial``,
    ``renewal.not_commercial``, ``maintenance.not_commercial``, ``change.not_allowed``."""
    op, m = ctx.op, ctx.maintenance
    if m is None:
        wanted = getattr(op, "maintenance", "?")
        return (
            UNKNOWN_MAINTENANCE._found(
                "maintenance", {"client": ctx.client.id, "maintenance": wanted}
            ),
        )
    state = target_state(m, ctx.today)
    params = {"maintenance": m.id}
    trial = m.license_type is _TRIAL
    if isinstance(op, ConvertTrial | ExtendTrial) and not trial:
        return (NOT_TRIAL._found("maintenance", params),)
    if isinstance(op, Renew) and trial:
        return (RENEWAL_NOT_COMMERCIAL._found("maintenance", params),)
    if isinstance(op, AddSeats) and trial:
        return (NOT_COMMERCIAL._found("maintenance", params),)
    if isinstance(op, ChangeProduct) and trial:
        return (CHANGE_NOT_ALLOWED._found("maintenance", {**params, "reason": "trial"}),)
    if isinstance(op, Resume) and state is not Status.SUSPENDED:
        if m.suspension is not None and state is Status.EXPIRED:
            expires = {**params, "expires_on": m.expires_on.isoformat()}
            return (RESUME_EXPIRED._found("maintenance", expires),)
        if m.suspension is None and state not in (Status.DELETED, Status.REPLACED):
            return (NOT_SUSPENDED._found("maintenance", params),)
    if state is Status.SUSPENDED and not state_accepts(type(op), state):
        return (SUSPENDED._found("maintenance", params),)
    if not state_accepts(type(op), state):
        return (NOT_ACTIVE._found("maintenance", {**params, "status": state.value}),)
    return _NONE


def target_state(m: Maintenance, today: dt.date) -> Status:
    """The state :func:`rule_target` judges *m* by on *today* (a day before its start
    counts as active: the history rule speaks for that day)."""
    return m.status(today) if today >= m.starts_on else Status.ACTIVE


def state_accepts(kind: type[Operation] | type[None], state: Status) -> bool:
    """Whether an operation of type *kind* may act on a maintenance in *state*: deleting
    one that has not stopped, renewing one in force, anything else an active one. When
    false, :func:`rule_target` refuses it (an error), whatever the other rules find."""
    if kind is DeleteService:
        return state in _NOT_STOPPED
    if kind is Resume:
        return state in _SUSPENDED
    if kind is Renew:
        return state in _IN_FORCE
    return state in _ACTIVE
