"""The console facade: "do this to client X today" as one call (load, decide, save)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from ..core._client_records import Client
from ..core._enums import ManagementMode
from ..core._events import Event
from ..core._findings import Decision
from ..core._request import AssignmentRequest
from ..engine._engine import Change, Engine
from ..views._detail import ClientDetail
from ._sqlite import Store

__all__ = ["Console"]


class Console:
    """An :class:`Engine` and a :class:`Store` working together.

    Each operation loads the client, lets the engine decide, and saves the new
    state with its events in one transaction. A refused operation
    (:class:`RuleViolation`) writes nothing; a concurrent write in between
    (:class:`ConflictError`) writes nothing either: load again and retry.
    """

    def __init__(self, engine: Engine, store: Store) -> None:
        self.engine = engine
        self.store = store

    def __repr__(self) -> str:
        return f"<Console {self.store!r}>"

    def _do(self, client_id: str, operation: Callable[[Client], Change]) -> Change:
        client, version = self.store.load(client_id)
        change = operation(client)
        self.store.save(change, version)
        return change

    def add_client(self, client_id: str, name: str, today: dt.date) -> Client:
        """Create and store a new client (:class:`ConflictError` if the id is taken)."""
        change = self.engine.new_client(client_id, name, today)
        self.store.save(change, None)
        return change.client

    def check(self, client_id: str, request: AssignmentRequest, today: dt.date) -> Decision:
        """What :meth:`Engine.check` says about the stored client."""
        return self.engine.check(self.store.get(client_id), request, today)

    def assign(self, client_id: str, request: AssignmentRequest, today: dt.date) -> Change:
        """Assign a product to the stored client."""
        return self._do(client_id, lambda c: self.engine.assign(c, request, today))

    def modify(
        self,
        client_id: str,
        maintenance_id: str,
        today: dt.date,
        *,
        quantity: int | None = None,
        modules: Mapping[str, int | None] | Iterable[str] | None = None,
    ) -> Change:
        """Change a stored maintenance's seats and/or modules."""
        return self._do(
            client_id,
            lambda c: self.engine.modify(
                c, maintenance_id, today, quantity=quantity, modules=modules
            ),
        )

    def set_management(
        self, client_id: str, maintenance_id: str, mode: ManagementMode | str, today: dt.date
    ) -> Change:
        """Start or stop centralized management of a stored maintenance."""
        return self._do(
            client_id, lambda c: self.engine.set_management(c, maintenance_id, mode, today)
        )

    def delete_service(self, client_id: str, maintenance_id: str, today: dt.date) -> Change:
        """Delete a stored maintenance."""
        return self._do(client_id, lambda c: self.engine.delete_service(c, maintenance_id, today))

    def delete_client(self, client_id: str, today: dt.date) -> Change:
        """Delete the stored client (it stays visible for 90 days)."""
        return self._do(client_id, lambda c: self.engine.delete_client(c, today))

    def detail(self, client_id: str, today: dt.date) -> ClientDetail:
        """The stored client's detail."""
        return self.engine.detail(self.store.get(client_id), today)

    def entitlements(self, client_id: str, today: dt.date) -> dict[str, int]:
        """The stored client's seats in force."""
        return self.engine.entitlements(self.store.get(client_id), today)

    def history(self, client_id: str) -> list[Event]:
        """The stored client's events, oldest first."""
        return self.store.history(client_id)

    def monitoring(self, today: dt.date) -> list[Client]:
        """The partner's monitoring list."""
        return self.store.monitoring(today)
