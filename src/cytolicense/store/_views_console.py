"""The console's reads: the clients, their list pages, views and reports, in the
operator's scope (a part of :class:`~cytolicense.Console`).

Each read asks the console's :class:`Guard` first; a console acting as an operator
reads the clients its grants reach (from the store's group index where it has one),
one without reads the store's own answers (its indexes, its aggregate queries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..core._access import Grant, reaches
from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import Event
from ..core._pool import Pool
from ..views._detail import ClientDetail
from ..views._offer import ProductOffer
from ._protocol import ClientRow

if TYPE_CHECKING:
    from ..engine._engine import Engine
    from ..views._lifecycle import ExpiringPage, Expiry, Forecast
    from ..views._usage import UsageBasis, UsageReport
    from ._guard import Guard
    from ._protocol import ClientStore

__all__ = ["ViewsConsole"]


class _Lister:
    """:meth:`Console.rows` in one group, called as a store's ``rows``."""

    def __init__(self, console: ViewsConsole, group: str | None) -> None:
        self._console = console
        self._group = group

    def rows(self, *args: Any, **options: Any) -> list[ClientRow]:
        return self._console.rows(*args, group=self._group, **options)


class ViewsConsole:
    """The reads of :class:`~cytolicense.Console` (mixed into it)."""

    if TYPE_CHECKING:
        engine: Engine
        store: ClientStore
        _guard: Guard

        def _get(self, client_id: str) -> Client: ...
        def _pool_if_tracked(self) -> Pool | None: ...

    def clients(self) -> list[Client]:
        """Every client in the operator's scope, by id."""
        grants = self._guard.grants
        if grants is None:
            self._guard.require("read")
            return self.store.clients()
        return list(self._scoped(grants))

    def rows(
        self,
        today: dt.date | None = None,
        *,
        shown: bool | None = None,
        search: str | None = None,
        limit: int | None = None,
        after: Any = None,
        group: str | None = None,
        **options: Any,
    ) -> list[ClientRow]:
        """The store's light list rows (:meth:`~cytolicense.Store.rows`) of the
        clients in the operator's scope, filtered in SQL; *group*: only that group
        and its subgroups. Other *options* go to the store's ``rows``."""
        from ..core._access import Grant

        self._guard.require("read")
        grants = self._guard.grants
        if group is not None:
            wanted = Grant(group=group)
            if grants is None:
                grants = frozenset({wanted})
            else:  # the part of the scope inside the group
                grants = frozenset(
                    g for g in grants if g.group == group or g.group.startswith(group + "/")
                ) | frozenset(
                    Grant(group=group, subgroups=g.subgroups)
                    for g in grants
                    if g.subgroups and (g.group == "" or group.startswith(g.group + "/"))
                )
        rows: list[ClientRow] = self.store.rows(
            today, shown=shown, search=search, limit=limit, after=after, grants=grants, **options
        )
        return rows

    def lister(self, group: str | None = None) -> Any:
        """An object whose ``rows(...)`` is :meth:`rows` in *group* (what a list page
        calls where it called the store's ``rows``)."""
        return _Lister(self, group)

    def _scoped(self, grants: frozenset[Grant], shown_since: str | None = None) -> Iterator[Client]:
        """The clients *grants* reach (from the store's group index where it has one)."""
        self._guard.require("read")
        scoped = getattr(self.store, "iter_scoped", None)
        if scoped is not None:
            found: Iterator[Client] = scoped(grants, shown_since=shown_since)
            return found
        return (c for c in self.store.clients() if reaches(grants, c.group))

    def expiring(self, today: dt.date, within_days: int = 30) -> list[Expiry]:
        """What expires within *within_days* (and what is in grace), from the store's index."""
        grants = self._guard.grants
        if grants is not None:
            return self.engine.expiring(list(self._scoped(grants)), today, within_days)
        self._guard.require("read")
        return self.store.expiring(today, within_days)

    def expiring_page(
        self,
        today: dt.date,
        within_days: int = 30,
        *,
        after: tuple[dt.date, str, str] | None = None,
        limit: int = 100,
    ) -> ExpiringPage:
        """A page of :meth:`expiring`: at most *limit* lines after the key *after*
        (the previous page's ``next``), from the store's index. A store without
        ``expiring_page`` gives the page cut from :meth:`expiring`."""
        self._guard.require("read")
        page = getattr(self.store, "expiring_page", None)
        if page is not None and self._guard.grants is None:
            found: ExpiringPage = page(today, within_days, after=after, limit=limit)
            return found
        from ..views._lifecycle import ExpiringPage

        if type(limit) is not int or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        rows = [
            e
            for e in self.expiring(today, within_days)
            if after is None or (e.expires_on, e.client_id, e.maintenance_id) > after
        ]
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if more else None
        return ExpiringPage(
            rows, None if last is None else (last.expires_on, last.client_id, last.maintenance_id)
        )

    def forecast(self, today: dt.date, months: int = 12) -> Forecast:
        """:meth:`Engine.forecast` of the stored clients: one aggregate query where the
        store has ``forecast`` (SQLite, PostgreSQL), else read from every client."""
        grants = self._guard.grants
        if grants is not None:
            return self.engine.forecast(list(self._scoped(grants)), today, months)
        self._guard.require("read")
        aggregate = getattr(self.store, "forecast", None)
        if aggregate is not None:
            found: Forecast = aggregate(today, months)
            return found
        return self.engine.forecast(self.store.clients(), today, months)

    def offer(self, client_id: str, today: dt.date) -> tuple[ProductOffer, ...]:
        """What the add-product dialog may offer the stored client on *today*
        (:meth:`Engine.offer` with the partner's stored pool)."""
        return self.engine.offer(self._get(client_id), today, pool=self._pool_if_tracked())

    def detail(self, client_id: str, today: dt.date) -> ClientDetail:
        """The stored client's detail."""
        return self.engine.detail(self._get(client_id), today)

    def entitlements(self, client_id: str, today: dt.date) -> dict[str, int]:
        """The stored client's seats in force."""
        return self.engine.entitlements(self._get(client_id), today)

    def history(self, client_id: str) -> list[Event]:
        """The stored client's events, oldest first."""
        if self._guard.operator is not None:
            self._get(client_id)  # in scope, or not found
        return self.store.history(client_id)

    def usage_report(
        self,
        month: str | dt.date,
        *,
        basis: UsageBasis | str = "seat-days",
        devices: Mapping[str, Mapping[str, int]] | None = None,
    ) -> UsageReport:
        """:meth:`Engine.usage_report` of every stored client, from the store's events
        (one query where the store has ``histories``)."""
        streamed = getattr(self.store, "iter_histories", None)
        read = getattr(self.store, "histories", None)
        histories: Iterable[list[Event]]
        grants = self._guard.grants
        self._guard.require("read")
        if grants is not None:
            histories = [self.store.history(c.id) for c in self._scoped(grants)]
        elif streamed is not None:  # a batch of clients' events at a time
            histories = streamed()
        elif read is not None:
            histories = read()
        else:
            histories = [self.store.history(c.id) for c in self.store.clients()]
        return self.engine.usage_report(histories, month, basis=basis, devices=devices)

    def monitoring(self, today: dt.date) -> list[Client]:
        """The partner's monitoring list (every client it shows, held in a list: a
        sweep that reads them once is :meth:`iter_monitoring`)."""
        grants = self._guard.grants
        if grants is not None:
            return list(self.iter_monitoring(today))
        self._guard.require("read")
        return self.store.monitoring(today)

    def iter_monitoring(self, today: dt.date, *, batch: int = 1000) -> Iterator[Client]:
        """:meth:`monitoring`, one client at a time: the store reads *batch* clients a
        query (where it has ``iter_monitoring``), so a sweep holds one batch."""
        grants = self._guard.grants
        if grants is not None:  # the scope's clients alone, from the group index
            days = min(RETENTION_DAYS - 1, (today - dt.date.min).days)
            since = (today - dt.timedelta(days=days)).isoformat()
            return iter(self.engine.monitoring(list(self._scoped(grants, since)), today))
        self._guard.require("read")
        streamed = getattr(self.store, "iter_monitoring", None)
        if streamed is not None:
            found: Iterator[Client] = streamed(today, batch=batch)
            return found
        return iter(self.store.monitoring(today))
