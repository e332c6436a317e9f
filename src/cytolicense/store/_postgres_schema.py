"""The PostgreSQL store's schema: its tables, their row-level security, and the
migrations from every older version.

:class:`PostgresSchema` (a part of :class:`~cytolicense.PostgresStore`) creates the
schema in a new database and migrates an older one to :data:`SCHEMA_VERSION`, one
host at a time (under an advisory lock), then checks that the login role acts for
the handle's partner, and fills what a migration left to each partner's first handle
(the expiry rows' columns, the folded names).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..core._exceptions import StoreError, said
from ._feed import settings_postgres
from ._marks import MARKS_POSTGRES
from ._outbox import feed_postgres
from ._rows import INSERT_ROWS, expiry_rows, fold
from ._team import team_postgres
from ._urls import safe as _safe

if TYPE_CHECKING:
    import psycopg

    from ..core._client_records import Client

__all__ = ["SCHEMA_VERSION", "PostgresSchema"]

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


class PostgresSchema:
    """The schema and migrations of :class:`~cytolicense.PostgresStore` (a part of it)."""

    if TYPE_CHECKING:
        url: str
        partner: str
        _db: psycopg.Connection[Any]

        def _transaction(self) -> AbstractContextManager[None]: ...
        def _read(self, client_id: str, document: str, partner: str | None = None) -> Client: ...
        def _sql(self, sql: str) -> str: ...

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
