"""The SQLite store's schema: its tables, and the migrations from every older version.

A file is known as a cytolicense database by its header (:data:`APPLICATION_ID`), or,
for a file of an older release, by its schema; anything else with tables is refused
untouched. :class:`SqliteSchema` (a part of :class:`~cytolicense.Store`) creates the
schema in a new file and migrates an older one to :data:`SCHEMA_VERSION`, one step
at a time, in one transaction.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..core._exceptions import StoreError, said
from ._feed import SETTINGS_SQLITE
from ._marks import MARKS_SQLITE
from ._outbox import FEED_SQLITE
from ._rows import EXPIRY_COLUMNS, expiry_rows, fold, projection
from ._team import TEAM_SQLITE, TEAM_SQLITE_GROUP, TEAM_SQLITE_TRIGGERS

if TYPE_CHECKING:
    from pathlib import Path

    from ..core._client_records import Client

__all__ = ["APPLICATION_ID", "NEW_INSTANCE", "SCHEMA_VERSION", "SqliteSchema"]

APPLICATION_ID = 0x43594C43
"""``PRAGMA application_id`` of a cytolicense database ("CYLC"): how a file is known
as one before anything in it is touched."""

SCHEMA_VERSION = 11
"""Version 2 adds each partner's pool, its events, and the expiry index; version 3 the
covering index list pages read; version 4 drops two indexes no query reads; version 5
the idempotency keys; version 6 the expiry index's own columns for the expiring list's
pages and the forecast; version 7 the event feed, webhooks and their deliveries;
version 8 the client group column and its index, operators, requests and the audit;
version 9 the folded name (searched, sorted), the sort indexes, the pool history by
partner and the partner's count of imports (its change mark, with the feed's head);
version 10 each partner's settings (the expiry notices' thresholds); version 11 the
pool's movements keyed by ``(partner, seq)`` (every key leads with the partner)."""

_POOL_EVENTS_V11 = """
DROP TABLE IF EXISTS pool_events_v11;
CREATE TABLE pool_events_v11 (
    partner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (partner, seq)
);
INSERT INTO pool_events_v11 (partner, seq, document)
    SELECT partner, seq, document FROM pool_events ORDER BY partner, seq;
DROP TABLE pool_events;
ALTER TABLE pool_events_v11 RENAME TO pool_events;
"""
"""Schema 11: ``pool_events`` made again keyed by ``(partner, seq)``."""

_SCHEMA_V9 = (
    """
CREATE INDEX clients_listing ON clients (partner, id, shown_until, deleted_on, name,
    ended_on, products, name_key);
CREATE INDEX IF NOT EXISTS clients_sorted_by_name ON clients (partner, name_key, id);
CREATE INDEX IF NOT EXISTS clients_sorted_by_end ON clients (partner, ended_on, id, name_key);
CREATE INDEX IF NOT EXISTS clients_deleted ON clients (partner, deleted_on)
    WHERE deleted_on IS NOT NULL;
CREATE INDEX IF NOT EXISTS pool_events_by_partner ON pool_events (partner);
"""
    + MARKS_SQLITE
)
"""Schema 9: list pages sorted by the folded name or the last day of service read
their own index from the page's key (the index on ``(partner, ended_on)`` becomes the
end sort's ``(partner, ended_on, id, name_key)``); the listing index carries the
folded name a search compares; the deleted clients have their own small index (the
end sorts of the shown list find those deleted after its day there, not in the hidden
range); a partner's pool history is read from ``(partner, seq)``; ``change_marks``
counts a partner's bulk imports."""

_EXPIRY_V6 = {
    "product": "TEXT NOT NULL DEFAULT ''",
    "license_type": "TEXT NOT NULL DEFAULT ''",
    "quantity": "INTEGER NOT NULL DEFAULT 0",
    "suspended": "INTEGER NOT NULL DEFAULT 0",
    "grace": "INTEGER NOT NULL DEFAULT 0",
}

_SCHEMA_V6 = """
DROP INDEX IF EXISTS expiries_by_end;
CREATE INDEX IF NOT EXISTS expiries_listing ON expiries (partner, expires_on, client_id,
    maintenance_id, starts_on, in_force_until, product, license_type, quantity, suspended);
CREATE INDEX IF NOT EXISTS expiries_by_grace ON expiries (partner, grace);
"""
"""Schema 6: each expiry row carries what the expiring list and the forecast show of
its line (product, licence type, seats), whether it was ever suspended and its grace;
one covering index in the list's order ``(expires_on, client_id, maintenance_id)``
serves the list's keyset pages and the forecast's aggregate without the documents
(the index on ``(partner, expires_on)`` is its prefix, and goes), and the index on the
grace gives the longest one, where the list's scan starts."""

_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    partner TEXT NOT NULL,
    key TEXT NOT NULL,
    client_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    change TEXT NOT NULL,
    created_on TEXT NOT NULL,
    PRIMARY KEY (partner, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_day ON idempotency_keys (partner, created_on);
"""
"""Schema 5: each partner's idempotency keys, with the change each answered (a retried
request gets the same answer and applies nothing); pruned by day."""

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
"""

_SCHEMA_V3 = """
CREATE INDEX IF NOT EXISTS clients_listing
    ON clients (partner, id, shown_until, deleted_on, name, ended_on, products);
"""
"""Schema 3: list pages (``rows()``) read one covering index in id order instead of the
table's pages, which hold the documents (a page of every client: 30% faster at 100,000
clients, measured)."""

_SCHEMA_V4 = """
DROP INDEX IF EXISTS clients_by_shown;
DROP INDEX IF EXISTS clients_by_name;
"""
"""Schema 4: version 2's indexes on the last day shown and on the name go. List pages
read the covering index (a name search is ``LIKE '%...%'``, which no index serves), so
they were only written: on every save that moved a client's last day, two more random
pages (batched assigns at 100,000 clients: 13% faster without them, and the floor
writing the same rows 27%; measured on copies of one file)."""

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

NEW_INSTANCE = (
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))))"
)
"""Give the database a new random id (the forecasts a process keeps are of another
database from then on)."""


class SqliteSchema:
    """The schema and migrations of :class:`~cytolicense.Store` (a part of it)."""

    if TYPE_CHECKING:
        path: Path
        _db: sqlite3.Connection

        def _transaction(self) -> AbstractContextManager[None]: ...
        def _read(self, client_id: str, document: str, partner: str | None = None) -> Client: ...

    def _install(self) -> None:
        """Check the schema; create it in a new file, or migrate an older one (in one
        transaction), and mark the file with :data:`APPLICATION_ID`."""
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
                if found == "2":
                    self._run(_SCHEMA_V3)
                    found = "3"
                if found == "3":
                    self._run(_SCHEMA_V4)
                    found = "4"
                if found == "4":
                    self._run(_SCHEMA_V5)
                    self._db.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
                    found = "5"
                if found == "5":
                    self._migrate_5_to_6()
                    found = "6"
                if found == "6":
                    self._run(FEED_SQLITE)  # the feed, webhooks, deliveries
                    self._db.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
                    found = "7"
                if found == "7":
                    if "grp" not in self._columns("clients"):  # (once: see 5 -> 6)
                        self._db.execute(TEAM_SQLITE_GROUP)
                    self._run(TEAM_SQLITE)  # groups, operators, requests, the audit
                    for trigger in TEAM_SQLITE_TRIGGERS:
                        self._db.execute(trigger)
                    self._db.execute("UPDATE meta SET value = '8' WHERE key = 'schema'")
                    found = "8"
                if found == "8":
                    self._migrate_8_to_9()
                    found = "9"
                if found == "9":
                    self._run(SETTINGS_SQLITE)  # each partner's settings
                    self._db.execute("UPDATE meta SET value = '10' WHERE key = 'schema'")
                    found = "10"
                if found == "10":
                    self._migrate_10_to_11()
                    found = "11"
        if found == str(SCHEMA_VERSION) and (
            self._db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID
        ):
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
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

    def _refuse_foreign(self) -> None:
        """Refuse a non-empty database that is not a cytolicense store, changing nothing
        in it (no tables added, the journal mode left as it is).

        A cytolicense file carries :data:`APPLICATION_ID` in its header (``PRAGMA
        application_id``); a file of an older release, which has none, is recognised
        by its schema (the ``meta`` table's schema version and the ``clients`` and
        ``events`` tables with their key columns) and gets the id when opened. Any
        other file with tables, even one with a ``meta`` table of its own, is foreign.
        """
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return
        tables = {
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if not tables and app_id == 0:
            return  # a new (empty) file
        if app_id == 0 and self._looks_like_ours(tables):
            return
        raise said(
            StoreError,
            "{path}: not a cytolicense database (application id {app_id}, tables: "
            "{tables}); nothing was changed",
            path=self.path,
            app_id=app_id,
            tables=tuple(sorted(tables)[:5]),
        )

    def _looks_like_ours(self, tables: set[str]) -> bool:
        """Whether a file without an application id has a cytolicense schema."""
        if not {"meta", "clients", "events"} <= tables:
            return False

        def columns(table: str) -> set[str]:
            return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

        if not {"key", "value"} <= columns("meta"):
            return False
        if not {"partner", "id", "version", "document"} <= columns("clients"):
            return False
        if not {"partner", "client_id", "seq", "document"} <= columns("events"):
            return False
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return row is not None and str(row[0]).isdigit()

    def _run(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def _migrate_1_to_2(self) -> None:
        """Schema 1 -> 2: the pool tables and the expiry index, filled from the documents."""
        self._run(_SCHEMA_V2)
        rows = self._db.execute("SELECT partner, id, document FROM clients").fetchall()
        for partner, client_id, document in rows:
            try:
                client = self._read(client_id, document, partner)
            except StoreError:
                # A corrupt row is its own partner's problem: left without its index
                # rows, it is reported (for that partner) when read; every other
                # client, and every other partner, opens.
                continue
            self._db.executemany(
                "INSERT INTO expiries (partner, client_id, maintenance_id, starts_on, "
                "expires_on, in_force_until) VALUES (?, ?, ?, ?, ?, ?)",
                [(partner, client_id, *row[:4]) for row in expiry_rows(client)],
            )
            seq = self._db.execute(
                "SELECT coalesce(max(seq), 0) FROM events WHERE partner = ? AND client_id = ?",
                (partner, client_id),
            ).fetchone()[0]
            self._db.execute(
                "UPDATE clients SET name = ?, deleted_on = ?, shown_until = ?, products = ?, "
                "seq = ? WHERE partner = ? AND id = ?",
                (*projection(client)[:4], seq, partner, client_id),
            )
        self._db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")

    def _migrate_5_to_6(self) -> None:
        """Schema 5 -> 6: the expiry index's new columns, its rows written again from
        the documents (every partner's; a corrupt row is left without them, as in
        :meth:`_migrate_1_to_2`)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(expiries)")}
        for name, kind in _EXPIRY_V6.items():
            if name not in have:  # (a file marked older than it is gets them once)
                self._db.execute(f"ALTER TABLE expiries ADD COLUMN {name} {kind}")
        self._run(_SCHEMA_V6)
        self._db.execute("DELETE FROM expiries")
        insert = f"INSERT INTO expiries ({EXPIRY_COLUMNS}) VALUES ({', '.join('?' * 11)})"
        for partner, client_id, document in self._db.execute(
            "SELECT partner, id, document FROM clients"
        ):
            try:
                client = self._read(client_id, document, partner)
            except StoreError:
                continue
            self._db.executemany(
                insert, [(partner, client_id, *row) for row in expiry_rows(client)]
            )
        self._db.execute("UPDATE meta SET value = '6' WHERE key = 'schema'")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def _migrate_8_to_9(self) -> None:
        """Schema 8 -> 9: every client's folded name written (as a save writes it,
        with :func:`~cytolicense.store._rows.fold`), the listing index rebuilt with it,
        the sort indexes, the pool history's, and the import counts."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(clients)")}
        self._db.execute("DROP INDEX IF EXISTS clients_listing")
        self._db.execute("DROP INDEX IF EXISTS clients_by_end")
        if "name_key" not in have:  # (once: see 5 -> 6)
            self._db.execute("ALTER TABLE clients ADD COLUMN name_key TEXT NOT NULL DEFAULT ''")
        self._db.create_function("cytolicense_fold", 1, fold, deterministic=True)
        self._db.execute("UPDATE clients SET name_key = cytolicense_fold(name)")
        self._run(_SCHEMA_V9)
        self._db.execute(NEW_INSTANCE)
        self._db.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")

    def _migrate_10_to_11(self) -> None:
        """Schema 10 -> 11: the pool's movements keyed by ``(partner, seq)``, as every
        other table leads its key with the partner (issue 50), no longer by one
        ``AUTOINCREMENT`` counter for the whole file; the numbers already given stay
        (unique and in order), a new movement takes the one after its partner's last
        (:meth:`SqlStore._record_pool_events`, under the write lock). The key serves a
        partner's history, so its index goes. Run again, it changes nothing."""
        pk = sorted((r[5], r[1]) for r in self._db.execute("PRAGMA table_info(pool_events)"))
        if [name for n, name in pk if n] != ["partner", "seq"]:
            self._run(_POOL_EVENTS_V11)
        self._db.execute("DROP INDEX IF EXISTS pool_events_by_partner")
        self._db.execute("UPDATE meta SET value = '11' WHERE key = 'schema'")

    def _schema_version(self) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if row is None else str(row[0])
