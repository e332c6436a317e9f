"""What an operation that went through returns: the client afterwards and what happened."""

from __future__ import annotations

import attrs

from ..core._client_records import Client
from ..core._events import Event
from ..core._findings import Finding
from ..core._maintenance import Maintenance
from ..core._pool import Pool, PoolChanged

__all__ = ["Change"]


@attrs.frozen(kw_only=True, slots=True)
class Change:
    """The result of an operation that went through.

    Attributes:
        client: The client afterwards.
        maintenance: The maintenance created or touched, or ``None``.
        events: What happened, in order; :func:`cytolicense.replay` applies them.
        warnings: Warnings of the decision (for example ``period.not_enabled``).
        pool: The partner's pool afterwards, when one was given (``None`` otherwise).
        pool_events: What entered and left the pool, in order.
        pool_floor: Whether the pool may not go below zero by this change (the
            engine's ``pool_shortage`` is an error): a store refuses the change,
            inside its transaction, when another writer took the seats first
            (:class:`~cytolicense.PoolShortageError`).
    """

    client: Client
    maintenance: Maintenance | None = None
    events: tuple[Event, ...] = ()
    warnings: tuple[Finding, ...] = ()
    pool: Pool | None = None
    pool_events: tuple[PoolChanged, ...] = ()
    pool_floor: bool = False
