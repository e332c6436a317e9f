"""The arithmetic the families share: co-terming, and seats taken from and given back
to a pool. Pure functions of records; each family's ``new_end`` and ``moves`` call
them, and the engine and the rules read those through the table (:mod:`._table`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

from ..core._dates import add_days, commercial_expiry, term_days
from ..core._enums import LicenseType, TermEnd
from ..core._maintenance import Maintenance
from ..core._operations import AssignmentRequest
from ..core._period import Period
from ..core._pool import taken_from

__all__ = ["Move", "coterm", "recovered", "request_seats", "taken", "term_length"]

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


def request_seats(request: AssignmentRequest) -> dict[str, int]:
    """Module id -> seats the request gives (``None`` resolves to the product's seats)."""
    q = request.quantity
    return {mid: q if seats is None else seats for mid, seats in request.modules.items()}


def recovered(
    m: Maintenance,
    today: dt.date,
    field: str = "maintenance",
    *,
    less: int = 0,
    linked: frozenset[str] = frozenset(),
) -> list[Move]:
    """Seats a commercial maintenance active on *today* gives back when it ends today
    (pro rata to the days left). *less*: seats already given back in full (open lots
    of a return window), left out of the product's seats and of the *linked* modules'."""
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
        for p, seats in back(m.product, m.quantity - less)
    ]
    for ml in m.modules:
        q = ml.quantity - less if ml.module in linked else ml.quantity
        moves.extend(
            Move(ml.module, p, seats, "recovered", m.id, field) for p, seats in back(ml.module, q)
        )
    return [mv for mv in moves if mv.seats > 0]


def taken(
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
