"""The partner's event feed and its webhooks, as values: feed items, webhooks,
deliveries, the retry schedule and the Standard Webhooks signature (pure functions;
sending is the store's shell, :mod:`cytolicense.store._delivery`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any, Literal

import attrs

from ._events import EVENT_TYPES, Event
from ._validation import is_date, non_empty_str, optional_date, optional_str

__all__ = [
    "DELIVERY_STATUSES",
    "MAX_TRIES",
    "RETRY_DELAYS",
    "Delivery",
    "FeedItem",
    "Webhook",
    "delivery_id",
    "parse_delivery_id",
    "secret_key",
    "sign",
    "to_event_names",
]

RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 7200, 21600, 43200, 86400, 86400)
"""Seconds from a failed attempt to the next one: 1 and 5 minutes, 30 minutes, 2, 6
and 12 hours, then a day twice (2 days 20 hours 36 minutes after the first attempt,
the ninth and last one); then the delivery is dead."""

MAX_TRIES = len(RETRY_DELAYS) + 1
"""Attempts of one delivery before it is dead (the first and the retries)."""

DELIVERY_STATUSES = ("pending", "delivered", "dead")
"""A delivery is ``pending`` (due, or waiting for its next try), ``delivered`` (a 2xx
answered) or ``dead`` (its tries ran out, or the receiver answered 410 Gone)."""

DeliveryStatus = Literal["pending", "delivered", "dead"]


def _position(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(
            f"{type(inst).__name__}.{attribute.name} must be an int >= 1, got {value!r}"
        )


def _event(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) not in EVENT_TYPES:
        raise TypeError(f"FeedItem.event must be an event record, got {value!r}")


@attrs.frozen(kw_only=True, slots=True)
class FeedItem:
    """An event in its partner's feed.

    Attributes:
        position: Its place in the partner's feed: positive, strictly increasing in
            the order the changes committed (a reader resumes after the last it read).
        client: The client the event is about (``None``: the partner's own).
        event: The event, as the client's history holds it.
    """

    position: int = attrs.field(validator=_position)
    client: str | None = attrs.field(validator=optional_str)
    event: Event = attrs.field(validator=_event)


def to_event_names(values: Iterable[str] | None) -> frozenset[str] | None:
    """*values* as a set of event type names (``None``: every event); an unknown name
    is a :class:`ValueError` naming the known ones."""
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"events must be a collection of event type names, got {values!r}")
    names = frozenset(values)
    known = {t.__name__ for t in EVENT_TYPES}
    unknown = sorted(n for n in names if n not in known)
    if unknown:
        raise ValueError(
            f"unknown event type(s) {', '.join(map(repr, unknown))} (known: "
            f"{', '.join(sorted(known))})"
        )
    if not names:
        raise ValueError("events is empty: name at least one event type, or None for all")
    return names


@attrs.frozen(kw_only=True, slots=True)
class Webhook:
    """A receiver of the partner's feed: each event is POSTed to its URL, signed with
    its secret (the secret is kept by the store and never shown again).

    Attributes:
        id: The webhook's id (``wh_`` and 16 random letters and digits).
        url: Where events are POSTed (``http`` or ``https``).
        events: The event type names it receives (``None``: every event).
        created_on: The day it was added; it receives the events of later changes.
        disabled_on: The day its receiver answered 410 Gone (``None``: enabled);
            nothing more is sent to it.
    """

    id: str = attrs.field(validator=non_empty_str)
    url: str = attrs.field(validator=non_empty_str)
    events: frozenset[str] | None = attrs.field(default=None, converter=to_event_names)
    created_on: dt.date = attrs.field(validator=is_date)
    disabled_on: dt.date | None = attrs.field(default=None, validator=optional_date)


@attrs.frozen(kw_only=True, slots=True)
class Delivery:
    """One event's delivery to one webhook, and where it stands.

    Attributes:
        id: The ``webhook-id`` header and the body's ``id``: the same on every try.
        webhook: The webhook's id.
        position: The event's position in the feed.
        type: The event's type name.
        status: ``pending``, ``delivered`` or ``dead`` (:data:`DELIVERY_STATUSES`).
        tries: Attempts made so far.
        next_try: When a pending delivery is due (UTC); ``None`` otherwise.
        last_status: The HTTP status of the last attempt (``None``: no answer).
        last_error: Why the last attempt failed, in words (``None``: it did not).
        done_at: When it was delivered, or died (UTC).
    """

    id: str
    webhook: str
    position: int
    type: str
    status: DeliveryStatus
    tries: int
    next_try: dt.datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    done_at: dt.datetime | None = None


def delivery_id(webhook_id: str, position: int) -> str:
    """The ``webhook-id`` of the event at *position* sent to *webhook_id*: the same on
    every retry, unique across partners (the webhook's id is random)."""
    return f"msg_{webhook_id.removeprefix('wh_')}_{position}"


def parse_delivery_id(value: str) -> tuple[str, int]:
    """The webhook id and the position a :func:`delivery_id` names (``ValueError``
    when it names none)."""
    head, _, position = value.rpartition("_")
    if not head.startswith("msg_") or len(head) == 4 or not position.isdigit():
        raise ValueError(f"not a delivery id: {value!r} (one looks like msg_<webhook>_<position>)")
    return "wh_" + head[4:], int(position)


def secret_key(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks secret ``whsec_<base64>`` (24 to 64 bytes);
    a :class:`ValueError` for anything else."""
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise ValueError("a webhook secret is 'whsec_' and the key in base64")
    try:
        key = base64.b64decode(secret[6:], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is 'whsec_' and the key in base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a webhook secret's key is 24 to 64 bytes, got {len(key)}")
    return key


def sign(secret: str | bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of a Standard Webhooks message: ``v1,`` and the
    base64 of HMAC-SHA256 over ``"<id>.<timestamp>.<body>"``, keyed with the secret's
    key bytes (*secret*: ``whsec_...``, or the key itself)."""
    key = secret_key(secret) if isinstance(secret, str) else secret
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")
