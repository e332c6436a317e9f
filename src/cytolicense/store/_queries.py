"""What both stores ask, as SQL text and arguments, and how they read the answers.

Pure functions shared by SQLite and PostgreSQL (written with ``?`` markers, dates as
ISO text): the SELECTs behind the list pages (``rows()``), the expiring list's pages,
the forecast and the pool's history, and the parsers of their rows (a list page's
:class:`ClientRow` s, the pool). What the stores write is in
:mod:`cytolicense.store._rows`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from ..core._dates import RETENTION_DAYS
from ..core._pool import Pool, PoolLine
from ._protocol import ClientRow
from ._rows import _order, fold

__all__ = [
    "CorruptRow",
    "client_rows",
    "end_parts",
    "expiring_page_query",
    "forecast_query",
    "pool_of",
    "pool_tail_query",
    "rows_query",
]


def pool_tail_query(partner: str, last: int) -> tuple[str, list[object]]:
    """The partner's last *last* pool movements ``(seq, document)``, newest first: a
    backward scan of the key ``(partner, seq)`` that stops after them."""
    if type(last) is not int or last < 0:
        raise ValueError(f"last must be an int >= 0, got {last!r}")
    return (
        "SELECT seq, document FROM pool_events WHERE partner = ? ORDER BY seq DESC LIMIT ?",
        [partner, last],
    )


def _retention_cut(today: dt.date) -> str:
    """The first last day of service a client shown on *today* can have: its last day
    shown (``shown_until``) is that day plus ``RETENTION_DAYS - 1``."""
    try:
        return (today - dt.timedelta(days=RETENTION_DAYS - 1)).isoformat()
    except OverflowError:
        return dt.date.min.isoformat()


def end_parts(order: str, shown: bool | None, today: dt.date | None) -> tuple[str, ...]:
    """The parts :func:`rows_query` reads a list in: the end orders of a list judged on
    *today* read a range of the end index (a client is shown while ``ended_on`` is
    within the retention of *today*, or when deleted after *today*), not the hidden
    half of the index before it; every other list is one part (``None``)."""
    if today is None or shown is None or order.removeprefix("-") != "ended_on":
        return ()
    return ("live", "late") if shown else ("hidden",)


def rows_query(
    partner: str,
    today: dt.date | None,
    *,
    shown: bool | None,
    search: str | None,
    limit: int | None,
    after: str | tuple[object, str] | None,
    name_like: str,
    scope: tuple[str, list[object]] | tuple[str, list[object], str] = ("", []),
    order: str = "id",
    part: str | None = None,
) -> tuple[str, list[object]]:
    """The SELECT behind ``rows()`` and its arguments, for a store whose folded name
    match is *name_like* (with one ``?`` for the pattern, :func:`fold` ed here);
    *scope*: a condition on the group (`` AND ...``) and its arguments; *order*: one
    of :data:`~cytolicense.store._rows.ORDERS`, with *after* the previous page's last
    ``(sort key, id)`` (:func:`~cytolicense.store._rows.sort_key`), or its last id in
    the id order.

    *part* (the end orders of a list with *shown*, see :func:`end_parts`): ``"live"``
    the rows whose last day shown is still to come, a range of the end index;
    ``"late"`` those shown only because they are deleted after *today* (unordered:
    the caller sorts them); ``"hidden"`` the hidden list's range."""
    column, descending = _order(order)
    where = ["partner = ?"]
    args: list[object] = [partner]
    if scope[0]:
        where.append(scope[0].removeprefix(" AND "))
        args += scope[1]
    hint = scope[2] if len(scope) > 2 else ""  # a 3-tuple: how to read the table
    if shown is not None:
        if today is None:
            raise ValueError("rows(shown=...) needs today")
        if shown:
            where.append("(shown_until >= ? OR deleted_on > ?)")
        else:
            where.append("shown_until < ? AND (deleted_on IS NULL OR deleted_on <= ?)")
        args += [today.isoformat(), today.isoformat()]
    if search:
        folded = fold(search)
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(name_like)
        args.append(f"%{escaped}%")
    if part is not None:
        assert today is not None
        cut = _retention_cut(today)
        if part == "live":
            where.append("ended_on >= ?")
            args.append(cut)
        elif part == "late":
            # Not a range of the end index (an expression of the column): the few
            # rows deleted after today come from the index of the deleted clients.
            where.append("coalesce(ended_on, ended_on) < ? AND deleted_on > ?")
            args += [cut, today.isoformat()]
        else:
            where.append("ended_on < ?")
            args.append(cut)
    sign = "<" if descending else ">"
    if after is not None and column == "id":
        if not isinstance(after, str):
            raise TypeError(f"rows(order={order!r}, after=...) takes an id, got {after!r}")
        where.append(f"id {sign} ?")
        args.append(after)
    elif after is not None:
        if not (isinstance(after, tuple) and len(after) == 2 and isinstance(after[1], str)):
            raise TypeError(f"rows(order={order!r}, after=...) takes (sort key, id), got {after!r}")
        key = after[0].isoformat() if isinstance(after[0], dt.date) else after[0]
        if not isinstance(key, str):
            raise TypeError(f"rows(order={order!r}): a sort key is text or a day, got {key!r}")
        # The key's own bound as well as the pair's: the scan starts at the key (SQLite
        # seeks the index by a column's bound, then compares the pair).
        where.append(f"{column} {sign}= ? AND ({column}, id) {sign} (?, ?)")
        args += [key, key, after[1]]
    way = " DESC" if descending else ""
    sql = (
        f"SELECT id, name, deleted_on, ended_on, shown_until, products FROM clients{hint} "
        f"WHERE {' AND '.join(where)}"
    )
    if part != "late":
        sql += " ORDER BY " + (f"id{way}" if column == "id" else f"{column}{way}, id{way}")
    if limit is not None and part != "late":
        sql += " LIMIT ?"
        args.append(int(limit))
    return sql, args


def _last_day(today: dt.date, within_days: int) -> str:
    try:
        return (today + dt.timedelta(days=within_days)).isoformat()
    except OverflowError:
        return dt.date.max.isoformat()


def expiring_page_query(
    partner: str,
    today: dt.date,
    within_days: int,
    *,
    grace: int,
    after: tuple[dt.date, str, str] | None,
    limit: int,
) -> tuple[str, list[object]]:
    """A page of the expiring list straight from the expiry index, in the list's order
    ``(expires_on, client_id, maintenance_id)``, after the key *after* (keyset), each
    row with its client's name: ``(expires_on, client_id, maintenance_id, name,
    product, license_type, quantity, suspended)``.

    The scan starts *grace* days (the partner's longest) before *today*: no line that
    expired earlier is still in force, so the lines long gone are never read."""
    day = today.isoformat()
    try:
        first = (today - dt.timedelta(days=max(grace, 0))).isoformat()
    except OverflowError:
        first = dt.date.min.isoformat()
    where = (
        "e.partner = ? AND e.expires_on >= ? AND e.expires_on <= ? AND e.starts_on <= ? "
        "AND e.in_force_until >= ?"
    )
    args: list[object] = [partner, first, _last_day(today, within_days), day, day]
    if after is not None:
        # The key's day is also the scan's first day: SQLite seeks the index by one
        # lower bound, and with the grace's alone it read every line before the key
        # (a page at 90% of 83,909 lines: 30 ms against 6 ms for the first).
        args[1] = max(first, after[0].isoformat())
        where += " AND (e.expires_on, e.client_id, e.maintenance_id) > (?, ?, ?)"
        args += [after[0].isoformat(), after[1], after[2]]
    sql = (
        "SELECT e.expires_on, e.client_id, e.maintenance_id, c.name, e.product, "
        "e.license_type, e.quantity, e.suspended FROM expiries AS e JOIN clients AS c "
        f"ON c.partner = e.partner AND c.id = e.client_id WHERE {where} "
        "ORDER BY e.expires_on, e.client_id, e.maintenance_id LIMIT ?"
    )
    return sql, [*args, int(limit)]


def forecast_query(partner: str, today: dt.date, last: dt.date) -> tuple[str, list[object]]:
    """Seats per (expiry day, product) of the lines active on *today* (started, not
    stopped, not yet expired) that expire by *last*: one aggregate over the expiry
    index (:meth:`Maintenance.is_active` is ``starts_on <= today <= expires_on`` and
    not stopped, and a line stopped by *today* has ``in_force_until`` before it)."""
    day = today.isoformat()
    sql = (
        "SELECT expires_on, product, sum(quantity) FROM expiries WHERE partner = ? "
        "AND expires_on >= ? AND expires_on <= ? AND starts_on <= ? AND in_force_until >= ? "
        "GROUP BY expires_on, product"
    )
    return sql, [partner, day, last.isoformat(), day, day]


def pool_of(rows: Sequence[Sequence[Any]]) -> Pool:
    """The pool from its rows ``(item, period, seats)``; ``ValueError`` or ``TypeError``
    for a corrupt row."""
    return Pool(tuple(PoolLine(item=i, period=p, seats=int(n)) for i, p, n in rows))


def client_rows(rows: Iterable[Sequence[Any]], *, text_dates: bool) -> list[ClientRow]:
    """:class:`ClientRow` s from ``(id, name, deleted_on, ended_on, shown_until,
    products)`` rows, dates as ISO text (*text_dates*, SQLite) or as dates.

    A page of a million rows repeats a few hundred days and product lists: each is
    parsed once (four times faster than parsing every cell)."""
    new, row = tuple.__new__, ClientRow  # ClientRow._make without its Python call
    days: dict[Any, dt.date | None] = {None: None}
    products: dict[str, tuple[str, ...]] = {}
    parse = dt.date.fromisoformat if text_dates else _same_day
    get_day, get_ids = days.get, products.get
    out: list[ClientRow] = []
    append = out.append
    for cid, name, deleted, ended, shown, held in rows:
        try:
            end = get_day(ended)
            if end is None:
                end = days[ended] = parse(ended)
            until = get_day(shown)
            if until is None:
                until = days[shown] = parse(shown)
            gone = get_day(deleted, _UNSEEN)
            if gone is _UNSEEN:
                gone = days[deleted] = parse(deleted)
            ids = get_ids(held)
            if ids is None:
                ids = products[held] = tuple(p for p in held.split(",") if p)
        except (ValueError, TypeError, AttributeError) as exc:
            raise CorruptRow(cid, exc) from exc
        append(new(row, (cid, name, gone, end, until, ids)))
    return out


class CorruptRow(ValueError):
    """A client's row whose projected columns do not parse (raised from the parser's
    error; the store says which client)."""

    def __init__(self, client_id: object, cause: Exception) -> None:
        super().__init__(f"client {client_id!r}: {type(cause).__name__}: {cause}")
        self.client_id = client_id


_UNSEEN: Any = object()  # "not parsed yet"


def _same_day(day: dt.date) -> dt.date:
    return day
