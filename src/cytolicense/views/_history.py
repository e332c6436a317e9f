"""A client's history as lines a person reads: what each event changed."""

from __future__ import annotations

from collections.abc import Iterable

from ..core._client_records import Client, Maintenance
from ..core._events import (
    ClientCreated,
    Event,
    LicensesModified,
    MaintenanceRenewed,
    ManagementChanged,
    ProductAssigned,
    ProductChanged,
    SeatsAdded,
    ServiceDeleted,
    SetsGrouped,
    TrialConverted,
    TrialExtended,
    apply,
)
from ..core._messages import period_words
from ._text import clean

__all__ = ["describe_history"]


def _modules(old: Maintenance, new: Maintenance) -> list[str]:
    before = {ml.module: ml.quantity for ml in old.modules}
    after = {ml.module: ml.quantity for ml in new.modules}
    parts = []
    added = [f"{k} ({after[k]})" for k in after if k not in before]
    changed = [
        f"{k} {before[k]}->{after[k]}" for k in after if k in before and before[k] != after[k]
    ]
    dropped = [k for k in before if k not in after]
    if added:
        parts.append("added " + ", ".join(added))
    if changed:
        parts.append("changed " + ", ".join(changed))
    if dropped:
        parts.append("dropped " + ", ".join(dropped))
    return parts


def _describe(before: Client | None, e: Event) -> str:
    if isinstance(e, ClientCreated):
        return f"{e.name}"
    assert before is not None
    if isinstance(e, ProductAssigned):
        m = e.maintenance
        mods = ", ".join(f"{ml.module} ({ml.quantity})" for ml in m.modules)
        return f"{m.id}: {m.product} x{m.quantity} until {m.expires_on}" + (
            f" with {mods}" if mods else ""
        )
    if isinstance(e, LicensesModified):
        old, new = before.maintenance(e.maintenance.id), e.maintenance
        parts = [f"seats {old.quantity}->{new.quantity}"] if old.quantity != new.quantity else []
        parts += _modules(old, new)
        return f"{new.id}: {new.product} x{new.quantity}" + (
            f" ({'; '.join(parts)})" if parts else ""
        )
    if isinstance(e, ManagementChanged):
        return f"{e.maintenance_id} -> {e.management.value}"
    if isinstance(e, ServiceDeleted):
        return f"{e.maintenance_id}"
    if isinstance(e, MaintenanceRenewed):
        m = e.maintenance
        term = period_words(m.period, "en") if m.period else "-"
        return f"{m.id}: {m.product} for {term}, end {e.previous_expires_on} -> {m.expires_on}"
    if isinstance(e, ProductChanged):
        m = e.maintenance
        dropped = f", dropped {', '.join(e.dropped_modules)}" if e.dropped_modules else ""
        return f"{e.replaced} -> {m.id}: {m.product} x{m.quantity} until {m.expires_on}{dropped}"
    if isinstance(e, TrialConverted):
        m = e.maintenance
        return f"{e.trial} -> {m.id}: {m.product} x{m.quantity} until {m.expires_on}"
    if isinstance(e, TrialExtended):
        return f"{e.maintenance_id}: end {e.previous_expires_on} -> {e.expires_on}"
    if isinstance(e, SetsGrouped):
        m = e.maintenance
        return f"{m.id} + {', '.join(e.grouped)} -> {m.id}: x{m.quantity} until {m.expires_on}"
    if isinstance(e, SeatsAdded):
        m = e.maintenance
        return (
            f"{m.id}: +{e.seats} ({period_words(e.period, 'en')}) -> x{m.quantity}, "
            f"end {e.previous_expires_on} -> {m.expires_on}"
        )
    return ""


def describe_history(events: Iterable[Event]) -> list[str]:
    """One line per event: its day, its type, what it changed, and who did it."""
    lines = []
    client: Client | None = None
    for e in events:
        text = _describe(client, e)
        who = f" [by {e.actor}]" if e.actor else ""
        why = f" ({e.reason})" if e.reason else ""
        lines.append(
            clean(f"{e.on}  {type(e).__name__}" + (f" {text}" if text else "") + who + why)
        )
        client = apply(client, e)
    return lines
