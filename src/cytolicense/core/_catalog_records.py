"""What a vendor's catalog declares: product families, modules and products."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ._enums import LicenseType, ManagementMode, QuantityRule, TermEnd
from ._period import Period
from ._validation import (
    ALL_LICENSE_TYPES,
    ALL_MANAGEMENT_MODES,
    Validator,
    at_most,
    each,
    non_empty_str,
    non_negative_int,
    optional_date,
    optional_periods_tuple,
    optional_positive_int,
    periods_tuple,
    plain_text,
    positive_int,
    run_checks,
    str_set,
    to_license_types,
    to_management_modes,
    to_quantity_rule,
    to_term_end,
)

__all__ = [
    "DEFAULT_PERIODS",
    "INITIAL_RELEASE",
    "CatalogRelease",
    "Module",
    "Product",
    "ProductFamily",
]

DEFAULT_PERIODS: tuple[Period, ...] = (Period(years=1), Period(years=2), Period(years=3))
MAX_DAYS = 3660
"""Longest trial, extension, grace or cool-down a catalog may declare (ten years)."""
MAX_PERIOD_MONTHS = 120
"""Longest period a catalog may sell (ten years)."""


@attrs.frozen(kw_only=True, slots=True)
class ProductFamily:
    """A group of products; a client holds at most one commercial product per family (C3).

    Attributes:
        id: Stable identifier, unique in the catalog.
        name: Name shown to console users.
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(validator=non_empty_str)


@attrs.frozen(kw_only=True, slots=True)
class Module:
    """An add-on that only works attached to a product (C2).

    Attributes:
        id: Stable identifier, unique in the catalog.
        name: Name shown to console users.
        quantity_rule: ``LINKED`` (seats follow the product) or ``INDEPENDENT``
            (chosen per maintenance, 1..product seats, like Cytomic Encryption).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(validator=non_empty_str)
    quantity_rule: QuantityRule = attrs.field(
        default=QuantityRule.LINKED,
        converter=to_quantity_rule,
    )


def _non_empty(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not value:
        raise ValueError(f"{type(inst).__name__}.{attribute.name} must not be empty")


@attrs.frozen(kw_only=True, slots=True)
class Product:
    """A sellable security product and the rules its assignments follow.

    Attributes:
        id: Stable identifier, unique in the catalog.
        name: Name shown to console users.
        family: Id of its :class:`ProductFamily`.
        modules: Ids of the modules that can be attached to it.
        periods: Periods sold for commercial licences (sorted, without duplicates).
        enabled_periods: The sold periods the vendor enables; ``None`` means all.
            Picking a sold but not enabled period is a warning (D4).
        license_types: Licence types offered.
        trial_days: Length of a trial in days (C4).
        trial_max_quantity: Seat cap of a trial, ``None`` for no cap (C4).
        trial_cooldown_days: Days after a trial ends before a new trial of the
            product is accepted (C4).
        management_modes: Management modes the product supports (D6).
        max_quantity: Most seats one maintenance may hold, ``None`` for no limit.
        grace_days: Days after the expiry a commercial maintenance stays in force
            (C9, C15); renewable then.
        renewal_window_days: Renewal only while fewer days than this are left (C12).
        changes_to: Products of the same family a maintenance may be changed to (C13).
        trial_extension_days: Days a trial may be extended by, once; 0: never (C14).
        available_until: Last day the product may be assigned, converted to, changed to
            or renewed (C18); ``None``: no end.
        term_end: Where a commercial term ends: on the anniversary or the day before (C11).
        suspend_extends_term: Whether resuming a suspended maintenance moves its end by
            the days it spent suspended (default: the term keeps running, as
            Microsoft's does).
        return_window_days: Days in which seats just added can be given back in full
            (Microsoft's seven): each lot of seats (an assignment, a conversion, a
            renewal, added seats, a raise) on the days ``0 <= (today - added_on).days <
            return_window_days``; after it, seats are lowered only at a renewal
            (``modify.window_closed``). ``None``: no window, seats are lowered at any
            time and give nothing back.
    """

    id: str
    name: str
    family: str
    modules: frozenset[str] = attrs.field(factory=frozenset, converter=str_set)
    periods: tuple[Period, ...] = attrs.field(
        default=DEFAULT_PERIODS,
        converter=periods_tuple,
    )
    enabled_periods: tuple[Period, ...] | None = attrs.field(
        default=None,
        converter=optional_periods_tuple,
    )
    license_types: frozenset[LicenseType] = attrs.field(
        default=ALL_LICENSE_TYPES, converter=to_license_types
    )
    trial_days: int = 30
    trial_max_quantity: int | None = None
    trial_cooldown_days: int = 90
    management_modes: frozenset[ManagementMode] = attrs.field(
        default=ALL_MANAGEMENT_MODES, converter=to_management_modes
    )
    max_quantity: int | None = None
    grace_days: int = 0
    renewal_window_days: int = 365
    changes_to: frozenset[str] = attrs.field(factory=frozenset, converter=str_set)
    trial_extension_days: int = 0
    available_until: dt.date | None = None
    term_end: TermEnd = attrs.field(default=TermEnd.ANNIVERSARY, converter=to_term_end)
    suspend_extends_term: bool = False
    return_window_days: int | None = None

    def __attrs_post_init__(self) -> None:
        run_checks(self, _PRODUCT_CHECKS)  # each field, in declaration order
        periods = self.periods  # sorted: the last is the longest
        if periods and periods[-1].total_months > MAX_PERIOD_MONTHS:
            too_long = [str(p) for p in periods if p.total_months > MAX_PERIOD_MONTHS]
            raise ValueError(
                f"Product {self.id!r}: periods {', '.join(too_long)} are longer than "
                f"{MAX_PERIOD_MONTHS // 12} years"
            )
        if self.id in self.changes_to:
            raise ValueError(f"Product {self.id!r}: changes_to names the product itself")
        if not self.periods and LicenseType.COMMERCIAL in self.license_types:
            raise ValueError(f"Product {self.id!r}: periods must not be empty for commercial sale")
        if self.enabled_periods is not None:
            unsold = [str(p) for p in self.enabled_periods if p not in self.periods]
            if unsold:
                raise ValueError(
                    f"Product {self.id!r}: enabled_periods {', '.join(unsold)} are not sold "
                    f"(periods: {', '.join(str(p) for p in self.periods)})"
                )
        if (
            self.trial_max_quantity is not None
            and self.max_quantity is not None
            and self.trial_max_quantity > self.max_quantity
        ):
            raise ValueError(
                f"Product {self.id!r}: trial_max_quantity {self.trial_max_quantity} is above "
                f"max_quantity {self.max_quantity}"
            )

    @property
    def enabled(self) -> tuple[Period, ...]:
        """The enabled periods (all sold periods when ``enabled_periods`` is ``None``)."""
        return self.periods if self.enabled_periods is None else self.enabled_periods

    def offers(self, license_type: LicenseType) -> bool:
        """Whether the product can be assigned with *license_type*."""
        return license_type in self.license_types


def _bool(inst: Any, attribute: Any, value: Any) -> None:
    if type(value) is not bool:
        raise TypeError(f"{attribute.name} must be True or False, got {value!r}")


def _optional_at_most_days(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        at_most(MAX_DAYS)(inst, attribute, value)


_PRODUCT_CHECKS: tuple[tuple[str, tuple[Validator, ...]], ...] = (
    ("id", (non_empty_str,)),
    ("name", (non_empty_str,)),
    ("family", (non_empty_str,)),
    ("modules", (each(non_empty_str),)),
    ("license_types", (_non_empty,)),
    ("trial_days", (positive_int, at_most(MAX_DAYS))),
    ("trial_max_quantity", (optional_positive_int,)),
    ("trial_cooldown_days", (non_negative_int, at_most(MAX_DAYS))),
    ("management_modes", (_non_empty,)),
    ("max_quantity", (optional_positive_int,)),
    ("grace_days", (non_negative_int, at_most(MAX_DAYS))),
    ("renewal_window_days", (positive_int, at_most(10 * MAX_DAYS))),
    ("changes_to", (each(non_empty_str),)),
    ("trial_extension_days", (non_negative_int, at_most(MAX_DAYS))),
    ("available_until", (optional_date,)),
    ("suspend_extends_term", (_bool,)),
    ("return_window_days", (optional_positive_int, _optional_at_most_days)),
)
"""The checks of each :class:`Product` field, in declaration order."""


INITIAL_RELEASE = "initial"
"""The version of a catalog's first release, in force since ``date.min``: what every
catalog declared the round-2 way is (a maintenance that names no release is sold
under it)."""


def _release_version(inst: CatalogRelease, attribute: Any, value: Any) -> None:
    non_empty_str(inst, attribute, value)
    assert isinstance(value, str)
    if not plain_text(value) or len(value) > 100:
        raise ValueError(f"CatalogRelease.version: 1-100 printable characters, got {value!r}")
    if value == INITIAL_RELEASE:
        raise ValueError(f"CatalogRelease.version: {INITIAL_RELEASE!r} names the first release")


def _products_tuple(value: Any) -> tuple[Product, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Product):
            raise TypeError(f"CatalogRelease.products: expected Product records, got {item!r}")
    return items


def _moves(value: Any) -> dict[str, dt.date]:
    out = dict(value)
    for pid, day in out.items():
        if type(pid) is not str or not pid or type(day) is not dt.date:
            raise TypeError(
                f"CatalogRelease.existing_from: product id -> date, got {pid!r}: {day!r}"
            )
    return out


@attrs.frozen(kw_only=True, slots=True, hash=False)  # existing_from is a dict
class CatalogRelease:
    """A later release of a catalog: the products sold from its first day on.

    A release lists every product it sells, as the catalog's products hook does; a
    product of an earlier release that it does not list is withdrawn from its first
    day (its maintenances keep working). Families and modules are the catalog's, in
    every release. New terms (an assignment, a conversion, a product change's
    target, added seats, a renewal) come from the release in force on the
    operation's day; a maintenance keeps the release it was sold (or last renewed)
    under, unless a later release moves the maintenances of its product.

    Attributes:
        version: The release's name, unique in the catalog (``"2027.1"``); recorded
            on every maintenance sold under it.
        effective: The first day it is in force.
        products: The products it sells (the complete list).
        existing_from: Product id -> the day from which maintenances of that product
            sold under earlier releases take this release's terms (Kill Bill's
            ``effectiveDateForExistingSubscriptions``); not before *effective*.
    """

    version: str = attrs.field(validator=_release_version)
    effective: dt.date = attrs.field(validator=attrs.validators.instance_of(dt.date))
    products: tuple[Product, ...] = attrs.field(converter=_products_tuple)
    existing_from: dict[str, dt.date] = attrs.field(factory=dict, converter=_moves)

    def __attrs_post_init__(self) -> None:
        ids = [p.id for p in self.products]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"CatalogRelease {self.version!r}: products declared twice: {twice}")
        for pid, day in self.existing_from.items():
            if pid not in ids:
                raise ValueError(
                    f"CatalogRelease {self.version!r}: existing_from names {pid!r}, "
                    "which it does not sell"
                )
            if day < self.effective:
                raise ValueError(
                    f"CatalogRelease {self.version!r}: existing_from {pid!r} on {day}, "
                    f"before the release's first day {self.effective}"
                )
