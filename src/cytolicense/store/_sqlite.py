"""An embedded client store on SQLite: clients, their events, optimistic concurrency.

This is shell code around the pure core. Every handle belongs to one partner;
another partner's clients do not exist for it. Each write is one transaction
holding the new client state and its events together (or, inside
:meth:`Store.batch`, one transaction for many writes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import Event
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    DataError,
    NotFoundError,
    StoreError,
    said,
)
from ..core._period import Period
from ..core._pool import Pool, PoolChanged
from ..engine._engine import Change, Engine
from ._protocol import ClientRow
from ._rows import (
    POOL_UPSERT,
    bulk_rows,
    check_change,
    client_rows,
    columns,
    dumps,
    expiring_query,
    expiry_rows,
    follows,
    pool_event_rows,
    pool_of,
    projection,
    rows_query,
    update_plan,
    update_sql,
)
from ._serialize import from_data, trusted_client

if TYPE_CHECKING:
    from ..views._lifecycle import Expiry

__all__ = ["SCHEMA_VERSION", "Store"]

SCHEMA_VERSION = 2
"""Version 2 adds each partner's pool, its events, and the expiry index."""

_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS pools (
    partner TEXT NOT NULL,
    item TEXT NOT NULL,
    period TEXT NOT NULL,
    seats INTEGER NOT NULL,
    PRIMARY KEY (partner, item, period)
);
CREATE TABLE IF NOT EXISTS pool_events (
    partner TEXT NOT NULL,
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS expiries (
    partner TEXT NOT NULL,
    client_id TEXT NOT NULL,
    maintenance_id TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    in_force_until TEXT NOT NULL,
    PRIMARY KEY (partner, client_id, maintenance_id),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS expiries_by_end ON expiries (partner, expires_on);
ALTER TABLE clients ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN deleted_on TEXT;
ALTER TABLE clients ADD COLUMN shown_until TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN products TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS clients_by_shown ON clients (partner, shown_until);
CREATE INDEX IF NOT EXISTS clients_by_name ON clients (partner, name COLLATE NOCASE);
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    partner TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    ended_on TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (partner, id)
);
CREATE INDEX IF NOT EXISTS clients_by_end ON clients (partner, ended_on);
CREATE TABLE IF NOT EXISTS events (
    partner TEXT NOT NULL,
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    on_day TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (partner, client_id, seq),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE
);
"""


class Store:
    """One partner's view of a SQLite file of clients.

    Args:
        path: The database file (created when missing).
        partner: The partner this handle acts for.
        timeout: Seconds to wait for another writer before giving up.
        durable: ``True`` (default) syncs every commit to disk
            (``synchronous=FULL``); ``False`` uses ``NORMAL``, which survives a crash
            of the process but not of the machine.

    A handle is one SQLite connection: use it from one thread at a time (open one
    handle per thread or process; they coordinate through the database).

    Raises:
        StoreError: the file is not a cytolicense database, or cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        partner: str,
        *,
        timeout: float = 5.0,
        durable: bool = True,
    ) -> None:
        if not isinstance(partner, str) or not partner.strip():
            raise ValueError(f"Store.partner must be a non-empty string, got {partner!r}")
        self.path = Path(path)
        self.partner = partner
        self._depth = 0
        self._dead: str | None = None
        self._loaded: dict[str, tuple[int, int, Client]] = {}
        # The pool as read inside the current write transaction: no other writer can
        # change it until the transaction ends (BEGIN IMMEDIATE holds the write lock),
        # so a batch reads it once; our own movements drop it.
        self._pool_seen: Pool | None = None
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise said(
                StoreError, "{path}: cannot open the database: {cause}", path=self.path, cause=exc
            ) from exc
        try:
            self._refuse_foreign()
            self._db.execute("PRAGMA foreign_keys = ON")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            # Savepoint journals (one per write in a batch) in memory, not in temp files.
            self._db.execute("PRAGMA temp_store = MEMORY")
            found = self._schema_version()
            if found is None or found != str(SCHEMA_VERSION):
                with self._transaction():
                    found = self._schema_version()
                    if found is None:
                        self._run(_SCHEMA)
                        self._db.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
                        found = "1"
                    if found == "1":
                        self._migrate_1_to_2()
                        found = "2"
            if found != str(SCHEMA_VERSION):
                raise said(
                    StoreError,
                    "{path}: schema version {found} is not supported (this release reads "
                    "{first} to {last})",
                    path=self.path,
                    found=found,
                    first=1,
                    last=SCHEMA_VERSION,
                )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._error(exc, "opening the database") from exc
        except BaseException:
            self._db.close()
            raise
        self.journal_mode = str(mode)

    # -- plumbing ------------------------------------------------------------------------

    def _refuse_foreign(self) -> None:
        """Refuse a non-empty database that is not a cytolicense store, changing nothing
        in it (no tables added, the journal mode left as it is)."""
        tables = {
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if tables and "meta" not in tables:
            raise said(
                StoreError,
                "{path}: not a cytolicense database (it holds other tables: {tables}); "
                "nothing was changed",
                path=self.path,
                tables=tuple(sorted(tables)[:5]),
            )

    def _run(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def _migrate_1_to_2(self) -> None:
        """Schema 1 -> 2: the pool tables and the expiry index, filled from the documents."""
        self._run(_SCHEMA_V2)
        rows = self._db.execute("SELECT partner, id, document FROM clients").fetchall()
        for partner, client_id, document in rows:
            client = self._read(client_id, document)
            self._db.executemany(
                "INSERT INTO expiries VALUES (?, ?, ?, ?, ?, ?)",
                [(partner, client_id, *row) for row in expiry_rows(client)],
            )
            seq = self._db.execute(
                "SELECT coalesce(max(seq), 0) FROM events WHERE partner = ? AND client_id = ?",
                (partner, client_id),
            ).fetchone()[0]
            self._db.execute(
                "UPDATE clients SET name = ?, deleted_on = ?, shown_until = ?, products = ?, "
                "seq = ? WHERE partner = ? AND id = ?",
                (*projection(client), seq, partner, client_id),
            )
        self._db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")

    def _schema_version(self) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if row is None else str(row[0])

    def _error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return said(
                StoreError,
                "{path}: not a cytolicense database ({cause}) while {doing}",
                path=self.path,
                cause=text,
                doing=doing,
            )
        if "locked" in text or "busy" in text:
            return said(
                StoreError,
                "{path}: the database is locked by another writer ({cause}) while {doing}",
                path=self.path,
                cause=text,
                doing=doing,
            )
        return said(
            StoreError, "{path}: {cause} while {doing}", path=self.path, cause=text, doing=doing
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction, or inside one a savepoint: a write that fails inside a
        batch leaves nothing behind even when the caller goes on with the batch.

        When SQLite has already rolled the transaction back itself (a full disk, an
        I/O error), the handle leaves the dead batch: the caller gets a
        :class:`StoreError` naming the file and the cause, and every later write in
        that batch is refused instead of committing on its own.
        """
        if self._dead is not None:
            raise said(
                StoreError,
                "{path}: the batch failed earlier ({cause}); leave the `with store.batch()` "
                "block and start again",
                path=self.path,
                cause=self._dead,
            )
        if self._depth:
            savepoint = f"sp{self._depth}"
            self._db.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException as exc:
                self._depth -= 1
                self._pool_seen = None
                if self._db.in_transaction:
                    self._db.execute(f"ROLLBACK TO {savepoint}")
                    self._db.execute(f"RELEASE {savepoint}")
                else:
                    self._dead = _cause(exc)
                    raise self._wrap(exc, "writing in a batch") from exc
                raise
            self._depth -= 1
            self._db.execute(f"RELEASE {savepoint}")
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc, "starting a transaction") from exc
        self._depth = 1
        try:
            yield
        except BaseException as exc:
            self._depth = 0
            self._pool_seen = None
            dead, self._dead = self._dead, None
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            elif dead is None and isinstance(exc, sqlite3.Error):
                raise self._error(exc, "writing") from exc
            raise
        self._depth = 0
        self._pool_seen = None
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise self._error(exc, "committing") from exc

    def _wrap(self, exc: BaseException, doing: str) -> BaseException:
        if isinstance(exc, sqlite3.Error):
            return self._error(exc, doing)
        return exc

    @contextmanager
    def batch(self) -> Iterator[Store]:
        """One transaction for every write inside the ``with`` block: all or nothing."""
        with self._transaction():
            yield self

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {str(self.path)!r} partner={self.partner!r}>"

    def _read(self, client_id: str, document: str) -> Client:
        try:
            return trusted_client(json.loads(document))
        except (DataError, ValueError, TypeError, KeyError, RecursionError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' of partner '{partner}' has a corrupt row: {cause}",
                path=self.path,
                client_id=client_id,
                partner=self.partner,
                cause=exc,
            ) from exc

    def _query(self, sql: str, args: Sequence[object], doing: str) -> list[Any]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, doing) from exc

    # -- reads -----------------------------------------------------------------------------

    def load(self, client_id: str) -> tuple[Client, int]:
        """The client and its version; :class:`NotFoundError` if this partner has none."""
        rows = self._query(
            "SELECT document, version, seq FROM clients WHERE partner = ? AND id = ?",
            (self.partner, client_id),
            "reading a client",
        )
        if not rows:
            raise NotFoundError(self.partner, client_id)
        try:
            version, seq = int(rows[0][1]), int(rows[0][2])
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' has a corrupt version {version}",
                path=self.path,
                client_id=client_id,
                version=repr(rows[0][1]),
            ) from exc
        client = self._read(client_id, rows[0][0])
        # Remembered so that saving a change made from this version need not read and
        # parse the document again to check that the change follows from it.
        if len(self._loaded) >= 1024:
            self._loaded.clear()
        self._loaded[client_id] = (version, seq, client)
        return client, version

    def get(self, client_id: str) -> Client:
        """The client *client_id*; :class:`NotFoundError` if this partner has none."""
        return self.load(client_id)[0]

    def __contains__(self, client_id: object) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM clients WHERE partner = ? AND id = ?",
                (self.partner, client_id),
                "looking up a client",
            )
        )

    def __len__(self) -> int:
        rows = self._query(
            "SELECT count(*) FROM clients WHERE partner = ?", (self.partner,), "counting clients"
        )
        return int(rows[0][0])

    def clients(self) -> list[Client]:
        """Every client of the partner, by id."""
        rows = self._query(
            "SELECT id, document FROM clients WHERE partner = ? ORDER BY id",
            (self.partner,),
            "listing clients",
        )
        return [self._read(cid, doc) for cid, doc in rows]

    def monitoring(self, today: dt.date) -> list[Client]:
        """The clients the monitoring list shows on *today*, by id (the 90-day rules)."""
        limit = (today - dt.timedelta(days=RETENTION_DAYS - 1)).isoformat()
        rows = self._query(
            "SELECT id, document FROM clients WHERE partner = ? AND ended_on >= ? ORDER BY id",
            (self.partner, limit),
            "listing the monitoring clients",
        )
        return Engine.monitoring([self._read(cid, doc) for cid, doc in rows], today)

    def history(self, client_id: str) -> list[Event]:
        """The client's events, oldest first; :class:`NotFoundError` if there is no client."""
        if client_id not in self:
            raise NotFoundError(self.partner, client_id)
        rows = self._query(
            "SELECT seq, document FROM events WHERE partner = ? AND client_id = ? ORDER BY seq",
            (self.partner, client_id),
            "reading a client's history",
        )
        events: list[Event] = []
        for seq, doc in rows:
            try:
                events.append(from_data(Event, json.loads(doc)))  # type: ignore[arg-type]
            except (DataError, ValueError, TypeError, RecursionError) as exc:
                raise said(
                    StoreError,
                    "{path}: event {seq} of client '{client_id}' is corrupt: {cause}",
                    path=self.path,
                    seq=seq,
                    client_id=client_id,
                    cause=exc,
                ) from exc
        return events

    # -- writes ------------------------------------------------------------------------

    def _stored_version(self, client_id: str) -> int | None:
        row = self._db.execute(
            "SELECT version FROM clients WHERE partner = ? AND id = ?", (self.partner, client_id)
        ).fetchone()
        if row is None:
            return None
        try:
            return int(row[0])
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' has a corrupt version {version}",
                path=self.path,
                client_id=client_id,
                version=repr(row[0]),
            ) from exc

    def save(self, change: Change, version: int | None) -> int:
        """Write *change* (the new client, its events, and the pool's movements)
        atomically; return the client's new version.

        Args:
            change: What an engine operation returned.
            version: The version the change was computed from, as :meth:`load` gave
                it; ``None`` for a new client (its first event is :class:`ClientCreated`).

        Raises:
            ConflictError: the stored version is not *version* (someone else wrote
                first), or a new client's id is taken. Nothing was written.
            ValueError: the change's events do not lead from the stored client to the
                change's client (a change made for another state). Nothing was written.
        """
        client = change.client
        if not check_change(change, version):
            assert version is not None
            return version
        document = dumps(client)
        n = len(change.events)
        with self._transaction():
            try:
                if version is None:
                    taken = self._stored_version(client.id)
                    if taken is not None:
                        raise ClientExistsError(client.id, taken)
                    follows(None, change)
                    self._db.execute(
                        "INSERT INTO clients (partner, id, version, document, seq, ended_on, "
                        "name, deleted_on, shown_until, products) "
                        "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                        (self.partner, client.id, document, n, *columns(client)),
                    )
                    self._write_rows(client, change, 0, (), expiry_rows(client))
                    return 1
                known = self._loaded.get(client.id)
                if known is not None and known[0] == version:
                    seq, before = known[1], known[2]
                else:
                    row = self._db.execute(
                        "SELECT document, seq FROM clients WHERE partner = ? AND id = ? "
                        "AND version = ?",
                        (self.partner, client.id, version),
                    ).fetchone()
                    if row is None:
                        raise self._conflict(client.id, version)
                    seq, before = int(row[1]), self._read(client.id, row[0])
                follows(before, change)
                changed, values, gone, expiries = update_plan(before, client)
                cur = self._db.execute(
                    update_sql(changed, "?"),
                    (document, seq + n, *values, self.partner, client.id, version),
                )
                if cur.rowcount != 1:  # the remembered version is stale
                    raise self._conflict(client.id, version)
                self._loaded.pop(client.id, None)
                self._write_rows(client, change, seq, gone, expiries)
                return version + 1
            except sqlite3.Error as exc:
                raise self._error(exc, "saving a client") from exc

    def mark_demo(self) -> None:
        """Mark the file as a demo database (``cytolicense demo`` replaces only those)."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', '1')")

    def _conflict(self, client_id: str, version: int) -> StoreError:
        stored = self._stored_version(client_id)
        if stored is None:
            return NotFoundError(self.partner, client_id)
        return ConflictError(client_id, version, stored)

    def _write_rows(
        self,
        client: Client,
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[tuple[str, str, str, str]],
    ) -> None:
        """The events after *seq*, the expiry index rows *gone* (by maintenance id) and
        *expiries* (new or changed), the pool's movements."""
        db, partner = self._db, self.partner
        db.executemany(
            "INSERT INTO events (partner, client_id, seq, type, on_day, document) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (partner, client.id, seq + i, type(e).__name__, e.on.isoformat(), dumps(e))
                for i, e in enumerate(change.events, start=1)
            ],
        )
        if gone:
            db.executemany(
                "DELETE FROM expiries WHERE partner = ? AND client_id = ? AND maintenance_id = ?",
                [(partner, client.id, mid) for mid in gone],
            )
        if expiries:
            db.executemany(
                "INSERT OR REPLACE INTO expiries VALUES (?, ?, ?, ?, ?, ?)",
                [(partner, client.id, *r) for r in expiries],
            )
        self._pool_write(change.pool_events)

    def bulk(self, changes: Sequence[Change]) -> int:
        """Add many new clients in one transaction (an import); the number added.

        Each change must create its client (its events start with
        :class:`ClientCreated`, as :meth:`Engine.new_client` and later operations
        give them). All or nothing: one taken id (:class:`ClientExistsError`) or one
        change whose events do not lead to its client (:class:`ValueError`) writes
        nothing.
        """
        clients, events, expiries = bulk_rows(self.partner, changes)
        with self._transaction():
            try:
                self._db.executemany(
                    "INSERT INTO clients (partner, id, version, ended_on, document, name, "
                    "deleted_on, shown_until, products, seq) "
                    "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    clients,
                )
                self._db.executemany(
                    "INSERT INTO events (partner, client_id, seq, type, on_day, document) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    events,
                )
                self._db.executemany("INSERT INTO expiries VALUES (?, ?, ?, ?, ?, ?)", expiries)
            except sqlite3.IntegrityError as exc:
                for c in clients:
                    found = self._db.execute(
                        "SELECT version FROM clients WHERE partner = ? AND id = ?",
                        (self.partner, c[1]),
                    ).fetchone()
                    if found is not None:
                        raise ClientExistsError(c[1], int(found[0])) from exc
                raise self._error(exc, "importing clients") from exc
            except sqlite3.Error as exc:
                raise self._error(exc, "importing clients") from exc
        return len(clients)

    def rows(
        self,
        today: dt.date | None = None,
        *,
        shown: bool | None = None,
        search: str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[ClientRow]:
        """Light rows for list pages, from the indexed columns (no document is read).

        Args:
            today: The day *shown* is judged on (required with *shown*).
            shown: ``True``: only the clients the monitoring list shows on *today*;
                ``False``: only the hidden ones; ``None``: all. A client deleted
                after *today* is judged on its deletion day's terms: it is listed
                as shown (it was live on *today*).
            search: Only clients whose name contains this text (case-insensitive).
            limit: At most this many rows (a page).
            after: Keyset paging: only ids after this one (the last id of the
                previous page).
        """
        sql, args = rows_query(
            self.partner,
            today,
            shown=shown,
            search=search,
            limit=limit,
            after=after,
            placeholder="?",
            name_like="name LIKE ? ESCAPE '\\'",
        )
        return client_rows(self._query(sql, args, "listing clients"), text_dates=True)

    # -- the pool ------------------------------------------------------------------------

    def _pool_write(self, events: Sequence[PoolChanged]) -> None:
        """Apply pool movements as atomic increments (two writers lose no seat)."""
        if events:
            self._pool_seen = None
        if events:
            self._db.executemany(_POOL_UPSERT, pool_event_rows(self.partner, events))
            self._db.executemany(
                "INSERT INTO pool_events (partner, document) VALUES (?, ?)",
                [(self.partner, dumps(e)) for e in events],
            )

    def pool(self) -> Pool:
        """The partner's licence pool (empty: nothing tracked)."""
        if self._pool_seen is not None and self._depth:
            return self._pool_seen
        rows = self._query(
            "SELECT item, period, seats FROM pools WHERE partner = ? ORDER BY item, period",
            (self.partner,),
            "reading the pool",
        )
        try:
            pool = pool_of(rows)
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: the pool of '{partner}' is corrupt: {cause}",
                path=self.path,
                partner=self.partner,
                cause=exc,
            ) from exc
        if self._depth:
            self._pool_seen = pool
        return pool

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
        with self._transaction():
            try:
                self._pool_write([event])
            except sqlite3.Error as exc:
                raise self._error(exc, "crediting the pool") from exc
        return self.pool()

    def pool_history(self) -> list[PoolChanged]:
        """Every movement of the partner's pool, oldest first."""
        rows = self._query(
            "SELECT seq, document FROM pool_events WHERE partner = ? ORDER BY seq",
            (self.partner,),
            "reading the pool's history",
        )
        out: list[PoolChanged] = []
        for seq, doc in rows:
            try:
                out.append(from_data(PoolChanged, json.loads(doc)))
            except (DataError, ValueError, TypeError, RecursionError) as exc:
                raise said(
                    StoreError,
                    "{path}: pool event {seq} is corrupt: {cause}",
                    path=self.path,
                    seq=seq,
                    cause=exc,
                ) from exc
        return out

    # -- lists from the index ------------------------------------------------------------

    def expiring(self, today: dt.date, within_days: int = 30) -> list[Expiry]:
        """What :meth:`Engine.expiring` gives over this partner's clients, answered from
        the expiry index (only the clients with a line in the window are read)."""
        from ..views._lifecycle import expiring

        sql, args = expiring_query(self.partner, today, within_days, "?")
        rows = self._query(sql, args, "listing what expires")
        return expiring([self._read(cid, doc) for cid, doc in rows], today, within_days)


_POOL_UPSERT = POOL_UPSERT.format(p="?")


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
