"""A client store on PostgreSQL (psycopg 3), for services running on several hosts.

Same tables and promises as the SQLite :class:`~cytolicense.Store`: each handle acts
for one partner; a write is one transaction holding the client, its events and the
pool's movements; optimistic versions refuse lost updates; the pool is changed by
atomic increments (``seats = seats + n``), so two hosts consuming the same pool at
once lose no seat. Install with ``pip install 'cytolicense[postgres]'``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..core._client_records import Client
from ..core._exceptions import (
    ClientExistsError,
    ConnectionLostError,
    RetryableError,
    StoreError,
    said,
)
from ..core._pool import Pool, PoolChanged
from ..engine._change import Change
from ._feed import FeedRow
from ._marks import BUMP_IMPORTS
from ._postgres_audited import PostgresAudited, one_statement
from ._postgres_schema import SCHEMA_VERSION, PostgresSchema
from ._rows import (
    BULK_COLUMNS,
    INSERT_ROWS,
    ExpiryRow,
    bulk_rows,
    event_rows,
)
from ._urls import redact
from ._urls import safe as _safe

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]


class PostgresStore(PostgresSchema, PostgresAudited):
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
        if self._auditing:  # a batch or an import inside an audited block: a savepoint
            self._begin()
            try:
                with self._db.transaction():
                    yield
            except self._psycopg.Error as exc:
                raise self._error(exc) from exc
            return
        with self._outer_transaction():
            yield

    @contextmanager
    def _outer_transaction(self) -> Iterator[None]:
        """A transaction (BEGIN to COMMIT), the driver's errors the store's."""
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
        if self._db.broken and not self._in_batch and not self._begun:
            self.reconnect()

    def _query(self, sql: str, args: Sequence[object], doing: str = "") -> list[Any]:
        if self._waiting is not None:  # a read after an audited block's waiting save
            self._begin()
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

    @contextmanager
    def _writing(self, doing: str, *, alone: bool = False) -> Iterator[None]:
        self._revive()
        if self._auditing and not self._in_batch:
            # An audited block (see audited): one statement waits (a save) or is the
            # block's last (its entry) before the transaction begins; any other write
            # begins it. No savepoint: a write that fails fails the block.
            if not alone or self._waiting is not None:
                self._begin()
            with self._failing():
                try:
                    yield
                except self._psycopg.Error as exc:
                    raise self._error(exc) from exc
            return
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
        version: int | None,
    ) -> None:
        # The client's row, its events and its expiry rows in one statement: a round
        # trip is 50-60 us here, and a write in a batch took about seven.
        events = event_rows(self.partner, change.client.id, seq, change.events)
        seqs, types, days, documents = ([r[k] for r in events] for k in range(2, 6))
        lines = [[r[k] for r in expiries] for k in range(9)]
        # The feed's items are written by the statement itself, numbered under the
        # feed's lock (outside a batch; a batch numbers its items when it ends).
        fed = 0 if self._in_batch else len(events)
        params = (
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
        )
        if self._may_wait() and not change.pool_events:
            # An audited block's first write: it waits for the block's entry (audited).
            self._wait(self._sql(head), params, change.client.id, version)
            return
        row = self._db.execute(one_statement(self._sql(head)), params).fetchone()
        if row is None or row[0] != 1:
            raise self._lost(change.client.id, version)
        if self._in_batch:
            self._feed_write([(change.client.id, r[3], r[5]) for r in events])
        self._pool_change(change)

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
        if len(clients) >= _ANALYZE_AFTER and not self._in_batch and not self._auditing:
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
