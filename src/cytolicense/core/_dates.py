"""Pure date logic: expiry, status on a day, when a service ended, the 90-day rules.

Everything here is a function of its arguments: the caller says what "today" is.
"""

from __future__ import annotations

import datetime as dt

from ._client_records import Client, Maintenance, live_end
from ._enums import Status
from ._period import Period

__all__ = [
    "RETENTION_DAYS",
    "commercial_expiry",
    "line_shown",
    "status",
    "trial_expiry",
    "visible",
]

RETENTION_DAYS = 90
"""A client or line stays in the console while fewer than this many days passed since it ended."""


def commercial_expiry(starts_on: dt.date, period: Period) -> dt.date:
    """Last day of service of a commercial term: ``starts_on + period`` in calendar terms.

    ``relativedelta`` clips to the month's end: 29 Feb 2024 + 1y is 28 Feb 2025 and
    31 Jan + 1m is 28 (or 29) Feb (C5).
    """
    return period.add_to(starts_on)


def trial_expiry(starts_on: dt.date, trial_days: int) -> dt.date:
    """Last day of service of a trial of *trial_days* days: ``starts_on + trial_days``."""
    return starts_on + dt.timedelta(days=trial_days)


def status(maintenance: Maintenance, today: dt.date) -> Status:
    """The state of *maintenance* on *today*.

    ``ACTIVE`` on every day ``starts_on <= today <= expires_on``, ``EXPIRED`` after
    it, ``DELETED`` from ``deleted_on`` on (deleting wins over expiring). A day before
    ``starts_on`` has no status: :class:`ValueError`.
    """
    deleted = maintenance.deleted_on
    if deleted is not None and today >= deleted:
        return Status.DELETED
    if today > maintenance.expires_on:
        return Status.EXPIRED
    if today < maintenance.starts_on:
        raise ValueError(
            f"maintenance {maintenance.id!r} starts on {maintenance.starts_on}, after {today}"
        )
    return Status.ACTIVE


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
    return maintenance.is_active(today) or (
        today >= maintenance.starts_on and (today - maintenance.ended_on).days < RETENTION_DAYS
    )
