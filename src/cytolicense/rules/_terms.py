"""What an operation would produce: new end dates and pool movements.

Shared by the rules (which check that the dates fit the calendar and the pool has
the seats) and by the engine (which applies them), so both compute the same thing.
Pure functions of a :class:`RuleContext`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

from ..core._client_records import Maintenance
from ..core._dates import add_days, commercial_expiry, term_days, trial_expiry
from ..core._enums import LicenseType, QuantityRule, TermEnd
from ..core._operations import (
    AddSeats,
    AssignmentRequest,
    ChangeProduct,
    ConvertTrial,
    DeleteClient,
    DeleteService,
    ExtendTrial,
    GroupSets,
    Modify,
    Renew,
)
from ..core._period import Period
from ..core._pool import taken_from
from ..core._rulespec import RuleContext

__all__ = ["Move", "group_sets", "new_end", "pool_moves", "request_seats"]

_COMMERCIAL = LicenseType.COMMERCIAL


class Move(NamedTuple):
    """Seats taken from (``seats < 0``) or given back to (``> 0``) the pool (a named
    tuple: a check with a pool makes one per item it touches)."""

    item: str
    period: Period
    seats: int
    kind: str  # "debited" or "recovered"
    maintenance: str | None
    field: str


def coterm(today: dt.date, parts: list[tuple[int, int]]) -> dt.date:
    """today + ceil(sum(q * d) / sum(q)) days for ``(seats, days)`` parts (C20)."""
    total = sum(q for q, _ in parts)
    weighted = sum(q * d for q, d in parts)
    return add_days(today, math.ceil(weighted / total))


def term_length(today: dt.date, period: Period, term_end: TermEnd) -> int:
    """``t`` of the co-term formula: the days from *today* to the end of a term of
    *period* started today (by the product's ``term_end``)."""
    return (commercial_expiry(today, period, term_end) - today).days


def group_sets(ctx: RuleContext) -> list[Maintenance]:
    """The maintenances a :class:`GroupSets` would group (active commercial sets of the
    product, in the client's order)."""
    op = ctx.op
    assert isinstance(op, GroupSets)
    return [
        m
        for m in ctx.client.maintenances
        if m.product == op.product and m.license_type is _COMMERCIAL and m.is_active(ctx.today)
    ]


def new_end(ctx: RuleContext) -> dt.date | None:
    """The last day of service the operation gives (``None``: no new date).

    Raises :class:`OverflowError` when it lies beyond the calendar's range.
    """
    op, today, product, m = ctx.op, ctx.today, ctx.product, ctx.maintenance
    if isinstance(op, AssignmentRequest):
        if product is None:
            return None
        if op.license_type is LicenseType.TRIAL:
            return trial_expiry(today, product.trial_days)
        if op.period is None:
            return None
        return commercial_expiry(today, op.period, product.term_end)
    if isinstance(op, ChangeProduct | ConvertTrial):
        if product is None:
            return None
        return commercial_expiry(today, op.period, product.term_end)
    if m is None:
        if isinstance(op, GroupSets):
            sets = group_sets(ctx)
            if len(sets) < 2:
                return None
            return coterm(today, [(s.quantity, (s.expires_on - today).days) for s in sets])
        return None
    if isinstance(op, Renew):
        period = ctx.period
        if period is None:
            return None
        try:
            end: dt.date = m.expires_on + period.delta
        except ValueError as exc:
            raise OverflowError(str(exc)) from None
        return end
    if isinstance(op, ExtendTrial):
        if product is None or not product.trial_extension_days:
            return None
        return add_days(m.expires_on, product.trial_extension_days)
    if isinstance(op, AddSeats):
        if product is None or op.quantity < 1:
            return None
        t = term_length(today, op.period, product.term_end)
        return coterm(today, [(m.quantity, (m.expires_on - today).days), (op.quantity, t)])
    return None


def request_seats(request: AssignmentRequest) -> dict[str, int]:
    """Module id -> seats the request gives (``None`` resolves to the product's seats)."""
    q = request.quantity
    return {mid: q if seats is None else seats for mid, seats in request.modules.items()}


def _recovered(m: Maintenance, today: dt.date, field: str = "maintenance") -> list[Move]:
    """Seats a commercial maintenance active on *today* gives back when it ends today."""
    if m.license_type is not _COMMERCIAL or not m.is_active(today) or m.period is None:
        return []
    days_left = (m.expires_on - today).days + 1
    # The last term is never longer than the days the line has run: a line deleted
    # on the day it starts gives back every seat (calendar clamping, as 1 month
    # from 31 January, would otherwise make its term longer than its days).
    term = min(term_days(m.expires_on, m.period), (m.expires_on - m.starts_on).days + 1)

    period = m.period

    def back(item: str, q: int) -> list[tuple[Period, int]]:
        """Pro rata to the days left (the contract's formula); a maintenance that
        records the seats it took from the pool gives back at most those (its record
        names every item it was sold with a pool given, zero for an item the pool did
        not track then, so seats that did not come from the pool bring nothing back).
        One with no record at all (made without a pool, or by hand) follows the
        formula alone."""
        share = min(q, q * days_left // term) if term > 0 else q
        if not m.pooled:
            return [(period, share)]
        # Given back to the lines it was taken from: the maintenance's own period
        # first, then any other (a grouped set may hold seats of several periods).
        parts: list[tuple[Period, int]] = []
        periods = {ln.period for ln in m.pooled if ln.item == item}
        for p in sorted(periods, key=lambda p: (p != period, str(p))):
            seats = min(share, taken_from(m.pooled, item, p))
            if seats > 0:
                parts.append((p, seats))
                share -= seats
        return parts

    moves = [
        Move(m.product, p, seats, "recovered", m.id, field)
        for p, seats in back(m.product, m.quantity)
    ]
    for ml in m.modules:
        moves.extend(
            Move(ml.module, p, seats, "recovered", m.id, field)
            for p, seats in back(ml.module, ml.quantity)
        )
    return [mv for mv in moves if mv.seats > 0]


def _taken(
    product: str, period: Period, quantity: int, modules: dict[str, int], mid: str | None
) -> list[Move]:
    # tuple.__new__ directly: a named tuple's own __new__ is a Python call per move.
    new: Any = tuple.__new__
    moves = (
        [new(Move, (product, period, -quantity, "debited", mid, "quantity"))]
        if quantity > 0
        else []
    )
    for module, seats in modules.items():
        if seats > 0:
            moves.append(new(Move, (module, period, -seats, "debited", mid, "modules." + module)))
    return moves


def pool_moves(ctx: RuleContext) -> list[Move]:
    """What the operation takes from and gives back to a pool, in order (a change
    gives back before it takes). Trials never touch the pool."""
    op, m, today = ctx.op, ctx.maintenance, ctx.today
    if isinstance(op, AssignmentRequest):
        if op.license_type is not _COMMERCIAL or op.period is None:
            return []
        return _taken(op.product, op.period, op.quantity, request_seats(op), None)
    if isinstance(op, DeleteClient):
        moves: list[Move] = []
        for each in ctx.client.maintenances:
            moves.extend(_recovered(each, today))
        return moves
    if m is None:
        return []
    if isinstance(op, DeleteService):
        return _recovered(m, today)
    if isinstance(op, Renew):
        if ctx.period is None or m.license_type is not _COMMERCIAL:
            return []
        seats = {ml.module: ml.quantity for ml in m.modules}
        return _taken(m.product, ctx.period, m.quantity, seats, m.id)
    req = ctx.request
    if isinstance(op, ChangeProduct | ConvertTrial):
        if req is None:
            return []
        back = _recovered(m, today) if isinstance(op, ChangeProduct) else []
        return [*back, *_taken(req.product, op.period, req.quantity, request_seats(req), None)]
    if isinstance(op, Modify):
        if req is None or m.period is None or m.license_type is not _COMMERCIAL:
            return []
        old = {ml.module: ml.quantity for ml in m.modules}
        rise = {k: v - old.get(k, 0) for k, v in request_seats(req).items()}
        return _taken(
            m.product,
            m.period,
            req.quantity - m.quantity,
            {k: v for k, v in rise.items() if v > 0},
            m.id,
        )
    if isinstance(op, AddSeats):
        if m.license_type is not _COMMERCIAL or op.quantity < 1:
            return []
        rules = ctx.tables.catalog.modules if ctx.tables is not None else {}
        linked = {
            ml.module: op.quantity
            for ml in m.modules
            if ml.module in rules and rules[ml.module].quantity_rule is QuantityRule.LINKED
        }
        return _taken(m.product, op.period, op.quantity, linked, m.id)
    return []
