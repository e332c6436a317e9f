"""attrs validators and converters shared by the records (private)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar

import attrs

from ._enums import LicenseType, ManagementMode, QuantityRule, Severity
from ._period import Period

E = TypeVar("E", bound=Enum)


def _owner(inst: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(inst).__name__}.{attribute.name}"


def non_empty_str(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{_owner(inst, attribute)} must be a str, got {value!r}")
    if not value.strip():
        raise ValueError(f"{_owner(inst, attribute)} must not be empty")


def positive_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int:
        raise TypeError(f"{_owner(inst, attribute)} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{_owner(inst, attribute)} must be >= 1, got {value}")


def optional_positive_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        positive_int(inst, attribute, value)


def non_negative_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int:
        raise TypeError(f"{_owner(inst, attribute)} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{_owner(inst, attribute)} must be >= 0, got {value}")


def is_date(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not dt.date:
        raise TypeError(f"{_owner(inst, attribute)} must be a datetime.date, got {value!r}")


def optional_date(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        is_date(inst, attribute, value)


def to_enum(cls: type[E], value: Any) -> E:
    """*value* as a member of *cls*: the member itself or its string value."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in cls)
            raise ValueError(
                f"{value!r} is not a {cls.__name__} (expected one of {allowed})"
            ) from None
    raise TypeError(f"expected a {cls.__name__} or its value, got {value!r}")


def to_enum_set(cls: type[E], values: Iterable[Any]) -> frozenset[E]:
    if isinstance(values, str | Enum):
        raise TypeError(f"expected a collection of {cls.__name__}, got {values!r}")
    return frozenset(to_enum(cls, v) for v in values)


def to_license_type(value: Any) -> LicenseType:
    return to_enum(LicenseType, value)


def to_management(value: Any) -> ManagementMode:
    return to_enum(ManagementMode, value)


def to_quantity_rule(value: Any) -> QuantityRule:
    return to_enum(QuantityRule, value)


def to_severity(value: Any) -> Severity:
    return to_enum(Severity, value)


def to_license_types(values: Iterable[Any]) -> frozenset[LicenseType]:
    return to_enum_set(LicenseType, values)


def to_management_modes(values: Iterable[Any]) -> frozenset[ManagementMode]:
    return to_enum_set(ManagementMode, values)


def str_set(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError(f"expected a collection of ids, got the string {values!r}")
    return frozenset(values)


def periods_tuple(values: Iterable[Period | str]) -> tuple[Period, ...]:
    if isinstance(values, str | Period):
        raise TypeError(f"expected a collection of periods, got {values!r}")
    seen: dict[Period, None] = {}
    for v in values:
        seen[Period.coerce(v)] = None
    return tuple(sorted(seen))


def optional_periods_tuple(values: Iterable[Period | str] | None) -> tuple[Period, ...] | None:
    return None if values is None else periods_tuple(values)


def optional_period(value: Period | str | None) -> Period | None:
    return None if value is None else Period.coerce(value)


def named(convert: Any) -> Any:
    """Wrap a converter so its errors name the field (``Product.periods: ...``).

    Returns an :class:`attrs.Converter`; mypy's attrs plugin cannot follow it, so
    fields using it carry ``# type: ignore[misc]`` and accept ``Any`` at init.
    """

    def run(value: Any, inst: object, field: attrs.Attribute[Any]) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{type(inst).__name__}.{field.name}: {exc}") from None

    return attrs.Converter(run, takes_self=True, takes_field=True)


def each(validator: Any) -> Any:
    """Apply a value validator to each member of a collection."""

    def check(inst: object, attribute: attrs.Attribute[Any], values: Iterable[Any]) -> None:
        for v in values:
            validator(inst, attribute, v)

    return check
