"""The renewal day: automatic renewal (:class:`SetAutoRenew`, kind ``set_auto_renew``),
the change scheduled for it (:class:`ScheduleChange`, kind ``schedule_change``), what
the day's run does for a client (:func:`due`), and the scheduled change a mid-term
operation drops (:func:`dropping`).

As Microsoft's NCE has it: a change of seats or term is scheduled for the renewal
and needs auto-renewal; a mid-term change (a modification, added seats, a product
change, a grouping), a suspension, a deletion or turning auto-renewal off drops it
(:class:`ScheduleCancelled`, its ``reason`` the operation's kind); a suspension also
turns auto-renewal off, and resuming leaves it off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._enums import Status
from ..core._events import (
    AutoRenewChanged,
    ChangeScheduled,
    Event,
    ExpiryNotice,
    ScheduleCancelled,
)
from ..core._findings import CodeSpec, Finding
from ..core._maintenance import Maintenance
from ..core._messages import tr
from ..core._operations import (
    DeleteClient,
    GroupSets,
    Renew,
    ScheduleChange,
    SetAutoRenew,
    Suspend,
    SuspendClient,
)
from ..core._rulespec import RuleContext, RuleSpec
from ._family import (
    COMMERCIAL,
    IN_FORCE,
    NONE,
    TRIAL,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
    modules_of,
    rule_into,
    terms,
)

__all__ = [
    "AUTO_RENEW_NOT_COMMERCIAL",
    "FAMILY",
    "NEEDS_AUTO_RENEW",
    "NOTICE_DAYS",
    "dropping",
    "due",
    "notice_days",
    "notices",
]

_rules: list[RuleSpec] = []
rule = rule_into(_rules)

AUTO_RENEW_NOT_COMMERCIAL = CodeSpec(
    code="auto_renew.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: only a commercial maintenance renews "
        "by itself (convert it first).",
        "es": "El mantenimiento '{maintenance}' es una prueba: solo un mantenimiento comercial "
        "se renueva automáticamente (conviértela antes).",
    },
)
NEEDS_AUTO_RENEW = CodeSpec(
    code="schedule.needs_auto_renew",
    messages={
        "en": "Maintenance '{maintenance}' does not renew by itself: turn auto-renewal on "
        "before scheduling a change for its renewal.",
        "es": "El mantenimiento '{maintenance}' no se renueva automáticamente: activa la "
        "renovación automática antes de programar un cambio para su renovación.",
    },
)

# -- auto-renewal ---------------------------------------------------------------------


def _commercial_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    if m.license_type is TRIAL:
        return AUTO_RENEW_NOT_COMMERCIAL.finding("maintenance", {"maintenance": m.id})
    return None


def _auto_renew_set(ctx: RuleContext, who: Who, release: str | None) -> Written:
    """:class:`AutoRenewChanged` (after :class:`ScheduleCancelled` when turning it off
    drops a scheduled change), or nothing when it is already so."""
    op, m = ctx.op, ctx.maintenance
    assert isinstance(op, SetAutoRenew)
    assert m is not None
    if m.auto_renew is op.on:
        return [], m.id
    events: list[Event] = []
    if not op.on and m.scheduled is not None:
        events.append(_cancelled(m, who, op.kind))
    events.append(AutoRenewChanged(maintenance_id=m.id, auto_renew=op.on, **who))
    return events, m.id


def _auto_renew_action(
    m: Maintenance, catalog: Catalog, today: dt.date
) -> tuple[str, SetAutoRenew]:
    if m.auto_renew:
        return "auto_renew_off", SetAutoRenew(maintenance=m.id, on=False)
    return "auto_renew_on", SetAutoRenew(maintenance=m.id, on=True)


# -- the change scheduled for the renewal ---------------------------------------------


def _schedule_terms(catalog: Catalog, op: ScheduleChange, m: Maintenance | None) -> Terms:
    """The terms the renewal would leave, as an assignment (judged as a renewal's)."""
    if m is None:
        return Terms(None)
    period = op.period if op.period is not None else m.period
    if m.license_type is not COMMERCIAL:
        return Terms(m.product, None, period)
    q = m.quantity if op.quantity is None else op.quantity
    request = terms(
        product=m.product,
        license_type=m.license_type,
        quantity=q,
        period=period,
        modules={
            k: (v if v is None else max(1, min(v, q))) for k, v in modules_of(catalog, m).items()
        },
        management=m.management,
    )
    return Terms(m.product, request, period)


def _scheduled(ctx: RuleContext, who: Who, release: str | None) -> Written:
    """:class:`ChangeScheduled`; a schedule of nothing (no seats, no term) cancels the
    one there is (:class:`ScheduleCancelled`), or does nothing."""
    op, m = ctx.op, ctx.maintenance
    assert isinstance(op, ScheduleChange)
    assert m is not None
    if op.quantity is None and op.period is None:
        return ([_cancelled(m, who, op.kind)] if m.scheduled is not None else []), m.id
    s = m.scheduled
    if s is not None and s.quantity == op.quantity and s.period == op.period:
        return [], m.id  # scheduled as it is
    event = ChangeScheduled(maintenance_id=m.id, quantity=op.quantity, period=op.period, **who)
    return [event], m.id


def _schedule_action(
    m: Maintenance, catalog: Catalog, today: dt.date
) -> tuple[str, ScheduleChange] | None:
    if not m.auto_renew:
        return None
    if m.scheduled is not None:  # the console offers to replace it or cancel it
        return "cancel_schedule", ScheduleChange(maintenance=m.id)
    return "schedule", ScheduleChange(maintenance=m.id, quantity=m.quantity)


@rule({"schedule_change"}, NEEDS_AUTO_RENEW)
def rule_needs_auto_renew(ctx: RuleContext) -> Iterable[Finding]:
    """``schedule.needs_auto_renew``: a change is scheduled only for an automatic
    renewal."""
    m = ctx.maintenance
    if m is None or m.license_type is not COMMERCIAL or m.auto_renew:
        return NONE
    return (NEEDS_AUTO_RENEW.finding("maintenance", {"maintenance": m.id}),)


# -- what a mid-term operation drops ----------------------------------------------------


def _cancelled(m: Maintenance, who: Who, kind: str) -> ScheduleCancelled:
    return ScheduleCancelled(maintenance_id=m.id, **{**who, "reason": kind})


def _lines_of(ctx: RuleContext) -> list[Maintenance]:
    """The maintenances the operation acts on."""
    op = ctx.op
    if isinstance(op, GroupSets):
        from ._sets import group_sets

        return group_sets(ctx)
    if isinstance(op, SuspendClient):
        from ._suspension import live_lines

        return live_lines(ctx.client, ctx.today)
    if isinstance(op, DeleteClient):
        return list(ctx.client.maintenances)
    m = ctx.maintenance
    return [] if m is None else [m]


def dropping(kind: Kind, ctx: RuleContext, who: Who, release: str | None) -> Written:
    """The events of a decided operation that drops the schedule of the lines it acts
    on: :class:`ScheduleCancelled` (and, for a suspension, auto-renewal turned off)
    first, then the operation's own events, made from the lines without them."""
    suspends = isinstance(ctx.op, Suspend | SuspendClient)
    lines = [m for m in _lines_of(ctx) if m.scheduled is not None or (suspends and m.auto_renew)]
    if not lines:
        return kind.events(ctx, who, release)
    cleared = {
        m.id: attrs.evolve(m, scheduled=None, auto_renew=False if suspends else m.auto_renew)
        for m in lines
    }
    client = attrs.evolve(
        ctx.client,
        maintenances=tuple(cleared.get(m.id, m) for m in ctx.client.maintenances),
    )
    m = ctx.maintenance
    seen = attrs.evolve(ctx, client=client, maintenance=None if m is None else cleared.get(m.id, m))
    events, touched = kind.events(seen, who, release)
    if not events:
        return events, touched
    first: list[Event] = []
    for line in lines:
        if line.scheduled is not None:
            first.append(_cancelled(line, who, ctx.operation))
        if suspends and line.auto_renew:
            first.append(AutoRenewChanged(maintenance_id=line.id, auto_renew=False, **who))
    return [*first, *events], touched


# -- the day's run ------------------------------------------------------------------------


def due(catalog: Catalog, client: Client, today: dt.date) -> tuple[Renew, ...]:
    """What the day's run does for *client* on *today*: a :class:`Renew` (with the
    scheduled seats and term, if any) of every auto-renewing maintenance whose
    ``expires_on`` is *today*, or that is in grace on *today* (not yet renewed: a
    renewal moves its expiry). A suspended, replaced, deleted or withdrawn
    maintenance is never due."""
    out: list[Renew] = []
    for m in client.maintenances:
        if not m.auto_renew or m.license_type is not COMMERCIAL or today < m.expires_on:
            continue
        if today > m.grace_until:
            continue
        state = m.status(today)
        if not (state is Status.GRACE or (state is Status.ACTIVE and today == m.expires_on)):
            continue
        product = _sold(catalog, m.product, today)
        if product is None:
            continue
        s = m.scheduled
        out.append(
            Renew(
                maintenance=m.id,
                period=None if s is None else s.period,
                quantity=None if s is None else s.quantity,
            )
        )
    return tuple(out)


NOTICE_DAYS: tuple[int, ...] = (60, 30, 7, 1)
"""The expiry notices' thresholds by default, in days before the end."""

_MAX_NOTICE_DAYS = 3660


def notice_days(thresholds: Iterable[int]) -> tuple[int, ...]:
    """*thresholds* checked (each an ``int`` from 1 to 3660 days) and put in order,
    least urgent first, without repeats (``()``: no notices)."""
    if isinstance(thresholds, str | bytes):
        raise TypeError(f"thresholds must be a collection of ints, got {thresholds!r}")
    days = tuple(thresholds)
    for t in days:
        if type(t) is not int or not 1 <= t <= _MAX_NOTICE_DAYS:
            raise ValueError(
                f"a notice threshold must be an int from 1 to {_MAX_NOTICE_DAYS} days, got {t!r}"
            )
    return tuple(sorted(set(days), reverse=True))


def notices(
    client: Client, today: dt.date, thresholds: Iterable[int] = NOTICE_DAYS
) -> tuple[ExpiryNotice, ...]:
    """The expiry notices the day's run writes for *client* on *today* (a pure
    function: no clock, no I/O).

    Threshold ``t`` of a line is due on ``expires_on - t``. For each commercial
    maintenance active on *today*, the most urgent threshold due on or before *today*
    (the smallest ``t`` with ``expires_on - today <= t``) is written unless it, or a
    more urgent one, was written for that ``expires_on`` already (so missed days give
    only the most urgent) or it was due before the day the line was assigned or last
    renewed (one due on that very day is written). A renewal (a new ``expires_on``)
    arms them again."""
    days = sorted(notice_days(thresholds))  # most urgent first
    if not days:
        return ()
    out: list[ExpiryNotice] = []
    for m in client.maintenances:
        if m.license_type is not COMMERCIAL or m.status(today) is not Status.ACTIVE:
            continue
        left = (m.expires_on - today).days
        t = next((t for t in days if t >= left), None)
        if t is None:
            continue
        mark = m.notices
        armed = m.starts_on
        if mark is not None and mark.expires_on == m.expires_on:
            if mark.sent is not None and mark.sent <= t:
                continue  # written already (or a more urgent one)
            armed = mark.armed_on
        if (armed - m.expires_on).days > -t:  # due before it was armed: skipped
            continue
        out.append(
            ExpiryNotice(
                client_id=client.id,
                on=today,
                maintenance_id=m.id,
                days_before=t,
                expires_on=m.expires_on,
            )
        )
    return tuple(out)


def _sold(catalog: Catalog, product_id: str, today: dt.date) -> object | None:
    """The product as sold on *today*, or ``None`` when unknown or withdrawn."""
    try:
        release = catalog.at(today)
    except (KeyError, ValueError):  # pragma: no cover - every catalog has a release
        release = catalog
    product = release.products.get(product_id)
    if product is None or (product.available_until is not None and today > product.available_until):
        return None
    return product


def _notice_words(before: Client | None, e: ExpiryNotice, lang: str) -> str:
    """``m1: 30 days before its end on DAY``."""
    return tr(
        "{id}: {days} days before its end on {day}",
        lang,
        id=e.maintenance_id,
        days=e.days_before,
        day=e.expires_on,
    )


FAMILY = Family(
    name="renewal_day",
    kinds=(
        Kind(
            type=SetAutoRenew,
            events=_auto_renew_set,
            accepts=IN_FORCE,
            target=_commercial_target,
            line_terms=True,
            line_action=_auto_renew_action,
            words=OperationWords(
                "cannot change the automatic renewal", "the automatic renewal can be changed"
            ),
        ),
        Kind(
            type=ScheduleChange,
            terms=_schedule_terms,
            events=_scheduled,
            accepts=IN_FORCE,
            target=_commercial_target,
            line_action=_schedule_action,
            words=OperationWords(
                "cannot schedule the change for the renewal",
                "the change can be scheduled for the renewal",
            ),
        ),
    ),
    events=(AutoRenewChanged, ChangeScheduled, ScheduleCancelled),
    rules=tuple(_rules),
    target_codes=(AUTO_RENEW_NOT_COMMERCIAL,),
    # The day's run writes the expiry notices (:func:`notices`), no operation.
    words=(EventWords(ExpiryNotice, "expiry notice", _notice_words),),
)
