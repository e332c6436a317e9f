"""An embedded client store on SQLite: clients, their events, optimistic concurrency.

This is shell code around the pure core. Every handle belongs to one partner;
another partner's clients do not exist for it. Each write is one transaction
holding the new client state and its events together (or, inside
:meth:`Store.batch`, one transaction for many writes).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core._client_records import Client
from ..core._exceptions import (
    ClientExistsError,
    RetryableError,
    StoreError,
    said,
)
from ..engine._change import Change
from ._marks import BUMP_IMPORTS
from ._rows import INSERT_ROWS, bulk_rows
from ._sql import SqlStore
from ._sqlite_schema import NEW_INSTANCE, SqliteSchema
from ._team import TEAM_TABLES

if TYPE_CHECKING:
    pass

R = TypeVar("R")

__all__ = [
    "Store",
    "copy_database",
    "renew_instance",
    "verify_database",
]


class Store(SqliteSchema, SqlStore):
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

    # The database's own random id in its change mark (a file restored in place gets
    # a new one: see :func:`renew_instance`).
    _INSTANCE = "(SELECT value FROM meta WHERE key = 'instance')"

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
        self._held: dict[str, tuple[int, int, Client]] = {}
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
            self._install()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._error(exc, "opening the database") from exc
        except BaseException:
            self._db.close()
            raise
        self.journal_mode = str(mode)

    # -- plumbing ------------------------------------------------------------------------

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
            # Another writer held the file for longer than the timeout; nothing was
            # written (a failed COMMIT is rolled back): the caller may try again.
            return said(
                RetryableError,
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
            raise self._dead_batch()
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
            self._flush()  # the batch's held-back saves (a StoreError kills the batch)
            if self._dead is not None:  # a failure the caller caught and went on from
                raise self._dead_batch()
        except BaseException as exc:
            self._depth = 0
            self._forget()
            dead, self._dead = self._dead, None
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            elif dead is None and isinstance(exc, sqlite3.Error):
                raise self._error(exc, "writing") from exc
            raise
        self._depth = 0
        self._forget()
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
        """One transaction for every write inside the ``with`` block: all or nothing.

        Clients read inside it are the batch's until it ends, and their saves are
        written together when it ends (see :meth:`save`)."""
        if not self._depth:
            with self._transaction():
                yield self
            return
        with self._inner_batch():
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

    # -- the hooks of the shared store (SqlStore) ----------------------------------------------

    def _where(self) -> str:
        return str(self.path)

    def _identity(self) -> str:
        return os.path.abspath(self.path)

    def _query(self, sql: str, args: Sequence[object], doing: str) -> list[Any]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, doing) from exc

    def _read_rows(
        self, sql: str, args: Sequence[object], doing: str, build: Callable[[Iterable[Any]], R]
    ) -> R:
        # From the cursor as SQLite steps: each row is built while fresh (a list of
        # 650,000 fetched rows read again afterwards cost 10% more, measured).
        try:
            return build(self._db.execute(sql, args))
        except sqlite3.Error as exc:
            raise self._error(exc, doing) from exc

    def _exec(self, sql: str, args: Sequence[object]) -> int:
        return int(self._db.execute(sql, args).rowcount)

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        return int(self._db.executemany(sql, rows).rowcount)

    @contextmanager
    def _writing(self, doing: str, *, alone: bool = False) -> Iterator[None]:
        with self._transaction():
            try:
                yield
            except sqlite3.Error as exc:
                raise self._error(exc, doing) from exc

    def _day(self, day: dt.date) -> object:
        return day.isoformat()

    def _holds_write_lock(self) -> bool:
        # BEGIN IMMEDIATE holds SQLite's write lock until the transaction ends.
        return self._depth > 0

    def _holds_what_it_reads(self) -> bool:
        # In a batch no other connection can write before it ends (the write lock).
        return self._depth > 0

    # -- writes only SQLite has ------------------------------------------------------------

    def verify(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``, then :meth:`SqlStore.verify` (every
        client, its events, its indexed rows and the pool agree)."""
        try:
            checked = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            return [f"{self.path}: the integrity check failed: {exc}"]
        problems = [] if checked == ["ok"] else [f"{self.path}: {line}" for line in checked]
        return problems + super().verify()

    def backup(self, destination: str | os.PathLike[str], *, pages: int = 1024) -> Path:
        """A consistent copy of the whole database file at *destination*, taken with
        SQLite's online backup API while other connections go on writing (never a
        copy of the file: a copy taken mid-write is not a database). The copy is of
        one moment: every client at a version it really had. Refuses to overwrite.

        Args:
            pages: Pages copied per step; writers wait only for a step, not the copy.

        Raises:
            StoreError: *destination* exists, or the copy failed (nothing is left).
        """
        target = Path(destination)
        if target.exists():
            raise said(StoreError, "{path}: already exists; nothing was copied", path=target)
        partial = target.with_name(target.name + ".partial")
        try:
            copy = sqlite3.connect(partial)
            try:
                self._db.backup(copy, pages=pages)
            finally:
                copy.close()
            os.replace(partial, target)
        except (sqlite3.Error, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise said(
                StoreError, "{path}: the backup failed: {cause}", path=target, cause=exc
            ) from exc
        return target

    def mark_demo(self) -> None:
        """Mark the file as a demo database (``cytolicense demo`` replaces only those)."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', '1')")

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
                for table, rows in zip(INSERT_ROWS, (clients, events, expiries), strict=True):
                    self._db.executemany(INSERT_ROWS[table], rows)
                self._db.execute(BUMP_IMPORTS, (self.partner,))  # the change mark
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


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED


class _GaveUp(Exception):
    """The bounded wait of :func:`copy_database` ran out."""


def renew_instance(path: str | os.PathLike[str], *, timeout: float = 5.0) -> None:
    """Give the SQLite database at *path* a new identity: what a process kept of it
    (forecasts, against their change marks) is not taken for it any more. A restore
    does it to the file it installs, whose marks may repeat those of the file it
    replaced with other data."""
    with closing(sqlite3.connect(path, timeout=timeout)) as db, db:
        db.execute(NEW_INSTANCE)


def copy_database(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    wait: float,
    locked: str | os.PathLike[str],
) -> None:
    """Copy the SQLite database *source* over *target* with the online backup API, all
    in one step: the whole copy commits in *target*, or nothing of it does. *source* is
    opened read-only.

    Another connection's lock is waited for at most *wait* seconds (SQLite's own
    backup loop would wait for ever), then :class:`StoreError` names *locked*: the
    file the caller does not own (the other one is its private copy), which the
    error of a failed copy names too.
    """
    deadline = time.monotonic() + wait

    def progress(status: int, remaining: int, total: int) -> None:
        if status in _BUSY and time.monotonic() >= deadline:
            raise _GaveUp

    try:
        src = sqlite3.connect(
            f"{Path(source).resolve().as_uri()}?mode=ro", uri=True, timeout=min(wait, 1.0)
        )
        try:
            dst = sqlite3.connect(target, timeout=min(wait, 1.0))
            try:
                src.backup(dst, pages=-1, progress=progress, sleep=0.05)
            finally:
                dst.close()
        finally:
            src.close()
    except _GaveUp:
        raise said(
            StoreError,
            "{path}: another connection held its lock for {seconds} s; gave up, nothing "
            "was restored (stop the writer, or give restore a longer --wait)",
            path=Path(locked),
            seconds=wait,
        ) from None
    except sqlite3.Error as exc:
        raise said(
            StoreError, "{path}: the copy failed: {cause}", path=Path(locked), cause=exc
        ) from exc


def verify_database(path: str | os.PathLike[str], *, timeout: float = 5.0) -> list[str]:
    """What disagrees with itself in the SQLite database at *path*, for *every*
    partner it holds (a restore installs them all): SQLite's integrity check once, then
    :meth:`SqlStore.verify` of each partner, each sentence naming its partner. Opens the
    file as a store (an older schema is migrated)."""
    with Store(path, "-", timeout=timeout) as store:
        try:
            checked = [row[0] for row in store._db.execute("PRAGMA integrity_check")]
            names = [
                row[0]
                for row in store._db.execute(
                    " UNION ".join(f"SELECT partner FROM {table}" for table in _PARTNER_TABLES)
                    + " ORDER BY 1"
                )
            ]
        except sqlite3.DatabaseError as exc:
            return [f"{store.path}: the integrity check failed: {exc}"]
    problems = [] if checked == ["ok"] else [f"{Path(path)}: {line}" for line in checked]
    for partner in names:
        if not isinstance(partner, str) or not partner.strip():
            problems.append(f"{Path(path)}: rows of a partner named {partner!r}")
            continue
        with Store(path, partner, timeout=timeout) as store:
            problems += [f"partner '{partner}': {line}" for line in SqlStore.verify(store)]
    return problems


_PARTNER_TABLES = (
    "clients",
    "events",
    "pools",
    "pool_events",
    "expiries",
    "idempotency_keys",
    "feed",
    "change_marks",
    "webhooks",
    "partner_settings",
    *TEAM_TABLES,
)
"""Every table holding a partner's rows."""
