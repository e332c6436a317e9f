"""What both stores write, as plain rows: shared by SQLite and PostgreSQL.

Pure functions of the records (dates as ISO text, which both databases read): the
indexed projections, the expiry index rows, the checks a change must pass before it
is written, and the rows of a bulk import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS
from ..core._events import ClientCreated, replay
from ..engine._engine import Change
from ._serialize import client_data, to_data

__all__ = [
    "bulk_rows",
    "check_change",
    "dumps",
    "expiry_rows",
    "follows",
    "projection",
]


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""One encoder for every document (``json.dumps`` with options builds one per call)."""


def dumps(obj: Any) -> str:
    """The document of a record or event, as the stores keep it."""
    return _ENCODE(client_data(obj) if type(obj) is Client else to_data(obj))


def projection(client: Client) -> tuple[str, str | None, str, str]:
    """The indexed columns a list page reads: name, deletion day, the last day the
    console shows the client, the products in force at its last change."""
    end = client.ended_on
    try:
        until = (end + dt.timedelta(days=RETENTION_DAYS - 1)).isoformat()
    except OverflowError:
        until = dt.date.max.isoformat()
    day = client.last_change
    products = sorted({m.product for m in client.maintenances if m.in_force(day)})
    deleted = client.deleted_on.isoformat() if client.deleted_on is not None else None
    return client.name, deleted, until, ",".join(products)


def expiry_rows(client: Client) -> list[tuple[str, str, str, str]]:
    """The expiry index rows of *client*: each maintenance that can be in force, with
    its start, expiry and last day in force."""
    rows = []
    for m in client.maintenances:
        stopped = m.stopped_on
        until = m.grace_until
        if stopped is not None:
            if stopped <= m.starts_on:
                continue
            until = min(until, stopped - dt.timedelta(days=1))
        rows.append((m.id, m.starts_on.isoformat(), m.expires_on.isoformat(), until.isoformat()))
    return rows


def follows(stored: Client | None, change: Change) -> None:
    """Refuse a change whose events do not lead from *stored* to the change's client."""
    try:
        result = replay(change.events, stored)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(
            f"the change's events do not follow from the stored client: {exc}"
        ) from exc
    if result != change.client:
        raise ValueError(
            f"the change's events do not lead from the stored client {change.client.id!r} "
            "to the change's client: it was computed from another state"
        )


def check_change(change: Change, version: int | None) -> bool:
    """Check a change's shape before it is written; ``False`` when it has no event
    (nothing to write). :class:`ValueError` for events of another client, a new
    client's change without its ``ClientCreated``, or a change creating it again."""
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
                client.ended_on.isoformat(),
                dumps(client),
                *projection(client),
                len(change.events),
            )
        )
        events.extend(
            (partner, client.id, i, type(e).__name__, e.on.isoformat(), dumps(e))
            for i, e in enumerate(change.events, start=1)
        )
        expiries.extend((partner, client.id, *r) for r in expiry_rows(client))
    return clients, events, expiries
