"""What runs before any handler of the app: the guard against what a browser can forge
(:class:`_Guard`: the ``Host``, a cross-site write, a write to the API that is not
JSON) and the limit on a request's body (:class:`_BodyLimit`, 413)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ._api import _error
from ._context import _Refused


class _BodyLimit:
    """Refuse request bodies over *limit* bytes (413) before any handler reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _error(413, "request body too large")(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        await self.app(scope, limited, send)


class _TooLarge(_Refused):
    """A streamed (chunked) body grew past the limit while a handler read it."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPE = re.compile(r"application/([\w.+-]+\+)?json\s*(;.*)?", re.IGNORECASE)


class _Guard:
    """What a browser can forge, refused before any handler runs.

    - A ``Host`` the app does not serve (421): a page on another site that rebinds
      its DNS name to this address would otherwise read every client.
    - A write from another site: ``Sec-Fetch-Site`` other than ``same-origin`` or
      ``none`` (a person typing), or an ``Origin`` that is not this host (403).
    - A write to the JSON API whose body is declared anything but JSON (415): a
      cross-site ``text/plain`` form needs no CORS preflight, ``application/json``
      does. A body with no ``Content-Type`` (``curl --data-binary``, a service's
      client) is read as JSON: a browser sending one cross-site also sends the
      ``Origin`` and ``Sec-Fetch-Site`` refused above.
    """

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        refusal = self._refusal(scope, headers, host)
        if refusal is not None:
            await _error(*refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str], host: str) -> tuple[int, str] | None:
        if self.hosts is not None and _hostname(host) not in self.hosts:
            return 421, f"this server does not answer for the host {host[:100]!r}"
        if scope["method"] not in _UNSAFE:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return 403, f"a cross-site write is refused (Sec-Fetch-Site: {site[:40]})"
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"a write from another origin is refused (Origin: {origin[:100]})"
        declared = headers.get("content-type")
        if (
            scope["path"].startswith("/api/")
            and declared is not None
            and not _JSON_TYPE.fullmatch(declared)
        ):
            return 415, "a write to the API is a JSON body: Content-Type: application/json"
        return None


def _hostname(host: str) -> str:
    """The name of a ``Host`` header, without its port (``[::1]:8000`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host
