"""What both stores write, as plain rows: shared by SQLite and PostgreSQL.

Pure functions of the records (dates as ISO text, which both databases read): the
indexed projections, the expiry index rows, the checks a change must pass before it
is written, the rows of a bulk import, the statements that write them, and the list
orders a page names (:data:`ORDERS`, :func:`sort_key`). What the stores ask, and how
they read the answers, is in :mod:`cytolicense.store._queries`.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Sequence
from typing import Any

from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import EVENT_TYPES, ClientCreated, replay_trusted
from ..core._maintenance import Maintenance
from ..core._pool import PoolChanged
from ..engine._change import Change
from ._protocol import ClientRow
from ._serialize import client_data, compact, event_data, to_data

__all__ = [
    "BULK_COLUMNS",
    "EXPIRY_COLUMNS",
    "EXPIRY_DELETE",
    "EXPIRY_SET",
    "EXPIRY_UPSERT",
    "INSERT_ROWS",
    "ORDERS",
    "POOL_UPSERT",
    "PROJECTED",
    "ExpiryRow",
    "bulk_rows",
    "check_change",
    "columns",
    "dumps",
    "event_rows",
    "expiry_rows",
    "fold",
    "follows",
    "pool_event_rows",
    "projection",
    "sort_key",
    "update_plan",
    "update_sql",
]


def dumps(obj: Any) -> str:
    """The document of a record or event, as the stores keep it."""
    if type(obj) is Client:
        return compact(client_data(obj))
    if isinstance(obj, EVENT_TYPES):
        return compact(event_data(obj))
    return compact(to_data(obj))


def fold(text: str) -> str:
    """*text* as a name search compares it and the name sort orders it: case folded for
    every script (``str.casefold``: "Straße" and "STRASSE" are both ``strasse``), in
    composed form (an "ñ" typed as "n" and a combining tilde is the stored "ñ")."""
    return unicodedata.normalize("NFC", text.casefold())


def projection(client: Client) -> tuple[str, str | None, str, str, str]:
    """The indexed columns a list page reads: name, deletion day, the last day the
    console shows the client, the products in force at its last change, and the name
    folded (:func:`fold`: what a search compares and the name sort orders, written
    here, with every save, so that both stores compare it alike)."""
    end = client.ended_on
    try:
        until = (end + dt.timedelta(days=RETENTION_DAYS - 1)).isoformat()
    except OverflowError:
        until = dt.date.max.isoformat()
    day = client.last_change
    products = sorted({m.product for m in client.maintenances if m.in_force(day)})
    deleted = client.deleted_on.isoformat() if client.deleted_on is not None else None
    return client.name, deleted, until, ",".join(products), fold(client.name)


ExpiryRow = tuple[str, str, str, str, str, str, int, int, int]
"""An expiry index row without its partner and client: ``(maintenance_id, starts_on,
expires_on, in_force_until, product, license_type, quantity, suspended, grace)``, in
:data:`EXPIRY_COLUMNS` order (after ``partner, client_id``)."""

EXPIRY_COLUMNS = (
    "partner, client_id, maintenance_id, starts_on, expires_on, in_force_until, "
    "product, license_type, quantity, suspended, grace"
)
"""The expiry index's columns. ``suspended`` is 1 for a line with any suspension (its
day-by-day state is read from the document); ``grace`` is ``in_force_until`` minus
``expires_on`` in days, so that the largest one bounds where a line in grace can
expire (the expiring list's scan starts there)."""


def expiry_rows(client: Client) -> list[ExpiryRow]:
    """The expiry index rows of *client*: each maintenance that can be in force, with
    its start, expiry and last day in force, and what the expiring list and the
    forecast show of it (product, licence type, seats)."""
    return [row for row in map(_expiry_row, client.maintenances) if row is not None]


def _expiry_row(m: Maintenance) -> ExpiryRow | None:
    stopped = m.stopped_on
    until = m.grace_until
    if stopped is not None:
        if stopped <= m.starts_on:
            return None  # never in force
        until = min(until, stopped - dt.timedelta(days=1))
    return (
        m.id,
        m.starts_on.isoformat(),
        m.expires_on.isoformat(),
        until.isoformat(),
        m.product,
        m.license_type.value,
        m.quantity,
        1 if m.suspensions else 0,
        (until - m.expires_on).days,
    )


def event_rows(
    partner: str, client_id: str, seq: int, events: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """The rows of *events* numbered from ``seq + 1``: ``(partner, client_id, seq, type,
    on_day, document)``, the events table's columns."""
    return [
        (partner, client_id, seq + i, type(e).__name__, e.on.isoformat(), dumps(e))
        for i, e in enumerate(events, start=1)
    ]


def follows(stored: Client | None, change: Change) -> None:
    """Refuse a change whose events do not lead from *stored* to the change's client."""
    try:
        # Trusted replay: the result is compared with the change's client, which was
        # validated when built (by the engine's rules or a strict reader).
        result = replay_trusted(change.events, stored)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(
            f"the change's events do not follow from the stored client: {exc}"
        ) from exc
    if result != change.client:
        raise ValueError(
            f"the change's events do not lead from the stored client {change.client.id!r} "
            "to the change's client: it was computed from another state"
        )


MAX_VERSION = 2**62
"""The largest client version a store takes (64-bit integer columns in both stores)."""


def check_change(change: Change, version: int | None) -> bool:
    """Check a change's shape before it is written; ``False`` when it has no event
    (nothing to write). :class:`ValueError` for events of another client, a new
    client's change without its ``ClientCreated``, or a change creating it again."""
    if version is not None and (type(version) is not int or not 1 <= version <= MAX_VERSION):
        raise TypeError(
            f"version must be None (a new client) or an int from 1 to {MAX_VERSION}, "
            f"got {version!r}"
        )
    client = change.client
    if not change.events:
        if version is None:
            raise ValueError("a new client needs its ClientCreated event")
        return False
    if any(e.client_id != client.id for e in change.events):
        raise ValueError(f"change holds events of another client than {client.id!r}")
    created = [isinstance(e, ClientCreated) for e in change.events]
    if version is None and not created[0]:
        raise ValueError("a new client's first event must be ClientCreated")
    if any(created[1:]) or (version is not None and created[0]):
        raise ValueError(
            f"the change creates client {client.id!r} again: save it with version=None"
        )
    return True


def bulk_rows(
    partner: str, changes: Sequence[Change]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The client, event and expiry rows of new clients for a bulk import, each change
    checked (it creates its client, once, and its events lead to it)."""
    clients: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    expiries: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for change in changes:
        client = change.client
        if not change.events or not isinstance(change.events[0], ClientCreated):
            raise ValueError(f"bulk: the change of {client.id!r} does not create it")
        if client.id in seen:
            raise ValueError(f"bulk: client {client.id!r} given twice")
        seen.add(client.id)
        follows(None, change)
        clients.append(
            (
                partner,
                client.id,
                1,
                client.ended_on.isoformat(),
                dumps(client),
                *projection(client),
                len(change.events),
                client.group,
            )
        )
        events.extend(event_rows(partner, client.id, 0, change.events))
        expiries.extend((partner, client.id, *r) for r in expiry_rows(client))
    return clients, events, expiries


BULK_COLUMNS = {
    "clients": "partner, id, version, ended_on, document, name, deleted_on, shown_until, "
    "products, name_key, seq, grp",
    "events": "partner, client_id, seq, type, on_day, document",
    "expiries": EXPIRY_COLUMNS,
}
"""The columns of each table a bulk import writes, in the order of :func:`bulk_rows`."""

INSERT_ROWS = {
    table: f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * (columns.count(',') + 1))})"
    for table, columns in BULK_COLUMNS.items()
}
"""The ``INSERT`` of a row of each table, in :data:`BULK_COLUMNS` order: a bulk
import's rows, and every save's events."""


# -- what an update changes, and the orders of the list pages ----------------------------

PROJECTED = ("ended_on", "name", "deleted_on", "shown_until", "products", "name_key", "grp")
"""The projected columns of the clients table, in the order :func:`columns` gives them."""


def columns(client: Client) -> tuple[str | None, ...]:
    """The client's projected column values, in :data:`PROJECTED` order."""
    return (client.ended_on.isoformat(), *projection(client), client.group)


def update_plan(
    before: Client, client: Client
) -> tuple[tuple[str, ...], tuple[str | None, ...], list[str], list[ExpiryRow]]:
    """What updating *before* to *client* changes in the indexed rows: the projected
    columns that differ and their new values, the ids of expiry rows to delete, the
    expiry rows to write (new or changed). An unchanged indexed value costs its index
    nothing, so only these are written.

    A maintenance that is the same record in both clients has the same row: only the
    others are looked at (an operation changes one or two lines of a client that may
    hold hundreds).
    """
    old, new = columns(before), columns(client)
    changed = tuple(i for i in range(len(PROJECTED)) if old[i] != new[i])
    lines = {m.id: m for m in before.maintenances}
    gone: list[str] = []
    rows: list[ExpiryRow] = []
    matched = 0
    for m in client.maintenances:
        was = lines.get(m.id)
        if was is not None:
            matched += 1
            if was is m:
                continue
        row = _expiry_row(m)
        if row != (None if was is None else _expiry_row(was)):
            if row is None:
                gone.append(m.id)
            else:
                rows.append(row)
    if matched != len(lines):  # lines the new client does not hold (no operation drops one)
        kept = {m.id for m in client.maintenances}
        gone += [i for i, m in lines.items() if i not in kept and _expiry_row(m) is not None]
    return tuple(PROJECTED[i] for i in changed), tuple(new[i] for i in changed), gone, rows


@functools.lru_cache(maxsize=128)
def update_sql(changed: tuple[str, ...], *, to_version: bool = False) -> str:
    """The optimistic UPDATE of a client: its document, its event sequence and the
    *changed* projected columns, only if its version is still the one read. The new
    version is the old plus one, or *to_version* the first argument (a batch's
    held-back saves of one client are one UPDATE across several versions)."""
    sets = "".join(f", {name} = ?" for name in changed)
    version = "?" if to_version else "version + 1"
    return (
        f"UPDATE clients SET version = {version}, document = ?, seq = ?{sets} "
        "WHERE partner = ? AND id = ? AND version = ?"
    )


ORDERS = ("id", "-id", "name", "-name", "ended_on", "-ended_on")
"""The orders ``rows()`` lists in: by id (the default), by the folded name or by the
last day of service, each ascending or (``-``) descending, ties by id. Each is one
index's order (``clients_listing``, ``clients_sorted_by_name``,
``clients_sorted_by_end``), so that a page reads a page of entries at any depth."""

_ORDER_COLUMNS = {"id": "id", "name": "name_key", "ended_on": "ended_on"}


def _order(order: str) -> tuple[str, bool]:
    """The column *order* sorts by and whether it descends."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    return _ORDER_COLUMNS[order.removeprefix("-")], order.startswith("-")


def sort_key(row: ClientRow, order: str) -> str | tuple[str, str]:
    """Where the page after *row* starts in *order* (``rows(after=...)``): its id in
    the id order, else its ``(sort key, id)`` (the folded name or the day as ISO
    text)."""
    column, _ = _order(order)
    if column == "id":
        return row.id
    if column == "name_key":
        return fold(row.name), row.id
    return row.ended_on.isoformat(), row.id


def pool_event_rows(partner: str, events: Sequence[PoolChanged]) -> list[tuple[Any, ...]]:
    """The arguments of the pool's upsert per movement: ``(partner, item, period, seats)``."""
    return [(partner, e.item, str(e.period), e.seats) for e in events]


EXPIRY_DELETE = "DELETE FROM expiries WHERE partner = ? AND client_id = ? AND maintenance_id = ?"
"""Drop a client's expiry row (a line that can no longer be in force)."""

EXPIRY_SET = (
    "starts_on = excluded.starts_on, expires_on = excluded.expires_on, "
    "in_force_until = excluded.in_force_until, product = excluded.product, "
    "license_type = excluded.license_type, quantity = excluded.quantity, "
    "suspended = excluded.suspended, grace = excluded.grace"
)
"""The columns an expiry row's upsert sets (every one but its key)."""

EXPIRY_UPSERT = (
    f"INSERT INTO expiries ({EXPIRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT (partner, client_id, maintenance_id) DO UPDATE SET {EXPIRY_SET}"
)
"""Write a client's expiry row, new or changed."""

POOL_UPSERT = (
    "INSERT INTO pools (partner, item, period, seats) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (partner, item, period) DO UPDATE SET seats = pools.seats + excluded.seats"
)
"""The pool's atomic increment (two writers lose no seat)."""
