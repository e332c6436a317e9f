"""The SQL store's licence pool: its balances, its movements and their history.

:class:`SqlPool` is the part of :class:`~cytolicense.store._sql.SqlStore` that reads
the partner's pool (once per write transaction while the store holds the write
lock), moves it by atomic increments (two writers lose no seat), records each
movement in the pool's history (numbered per partner in commit order), and refuses a
change whose debits took a strict pool below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..core._exceptions import PoolShortageError, StoreError, said
from ..core._period import Period
from ..core._pool import Pool, PoolChanged
from ..engine._change import Change
from ._queries import pool_of, pool_tail_query
from ._rows import POOL_UPSERT, dumps, pool_event_rows
from ._serialize import loads
from ._sql_base import SqlBase

__all__ = ["SqlPool"]


class SqlPool(SqlBase):
    """The pool methods of :class:`~cytolicense.store._sql.SqlStore`."""

    def _pool_change(self, change: Change) -> None:
        """Write *change*'s pool movements; refuse it (in its transaction, which the
        error undoes) when the pool may not go below zero and its debits took it
        there: another writer took the seats since the engine read the pool."""
        self._pool_write(change.pool_events)
        if change.pool_floor:
            self._check_floor(change.client.id, change.pool_events)

    def _check_floor(self, client_id: str, events: Sequence[PoolChanged]) -> None:
        """:class:`PoolShortageError` when a debit of *events* (written) left its pool
        line below zero."""
        for e in events:
            if e.seats >= 0:
                continue
            rows = self._query(
                self._sql("SELECT seats FROM pools WHERE partner = ? AND item = ? AND period = ?"),
                (self.partner, e.item, str(e.period)),
                "reading the pool",
            )
            if rows and int(rows[0][0]) < 0:
                raise PoolShortageError(client_id, e.item, str(e.period), int(rows[0][0]))

    # The pool as read inside the current write transaction, while the store holds the
    # write lock (_holds_write_lock): a batch reads it once; our own movements, and the
    # end or undoing of a transaction, drop it.
    _pool_seen: Pool | None = None

    def _pool_write(self, events: Sequence[PoolChanged]) -> None:
        """Apply pool movements as atomic increments (two writers lose no seat)."""
        if not events:
            return
        self._pool_seen = None
        self._many(self._sql(POOL_UPSERT), pool_event_rows(self.partner, events))
        self._record_pool_events(events)

    def _record_pool_events(self, events: Sequence[PoolChanged]) -> None:
        """Append *events* to the pool's history, numbered in commit order within the
        partner, each one after the partner's last (the key is ``(partner, seq)``;
        SQLite numbers them under the database's one write lock, PostgreSQL under the
        partner's pool lock)."""
        self._many(
            self._sql(
                "INSERT INTO pool_events (partner, seq, document) VALUES (?, (SELECT "
                "coalesce(max(seq), 0) + 1 FROM pool_events WHERE partner = ?), ?)"
            ),
            [(self.partner, self.partner, dumps(e)) for e in events],
        )

    def pool(self) -> Pool:
        """The partner's licence pool (empty: nothing tracked)."""
        locked = self._holds_write_lock()
        if locked and self._pool_seen is not None:
            return self._pool_seen
        # The pool's rows are never held back (each movement is written at once).
        rows = self._query(
            self._sql(
                "SELECT item, period, seats FROM pools WHERE partner = ? ORDER BY item, period"
            ),
            (self.partner,),
            "reading the pool",
        )
        pool = self._pool_of(rows)
        if locked:
            self._pool_seen = pool
        return pool

    def _pool_of(self, rows: Sequence[Sequence[Any]] | str) -> Pool:
        """The pool of its rows ``(item, period, seats)``, or of their JSON text; a
        corrupt one is a :class:`StoreError`."""
        try:
            return pool_of(loads(rows) if isinstance(rows, str) else rows)
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: the pool of '{partner}' is corrupt: {cause}",
                path=self._where(),
                partner=self.partner,
                cause=exc,
            ) from exc

    def credit_pool(
        self,
        item: str,
        period: Period | str,
        seats: int,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Pool:
        """Add *seats* (bought, or a correction when negative) of *item* for *period*."""
        event = PoolChanged(
            on=today,
            item=item,
            period=period,
            seats=seats,
            kind="credited",
            actor=actor,
            reason=reason,
        )
        with self._writing("crediting the pool"):
            self._pool_write([event])
        return self.pool()

    def import_pool(self, events: Sequence[PoolChanged]) -> Pool:
        """Write pool movements as they are (an export's pool history, moved to this
        store): all in one transaction, the pool's balances following them; the
        pool afterwards."""
        events = list(events)
        for e in events:
            if not isinstance(e, PoolChanged):
                raise TypeError(f"import_pool takes PoolChanged events, got {e!r}")
        with self._writing("importing the pool"):
            self._pool_write(events)
        return self.pool()

    def pool_history(self, last: int | None = None) -> list[PoolChanged]:
        """Every movement of the partner's pool, oldest first; *last*: only the last
        so many (read backwards from the key ``(partner, seq)``: the cost of a page, not
        of the history)."""
        if last is not None:
            sql, args = pool_tail_query(self.partner, last)
            rows = self._ask(self._sql(sql), args, "reading the pool's history")[::-1]
        else:
            rows = self._ask(
                self._sql("SELECT seq, document FROM pool_events WHERE partner = ? ORDER BY seq"),
                (self.partner,),
                "reading the pool's history",
            )
        return self._documents(rows, PoolChanged, "{path}: pool event {seq} is corrupt: {cause}")
