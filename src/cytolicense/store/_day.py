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

Then the expiry notices (:class:`ExpiryNotice`): their candidates are a range of the
expiry index (the commercial lines in force that expire from the day to the partner's
longest threshold later), taken a batch of clients at a time in the same way; the
engine says which are due (:func:`~cytolicense.operations._renewal_day.notices`, pure),
and each client's are saved as a change of their own (in its history and the
partner's feed). What was written is in the client's document
(:attr:`Maintenance.notices`), read under the batch's locks: a run repeated, or two at
once, write each notice once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from ..core._day_run import DayRun
from ..core._events import ExpiryNotice, apply_trusted
from ..core._exceptions import DataError, NotFoundError, RuleViolation
from ..core._findings import Decision
from ..core._operations import Operation
from ..engine._change import Change
from ..operations._renewal_day import NOTICE_DAYS, notice_days, notices

if TYPE_CHECKING:
    from ..core._client_records import Client
    from ..engine._engine import Engine
    from ._protocol import ClientStore

__all__ = [
    "ACTOR",
    "BATCH",
    "NOTICES_SETTING",
    "DayConsole",
    "day_key",
    "notice_thresholds",
    "plan_day",
    "run_day",
    "set_notice_thresholds",
    "write_expiry_notices",
]

ACTOR = "auto-renew"
"""The actor the day's run records on the events it writes."""

BATCH = 500
"""Clients a batch (one transaction) of the day's run takes."""

_MAX_KEY = 200

Applied = list[tuple[str, Operation]]
Refused = list[tuple[str, Operation, Decision]]
Notices = list[tuple[str, ExpiryNotice]]
OnBatch = Callable[[int, DayRun], None]

NOTICES_SETTING = "notice_thresholds"
"""The partner's setting holding its expiry notices' thresholds (a JSON array)."""

R = TypeVar("R")


class DayConsole(Protocol):
    """What the day's run asks of the console it runs for (:class:`~cytolicense.Console`
    is one): its engine and store, its reads and applies in the operator's scope, its
    retries, and the flag that tells :meth:`apply` it runs inside a batch. A protocol,
    so that this module need not import the console, which imports it."""

    engine: Engine
    store: ClientStore
    _in_batch: bool

    def get(self, client_id: str) -> Client: ...

    def apply(
        self,
        client_id: str,
        operation: Operation,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> Change: ...

    def _retrying(self, run: Callable[[], R], key: str | None) -> R: ...


def day_key(client_id: str, maintenance_id: str, expires_on: dt.date) -> str:
    """The idempotency key of the day's renewal of a line that expires on *expires_on*
    (``auto-renew:<client>:<maintenance>:<expires_on>``; a digest of the ids when that
    would pass the 200 characters a key may have)."""
    key = f"auto-renew:{client_id}:{maintenance_id}:{expires_on.isoformat()}"
    if len(key) <= _MAX_KEY and key.isprintable():
        return key
    digest = hashlib.sha256(f"{client_id}\0{maintenance_id}".encode()).hexdigest()
    return f"auto-renew:{digest}:{expires_on.isoformat()}"


def due_clients(console: DayConsole, today: dt.date) -> list[str]:
    """The ids of the clients that may have something due on *today*, in id order: from
    the store's expiry index where it has one, else (a store of your own) from every
    client."""
    listed = getattr(console.store, "renewals_due", None)
    if listed is not None:
        rows: Sequence[tuple[str, str, dt.date]] = listed(today)
        return list(dict.fromkeys(client_id for client_id, _, _ in rows))
    engine = console.engine
    return sorted(c.id for c in console.store.clients() if engine.due(c, today))


def notice_thresholds(console: DayConsole) -> tuple[int, ...]:
    """The partner's expiry notices' thresholds, least urgent first (default 60, 30, 7,
    1 days; ``()``: none)."""
    get = getattr(console.store, "setting", None)
    text = None if get is None else get(NOTICES_SETTING)
    if text is None:
        return NOTICE_DAYS
    try:
        return notice_days(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise DataError(f"the partner's notice thresholds are not valid: {exc}") from exc


def set_notice_thresholds(console: DayConsole, thresholds: Iterable[int]) -> tuple[int, ...]:
    """Store the partner's expiry notices' thresholds; them, least urgent first."""
    days = notice_days(thresholds)
    put = getattr(console.store, "set_setting", None)
    if put is None:
        raise TypeError(f"{console.store!r} keeps no settings")
    put(NOTICES_SETTING, json.dumps(list(days)))
    return days


def notice_clients(console: DayConsole, today: dt.date, days: int) -> list[str]:
    """The ids of the clients that may have an expiry notice due on *today*, in id
    order: from a range of the store's expiry index (lines expiring from *today* to
    *days* days later) where it has one, else (a store of your own) every client."""
    listed = getattr(console.store, "notices_due", None)
    if listed is not None:
        rows: Sequence[tuple[str, str, dt.date]] = listed(today, days)
        return list(dict.fromkeys(client_id for client_id, _, _ in rows))
    return sorted(c.id for c in console.store.clients())


def write_expiry_notices(
    console: DayConsole, today: dt.date, *, batch: int = BATCH, dry_run: bool = False
) -> Notices:
    """The day's run's step that writes expiry notices (:class:`ExpiryNotice`, at the
    partner's thresholds: 60, 30, 7 and 1 days before each expiry by default), after
    the renewals so that a line renewed today is armed for its new expiry. The
    notices written (with *dry_run*: those it would write, nothing written)."""
    days = notice_thresholds(console)
    if not days:
        return []
    ids = notice_clients(console, today, days[0])
    written: Notices = []
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        if dry_run:
            written += _notices_of(console, part, today, days, write=False)
            continue
        written += console._retrying(partial(_notices_of, console, part, today, days), "run-day")
    return written


def _notices_of(
    console: DayConsole,
    ids: list[str],
    today: dt.date,
    days: tuple[int, ...],
    *,
    write: bool = True,
) -> Notices:
    """One batch of notices: each client's due ones, saved as one change per client
    (its history and the feed), all in one transaction."""
    store = console.store
    written: Notices = []
    if not write:
        for client_id in ids:
            try:
                client = console.get(client_id)
            except NotFoundError:
                continue
            written += [
                (client_id, attrs.evolve(e, actor=ACTOR)) for e in notices(client, today, days)
            ]
        return written
    with store.batch():
        read_many = getattr(store, "load_many", None)
        if read_many is not None:  # one query, and the batch holds them
            read_many(ids)
        for client_id in ids:
            try:
                console.get(client_id)  # (out of the operator's scope: NotFoundError)
                client, version = store.load(client_id)
            except NotFoundError:
                continue
            events = tuple(attrs.evolve(e, actor=ACTOR) for e in notices(client, today, days))
            if not events:
                continue
            after = client
            for e in events:
                after = apply_trusted(after, e)
            store.save(Change(client=after, events=events), version)
            written += [(client_id, e) for e in events]
    return written


def run_day(
    console: DayConsole,
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
    written = write_expiry_notices(console, today, batch=batch)
    return DayRun(applied=tuple(applied), refused=tuple(refused), notices=tuple(written))


def _renew(console: DayConsole, ids: list[str], today: dt.date) -> tuple[Applied, Refused]:
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


def plan_day(console: DayConsole, today: dt.date) -> DayRun:
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
    # A line the run renews first is armed for its new end: no notice for the old one.
    renewed = {(cid, getattr(op, "maintenance", "")) for cid, op in applied}
    written = [
        (cid, e)
        for cid, e in write_expiry_notices(console, today, dry_run=True)
        if (cid, e.maintenance_id) not in renewed
    ]
    return DayRun(applied=tuple(applied), refused=tuple(refused), notices=tuple(written))
