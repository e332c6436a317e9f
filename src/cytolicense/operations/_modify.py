"""Changing a maintenance in force: its seats and modules (:class:`Modify`, kind
``modify``) and its management (:class:`SetManagement`, kind ``set_management``).

Their rules are the shared ones (:mod:`cytolicense.rules`): a modification is judged
as the assignment it would leave.
"""

from __future__ import annotations

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._events import LicensesModified, ManagementChanged
from ..core._maintenance import Maintenance, ModuleLicense
from ..core._messages import tr
from ..core._operations import Modify, SetManagement
from ..core._rulespec import RuleContext
from ._family import (
    COMMERCIAL,
    Action,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
    modules_of,
    terms,
)
from ._returns import WINDOW_RULES, added_lot, lowered, open_seats, returned_moves, window_of
from ._terms import Move, request_seats, taken

__all__ = ["FAMILY"]


def _modify_terms(catalog: Catalog, op: Modify, m: Maintenance | None) -> Terms:
    """The maintenance as the modification would leave it, as an assignment."""
    if m is None:
        return Terms(None)
    request = terms(
        product=m.product,
        license_type=m.license_type,
        quantity=m.quantity if op.quantity is None else op.quantity,
        period=m.period,
        modules=modules_of(catalog, m) if op.modules is None else op.modules,
        management=m.management,
    )
    return Terms(m.product, request, m.period)


def _modify_moves(ctx: RuleContext) -> list[Move]:
    """A commercial line's added seats (product and modules) come from the pool."""
    m, req = ctx.maintenance, ctx.request
    if m is None or req is None or m.period is None or m.license_type is not COMMERCIAL:
        return []
    old = {ml.module: ml.quantity for ml in m.modules}
    rise = {k: v - old.get(k, 0) for k, v in request_seats(req).items()}
    moves = taken(
        m.product,
        m.period,
        req.quantity - m.quantity,
        {k: v for k, v in rise.items() if v > 0},
        m.id,
    )
    k = m.quantity - req.quantity
    window = window_of(ctx.product)
    if k > 0 and window is not None and 0 < k <= open_seats(m, ctx.today, window):
        # Inside the return window: the seats lowered go back in full, newest lot
        # first, with the linked modules that follow them.
        following = [mid for mid, seats in req.modules.items() if seats is None and mid in old]
        _, parts = lowered(m.lots, k)
        moves.extend(returned_moves(ctx.catalog, m, parts, "quantity", following))
    return moves


def _modified(ctx: RuleContext, who: Who, release: str | None) -> Written:
    """:class:`LicensesModified`, or nothing when the line would stay as it is."""
    m, request = ctx.maintenance, ctx.request
    assert m is not None
    assert request is not None
    new_q = request.quantity
    current = {ml.module: ml for ml in m.modules}
    new_modules = []
    for mid, seats in request.modules.items():
        old = current.get(mid)
        new_modules.append(
            ModuleLicense(
                module=mid,
                quantity=new_q if seats is None else seats,
                starts_on=old.starts_on if old is not None else ctx.today,
                expires_on=m.expires_on,
            )
        )
    lots = m.lots
    if new_q < m.quantity:
        lots = lowered(lots, m.quantity - new_q)[0]
    elif new_q > m.quantity and m.period is not None:
        lots = (
            *lots,
            *added_lot(ctx.product, m.license_type, ctx.today, new_q - m.quantity, m.period),
        )
    updated = attrs.evolve(m, quantity=new_q, modules=tuple(new_modules), lots=lots)
    if updated == m:
        return [], m.id
    return [LicensesModified(maintenance=updated, **who)], m.id


def _managed(ctx: RuleContext, who: Who, release: str | None) -> Written:
    """:class:`ManagementChanged`, or nothing when the line already has that mode."""
    op, m = ctx.op, ctx.maintenance
    assert isinstance(op, SetManagement)
    assert m is not None
    if m.management is op.mode:
        return [], m.id
    return [ManagementChanged(maintenance_id=m.id, management=op.mode, **who)], m.id


def _modify_action(centralized: bool, trial: bool) -> Action:
    return "modify", lambda mid: Modify(maintenance=mid)


def _manage_action(centralized: bool, trial: bool) -> Action:
    if centralized:
        return "unmanage", lambda mid: SetManagement(maintenance=mid, mode="unmanaged")
    return "manage", lambda mid: SetManagement(maintenance=mid, mode="centralized")


def _module_changes(old: Maintenance, new: Maintenance, lang: str) -> list[str]:
    """The modules *new* added, changed the seats of and dropped, against *old*."""
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


def _modified_words(before: Client | None, e: LicensesModified, lang: str) -> str:
    """``m1: product x12 (seats 10->12; added mod (12))``: what changed against the
    line before."""
    assert before is not None
    old, new = before.maintenance(e.maintenance.id), e.maintenance
    parts = (
        [tr("seats {old}->{new}", lang, old=old.quantity, new=new.quantity)]
        if old.quantity != new.quantity
        else []
    )
    parts += _module_changes(old, new, lang)
    return f"{new.id}: {new.product} x{new.quantity}" + (f" ({'; '.join(parts)})" if parts else "")


def _managed_words(before: Client | None, e: ManagementChanged, lang: str) -> str:
    """``m1 -> centralized``."""
    return f"{e.maintenance_id} -> {tr(e.management.value, lang)}"


FAMILY = Family(
    name="modify",
    kinds=(
        Kind(
            type=Modify,
            terms=_modify_terms,
            events=_modified,
            moves=_modify_moves,
            takes_seats=True,
            line_terms=True,
            action=_modify_action,
            drops_schedule=True,
            words=OperationWords("cannot modify the licences", "the licences can be modified"),
        ),
        Kind(
            type=SetManagement,
            events=_managed,
            line_terms=True,
            action=_manage_action,
            words=OperationWords("cannot change the management", "the management can be changed"),
        ),
    ),
    events=(LicensesModified, ManagementChanged),
    rules=WINDOW_RULES,
    words=(
        EventWords(LicensesModified, "licences modified", _modified_words),
        EventWords(ManagementChanged, "management changed", _managed_words),
    ),
)
