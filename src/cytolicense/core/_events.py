"""Events: one typed record per operation, enough to rebuild a client by replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from ._client_records import Client, Maintenance
from ._enums import ManagementMode
from ._validation import is_date, named, non_empty_str, to_management

__all__ = [
    "EVENT_TYPES",
    "ClientCreated",
    "ClientDeleted",
    "ClientRestored",
    "Event",
    "LicensesModified",
    "ManagementChanged",
    "ProductAssigned",
    "ServiceDeleted",
    "apply",
    "replay",
]


@attrs.frozen(kw_only=True, slots=True)
class ClientCreated:
    """A client was added.

    Attributes:
        client_id: The client.
        on: The day of the operation.
        name: The client's name.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    name: str = attrs.field(validator=non_empty_str)


@attrs.frozen(kw_only=True, slots=True)
class ProductAssigned:
    """A product (with its modules) was assigned: a new maintenance.

    Attributes:
        client_id: The client.
        on: The day of the operation.
        maintenance: The maintenance created.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    maintenance: Maintenance


@attrs.frozen(kw_only=True, slots=True)
class LicensesModified:
    """A maintenance's seats or modules changed.

    Attributes:
        client_id: The client.
        on: The day of the operation.
        maintenance: The maintenance as it is afterwards.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    maintenance: Maintenance


@attrs.frozen(kw_only=True, slots=True)
class ManagementChanged:
    """Centralized management was started or stopped for a maintenance.

    Attributes:
        client_id: The client.
        on: The day of the operation.
        maintenance_id: The maintenance.
        management: The new mode.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    maintenance_id: str = attrs.field(validator=non_empty_str)
    management: ManagementMode = attrs.field(converter=named(to_management))  # type: ignore[misc]


@attrs.frozen(kw_only=True, slots=True)
class ServiceDeleted:
    """A maintenance was deleted.

    Attributes:
        client_id: The client.
        on: The day of the operation (the maintenance's ``deleted_on``).
        maintenance_id: The maintenance.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    maintenance_id: str = attrs.field(validator=non_empty_str)


@attrs.frozen(kw_only=True, slots=True)
class ClientDeleted:
    """The client was deleted, and with it every maintenance active that day.

    Attributes:
        client_id: The client.
        on: The day of the operation.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)


@attrs.frozen(kw_only=True, slots=True)
class ClientRestored:
    """A deleted (still visible) client was brought back by assigning it a product.

    Attributes:
        client_id: The client.
        on: The day of the operation.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)


Event = (
    ClientCreated
    | ProductAssigned
    | LicensesModified
    | ManagementChanged
    | ServiceDeleted
    | ClientDeleted
    | ClientRestored
)
"""Any event record."""

EVENT_TYPES: tuple[type[Event], ...] = (
    ClientCreated,
    ProductAssigned,
    LicensesModified,
    ManagementChanged,
    ServiceDeleted,
    ClientDeleted,
    ClientRestored,
)


def _replace(client: Client, maintenance: Maintenance) -> Client:
    found = False
    items = []
    for m in client.maintenances:
        if m.id == maintenance.id:
            items.append(maintenance)
            found = True
        else:
            items.append(m)
    if not found:
        raise ValueError(f"client {client.id!r} has no maintenance {maintenance.id!r}")
    return attrs.evolve(client, maintenances=tuple(items))


def apply(client: Client | None, event: Event) -> Client:
    """The client after *event*. ``client`` is ``None`` only for :class:`ClientCreated`.

    Events are facts: nothing is decided again here. An event that does not fit
    the client (another client's, or a maintenance it lacks) raises :class:`ValueError`.
    """
    if not isinstance(event, EVENT_TYPES):
        raise TypeError(f"not an event: {event!r}")
    if isinstance(event, ClientCreated):
        if client is not None:
            raise ValueError(f"client {event.client_id!r} already exists")
        return Client(id=event.client_id, name=event.name, created_on=event.on)
    if client is None:
        raise ValueError(f"{type(event).__name__} before ClientCreated for {event.client_id!r}")
    if client.id != event.client_id:
        raise ValueError(f"event for client {event.client_id!r} applied to {client.id!r}")
    if isinstance(event, ProductAssigned):
        return attrs.evolve(client, maintenances=(*client.maintenances, event.maintenance))
    if isinstance(event, LicensesModified):
        return _replace(client, event.maintenance)
    if isinstance(event, ManagementChanged):
        m = client.maintenance(event.maintenance_id)
        return _replace(client, attrs.evolve(m, management=event.management))
    if isinstance(event, ServiceDeleted):
        m = client.maintenance(event.maintenance_id)
        return _replace(client, attrs.evolve(m, deleted_on=event.on))
    if isinstance(event, ClientDeleted):
        day = event.on
        return attrs.evolve(
            client,
            deleted_on=day,
            maintenances=tuple(
                attrs.evolve(m, deleted_on=day) if m.is_active(day) else m
                for m in client.maintenances
            ),
        )
    return attrs.evolve(client, deleted_on=None)  # ClientRestored


def replay(events: Iterable[Event], client: Client | None = None) -> Client:
    """Rebuild a client from its events (starting from *client*, or from nothing)."""
    for event in events:
        client = apply(client, event)
    if client is None:
        raise ValueError("no events to replay")
    return client
