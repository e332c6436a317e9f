"""The SQL store's writes: a client's save, its idempotency key, a batch's saves.

:class:`SqlWrites` is the part of :class:`~cytolicense.store._sql.SqlStore` that saves
a change (the client's row, its events, its expiry index rows and the pool's
movements, in one transaction, checked against the version it was computed from),
keeps the idempotency keys, and, inside a batch, holds back the saves of the clients
the batch holds, to write them together (:meth:`~SqlWrites._flush`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..core._client_records import Client
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    DataError,
    KeyTakenError,
    NotFoundError,
    StoreError,
    said,
)
from ..core._pool import Pool
from ..engine._change import Change
from ._feed import FeedRow
from ._protocol import KeyRecord
from ._rows import (
    EXPIRY_DELETE,
    EXPIRY_UPSERT,
    INSERT_ROWS,
    ExpiryRow,
    check_change,
    columns,
    dumps,
    event_rows,
    expiry_rows,
    follows,
    update_plan,
    update_sql,
)
from ._serialize import compact, from_json, to_data
from ._sql_base import SqlBase, _Behind, _storable

__all__ = ["SqlWrites"]


class SqlWrites(SqlBase):
    """The saves, idempotency keys and batches of :class:`~cytolicense.store._sql.SqlStore`."""

    if TYPE_CHECKING:
        _pool_seen: Pool | None

        def _feed_write(self, rows: Sequence[FeedRow]) -> None: ...
        def _pool_change(self, change: Change) -> None: ...

    def save(self, change: Change, version: int | None, *, key: KeyRecord | None = None) -> int:
        """Write *change* (the new client, its events, and the pool's movements)
        atomically; return the client's new version.

        Args:
            change: What an engine operation returned.
            version: The version the change was computed from, as :meth:`load` gave
                it; ``None`` for a new client (its first event is :class:`ClientCreated`).

        Inside a batch, the save of a client read in the batch (which the batch
        holds: see :meth:`load`) is checked at once against the batch's state of it,
        and its rows are written with the batch's other saves: before the batch
        commits, or before a read that needs them. A refusal (a conflict, events
        that do not follow) still raises here and the batch goes on; a database that
        refuses the held-back rows themselves (a full disk, a trigger of yours) fails
        the batch as a whole, and nothing of it is kept.

        *key* (an idempotency key, as :meth:`Console.apply` gives it) is stored with
        the change in the same transaction, also for a change without events (one
        that changed nothing: only the key is written); a key this partner already
        holds refuses the whole save (:class:`KeyTakenError`: another request with
        that key came first).

        Raises:
            ConflictError: the stored version is not *version* (someone else wrote
                first), or a new client's id is taken. Nothing was written.
            ValueError: the change's events do not lead from the stored client to the
                change's client (a change made for another state). Nothing was written.
        """
        client = change.client
        if not check_change(change, version):
            assert version is not None
            if key is not None:
                # Nothing to write but the key: a retry with it answers this change,
                # and another operation under it is refused (KeyConflictError).
                if self._behind is not None:
                    self._flush()
                with self._writing("saving an idempotency key"):
                    self._save_key(key, change)
            return version
        held = self._held.get(client.id)
        if held is not None and version is not None and not change.pool_events and key is None:
            return self._save_behind(change, version, held)
        if self._behind is not None:
            self._flush()
        document = dumps(client)
        n = len(change.events)
        alone = not change.pool_events and key is None
        with self._writing("saving a client", alone=alone):
            if version is None:
                follows(None, change)
                if key is not None:  # first: a key taken by another leaves nothing written
                    self._save_key(key, change)
                self._write(
                    "INSERT INTO clients (partner, id, version, document, seq, ended_on, "
                    "name, deleted_on, shown_until, products, name_key, grp) "
                    "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (self.partner, client.id, document, n, *columns(client)),
                    change,
                    0,
                    (),
                    expiry_rows(client),
                    version,
                )
                return 1
            known = held or self._loaded.get(client.id)
            if known is not None and known[0] == version:
                seq, before = known[1], known[2]
            else:
                rows = self._ask(
                    self._sql(
                        "SELECT document, seq FROM clients WHERE partner = ? AND id = ? "
                        "AND version = ?"
                    ),
                    (self.partner, client.id, version),
                    "reading a client",
                )
                if not rows:
                    raise self._conflict(client.id, version)
                seq = self._version(client.id, rows[0][1])
                before = self._read(client.id, rows[0][0])
            follows(before, change)
            changed, values, gone, expiries = update_plan(before, client)
            if key is not None:  # first: a key taken by another leaves nothing written
                self._save_key(key, change)
            self._write(  # another writer first: ConflictError (checked atomically)
                update_sql(changed),
                (document, seq + n, *values, self.partner, client.id, version),
                change,
                seq,
                gone,
                expiries,
                version,
            )
            self._loaded.pop(client.id, None)
            if held is not None:
                self._held[client.id] = (version + 1, seq + n, client)
            return version + 1

    # -- idempotency keys --------------------------------------------------------------------

    def _save_key(self, key: KeyRecord, change: Change) -> None:
        """Store *key* with *change* (inside the save's transaction)."""
        added = self._exec(
            self._sql(
                "INSERT INTO idempotency_keys (partner, key, client_id, operation, change, "
                "created_on) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ),
            (
                self.partner,
                key.key,
                key.client_id,
                key.operation,
                compact(to_data(change)),
                self._day(key.created_on),
            ),
        )
        if not added:
            raise KeyTakenError(key.key)

    def find_key(self, key: str) -> KeyRecord | None:
        """The stored idempotency *key* of this partner, with the change it answered
        (:attr:`KeyRecord.change`); ``None`` when the partner has no such key."""
        if not _storable(key):
            return None
        rows = self._ask(
            self._sql(
                "SELECT client_id, operation, change, created_on FROM idempotency_keys "
                "WHERE partner = ? AND key = ?"
            ),
            (self.partner, key),
            "reading an idempotency key",
        )
        if not rows:
            return None
        client_id, operation, change, created = rows[0]
        try:  # a damaged row is named with its file, never a bare codec or JSON error
            if not (type(client_id) is str and type(operation) is str):
                raise TypeError(f"client {client_id!r}, operation {operation!r:.60}")
            if type(change) is not str:
                change = bytes(change).decode("utf-8")  # a BLOB: UTF-8 text or damage
            from_json(Change, change)
            day = created if isinstance(created, dt.date) else dt.date.fromisoformat(created)
        except (DataError, ValueError, TypeError, RecursionError) as exc:
            raise said(
                StoreError,
                "{path}: the row of idempotency key '{key}' is corrupt: {cause}",
                path=self._where(),
                key=key,
                cause=exc,
            ) from exc
        return KeyRecord(
            key=key, client_id=client_id, operation=operation, created_on=day, change=change
        )

    def prune_keys(self, before: dt.date) -> int:
        """Forget this partner's idempotency keys stored before *before*; how many.

        A request retried with a forgotten key is applied again: keep keys longer
        than any client retries (a day is plenty for HTTP retries)."""
        with self._writing("pruning idempotency keys"):
            return self._exec(
                self._sql("DELETE FROM idempotency_keys WHERE partner = ? AND created_on < ?"),
                (self.partner, self._day(before)),
            )

    # -- saves held back in a batch ----------------------------------------------------------

    def _save_behind(self, change: Change, version: int, held: tuple[int, int, Client]) -> int:
        """Save *change* to a client the batch holds: checked now, written by :meth:`_flush`."""
        if self._dead is not None:
            raise self._dead_batch()
        client = change.client
        stored, seq, before = held
        if stored != version:  # the batch's own state of the client is the stored one
            raise ConflictError(client.id, version, stored)
        follows(before, change)
        n = len(change.events)
        events = event_rows(self.partner, client.id, seq, change.events)
        behind = self._behind
        if behind is None:
            behind = self._behind = _Behind()
        first = behind.clients.get(client.id)
        if first is None:
            behind.clients[client.id] = (version, before, version + 1, client, seq + n)
        else:  # saved twice in the batch: one UPDATE from the first state to the last
            behind.clients[client.id] = (first[0], first[1], version + 1, client, seq + n)
        behind.events.extend(events)
        self._held[client.id] = (version + 1, seq + n, client)
        self._loaded.pop(client.id, None)
        return version + 1

    def _flush(self) -> None:
        """Write the batch's held-back saves: one UPDATE per client (from its state
        before the batch to its last), then every event and expiry row, each kind as
        one ``executemany``. If the database refuses any of it, the batch is dead:
        nothing of it will be committed (see :meth:`_dead_batch`)."""
        behind, self._behind = self._behind, None
        if behind is None:
            return
        try:
            self._write_behind(behind)
        except BaseException as exc:
            self._dead = f"{type(exc).__name__}: {exc}"
            raise self._wrap(exc, "writing the batch's saves") from exc

    def _write_behind(self, behind: _Behind) -> None:
        """Write *behind* (see :meth:`_flush`). Each statement runs as one
        ``executemany`` (psycopg pipelines it: one round trip). One statement per kind
        of row over arrays (PostgreSQL's ``unnest``) measured slower: 3,454 against
        5,359 saves a second, alternated in one process."""
        partner = self.partner
        updates: dict[str, list[tuple[object, ...]]] = {}
        gone: list[tuple[str, str, str]] = []
        kept: list[tuple[object, ...]] = []
        for client_id, (version, before, now, client, seq) in behind.clients.items():
            changed, values, dropped, expiries = update_plan(before, client)
            updates.setdefault(update_sql(changed, to_version=True), []).append(
                (now, dumps(client), seq, *values, partner, client_id, version)
            )
            gone.extend((partner, client_id, mid) for mid in dropped)
            kept.extend((partner, client_id, *r) for r in expiries)
        for sql, rows in updates.items():
            if self._many(self._sql(sql), rows) != len(rows):
                raise said(
                    StoreError,
                    "{path}: a client the batch held was changed by another writer; "
                    "nothing of the batch is kept",
                    path=self._where(),
                )
        self._many(self._sql(INSERT_ROWS["events"]), behind.events)
        self._feed_write([(str(r[1]), str(r[3]), str(r[5])) for r in behind.events])
        if gone:
            self._many(self._sql(EXPIRY_DELETE), gone)
        if kept:
            self._many(self._sql(EXPIRY_UPSERT), kept)

    def _dead_batch(self) -> StoreError:
        return said(
            StoreError,
            "{path}: the batch failed earlier ({cause}); leave the `with store.batch()` "
            "block and start again",
            path=self._where(),
            cause=self._dead,
        )

    @contextmanager
    def _inner_batch(self) -> Iterator[None]:
        """A batch inside a batch: a savepoint, and what it held back is undone with
        it (what the outer batch held back is written first)."""
        if self._behind is not None:
            self._flush()
        try:
            with self._transaction():
                yield
        except BaseException:
            self._forget()  # the savepoint undid what it held
            raise

    def _forget(self) -> None:
        """The transaction ended (committed or undone): nothing is held any more."""
        self._held.clear()
        self._behind = None
        self._pool_seen = None

    def _stored_version(self, client_id: str) -> int | None:
        rows = self._ask(
            self._sql("SELECT version FROM clients WHERE partner = ? AND id = ?"),
            (self.partner, client_id),
            "looking up a client",
        )
        return None if not rows else self._version(client_id, rows[0][0])

    def _conflict(self, client_id: str, version: int) -> StoreError:
        stored = self._stored_version(client_id)
        if stored is None:
            return NotFoundError(self.partner, client_id)
        return ConflictError(client_id, version, stored)

    def _lost(self, client_id: str, version: int | None) -> StoreError:
        """Why a save did not write the client's row: a new client's id is taken
        (*version* ``None``), or another writer changed it first."""
        if version is None:
            return ClientExistsError(client_id, self._stored_version(client_id))
        return self._conflict(client_id, version)

    def _write(
        self,
        head: str,
        args: Sequence[object],
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[ExpiryRow],
        version: int | None,
    ) -> None:
        """Run *head* (the client's INSERT or its UPDATE checked against *version*,
        written with ``?``); when it wrote the client's row, write the rest of *change*
        (see :meth:`_write_rows`); when not, nothing was written and :meth:`_lost`
        says why. PostgreSQL does it all in one statement (one round trip)."""
        if self._exec(self._sql(head), args) != 1:
            raise self._lost(change.client.id, version)
        self._write_rows(change, seq, gone, expiries)

    def _write_rows(
        self,
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[ExpiryRow],
    ) -> None:
        """The events after *seq*, the expiry index rows *gone* (by maintenance id) and
        *expiries* (new or changed), the pool's movements."""
        partner, client = self.partner, change.client
        events = event_rows(partner, client.id, seq, change.events)
        self._many(self._sql(INSERT_ROWS["events"]), events)
        self._feed_write([(client.id, r[3], r[5]) for r in events])  # the same transaction
        if gone:
            self._many(
                self._sql(EXPIRY_DELETE),
                [(partner, client.id, mid) for mid in gone],
            )
        if expiries:
            self._many(
                self._sql(EXPIRY_UPSERT),
                [(partner, client.id, *r) for r in expiries],
            )
        self._pool_change(change)
