"""A catalog with later releases: each operation decided under the release whose
terms apply to it, and a renewal moving its line to the release in force."""

from __future__ import annotations

import datetime as dt

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._enums import LicenseType
from ..core._events import Event, MaintenanceRenewed, apply_trusted
from ..core._exceptions import ReleaseMissingError, RuleViolation, UnknownIdError
from ..core._findings import Decision, Finding
from ..core._operations import Operation
from ..core._pool import Pool
from ..operations._family import find
from ..operations._table import kind_of
from ..rules._lifecycle import TERMS_CHANGED
from ._change import Change
from ._decider import Decider

__all__ = ["check_releases", "engine_for", "release_apply", "release_check", "renewal"]

_COMMERCIAL = LicenseType.COMMERCIAL


def check_releases(catalog: Catalog, client: Client) -> None:
    """:meth:`Engine.check_releases` for an engine of *catalog*."""
    known = {r.version for r in catalog.releases}
    for m in client.maintenances:
        release = m.release
        if release is not None and release not in known:
            raise ReleaseMissingError(client.id, m.id, release, tuple(sorted(known)))


def engine_for(engine: Decider, client: Client, op: Operation, today: dt.date) -> Decider:
    """The engine of the release whose terms decide *op*: the release in force on
    *today* for new terms (an assignment, a conversion, a product change, added
    seats, a grouping, a renewal); for an operation on an existing maintenance, the
    release that maintenance is under (:meth:`Catalog.terms_for`)."""
    catalog = engine.catalog
    mid = getattr(op, "maintenance", None)
    if mid is None or not kind_of(op).line_terms:
        return engine._engine(catalog.at(today))
    m = find(client, mid)
    if m is None:
        return engine._engine(catalog.at(today))
    return engine._engine(catalog.terms_for(m.product, m.release, today))


def renewal(
    engine: Decider, client: Client, op: Operation, today: dt.date
) -> tuple[Client, Finding | None, Catalog | None]:
    """For a renewal under a newer release than the maintenance's: the client as the
    new release sees it (modules it no longer offers dropped), the
    ``renewal.terms_changed`` warning, and the new release."""
    if not kind_of(op).renews:
        return client, None, None
    m = find(client, getattr(op, "maintenance", ""))
    if m is None:
        return client, None, None
    try:
        old = engine.catalog.terms_for(m.product, m.release, today)
    except UnknownIdError:
        return client, None, None
    new = engine.catalog.at(today)
    before, after = old.products.get(m.product), new.products.get(m.product)
    if new is old or before is None or after is None:
        return client, None, None
    changes: list[str] = []
    kept = tuple(ml for ml in m.modules if ml.module in after.modules)
    changes += [f"module:{ml.module}" for ml in m.modules if ml not in kept]
    period = getattr(op, "period", None) or m.period
    if period is not None and period not in after.enabled and period in before.enabled:
        changes.append(f"period:{period}")
    if after.max_quantity != before.max_quantity:
        changes.append(f"max_quantity:{before.max_quantity}->{after.max_quantity}")
    if after.grace_days != before.grace_days and m.license_type is _COMMERCIAL:
        changes.append(f"grace_days:{before.grace_days}->{after.grace_days}")
    seen = client
    if len(kept) != len(m.modules) or m.release != engine._engine(new)._stamp:
        moved = attrs.evolve(m, modules=kept)
        seen = attrs.evolve(
            client,
            maintenances=tuple(moved if x.id == m.id else x for x in client.maintenances),
        )
    finding = None
    if changes:
        finding = TERMS_CHANGED.finding(
            "maintenance",
            {
                "maintenance": m.id,
                "release": new.version,
                "previous_release": old.version,
                "changes": ", ".join(changes),
            },
        )
    return seen, finding, new


def release_check(
    engine: Decider, client: Client, op: Operation, today: dt.date, pool: Pool | None
) -> Decision:
    seen, changed, _ = renewal(engine, client, op, today)
    decision = engine_for(engine, seen, op, today).check(seen, op, today, pool=pool)
    if changed is None:
        return decision
    return Decision((*decision.findings, changed))


def release_apply(
    engine: Decider,
    client: Client,
    op: Operation,
    today: dt.date,
    pool: Pool | None,
    actor: str | None,
    reason: str | None,
) -> Change:
    seen, changed, release = renewal(engine, client, op, today)
    decider = engine_for(engine, seen, op, today)
    try:
        change = decider.apply(seen, op, today, pool=pool, actor=actor, reason=reason)
    except RuleViolation as exc:
        if changed is None:
            raise
        # The refusal says what check says: the release's findings and what changed.
        decision = Decision((*exc.decision.findings, changed))
        raise RuleViolation(decision, op.kind) from None
    if release is None:
        return change
    # The renewal moves the maintenance to the release in force (its terms: the
    # modules it still offers, its grace), from the stored client's state.
    events: list[Event] = []
    for event in change.events:
        if isinstance(event, MaintenanceRenewed):
            m = event.maintenance
            product = release.products[m.product]
            grace = product.grace_days if m.license_type is _COMMERCIAL else 0
            moved = attrs.evolve(m, release=decider._stamp, grace_days=grace)
            event = attrs.evolve(event, maintenance=moved)
        events.append(event)
    new = client
    for event in events:
        new = apply_trusted(new, event)
    touched = change.maintenance.id if change.maintenance is not None else None
    warnings = change.warnings if changed is None else (*change.warnings, changed)
    return attrs.evolve(
        change,
        client=new,
        events=tuple(events),
        maintenance=new.maintenance(touched) if touched is not None else None,
        warnings=tuple(warnings),
    )
