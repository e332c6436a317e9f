"""The SQL store's reads of its clients: one, many, all (or a sweep), their events.

:class:`SqlReads` is the part of :class:`~cytolicense.store._sql.SqlStore` that loads
clients (inside a batch, the clients read stay the batch's until it ends), counts and
lists them, sweeps them a batch at a time (keyset on the id), and reads their
histories.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import Event
from ..core._exceptions import NotFoundError
from ..core._pool import Pool
from ..engine._engine import Engine
from ._sql_base import SqlBase, _dialect, _storable

__all__ = ["SqlReads"]


@functools.lru_cache(maxsize=64)
def _load_many_sql(count: int, lock: str, marker: str) -> str:
    marks = ", ".join("?" * count)
    sql = f"SELECT document, version, seq, id FROM clients WHERE partner = ? AND id IN ({marks})"
    return _dialect.__wrapped__(f"{sql} ORDER BY id{lock}", marker)


class SqlReads(SqlBase):
    """The reads of clients and histories of :class:`~cytolicense.store._sql.SqlStore`."""

    if TYPE_CHECKING:

        def pool(self) -> Pool: ...

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

    def ping(self) -> None:
        """One round trip to the database (a health check); the store's error when it
        does not answer (:class:`ConnectionLostError` for a server gone away)."""
        self._query("SELECT 1", (), "checking the connection")
