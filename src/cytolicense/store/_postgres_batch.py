"""What a PostgreSQL batch holds back to its end, and the pool's lock that writes it.

Inside a batch, :class:`PostgresBatch` (a part of :class:`~cytolicense.PostgresStore`)
reads the pool once, without its lock, and adds the batch's own movements to it; the
movements and the feed's items of the batch's saves are held back to its end, then
written under the partner's pool lock and feed lock, held from then to the commit
only (other writers are not kept waiting while the batch works). Outside a batch,
the client and the pool are read with one statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core._client_records import Client
from ..core._exceptions import NotFoundError
from ..core._pool import Pool, PoolChanged
from ..engine._change import Change
from ._feed import FeedRow
from ._rows import dumps
from ._sql import SqlStore

__all__ = ["PostgresBatch"]

_LOAD_WITH_POOL = (
    "SELECT c.document, c.version, c.seq, (SELECT coalesce(json_agg(json_build_array("
    "p.item, p.period, p.seats) ORDER BY p.item, p.period), '[]')::text FROM pools p "
    "WHERE p.partner = %s) FROM clients c WHERE c.partner = %s AND c.id = %s"
)

_POOL_LOCK = 0x6379  # the advisory lock class of pools (the partner is the key)

_RECORD_POOL_EVENTS = (
    "INSERT INTO pool_events (partner, seq, document) SELECT %s, coalesce((SELECT "
    "max(p.seq) FROM pool_events p WHERE p.partner = %s), 0) + d.i, d.doc "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS d(doc, i) ORDER BY d.i"
)
"""The pool's movements, numbered after the partner's last (the caller holds the
pool's lock, so no other writer numbers at the same time)."""


class PostgresBatch(SqlStore):
    """The pool and feed of :class:`~cytolicense.PostgresStore`, as a batch holds them
    back (a part of it)."""

    _in_batch: bool
    _pool_locked: bool
    _pool_base: Pool | None
    _pool_view: tuple[int, Pool] | None
    _pool_pending: list[PoolChanged]
    _floor_pending: list[tuple[str, tuple[PoolChanged, ...]]]
    _feed_pending: list[FeedRow]

    def _lock_pool(self) -> None:
        """Take the partner's pool lock for this transaction (every pool writer takes
        it first), so that a batch can read the pool once and trust it."""
        self._query(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            (_POOL_LOCK, self.partner),
            "locking the pool",
        )

    def load_with_pool(self, client_id: str) -> tuple[Client, int, Pool]:
        """The client, its version and the pool, as one statement outside a batch (one
        round trip; one snapshot). Inside a batch the client is locked and the pool
        read once, as :meth:`load` and :meth:`pool` do."""
        if self._in_batch:  # only a batch holds clients
            return super().load_with_pool(client_id)
        rows = self._query(
            _LOAD_WITH_POOL, (self.partner, self.partner, client_id), "reading a client"
        )
        if not rows:
            raise NotFoundError(self.partner, client_id)
        client, version = self._remember(client_id, rows[0], False)
        return client, version, self._pool_of(rows[0][3])

    def pool(self) -> Pool:
        """The partner's licence pool (empty: nothing tracked). Inside a batch it is
        read once, without the pool's lock, and the batch's own movements (held back
        to its end) are added to it: other writers are not kept waiting while the
        batch works. A shortage another writer caused in between is found when the
        batch ends (:class:`PoolShortageError` then, for a strict pool: nothing of
        the batch is kept)."""
        if not self._in_batch or self._pool_locked:
            return super().pool()
        if self._pool_base is None:
            self._pool_base = super().pool()
        done, pool = self._pool_view or (0, self._pool_base)
        for e in self._pool_pending[done:]:
            pool = pool.credit(e.item, e.period, e.seats)
        self._pool_view = (len(self._pool_pending), pool)
        return pool

    def _pool_write(self, events: Sequence[PoolChanged]) -> None:
        if not events:
            return
        if self._in_batch and not self._pool_locked:
            self._pool_pending.extend(events)  # written, in order, when the batch ends
            return
        if not self._pool_locked:
            self._lock_pool()
        super()._pool_write(events)

    def _record_pool_events(self, events: Sequence[PoolChanged]) -> None:
        # Numbered here, after the partner's last, under the pool's lock (every pool
        # writer takes it first and holds it to its commit): the history's order is
        # the commit order. A writer that did not hold the lock would take a number
        # already given and be refused by the key (partner, seq), never misordered.
        self._exec(_RECORD_POOL_EVENTS, (self.partner, self.partner, [dumps(e) for e in events]))

    def _pool_change(self, change: Change) -> None:
        if self._in_batch and not self._pool_locked:
            self._pool_write(change.pool_events)
            if change.pool_floor:
                self._floor_pending.append((change.client.id, tuple(change.pool_events)))
            return
        super()._pool_change(change)

    def _feed_write(self, rows: Sequence[FeedRow]) -> None:
        if self._in_batch:
            # Numbered when the batch ends (_write_feed_pending): the numbering lock is
            # held from then to the commit only, not while the batch works.
            self._feed_pending.extend(rows)
            return
        super()._feed_write(rows)

    def _write_feed_pending(self) -> None:
        """The batch's feed items, at its end: numbered under the partner's feed lock
        (taken now, held to the commit), in the order the batch saved them."""
        pending, self._feed_pending = self._feed_pending, []
        if pending:
            try:
                super()._feed_write(pending)
            except BaseException as exc:
                self._dead = f"{type(exc).__name__}: {exc}"
                raise

    def _write_pool_pending(self) -> None:
        """The batch's held-back pool movements, at its end: the pool's lock taken
        now (held only for these statements and the commit), the balances moved and
        the movements recorded in the order they were made, then each strict debit's
        floor checked (:class:`PoolShortageError` undoes the whole batch)."""
        pending, floors = self._pool_pending, self._floor_pending
        if not pending:
            return
        try:
            self._lock_pool()
            self._pool_locked = True
            super()._pool_write(pending)
            for client_id, events in floors:
                self._check_floor(client_id, events)
        except BaseException as exc:
            self._dead = f"{type(exc).__name__}: {exc}"
            raise

    def pool_history(self, last: int | None = None) -> list[PoolChanged]:
        """Every movement of the pool, oldest first, or its *last* so many (inside a
        batch, its held-back movements are written first)."""
        if self._in_batch and self._pool_pending and not self._pool_locked:
            self._write_pool_pending()  # the lock is now held to the batch's end
            self._pool_pending, self._floor_pending = [], []
            self._pool_base = self._pool_view = None
        return super().pool_history(last)
