"""An audited write on PostgreSQL: a console's change and its audit entry as one
transaction, and in one statement when the change saves one client.

:meth:`PostgresAudited.audited` (a part of :class:`~cytolicense.PostgresStore`) is
what :class:`~cytolicense.Console` writes every change in, the change's audit entry
last (see :meth:`cytolicense.store._team.Team.audited`). It is no batch: a client
read in it is not locked (its save is checked against the version it was computed
from, as a save outside a batch is), the feed is numbered by each save and the pool
is moved under its lock at once, and its transaction begins with its first write
that cannot wait, not before its reads.

The first save of the block, when it is one statement (a client without pool
movements or idempotency key: its row, events, expiry rows and feed items, see
:func:`one_statement`), waits: when the entry follows it, the entry's row is added
to that statement, and the change and its entry are written by one statement, a
transaction by itself on the autocommit connection. ``Console.apply`` of such a
change is then two round trips: the client and the pool read together, then that
statement. Any other write of the block (a second save, a pool movement, a key, a
request's decision), or a read after the waiting save, begins the transaction and
writes the waiting save in it first; the entry is then one more statement in it.

Writes inside the block take no savepoint: a write that fails (other than a
:class:`KeyTakenError`, raised before its save wrote anything) fails the block,
which then keeps nothing even if its caller caught the error.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core._access import AuditEntry
from ..core._exceptions import KeyTakenError, StoreError, said
from ._postgres_batch import PostgresBatch
from ._rows import EXPIRY_COLUMNS, EXPIRY_SET

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresAudited", "one_statement"]


class _Waiting(NamedTuple):
    """A save's one statement, not yet run: its head (the client's INSERT, or its
    UPDATE checked against *version*) and its arguments."""

    head: str
    args: tuple[object, ...]
    client_id: str
    version: int | None


class PostgresAudited(PostgresBatch):
    """The audited writes of :class:`~cytolicense.PostgresStore` (a part of it)."""

    # Inside audited() (outside a batch): whether its transaction has begun (held
    # to the block's end by the exit stack), the save waiting for the entry, whether
    # the entry is being written (nothing of the block follows it), and why the
    # block can no longer commit.
    _auditing = False
    _begun = False
    _stack: contextlib.ExitStack | None = None
    _waiting: _Waiting | None = None
    _last = False
    _failed: str | None = None

    if TYPE_CHECKING:
        _db: psycopg.Connection[Any]

        def batch(self) -> AbstractContextManager[Any]: ...
        def _outer_transaction(self) -> AbstractContextManager[None]: ...

    @contextmanager
    def audited(self, entry: Callable[[], AuditEntry]) -> Iterator[Any]:
        """The writes of the ``with`` block, then the audit entry *entry* gives, as one
        transaction (both are kept or neither): one statement when the block saves
        one client without pool movements or key. Inside a batch, a batch of its own
        within it (a savepoint), as :meth:`batch` inside a batch is."""
        if self._in_batch or self._auditing:
            with self.batch():
                yield self
                self.write_audit(entry())
            return
        self._auditing = True
        self._stack = contextlib.ExitStack()
        try:
            with self._stack:  # the transaction, when a write begins it: committed last
                yield self
                self._alive()
                self._last = True
                self.write_audit(entry())  # with the waiting save, when there is one
                if self._waiting is not None:  # (write_audit replaced by a caller's)
                    with self._failing():
                        self._run_waiting(None)
                self._alive()
        finally:
            self._auditing = self._last = False
            self._stack = self._waiting = self._failed = None
            self._begun = False

    def _begin(self) -> None:
        """Begin the block's transaction (held to its end), and write the waiting save
        in it first."""
        if self._begun:
            return
        assert self._stack is not None
        self._stack.enter_context(self._outer_transaction())
        self._begun = True
        if self._waiting is not None:
            with self._failing():
                self._run_waiting(None)

    def _locking(self) -> None:
        # A read that locks (FOR UPDATE) holds its lock to the end of the block's
        # transaction, which begins now (outside a transaction it would lock nothing).
        if self._auditing and not self._in_batch:
            self._begin()

    def _may_wait(self) -> bool:
        """Whether a save's one statement may wait for the block's entry (the block's
        first write, its transaction not begun)."""
        return self._auditing and not self._in_batch and not self._begun

    def _wait(
        self, head: str, args: tuple[object, ...], client_id: str, version: int | None
    ) -> None:
        assert self._waiting is None
        self._waiting = _Waiting(head, args, client_id, version)

    def _run_waiting(self, entry: AuditEntry | None) -> None:
        """Run the waiting save's statement, with *entry*'s row when given; when it
        wrote no row, nothing was written (:meth:`_lost` says why)."""
        waiting, self._waiting = self._waiting, None
        assert waiting is not None
        args = waiting.args if entry is None else (*waiting.args, *self._audit_row(entry))
        try:
            row = self._db.execute(one_statement(waiting.head, entry is not None), args).fetchone()
        except Exception as exc:
            wrapped = self._wrap(exc, "saving a client")  # the driver's: the store's error
            if wrapped is exc:
                raise
            raise wrapped from exc
        if row is None or row[0] != 1:
            raise self._lost(waiting.client_id, waiting.version)

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """A write of the block: when it fails, the block keeps nothing (a taken key
        is refused before its save writes anything)."""
        try:
            yield
        except KeyTakenError:
            raise
        except BaseException as exc:
            self._failed = f"{type(exc).__name__}: {exc}"
            raise

    def _alive(self) -> None:
        if self._failed is not None:
            raise said(
                StoreError,
                "{path}: a write of the audited block failed ({cause}); nothing of it is kept",
                path=self._where(),
                cause=self._failed,
            )

    def write_audit(self, entry: AuditEntry) -> None:
        """Append *entry* to the partner's audit. As an audited block's entry (see
        :meth:`audited`): added to the statement of its waiting save, or written in
        its transaction, or alone when the block wrote nothing."""
        if self._auditing and not self._in_batch:
            if self._last and self._waiting is not None:
                with self._failing():
                    self._run_waiting(entry)  # the change and its entry: one statement
                return
            if not self._last:  # written in the middle of the block: in its transaction
                self._begin()
        super().write_audit(entry)


@functools.lru_cache(maxsize=128)
def one_statement(head: str, audited: bool = False) -> str:
    """*head* (the client's INSERT or version-checked UPDATE) with the change's events,
    the expiry rows it drops and those it writes, its feed items and, when *audited*,
    an audit entry's row, as one statement: each part runs only when *head* wrote the
    row (they read its RETURNING). The statement's count is 1 when it did, 0 when not
    (a taken id, another writer first): then nothing was written."""
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
        "unnest(%s::text[], %s::text[]) WITH ORDINALITY AS e(t, doc, i))"
        + (
            # The audit entry of the change, in the change's own statement.
            ", au AS (INSERT INTO audit (partner, at, operator, client_id, action, outcome, "
            "codes) SELECT %s, %s, %s, %s, %s, %s, %s FROM up)"
            if audited
            else ""
        )
        + " SELECT count(*) FROM up"
    )
