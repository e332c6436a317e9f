"""Rules on what an operation leaves: its new dates within the calendar, the pool's seats.

The rules of one family (renewal window, product change, trial extension, grouping)
live with it in :mod:`cytolicense.operations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._findings import CodeSpec, Finding
from ..core._operations import AssignmentRequest
from ..core._period import Period
from ..core._pool import Pool, stock_of
from ..core._rulespec import RuleContext
from ..operations._table import DATED, POOLED, new_end, pool_moves
from ._registry import _COMMERCIAL, _NONE, _WARNING, rule

_SAFE_YEAR = dt.date.max.year - 25  # ten-year grace/trial/extension caps, plus margin


def _safe_years(year: int, period: Period | None) -> bool:
    """Whether *year* plus *period* (in whole years, rounded up) stays below
    :data:`_SAFE_YEAR`: then no date an operation computes can pass ``date.max``."""
    if period is not None:
        year += period.years + period.months // 12 + 1
    return year < _SAFE_YEAR


OUT_OF_RANGE = CodeSpec(
    code="date.out_of_range",
    messages={
        "en": "The operation would end after {max}, the last day the calendar has.",
        "es": "La operación terminaría después del {max}, el último día del calendario.",
    },
)


@rule(DATED, OUT_OF_RANGE)
def rule_dates(ctx: RuleContext) -> Iterable[Finding]:
    """``date.out_of_range``: the new end (or its grace) lies beyond ``date.max``."""
    m = ctx.maintenance
    base = ctx.today.year if m is None else max(ctx.today.year, m.expires_on.year)
    if _safe_years(base, ctx.period):
        return _NONE  # the usual case, decided without date arithmetic
    try:
        end = new_end(ctx)
        if end is not None and ctx.product is not None:
            end + dt.timedelta(days=ctx.product.grace_days)
    except (OverflowError, ValueError):
        return (OUT_OF_RANGE.finding("today", {"max": dt.date.max.isoformat()}),)
    return _NONE


POOL_SHORT = CodeSpec(
    code="pool.insufficient",
    severity=_WARNING,
    messages={
        "en": "The pool holds {available} seats of '{item}' for {period}; {needed} are needed.",
        "es": "El stock tiene {available} licencias de '{item}' para {period}; se necesitan "
        "{needed}.",
    },
)


def _covers(pool: Pool, req: AssignmentRequest) -> bool:
    """Whether the pool holds the seats of each item an assignment takes (or does not
    track the item), read straight from its stock of the request's period: a new
    assignment's answer without building the pool's moves."""
    period = req.period
    if period is None or req.license_type is not _COMMERCIAL:
        return True
    stock, q = pool._stock.get(period._id), req.quantity
    if stock is None:
        return True
    have = stock.get(req.product)
    if have is not None and have < q:
        return False
    for mid, seats in req.modules.items():
        have = stock.get(mid)
        if have is not None and have < (q if seats is None else seats):
            return False
    return True


@rule(POOLED, POOL_SHORT, needs_pool=True)
def rule_pool(ctx: RuleContext) -> Iterable[Finding]:
    """``pool.insufficient``: the operation takes more seats than the pool holds (C16).

    Its severity is the engine's ``pool_shortage`` setting (warning by default)."""
    pool = ctx.pool
    if pool is None:
        return _NONE
    op = ctx.op
    if type(op) is AssignmentRequest and _covers(pool, op):
        return _NONE
    try:
        moves = pool_moves(ctx)
    except (OverflowError, ValueError):
        return _NONE
    stock: dict[tuple[str, str], int] = {}  # balances after the moves so far
    out: list[Finding] = []
    for item, period, seats, _kind, _maintenance, field in moves:
        key = (item, period._id)
        if key in stock:
            have: int | None = stock[key]
        else:
            have = stock_of(pool, period).get(item)
        if have is None:  # not tracked: never limits
            continue
        if seats < 0 and have < -seats:
            params = {"item": item, "period": str(period), "needed": -seats, "available": have}
            out.append(POOL_SHORT.finding(field, params))
        stock[key] = have + seats
    return out if out else _NONE


TERMS_CHANGED = CodeSpec(
    code="renewal.terms_changed",
    severity=_WARNING,
    messages={
        "en": "Renewing maintenance {maintenance} moves it from catalog release "
        "'{previous_release}' to '{release}', whose terms differ for it: {changes}.",
        "es": "Renovar el mantenimiento {maintenance} lo pasa de la versión del catálogo "
        "'{previous_release}' a '{release}', cuyas condiciones cambian para él: {changes}.",
    },
)
"""A renewal under a newer catalog release than the maintenance's: what changed for it
(``changes``: ``module:ID`` dropped, ``period:P`` no longer enabled,
``max_quantity:OLD->NEW``, ``grace_days:OLD->NEW``)."""


OVER_ENTITLEMENT = CodeSpec(
    code="usage.over_entitlement",
    severity=_WARNING,
    messages={
        "en": "{in_use} devices use '{item}', which has {entitled} seats in force.",
        "es": "{in_use} dispositivos usan '{item}', que tiene {entitled} licencias vigentes.",
    },
)
"""Found by :meth:`Engine.usage` (a view, not an operation rule)."""
