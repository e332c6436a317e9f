"""What a console user asks for when assigning a product."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._enums import LicenseType, ManagementMode
from ._period import Period
from ._validation import named, optional_period, to_license_type, to_management

__all__ = ["AssignmentRequest", "ModuleSeats"]

ModuleSeats = Mapping[str, int | None]
"""Module id -> seats (``None``: as the module's quantity rule says)."""


def _int(value: Any, where: str) -> int:
    if type(value) is not int:
        raise TypeError(f"{where} must be an int, got {value!r}")
    return value


def module_seats(value: Mapping[str, int | None] | Iterable[str]) -> Mapping[str, int | None]:
    """Normalise a module selection: a mapping id -> seats, or an iterable of ids."""
    if isinstance(value, str):
        raise TypeError(f"AssignmentRequest.modules must be a mapping or ids, got {value!r}")
    items = list(value.items()) if isinstance(value, Mapping) else [(v, None) for v in value]
    out: dict[str, int | None] = {}
    for key, seats in items:
        if not isinstance(key, str):
            raise TypeError(f"AssignmentRequest.modules keys must be module ids, got {key!r}")
        if key in out:
            raise ValueError(f"AssignmentRequest.modules: module {key!r} given twice")
        out[key] = None if seats is None else _int(seats, f"AssignmentRequest.modules[{key!r}]")
    # Sorted by id once here, so every check reads modules in the same order.
    return MappingProxyType(dict(sorted(out.items())))


def _quantity(value: Any) -> int:
    return _int(value, "AssignmentRequest.quantity")


def _product(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"AssignmentRequest.product must be a product id, got {value!r}")
    return value


def _as_dict(value: Mapping[str, int | None]) -> dict[str, int | None]:
    return dict(value)


@attrs.frozen(slots=True)
class AssignmentRequest:
    """An assignment as the console's form fills it in (D3).

    Strings are accepted for the enums and the period (``license_type="trial"``,
    ``period="2y"``, ``management="unmanaged"``) and ``modules`` may be a list of
    ids. Only a value of the wrong type, or a string naming no member, is refused
    here (:class:`TypeError` / :class:`ValueError`); every other mistake is a
    finding of :meth:`Engine.check`.

    Attributes:
        product: Product id.
        license_type: Trial or commercial.
        quantity: Seats.
        period: Subscription period (commercial only).
        modules: Module id -> seats; ``None`` means "as the rule says". Read-only,
            sorted by module id.
        management: Centralized or not.
    """

    product: str = attrs.field(converter=named(_product))  # type: ignore[misc]
    license_type: LicenseType = attrs.field(converter=named(to_license_type))  # type: ignore[misc]
    quantity: int = attrs.field(converter=named(_quantity))  # type: ignore[misc]
    period: Period | None = attrs.field(default=None, converter=named(optional_period))  # type: ignore[misc]
    modules: Mapping[str, int | None] = attrs.field(
        factory=dict,
        converter=named(module_seats),  # type: ignore[misc]
        eq=_as_dict,
        hash=False,
    )
    management: ManagementMode = attrs.field(
        default=ManagementMode.CENTRALIZED,
        converter=named(to_management),  # type: ignore[misc]
    )
