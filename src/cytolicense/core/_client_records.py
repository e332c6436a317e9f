"""What a partner holds per client: maintenances (licence contracts) and their modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

import attrs

from ._enums import LicenseType, ManagementMode
from ._exceptions import UnknownIdError
from ._period import Period
from ._validation import (
    is_date,
    named,
    non_empty_str,
    optional_date,
    optional_period,
    positive_int,
    to_license_type,
    to_management,
)

__all__ = ["Client", "Maintenance", "ModuleLicense"]


T = TypeVar("T")


def _tuple_of(cls: type[T], values: Iterable[T]) -> tuple[T, ...]:
    if isinstance(values, str | cls):
        raise TypeError(f"expected a collection of {cls.__name__}, got {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, cls):
            raise TypeError(f"expected {cls.__name__} records, got {item!r}")
    return items


def _sorted_modules(values: Iterable[ModuleLicense]) -> tuple[ModuleLicense, ...]:
    return tuple(sorted(_tuple_of(ModuleLicense, values), key=lambda m: m.module))


def _maintenances(values: Iterable[Maintenance]) -> tuple[Maintenance, ...]:
    return _tuple_of(Maintenance, values)


def _ordered_dates(inst: ModuleLicense | Maintenance) -> None:
    if inst.expires_on < inst.starts_on:
        raise ValueError(
            f"{type(inst).__name__}: expires_on {inst.expires_on} is before starts_on "
            f"{inst.starts_on}"
        )


@attrs.frozen(slots=True)
class ModuleLicense:
    """Seats of one module within a maintenance.

    Attributes:
        module: The module's catalog id.
        quantity: Seats (the product's seats for a linked module).
        starts_on: First day of service (the product's start, or the day it was added).
        expires_on: Last day of service; always the product's expiry (C2).
    """

    module: str = attrs.field(validator=non_empty_str)
    quantity: int = attrs.field(validator=positive_int)
    starts_on: dt.date = attrs.field(validator=is_date)
    expires_on: dt.date = attrs.field(validator=is_date)

    def __attrs_post_init__(self) -> None:
        _ordered_dates(self)


@attrs.frozen(slots=True)
class Maintenance:
    """One licence contract: seats of one product, one licence type, one period, its modules.

    Attributes:
        id: Unique within the client.
        product: The product's catalog id.
        license_type: Trial or commercial.
        quantity: Seats.
        period: Subscription period; ``None`` for a trial.
        starts_on: First day of service.
        expires_on: Last day of service (C6: valid through this date).
        management: Centralized or not (D6).
        modules: The attached modules, sorted by module id; each expires with the
            product, starts on or after it and has at most its seats.
        deleted_on: Day the service was deleted, if it was (not before ``starts_on``).
    """

    id: str = attrs.field(validator=non_empty_str)
    product: str = attrs.field(validator=non_empty_str)
    license_type: LicenseType = attrs.field(converter=named(to_license_type))  # type: ignore[misc]
    quantity: int = attrs.field(validator=positive_int)
    period: Period | None = attrs.field(converter=named(optional_period))  # type: ignore[misc]
    starts_on: dt.date = attrs.field(validator=is_date)
    expires_on: dt.date = attrs.field(validator=is_date)
    management: ManagementMode = attrs.field(converter=named(to_management))  # type: ignore[misc]
    modules: tuple[ModuleLicense, ...] = attrs.field(default=(), converter=named(_sorted_modules))  # type: ignore[misc]
    deleted_on: dt.date | None = attrs.field(default=None, validator=optional_date)

    def __attrs_post_init__(self) -> None:
        _ordered_dates(self)
        seen: set[str] = set()
        for m in self.modules:
            if m.module in seen:
                raise ValueError(f"Maintenance {self.id!r}: module {m.module!r} listed twice")
            seen.add(m.module)
            if m.expires_on != self.expires_on:  # C2: modules expire with their product
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} expires on {m.expires_on}, "
                    f"not with its product on {self.expires_on}"
                )
            if m.starts_on < self.starts_on:
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} starts on {m.starts_on}, "
                    f"before its product on {self.starts_on}"
                )
            if m.quantity > self.quantity:  # C1, and linked modules equal the product
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} has {m.quantity} seats, "
                    f"more than the product's {self.quantity}"
                )
        if self.deleted_on is not None and self.deleted_on < self.starts_on:
            raise ValueError(
                f"Maintenance {self.id!r}: deleted_on {self.deleted_on} is before starts_on "
                f"{self.starts_on}"
            )
        if self.license_type is LicenseType.COMMERCIAL and self.period is None:
            raise ValueError(f"Maintenance {self.id!r}: a commercial maintenance needs a period")
        if self.license_type is LicenseType.TRIAL and self.period is not None:
            raise ValueError(
                f"Maintenance {self.id!r}: a trial has a fixed length and no period "
                f"(got {self.period})"
            )

    @property
    def ended_on(self) -> dt.date:
        """The day service ended or ends: expiry, or deletion if that came first."""
        deleted = self.deleted_on
        if deleted is not None and deleted < self.expires_on:
            return deleted
        return self.expires_on

    def is_active(self, today: dt.date) -> bool:
        """Whether the maintenance gives service on *today*."""
        deleted = self.deleted_on
        return self.starts_on <= today <= self.expires_on and (deleted is None or today < deleted)

    def module_license(self, module_id: str) -> ModuleLicense | None:
        """The attached licence of *module_id*, or ``None``."""
        for m in self.modules:
            if m.module == module_id:
                return m
        return None


def live_end(created_on: dt.date, maintenances: Iterable[Maintenance]) -> dt.date:
    """The latest end among *maintenances*, or *created_on* when that is later."""
    end = created_on
    for m in maintenances:
        ended = m.ended_on
        if ended > end:
            end = ended
    return end


@attrs.frozen(slots=True)
class Client:
    """A partner's client and every maintenance it ever had.

    Attributes:
        id: The partner's identifier for the client.
        name: Name shown in the console.
        created_on: Day the client was added.
        deleted_on: Day the client was deleted, if it is deleted.
        maintenances: Every maintenance, oldest first (deleted ones included,
            they are history: trial cool-downs and the 90-day rules read them).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(validator=non_empty_str)
    created_on: dt.date = attrs.field(validator=is_date)
    deleted_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    maintenances: tuple[Maintenance, ...] = attrs.field(
        default=(),
        converter=named(_maintenances),  # type: ignore[misc]
    )

    _end: dt.date = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for m in self.maintenances:
            if m.id in seen:
                raise ValueError(f"Client {self.id!r}: maintenance id {m.id!r} used twice")
            seen.add(m.id)
        end = self.deleted_on
        if end is None:
            end = live_end(self.created_on, self.maintenances)
        object.__setattr__(self, "_end", end)

    @property
    def ended_on(self) -> dt.date:
        """The day the 90-day rules count from.

        The deletion date when the client is deleted; otherwise the latest end of
        its maintenances, or its creation date when that is later.
        """
        return self._end

    def maintenance(self, maintenance_id: str) -> Maintenance:
        """The maintenance with *maintenance_id*; :class:`UnknownIdError` if none."""
        for m in self.maintenances:
            if m.id == maintenance_id:
                return m
        raise UnknownIdError("maintenance", maintenance_id)
