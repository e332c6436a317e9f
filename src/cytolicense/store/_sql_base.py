"""The hooks a database gives the shared SQL store, and the helpers its parts share.

:class:`SqlBase` is what every part of :class:`~cytolicense.store._sql.SqlStore` (its
reads, list pages, writes and pool) stands on: the four small hooks a subclass gives
for its database (:meth:`~SqlBase._query`, :meth:`~SqlBase._exec`,
:meth:`~SqlBase._many`, :meth:`~SqlBase._writing`), the dialect constants, the state a
batch holds, and the helpers that translate the ``?`` markers, read a document and
name a corrupt one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..core._client_records import Client
from ..core._exceptions import DataError, StoreError, said
from ._serialize import from_data, loads, stored_client

__all__ = ["SqlBase"]

T = TypeVar("T")
R = TypeVar("R")


class _Behind:
    """A batch's saves not yet written: per client, (its version and state before
    the batch's first save, its version, state and event seq after the last); the
    events, in order."""

    __slots__ = ("clients", "events")

    def __init__(self) -> None:
        self.clients: dict[str, tuple[int, Client, int, Client, int]] = {}
        self.events: list[tuple[object, ...]] = []


@functools.lru_cache(maxsize=256)
def _dialect(sql: str, marker: str) -> str:
    return sql if marker == "?" else sql.replace("?", marker)


def _storable(value: object) -> bool:
    """Whether *value* can be an id in the database: text that UTF-8 can encode (a
    lone surrogate cannot, and so names no stored client)."""
    if type(value) is not str:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class SqlBase:
    """The hooks and shared helpers of :class:`~cytolicense.store._sql.SqlStore`."""

    _MARKER: ClassVar[str] = "?"
    _NAME_LIKE: ClassVar[str] = "name_key LIKE ? ESCAPE '\\'"
    _TEXT_DATES: ClassVar[bool] = True

    partner: str
    _loaded: dict[str, tuple[int, int, Client]]
    # Inside a batch: the clients read in this transaction, which the store holds
    # until it ends (SQLite: the write lock; PostgreSQL: FOR UPDATE), as (version,
    # event seq, client) current in the transaction, and the rows of their saves
    # held back to be written together (see _flush).
    _held: dict[str, tuple[int, int, Client]]
    _behind: _Behind | None = None
    # Why the transaction can no longer commit (a held-back write failed).
    _dead: str | None = None
    # A load inside a batch adds this to its SELECT (PostgreSQL: FOR UPDATE).
    _LOCK_ROW: ClassVar[str] = ""

    if TYPE_CHECKING:
        # The batch's held-back saves, written (SqlWrites).
        def _flush(self) -> None: ...

    # -- the hooks a database gives ----------------------------------------------------------

    def _where(self) -> str:
        """How error messages name the database (a path, a URL without its password)."""
        raise NotImplementedError

    def _query(self, sql: str, args: Sequence[object], doing: str) -> list[Any]:
        """Run a read; its driver errors become :class:`StoreError` naming *doing*."""
        raise NotImplementedError

    def _read_rows(
        self, sql: str, args: Sequence[object], doing: str, build: Callable[[Iterable[Any]], R]
    ) -> R:
        """Run a read and *build* its result from the rows, as they come where the
        driver streams them (SQLite); driver errors become :class:`StoreError`."""
        return build(self._query(sql, args, doing))

    def _exec(self, sql: str, args: Sequence[object]) -> int:
        """Run one write (inside :meth:`_writing`); the number of rows it touched."""
        raise NotImplementedError

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> int:
        """Run one write per row (inside :meth:`_writing`); the rows they touched."""
        raise NotImplementedError

    def _writing(self, doing: str, *, alone: bool = False) -> AbstractContextManager[None]:
        """A transaction (a savepoint inside a batch) whose driver errors become
        :class:`StoreError` naming *doing*; any error undoes what it wrote. *alone*:
        the block writes with one statement at most (:meth:`_write` without pool
        movements), which a database may run as its own transaction."""
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[None]:
        """A transaction, or a savepoint inside one."""
        raise NotImplementedError

    # What the change mark adds to tell a database made again in place (SQL).
    _INSTANCE: ClassVar[str] = "NULL"

    def _identity(self) -> str:
        """Which database this is, for what the process keeps of it (a forecast, with
        the change mark, which tells a database made again in its place)."""
        return self._where()

    def _holds_write_lock(self) -> bool:
        """Whether no other writer can change the partner's pool until this
        transaction ends (then the pool read once in it stays true)."""
        return False

    def _locking(self) -> None:
        """Called before a read that locks what it reads to the end of the transaction
        (PostgreSQL's ``FOR UPDATE``), so that it reads in the transaction it locks
        for (PostgreSQL's audited block begins its transaction then)."""

    def _holds_what_it_reads(self) -> bool:
        """Whether a client read now stays this transaction's until it ends (inside
        a batch: SQLite holds the write lock, PostgreSQL locks the row it reads)."""
        return False

    def _wrap(self, exc: BaseException, doing: str) -> BaseException:
        """*exc* as the :class:`StoreError` naming *doing* when it is the driver's."""
        return exc

    def _day(self, day: dt.date) -> object:
        """A date as this database's driver takes it (SQLite: ISO text)."""
        return day

    # -- helpers -----------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return _dialect(sql, self._MARKER)

    def _ask(self, sql: str, args: Sequence[object], doing: str) -> list[Any]:
        """A read that sees the batch's held-back rows (they are written first)."""
        if self._behind is not None:
            self._flush()
        return self._query(sql, args, doing)

    def _read(self, client_id: str, document: str, partner: str | None = None) -> Client:
        """The client of a stored *document*; a corrupt one is a :class:`StoreError`
        naming the row's *partner* (the handle's, unless said)."""
        try:
            return stored_client(document)
        except (DataError, ValueError, TypeError, KeyError, RecursionError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' of partner '{partner}' has a corrupt row: {cause}",
                path=self._where(),
                client_id=client_id,
                partner=self.partner if partner is None else partner,
                cause=exc,
            ) from exc

    def _version(self, client_id: str, value: object) -> int:
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError(f"not a version: {value!r}")
            return int(value)
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' has a corrupt version {version}",
                path=self._where(),
                client_id=client_id,
                version=repr(value),
            ) from exc

    def _documents(
        self, rows: Sequence[Sequence[Any]], cls: type[T], template: str, **values: object
    ) -> list[T]:
        """The *cls* documents of ``(seq, document)`` *rows*, in order; a corrupt one is a
        :class:`StoreError` said with *template* (which names ``{seq}`` and ``{cause}``)."""
        out: list[T] = []
        for seq, doc in rows:
            try:
                out.append(from_data(cls, loads(doc)))
            except (DataError, ValueError, TypeError, RecursionError) as exc:
                raise said(
                    StoreError, template, path=self._where(), seq=seq, cause=exc, **values
                ) from exc
        return out
