"""The webhooks' outbox over the partner's event feed, in the SQL stores.

The feed itself (every event a save writes, at the next position of the partner's
feed, in commit order) is :mod:`cytolicense.store._feed`; the tables of the feed, the
webhooks and their deliveries are made here, together (one schema step).

Webhooks read the feed from their own cursor (``fed_to``): each pass of the worker
turns the feed's new items into ``deliveries`` rows (one per webhook and position,
those of the event types the webhook wants), then claims the due ones with a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sends them, and records each outcome
under its lease.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, NamedTuple

from ..core._exceptions import NotFoundError
from ..core._feed import (
    MAX_TRIES,
    RETRY_DELAYS,
    Delivery,
    DeliveryStatus,
    Webhook,
    delivery_id,
    parse_delivery_id,
    secret_key,
    to_event_names,
)
from ._feed import Feed, _day_of

__all__ = [
    "FEED_SQLITE",
    "Claimed",
    "Outbox",
    "feed_postgres",
]

FEED_SQLITE = """
CREATE TABLE IF NOT EXISTS feed_heads (
    partner TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS feed (
    partner TEXT NOT NULL,
    position INTEGER NOT NULL,
    client_id TEXT,
    type TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (partner, position)
);
CREATE TABLE IF NOT EXISTS webhooks (
    partner TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT,
    created_on TEXT NOT NULL,
    disabled_on TEXT,
    fed_to INTEGER NOT NULL,
    PRIMARY KEY (partner, id)
);
CREATE TABLE IF NOT EXISTS deliveries (
    partner TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER,
    lease TEXT,
    lease_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    done_at INTEGER,
    PRIMARY KEY (partner, webhook_id, position),
    FOREIGN KEY (partner, webhook_id) REFERENCES webhooks (partner, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (partner, next_at)
    WHERE status = 'pending';
"""
"""The feed and the webhooks' outbox on SQLite."""


def feed_postgres(policy: Callable[[str], str]) -> str:
    """The feed and the webhooks' outbox on PostgreSQL, each table under the
    partner's row-level security (*policy* gives a table's policy statements)."""
    tables = """
CREATE TABLE IF NOT EXISTS feed_heads (partner TEXT PRIMARY KEY, position BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS feed (
    partner TEXT NOT NULL, position BIGINT NOT NULL, client_id TEXT COLLATE "C",
    type TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (partner, position));
CREATE TABLE IF NOT EXISTS webhooks (
    partner TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
    events TEXT, created_on DATE NOT NULL, disabled_on DATE, fed_to BIGINT NOT NULL,
    PRIMARY KEY (partner, id));
CREATE TABLE IF NOT EXISTS deliveries (
    partner TEXT NOT NULL, webhook_id TEXT NOT NULL, position BIGINT NOT NULL,
    status TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0, next_at BIGINT, lease TEXT,
    lease_until BIGINT, last_status INTEGER, last_error TEXT, done_at BIGINT,
    PRIMARY KEY (partner, webhook_id, position),
    FOREIGN KEY (partner, webhook_id) REFERENCES webhooks (partner, id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (partner, next_at)
    WHERE status = 'pending';
"""
    return tables + "".join(policy(t) for t in ("feed_heads", "feed", "webhooks", "deliveries"))


class Claimed(NamedTuple):
    """A delivery claimed for sending, with what sending needs."""

    webhook: str
    position: int
    url: str
    secret: str
    type: str
    client: str | None
    document: str
    tries: int

    @property
    def id(self) -> str:
        return delivery_id(self.webhook, self.position)


def _seconds(moment: dt.datetime) -> int:
    if moment.utcoffset() is None:
        raise ValueError(f"a moment must be aware (UTC), got {moment!r}")
    return int(moment.timestamp())


def _moment(seconds: object) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(int(str(seconds)), dt.UTC)


class Outbox(Feed):
    """The feed and webhook methods of :class:`~cytolicense.store._sql.SqlStore` (the
    feed's own from :class:`~cytolicense.store._feed.Feed`)."""

    # How a claim locks the rows it takes (PostgreSQL: FOR UPDATE OF d SKIP LOCKED).
    _CLAIM_LOCK: ClassVar[str] = ""
    # How a pass locks a webhook whose feed it queues (PostgreSQL: FOR UPDATE SKIP LOCKED).
    _QUEUE_LOCK: ClassVar[str] = ""

    # -- webhooks ----------------------------------------------------------------------------

    def add_webhook(
        self, url: str, secret: str, today: dt.date, *, events: Iterable[str] | None = None
    ) -> Webhook:
        """Store a webhook (the URL already checked by the caller): it gets the events
        of the changes committed after it."""
        secret_key(secret)
        names = to_event_names(events)
        hook = Webhook(id="wh_" + secrets.token_hex(8), url=url, events=names, created_on=today)
        chosen = None if names is None else json.dumps(sorted(names))
        with self._writing("adding a webhook"):
            # From the last position committed: the events of changes still in flight
            # commit after it, so none is missed.
            self._exec(
                self._sql(
                    "INSERT INTO webhooks (partner, id, url, secret, events, created_on, "
                    "fed_to) VALUES (?, ?, ?, ?, ?, ?, coalesce((SELECT position FROM "
                    "feed_heads WHERE partner = ?), 0))"
                ),
                (self.partner, hook.id, url, secret, chosen, self._day(today), self.partner),
            )
        return hook

    def webhooks(self) -> tuple[Webhook, ...]:
        """The partner's webhooks, oldest first."""
        rows = self._ask(
            self._sql(
                "SELECT id, url, events, created_on, disabled_on FROM webhooks "
                "WHERE partner = ? ORDER BY created_on, id"
            ),
            (self.partner,),
            "listing webhooks",
        )
        return tuple(
            Webhook(
                id=wid,
                url=url,
                events=None if events is None else json.loads(events),
                created_on=_day_of(created) or dt.date.min,
                disabled_on=_day_of(disabled),
            )
            for wid, url, events, created, disabled in rows
        )

    def remove_webhook(self, webhook_id: str) -> None:
        """Remove a webhook and its deliveries (:class:`NotFoundError` when the
        partner has none of that id)."""
        with self._writing("removing a webhook"):
            self._exec(
                self._sql("DELETE FROM deliveries WHERE partner = ? AND webhook_id = ?"),
                (self.partner, webhook_id),
            )
            gone = self._exec(
                self._sql("DELETE FROM webhooks WHERE partner = ? AND id = ?"),
                (self.partner, webhook_id),
            )
        if not gone:
            raise NotFoundError(self.partner, webhook_id)

    def disable_webhook(self, webhook_id: str, today: dt.date) -> None:
        """Send nothing more to a webhook (its receiver answered 410 Gone)."""
        with self._writing("disabling a webhook"):
            self._exec(
                self._sql(
                    "UPDATE webhooks SET disabled_on = ? WHERE partner = ? AND id = ? "
                    "AND disabled_on IS NULL"
                ),
                (self._day(today), self.partner, webhook_id),
            )

    # -- deliveries --------------------------------------------------------------------------

    def queue_deliveries(self, now: dt.datetime, *, chunk: int = 1000) -> int:
        """Turn the feed's items after each enabled webhook's cursor into deliveries
        due at *now* (at most *chunk* feed positions a webhook); how many positions the
        cursors passed (0: every webhook has caught up with the feed). A webhook
        another worker is queueing is left to it (PostgreSQL)."""
        at = _seconds(now)
        passed = 0
        with self._writing("queueing deliveries"):
            hooks = self._query(
                self._sql(
                    "SELECT id, fed_to, events FROM webhooks WHERE partner = ? "
                    "AND disabled_on IS NULL ORDER BY id" + self._QUEUE_LOCK
                ),
                (self.partner,),
                "queueing deliveries",
            )
            for wid, fed_to, events in hooks:
                top = self._query(
                    self._sql(
                        "SELECT max(position) FROM (SELECT position FROM feed WHERE "
                        "partner = ? AND position > ? ORDER BY position LIMIT ?) AS f"
                    ),
                    (self.partner, fed_to, chunk),
                    "queueing deliveries",
                )
                if not top or top[0][0] is None:
                    continue
                last = int(top[0][0])
                names: list[str] = [] if events is None else json.loads(events)
                only = f" AND type IN ({', '.join('?' * len(names))})" if names else ""
                self._exec(
                    self._sql(
                        "INSERT INTO deliveries (partner, webhook_id, position, status, "
                        "tries, next_at) SELECT partner, ?, position, 'pending', 0, ? "
                        "FROM feed WHERE partner = ? AND position > ? AND position <= ?"
                        f"{only} ON CONFLICT DO NOTHING"
                    ),
                    (wid, at, self.partner, fed_to, last, *names),
                )
                self._exec(
                    self._sql("UPDATE webhooks SET fed_to = ? WHERE partner = ? AND id = ?"),
                    (last, self.partner, wid),
                )
                passed += last - int(fed_to)
        return passed

    def claim_deliveries(
        self,
        now: dt.datetime,
        lease: float,
        *,
        limit: int = 10,
        skip: Iterable[str] = (),
    ) -> tuple[str, list[Claimed]]:
        """Take at most *limit* deliveries due at *now* whose webhook is enabled (and
        not in *skip*), leased for *lease* seconds (no other worker takes them until it
        ends, nor one whose lease is running): the lease's token and the deliveries,
        oldest due first."""
        at = _seconds(now)
        token = secrets.token_hex(8)
        skipped = sorted(skip)
        but = f" AND d.webhook_id NOT IN ({', '.join('?' * len(skipped))})" if skipped else ""
        with self._writing("claiming deliveries"):
            rows = self._query(
                self._sql(
                    "SELECT d.webhook_id, d.position, w.url, w.secret, f.type, f.client_id, "
                    "f.document, d.tries FROM deliveries d JOIN webhooks w ON w.partner = "
                    "d.partner AND w.id = d.webhook_id JOIN feed f ON f.partner = d.partner "
                    "AND f.position = d.position WHERE d.partner = ? AND d.status = 'pending' "
                    "AND d.next_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?) "
                    f"AND w.disabled_on IS NULL{but} ORDER BY d.next_at, d.position, "
                    "d.webhook_id LIMIT ?" + self._CLAIM_LOCK
                ),
                (self.partner, at, at, *skipped, limit),
                "claiming deliveries",
            )
            if rows:
                self._many(
                    self._sql(
                        "UPDATE deliveries SET lease = ?, lease_until = ? WHERE partner = ? "
                        "AND webhook_id = ? AND position = ?"
                    ),
                    [(token, at + int(lease) + 1, self.partner, r[0], r[1]) for r in rows],
                )
        return token, [
            Claimed(w, int(p), url, sec, kind, client, doc, int(tries))
            for w, p, url, sec, kind, client, doc, tries in rows
        ]

    def record_delivery(
        self,
        claimed: Claimed,
        token: str,
        now: dt.datetime,
        *,
        ok: bool,
        status: int | None,
        error: str | None,
        gone: bool = False,
    ) -> DeliveryStatus | None:
        """Record an attempt of *claimed* made at *now* under the lease *token*: its new
        status (``None``: the lease was lost, another worker has the delivery)."""
        at = _seconds(now)
        tries = claimed.tries + 1
        state: DeliveryStatus
        if ok:
            state, due, done = "delivered", None, at
        elif gone or tries >= MAX_TRIES:
            state, due, done = "dead", None, at
        else:
            state, due, done = "pending", at + RETRY_DELAYS[tries - 1], None
        with self._writing("recording a delivery"):
            changed = self._exec(
                self._sql(
                    "UPDATE deliveries SET status = ?, tries = ?, next_at = ?, lease = NULL, "
                    "lease_until = NULL, last_status = ?, last_error = ?, done_at = ? "
                    "WHERE partner = ? AND webhook_id = ? AND position = ? AND lease = ?"
                ),
                (
                    state,
                    tries,
                    due,
                    status,
                    None if error is None else error[:500],
                    done,
                    self.partner,
                    claimed.webhook,
                    claimed.position,
                    token,
                ),
            )
        return state if changed else None

    def release_deliveries(self, token: str, claimed: Sequence[Claimed]) -> None:
        """Give back claimed deliveries not sent (a worker stopping): due again at once."""
        if not claimed:
            return
        with self._writing("releasing deliveries"):
            self._many(
                self._sql(
                    "UPDATE deliveries SET lease = NULL, lease_until = NULL WHERE partner = ? "
                    "AND webhook_id = ? AND position = ? AND lease = ?"
                ),
                [(self.partner, c.webhook, c.position, token) for c in claimed],
            )

    def deliveries(
        self, webhook_id: str | None = None, *, status: str | None = None, limit: int = 50
    ) -> tuple[Delivery, ...]:
        """The partner's latest deliveries (highest position first), of one webhook
        or all, of one status or all."""
        where, args = "", list[object]()
        if webhook_id is not None:
            where += " AND d.webhook_id = ?"
            args.append(webhook_id)
        if status is not None:
            where += " AND d.status = ?"
            args.append(status)
        return self._deliveries(where, args, limit)

    def _deliveries(self, where: str, args: list[object], limit: int) -> tuple[Delivery, ...]:
        rows = self._ask(
            self._sql(
                "SELECT d.webhook_id, d.position, f.type, d.status, d.tries, d.next_at, "
                "d.last_status, d.last_error, d.done_at FROM deliveries d JOIN feed f ON "
                f"f.partner = d.partner AND f.position = d.position WHERE d.partner = ?{where} "
                "ORDER BY d.position DESC, d.webhook_id LIMIT ?"
            ),
            (self.partner, *args, limit),
            "listing deliveries",
        )
        return tuple(
            Delivery(
                id=delivery_id(w, int(p)),
                webhook=w,
                position=int(p),
                type=kind,
                status=state,
                tries=int(tries),
                next_try=_moment(due) if state == "pending" else None,
                last_status=None if code is None else int(code),
                last_error=error,
                done_at=_moment(done),
            )
            for w, p, kind, state, tries, due, code, error, done in rows
        )

    def resend(self, delivery: str, now: dt.datetime) -> Delivery:
        """Make a dead (or delivered) delivery due again at *now*: one more try (a dead
        one that fails again is dead again). :class:`NotFoundError` for an unknown id,
        :class:`ValueError` for one already pending or a disabled webhook's."""
        webhook_id, position = parse_delivery_id(delivery)
        with self._writing("re-sending a delivery"):
            rows = self._query(
                self._sql(
                    "SELECT d.status, w.disabled_on FROM deliveries d JOIN webhooks w ON "
                    "w.partner = d.partner AND w.id = d.webhook_id WHERE d.partner = ? "
                    "AND d.webhook_id = ? AND d.position = ?"
                ),
                (self.partner, webhook_id, position),
                "re-sending a delivery",
            )
            if not rows:
                raise NotFoundError(self.partner, delivery)
            if rows[0][0] == "pending":
                raise ValueError(f"delivery {delivery} is pending already")
            if rows[0][1] is not None:
                raise ValueError(f"webhook {webhook_id} is disabled (its receiver said 410 Gone)")
            self._exec(
                self._sql(
                    "UPDATE deliveries SET status = 'pending', next_at = ?, done_at = NULL "
                    "WHERE partner = ? AND webhook_id = ? AND position = ?"
                ),
                (_seconds(now), self.partner, webhook_id, position),
            )
        return self._delivery(webhook_id, position)

    def _delivery(self, webhook_id: str, position: int) -> Delivery:
        found = self._deliveries(
            " AND d.webhook_id = ? AND d.position = ?", [webhook_id, position], 1
        )
        if not found:
            raise NotFoundError(self.partner, delivery_id(webhook_id, position))
        return found[0]
