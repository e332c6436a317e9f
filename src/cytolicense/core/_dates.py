"""Pure date logic: expiry, status on a day, when a service ended, the 90-day rules.

Everything here is a function of its arguments: the caller says what "today" is.
"""

from __future__ import annotations

import datetime as dt

from ._client_records import Client
from ._enums import Status, TermEnd
from ._maintenance import Maintenance, live_end
from ._period import Period

__all__ = [
    "RETENTION_DAYS",
    "add_days",
    "commercial_expiry",
    "line_shown",
    "status",
    "term_days",
    "trial_expiry",
    "visible",
]

RETENTION_DAYS = 90
"""A client or line stays in the console while fewer than this many days passed since it ended."""


def commercial_expiry(
    starts_on: dt.date, period: Period, term_end: TermEnd = TermEnd.ANNIVERSARY
) -> dt.date:
    """Last day of service of a commercial term starting on *starts_on*.

    ``ANNIVERSARY``: ``starts_on + period`` in calendar terms; like ``relativedelta``,
    it clips to the month's end: 29 Feb 2024 + 1y is 28 Feb 2025 and 31 Jan + 1m is
    28 (or 29) Feb (C5). ``DAY_BEFORE``: the day before that, so a 1-year term
    serves exactly 365 or 366 days.

    Raises :class:`OverflowError` when the end lies beyond ``date.max``.
    """
    try:
        end = period.add_to(starts_on)
    except ValueError as exc:  # "year 10000 is out of range"
        raise OverflowError(str(exc)) from None
    if term_end is TermEnd.DAY_BEFORE:
        end -= dt.timedelta(days=1)
    return end


def trial_expiry(starts_on: dt.date, trial_days: int) -> dt.date:
    """Last day of a trial of *trial_days* days: ``starts_on + trial_days - 1`` (C11: a
    30-day trial from 1 March serves 1-30 March). :class:`OverflowError` past ``date.max``."""
    return starts_on + dt.timedelta(days=trial_days - 1)


def add_days(day: dt.date, days: int) -> dt.date:
    """*day* + *days*; :class:`OverflowError` past the calendar's range."""
    return day + dt.timedelta(days=days)


def term_days(expires_on: dt.date, period: Period) -> int:
    """Length in days of the last term of a maintenance ending on *expires_on*:
    ``(expires_on - (expires_on - period)).days``."""
    try:
        start = expires_on - period.delta
    except (ValueError, OverflowError):
        start = dt.date.min
    return (expires_on - start).days


def status(maintenance: Maintenance, today: dt.date) -> Status:
    """The state of *maintenance* on *today*.

    ``ACTIVE`` on every day ``starts_on <= today <= expires_on``; ``GRACE`` for the
    maintenance's ``grace_days`` after it; ``EXPIRED`` after that; ``DELETED`` from
    ``deleted_on`` and ``REPLACED`` from ``replaced_on`` on (both win over expiring).
    A day before ``starts_on`` has no status: :class:`ValueError`.
    """
    return maintenance.status(today)


def visible(client: Client, today: dt.date) -> bool:
    """Whether the console's monitoring list shows *client* on *today* (D9, D10).

    Visible when not deleted and holding an active maintenance, or while fewer
    than 90 days have passed since :attr:`Client.ended_on`.

    An active maintenance ends on or after *today*, so both cases reduce to
    ``today - E < 90`` with the end ``E`` that :class:`Client` keeps precomputed.
    """
    deleted = client.deleted_on
    if deleted is not None and today < deleted:
        # Asked about a day before the deletion: the client was live then.
        return (today - live_end(client.created_on, client.maintenances)).days < RETENTION_DAYS
    return (today - client._end).days < RETENTION_DAYS


def line_shown(maintenance: Maintenance, today: dt.date) -> bool:
    """Whether the client's detail shows *maintenance* on *today*: active or ended < 90 days."""
    return maintenance.in_force(today) or (
        today >= maintenance.starts_on and (today - maintenance.ended_on).days < RETENTION_DAYS
    )
