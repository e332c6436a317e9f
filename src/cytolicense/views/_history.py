"""A client's history as lines a person reads: what each event changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..core._client_records import Client, Maintenance
from ..core._events import (
    ClientCreated,
    Event,
    ExpiryNotice,
    LicensesModified,
    MaintenanceRenewed,
    ManagementChanged,
    ProductAssigned,
    ProductChanged,
    SeatsAdded,
    ServiceDeleted,
    ServiceResumed,
    ServiceSuspended,
    SetsGrouped,
    TrialConverted,
    TrialExtended,
    apply,
)
from ..core._messages import period_words, tr
from ._text import clean

__all__ = ["describe_history"]


_KINDS = {
    "ClientCreated": "client added",
    "ProductAssigned": "product assigned",
    "LicensesModified": "licences modified",
    "ManagementChanged": "management changed",
    "ServiceDeleted": "service deleted",
    "ClientDeleted": "client deleted",
    "MaintenanceRenewed": "renewed",
    "ProductChanged": "product changed",
    "TrialConverted": "trial converted",
    "TrialExtended": "trial extended",
    "SetsGrouped": "sets grouped",
    "SeatsAdded": "seats added",
    "ServiceSuspended": "service suspended",
    "ServiceResumed": "service resumed",
    "ExpiryNotice": "expiry notice",
}
"""Each event type in words (the interface table has the Spanish)."""


def _end_moved(e: TrialExtended | ServiceResumed, lang: str) -> str:
    """``m1: end OLD -> NEW``, for an event that moved a maintenance's end."""
    return tr(
        "{id}: end {old} -> {new}",
        lang,
        id=e.maintenance_id,
        old=e.previous_expires_on,
        new=e.expires_on,
    )


def _modules(old: Maintenance, new: Maintenance, lang: str) -> list[str]:
    before = {ml.module: ml.quantity for ml in old.modules}
    after = {ml.module: ml.quantity for ml in new.modules}
    parts = []
    added = [f"{k} ({after[k]})" for k in after if k not in before]
    changed = [
        f"{k} {before[k]}->{after[k]}" for k in after if k in before and before[k] != after[k]
    ]
    dropped = [k for k in before if k not in after]
    if added:
        parts.append(tr("added {modules}", lang, modules=", ".join(added)))
    if changed:
        parts.append(tr("changed {modules}", lang, modules=", ".join(changed)))
    if dropped:
        parts.append(tr("dropped {modules}", lang, modules=", ".join(dropped)))
    return parts


def _line(m: Maintenance, lang: str) -> str:
    """``m1: product x10 until DAY``, in *lang*."""
    return tr(
        "{id}: {product} x{seats} until {day}",
        lang,
        id=m.id,
        product=m.product,
        seats=m.quantity,
        day=m.expires_on,
    )


def _describe(before: Client | None, e: Event, lang: str) -> str:
    if isinstance(e, ClientCreated):
        return f"{e.name}"
    assert before is not None
    if isinstance(e, ProductAssigned):
        m = e.maintenance
        mods = ", ".join(f"{ml.module} ({ml.quantity})" for ml in m.modules)
        return _line(m, lang) + (tr(" with {modules}", lang, modules=mods) if mods else "")
    if isinstance(e, LicensesModified):
        old, new = before.maintenance(e.maintenance.id), e.maintenance
        parts = (
            [tr("seats {old}->{new}", lang, old=old.quantity, new=new.quantity)]
            if old.quantity != new.quantity
            else []
        )
        parts += _modules(old, new, lang)
        return f"{new.id}: {new.product} x{new.quantity}" + (
            f" ({'; '.join(parts)})" if parts else ""
        )
    if isinstance(e, ExpiryNotice):
        return tr(
            "{id}: {days} days before its end on {day}",
            lang,
            id=e.maintenance_id,
            days=e.days_before,
            day=e.expires_on,
        )
    if isinstance(e, ManagementChanged):
        return f"{e.maintenance_id} -> {tr(e.management.value, lang)}"
    if isinstance(e, ServiceDeleted):
        return f"{e.maintenance_id}"
    if isinstance(e, ServiceSuspended):
        return e.maintenance_id + (" " + tr("(the whole client)", lang) if e.by_client else "")
    if isinstance(e, ServiceResumed):
        if e.expires_on == e.previous_expires_on:
            return e.maintenance_id
        return _end_moved(e, lang)
    if isinstance(e, MaintenanceRenewed):
        m = e.maintenance
        term = period_words(m.period, lang) if m.period else "-"
        return tr(
            "{id}: {product} for {term}, end {old} -> {new}",
            lang,
            id=m.id,
            product=m.product,
            term=term,
            old=e.previous_expires_on,
            new=m.expires_on,
        )
    if isinstance(e, ProductChanged):
        m = e.maintenance
        dropped = (
            tr(", dropped {modules}", lang, modules=", ".join(e.dropped_modules))
            if e.dropped_modules
            else ""
        )
        return f"{e.replaced} -> {_line(m, lang)}{dropped}"
    if isinstance(e, TrialConverted):
        return f"{e.trial} -> {_line(e.maintenance, lang)}"
    if isinstance(e, TrialExtended):
        return _end_moved(e, lang)
    if isinstance(e, SetsGrouped):
        m = e.maintenance
        return f"{m.id} + {', '.join(e.grouped)} -> {_line(m, lang)}"
    if isinstance(e, SeatsAdded):
        m = e.maintenance
        return tr(
            "{id}: +{seats} ({term}) -> x{total}, end {old} -> {new}",
            lang,
            id=m.id,
            seats=e.seats,
            term=period_words(e.period, lang),
            total=m.quantity,
            old=e.previous_expires_on,
            new=m.expires_on,
        )
    return ""


def describe_history(
    events: Iterable[Event], language: str = "en", *, who: bool = True
) -> list[str]:
    """One line per event: its day, what happened, what it changed, and (with *who*)
    who did it and why, in *language*."""
    lines = []
    client: Client | None = None
    for e in events:
        text = _describe(client, e, language)
        name = type(e).__name__
        kind = tr(_KINDS.get(name, name), language)
        by = tr(" [by {actor}]", language, actor=e.actor) if e.actor and who else ""
        why = f" ({e.reason})" if e.reason and who else ""
        lines.append(clean(f"{e.on}  {kind}" + (f": {text}" if text else "") + by + why))
        client = apply(client, e)
    return lines
