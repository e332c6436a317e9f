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
from typing import Any

from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import ClientCreated, Event
from ..core._exceptions import ConflictError, DataError, NotFoundError, StoreError
from ..engine._engine import Change, Engine
from ._serialize import from_data, to_data

__all__ = ["SCHEMA_VERSION", "Store"]

SCHEMA_VERSION = 1

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


def _dumps(obj: Any) -> str:
    return json.dumps(to_data(obj), ensure_ascii=False, separators=(",", ":"))


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
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from exc
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            found = self._schema_version()
            if found is None:
                with self._transaction():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    found = self._schema_version()
                    if found is None:
                        self._db.execute(
                            "INSERT INTO meta (key, value) VALUES ('schema', ?)",
                            (str(SCHEMA_VERSION),),
                        )
                        found = str(SCHEMA_VERSION)
            if found != str(SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: schema version {found} is not supported "
                    f"(this release reads {SCHEMA_VERSION})"
                )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._error(exc, "open") from exc
        except BaseException:
            self._db.close()
            raise
        self.journal_mode = str(mode)

    # -- plumbing ------------------------------------------------------------------------

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
            return StoreError(f"{self.path}: not a cytolicense database ({text}) while {doing}")
        if "locked" in text or "busy" in text:
            return StoreError(
                f"{self.path}: the database is locked by another writer ({text}) while {doing}"
            )
        return StoreError(f"{self.path}: {text} while {doing}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction, or inside one a savepoint: a write that fails inside a
        batch leaves nothing behind even when the caller goes on with the batch."""
        if self._depth:
            savepoint = f"sp{self._depth}"
            self._db.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._db.execute(f"ROLLBACK TO {savepoint}")
                raise
            finally:
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
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise self._error(exc, "committing") from exc

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
            return from_data(Client, json.loads(document))
        except (DataError, ValueError) as exc:
            raise StoreError(
                f"{self.path}: client {client_id!r} of partner {self.partner!r} has a corrupt "
                f"row: {exc}"
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
            "SELECT document, version FROM clients WHERE partner = ? AND id = ?",
            (self.partner, client_id),
            f"reading client {client_id!r}",
        )
        if not rows:
            raise NotFoundError(self.partner, client_id)
        return self._read(client_id, rows[0][0]), int(rows[0][1])

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
            f"reading the history of {client_id!r}",
        )
        events: list[Event] = []
        for seq, doc in rows:
            try:
                events.append(from_data(Event, json.loads(doc)))  # type: ignore[arg-type]
            except (DataError, ValueError) as exc:
                raise StoreError(
                    f"{self.path}: event {seq} of client {client_id!r} is corrupt: {exc}"
                ) from exc
        return events

    # -- writes ------------------------------------------------------------------------

    def _stored_version(self, client_id: str) -> int | None:
        row = self._db.execute(
            "SELECT version FROM clients WHERE partner = ? AND id = ?", (self.partner, client_id)
        ).fetchone()
        return None if row is None else int(row[0])

    def save(self, change: Change, version: int | None) -> int:
        """Write *change* (the new client and its events) atomically; return the new version.

        Args:
            change: What an engine operation returned.
            version: The version the change was computed from, as :meth:`load` gave
                it; ``None`` for a new client (its first event is :class:`ClientCreated`).

        Raises:
            ConflictError: the stored version is not *version* (someone else wrote
                first), or a new client's id is taken. Nothing was written.
        """
        client = change.client
        if not change.events:
            if version is None:
                raise ValueError("a new client needs its ClientCreated event")
            return version
        if any(e.client_id != client.id for e in change.events):
            raise ValueError(f"change holds events of another client than {client.id!r}")
        document = _dumps(client)
        ended = client.ended_on.isoformat()
        with self._transaction():
            try:
                if version is None:
                    if not isinstance(change.events[0], ClientCreated):
                        raise ValueError("a new client's first event must be ClientCreated")
                    taken = self._stored_version(client.id)
                    if taken is not None:
                        raise ConflictError(client.id, 0, taken)
                    self._db.execute(
                        "INSERT INTO clients (partner, id, version, ended_on, document) "
                        "VALUES (?, ?, 1, ?, ?)",
                        (self.partner, client.id, ended, document),
                    )
                    new_version, seq = 1, 0
                else:
                    cur = self._db.execute(
                        "UPDATE clients SET version = version + 1, ended_on = ?, document = ? "
                        "WHERE partner = ? AND id = ? AND version = ?",
                        (ended, document, self.partner, client.id, version),
                    )
                    if cur.rowcount != 1:
                        stored = self._stored_version(client.id)
                        if stored is None:
                            raise NotFoundError(self.partner, client.id)
                        raise ConflictError(client.id, version, stored)
                    new_version = version + 1
                    seq = self._db.execute(
                        "SELECT coalesce(max(seq), 0) FROM events WHERE partner = ? AND "
                        "client_id = ?",
                        (self.partner, client.id),
                    ).fetchone()[0]
                self._db.executemany(
                    "INSERT INTO events (partner, client_id, seq, type, on_day, document) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            self.partner,
                            client.id,
                            seq + i,
                            type(e).__name__,
                            e.on.isoformat(),
                            _dumps(e),
                        )
                        for i, e in enumerate(change.events, start=1)
                    ],
                )
            except sqlite3.Error as exc:
                raise self._error(exc, f"saving client {client.id!r}") from exc
        return new_version
