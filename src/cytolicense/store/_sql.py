"""What the SQLite and PostgreSQL stores share: every query and write, once.

:class:`SqlStore` holds the store protocol's logic over four small hooks a
subclass gives for its database: :meth:`~SqlStore._query` (a read, errors named),
:meth:`~SqlStore._exec` and :meth:`~SqlStore._many` (writes, inside
:meth:`~SqlStore._writing`, the transaction or savepoint that maps the driver's
errors to :class:`StoreError`), and the dialect constants (the parameter marker,
the case-insensitive name match, whether dates come back as text). Statements are
written with ``?`` markers and translated once per dialect.

It is put together from its parts, each a module: the hooks and the helpers they
share (:mod:`~cytolicense.store._sql_base`), the reads of clients and histories
(:mod:`~cytolicense.store._sql_reads`), the list pages and reports
(:mod:`~cytolicense.store._sql_lists`), the saves, idempotency keys and batches
(:mod:`~cytolicense.store._sql_writes`), the pool (:mod:`~cytolicense.store._sql_pool`),
the feed and the webhooks' outbox (:mod:`~cytolicense.store._outbox`) and the team's
tables (:mod:`~cytolicense.store._team`). This module adds :meth:`SqlStore.verify`,
which reads across them all.
"""

from __future__ import annotations

import datetime as dt

from ..core._events import Event, replay
from ..core._exceptions import StoreError
from ..core._pool import replay_pool
from ._outbox import Outbox
from ._rows import PROJECTED, columns, expiry_rows
from ._sql_lists import SqlLists
from ._sql_pool import SqlPool
from ._sql_reads import SqlReads
from ._sql_writes import SqlWrites
from ._team import Team

__all__ = ["SqlStore"]


def _iso(value: object) -> str:
    """A stored day as ISO text (SQLite keeps text, PostgreSQL dates)."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class SqlStore(SqlReads, SqlLists, SqlWrites, SqlPool, Outbox, Team):
    """The store protocol over SQL, for one partner (see :class:`ClientStore`); the
    feed and the webhooks' outbox come from :class:`Outbox`."""

    # -- verification ------------------------------------------------------------------------

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
