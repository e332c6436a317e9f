"""Sending the feed to webhooks: URL checks, one signed POST per event, the worker's pass.

Shell code: the records, the retry schedule and the signature are the core's
(:mod:`cytolicense.core._feed`); the outbox's rows are the store's
(:mod:`cytolicense.store._outbox`). A pass (:func:`deliver`) queues the feed's new
items for each webhook, then claims due deliveries a few at a time under a lease,
POSTs each (a timeout on connecting and on every read, no redirect followed, the
host's addresses checked again at each try and the connection made to the address
checked), and records the outcome under the lease.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import ipaddress
import json
import os
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core._feed import sign

if TYPE_CHECKING:
    from ._outbox import Claimed, Outbox

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "DENY_ENV",
    "Sent",
    "check_url",
    "deliver",
    "new_secret",
    "post",
    "watch",
]

ALLOW_PRIVATE_ENV = "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE"
"""``1``: webhooks may name loopback, private and link-local hosts (tests, a receiver
on the same host or network). Unset (the default, for a server): refused."""

DENY_ENV = "CYTOLICENSE_WEBHOOK_DENY"
"""Networks (CIDR, comma-separated) no webhook may reach, whatever
:data:`ALLOW_PRIVATE_ENV` says (``169.254.169.254/32,10.0.0.0/8``)."""

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

Sent = tuple[int | None, str | None]
"""What an attempt got: the HTTP status (``None``: no answer) and, when it failed, why."""

_USER_AGENT = "cytolicense-webhooks/1"
_MAX_BODY = 64 * 1024  # read of a receiver's answer, then the connection is closed


def _denied() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    text = os.environ.get(DENY_ENV, "")
    try:
        return [ipaddress.ip_network(n.strip(), strict=False) for n in text.split(",") if n.strip()]
    except ValueError as exc:
        raise ValueError(f"{DENY_ENV}: {exc}") from None


def _private(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _parts(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path-and-query of a webhook URL (``ValueError``
    when it is not an absolute ``http`` or ``https`` URL with a host)."""
    if not isinstance(url, str) or not url.isprintable() or len(url) > 2000:
        raise ValueError(f"a webhook URL is printable text of at most 2000 characters: {url!r:.80}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"a webhook URL is http or https, got {parts.scheme or 'none'!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a webhook URL may not carry a user or a password")
    host = parts.hostname
    if not host:
        raise ValueError(f"a webhook URL names a host: {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"a webhook URL's port is a number from 1 to 65535: {url!r}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def _addresses(host: str, port: int) -> list[Address]:
    """The addresses *host* resolves to, each allowed (:class:`ValueError` naming the
    first that is not, or a host that does not resolve)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"the webhook's host {host!r} does not resolve: {exc}") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    allow_private = os.environ.get(ALLOW_PRIVATE_ENV) == "1"
    denied = _denied()
    for ip in addresses:
        if any(ip in net for net in denied):
            raise ValueError(f"the webhook's host {host!r} is {ip}, in a network {DENY_ENV} denies")
        if not allow_private and _private(ip):
            raise ValueError(
                f"the webhook's host {host!r} is {ip}: a loopback, private or link-local "
                f"address (allowed only with {ALLOW_PRIVATE_ENV}=1)"
            )
    if not addresses:
        raise ValueError(f"the webhook's host {host!r} has no address")
    return addresses


def check_url(url: str) -> str:
    """*url* when a webhook may use it: ``http`` or ``https``, no credentials, a host
    whose every address is public (unless :data:`ALLOW_PRIVATE_ENV` is ``1``) and in
    no network :data:`DENY_ENV` names; a :class:`ValueError` saying why not."""
    _, host, port, _ = _parts(url)
    _addresses(host, port)
    return url


class _Pinned(http.client.HTTPConnection):
    """A connection to one checked address (the host name stays in ``Host``)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """:class:`_Pinned` over TLS, the certificate checked against the host name."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> Sent:
    """POST *body* to *url*: the status, and why it failed (``None`` for a 2xx). The
    host is resolved and checked again (a name may have moved to a private address
    since the webhook was added); *timeout* bounds the connection and each read; a
    redirect is not followed (it is a failure: the webhook's URL should be updated)."""
    try:
        scheme, host, port, path = _parts(url)
        address = str(_addresses(host, port)[0])
    except ValueError as exc:
        return None, f"refused: {exc}"
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = _PinnedTLS(host, port, address, timeout, ssl.create_default_context())
    else:
        conn = _Pinned(host, port, address, timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read(_MAX_BODY)
        status = answer.status
    except TimeoutError:
        return None, f"timed out after {timeout:g} s"
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    if 200 <= status < 300:
        return status, None
    if 300 <= status < 400:
        return status, f"HTTP {status}: a redirect is not followed (update the webhook's URL)"
    return status, f"HTTP {status}"


def body_of(partner: str, claimed: Claimed) -> bytes:
    """The POSTed body: ``{"id", "type", "partner", "position", "client", "data"}``
    (``data``: the event's document's data, as its history holds it)."""
    document: dict[str, Any] = json.loads(claimed.document)
    return json.dumps(
        {
            "id": claimed.id,
            "type": claimed.type,
            "partner": partner,
            "position": claimed.position,
            "client": claimed.client,
            "data": document.get("data", document),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def headers_of(claimed: Claimed, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, and the content's."""
    return {
        "content-type": "application/json",
        "user-agent": _USER_AGENT,
        "webhook-id": claimed.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(claimed.secret, claimed.id, timestamp, body),
    }


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def deliver(
    store: Outbox,
    now: dt.datetime | None = None,
    *,
    timeout: float = 10.0,
    batch: int = 10,
    stop: threading.Event | None = None,
    send: Callable[[str, dict[str, str], bytes, float], Sent] = post,
) -> int:
    """Send every delivery due (at *now*; ``None``: the clock, read at each claim);
    how many requests were sent.

    The feed's new items are queued for each webhook first. Deliveries are then
    claimed *batch* at a time under a lease long enough to send them all; a worker
    that dies holding one leaves it to the next claim once the lease ends. *stop*
    (set by a signal handler) ends the pass after the request in flight: what was
    claimed and not sent is released at once. A webhook that did not answer (a
    timeout, a refused connection) gets no more requests in this pass.
    """
    if timeout <= 0 or type(batch) is not int or batch < 1:
        raise ValueError(f"timeout must be > 0 and batch an int >= 1, got {timeout!r}, {batch!r}")
    if now is not None and now.utcoffset() is None:
        raise ValueError(f"deliver(now) takes an aware datetime (UTC), got {now!r}")
    lease = 60 + batch * (timeout + 5)
    partner: str = getattr(store, "partner", "")
    sent = 0
    silent: set[str] = set()  # webhooks that did not answer in this pass
    while stop is None or not stop.is_set():
        at = now or _utc_now()
        while store.queue_deliveries(at):
            pass
        token, claimed = store.claim_deliveries(at, lease, limit=batch, skip=silent)
        if not claimed:
            break
        deadline = time.monotonic() + lease - 30
        for i, item in enumerate(claimed):
            if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                store.release_deliveries(token, claimed[i:])
                return sent
            if item.webhook in silent:  # it did not answer a moment ago
                store.release_deliveries(token, [item])
                continue
            moment = now or _utc_now()
            stamp = int(moment.timestamp())
            body = body_of(partner, item)
            status, error = send(item.url, headers_of(item, stamp, body), body, timeout)
            refused = status is None and (error or "").startswith("refused")
            if not refused:  # a request went out
                sent += 1
            if status is None and not refused:
                silent.add(item.webhook)
            gone = status == 410
            store.record_delivery(
                item, token, moment, ok=error is None, status=status, error=error, gone=gone
            )
            if gone:
                store.disable_webhook(item.webhook, moment.date())
                silent.add(item.webhook)
    return sent


def watch(
    deliver: Callable[[threading.Event], int],
    stop: threading.Event,
    *,
    interval: float = 1.0,
    on_pass: Callable[[int], None] | None = None,
) -> int:
    """Run *deliver* (a pass of :func:`deliver` given the *stop* event, as
    :meth:`Console.deliver` is) until *stop* is set (a signal handler sets it),
    waiting *interval* seconds after a pass that sent nothing; how many requests were
    sent. A pass in flight ends after its request in flight, its unsent claims
    released, so a worker started again resumes where this one was (a worker killed
    outright leaves its claims to their lease's end)."""
    sent = 0
    while not stop.is_set():
        n = deliver(stop)
        sent += n
        if on_pass is not None:
            on_pass(n)
        if not n:
            stop.wait(interval)
    return sent


def new_secret() -> str:
    """A new Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
