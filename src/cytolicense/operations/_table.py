"""The operation families gathered into one table: kind -> :class:`Kind`.

The engine reads an operation, writes its events and moves its seats through this
table; the shared rules find an operation's new end, pool movements and accepted
states here; the views find an operation's words (its refusal, its dry run) here and
an event's (:data:`EVENT_WORDS`, for the history). Adding an operation is adding its
:class:`Kind` (with its words) to its family's module, and the words of a new event
to the family's ``words`` (and the family to :data:`FAMILIES` when it is a new one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core._enums import Status
from ..core._events import Event
from ..core._operations import OPERATION_KINDS, Operation
from ..core._rulespec import RuleContext
from . import (
    _assign,
    _deletion,
    _groups,
    _lifecycle,
    _modify,
    _renewal_day,
    _sets,
    _suspension,
    _trials,
)
from ._family import ACTIVE, EventWords, Family, Kind
from ._terms import Move

__all__ = [
    "BY_TYPE",
    "EVENT_WORDS",
    "FAMILIES",
    "KINDS",
    "kind_of",
    "new_end",
    "pool_moves",
    "state_accepts",
]

FAMILIES: tuple[Family, ...] = (
    _assign.FAMILY,
    _modify.FAMILY,
    _lifecycle.FAMILY,
    _trials.FAMILY,
    _sets.FAMILY,
    _suspension.FAMILY,
    _deletion.FAMILY,
    _groups.FAMILY,
    _renewal_day.FAMILY,
)
"""Every operation family; their rules run in this order (after the shared rules on
the client and the terms, before those on dates and the pool)."""

KINDS: dict[str, Kind] = {k.kind: k for family in FAMILIES for k in family.kinds}
"""Operation kind (``"renew"``, ...) -> how the engine handles it."""

BY_TYPE: dict[type[Operation], Kind] = {k.type: k for k in KINDS.values()}
"""Operation record -> how the engine handles it."""

_missing = set(OPERATION_KINDS) ^ set(KINDS)
if _missing:  # pragma: no cover - a record without a family, or a family without a record
    raise AssertionError(f"operation kinds without a family or a record: {sorted(_missing)}")


EVENT_WORDS: dict[type[Event], EventWords[Any]] = {
    w.type: w for family in FAMILIES for w in family.words
}
"""Event record -> how the history view words it (an event no family words shows its
record's name alone)."""

_worded = [w.type.__name__ for family in FAMILIES for w in family.words]
if len(_worded) != len(set(_worded)):  # pragma: no cover - two families word one event
    _twice = sorted({name for name in _worded if _worded.count(name) > 1})
    raise AssertionError(f"events worded by two families: {_twice}")


def kind_of(op: Operation) -> Kind:
    """How the engine handles *op* (by its record's type, else by its kind)."""
    return BY_TYPE.get(type(op)) or KINDS[op.kind]


ON_MAINTENANCE = frozenset(k.kind for k in KINDS.values() if k.accepts is not None)
"""The kinds that act on a maintenance they name."""

DATED = frozenset(k.kind for k in KINDS.values() if k.new_end is not None)
"""The kinds that give a new end."""

POOLED = frozenset(k.kind for k in KINDS.values() if k.takes_seats)
"""The kinds that may take seats from a pool."""


def new_end(ctx: RuleContext) -> dt.date | None:
    """The last day of service the operation gives (``None``: no new date).

    Raises :class:`OverflowError` when it lies beyond the calendar's range.
    """
    end = KINDS[ctx.operation].new_end
    return None if end is None else end(ctx)


def pool_moves(ctx: RuleContext) -> list[Move]:
    """What the operation takes from and gives back to a pool, in order (a change
    gives back before it takes). Trials never touch the pool."""
    moves = KINDS[ctx.operation].moves
    return [] if moves is None else moves(ctx)


def state_accepts(kind: type[Operation] | type[None], state: Status) -> bool:
    """Whether an operation of type *kind* may act on a maintenance in *state*: deleting
    one that has not stopped, renewing one in force, resuming a suspended one, anything
    else an active one. When false, the shared ``rule_target`` refuses it (an error),
    whatever the other rules find."""
    found = BY_TYPE.get(kind)  # type: ignore[arg-type]
    accepts = found.accepts if found is not None else None
    return state in (ACTIVE if accepts is None else accepts)
