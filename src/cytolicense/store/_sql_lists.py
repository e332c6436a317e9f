"""The SQL store's list pages and reports, answered from its indexed columns.

:class:`SqlLists` is the part of :class:`~cytolicense.store._sql.SqlStore` that lists:
the light rows of the list pages (``rows``: the projected columns, no document read),
the expiring list and its pages, the renewals due on a day, and the forecast (one
aggregate over the expiry index, kept until the partner's data changes). The SQL they
run is built in :mod:`cytolicense.store._queries`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..core._access import Grant
from ..core._client_records import Client
from ..core._exceptions import StoreError, said
from ._marks import FORECASTS, MARK_QUERY
from ._protocol import ClientRow
from ._queries import (
    CorruptRow,
    client_rows,
    end_parts,
    expiring_page_query,
    forecast_query,
    rows_query,
)
from ._sql_base import SqlBase

if TYPE_CHECKING:
    from ..views._lifecycle import ExpiringPage, Expiry, Forecast

__all__ = ["SqlLists"]


class SqlLists(SqlBase):
    """The list pages and reports of :class:`~cytolicense.store._sql.SqlStore`."""

    if TYPE_CHECKING:

        def _scope(self, grants: Iterable[Grant] | None) -> tuple[str, list[object], str]: ...
        def load_many(self, client_ids: Iterable[str]) -> dict[str, tuple[Client, int]]: ...

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
