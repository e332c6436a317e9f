"""What the SQLite and PostgreSQL stores share: every query and write, once.

:class:`SqlStore` holds the store protocol's logic over four small hooks a
subclass gives for its database: :meth:`~SqlStore._query` (a read, errors named),
:meth:`~SqlStore._exec` and :meth:`~SqlStore._many` (writes, inside
:meth:`~SqlStore._writing`, the transaction or savepoint that maps the driver's
errors to :class:`StoreError`), and the dialect constants (the parameter marker,
the case-insensitive name match, whether dates come back as text). Statements are
written with ``?`` markers and translated once per dialect.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..core._access import Grant
from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import Event, replay
from ..core._exceptions import (
    ClientExistsError,
    ConflictError,
    DataError,
    KeyTakenError,
    NotFoundError,
    PoolShortageError,
    StoreError,
    said,
)
from ..core._period import Period
from ..core._pool import Pool, PoolChanged, replay_pool
from ..engine._engine import Change, Engine
from ._marks import FORECASTS, MARK_QUERY
from ._outbox import Outbox
from ._protocol import ClientRow, KeyRecord
from ._queries import (
    CorruptRow,
    client_rows,
    end_parts,
    expiring_page_query,
    forecast_query,
    pool_of,
    pool_tail_query,
    rows_query,
)
from ._rows import (
    EXPIRY_DELETE,
    EXPIRY_UPSERT,
    INSERT_ROWS,
    POOL_UPSERT,
    PROJECTED,
    ExpiryRow,
    check_change,
    columns,
    dumps,
    event_rows,
    expiry_rows,
    follows,
    pool_event_rows,
    update_plan,
    update_sql,
)
from ._serialize import compact, from_data, from_json, loads, stored_client, to_data
from ._team import Team

if TYPE_CHECKING:
    from ..views._lifecycle import ExpiringPage, Expiry, Forecast

__all__ = ["SqlStore"]

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


@functools.lru_cache(maxsize=64)
def _load_many_sql(count: int, lock: str, marker: str) -> str:
    marks = ", ".join("?" * count)
    sql = f"SELECT document, version, seq, id FROM clients WHERE partner = ? AND id IN ({marks})"
    return _dialect.__wrapped__(f"{sql} ORDER BY id{lock}", marker)


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


def _iso(value: object) -> str:
    """A stored day as ISO text (SQLite keeps text, PostgreSQL dates)."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class SqlStore(Outbox, Team):
    """The store protocol over SQL, for one partner (see :class:`ClientStore`); the
    feed and the webhooks' outbox come from :class:`Outbox`."""

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

    def _holds_what_it_reads(self) -> bool:
        """Whether a client read now stays this transaction's until it ends (inside
        a batch: SQLite holds the write lock, PostgreSQL locks the row it reads)."""
        return False

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

    # -- reads -------------------------------------------------------------------------------

    def load(self, client_id: str) -> tuple[Client, int]:
        """The client and its version; :class:`NotFoundError` if this partner has none.

        Inside a batch the client read stays the batch's until it ends (PostgreSQL
        locks its row; SQLite's batch holds the write lock): reading it again gives
        the batch's own latest state without a query, and its saves are checked
        against that state and written with the batch's other saves (see
        :meth:`save`)."""
        held = self._held.get(client_id)
        if held is not None:
            return held[2], held[0]
        if not _storable(client_id):  # no stored client has such an id
            raise NotFoundError(self.partner, client_id)
        holds = self._holds_what_it_reads()
        # Not held, so none of its rows is held back: no need to write them first.
        rows = self._query(
            self._sql(
                "SELECT document, version, seq FROM clients WHERE partner = ? AND id = ?"
                + (self._LOCK_ROW if holds else "")
            ),
            (self.partner, client_id),
            "reading a client",
        )
        if not rows:
            raise NotFoundError(self.partner, client_id)
        return self._remember(client_id, rows[0], holds)

    def _remember(self, client_id: str, row: Sequence[Any], holds: bool) -> tuple[Client, int]:
        """The client and version of a ``(document, version, seq, ...)`` *row*, held by
        the batch when it *holds* what it reads, remembered for the next save."""
        version = self._version(client_id, row[1])
        seq = self._version(client_id, row[2])
        client = self._read(client_id, row[0])
        if holds:
            self._held[client_id] = (version, seq, client)
        # Remembered so that saving a change made from this version need not read and
        # parse the document again (the UPDATE checks the version, atomically).
        if len(self._loaded) >= 1024:
            self._loaded.clear()
        self._loaded[client_id] = (version, seq, client)
        return client, version

    def get(self, client_id: str) -> Client:
        """The client *client_id*; :class:`NotFoundError` if this partner has none."""
        return self.load(client_id)[0]

    def load_many(self, client_ids: Iterable[str]) -> dict[str, tuple[Client, int]]:
        """The clients of *client_ids* that this partner has (unknown ids are left
        out), each with its version, in the order asked: one query per 500 ids.
        Inside a batch they are the batch's until it ends, as with :meth:`load`
        (PostgreSQL locks their rows, in id order so two batches never deadlock)."""
        wanted = list(dict.fromkeys(client_ids))
        found: dict[str, tuple[Client, int]] = {}
        todo = []
        for client_id in wanted:
            held = self._held.get(client_id)
            if held is not None:
                found[client_id] = (held[2], held[0])
            else:
                todo.append(client_id)
        todo.sort()
        holds = self._holds_what_it_reads()
        lock = self._LOCK_ROW if holds else ""
        for start in range(0, len(todo), 500):
            part = todo[start : start + 500]
            rows = self._query(
                _load_many_sql(len(part), lock, self._MARKER),
                (self.partner, *part),
                "reading clients",
            )
            for row in rows:
                found[row[3]] = self._remember(row[3], row, holds)
        return {client_id: found[client_id] for client_id in wanted if client_id in found}

    def load_with_pool(self, client_id: str) -> tuple[Client, int, Pool]:
        """What an operation needs, read together: the client, its version and the
        partner's pool (:class:`~cytolicense.Console` uses it). PostgreSQL reads them
        with one statement outside a batch (one round trip instead of two)."""
        client, version = self.load(client_id)
        return client, version, self.pool()

    def __contains__(self, client_id: object) -> bool:
        if not _storable(client_id):
            return False
        return bool(
            self._ask(
                self._sql("SELECT 1 FROM clients WHERE partner = ? AND id = ?"),
                (self.partner, client_id),
                "looking up a client",
            )
        )

    def __len__(self) -> int:
        rows = self._ask(
            self._sql("SELECT count(*) FROM clients WHERE partner = ?"),
            (self.partner,),
            "counting clients",
        )
        return int(rows[0][0])

    def clients(self) -> list[Client]:
        """Every client of the partner, by id."""
        rows = self._ask(
            self._sql("SELECT id, document FROM clients WHERE partner = ? ORDER BY id"),
            (self.partner,),
            "listing clients",
        )
        return [self._read(cid, doc) for cid, doc in rows]

    def monitoring(self, today: dt.date) -> list[Client]:
        """The clients the monitoring list shows on *today*, by id (the 90-day rules)."""
        days = min(RETENTION_DAYS - 1, (today - dt.date.min).days)  # from 0001-01-01 on
        limit = (today - dt.timedelta(days=days)).isoformat()
        rows = self._ask(
            self._sql(
                "SELECT id, document FROM clients WHERE partner = ? AND ended_on >= ? ORDER BY id"
            ),
            (self.partner, limit),
            "listing the monitoring clients",
        )
        return Engine.monitoring([self._read(cid, doc) for cid, doc in rows], today)

    def iter_clients(self, *, batch: int = 1000) -> Iterator[Client]:
        """:meth:`clients`, one at a time: read *batch* documents a query, by id from
        the last one read (keyset), so a sweep holds one batch, not the partner.

        Not one snapshot: a client written during the sweep is seen as it is when its
        batch is read (each client once, in id order)."""
        yield from self._sweep("", (), batch, "listing clients")

    def iter_monitoring(self, today: dt.date, *, batch: int = 1000) -> Iterator[Client]:
        """:meth:`monitoring`, one client at a time (read as :meth:`iter_clients`)."""
        days = min(RETENTION_DAYS - 1, (today - dt.date.min).days)
        limit = (today - dt.timedelta(days=days)).isoformat()
        for part in self._batches(
            " AND ended_on >= ?", (limit,), batch, "listing the monitoring clients"
        ):
            yield from Engine.monitoring(part, today)

    def _sweep(
        self, where: str, args: Sequence[object], batch: int, doing: str
    ) -> Iterator[Client]:
        for part in self._batches(where, args, batch, doing):
            yield from part

    def _batches(
        self, where: str, args: Sequence[object], batch: int, doing: str
    ) -> Iterator[list[Client]]:
        """The partner's clients matching *where* (``AND ...``), *batch* at a time."""
        if type(batch) is not int or batch < 1:
            raise ValueError(f"batch must be an int >= 1, got {batch!r}")
        first = self._sql(
            f"SELECT id, document FROM clients WHERE partner = ?{where} ORDER BY id LIMIT ?"
        )
        after = self._sql(
            f"SELECT id, document FROM clients WHERE partner = ?{where} AND id > ? "
            "ORDER BY id LIMIT ?"
        )
        rows = self._ask(first, (self.partner, *args, batch), doing)
        while rows:
            yield [self._read(cid, doc) for cid, doc in rows]
            if len(rows) < batch:
                return
            rows = self._ask(after, (self.partner, *args, rows[-1][0], batch), doing)

    def iter_histories(self, *, batch: int = 1000) -> Iterator[list[Event]]:
        """:meth:`histories`, one client's events at a time: the events of *batch*
        clients a query (keyset on the client id)."""
        if type(batch) is not int or batch < 1:
            raise ValueError(f"batch must be an int >= 1, got {batch!r}")
        ids = self._sql("SELECT id FROM clients WHERE partner = ? AND id > ? ORDER BY id LIMIT ?")
        events = self._sql(
            "SELECT client_id, seq, document FROM events WHERE partner = ? AND client_id >= ? "
            "AND client_id <= ? ORDER BY client_id, seq"
        )
        after = ""
        while True:
            found = self._ask(ids, (self.partner, after, batch), "reading the clients' histories")
            if not found:
                return
            rows = self._ask(
                events,
                (self.partner, found[0][0], found[-1][0]),
                "reading the clients' histories",
            )
            yield from self._group_events(rows)
            if len(found) < batch:
                return
            after = found[-1][0]

    def history(self, client_id: str) -> list[Event]:
        """The client's events, oldest first; :class:`NotFoundError` if there is no client."""
        if client_id not in self:
            raise NotFoundError(self.partner, client_id)
        rows = self._ask(
            self._sql(
                "SELECT seq, document FROM events WHERE partner = ? AND client_id = ? ORDER BY seq"
            ),
            (self.partner, client_id),
            "reading a client's history",
        )
        return self._documents(
            rows,
            Event,  # type: ignore[arg-type]  # a union of event types, read by its tag
            "{path}: event {seq} of client '{client_id}' is corrupt: {cause}",
            client_id=client_id,
        )

    def histories(self) -> list[list[Event]]:
        """Every client's events, oldest first, a list per client in id order (one
        query): what a usage report of any past month is rebuilt from."""
        rows = self._ask(
            self._sql(
                "SELECT client_id, seq, document FROM events WHERE partner = ? "
                "ORDER BY client_id, seq"
            ),
            (self.partner,),
            "reading the clients' histories",
        )
        return list(self._group_events(rows))

    def _group_events(self, rows: Sequence[Sequence[Any]]) -> Iterator[list[Event]]:
        """The events of ``(client_id, seq, document)`` *rows* (by client, then seq),
        one list per client."""
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i][0] != rows[start][0]:
                yield self._documents(
                    [(seq, doc) for _, seq, doc in rows[start:i]],
                    Event,  # type: ignore[arg-type]  # a union of event types
                    "{path}: event {seq} of client '{client_id}' is corrupt: {cause}",
                    client_id=rows[start][0],
                )
                start = i

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

    def ping(self) -> None:
        """One round trip to the database (a health check); the store's error when it
        does not answer (:class:`ConnectionLostError` for a server gone away)."""
        self._query("SELECT 1", (), "checking the connection")

    def rows(
        self,
        today: dt.date | None = None,
        *,
        shown: bool | None = None,
        search: str | None = None,
        limit: int | None = None,
        after: str | tuple[object, str] | None = None,
        grants: Iterable[Grant] | None = None,
        order: str = "id",
    ) -> list[ClientRow]:
        """Light rows for list pages, from the indexed columns (no document is read).

        Args:
            today: The day *shown* is judged on (required with *shown*).
            shown: ``True``: only the clients the monitoring list shows on *today*;
                ``False``: only the hidden ones; ``None``: all. A client deleted
                after *today* is judged on its deletion day's terms: it is listed
                as shown (it was live on *today*).
            search: Only clients whose name contains this text, case folded for
                every script (``ñandú`` finds "Ñandú", ``STRASSE`` "Straße"): the
                stored folded name (:func:`~cytolicense.store._rows.fold`) holds it.
            limit: At most this many rows (a page).
            after: Keyset paging: where the previous page ended, as
                :func:`~cytolicense.store._rows.sort_key` gives it for its last row:
                its id in the id order, else ``(sort key, id)``.
            grants: Only the clients of the groups these grants reach (an operator's
                scope, from the index on the group); ``None``: every client.
            order: ``"id"`` (the default), ``"name"`` (the folded name),
                ``"ended_on"`` (the last day of service), each descending with a
                ``-`` in front (``"-name"``); ties by id. Each order is one index's.
        """
        if self._behind is not None:
            self._flush()
        scope = self._scope(grants)
        try:
            # The end orders of a list judged on a day read the shown (or hidden) range
            # of the end index, and the few deleted after the day apart (sorted here).
            found: list[ClientRow] = []
            for part in end_parts(order, shown, today) or (None,):
                sql, args = rows_query(
                    self.partner,
                    today,
                    shown=shown,
                    search=search,
                    limit=limit,
                    after=after,
                    name_like=self._NAME_LIKE,
                    scope=scope,
                    order=order,
                    part=part,
                )
                rows = self._read_rows(
                    self._sql(sql),
                    args,
                    "listing clients",
                    functools.partial(client_rows, text_dates=self._TEXT_DATES),
                )
                if part == "late" and rows:
                    down = order.startswith("-")
                    rows.sort(key=lambda r: (r.ended_on, r.id), reverse=down)
                    found = [*found, *rows] if down else [*rows, *found]
                else:
                    found += rows
            return found if limit is None else found[:limit]
        except CorruptRow as exc:
            raise said(
                StoreError,
                "{path}: client '{client_id}' of partner '{partner}' has a corrupt row: {cause}",
                path=self._where(),
                client_id=exc.client_id,
                partner=self.partner,
                cause=exc.__cause__,
            ) from exc

    def expiring(self, today: dt.date, within_days: int = 30) -> list[Expiry]:
        """What :meth:`Engine.expiring` gives over this partner's clients, answered from
        the expiry index alone, read a page at a time (:meth:`expiring_page`): only
        the documents of lines ever suspended are read."""
        from ..views._lifecycle import ExpiryList

        return ExpiryList(self.iter_expiring(today, within_days))

    def expiring_page(
        self,
        today: dt.date,
        within_days: int = 30,
        *,
        after: tuple[dt.date, str, str] | None = None,
        limit: int = 100,
    ) -> ExpiringPage:
        """A page of :meth:`expiring`: at most *limit* lines, in its order
        ``(expires_on, client_id, maintenance_id)``, after the key *after* (the
        :attr:`~ExpiringPage.next` of the page before; ``None``: the first page).

        Read from the expiry index alone (each line's product, licence type and seats
        are there, its client's name in the client's row), from the partner's longest
        grace before *today* on: a page costs the same at any depth and any size.
        Only a line that has ever been suspended is checked against its client's
        document (its state on *today* depends on the suspensions' days)."""
        from ..views._lifecycle import ExpiringPage

        if type(within_days) is not int or within_days < 0:
            raise ValueError(f"within_days must be an int >= 0, got {within_days!r}")
        if type(limit) is not int or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        found: list[Expiry] = []
        cursor = after
        grace = self._longest_grace()
        while True:
            sql, args = expiring_page_query(
                self.partner, today, within_days, grace=grace, after=cursor, limit=limit + 1
            )
            rows = self._ask(self._sql(sql), args, "listing what expires")
            found.extend(self._expiries(rows, today))
            if len(found) > limit:
                last = found[limit - 1]
                return ExpiringPage(
                    found[:limit], (last.expires_on, last.client_id, last.maintenance_id)
                )
            if len(rows) <= limit:
                return ExpiringPage(found, None)
            day = rows[-1][0]
            cursor = (dt.date.fromisoformat(day) if self._TEXT_DATES else day, *rows[-1][1:3])

    def iter_expiring(
        self, today: dt.date, within_days: int = 30, *, batch: int = 1000
    ) -> Iterator[Expiry]:
        """:meth:`expiring`, line by line, read a page of *batch* lines at a time."""
        after: tuple[dt.date, str, str] | None = None
        while True:
            page = self.expiring_page(today, within_days, after=after, limit=batch)
            yield from page.rows
            if page.next is None:
                return
            after = page.next

    def _longest_grace(self) -> int:
        """The partner's longest grace in the expiry index, in days (0: none)."""
        rows = self._ask(
            self._sql("SELECT max(grace) FROM expiries WHERE partner = ?"),
            (self.partner,),
            "listing what expires",
        )
        return int(rows[0][0] or 0) if rows else 0

    def renewals_due(self, today: dt.date) -> list[tuple[str, str, dt.date]]:
        """``(client id, maintenance id, expires_on)`` of every commercial line whose
        expiry is *today* or that is in grace on *today*, by client and maintenance id:
        the candidates of the day's run (:meth:`Console.run_day`), read from the expiry
        index alone (from the partner's longest grace before *today* on; no document is
        read). Whether each renews by itself is its document's to say."""
        day = today.isoformat()
        try:
            first = (today - dt.timedelta(days=self._longest_grace())).isoformat()
        except OverflowError:
            first = dt.date.min.isoformat()
        rows = self._ask(
            self._sql(
                "SELECT client_id, maintenance_id, expires_on FROM expiries WHERE partner = ? "
                "AND expires_on >= ? AND expires_on <= ? AND in_force_until >= ? "
                "AND license_type = 'commercial' ORDER BY client_id, maintenance_id"
            ),
            (self.partner, first, day, day),
            "listing the renewals due",
        )
        text = self._TEXT_DATES
        return [(c, m, dt.date.fromisoformat(e) if text else e) for c, m, e in rows]

    def _expiries(self, rows: Sequence[Sequence[Any]], today: dt.date) -> list[Expiry]:
        """The :class:`Expiry` of each row of :func:`expiring_page_query`; a line that
        has been suspended only when its document says it is in force *today*."""
        from ..core._enums import LicenseType, Status
        from ..views._lifecycle import Expiry

        suspended = {r[1] for r in rows if r[7]}
        documents = self.load_many(suspended) if suspended else {}
        out: list[Expiry] = []
        kinds = {t.value: t for t in LicenseType}
        text = self._TEXT_DATES
        for day, cid, mid, name, product, kind, quantity, held in rows:
            expires = dt.date.fromisoformat(day) if text else day
            if held:
                client = documents.get(cid)
                line = (
                    None
                    if client is None
                    else next((m for m in client[0].maintenances if m.id == mid), None)
                )
                if line is None or not line.in_force(today):
                    continue
            left = (expires - today).days
            out.append(
                Expiry(
                    client_id=cid,
                    client_name=name,
                    maintenance_id=mid,
                    product=product,
                    license_type=kinds[kind],
                    quantity=int(quantity),
                    expires_on=expires,
                    days_left=left,
                    status=Status.ACTIVE if left >= 0 else Status.GRACE,
                )
            )
        return out

    def forecast(self, today: dt.date, months: int = 12) -> Forecast:
        """:meth:`Engine.forecast` over this partner's clients, with one aggregate
        query over the expiry index (no document is read), kept per (database,
        partner, *today*, *months*) until the partner's data changes (its change mark,
        one indexed read a call: see :mod:`cytolicense.store._marks`)."""
        if self._holds_what_it_reads():  # inside a batch: its writes are not committed
            return self._forecast(today, months)
        key = (self._identity(), self.partner, today, months)
        sql = MARK_QUERY.replace("{instance}", self._INSTANCE)
        found = self._ask(self._sql(sql), (self.partner, self.partner), "forecasting")
        mark = tuple(found[0])
        kept = FORECASTS.get(key, mark)
        if kept is not None:
            return kept
        answer = self._forecast(today, months)
        FORECASTS.put(key, mark, answer)
        return answer

    def _forecast(self, today: dt.date, months: int) -> Forecast:
        from ..views._lifecycle import Forecast, forecast_window

        window = forecast_window(today, months)
        year, month = window[-1]
        try:
            last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        except ValueError:  # the window ends in 9999
            last = dt.date.max
        sql, args = forecast_query(self.partner, today, last)
        rows = self._ask(self._sql(sql), args, "forecasting renewals")
        index = {ym: i for i, ym in enumerate(window)}
        seats: dict[str, list[int]] = {}
        text = self._TEXT_DATES
        for day, product, total in rows:
            expires = dt.date.fromisoformat(day) if text else day
            i = index[(expires.year, expires.month)]
            seats.setdefault(product, [0] * months)[i] += int(total)
        return Forecast(months=window, seats={p: tuple(v) for p, v in sorted(seats.items())})

    # -- writes ------------------------------------------------------------------------------

    def save(self, change: Change, version: int | None, *, key: KeyRecord | None = None) -> int:
        """Write *change* (the new client, its events, and the pool's movements)
        atomically; return the client's new version.

        Args:
            change: What an engine operation returned.
            version: The version the change was computed from, as :meth:`load` gave
                it; ``None`` for a new client (its first event is :class:`ClientCreated`).

        Inside a batch, the save of a client read in the batch (which the batch
        holds: see :meth:`load`) is checked at once against the batch's state of it,
        and its rows are written with the batch's other saves: before the batch
        commits, or before a read that needs them. A refusal (a conflict, events
        that do not follow) still raises here and the batch goes on; a database that
        refuses the held-back rows themselves (a full disk, a trigger of yours) fails
        the batch as a whole, and nothing of it is kept.

        *key* (an idempotency key, as :meth:`Console.apply` gives it) is stored with
        the change in the same transaction, also for a change without events (one
        that changed nothing: only the key is written); a key this partner already
        holds refuses the whole save (:class:`KeyTakenError`: another request with
        that key came first).

        Raises:
            ConflictError: the stored version is not *version* (someone else wrote
                first), or a new client's id is taken. Nothing was written.
            ValueError: the change's events do not lead from the stored client to the
                change's client (a change made for another state). Nothing was written.
        """
        client = change.client
        if not check_change(change, version):
            assert version is not None
            if key is not None:
                # Nothing to write but the key: a retry with it answers this change,
                # and another operation under it is refused (KeyConflictError).
                if self._behind is not None:
                    self._flush()
                with self._writing("saving an idempotency key"):
                    self._save_key(key, change)
            return version
        held = self._held.get(client.id)
        if held is not None and version is not None and not change.pool_events and key is None:
            return self._save_behind(change, version, held)
        if self._behind is not None:
            self._flush()
        document = dumps(client)
        n = len(change.events)
        alone = not change.pool_events and key is None
        with self._writing("saving a client", alone=alone):
            if version is None:
                follows(None, change)
                added = self._write(
                    "INSERT INTO clients (partner, id, version, document, seq, ended_on, "
                    "name, deleted_on, shown_until, products, name_key, grp) "
                    "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (self.partner, client.id, document, n, *columns(client)),
                    change,
                    0,
                    (),
                    expiry_rows(client),
                )
                if not added:
                    raise ClientExistsError(client.id, self._stored_version(client.id))
                if key is not None:
                    self._save_key(key, change)
                return 1
            known = held or self._loaded.get(client.id)
            if known is not None and known[0] == version:
                seq, before = known[1], known[2]
            else:
                rows = self._ask(
                    self._sql(
                        "SELECT document, seq FROM clients WHERE partner = ? AND id = ? "
                        "AND version = ?"
                    ),
                    (self.partner, client.id, version),
                    "reading a client",
                )
                if not rows:
                    raise self._conflict(client.id, version)
                seq = self._version(client.id, rows[0][1])
                before = self._read(client.id, rows[0][0])
            follows(before, change)
            changed, values, gone, expiries = update_plan(before, client)
            updated = self._write(
                update_sql(changed),
                (document, seq + n, *values, self.partner, client.id, version),
                change,
                seq,
                gone,
                expiries,
            )
            if not updated:  # another writer came first (checked atomically)
                raise self._conflict(client.id, version)
            if key is not None:
                self._save_key(key, change)
            self._loaded.pop(client.id, None)
            if held is not None:
                self._held[client.id] = (version + 1, seq + n, client)
            return version + 1

    # -- verification -------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """What in this partner's data disagrees with itself, as sentences (empty: all
        is consistent): every client's events replayed equal to its stored document,
        each event row's ``type`` and ``on_day`` columns equal to its document, its
        event count, its projected columns and expiry index rows
        equal to what its document says, the pool equal to its events. Reads only.
        (:meth:`cytolicense.Store.verify` also runs SQLite's integrity check.)"""
        problems: list[str] = []
        rows = self._ask(
            self._sql(
                "SELECT id, document, seq, ended_on, name, deleted_on, shown_until, "
                "products, name_key, grp FROM clients WHERE partner = ? ORDER BY id"
            ),
            (self.partner,),
            "verifying clients",
        )
        expiries: dict[str, set[tuple[object, ...]]] = {}
        for cid, mid, start, end, until, *shown in self._ask(
            self._sql(
                "SELECT client_id, maintenance_id, starts_on, expires_on, in_force_until, "
                "product, license_type, quantity, suspended, grace "
                "FROM expiries WHERE partner = ?"
            ),
            (self.partner,),
            "verifying the expiry index",
        ):
            expiries.setdefault(cid, set()).add((mid, _iso(start), _iso(end), _iso(until), *shown))
        for cid, document, seq, *stored in rows:
            try:
                client = self._read(cid, document)
            except StoreError as exc:
                problems.append(str(exc))
                continue
            try:
                events = self._verify_events(cid, problems)
                replayed = replay(events)
            except (StoreError, ValueError, TypeError, KeyError) as exc:
                problems.append(f"client '{cid}': its events do not replay: {exc}")
                continue
            if replayed != client:
                problems.append(
                    f"client '{cid}': its events replay to another client than its document"
                )
            if len(events) != int(seq):
                problems.append(
                    f"client '{cid}': {len(events)} events stored, the row counts {seq}"
                )
            expected = columns(client)
            found = tuple(None if v is None else _iso(v) for v in stored)
            for name, want, have in zip(PROJECTED, expected, found, strict=True):
                if want != have:
                    problems.append(
                        f"client '{cid}': column {name} is {have!r}, its document says {want!r}"
                    )
            rows_expected: set[tuple[object, ...]] = set(expiry_rows(client))
            rows_found = expiries.pop(cid, set())
            if rows_expected != rows_found:
                problems.append(
                    f"client '{cid}': the expiry index holds {sorted(rows_found)}, its document "
                    f"says {sorted(rows_expected)}"
                )
        for cid in sorted(expiries):
            problems.append(f"the expiry index has rows of client '{cid}', which is not stored")
        try:
            history = self.pool_history()
            pool = self.pool()
        except StoreError as exc:
            problems.append(str(exc))
        else:
            if replay_pool(history) != pool:
                problems.append(
                    f"the pool is {pool.lines}, its {len(history)} events add up to "
                    f"{replay_pool(history).lines}"
                )
        return problems

    def _verify_events(self, client_id: str, problems: list[str]) -> list[Event]:
        """The client's events, oldest first (as :meth:`history` reads them), each row's
        indexed columns (``type``, ``on_day``) checked against its document: a row
        whose columns disagree with it adds a sentence to *problems*."""
        rows = self._ask(
            self._sql(
                "SELECT seq, type, on_day, document FROM events WHERE partner = ? "
                "AND client_id = ? ORDER BY seq"
            ),
            (self.partner, client_id),
            "verifying a client's events",
        )
        events: list[Event] = self._documents(
            [(seq, doc) for seq, _, _, doc in rows],
            Event,  # type: ignore[arg-type]  # a union of event types, read by its tag
            "{path}: event {seq} of client '{client_id}' is corrupt: {cause}",
            client_id=client_id,
        )
        for (seq, kind, day, _), event in zip(rows, events, strict=True):
            want = type(event).__name__
            if kind != want:
                problems.append(
                    f"client '{client_id}': event {seq} has type {kind!r}, its document "
                    f"says {want!r}"
                )
            on = event.on.isoformat()
            if _iso(day) != on:
                problems.append(
                    f"client '{client_id}': event {seq} has on_day {_iso(day)!r}, its "
                    f"document says {on!r}"
                )
        return events

    # -- idempotency keys ---------------------------------------------------------------------

    def _save_key(self, key: KeyRecord, change: Change) -> None:
        """Store *key* with *change* (inside the save's transaction)."""
        added = self._exec(
            self._sql(
                "INSERT INTO idempotency_keys (partner, key, client_id, operation, change, "
                "created_on) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ),
            (
                self.partner,
                key.key,
                key.client_id,
                key.operation,
                compact(to_data(change)),
                self._day(key.created_on),
            ),
        )
        if not added:
            raise KeyTakenError(key.key)

    def _day(self, day: dt.date) -> object:
        """A date as this database's driver takes it (SQLite: ISO text)."""
        return day

    def find_key(self, key: str) -> KeyRecord | None:
        """The stored idempotency *key* of this partner, with the change it answered
        (:attr:`KeyRecord.change`); ``None`` when the partner has no such key."""
        if not _storable(key):
            return None
        rows = self._ask(
            self._sql(
                "SELECT client_id, operation, change, created_on FROM idempotency_keys "
                "WHERE partner = ? AND key = ?"
            ),
            (self.partner, key),
            "reading an idempotency key",
        )
        if not rows:
            return None
        client_id, operation, change, created = rows[0]
        try:  # a damaged row is named with its file, never a bare codec or JSON error
            if not (type(client_id) is str and type(operation) is str):
                raise TypeError(f"client {client_id!r}, operation {operation!r:.60}")
            if type(change) is not str:
                change = bytes(change).decode("utf-8")  # a BLOB: UTF-8 text or damage
            from_json(Change, change)
            day = created if isinstance(created, dt.date) else dt.date.fromisoformat(created)
        except (DataError, ValueError, TypeError, RecursionError) as exc:
            raise said(
                StoreError,
                "{path}: the row of idempotency key '{key}' is corrupt: {cause}",
                path=self._where(),
                key=key,
                cause=exc,
            ) from exc
        return KeyRecord(
            key=key, client_id=client_id, operation=operation, created_on=day, change=change
        )

    def prune_keys(self, before: dt.date) -> int:
        """Forget this partner's idempotency keys stored before *before*; how many.

        A request retried with a forgotten key is applied again: keep keys longer
        than any client retries (a day is plenty for HTTP retries)."""
        with self._writing("pruning idempotency keys"):
            return self._exec(
                self._sql("DELETE FROM idempotency_keys WHERE partner = ? AND created_on < ?"),
                (self.partner, self._day(before)),
            )

    # -- saves held back in a batch -----------------------------------------------------------

    def _save_behind(self, change: Change, version: int, held: tuple[int, int, Client]) -> int:
        """Save *change* to a client the batch holds: checked now, written by :meth:`_flush`."""
        if self._dead is not None:
            raise self._dead_batch()
        client = change.client
        stored, seq, before = held
        if stored != version:  # the batch's own state of the client is the stored one
            raise ConflictError(client.id, version, stored)
        follows(before, change)
        n = len(change.events)
        events = event_rows(self.partner, client.id, seq, change.events)
        behind = self._behind
        if behind is None:
            behind = self._behind = _Behind()
        first = behind.clients.get(client.id)
        if first is None:
            behind.clients[client.id] = (version, before, version + 1, client, seq + n)
        else:  # saved twice in the batch: one UPDATE from the first state to the last
            behind.clients[client.id] = (first[0], first[1], version + 1, client, seq + n)
        behind.events.extend(events)
        self._held[client.id] = (version + 1, seq + n, client)
        self._loaded.pop(client.id, None)
        return version + 1

    def _flush(self) -> None:
        """Write the batch's held-back saves: one UPDATE per client (from its state
        before the batch to its last), then every event and expiry row, each kind as
        one ``executemany``. If the database refuses any of it, the batch is dead:
        nothing of it will be committed (see :meth:`_dead_batch`)."""
        behind, self._behind = self._behind, None
        if behind is None:
            return
        try:
            self._write_behind(behind)
        except BaseException as exc:
            self._dead = f"{type(exc).__name__}: {exc}"
            raise self._wrap(exc, "writing the batch's saves") from exc

    def _write_behind(self, behind: _Behind) -> None:
        """Write *behind* (see :meth:`_flush`). Each statement runs as one
        ``executemany`` (psycopg pipelines it: one round trip). One statement per kind
        of row over arrays (PostgreSQL's ``unnest``) measured slower: 3,454 against
        5,359 saves a second, alternated in one process."""
        partner = self.partner
        updates: dict[str, list[tuple[object, ...]]] = {}
        gone: list[tuple[str, str, str]] = []
        kept: list[tuple[object, ...]] = []
        for client_id, (version, before, now, client, seq) in behind.clients.items():
            changed, values, dropped, expiries = update_plan(before, client)
            updates.setdefault(update_sql(changed, to_version=True), []).append(
                (now, dumps(client), seq, *values, partner, client_id, version)
            )
            gone.extend((partner, client_id, mid) for mid in dropped)
            kept.extend((partner, client_id, *r) for r in expiries)
        for sql, rows in updates.items():
            if self._many(self._sql(sql), rows) != len(rows):
                raise said(
                    StoreError,
                    "{path}: a client the batch held was changed by another writer; "
                    "nothing of the batch is kept",
                    path=self._where(),
                )
        self._many(self._sql(INSERT_ROWS["events"]), behind.events)
        self._feed_write([(str(r[1]), str(r[3]), str(r[5])) for r in behind.events])
        if gone:
            self._many(self._sql(EXPIRY_DELETE), gone)
        if kept:
            self._many(self._sql(EXPIRY_UPSERT), kept)

    def _wrap(self, exc: BaseException, doing: str) -> BaseException:
        """*exc* as the :class:`StoreError` naming *doing* when it is the driver's."""
        return exc

    def _dead_batch(self) -> StoreError:
        return said(
            StoreError,
            "{path}: the batch failed earlier ({cause}); leave the `with store.batch()` "
            "block and start again",
            path=self._where(),
            cause=self._dead,
        )

    @contextmanager
    def _inner_batch(self) -> Iterator[None]:
        """A batch inside a batch: a savepoint, and what it held back is undone with
        it (what the outer batch held back is written first)."""
        if self._behind is not None:
            self._flush()
        try:
            with self._transaction():
                yield
        except BaseException:
            self._forget()  # the savepoint undid what it held
            raise

    def _forget(self) -> None:
        """The transaction ended (committed or undone): nothing is held any more."""
        self._held.clear()
        self._behind = None
        self._pool_seen = None

    def _stored_version(self, client_id: str) -> int | None:
        rows = self._ask(
            self._sql("SELECT version FROM clients WHERE partner = ? AND id = ?"),
            (self.partner, client_id),
            "looking up a client",
        )
        return None if not rows else self._version(client_id, rows[0][0])

    def _conflict(self, client_id: str, version: int) -> StoreError:
        stored = self._stored_version(client_id)
        if stored is None:
            return NotFoundError(self.partner, client_id)
        return ConflictError(client_id, version, stored)

    def _write(
        self,
        head: str,
        args: Sequence[object],
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[ExpiryRow],
    ) -> bool:
        """Run *head* (the client's INSERT or its version-checked UPDATE, written with
        ``?``); when it wrote the client's row, write the rest of *change* (see
        :meth:`_write_rows`). Whether it wrote the row: when not, nothing was written.
        PostgreSQL does it all in one statement (one round trip)."""
        if self._exec(self._sql(head), args) != 1:
            return False
        self._write_rows(change, seq, gone, expiries)
        return True

    def _write_rows(
        self,
        change: Change,
        seq: int,
        gone: Sequence[str],
        expiries: Sequence[ExpiryRow],
    ) -> None:
        """The events after *seq*, the expiry index rows *gone* (by maintenance id) and
        *expiries* (new or changed), the pool's movements."""
        partner, client = self.partner, change.client
        events = event_rows(partner, client.id, seq, change.events)
        self._many(self._sql(INSERT_ROWS["events"]), events)
        self._feed_write([(client.id, r[3], r[5]) for r in events])  # the same transaction
        if gone:
            self._many(
                self._sql(EXPIRY_DELETE),
                [(partner, client.id, mid) for mid in gone],
            )
        if expiries:
            self._many(
                self._sql(EXPIRY_UPSERT),
                [(partner, client.id, *r) for r in expiries],
            )
        self._pool_change(change)

    def _pool_change(self, change: Change) -> None:
        """Write *change*'s pool movements; refuse it (in its transaction, which the
        error undoes) when the pool may not go below zero and its debits took it
        there: another writer took the seats since the engine read the pool."""
        self._pool_write(change.pool_events)
        if change.pool_floor:
            self._check_floor(change.client.id, change.pool_events)

    def _check_floor(self, client_id: str, events: Sequence[PoolChanged]) -> None:
        """:class:`PoolShortageError` when a debit of *events* (written) left its pool
        line below zero."""
        for e in events:
            if e.seats >= 0:
                continue
            rows = self._query(
                self._sql("SELECT seats FROM pools WHERE partner = ? AND item = ? AND period = ?"),
                (self.partner, e.item, str(e.period)),
                "reading the pool",
            )
            if rows and int(rows[0][0]) < 0:
                raise PoolShortageError(client_id, e.item, str(e.period), int(rows[0][0]))

    # -- the pool ----------------------------------------------------------------------------

    # The pool as read inside the current write transaction, while the store holds the
    # write lock (_holds_write_lock): a batch reads it once; our own movements, and the
    # end or undoing of a transaction, drop it.
    _pool_seen: Pool | None = None

    def _pool_write(self, events: Sequence[PoolChanged]) -> None:
        """Apply pool movements as atomic increments (two writers lose no seat)."""
        if not events:
            return
        self._pool_seen = None
        self._many(self._sql(POOL_UPSERT), pool_event_rows(self.partner, events))
        self._record_pool_events(events)

    def _record_pool_events(self, events: Sequence[PoolChanged]) -> None:
        """Append *events* to the pool's history, numbered in commit order within the
        partner, each one after the partner's last (the key is ``(partner, seq)``;
        SQLite numbers them under the database's one write lock, PostgreSQL under the
        partner's pool lock)."""
        self._many(
            self._sql(
                "INSERT INTO pool_events (partner, seq, document) VALUES (?, (SELECT "
                "coalesce(max(seq), 0) + 1 FROM pool_events WHERE partner = ?), ?)"
            ),
            [(self.partner, self.partner, dumps(e)) for e in events],
        )

    def pool(self) -> Pool:
        """The partner's licence pool (empty: nothing tracked)."""
        locked = self._holds_write_lock()
        if locked and self._pool_seen is not None:
            return self._pool_seen
        # The pool's rows are never held back (each movement is written at once).
        rows = self._query(
            self._sql(
                "SELECT item, period, seats FROM pools WHERE partner = ? ORDER BY item, period"
            ),
            (self.partner,),
            "reading the pool",
        )
        pool = self._pool_of(rows)
        if locked:
            self._pool_seen = pool
        return pool

    def _pool_of(self, rows: Sequence[Sequence[Any]] | str) -> Pool:
        """The pool of its rows ``(item, period, seats)``, or of their JSON text; a
        corrupt one is a :class:`StoreError`."""
        try:
            return pool_of(loads(rows) if isinstance(rows, str) else rows)
        except (TypeError, ValueError) as exc:
            raise said(
                StoreError,
                "{path}: the pool of '{partner}' is corrupt: {cause}",
                path=self._where(),
                partner=self.partner,
                cause=exc,
            ) from exc

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
        with self._writing("crediting the pool"):
            self._pool_write([event])
        return self.pool()

    def import_pool(self, events: Sequence[PoolChanged]) -> Pool:
        """Write pool movements as they are (an export's pool history, moved to this
        store): all in one transaction, the pool's balances following them; the
        pool afterwards."""
        events = list(events)
        for e in events:
            if not isinstance(e, PoolChanged):
                raise TypeError(f"import_pool takes PoolChanged events, got {e!r}")
        with self._writing("importing the pool"):
            self._pool_write(events)
        return self.pool()

    def pool_history(self, last: int | None = None) -> list[PoolChanged]:
        """Every movement of the partner's pool, oldest first; *last*: only the last
        so many (read backwards from the key ``(partner, seq)``: the cost of a page, not
        of the history)."""
        if last is not None:
            sql, args = pool_tail_query(self.partner, last)
            rows = self._ask(self._sql(sql), args, "reading the pool's history")[::-1]
        else:
            rows = self._ask(
                self._sql("SELECT seq, document FROM pool_events WHERE partner = ? ORDER BY seq"),
                (self.partner,),
                "reading the pool's history",
            )
        return self._documents(rows, PoolChanged, "{path}: pool event {seq} is corrupt: {cause}")
