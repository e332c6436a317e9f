"""Return windows: seats just added can be given back in full for a few days.

For a product with ``return_window_days`` (Microsoft's seven), each operation that adds
seats to a commercial maintenance records them as a lot (:class:`SeatLot`: an
assignment, a conversion, a product change, a renewal, added seats, a raise by
:class:`Modify`). A lot is open on the days ``0 <= (today - added_on).days <
return_window_days``. Lowering seats by ``k`` is allowed only while ``k`` seats are in
open lots (``modify.window_closed``), and gives them back to the pool in full, newest
lot first; ending the maintenance (a deletion, a change) gives back every open lot in
full and the rest pro rata, as before. After the window the way down is a change
scheduled for the renewal (:class:`ScheduleChange`). Pure functions of records.

The lot new seats make (:func:`added_lot`, :func:`window_of`) lives in :mod:`._lots`
(re-exported here), so that :mod:`._family` reads it without importing this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._catalog import Catalog
from ..core._catalog_records import Product
from ..core._enums import LicenseType, QuantityRule
from ..core._findings import CodeSpec, Finding
from ..core._line_records import SeatLot
from ..core._maintenance import Maintenance
from ..core._operations import Modify
from ..core._period import Period
from ..core._pool import taken_from
from ..core._rulespec import RuleContext, RuleSpec
from ..core._trusted import builder
from ._family import NONE, rule_into
from ._lots import added_lot, window_of
from ._terms import Move, recovered

__all__ = [
    "WINDOW_CLOSED",
    "WINDOW_RULES",
    "added_lot",
    "ended_moves",
    "lowered",
    "open_seats",
    "returnable_until",
    "window_of",
]

_COMMERCIAL = LicenseType.COMMERCIAL
_rules: list[RuleSpec] = []
rule = rule_into(_rules)
_build_lot = builder(SeatLot)


def open_seats(m: Maintenance, today: dt.date, window: int | None) -> int:
    """The seats of *m* in lots still open on *today*."""
    if window is None or not m.lots:
        return 0
    return sum(lot.seats for lot in m.lots if lot.open_on(today, window))


def returnable_until(m: Maintenance, today: dt.date, window: int | None) -> dt.date | None:
    """The last day on which the newest open lot of *m* can still be returned, or
    ``None`` when no lot is open on *today*."""
    if window is None:
        return None
    days = [lot.added_on for lot in m.lots if lot.open_on(today, window)]
    if not days:
        return None
    try:
        return max(days) + dt.timedelta(days=window - 1)
    except OverflowError:
        return dt.date.max


def lowered(lots: tuple[SeatLot, ...], k: int) -> tuple[tuple[SeatLot, ...], list[SeatLot]]:
    """*lots* with *k* seats taken off, newest lot first, and the parts taken (each a
    lot of the seats taken from it)."""
    kept = list(lots)
    taken: list[SeatLot] = []
    while k > 0 and kept:
        lot = kept.pop()
        part = min(k, lot.seats)
        taken.append(_build_lot(added_on=lot.added_on, seats=part, period=lot.period))
        if part < lot.seats:
            kept.append(
                _build_lot(added_on=lot.added_on, seats=lot.seats - part, period=lot.period)
            )
        k -= part
    return tuple(kept), taken


def _linked(catalog: Catalog, m: Maintenance) -> list[str]:
    """The modules of *m* that follow its seats."""
    mods = catalog.modules
    return [
        ml.module
        for ml in m.modules
        if ml.module not in mods or mods[ml.module].quantity_rule is QuantityRule.LINKED
    ]


def _back(m: Maintenance, item: str, period: Period, seats: int) -> int:
    """At most what *m* took of *item* for *period* from the pool, when it recorded it."""
    if not m.pooled:
        return seats
    return min(seats, taken_from(m.pooled, item, period))


def returned_moves(
    catalog: Catalog, m: Maintenance, parts: Iterable[SeatLot], field: str, modules: Iterable[str]
) -> list[Move]:
    """The seats of lots *parts* given back in full: the product's, and as many of each
    of *modules* (the linked modules that follow them)."""
    moves: list[Move] = []
    following = list(modules)
    for part in parts:
        for item in (m.product, *following):
            seats = _back(m, item, part.period, part.seats)
            if seats > 0:
                moves.append(Move(item, part.period, seats, "recovered", m.id, field))
    return moves


def ended_moves(
    catalog: Catalog, product: Product | None, m: Maintenance, today: dt.date
) -> list[Move]:
    """What a commercial maintenance ending on *today* gives back: every open lot in
    full, and the seats not in open lots pro rata to the days left (version 2's
    formula)."""
    window = window_of(product)
    held = open_seats(m, today, window) if m.is_active(today) else 0
    if held == 0:
        return recovered(m, today)
    rest = m.quantity - held
    linked = _linked(catalog, m)
    moves = returned_moves(
        catalog, m, (lot for lot in m.lots if lot.open_on(today, window)), "maintenance", linked
    )
    moves.extend(recovered(m, today, less=held, linked=frozenset(linked)) if rest > 0 else [])
    return moves


WINDOW_CLOSED = CodeSpec(
    code="modify.window_closed",
    messages={
        "en": "Only seats added in the last {window_days} days can be given back: "
        "{open_seats} are, {needed} would be. Schedule the decrease for the renewal "
        "instead.",
        "es": "Solo se pueden devolver licencias añadidas en los últimos {window_days} "
        "días: hay {open_seats}, se devolverían {needed}. Programa la reducción para la "
        "renovación.",
    },
)


@rule({"modify"}, WINDOW_CLOSED)
def rule_return_window(ctx: RuleContext) -> Iterable[Finding]:
    """``modify.window_closed``: lowering a commercial maintenance of a product with a
    return window by more seats than its open lots hold."""
    m, req, op = ctx.maintenance, ctx.request, ctx.op
    window = window_of(ctx.product)
    if (
        window is None
        or m is None
        or req is None
        or not isinstance(op, Modify)
        or m.license_type is not _COMMERCIAL
        or req.quantity >= m.quantity
        or req.quantity < 1
    ):
        return NONE
    needed = m.quantity - req.quantity
    available = open_seats(m, ctx.today, window)
    if needed <= available:
        return NONE
    params = {"window_days": window, "open_seats": available, "needed": needed}
    return (WINDOW_CLOSED.finding("quantity", params),)


WINDOW_RULES: tuple[RuleSpec, ...] = tuple(_rules)
"""The return window's rules (run with the modification family's)."""
