"""Events: one typed record per operation, enough to rebuild a client by replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import attrs

from ._client_records import Client
from ._enums import ManagementMode
from ._evolve import (
    assigned_trusted,
    created_trusted,
    deleted_trusted,
    evolve_trusted,
    held,
    replace_lines,
    replaced_lines,
)
from ._line_records import NoticeState, ScheduledChange, Suspension
from ._maintenance import Maintenance
from ._period import Period
from ._validation import (
    is_date,
    non_empty_str,
    optional_period,
    optional_positive_int,
    optional_str,
    positive_int,
    to_management,
    to_period,
)

__all__ = [
    "EVENT_TYPES",
    "AutoRenewChanged",
    "ChangeScheduled",
    "ClientCreated",
    "ClientDeleted",
    "ClientMoved",
    "ClientRestored",
    "Event",
    "ExpiryNotice",
    "LicensesModified",
    "MaintenanceRenewed",
    "ManagementChanged",
    "ProductAssigned",
    "ProductChanged",
    "ScheduleCancelled",
    "SeatsAdded",
    "ServiceDeleted",
    "ServiceResumed",
    "ServiceSuspended",
    "SetsGrouped",
    "TrialConverted",
    "TrialExtended",
    "apply",
    "replay",
]


@attrs.frozen(kw_only=True, slots=True)
class _EventBase:
    """What every event carries (its own fields follow in each event).

    Attributes:
        client_id: The client.
        on: The day of the operation.
        actor: Who did it (C19), ``None`` when not said.
        reason: Why, ``None`` when not said.
        catalog: The catalog distribution and version that declared the product
            concerned (``"cytolicense-cytomic 0.2.0"``), when known. Provenance, not
            part of equality: the same facts from two catalog releases are equal.
    """

    client_id: str = attrs.field(validator=non_empty_str)
    on: dt.date = attrs.field(validator=is_date)
    actor: str | None = attrs.field(default=None, validator=optional_str)
    reason: str | None = attrs.field(default=None, validator=optional_str)
    catalog: str | None = attrs.field(default=None, validator=optional_str, eq=False)

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        """The client after this event (*evolve* builds it: validated or trusted)."""
        trusted = evolve is evolve_trusted
        return evolve(client, maintenances=self._after(client, trusted), changed_on=self.on)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        """The client's maintenances after this event (*trusted*: the engine made it)."""
        raise NotImplementedError(type(self).__name__)


@attrs.frozen(kw_only=True, slots=True)
class ClientCreated(_EventBase):
    """A client was added.

    Attributes:
        name: The client's name.
    """

    name: str = attrs.field(validator=non_empty_str)


@attrs.frozen(kw_only=True, slots=True)
class ProductAssigned(_EventBase):
    """A product (with its modules) was assigned: a new maintenance.

    Attributes:
        maintenance: The maintenance created.
    """

    maintenance: Maintenance

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        if evolve is evolve_trusted:
            return assigned_trusted(client, self.maintenance, self.on)
        return evolve(client, maintenances=self._after(client, False), changed_on=self.on)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return (*client.maintenances, self.maintenance)


@attrs.frozen(kw_only=True, slots=True)
class LicensesModified(_EventBase):
    """A maintenance's seats or modules changed.

    Attributes:
        maintenance: The maintenance as it is afterwards.
    """

    maintenance: Maintenance

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return replace_lines(client, self.maintenance)


@attrs.frozen(kw_only=True, slots=True)
class ManagementChanged(_EventBase):
    """Centralized management was started or stopped for a maintenance.

    Attributes:
        maintenance_id: The maintenance.
        management: The new mode.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    management: ManagementMode = attrs.field(converter=to_management)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        return replace_lines(client, attrs.evolve(m, management=self.management))


@attrs.frozen(kw_only=True, slots=True)
class ServiceDeleted(_EventBase):
    """A maintenance was deleted.

    Attributes:
        client_id: The client.
        on: The day of the operation (the maintenance's ``deleted_on``).
        maintenance_id: The maintenance.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m, day = client.maintenance(self.maintenance_id), self.on
        gone = deleted_trusted(m, day) if trusted else attrs.evolve(m, deleted_on=day)
        return replace_lines(client, gone)


@attrs.frozen(kw_only=True, slots=True)
class ClientDeleted(_EventBase):
    """The client was deleted, and with it every maintenance active that day.

    Attributes:
    """

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        day = self.on
        return evolve(
            client,
            deleted_on=day,
            changed_on=day,
            maintenances=tuple(
                attrs.evolve(m, deleted_on=day) if m.in_force(day) or held(m, day) else m
                for m in client.maintenances
            ),
        )


@attrs.frozen(kw_only=True, slots=True)
class ClientMoved(_EventBase):
    """The client was moved to another group.

    Attributes:
        group: The group it is in now.
        previous_group: The group it was in.
    """

    group: str = attrs.field(validator=attrs.validators.instance_of(str))
    previous_group: str = attrs.field(validator=attrs.validators.instance_of(str))

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        return evolve(client, group=self.group, changed_on=self.on)


@attrs.frozen(kw_only=True, slots=True)
class ClientRestored(_EventBase):
    """A deleted (still visible) client was brought back by assigning it a product.

    Attributes:
    """

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        return evolve(client, deleted_on=None, changed_on=self.on)


@attrs.frozen(kw_only=True, slots=True)
class MaintenanceRenewed(_EventBase):
    """A commercial maintenance was renewed: its end moved by the renewal's period (C12).

    Attributes:
        maintenance: The maintenance as it is afterwards (new ``expires_on`` and
            ``period``; its modules moved with it).
        previous_expires_on: The end before the renewal.
    """

    maintenance: Maintenance
    previous_expires_on: dt.date = attrs.field(validator=is_date)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return replace_lines(client, self.maintenance)


@attrs.frozen(kw_only=True, slots=True)
class ProductChanged(_EventBase):
    """A maintenance was replaced by one of another product, starting that day (C13).

    Attributes:
        replaced: The id of the maintenance replaced.
        maintenance: The new maintenance.
        dropped_modules: Modules of the old one the new product does not offer.
    """

    replaced: str = attrs.field(validator=non_empty_str)
    maintenance: Maintenance
    dropped_modules: tuple[str, ...] = ()

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return replaced_lines(client, self.replaced, self.maintenance, self.on)


@attrs.frozen(kw_only=True, slots=True)
class TrialConverted(_EventBase):
    """A trial was converted into a commercial maintenance of its product (C14).

    Attributes:
        trial: The id of the trial (replaced that day).
        maintenance: The new commercial maintenance.
    """

    trial: str = attrs.field(validator=non_empty_str)
    maintenance: Maintenance

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return replaced_lines(client, self.trial, self.maintenance, self.on)


@attrs.frozen(kw_only=True, slots=True)
class TrialExtended(_EventBase):
    """A trial was extended by its product's extension days (C14).

    Attributes:
        maintenance_id: The trial.
        expires_on: Its new last day.
        previous_expires_on: Its last day before.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    expires_on: dt.date = attrs.field(validator=is_date)
    previous_expires_on: dt.date = attrs.field(validator=is_date)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m, end = client.maintenance(self.maintenance_id), self.expires_on
        modules = tuple(attrs.evolve(ml, expires_on=end) for ml in m.modules)
        return replace_lines(
            client, attrs.evolve(m, expires_on=end, modules=modules, extended_on=self.on)
        )


@attrs.frozen(kw_only=True, slots=True)
class SetsGrouped(_EventBase):
    """Licence sets of one product became one, co-termed (C20).

    Attributes:
        maintenance: The set that remains, as it is afterwards.
        grouped: The ids of the sets replaced by it.
        seats: The seats of every set, in the order kept + grouped.
        previous_ends: The ends of every set, in the same order.
    """

    maintenance: Maintenance
    grouped: tuple[str, ...]
    seats: tuple[int, ...]
    previous_ends: tuple[dt.date, ...]

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        kept = self.maintenance
        others = [
            attrs.evolve(client.maintenance(mid), replaced_on=self.on, replaced_by=kept.id)
            for mid in self.grouped
        ]
        return replace_lines(client, kept, *others)


@attrs.frozen(kw_only=True, slots=True)
class SeatsAdded(_EventBase):
    """Seats bought for a term were added to a maintenance and co-termed (C20).

    Attributes:
        maintenance: The maintenance as it is afterwards.
        seats: The seats added.
        period: The term they were bought for.
        previous_expires_on: The end before.
    """

    maintenance: Maintenance
    seats: int
    period: Period = attrs.field(converter=to_period)
    previous_expires_on: dt.date = attrs.field(validator=is_date)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        return replace_lines(client, self.maintenance)


@attrs.frozen(kw_only=True, slots=True)
class ServiceSuspended(_EventBase):
    """A maintenance was suspended (served on the day, nothing from the next).

    Attributes:
        maintenance_id: The maintenance.
        by_client: Whether a client-wide suspension did it.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    by_client: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        susp = Suspension(on=self.on, by_client=self.by_client)
        return replace_lines(client, attrs.evolve(m, suspensions=(*m.suspensions, susp)))


@attrs.frozen(kw_only=True, slots=True)
class ServiceResumed(_EventBase):
    """A suspended maintenance was resumed (served again from the day).

    Attributes:
        maintenance_id: The maintenance.
        expires_on: Its expiry afterwards (moved by the days suspended when its product
            says ``suspend_extends_term``).
        previous_expires_on: Its expiry before.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    expires_on: dt.date = attrs.field(validator=is_date)
    previous_expires_on: dt.date = attrs.field(validator=is_date)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        if m.suspension is None:
            raise ValueError(f"maintenance {m.id!r} of {client.id!r} is not suspended")
        closed = attrs.evolve(m.suspensions[-1], resumed_on=self.on)
        end = self.expires_on
        modules = tuple(attrs.evolve(ml, expires_on=end) for ml in m.modules)
        return replace_lines(
            client,
            attrs.evolve(
                m, suspensions=(*m.suspensions[:-1], closed), expires_on=end, modules=modules
            ),
        )


@attrs.frozen(kw_only=True, slots=True)
class AutoRenewChanged(_EventBase):
    """Automatic renewal was turned on or off for a maintenance (by
    :class:`SetAutoRenew`, or off by a suspension).

    Attributes:
        maintenance_id: The maintenance.
        auto_renew: Whether it renews by itself now.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    auto_renew: bool = attrs.field(validator=attrs.validators.instance_of(bool))

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        return replace_lines(client, attrs.evolve(m, auto_renew=self.auto_renew))


@attrs.frozen(kw_only=True, slots=True)
class ChangeScheduled(_EventBase):
    """A change was scheduled for a maintenance's next renewal (it replaces any
    scheduled before).

    Attributes:
        maintenance_id: The maintenance.
        quantity: The seats the renewal renews (``None``: as they are then).
        period: The renewal's term (``None``: the maintenance's period).
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    quantity: int | None = attrs.field(default=None, validator=optional_positive_int)
    period: Period | None = attrs.field(default=None, converter=optional_period)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        change = ScheduledChange(on=self.on, quantity=self.quantity, period=self.period)
        return replace_lines(client, attrs.evolve(m, scheduled=change))


@attrs.frozen(kw_only=True, slots=True)
class ScheduleCancelled(_EventBase):
    """The change scheduled for a maintenance's renewal was dropped: a mid-term change,
    a suspension, auto-renewal turned off or a deletion came first.

    Attributes:
        maintenance_id: The maintenance.
        reason: The kind of the operation that dropped it (``"modify"``,
            ``"suspend"``, ...), in place of the caller's reason the other events carry.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        return replace_lines(client, attrs.evolve(m, scheduled=None))


@attrs.frozen(kw_only=True, slots=True)
class ExpiryNotice(_EventBase):
    """The day's run gave notice that a commercial maintenance expires soon: its
    ``expires_on`` is *days_before* days away, or fewer when days were missed (written
    once per maintenance, threshold and end; see :meth:`Console.run_day`). It changes
    nothing of the client but where the maintenance's notices stand
    (:attr:`Maintenance.notices`).

    Attributes:
        maintenance_id: The maintenance.
        days_before: The threshold reached (60, 30, 7, 1 by default).
        expires_on: The end it gives notice of.
    """

    maintenance_id: str = attrs.field(validator=non_empty_str)
    days_before: int = attrs.field(validator=positive_int)
    expires_on: dt.date = attrs.field(validator=is_date)

    def _applied(self, client: Client, evolve: Callable[..., Client]) -> Client:
        # A notice is no operation: the client's changed_on stays.
        return evolve(client, maintenances=self._after(client, evolve is evolve_trusted))

    def _after(self, client: Client, trusted: bool) -> tuple[Maintenance, ...]:
        m = client.maintenance(self.maintenance_id)
        mark = m.notices
        same = mark is not None and mark.expires_on == self.expires_on
        armed = mark.armed_on if mark is not None and same else self.on
        state = NoticeState(expires_on=self.expires_on, armed_on=armed, sent=self.days_before)
        return replace_lines(client, attrs.evolve(m, notices=state))


Event = (
    ClientCreated
    | ProductAssigned
    | LicensesModified
    | ManagementChanged
    | ServiceDeleted
    | ClientDeleted
    | ClientRestored
    | MaintenanceRenewed
    | ProductChanged
    | TrialConverted
    | TrialExtended
    | SetsGrouped
    | SeatsAdded
    | ServiceSuspended
    | ServiceResumed
    | ClientMoved
    | AutoRenewChanged
    | ChangeScheduled
    | ScheduleCancelled
    | ExpiryNotice
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
    MaintenanceRenewed,
    ProductChanged,
    TrialConverted,
    TrialExtended,
    SetsGrouped,
    SeatsAdded,
    ServiceSuspended,
    ServiceResumed,
    ClientMoved,
    AutoRenewChanged,
    ChangeScheduled,
    ScheduleCancelled,
    ExpiryNotice,
)


def apply(client: Client | None, event: Event) -> Client:
    """The client after *event*. ``client`` is ``None`` only for :class:`ClientCreated`.

    Events are facts: nothing is decided again here. An event that does not fit
    the client (another client's, or a maintenance it lacks) raises :class:`ValueError`.
    """
    return _apply(client, event, attrs.evolve)


def apply_trusted(client: Client, event: Event) -> Client:
    """:func:`apply` for an event the engine made itself from a decision its rules
    accepted: the new client is built without running the client's validators again
    (they are O(maintenances); an engine operation stays O(1) in them beyond the
    rules it runs)."""
    return _apply(client, event, evolve_trusted)


def _apply(client: Client | None, event: Event, evolve: Callable[..., Client]) -> Client:
    if not isinstance(event, EVENT_TYPES):
        raise TypeError(f"not an event: {event!r}")
    day = event.on
    if isinstance(event, ClientCreated):
        if client is not None:
            raise ValueError(f"client {event.client_id!r} already exists")
        if evolve is evolve_trusted:  # the event's own validators checked these values
            return created_trusted(event.client_id, event.name, day)
        return Client(id=event.client_id, name=event.name, created_on=day, changed_on=day)
    if client is None:
        raise ValueError(f"{type(event).__name__} before ClientCreated for {event.client_id!r}")
    if client.id != event.client_id:
        raise ValueError(f"event for client {event.client_id!r} applied to {client.id!r}")
    return event._applied(client, evolve)


def replay(events: Iterable[Event], client: Client | None = None) -> Client:
    """Rebuild a client from its events (starting from *client*, or from nothing)."""
    for event in events:
        client = apply(client, event)
    if client is None:
        raise ValueError("no events to replay")
    return client


def replay_trusted(events: Iterable[Event], client: Client | None = None) -> Client:
    """:func:`replay` without the client's validators (its creation's values were
    checked by the event's own): for a result that is then compared with a client
    known to be valid (the stores check that a change's events lead to its client this
    way)."""
    for event in events:
        client = _apply(client, event, evolve_trusted)
    if client is None:
        raise ValueError("no events to replay")
    return client
