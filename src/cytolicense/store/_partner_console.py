"""What the console does for the partner as a whole: the day's run and its expiry
notices' thresholds, the event feed and the webhooks (a part of
:class:`~cytolicense.Console`).

The day's run itself is :mod:`cytolicense.store._day` (given the console as a
:class:`~cytolicense.store._day.DayConsole`), the sending of the webhooks
:mod:`cytolicense.store._delivery`; the feed and the outbox are the store's
(:class:`~cytolicense.store._outbox.Outbox`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import threading

    from ..core._client_records import Client
    from ..core._day_run import DayRun
    from ..core._feed import Delivery, FeedItem, Webhook
    from ..core._operations import Operation
    from ..engine._change import Change
    from ..engine._engine import Engine
    from ._guard import Guard
    from ._outbox import Outbox
    from ._protocol import ClientStore

__all__ = ["PartnerConsole"]

R = TypeVar("R")


class PartnerConsole:
    """The day's run, the feed and the webhooks of :class:`~cytolicense.Console` (mixed
    into it)."""

    if TYPE_CHECKING:
        engine: Engine
        store: ClientStore
        _guard: Guard
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

    # -- the renewal day ---------------------------------------------------------------------

    def run_day(
        self,
        today: dt.date,
        *,
        dry_run: bool = False,
        batch: int = 500,
        on_batch: Callable[[int, DayRun], None] | None = None,
    ) -> DayRun:
        """The day's run: every client's due operations (:meth:`Engine.due`: the
        renewals of auto-renewing lines that expire *today* or are in grace), each
        applied under the idempotency key ``auto-renew:<client>:<maintenance>:<expires_on>``,
        *batch* clients a transaction; then the expiry notices. The candidates come
        from the store's expiry index, not from every document.

        Safe to repeat and to run twice at once: a second run of the same day applies
        nothing new, and a run killed halfway loses at most its open batch, which the
        next run applies. A refused renewal (a pool short of seats with
        ``pool_shortage=ERROR``) stores nothing: it is due again the next day, until
        its grace ends. With *dry_run*, nothing is written: what it would do, each
        operation's dry run deciding. *on_batch* is called after each committed batch
        with its number and the run so far.
        """
        from ._day import plan_day, run_day

        if dry_run:
            self._guard.require("check")
            return plan_day(self, today)
        return run_day(self, today, batch=batch, on_batch=on_batch)

    def notice_thresholds(self) -> tuple[int, ...]:
        """The partner's expiry notices' thresholds, in days before an expiry, least
        urgent first (60, 30, 7 and 1 until set; ``()``: no notices)."""
        from ._day import notice_thresholds

        self._guard.require("read")
        return notice_thresholds(self)

    def set_notice_thresholds(self, thresholds: Iterable[int]) -> tuple[int, ...]:
        """Keep the partner's expiry notices' thresholds (days before an expiry, each
        from 1 to 3660; ``()`` turns the notices off) for the day's runs to come; them,
        least urgent first.

        Raises:
            ValueError: a threshold is not an ``int`` from 1 to 3660.
        """
        from ._day import set_notice_thresholds

        self._guard.require("operators")
        return set_notice_thresholds(self, thresholds)

    # -- the feed and webhooks ---------------------------------------------------------------

    def _outbox(self, action: str = "operators") -> Outbox:
        """The store's feed and outbox, for an operator allowed *action* (the feed
        shows every client's events and webhooks send them all: a partner's
        ``total_control`` operators, or a console without an operator)."""
        from ._outbox import Outbox

        self._guard.require(action)
        if not isinstance(self.store, Outbox):
            raise TypeError(f"{self.store!r} keeps no event feed")
        return self.store

    def feed(self, after: int = 0, limit: int = 100) -> tuple[FeedItem, ...]:
        """The first *limit* items of the partner's feed after position *after*, in
        increasing position: every event a change wrote, numbered in commit order
        (a reader resumes from the last position it read and misses nothing)."""
        return self._outbox("audit").feed(after, limit)

    def add_webhook(
        self, url: str, secret: str, today: dt.date, *, events: Iterable[str] | None = None
    ) -> Webhook:
        """Send the partner's events to *url* from now on, signed with *secret*
        (``whsec_`` and the key in base64), only those of *events* (type names;
        ``None``: all).

        Raises:
            ValueError: the URL is not ``http(s)``, its host is a loopback, private or
                link-local address (unless ``CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE=1``) or
                does not resolve; the secret or an event name is not valid.
        """
        from ._delivery import check_url

        return self._outbox().add_webhook(check_url(url), secret, today, events=events)

    def webhooks(self) -> tuple[Webhook, ...]:
        """The partner's webhooks, oldest first."""
        return self._outbox().webhooks()

    def remove_webhook(self, webhook_id: str, today: dt.date) -> None:
        """Send nothing more to the webhook; its deliveries go with it
        (:class:`NotFoundError` when there is no such webhook)."""
        self._outbox().remove_webhook(webhook_id)

    def deliveries(
        self, webhook_id: str | None = None, *, status: str | None = None, limit: int = 50
    ) -> tuple[Delivery, ...]:
        """The latest deliveries (of one webhook, of one status), newest event first."""
        return self._outbox().deliveries(webhook_id, status=status, limit=limit)

    def resend(self, delivery_id: str, now: dt.datetime | None = None) -> Delivery:
        """Make a dead (or delivered) delivery due again (at *now*, default the clock):
        the next :meth:`deliver` sends it once more with the same ``webhook-id``."""
        return self._outbox().resend(delivery_id, now or dt.datetime.now(dt.UTC))

    def deliver(
        self,
        now: dt.datetime | None = None,
        *,
        timeout: float = 10.0,
        batch: int = 10,
        stop: threading.Event | None = None,
    ) -> int:
        """Send what is due to the webhooks (at *now*, an aware datetime; ``None``: the
        clock); how many requests were sent. At least once: a failed attempt is tried
        again (1 and 5 minutes later, then longer, over about three days), then the
        delivery is dead (:meth:`resend` sends it again); a 410 Gone disables the
        webhook. *timeout* bounds each request's connection and reads; *stop* ends
        the pass after the request in flight (see :func:`~._delivery.deliver`)."""
        from ._delivery import deliver

        return deliver(self._outbox(), now, timeout=timeout, batch=batch, stop=stop)
