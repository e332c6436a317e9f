"""The partner's event feed, its settings and its expiry notices' candidates, in the
SQL stores (the webhooks' outbox over the feed is :mod:`cytolicense.store._outbox`).

Every event a save writes is also written to the partner's feed, in the save's own
transaction, at the next position: the position is taken from the partner's row of
``feed_heads`` (an upsert that adds the events' count), whose row lock is held to the
commit. A writer that numbers waits for the one before it to commit, so positions
are given, and become visible, in commit order: a reader that has seen position
``p`` will never later see a position below ``p`` appear (SQLite's one write lock
gives the same order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..core._events import Event
from ..core._exceptions import DataError, StoreError, said
from ..core._feed import FeedItem
from ._rows import dumps
from ._serialize import from_data, loads

__all__ = [
    "FEED_HEAD",
    "FEED_INSERT",
    "SETTINGS_SQLITE",
    "Feed",
    "FeedRow",
    "settings_postgres",
]

SETTINGS_SQLITE = """
CREATE TABLE IF NOT EXISTS partner_settings (
    partner TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (partner, name)
);
"""
"""A partner's settings (the expiry notices' thresholds) on SQLite."""


def settings_postgres(policy: Callable[[str], str]) -> str:
    """A partner's settings on PostgreSQL, under the partner's row-level security."""
    return (
        "CREATE TABLE IF NOT EXISTS partner_settings (partner TEXT NOT NULL, "
        "name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (partner, name));"
        + policy("partner_settings")
    )


FEED_HEAD = (
    "INSERT INTO feed_heads (partner, position) VALUES (?, ?) ON CONFLICT (partner) "
    "DO UPDATE SET position = feed_heads.position + excluded.position RETURNING position"
)
"""Take the next *n* positions of a partner's feed: the last one comes back. The row
stays locked (PostgreSQL) until the transaction ends: positions in commit order."""
FEED_INSERT = (
    "INSERT INTO feed (partner, position, client_id, type, document) VALUES (?, ?, ?, ?, ?)"
)

FeedRow = tuple[str | None, str, str]
"""A feed item to write: ``(client_id, type, document)``."""


def _day_of(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


class Feed:
    """The feed, settings and notice methods of :class:`~cytolicense.store._sql.SqlStore`
    (through :class:`~cytolicense.store._outbox.Outbox`)."""

    if TYPE_CHECKING:
        partner: str

        def _sql(self, sql: str) -> str: ...
        def _ask(self, sql: str, args: Sequence[object], doing: str) -> list[Any]: ...
        def _query(self, sql: str, args: Sequence[object], doing: str) -> list[Any]: ...
        def _exec(self, sql: str, args: Sequence[object]) -> int: ...
        def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int: ...
        def _writing(self, doing: str, *, alone: bool = False) -> AbstractContextManager[None]: ...
        def _day(self, day: dt.date) -> object: ...
        def _where(self) -> str: ...

    # -- the feed ----------------------------------------------------------------------------

    def _feed_write(self, rows: Sequence[FeedRow]) -> None:
        """Give *rows* the partner's next feed positions, in order (inside a write's
        transaction; the numbering lock is held to its commit)."""
        if not rows:
            return
        found = self._query(self._sql(FEED_HEAD), (self.partner, len(rows)), "writing the feed")
        first = int(found[0][0]) - len(rows) + 1
        self._many(
            self._sql(FEED_INSERT),
            [(self.partner, first + i, *row) for i, row in enumerate(rows)],
        )

    def append_feed(self, events: Iterable[tuple[str | None, Event]]) -> None:
        """Write *events* (each with its client's id, or ``None`` for the partner's own)
        into the partner's feed, in the current transaction (inside
        :meth:`batch`: they commit with it, numbered at its commit on PostgreSQL) or
        in one of their own.

        A save writes its change's events into the feed by itself; this is for a
        writer that records events in the feed alone (the day's run: its notices).
        """
        rows = [(client, type(e).__name__, dumps(e)) for client, e in events]
        with self._writing("writing the feed"):
            self._feed_write(rows)

    def feed(self, after: int = 0, limit: int = 100) -> tuple[FeedItem, ...]:
        """The first *limit* items of the partner's feed whose position is greater
        than *after*, in increasing position."""
        if type(after) is not int or after < 0:
            raise ValueError(f"after must be an int >= 0, got {after!r}")
        if type(limit) is not int or not 1 <= limit <= 10_000:
            raise ValueError(f"limit must be an int from 1 to 10000, got {limit!r}")
        rows = self._ask(
            self._sql(
                "SELECT position, client_id, document FROM feed WHERE partner = ? "
                "AND position > ? ORDER BY position LIMIT ?"
            ),
            (self.partner, after, limit),
            "reading the feed",
        )
        out = []
        for position, client, document in rows:
            try:
                event: Event = from_data(Event, loads(document))  # type: ignore[arg-type]
            except (DataError, ValueError, TypeError, RecursionError) as exc:
                raise said(
                    StoreError,
                    "{path}: feed item {position} is corrupt: {cause}",
                    path=self._where(),
                    position=position,
                    cause=exc,
                ) from exc
            out.append(FeedItem(position=int(position), client=client, event=event))
        return tuple(out)

    def feed_head(self) -> int:
        """The partner's last feed position (0: none yet)."""
        rows = self._ask(
            self._sql("SELECT position FROM feed_heads WHERE partner = ?"),
            (self.partner,),
            "reading the feed",
        )
        return int(rows[0][0]) if rows else 0

    # -- the expiry notices ------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        """The partner's setting *name* (``None``: never set)."""
        rows = self._ask(
            self._sql("SELECT value FROM partner_settings WHERE partner = ? AND name = ?"),
            (self.partner, name),
            "reading a setting",
        )
        return str(rows[0][0]) if rows else None

    def set_setting(self, name: str, value: str) -> None:
        """Store the partner's setting *name*."""
        with self._writing("writing a setting"):
            self._exec(
                self._sql(
                    "INSERT INTO partner_settings (partner, name, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (partner, name) DO UPDATE SET value = excluded.value"
                ),
                (self.partner, name, value),
            )

    def notices_due(self, today: dt.date, days: int) -> list[tuple[str, str, dt.date]]:
        """``(client id, maintenance id, expires_on)`` of every commercial line in force
        on *today* whose expiry is from *today* to *days* days later, by client and
        maintenance id: the candidates of the day's expiry notices, read as a range of
        the expiry index (no document is read)."""
        try:
            last = today + dt.timedelta(days=days)
        except OverflowError:
            last = dt.date.max
        rows = self._ask(
            self._sql(
                "SELECT client_id, maintenance_id, expires_on FROM expiries WHERE partner = ? "
                "AND expires_on >= ? AND expires_on <= ? AND starts_on <= ? "
                "AND in_force_until >= ? AND license_type = 'commercial' "
                "ORDER BY client_id, maintenance_id"
            ),
            (self.partner, self._day(today), self._day(last), self._day(today), self._day(today)),
            "listing the expiry notices due",
        )
        return [(c, m, _day_of(e) or today) for c, m, e in rows]
