"""A client store on PostgreSQL (psycopg 3), for services running on several hosts.

Same tables and promises as the SQLite :class:`~cytolicense.Store`: each handle acts
for one partner; a write is one transaction holding the client, its events and the
pool's movements; optimistic versions refuse lost updates; the pool is changed by
atomic increments (``seats = seats + n``), so two hosts consuming the same pool at
once lose no seat. Install with ``pip install 'cytolicense[postgres]'``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    rows_query,
    update_plan,
    update_sql,
)
from ._serialize import from_data, trusted_client

if TYPE_CHECKING:
    from ..views._lifecycle import Expiry

__all__ = ["PostgresStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cytolicense_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    partner TEXT NOT NULL, id TEXT COLLATE "C" NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    ended_on DATE NOT NULL, document TEXT NOT NULL, name TEXT NOT NULL,
    deleted_on DATE, shown_until DATE NOT NULL, products TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (partner, id));
CREATE INDEX IF NOT EXISTS clients_by_end ON clients (partner, ended_on);
CREATE INDEX IF NOT EXISTS clients_by_shown ON clients (partner, shown_until);
CREATE INDEX IF NOT EXISTS clients_by_name ON clients (partner, lower(name));
CREATE TABLE IF NOT EXISTS events (
    partner TEXT NOT NULL, client_id TEXT COLLATE "C" NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    on_day DATE NOT NULL, document TEXT NOT NULL, PRIMARY KEY (partner, client_id, seq),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS pools (
    partner TEXT NOT NULL, item TEXT NOT NULL, period TEXT NOT NULL, seats BIGINT NOT NULL,
    PRIMARY KEY (partner, item, period));
CREATE TABLE IF NOT EXISTS pool_events (
    seq BIGSERIAL PRIMARY KEY, partner TEXT NOT NULL, document TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS expiries (
    partner TEXT NOT NULL, client_id TEXT COLLATE "C" NOT NULL, maintenance_id TEXT NOT NULL,
    starts_on DATE NOT NULL, expires_on DATE NOT NULL, in_force_until DATE NOT NULL,
    PRIMARY KEY (partner, client_id, maintenance_id),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS expiries_by_end ON expiries (partner, expires_on);
"""

_TABLES = ("clients", "events", "pools", "pool_events", "expiries")

# Row-level security: a second wall behind every query's own partner filter. The
# partner is a setting of the connection (one connection acts for one partner);
# FORCE makes the policies bind the tables' owner too. Superusers bypass them.
_RLS = "".join(
    f"""
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = '{t}'
                 AND policyname = 'cytolicense_partner') THEN
    CREATE POLICY cytolicense_partner ON {t}
      USING (partner = current_setting('cytolicense.partner', true))
      WITH CHECK (partner = current_setting('cytolicense.partner', true));
  END IF;
END $$;"""
    for t in _TABLES
)
SCHEMA_VERSION = "2"


class PostgresStore:
    """One partner's view of a PostgreSQL database of clients.

    Args:
        url: A ``postgresql://`` connection URL.
        partner: The partner this handle acts for.

    Raises:
        StoreError: psycopg is not installed, or the database cannot be reached.
    """

    def __init__(self, url: str, partner: str) -> None:
        if not isinstance(partner, str) or not partner.strip():
            raise ValueError(f"PostgresStore.partner must be a non-empty string, got {partner!r}")
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise said(
                StoreError, "PostgresStore needs psycopg: pip install 'cytolicense[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self.url = url
        self.partner = partner
        self._in_batch = False
        self._loaded: dict[str, tuple[int, int, Client]] = {}
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise said(
                StoreError, "{path}: cannot connect: {cause}", path=_safe(url), cause=exc
            ) from exc
        try:
            self._db.execute("SELECT set_config('cytolicense.partner', %s, false)", (partner,))
            self._install()
        except BaseException:
            self._db.close()
            raise

    def _install(self) -> None:
        """Check the schema; create it (and its row-level security) in a new database."""
        found = self._schema_version()
        if found is None:
            # Create the schema once, one creator at a time; a handle opening an
            # installed database runs no DDL (DDL would lock tables other hosts use).
            with self._transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(4242)")
                found = self._schema_version()
                if found is None:
                    self._db.execute(_SCHEMA)
                    self._db.execute(_RLS)
                    self._db.execute(
                        "INSERT INTO cytolicense_meta VALUES ('schema', %s)", (SCHEMA_VERSION,)
                    )
                    found = SCHEMA_VERSION
        if found != SCHEMA_VERSION:
            raise said(
                StoreError,
                "{path}: schema version {found} is not supported (this release reads "
                "{first} to {last})",
                path=_safe(self.url),
                found=found,
                first=SCHEMA_VERSION,
                last=SCHEMA_VERSION,
            )

    def _schema_version(self) -> str | None:
        row = self._db.execute("SELECT to_regclass('cytolicense_meta')").fetchone()
        if row is None or row[0] is None:
            return None
        found = self._db.execute(
            "SELECT value FROM cytolicense_meta WHERE key = 'schema'"
        ).fetchone()
        return None if found is None else str(found[0])

    def __repr__(self) -> str:
        return f"<PostgresStore {_safe(self.url)!r} partner={self.partner!r}>"

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._in_batch:
            with self._db.transaction():  # a savepoint inside the batch
                yield
            return
        try:
            with self._db.transaction():
                yield
        except self._psycopg.Error as exc:
            raise said(StoreError, "{path}: {cause}", path=_safe(self.url), cause=exc) from exc

    @contextmanager
    def batch(self) -> Iterator[PostgresStore]:
        """One transaction for every write inside the ``with`` block: all or nothing."""
        if self._in_batch:
            with self._transaction():
                yield self
            return
        with self._transaction():
            self._in_batch = True
            try:
                yield self
            finally:
                self._in_batch = False

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, args: Sequence[object]) -> list[Any]:
        try:
            return self._db.execute(sql, args).fetchall()
        except self._psycopg.Error as exc:
            raise said(StoreError, "{path}: {cause}", path=_safe(self.url), cause=exc) from exc

    def _read(self, client_id: str, document: str) -> Client:
        try:
            return trusted_client(json.loads(document))
        except (DataError, ValueError, TypeError, KeyError, RecursionError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' of partner '{partner}' has a corrupt row: {cause}",
                path=_safe(self.url),
                client_id=client_id,
                partner=self.partner,
                cause=exc,
            ) from exc

    # -- reads -----------------------------------------------------------------------

    def load(self, client_id: str) -> tuple[Client, int]:
        """The client and its version; :class:`NotFoundError` if this partner has none."""
        rows = self._rows(
            "SELECT document, version, seq FROM clients WHERE partner = %s AND id = %s",
            (self.partner, client_id),
        )
        if not rows:
            raise NotFoundError(self.partner, client_id)
        client, version = self._read(client_id, rows[0][0]), int(rows[0][1])
        # Remembered so that saving a change made from this version need not read the
        # document again (the UPDATE checks the version, atomically).
        if len(self._loaded) >= 1024:
            self._loaded.clear()
        self._loaded[client_id] = (version, int(rows[0][2]), client)
        return client, version

    def get(self, client_id: str) -> Client:
        """The client *client_id*; :class:`NotFoundError` if this partner has none."""
        return self.load(client_id)[0]

    def __contains__(self, client_id: object) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM clients WHERE partner = %s AND id = %s", (self.partner, client_id)
            )
        )

    def __len__(self) -> int:
        return int(
            self._rows("SELECT count(*) FROM clients WHERE partner = %s", (self.partner,))[0][0]
        )

    def clients(self) -> list[Client]:
        """Every client of the partner, by id."""
        rows = self._rows(
            "SELECT id, document FROM clients WHERE partner = %s ORDER BY id",
            (self.partner,),
        )
        return [self._read(cid, doc) for cid, doc in rows]

    def monitoring(self, today: dt.date) -> list[Client]:
        """The clients the monitoring list shows on *today*, by id (the 90-day rules)."""
        limit = today - dt.timedelta(days=RETENTION_DAYS - 1)
        rows = self._rows(
            "SELECT id, document FROM clients WHERE partner = %s AND ended_on >= %s ORDER BY id",
            (self.partner, limit),
        )
        return Engine.monitoring([self._read(cid, doc) for cid, doc in rows], today)

    def history(self, client_id: str) -> list[Event]:
        """The client's events, oldest first; :class:`NotFoundError` if there is no client."""
        if client_id not in self:
            raise NotFoundError(self.partner, client_id)
        rows = self._rows(
            "SELECT seq, document FROM events WHERE partner = %s AND client_id = %s ORDER BY seq",
            (self.partner, client_id),
        )
        return [from_data(Event, json.loads(doc)) for _, doc in rows]  # type: ignore[arg-type]

    # -- writes ------------------------------------------------------------------------

    def save(self, change: Change, version: int | None) -> int:
        """Write *change* atomically (see :meth:`cytolicense.Store.save`)."""
        client = change.client
        if not check_change(change, version):
            assert version is not None
            return version
        document = dumps(client)
        n = len(change.events)
        db = self._db
        with self._transaction():
            if version is None:
                follows(None, change)
                cur = db.execute(
                    "INSERT INTO clients (partner, id, version, document, seq, ended_on, name, "
                    "deleted_on, shown_until, products) "
                    "VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (self.partner, client.id, document, n, *columns(client)),
                )
                if cur.rowcount != 1:
                    stored = self._rows(
                        "SELECT version FROM clients WHERE partner = %s AND id = %s",
                        (self.partner, client.id),
                    )
                    raise ClientExistsError(client.id, int(stored[0][0]) if stored else None)
                self._write_rows(client, change, 0, (), expiry_rows(client))
                return 1
            known = self._loaded.get(client.id)
            if known is not None and known[0] == version:
                seq, before = known[1], known[2]
            else:
                row = db.execute(
                    "SELECT document, seq FROM clients WHERE partner = %s AND id = %s "
                    "AND version = %s",
                    (self.partner, client.id, version),
                ).fetchone()
                if row is None:
                    raise self._conflict(client.id, version)
                before, seq = self._read(client.id, row[0]), int(row[1])
            follows(before, change)
            changed, values, gone, expiries = update_plan(before, client)
            cur = db.execute(
                update_sql(changed, "%s"),
                (document, seq + n, *values, self.partner, client.id, version),
            )
            if cur.rowcount != 1:  # another writer came first (checked atomically)
                raise self._conflict(client.id, version)
            self._loaded.pop(client.id, None)
            self._write_rows(client, change, seq, gone, expiries)
        return version + 1

    def _conflict(self, client_id: str, version: int) -> StoreError:
        current = self._db.execute(
            "SELECT version FROM clients WHERE partner = %s AND id = %s",
            (self.partner, client_id),
        ).fetchone()
        if current is None:
            return NotFoundError(self.partner, client_id)
        return ConflictError(client_id, version, int(current[0]))

    def _write_rows(
        self,
        client: Client,
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[tuple[str, str, str, str]],
    ) -> None:
        """The events after *seq*, the expiry rows *gone* and *expiries*, the pool's
        movements (see :meth:`cytolicense.Store.save`)."""
        partner = self.partner
        with self._db.cursor() as cur:
            cur.executemany(
                "INSERT INTO events (partner, client_id, seq, type, on_day, document) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (partner, client.id, seq + i, type(e).__name__, e.on, dumps(e))
                    for i, e in enumerate(change.events, start=1)
                ],
            )
            if gone:
                cur.executemany(
                    "DELETE FROM expiries WHERE partner = %s AND client_id = %s "
                    "AND maintenance_id = %s",
                    [(partner, client.id, mid) for mid in gone],
                )
            if expiries:
                cur.executemany(
                    "INSERT INTO expiries VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (partner, client_id, maintenance_id) DO UPDATE SET "
                    "starts_on = excluded.starts_on, expires_on = excluded.expires_on, "
                    "in_force_until = excluded.in_force_until",
                    [(partner, client.id, *r) for r in expiries],
                )
        self._pool_write(change.pool_events)

    def bulk(self, changes: Sequence[Change]) -> int:
        """Add many new clients in one transaction (see :meth:`cytolicense.Store.bulk`)."""
        clients, events, expiries = bulk_rows(self.partner, changes)
        try:
            with self._transaction(), self._db.cursor() as cur:
                cur.executemany(
                    "INSERT INTO clients (partner, id, version, ended_on, document, name, "
                    "deleted_on, shown_until, products, seq) "
                    "VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s)",
                    clients,
                )
                cur.executemany(
                    "INSERT INTO events (partner, client_id, seq, type, on_day, document) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    events,
                )
                cur.executemany("INSERT INTO expiries VALUES (%s, %s, %s, %s, %s, %s)", expiries)
        except StoreError as exc:
            if isinstance(exc.__cause__, self._psycopg.errors.UniqueViolation):
                for c in clients:
                    if c[1] in self:
                        raise ClientExistsError(c[1], None) from exc
            raise
        if len(clients) >= _ANALYZE_AFTER and not self._in_batch:
            # Fresh statistics after a large import: with the planner believing a new
            # partner has one client, joins (expiring) became scans of every client
            # per row (28 s instead of 80 ms for 20,000 clients).
            with self._transaction():
                self._db.execute("ANALYZE clients, events, expiries")
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
        """Light rows for list pages (see :meth:`cytolicense.Store.rows`)."""
        sql, args = rows_query(
            self.partner,
            today,
            shown=shown,
            search=search,
            limit=limit,
            after=after,
            placeholder="%s",
            name_like="lower(name) LIKE lower(%s)",
        )
        return client_rows(self._rows(sql, args), text_dates=False)

    # -- the pool ------------------------------------------------------------------------

    def _pool_write(self, events: Sequence[PoolChanged]) -> None:
        if events:
            with self._db.cursor() as cur:
                cur.executemany(_POOL_UPSERT, pool_event_rows(self.partner, events))
                cur.executemany(
                    "INSERT INTO pool_events (partner, document) VALUES (%s, %s)",
                    [(self.partner, dumps(e)) for e in events],
                )

    def pool(self) -> Pool:
        """The partner's licence pool (empty: nothing tracked)."""
        rows = self._rows(
            "SELECT item, period, seats FROM pools WHERE partner = %s ORDER BY item, period",
            (self.partner,),
        )
        return pool_of(rows)

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
        """Add *seats* of *item* for *period* (an atomic increment)."""
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
            self._pool_write([event])
        return self.pool()

    def pool_history(self) -> list[PoolChanged]:
        """Every movement of the partner's pool, oldest first."""
        rows = self._rows(
            "SELECT document FROM pool_events WHERE partner = %s ORDER BY seq", (self.partner,)
        )
        return [from_data(PoolChanged, json.loads(doc)) for (doc,) in rows]

    def expiring(self, today: dt.date, within_days: int = 30) -> list[Expiry]:
        """What :meth:`Engine.expiring` gives, answered from the expiry index."""
        from ..views._lifecycle import expiring

        rows = self._rows(*expiring_query(self.partner, today, within_days, "%s"))
        return expiring([self._read(cid, doc) for cid, doc in rows], today, within_days)


_POOL_UPSERT = POOL_UPSERT.format(p="%s")
_ANALYZE_AFTER = 1_000  # clients imported at once


def _safe(url: str) -> str:
    """*url* without its password."""
    head, sep, tail = url.partition("@")
    if not sep:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}"
