"""A client store on PostgreSQL (psycopg 3), for services running on several hosts.

Same tables and promises as the SQLite :class:`~cytolicense.Store`: each handle acts
for one partner; a write is one transaction holding the client, its events and the
pool's movements; optimistic versions refuse lost updates; the pool is changed by
atomic increments (``seats = seats + n``), so two hosts consuming the same pool at
once lose no seat. Install with ``pip install 'cytolicense[postgres]'``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..core._client_records import Client
from ..core._exceptions import (
    ClientExistsError,
    ConnectionLostError,
    NotFoundError,
    RetryableError,
    StoreError,
    said,
)
from ..core._pool import Pool, PoolChanged
from ..engine._engine import Change
from ._feed import FeedRow, settings_postgres
from ._marks import BUMP_IMPORTS, MARKS_POSTGRES
from ._outbox import feed_postgres
from ._rows import (
    BULK_COLUMNS,
    EXPIRY_COLUMNS,
    EXPIRY_SET,
    INSERT_ROWS,
    ExpiryRow,
    bulk_rows,
    dumps,
    event_rows,
    expiry_rows,
    fold,
)
from ._sql import SqlStore
from ._team import team_postgres
from ._urls import redact
from ._urls import safe as _safe

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cytolicense_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    partner TEXT NOT NULL, id TEXT COLLATE "C" NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    ended_on DATE NOT NULL, document TEXT NOT NULL, name TEXT NOT NULL,
    deleted_on DATE, shown_until DATE NOT NULL, products TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name_key TEXT GENERATED ALWAYS AS (lower(name)) STORED,
    PRIMARY KEY (partner, id));
CREATE INDEX IF NOT EXISTS clients_by_end ON clients (partner, ended_on);
CREATE INDEX IF NOT EXISTS clients_listing ON clients (partner, id)
    INCLUDE (name, deleted_on, ended_on, shown_until, products, name_key);
CREATE TABLE IF NOT EXISTS events (
    partner TEXT NOT NULL, client_id TEXT COLLATE "C" NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    on_day DATE NOT NULL, document TEXT NOT NULL, PRIMARY KEY (partner, client_id, seq),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS pools (
    partner TEXT NOT NULL, item TEXT NOT NULL, period TEXT NOT NULL, seats BIGINT NOT NULL,
    PRIMARY KEY (partner, item, period));
CREATE TABLE IF NOT EXISTS pool_events (
    partner TEXT NOT NULL, seq BIGINT NOT NULL, document TEXT NOT NULL,
    PRIMARY KEY (partner, seq));
CREATE TABLE IF NOT EXISTS expiries (
    partner TEXT NOT NULL, client_id TEXT COLLATE "C" NOT NULL, maintenance_id TEXT NOT NULL,
    starts_on DATE NOT NULL, expires_on DATE NOT NULL, in_force_until DATE NOT NULL,
    PRIMARY KEY (partner, client_id, maintenance_id),
    FOREIGN KEY (partner, client_id) REFERENCES clients (partner, id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS expiries_by_end ON expiries (partner, expires_on);
"""

_TABLES = ("clients", "events", "pools", "pool_events", "expiries")

# Row-level security: a second wall behind every query's own partner filter, bound
# to the role the application logs in as (R3 0/6 item 11). A role named in
# cytolicense_tenants acts for its partner and no other: the partner comes from the
# login role (session_user, which SET ROLE does not change), through a SECURITY
# DEFINER function that reads a table the application's roles cannot read or write.
# Only a role that owns the tables (an administrator, a single-tenant deployment, the
# test suite) picks its partner with the connection setting cytolicense.partner; any
# other role sees nothing. FORCE makes the policies bind the owner too; superusers
# bypass them.
_TENANTS = """
CREATE TABLE IF NOT EXISTS cytolicense_tenants (
    role_name TEXT PRIMARY KEY, partner TEXT NOT NULL CHECK (partner <> ''));
REVOKE ALL ON cytolicense_tenants FROM PUBLIC;
CREATE OR REPLACE FUNCTION cytolicense_partner() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {schema} AS $fn$
  SELECT CASE
    WHEN t.partner IS NOT NULL THEN t.partner
    WHEN pg_has_role(session_user,
                     (SELECT relowner FROM pg_class WHERE oid = '{schema}.clients'::regclass),
                     'MEMBER')
      THEN current_setting('cytolicense.partner', true)
  END
  FROM (SELECT (SELECT partner FROM {schema}.cytolicense_tenants
                WHERE role_name = session_user::text) AS partner) AS t
$fn$;
REVOKE ALL ON FUNCTION cytolicense_partner() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cytolicense_partner() TO PUBLIC;
"""
_RLS = _TENANTS + "".join(
    f"""
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS cytolicense_partner ON {t};
CREATE POLICY cytolicense_partner ON {t}
  USING (partner = cytolicense_partner())
  WITH CHECK (partner = cytolicense_partner());"""
    for t in _TABLES
)
_KEYS = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    partner TEXT NOT NULL, key TEXT NOT NULL, client_id TEXT NOT NULL,
    operation TEXT NOT NULL, change TEXT NOT NULL, created_on DATE NOT NULL,
    PRIMARY KEY (partner, key));
CREATE INDEX IF NOT EXISTS idempotency_keys_by_day ON idempotency_keys (partner, created_on);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS cytolicense_partner ON idempotency_keys;
CREATE POLICY cytolicense_partner ON idempotency_keys
  USING (partner = cytolicense_partner())
  WITH CHECK (partner = cytolicense_partner());
"""
"""Schema 7: each partner's idempotency keys (under the same row-level security)."""

_POOL_EVENTS_BY_PARTNER = """
ALTER TABLE pool_events DROP CONSTRAINT IF EXISTS pool_events_pkey;
ALTER TABLE pool_events ADD PRIMARY KEY (partner, seq);
ALTER TABLE pool_events ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE IF EXISTS pool_events_seq_seq;
"""
"""Schema 8: the pool's movements keyed by ``(partner, seq)``, numbered by the store
under the partner's pool lock (one after the partner's last), no longer by a sequence
taken at insert time; the numbers already given stay (they were unique and in
order), and a partner's history is read from the key."""

_EXPIRY_COLUMNS = """
ALTER TABLE expiries ADD COLUMN IF NOT EXISTS product TEXT,
    ADD COLUMN IF NOT EXISTS license_type TEXT, ADD COLUMN IF NOT EXISTS quantity INTEGER,
    ADD COLUMN IF NOT EXISTS suspended INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS grace INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expiries ALTER COLUMN maintenance_id TYPE TEXT COLLATE "C";
DROP INDEX IF EXISTS expiries_by_end;
CREATE INDEX IF NOT EXISTS expiries_listing ON expiries
    (partner, expires_on, client_id, maintenance_id)
    INCLUDE (starts_on, in_force_until, product, license_type, quantity, suspended);
CREATE INDEX IF NOT EXISTS expiries_by_grace ON expiries (partner, grace);
CREATE INDEX IF NOT EXISTS expiries_unfilled ON expiries (partner) WHERE product IS NULL;
"""
"""Schema 9: each expiry row carries what the expiring list and the forecast show of
its line (product, licence type, seats), whether it was ever suspended and its grace;
one covering index in the list's order (the maintenance id compared byte by byte, as
the client id) serves the list's keyset pages and the forecast's aggregate without the
documents (the index on ``(partner, expires_on)`` is its prefix, and goes); the index
on the grace gives the longest one, where the list's scan starts. The rows of a
database migrated to 9 get their new columns from the documents when a handle of
their partner first opens it (row-level security shows a handle its own partner's
rows alone): until then their product is NULL (``expiries_unfilled`` finds them)."""


def _policy(table: str) -> str:
    """The partner's row-level security on *table* (as every table has it)."""
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS cytolicense_partner ON {table};
CREATE POLICY cytolicense_partner ON {table}
  USING (partner = cytolicense_partner())
  WITH CHECK (partner = cytolicense_partner());"""


_FEED = feed_postgres(_policy)
"""Schema 10: the partner's event feed (positions in commit order, numbered from
``feed_heads``), its webhooks and their deliveries (under the same row-level
security)."""

_TEAM = team_postgres(_policy)
"""Schema 11: the client group column and its index (scoped lists filter in SQL),
operators, operation requests and the append-only audit."""

_SORTS = (
    """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'clients'::regclass
             AND attname = 'name_key' AND attgenerated <> '') THEN
    DROP INDEX IF EXISTS clients_listing;
    ALTER TABLE clients DROP COLUMN name_key;
  END IF;
END $$;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS name_key TEXT COLLATE "C";
DROP INDEX IF EXISTS clients_by_end;
CREATE INDEX IF NOT EXISTS clients_listing ON clients (partner, id)
    INCLUDE (name, deleted_on, ended_on, shown_until, products, name_key);
CREATE INDEX IF NOT EXISTS clients_sorted_by_name ON clients (partner, name_key, id)
    INCLUDE (name, deleted_on, ended_on, shown_until, products);
CREATE INDEX IF NOT EXISTS clients_sorted_by_end ON clients (partner, ended_on, id)
    INCLUDE (name, deleted_on, shown_until, products, name_key);
CREATE INDEX IF NOT EXISTS clients_unfolded ON clients (partner) WHERE name_key IS NULL;
CREATE INDEX IF NOT EXISTS clients_deleted ON clients (partner, deleted_on)
    WHERE deleted_on IS NOT NULL;
"""
    + MARKS_POSTGRES
    + _policy("change_marks")
)
"""Schema 12: the name a search compares and the name sort orders is the stored
folded name (Python's ``casefold``, written with every save: ``lower()`` missed
"Straße" for ``STRASSE``), no longer a generated ``lower(name)`` (the column is
dropped if generated, and added plain, compared byte by byte); list pages sorted by
it or by the last day of service read their own covering index from the page's key
(the index on ``(partner, ended_on)`` is the end sort's prefix, and goes);
``change_marks`` counts a partner's bulk imports (its change mark, with the feed's
head). A migrated database's rows get their folded name when a handle of their
partner first opens it (``clients_unfolded`` finds them), as schema 9's expiry rows."""

_SETTINGS = settings_postgres(_policy)
"""Schema 13: each partner's settings (the expiry notices' thresholds)."""

SCHEMA_VERSION = "13"
_MIGRATIONS = {
    # 2 -> 3: list pages (rows()) scan one covering index in id order, not the heap
    # holding the documents (monitoring rows 89 -> 59 ms at 100,000 clients, measured).
    "2": "CREATE INDEX IF NOT EXISTS clients_listing ON clients (partner, id) "
    "INCLUDE (name, deleted_on, ended_on, shown_until, products)",
    # 3 -> 4: a name search compares a stored lower-case name, also in the listing
    # index, instead of folding every name it passes (the benchmark's page of 50:
    # 0.46 -> 0.33 ms of server time at 100,000 clients).
    "3": "ALTER TABLE clients ADD COLUMN IF NOT EXISTS name_key TEXT "
    "GENERATED ALWAYS AS (lower(name)) STORED; "
    "DROP INDEX IF EXISTS clients_listing; "
    "CREATE INDEX clients_listing ON clients (partner, id) "
    "INCLUDE (name, deleted_on, ended_on, shown_until, products, name_key)",
    # 4 -> 5: two indexes no query reads (list pages read the listing index; a name
    # search is LIKE '%...%', which no B-tree serves) go: an UPDATE that cannot stay on
    # its page (most saves) wrote an entry into each.
    "4": "DROP INDEX IF EXISTS clients_by_shown; DROP INDEX IF EXISTS clients_by_name",
    # 5 -> 6: the partner bound to the login role (cytolicense_tenants), not to a
    # setting any connection may change.
    "5": _RLS,
    # 6 -> 7: idempotency keys.
    "6": _KEYS,
    # 7 -> 8: the pool's movements keyed and numbered per partner.
    "7": _POOL_EVENTS_BY_PARTNER,
    # 8 -> 9: the expiry index's own columns (the expiring list's pages, the forecast).
    "8": _EXPIRY_COLUMNS,
    # 9 -> 10: the event feed, webhooks and their deliveries.
    "9": _FEED,
    # 10 -> 11: client groups, operators, requests and the audit.
    "10": _TEAM,
    # 11 -> 12: the folded name, the sort indexes, the import counts.
    "11": _SORTS,
    # 12 -> 13: each partner's settings.
    "12": _SETTINGS,
}


class PostgresStore(SqlStore):
    """One partner's view of a PostgreSQL database of clients.

    Args:
        url: A ``postgresql://`` connection URL.
        partner: The partner this handle acts for.

    Raises:
        StoreError: psycopg is not installed, or the database cannot be reached.
    """

    _MARKER = "%s"
    _NAME_LIKE = "name_key LIKE ?"
    _TEXT_DATES = False
    _NUMBERED = True
    _GROUP_INDEX = ""
    _LOCK_OPERATORS = " FOR UPDATE"
    _LOCK_ROW = " FOR UPDATE"
    _CLAIM_LOCK = " FOR UPDATE OF d SKIP LOCKED"
    _QUEUE_LOCK = " FOR UPDATE SKIP LOCKED"
    # The clients table's oid in the change mark: tables made again (a restore with
    # --clean) are another database for the forecasts a process keeps.
    _INSTANCE = "'clients'::regclass::oid"

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
        self._pool_locked = False
        # Inside a batch, the pool as first read (without its lock) and the movements
        # held back to the batch's end, with those whose floor is then checked.
        self._pool_base: Pool | None = None
        # The pool with the first n pending movements credited: each movement is
        # credited once, not once per read (a day's run reads the pool twice a renewal).
        self._pool_view: tuple[int, Pool] | None = None
        self._pool_pending: list[PoolChanged] = []
        self._floor_pending: list[tuple[str, tuple[PoolChanged, ...]]] = []
        # Inside a batch, the feed items of its saves, numbered when it ends.
        self._feed_pending: list[FeedRow] = []
        self._temp_allowed: bool | None = None
        self._dead: str | None = None
        self._loaded: dict[str, tuple[int, int, Client]] = {}
        self._held: dict[str, tuple[int, int, Client]] = {}
        self._db = self._connect()
        try:
            self._install()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        """A new connection acting for the partner (a multi-host URL picks the server
        its ``target_session_attrs`` asks for)."""
        try:
            db = self._psycopg.connect(self.url, autocommit=True)
        except self._psycopg.Error as exc:
            raise said(
                ConnectionLostError,
                "{path}: cannot connect: {cause}",
                path=_safe(self.url),
                cause=redact(str(exc), self.url),
            ) from None
        try:
            db.execute("SELECT set_config('cytolicense.partner', %s, false)", (self.partner,))
        except self._psycopg.Error as exc:
            db.close()
            raise self._error(exc) from None
        return db

    def reconnect(self) -> None:
        """Replace a lost connection (after :class:`ConnectionLostError`: the server
        restarted, or failed over to a standby that a multi-host URL with
        ``target_session_attrs=read-write`` now finds). What the handle remembered
        of clients is forgotten.

        Raises:
            StoreError: inside a batch (the batch is lost with its connection: start
                it again).
            ConnectionLostError: no server answers yet.
        """
        if self._in_batch:
            raise said(StoreError, "{path}: cannot reconnect inside a batch", path=_safe(self.url))
        with contextlib.suppress(self._psycopg.Error):  # closing a broken connection
            self._db.close()
        self._loaded.clear()
        self._held.clear()
        self._pool_locked = False
        self._dead = None
        self._db = self._connect()
        if self._schema_version() == SCHEMA_VERSION:
            self._check_tenant()

    def _install(self) -> None:
        """Check the schema; create it (and its row-level security) in a new database."""
        found = self._schema_version()
        if found is None or found in _MIGRATIONS:
            # Create or migrate the schema once, one host at a time; a handle opening a
            # current database runs no DDL (DDL would lock tables other hosts use).
            with self._transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(4242)")
                found = self._schema_version()
                if found is None:
                    self._db.execute(_SCHEMA)
                    self._db.execute(self._schema_sql(_RLS))
                    self._db.execute(_KEYS)
                    self._db.execute(_EXPIRY_COLUMNS)
                    self._db.execute(_FEED)
                    self._db.execute(_TEAM)
                    self._db.execute(_SORTS)
                    self._db.execute(_SETTINGS)
                    self._db.execute(
                        "INSERT INTO cytolicense_meta VALUES ('schema', %s)", (SCHEMA_VERSION,)
                    )
                    found = SCHEMA_VERSION
                while found in _MIGRATIONS:
                    self._db.execute(self._schema_sql(_MIGRATIONS[found]))
                    found = str(int(found) + 1)
                    self._db.execute(
                        "UPDATE cytolicense_meta SET value = %s WHERE key = 'schema'", (found,)
                    )
        if found == SCHEMA_VERSION:
            self._check_tenant()
            self._fill_expiries()
            self._fill_names()
        if found != SCHEMA_VERSION:
            raise said(
                StoreError,
                "{path}: schema version {found} is not supported (this release reads "
                "{first} to {last})",
                path=_safe(self.url),
                found=found,
                first=min(_MIGRATIONS, default=SCHEMA_VERSION),
                last=SCHEMA_VERSION,
            )

    def _fill_expiries(self) -> None:
        """Give the partner's expiry rows of before schema 9 their new columns, from
        the documents, in one transaction (once: then no row of it lacks them)."""
        if not self._db.execute(
            "SELECT 1 FROM expiries WHERE partner = %s AND product IS NULL LIMIT 1",
            (self.partner,),
        ).fetchone():
            return
        with self._transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(4243, hashtext(%s))", (self.partner,))
            rows = self._db.execute(
                "SELECT id, document FROM clients WHERE partner = %s AND id IN (SELECT "
                "client_id FROM expiries WHERE partner = %s AND product IS NULL)",
                (self.partner, self.partner),
            ).fetchall()
            for client_id, document in rows:
                try:
                    client = self._read(client_id, document)
                except StoreError:
                    continue  # reported when read; its rows stay as they were
                with self._db.cursor() as cur:
                    cur.execute(
                        "DELETE FROM expiries WHERE partner = %s AND client_id = %s",
                        (self.partner, client_id),
                    )
                    cur.executemany(
                        self._sql(INSERT_ROWS["expiries"]),
                        [(self.partner, client_id, *r) for r in expiry_rows(client)],
                    )

    def _fill_names(self) -> None:
        """Give the partner's clients of before schema 12 their folded name (as a save
        writes it), in one transaction (once: then none lacks it)."""
        if not self._db.execute(
            "SELECT 1 FROM clients WHERE partner = %s AND name_key IS NULL LIMIT 1",
            (self.partner,),
        ).fetchone():
            return
        with self._transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(4244, hashtext(%s))", (self.partner,))
            rows = self._db.execute(
                "SELECT id, name FROM clients WHERE partner = %s AND name_key IS NULL",
                (self.partner,),
            ).fetchall()
            for start in range(0, len(rows), 10_000):
                chunk = rows[start : start + 10_000]
                self._db.execute(
                    "UPDATE clients AS c SET name_key = u.k FROM unnest(%s::text[], "
                    "%s::text[]) AS u(id, k) WHERE c.partner = %s AND c.id = u.id "
                    "AND c.name_key IS NULL",
                    ([r[0] for r in chunk], [fold(r[1]) for r in chunk], self.partner),
                )

    def _schema_sql(self, sql: str) -> str:
        """*sql* with ``{schema}`` naming the schema the tables are in (quoted)."""
        if "{schema}" not in sql:
            return sql
        row = self._db.execute("SELECT quote_ident(current_schema())").fetchone()
        assert row is not None
        return sql.replace("{schema}", str(row[0]))

    def _check_tenant(self) -> None:
        """Refuse a handle whose login role acts for another partner, or for none."""
        row = self._db.execute(
            "SELECT cytolicense_partner(), session_user::text, "
            "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)"
        ).fetchone()
        assert row is not None
        bound, role, superuser = row
        if superuser or bound == self.partner:
            return
        raise said(
            StoreError,
            "{path}: the role '{role}' does not act for partner '{partner}' (it acts for "
            "{bound}): each partner's role is named in cytolicense_tenants",
            path=_safe(self.url),
            role=role,
            partner=self.partner,
            bound=f"'{bound}'" if bound else "none",
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
            if self._dead is not None:
                raise self._dead_batch()
            marks = len(self._pool_pending), len(self._floor_pending), len(self._feed_pending)
            try:
                with self._db.transaction():  # a savepoint inside the batch
                    yield
            except BaseException:
                # The savepoint undid its writes: its held-back pool movements go too.
                del self._pool_pending[marks[0] :], self._floor_pending[marks[1] :]
                self._pool_view = None
                del self._feed_pending[marks[2] :]
                raise
            return
        self._revive()
        try:
            with self._db.transaction():
                yield
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    @contextmanager
    def batch(self) -> Iterator[PostgresStore]:
        """One transaction for every write inside the ``with`` block: all or nothing."""
        if self._in_batch:
            try:
                with self._inner_batch():
                    yield self
            except BaseException:
                self._pool_locked = False  # its savepoint may have held the pool's lock
                raise
            return
        try:
            with self._transaction():
                self._in_batch = True
                try:
                    yield self
                    self._flush()  # the batch's held-back saves
                    if self._dead is not None:  # a failure the caller went on from
                        raise self._dead_batch()
                    self._write_feed_pending()
                    self._write_pool_pending()
                finally:
                    self._in_batch = self._pool_locked = False
                    self._pool_base = self._pool_view = None
                    self._pool_pending, self._floor_pending = [], []
                    self._feed_pending = []
                    self._forget()
        finally:
            self._dead = None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the hooks of the shared store (SqlStore) ----------------------------------------------

    def _where(self) -> str:
        return _safe(self.url)

    def _revive(self) -> None:
        """Connect again when the last call found the connection lost (the server
        restarted): the handle's next call works once the server is back, batch or
        not (a batch's connection is gone with the batch)."""
        if self._db.broken and not self._in_batch:
            self.reconnect()

    def _query(self, sql: str, args: Sequence[object], doing: str = "") -> list[Any]:
        self._revive()
        try:
            return self._db.execute(sql, args).fetchall()
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    def _exec(self, sql: str, args: Sequence[object]) -> int:
        return int(self._db.execute(sql, args).rowcount)

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        with self._db.cursor() as cur:
            cur.executemany(sql, rows)
            return int(cur.rowcount)

    def _error(self, exc: BaseException) -> StoreError:
        """A driver error as the :class:`StoreError` naming the database: a
        :class:`RetryableError` for what another try may get through (a deadlock, a
        serialization failure, a lock timeout), a :class:`ConnectionLostError` for a
        lost connection or a server shutting down."""
        kind = _error_kind(self._psycopg, exc, self._db)
        return said(kind, "{path}: {cause}", path=_safe(self.url), cause=redact(str(exc), self.url))

    def _wrap(self, exc: BaseException, doing: str) -> BaseException:
        return self._error(exc) if isinstance(exc, self._psycopg.Error) else exc

    def _holds_what_it_reads(self) -> bool:
        # A load in a batch locks the client's row (FOR UPDATE) until the batch ends.
        return self._in_batch

    def _holds_write_lock(self) -> bool:
        return self._pool_locked

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

    @contextmanager
    def _writing(self, doing: str, *, alone: bool = False) -> Iterator[None]:
        self._revive()
        if alone and not self._in_batch:
            # One statement (the client's row, events and expiry rows: see _write) is a
            # transaction by itself on this autocommit connection: no BEGIN and no
            # COMMIT, two round trips fewer a save.
            try:
                yield
            except self._psycopg.Error as exc:
                raise self._error(exc) from exc
            return
        with self._transaction():
            yield

    def _write(
        self,
        head: str,
        args: Sequence[object],
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[ExpiryRow],
    ) -> bool:
        # The client's row, its events and its expiry rows in one statement: a round
        # trip is 50-60 us here, and a write in a batch took about seven.
        events = event_rows(self.partner, change.client.id, seq, change.events)
        seqs, types, days, documents = ([r[k] for r in events] for k in range(2, 6))
        lines = [[r[k] for r in expiries] for k in range(9)]
        # The feed's items are written by the statement itself, numbered under the
        # feed's lock (outside a batch; a batch numbers its items when it ends).
        fed = 0 if self._in_batch else len(events)
        row = self._db.execute(
            _one_statement(self._sql(head)),
            (
                *args,
                self.partner,
                seqs,
                types,
                days,
                documents,
                self.partner,
                list(gone),
                self.partner,
                *lines,
                self.partner,
                fed,
                fed,
                self.partner,
                fed,
                types,
                documents,
            ),
        ).fetchone()
        if row is None or row[0] != 1:
            return False
        if self._in_batch:
            self._feed_write([(change.client.id, r[3], r[5]) for r in events])
        self._pool_change(change)
        return True

    # -- writes only PostgreSQL has --------------------------------------------------------

    def bulk(self, changes: Sequence[Change]) -> int:
        """Add many new clients in one transaction (see :meth:`cytolicense.Store.bulk`).

        100 clients or more are copied into temporary tables first (``COPY``), which
        needs the role's ``TEMPORARY`` privilege; without it the rows are inserted
        with ``INSERT`` statements. Either way, all or nothing.
        """
        clients, events, expiries = bulk_rows(self.partner, changes)
        rows = dict(zip(BULK_COLUMNS, (clients, events, expiries), strict=True))
        try:
            with self._transaction(), self._db.cursor() as cur:
                if len(clients) >= _COPY_AFTER and self._may_copy():
                    # COPY into temporary tables, then one INSERT ... SELECT a table:
                    # row-level security refuses COPY into the tables themselves, and
                    # the INSERT still passes its policy. 1.2-1.4x the pipelined
                    # INSERTs below at 20,000 and 100,000 clients, alternated.
                    cur.execute(_BULK_TEMP)
                    for table, data in rows.items():
                        with cur.copy(f"COPY cytolicense_bulk_{table} FROM STDIN") as copy:
                            for row in data:
                                copy.write_row(row)
                    cur.execute(_BULK_FROM_TEMP)
                else:
                    for table, data in rows.items():
                        cur.executemany(self._sql(INSERT_ROWS[table]), data)
                cur.execute(self._sql(BUMP_IMPORTS), (self.partner,))  # the change mark
        except StoreError as exc:
            if isinstance(exc.__cause__, self._psycopg.errors.UniqueViolation):
                for c in clients:
                    if c[1] in self:
                        raise ClientExistsError(c[1], None) from exc
            raise
        if len(clients) >= _ANALYZE_AFTER and not self._in_batch:
            # Fresh statistics after a large import: with the planner believing a new
            # partner has one client, joins (expiring) became scans of every client
            # per row (28 s instead of 80 ms for 20,000 clients). VACUUM also marks
            # the new rows all-visible, so list pages scan the covering index alone.
            # Outside any transaction (VACUUM refuses one); the connection autocommits.
            try:
                self._db.execute("VACUUM (ANALYZE) clients, events, expiries")
            except self._psycopg.Error as exc:
                raise self._error(exc) from exc
        return len(clients)

    def _may_copy(self) -> bool:
        """Whether this connection's role may create temporary tables (the fast bulk
        path needs them; a role without the privilege gets the INSERTs)."""
        if self._temp_allowed is None:
            row = self._db.execute(
                "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
            ).fetchone()
            self._temp_allowed = bool(row and row[0])
        return self._temp_allowed


_ANALYZE_AFTER = 1_000  # clients imported at once
_COPY_AFTER = 100  # clients imported at once: a few stay with the INSERTs (not measured)

# Dropped at the end of the import (not ON COMMIT: two imports in one batch).
_BULK_TEMP = "".join(
    f"CREATE TEMPORARY TABLE cytolicense_bulk_{table} AS "
    f"SELECT {columns} FROM {table} WITH NO DATA; "
    for table, columns in BULK_COLUMNS.items()
)
_BULK_FROM_TEMP = (
    "".join(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM cytolicense_bulk_{table}; "
        for table, columns in BULK_COLUMNS.items()
    )
    + "DROP TABLE "
    + ", ".join(f"cytolicense_bulk_{table}" for table in BULK_COLUMNS)
)

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


@functools.lru_cache(maxsize=64)
def _one_statement(head: str) -> str:
    """*head* (the client's INSERT or version-checked UPDATE) with the change's events,
    the expiry rows it drops and those it writes, as one statement: each part runs only
    when *head* wrote the row (they read its RETURNING). The statement's count is 1 when
    it did, 0 when not (a taken id, another writer first): then nothing was written."""
    return (
        f"WITH up AS ({head} RETURNING id), "
        "ev AS (INSERT INTO events (partner, client_id, seq, type, on_day, document) "
        "SELECT %s, up.id, e.s, e.t, e.d, e.doc FROM up, "
        "unnest(%s::integer[], %s::text[], %s::date[], %s::text[]) AS e(s, t, d, doc)), "
        "gone AS (DELETE FROM expiries x USING up WHERE x.partner = %s "
        "AND x.client_id = up.id AND x.maintenance_id = ANY(%s::text[])), "
        f"ex AS (INSERT INTO expiries ({EXPIRY_COLUMNS}) SELECT %s, up.id, r.m, r.s, r.e, "
        "r.u, r.p, r.l, r.q, r.x, r.g FROM up, unnest(%s::text[], %s::date[], %s::date[], "
        "%s::date[], %s::text[], %s::text[], %s::integer[], %s::integer[], %s::integer[]) "
        "AS r(m, s, e, u, p, l, q, x, g) "
        f"ON CONFLICT (partner, client_id, maintenance_id) DO UPDATE SET {EXPIRY_SET}), "
        # The events' feed positions: the partner's head row moved on by their count
        # (locked to the commit: positions in commit order), then the items after it.
        "hd AS (INSERT INTO feed_heads (partner, position) SELECT %s, %s FROM up "
        "WHERE %s > 0 ON CONFLICT (partner) DO UPDATE SET position = feed_heads.position "
        "+ excluded.position RETURNING position), "
        "fd AS (INSERT INTO feed (partner, position, client_id, type, document) "
        "SELECT %s, hd.position - %s + e.i, up.id, e.t, e.doc FROM up, hd, "
        "unnest(%s::text[], %s::text[]) WITH ORDINALITY AS e(t, doc, i)) "
        "SELECT count(*) FROM up"
    )


_RETRYABLE = frozenset({"40001", "40P01", "55P03", "57014"})
"""SQLSTATEs another try may get through: serialization failure, deadlock detected,
lock not available, a statement cancelled (a lock or statement timeout)."""
_GOING_AWAY = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006"})
"""The server shutting down or restarting, the connection gone."""


def _error_kind(psycopg: Any, exc: BaseException, db: Any) -> type[StoreError]:
    state = getattr(exc, "sqlstate", None)
    if state in _RETRYABLE:
        return RetryableError
    if state in _GOING_AWAY or (
        isinstance(exc, psycopg.OperationalError)
        and (getattr(db, "closed", False) or getattr(db, "broken", False))
    ):
        return ConnectionLostError
    return StoreError
