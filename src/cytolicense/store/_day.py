"""The day's run (:meth:`Console.run_day`): what every client of a partner has due on a
day, applied once whatever happens.

The candidates come from the store's expiry index (``renewals_due``: the commercial
lines whose expiry is the day, or that are in grace on it), never from a scan of every
document. They are taken a batch of clients at a time: each batch reads its clients
(and holds them until it commits: SQLite's write lock, PostgreSQL's row locks), asks
the engine what is due for each (:meth:`Engine.due`), and applies each operation under
its idempotency key ``auto-renew:<client>:<maintenance>:<expires_on>``, all in one
transaction. So a run killed halfway loses at most its open batch, which the next run
does again; a run repeated, or two runs of the same day at once, find nothing more to
do (a renewal moves the line's expiry, and a second run waits for the first's batch
and then reads the renewed line).

A renewal refused (a pool short of seats with ``pool_shortage=ERROR``) stores nothing,
not even its key: it is due again the next day, until its grace ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..core._day_run import DayRun
from ..core._exceptions import NotFoundError, RuleViolation
from ..core._findings import Decision
from ..core._operations import Operation

if TYPE_CHECKING:
    from ._console import Console

__all__ = ["ACTOR", "BATCH", "day_key", "plan_day", "run_day", "write_expiry_notices"]

ACTOR = "auto-renew"
"""The actor the day's run records on the events it writes."""

BATCH = 500
"""Clients a batch (one transaction) of the day's run takes."""

_MAX_KEY = 200

Applied = list[tuple[str, Operation]]
Refused = list[tuple[str, Operation, Decision]]
OnBatch = Callable[[int, DayRun], None]


def day_key(client_id: str, maintenance_id: str, expires_on: dt.date) -> str:
    """The idempotency key of the day's renewal of a line that expires on *expires_on*
    (``auto-renew:<client>:<maintenance>:<expires_on>``; a digest of the ids when that
    would pass the 200 characters a key may have)."""
    key = f"auto-renew:{client_id}:{maintenance_id}:{expires_on.isoformat()}"
    if len(key) <= _MAX_KEY and key.isprintable():
        return key
    digest = hashlib.sha256(f"{client_id}\0{maintenance_id}".encode()).hexdigest()
    return f"auto-renew:{digest}:{expires_on.isoformat()}"


def due_clients(console: Console, today: dt.date) -> list[str]:
    """The ids of the clients that may have something due on *today*, in id order: from
    the store's expiry index where it has one, else (a store of your own) from every
    client."""
    listed = getattr(console.store, "renewals_due", None)
    if listed is not None:
        rows: Sequence[tuple[str, str, dt.date]] = listed(today)
        return list(dict.fromkeys(client_id for client_id, _, _ in rows))
    engine = console.engine
    return sorted(c.id for c in console.store.clients() if engine.due(c, today))


def write_expiry_notices(console: Console, today: dt.date) -> None:
    """The day's run's step that writes expiry notices (``ExpiryNotice``: 60, 30, 7 and
    1 days before each expiry), after the renewals so that a line renewed today is
    armed for its new expiry. Nothing yet: the event feed's work adds it here."""


def run_day(
    console: Console,
    today: dt.date,
    *,
    batch: int = BATCH,
    on_batch: OnBatch | None = None,
) -> DayRun:
    """:meth:`Console.run_day`: the renewals due on *today*, then the expiry notices."""
    if type(batch) is not int or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    ids = due_clients(console, today)
    applied: Applied = []
    refused: Refused = []
    for n, start in enumerate(range(0, len(ids), batch)):
        part = ids[start : start + batch]
        # A batch the database could not finish (a lost connection, a deadlock) is run
        # again whole: what it had committed answers from its keys.
        done, failed = console._retrying(lambda p=part: _renew(console, p, today), "run-day")  # type: ignore[misc]
        applied += done
        refused += failed
        if on_batch is not None:
            on_batch(n, DayRun(applied=tuple(applied), refused=tuple(refused)))
    write_expiry_notices(console, today)
    return DayRun(applied=tuple(applied), refused=tuple(refused))


def _renew(console: Console, ids: list[str], today: dt.date) -> tuple[Applied, Refused]:
    """One batch: what is due for each of *ids*, applied under its key, in one
    transaction."""
    store, engine = console.store, console.engine
    applied: Applied = []
    refused: Refused = []
    console._in_batch = True
    try:
        with store.batch():
            read_many = getattr(store, "load_many", None)
            if read_many is not None:  # one query, and the batch holds them
                read_many(ids)
            for client_id in ids:
                try:
                    client = store.get(client_id)
                except NotFoundError:  # deleted from the store since it was listed
                    continue
                for op in engine.due(client, today):
                    mid = getattr(op, "maintenance", "")
                    key = day_key(client_id, mid, client.maintenance(mid).expires_on)
                    try:
                        console.apply(client_id, op, today, actor=ACTOR, key=key)
                    except RuleViolation as exc:
                        refused.append((client_id, op, exc.decision))
                    except NotFoundError:  # out of the operator's scope
                        break
                    else:
                        applied.append((client_id, op))
    finally:
        console._in_batch = False
    return applied, refused


def plan_day(console: Console, today: dt.date) -> DayRun:
    """What :func:`run_day` would do on *today*, nothing written: each due operation
    with the decision its dry run gives (refused: those with errors)."""
    engine = console.engine
    pool = console.store.pool()
    applied: Applied = []
    refused: Refused = []
    for client_id in due_clients(console, today):
        try:
            client = console.get(client_id)
        except NotFoundError:
            continue
        for op in engine.due(client, today):
            decision = engine.check(client, op, today, pool=pool if pool.lines else None)
            if decision.ok:
                applied.append((client_id, op))
            else:
                refused.append((client_id, op, decision))
    return DayRun(applied=tuple(applied), refused=tuple(refused))
