"""What a maintenance holds besides its seats and modules: its suspensions, the lots
of seats a return window counts, the change scheduled for its next renewal and where
its expiry notices stand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from ._period import Period
from ._schema import keeps
from ._validation import (
    is_date,
    optional_date,
    optional_period,
    optional_positive_int,
    positive_int,
    to_period,
)

__all__ = ["NoticeState", "ScheduledChange", "SeatLot", "Suspension"]

T = TypeVar("T")


def _tuple_of(cls: type[T], values: Iterable[T]) -> tuple[T, ...]:
    if isinstance(values, str | cls):
        raise TypeError(f"expected a collection of {cls.__name__}, got {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, cls):
            raise TypeError(f"expected {cls.__name__} records, got {item!r}")
    return items


@attrs.frozen(kw_only=True, slots=True)
class Suspension:
    """A stretch a maintenance was (or is) suspended.

    The day of suspension is still served (and billed, as ESET MSP Administrator bills
    it); from the next day the line grants nothing until the day it is resumed, which
    is served again.

    Attributes:
        on: The day it was suspended.
        resumed_on: The day it was resumed; ``None`` while it is still suspended.
        by_client: Whether a client-wide suspension suspended it (then resuming the
            client resumes it; a line suspended on its own stays suspended).
    """

    on: dt.date = attrs.field(validator=is_date)
    resumed_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    by_client: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if self.resumed_on is not None and self.resumed_on < self.on:
            raise ValueError(
                f"Suspension: resumed on {self.resumed_on}, before it began on {self.on}"
            )

    def holds(self, today: dt.date) -> bool:
        """Whether the line grants nothing on *today* because of it (the days after
        ``on`` and before ``resumed_on``)."""
        return self.on < today and (self.resumed_on is None or today < self.resumed_on)


def _suspensions(values: Iterable[Suspension]) -> tuple[Suspension, ...]:
    return _tuple_of(Suspension, values)


keeps(_suspensions, "{v} == ()")


@attrs.frozen(kw_only=True, slots=True)
class SeatLot:
    """Seats added to a maintenance on one day (an assignment, a conversion, a renewal,
    added seats, a raise by :class:`Modify`), for a product with a return window: they
    can be given back in full on the days ``0 <= (today - added_on).days <
    return_window_days``.

    Attributes:
        added_on: The day the seats were added.
        seats: The seats of the lot still held (a return takes them off, newest lot
            first).
        period: The term they were bought for (what the pool gets back).
    """

    added_on: dt.date = attrs.field(validator=is_date)
    seats: int = attrs.field(validator=positive_int)
    period: Period = attrs.field(converter=to_period)

    def open_on(self, today: dt.date, window_days: int | None) -> bool:
        """Whether the lot can still be returned in full on *today*."""
        return window_days is not None and 0 <= (today - self.added_on).days < window_days


def _lots(values: Iterable[SeatLot]) -> tuple[SeatLot, ...]:
    return _tuple_of(SeatLot, values)


keeps(_lots, "{v} == ()")


@attrs.frozen(kw_only=True, slots=True)
class ScheduledChange:
    """The change the next (automatic) renewal of a maintenance makes
    (:class:`ScheduleChange`).

    Attributes:
        on: The day it was scheduled.
        quantity: The seats the renewal renews (``None``: as they are then).
        period: The renewal's term (``None``: the maintenance's period).
    """

    on: dt.date = attrs.field(validator=is_date)
    quantity: int | None = attrs.field(default=None, validator=optional_positive_int)
    period: Period | None = attrs.field(default=None, converter=optional_period)


@attrs.frozen(kw_only=True, slots=True)
class NoticeState:
    """Where a maintenance's expiry notices (:class:`ExpiryNotice`) stand for one end.

    Attributes:
        expires_on: The end they are for (a line whose end moved has none for its new
            end yet).
        armed_on: The day they were armed: the renewal's (a threshold due before it
            is skipped), else the first notice's.
        sent: The most urgent threshold written for that end (days before it), or
            ``None``.
    """

    expires_on: dt.date = attrs.field(validator=is_date)
    armed_on: dt.date = attrs.field(validator=is_date)
    sent: int | None = attrs.field(default=None, validator=optional_positive_int)


def _notices(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, NoticeState):
        raise TypeError(f"{attribute.name} must be a NoticeState or None, got {value!r}")


def _scheduled(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, ScheduledChange):
        raise TypeError(f"{attribute.name} must be a ScheduledChange or None, got {value!r}")
