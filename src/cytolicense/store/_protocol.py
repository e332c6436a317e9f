"""The store protocol: what the console needs from a store, whichever database holds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from ..core._access import Grant
from ..core._client_records import Client
from ..core._events import Event
from ..core._period import Period
from ..core._pool import Pool, PoolChanged
from ..engine._change import Change

if TYPE_CHECKING:
    from ..views._lifecycle import Expiry

__all__ = ["ClientRow", "ClientStore", "KeyRecord"]


class KeyRecord(NamedTuple):
    """An idempotency key as a store keeps it, beside the change it answered.

    Attributes:
        key: The key (at most 200 characters), one partner's.
        client_id: The client the operation was for.
        operation: The operation's JSON document (compared on a retry).
        created_on: The day it was stored (``keys prune --before`` counts from it).
        change: The change's JSON document (``None`` until it is stored).
    """

    key: str
    client_id: str
    operation: str
    created_on: dt.date
    change: str | None = None


class ClientRow(NamedTuple):
    """One client as a list page shows it, read from indexed columns (no document).

    A named tuple: a page of a million rows is built at C speed.

    Attributes:
        id: The client's id.
        name: Its name.
        deleted_on: The day it was deleted, if it is.
        ended_on: The day the 90-day rules count from.
        shown_until: The last day the monitoring list shows it.
        products: The products in force at its last change.
    """

    id: str
    name: str
    deleted_on: dt.date | None
    ended_on: dt.date
    shown_until: dt.date
    products: tuple[str, ...]


@runtime_checkable
class ClientStore(Protocol):
    """One partner's clients, their events and its licence pool.

    Implemented by :class:`~cytolicense.Store` (SQLite) and
    :class:`~cytolicense.PostgresStore`. Every write is one transaction holding the
    client, its events and the pool's movements together.
    """

    partner: str

    def load(self, client_id: str) -> tuple[Client, int]:
        """The client and its version; :class:`NotFoundError` if there is none."""
        ...

    def get(self, client_id: str) -> Client:
        """The client; :class:`NotFoundError` if there is none."""
        ...

    def clients(self) -> list[Client]:
        """Every client of the partner, by id."""
        ...

    def monitoring(self, today: dt.date) -> list[Client]:
        """The clients the monitoring list shows on *today*, by id."""
        ...

    def history(self, client_id: str) -> list[Event]:
        """The client's events, oldest first."""
        ...

    def save(self, change: Change, version: int | None, *, key: KeyRecord | None = None) -> int:
        """Write a change atomically (optimistic *version*), with its idempotency
        *key* if given; the new version."""
        ...

    def find_key(self, key: str) -> KeyRecord | None:
        """The stored idempotency key of this partner, or ``None``."""
        ...

    def prune_keys(self, before: dt.date) -> int:
        """Forget the idempotency keys stored before *before*; how many."""
        ...

    def verify(self) -> list[str]:
        """What in the partner's data disagrees with itself (empty: nothing)."""
        ...

    def bulk(self, changes: Sequence[Change]) -> int:
        """Add many new clients in one transaction; the number added."""
        ...

    def rows(
        self,
        today: dt.date | None = None,
        *,
        shown: bool | None = None,
        search: str | None = None,
        limit: int | None = None,
        after: str | tuple[object, str] | None = None,
        grants: Iterable[Grant] | None = None,
        order: str = "id",
    ) -> list[ClientRow]:
        """Light rows for list pages, from indexed columns (*grants*: only the clients
        of the groups they reach; *order*: ``id``, ``name`` or ``ended_on``, ``-`` in
        front descending, *after* the last row's ``(sort key, id)`` outside the id
        order)."""
        ...

    def batch(self) -> AbstractContextManager[ClientStore]:
        """One transaction for every write in the ``with`` block."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def pool(self) -> Pool:
        """The partner's licence pool."""
        ...

    def credit_pool(
        self,
        item: str,
        period: Period | str,
        seats: int,
        today: dt.date,
        *,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Pool:
        """Add seats to the pool; the pool afterwards."""
        ...

    def pool_history(self, last: int | None = None) -> list[PoolChanged]:
        """The pool's movements, oldest first (*last*: only the last so many)."""
        ...

    def import_pool(self, events: Sequence[PoolChanged]) -> Pool:
        """Write pool movements as they are (an import); the pool afterwards."""
        ...

    def expiring(self, today: dt.date, within_days: int = 30) -> list[Expiry]:
        """What expires within *within_days* or is in grace, as :meth:`Engine.expiring`."""
        ...

    def __contains__(self, client_id: object) -> bool: ...

    def __len__(self) -> int: ...
