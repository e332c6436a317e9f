"""Suspension: of one maintenance (:class:`Suspend`, kind ``suspend``; :class:`Resume`,
kind ``resume``) and of the whole client (:class:`SuspendClient`, kind
``suspend_client``; :class:`ResumeClient`, kind ``resume_client``), with their own
rules. A suspended line grants nothing from the next day until it is resumed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._client_records import Client
from ..core._enums import Status
from ..core._events import Event, ServiceResumed, ServiceSuspended
from ..core._findings import CodeSpec, Finding
from ..core._maintenance import Maintenance, plus_days
from ..core._messages import tr
from ..core._operations import Resume, ResumeClient, Suspend, SuspendClient
from ..core._rulespec import RuleContext, RuleSpec
from ._family import (
    NONE,
    SUSPENDED_ONLY,
    Action,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Who,
    Written,
    rule_into,
)
from ._words import end_moved

__all__ = ["FAMILY", "SUSPENDED", "live_lines", "suspended_by_client"]

_rules: list[RuleSpec] = []
rule = rule_into(_rules)

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

# -- one maintenance ------------------------------------------------------------------


def _suspended(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m = ctx.maintenance
    assert m is not None
    return [ServiceSuspended(maintenance_id=m.id, **who)], m.id


def resumed(ctx: RuleContext, m: Maintenance, who: Who) -> Event:
    """The resumption of *m* on the context's day: its end moved by the days it spent
    suspended when its product says ``suspend_extends_term``."""
    suspension = m.suspension
    assert suspension is not None
    end = m.expires_on
    product = ctx.catalog.products.get(m.product)
    if product is not None and product.suspend_extends_term:
        days = (ctx.today - suspension.on).days - 1  # the days it granted nothing
        if days > 0:
            end = plus_days(end, days)
    return ServiceResumed(
        maintenance_id=m.id, expires_on=end, previous_expires_on=m.expires_on, **who
    )


def _resumed(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m = ctx.maintenance
    assert m is not None
    return [resumed(ctx, m, who)], m.id


def _resume_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    """Nothing to resume, or a line that expired while suspended."""
    if state is Status.SUSPENDED:
        return None
    if m.suspension is not None and state is Status.EXPIRED:
        expires = {"maintenance": m.id, "expires_on": m.expires_on.isoformat()}
        return RESUME_EXPIRED.finding("maintenance", expires)
    if m.suspension is None and state not in (Status.DELETED, Status.REPLACED):
        return NOT_SUSPENDED.finding("maintenance", {"maintenance": m.id})
    return None


def _suspend_action(centralized: bool, trial: bool) -> Action:
    return "suspend", lambda mid: Suspend(maintenance=mid)


def _resume_action(centralized: bool, trial: bool) -> Action:
    return "resume", lambda mid: Resume(maintenance=mid)


# -- the whole client -----------------------------------------------------------------


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


def _client_suspended(ctx: RuleContext, who: Who, release: str | None) -> Written:
    lines = live_lines(ctx.client, ctx.today)
    return [ServiceSuspended(maintenance_id=x.id, by_client=True, **who) for x in lines], None


def _client_resumed(ctx: RuleContext, who: Who, release: str | None) -> Written:
    return [resumed(ctx, x, who) for x in suspended_by_client(ctx.client, ctx.today)], None


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


@rule({"suspend_client", "resume_client"}, NOTHING_TO_SUSPEND, NOTHING_TO_RESUME)
def rule_client_suspension(ctx: RuleContext) -> Iterable[Finding]:
    """``client.nothing_to_suspend``, ``client.nothing_to_resume``."""
    op, client = ctx.op, ctx.client
    if isinstance(op, SuspendClient) and not live_lines(client, ctx.today):
        return (NOTHING_TO_SUSPEND.finding(None, {"client": client.id}),)
    if isinstance(op, ResumeClient) and not suspended_by_client(client, ctx.today):
        return (NOTHING_TO_RESUME.finding(None, {"client": client.id}),)
    return NONE


def _suspended_words(before: Client | None, e: ServiceSuspended, lang: str) -> str:
    """``m1``, or ``m1 (the whole client)``."""
    return e.maintenance_id + (" " + tr("(the whole client)", lang) if e.by_client else "")


def _resumed_words(before: Client | None, e: ServiceResumed, lang: str) -> str:
    """``m1``, or ``m1: end OLD -> NEW`` when resuming moved its end."""
    if e.expires_on == e.previous_expires_on:
        return e.maintenance_id
    return end_moved(e, lang)


FAMILY = Family(
    name="suspension",
    kinds=(
        Kind(
            type=Suspend,
            events=_suspended,
            line_terms=True,
            action=_suspend_action,
            drops_schedule=True,
            words=OperationWords("cannot suspend the service", "the service can be suspended"),
        ),
        Kind(
            type=Resume,
            events=_resumed,
            accepts=SUSPENDED_ONLY,
            target=_resume_target,
            line_terms=True,
            action=_resume_action,
            words=OperationWords("cannot resume the service", "the service can be resumed"),
        ),
        Kind(
            type=SuspendClient,
            events=_client_suspended,
            accepts=None,
            drops_schedule=True,
            words=OperationWords("cannot suspend the client", "the client can be suspended"),
        ),
        Kind(
            type=ResumeClient,
            events=_client_resumed,
            accepts=None,
            words=OperationWords("cannot resume the client", "the client can be resumed"),
        ),
    ),
    events=(ServiceSuspended, ServiceResumed),
    rules=tuple(_rules),
    target_codes=(SUSPENDED, NOT_SUSPENDED, RESUME_EXPIRED),
    words=(
        EventWords(ServiceSuspended, "service suspended", _suspended_words),
        EventWords(ServiceResumed, "service resumed", _resumed_words),
    ),
)
