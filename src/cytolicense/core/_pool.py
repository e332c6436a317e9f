"""A partner's licence pool: seats bought in stock, per item (product or module) and period.

Pure values: taking or crediting seats gives a new :class:`Pool` (C16).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from ._messages import period_words, tr
from ._period import Period
from ._schema import keeps
from ._validation import (
    MAX_POOL,
    MAX_SEATS,
    bounded,
    is_date,
    non_empty_str,
    optional_str,
    to_period,
)

__all__ = [
    "Pool",
    "PoolChanged",
    "PoolLine",
    "pool_lines",
    "replay_pool",
    "stock_of",
    "taken_from",
]


def _seats(inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int:
        raise TypeError(f"{type(inst).__name__}.seats must be an int, got {value!r}")
    limit = MAX_POOL if isinstance(inst, PoolLine) else MAX_SEATS
    if not -limit <= value <= limit:
        bounded(value, f"{type(inst).__name__}.seats", limit)


@attrs.frozen(kw_only=True, slots=True)
class PoolLine:
    """Seats of one item for one period.

    Attributes:
        item: A product or module id.
        period: The duration the seats were bought for.
        seats: Seats in stock; below zero only after an allowed overdraft.
    """

    item: str = attrs.field(validator=non_empty_str)
    period: Period = attrs.field(converter=to_period)
    seats: int = attrs.field(validator=_seats)


def _merge(lines: Iterable[PoolLine]) -> tuple[PoolLine, ...]:
    if isinstance(lines, PoolLine):
        raise TypeError(f"Pool.lines must be a collection of PoolLine, got {lines!r}")
    totals: dict[tuple[str, Period], int] = {}
    for line in lines:
        if not isinstance(line, PoolLine):
            raise TypeError(f"Pool.lines must hold PoolLine records, got {line!r}")
        key = (line.item, line.period)
        totals[key] = totals.get(key, 0) + line.seats
    return tuple(
        PoolLine(item=item, period=period, seats=seats)
        for (item, period), seats in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    )


def pool_lines(lines: Iterable[PoolLine]) -> tuple[PoolLine, ...]:
    """*lines* merged (one line per item and period), sorted."""
    return _merge(lines)


keeps(pool_lines, "{v} == ()")


def taken_from(lines: Iterable[PoolLine], item: str, period: Period) -> int:
    """Seats of *item* for *period* among *lines*."""
    return sum(line.seats for line in lines if line.item == item and line.period == period)


@attrs.frozen(slots=True)
class Pool:
    """The stock of licences a partner bought (one line per item and period).

    Lines given twice for the same ``(item, period)`` add up; lines are kept sorted.
    An item and period the pool has no line for is not tracked: it never limits.

    Attributes:
        lines: The stock, one :class:`PoolLine` per ``(item, period)``.

    >>> pool = Pool((PoolLine(item="edr", period="1y", seats=10),))
    >>> pool.seats("edr", "1y"), pool.seats("edr", "2y")
    (10, None)
    >>> pool.credit("edr", "1y", 5).seats("edr", "1y")
    15
    """

    lines: tuple[PoolLine, ...] = attrs.field(default=(), converter=_merge)
    # Period._id -> item -> seats: every check with a pool asks for the product and
    # each module of one period (str keys, which hash once per string; a Period's
    # hash is a Python call). Plain dicts,
    # never handed out but as Mapping: a mappingproxy's get() looks its method up by
    # name, and a check with a pool makes one or more of them.
    _stock: Mapping[str, Mapping[str, int]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        stock: dict[str, dict[str, int]] = {}
        for ln in self.lines:
            stock.setdefault(ln.period._id, {})[ln.item] = ln.seats
        object.__setattr__(self, "_stock", stock)

    def seats(self, item: str, period: Period | str) -> int | None:
        """Seats in stock of *item* for *period*; ``None`` when the pool does not track it."""
        p = period if type(period) is Period else to_period(period)
        items = self._stock.get(p._id)
        return None if items is None else items.get(item)

    def credit(self, item: str, period: Period | str, seats: int) -> Pool:
        """The pool with *seats* more of *item* for *period* (a new line if untracked)."""
        if type(seats) is not int:
            raise TypeError(f"Pool.credit: seats must be an int, got {seats!r}")
        bounded(seats, "Pool.credit: seats", MAX_POOL)
        return Pool((*self.lines, PoolLine(item=item, period=to_period(period), seats=seats)))

    def tracks(self, item: str, period: Period) -> bool:
        """Whether the pool has a line for *item* and *period*."""
        return self.seats(item, period) is not None

    def __str__(self) -> str:
        return self.text()

    def text(self, language: str = "en") -> str:
        """The balances as a table: item, period (in words), seats (negative when
        over-assigned)."""
        if not self.lines:
            return tr("empty pool (nothing tracked)", language)
        rows = [
            (line.item, period_words(line.period, language), str(line.seats)) for line in self.lines
        ]
        head = (tr("item", language), tr("period", language), tr("seats", language))
        widths = [max(len(r[i]) for r in (head, *rows)) for i in range(3)]
        return "\n".join(
            f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}".rstrip()
            for a, b, c in (head, *rows)
        )


@attrs.frozen(kw_only=True, slots=True)
class PoolChanged:
    """Seats entered or left a partner's pool.

    Attributes:
        on: The day.
        item: The product or module id.
        period: The duration of the seats.
        seats: Seats added (``> 0``) or taken (``< 0``).
        kind: ``"credited"`` (bought), ``"debited"`` (taken by an operation) or
            ``"recovered"`` (given back by a deletion or a change, C16).
        client_id: The client of the operation, if any.
        maintenance: The maintenance concerned, if any.
        actor: Who did it, ``None`` when not said.
        reason: Why, ``None`` when not said.
    """

    on: dt.date = attrs.field(validator=is_date)
    item: str = attrs.field(validator=non_empty_str)
    period: Period = attrs.field(converter=to_period)
    seats: int = attrs.field(validator=_seats)
    kind: str = attrs.field(validator=attrs.validators.in_(("credited", "debited", "recovered")))
    client_id: str | None = attrs.field(default=None, validator=optional_str)
    maintenance: str | None = attrs.field(default=None, validator=optional_str)
    actor: str | None = attrs.field(default=None, validator=optional_str)
    reason: str | None = attrs.field(default=None, validator=optional_str)


def replay_pool(events: Iterable[PoolChanged], pool: Pool | None = None) -> Pool:
    """The pool after *events* (from *pool*, or from an empty one)."""
    result = pool if pool is not None else Pool()
    for e in events:
        result = result.credit(e.item, e.period, e.seats)
    return result


_NO_STOCK: Mapping[str, int] = MappingProxyType({})


def stock_of(pool: Pool, period: Period) -> Mapping[str, int]:
    """*pool*'s ``item -> seats`` for *period*, not to be changed (empty when it tracks
    nothing for it): what the pool rule reads for every move."""
    return pool._stock.get(period._id, _NO_STOCK)
