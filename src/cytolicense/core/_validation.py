"""attrs validators and converters shared by the records (private).

Converters are plain, honestly typed functions (``LicenseType | str -> LicenseType``),
so ``mypy --strict`` checks every record constructor call: the strings the
contract promises are accepted, anything else fails type checking. Validators
name the class and the field in their errors.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

import attrs

from ._enums import LicenseType, ManagementMode, QuantityRule, Severity, TermEnd
from ._period import Period
from ._schema import keeps, passes

E = TypeVar("E", bound=Enum)

_SURROGATE = re.compile("[\ud800-\udfff]")


def _owner(inst: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(inst).__name__}.{attribute.name}"


def text_problem(value: str) -> str | None:
    """Why *value* is not acceptable as an id or a name, or ``None`` when it is.

    Ids and names are shown in text tables and terminals: control characters
    (newlines, escape codes) would forge rows or drive the terminal, and lone
    surrogates cannot be encoded for the store.
    """
    if value.isprintable():  # no control, format or surrogate character: the usual case
        return None if value.strip() else "must not be empty"
    if not value.strip():
        return "must not be empty"
    if _SURROGATE.search(value):
        return f"must not contain lone surrogates, got {value!r}"
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":
            return f"must not contain control characters, got {value!r}"
    return None


def check_group(value: object, where: str = "group") -> str:
    """*value* when it is a client group: ``""`` or names joined by ``/``, each name
    text without control characters, not blank and not padded with spaces."""
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a str, got {value!r}")
    if value == "":
        return value
    for name in value.split("/"):
        problem = text_problem(name) if name else "is empty"
        if problem is None and name != name.strip():
            problem = "starts or ends with a space"
        if problem is not None:
            raise ValueError(
                f"{where} {value!r}: a group is names joined by '/', and a name {problem}"
            )
    return value


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
"""An attrs validator: ``(instance, attribute, value)``, raising when *value* is wrong."""


def plain_text(value: object) -> bool:
    """Whether *value* is a usual id or name (a printable, non-blank ``str``): the cheap
    test records make before running :func:`non_empty_str` to say what is wrong."""
    return type(value) is str and value.isprintable() and bool(value) and not value.isspace()


def plain_positive(value: object) -> bool:
    """Whether *value* is an ``int`` of at least 1 (the cheap form of :func:`positive_int`)."""
    return type(value) is int and value >= 1


def run_checks(
    inst: attrs.AttrsInstance, checks: tuple[tuple[str, tuple[Validator, ...]], ...]
) -> None:
    """Run each field's validators on *inst*, in order, as attrs would have: the first
    wrong value raises, naming the class and the field."""
    fields = attrs.fields_dict(type(inst))
    for name, validators in checks:
        value = getattr(inst, name)
        for validator in validators:
            validator(inst, fields[name], value)


@passes("type({v}) is str and {v}.isprintable() and not {v}.isspace() and {v} != ''")
def non_empty_str(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A text without control characters or lone surrogates, not blank."""
    if not isinstance(value, str):
        raise TypeError(f"{_owner(inst, attribute)} must be a str, got {value!r}")
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"{_owner(inst, attribute)} {problem}")


@passes(
    "{v} is None or (type({v}) is str and {v}.isprintable() and not {v}.isspace() and {v} != '')"
)
def optional_str(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        non_empty_str(inst, attribute, value)


MAX_SEATS = 10**9
"""The most seats (and the largest count) any record holds: a billion. Larger ints are
refused when a record is built, so that every store keeps them as 64-bit integers
(SQLite turns a larger one into a float) and every document stays short."""

MAX_POOL = 10**15
"""The largest balance a pool line may reach (sums of many movements, far from 2**63)."""


def bounded(value: int, where: str, limit: int = MAX_SEATS) -> int:
    """*value* when ``-limit <= value <= limit``; :class:`ValueError` otherwise."""
    if not -limit <= value <= limit:
        raise ValueError(f"{where} must be between {-limit} and {limit}, got a {_digits(value)}")
    return value


def _digits(value: int) -> str:
    """A huge int described without printing it (10**5000 has no short text)."""
    sign = "negative " if value < 0 else ""
    if abs(value) >= 10**4000:
        return f"{sign}number of more than 4000 digits"
    return f"{sign}{len(str(abs(value)))}-digit number"


@passes("type({v}) is int and 1 <= {v} <= MAX_SEATS", MAX_SEATS=MAX_SEATS)
def positive_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int:
        raise TypeError(f"{_owner(inst, attribute)} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{_owner(inst, attribute)} must be >= 1, got {value}")
    if value > MAX_SEATS:
        bounded(value, _owner(inst, attribute))


@passes("{v} is None or (type({v}) is int and 1 <= {v} <= MAX_SEATS)", MAX_SEATS=MAX_SEATS)
def optional_positive_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        positive_int(inst, attribute, value)


@passes("type({v}) is int and 0 <= {v} <= MAX_SEATS", MAX_SEATS=MAX_SEATS)
def non_negative_int(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int:
        raise TypeError(f"{_owner(inst, attribute)} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{_owner(inst, attribute)} must be >= 0, got {value}")
    if value > MAX_SEATS:
        bounded(value, _owner(inst, attribute))


def at_most(limit: int) -> Any:
    """A validator refusing ints above *limit* (catalog values that can never work)."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is int and value > limit:
            raise ValueError(f"{_owner(inst, attribute)} must be <= {limit}, got {value}")

    return check


@passes("type({v}) is date", date=dt.date)
def is_date(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not dt.date:
        raise TypeError(f"{_owner(inst, attribute)} must be a datetime.date, got {value!r}")


@passes("{v} is None or type({v}) is date", date=dt.date)
def optional_date(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        is_date(inst, attribute, value)


def to_enum(cls: type[E], value: E | str) -> E:
    """*value* as a member of *cls*: the member itself or its string value."""
    if type(value) is cls or isinstance(value, cls):
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


_MEMO_SIZE = 256
"""How many distinct collections each converter remembers (catalogs repeat a few)."""

_MEMO_TYPES = (tuple, frozenset, list)


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


_ENUM_SETS: dict[type, dict[Any, frozenset[Any]]] = {}


def to_enum_set(cls: type[E], values: Iterable[E | str]) -> frozenset[E]:
    # Catalogs repeat a few sets ("commercial and trial"): each distinct one is converted
    # once (building 10,000 products spent a third of its time here, measured).
    kind = type(values)
    if kind in _MEMO_TYPES:
        key = tuple(values) if kind is list else values
        memo = _ENUM_SETS.setdefault(cls, {})
        try:
            found = memo.get(key)
        except TypeError:  # an unhashable member: not a member of *cls* either
            pass
        else:
            if found is None:
                found = _remember(memo, key, frozenset(to_enum(cls, v) for v in key))
            return found
    if isinstance(values, str | Enum):
        raise TypeError(f"expected a collection of {cls.__name__}, got {values!r}")
    return frozenset(to_enum(cls, v) for v in values)


def to_license_type(value: LicenseType | str) -> LicenseType:
    return to_enum(LicenseType, value)


keeps(to_license_type, "type({v}) is LicenseType", LicenseType=LicenseType)


def to_management(value: ManagementMode | str) -> ManagementMode:
    return to_enum(ManagementMode, value)


keeps(to_management, "type({v}) is ManagementMode", ManagementMode=ManagementMode)


def optional_management(value: ManagementMode | str | None) -> ManagementMode | None:
    return None if value is None else to_enum(ManagementMode, value)


def to_quantity_rule(value: QuantityRule | str) -> QuantityRule:
    return to_enum(QuantityRule, value)


def to_severity(value: Severity | str) -> Severity:
    return to_enum(Severity, value)


def to_term_end(value: TermEnd | str) -> TermEnd:
    return to_enum(TermEnd, value)


def to_license_types(values: Iterable[LicenseType | str]) -> frozenset[LicenseType]:
    if values is ALL_LICENSE_TYPES:  # the default: nothing to convert
        return values
    return to_enum_set(LicenseType, values)


def to_management_modes(values: Iterable[ManagementMode | str]) -> frozenset[ManagementMode]:
    if values is ALL_MANAGEMENT_MODES:
        return values
    return to_enum_set(ManagementMode, values)


ALL_LICENSE_TYPES = frozenset(LicenseType)
ALL_MANAGEMENT_MODES = frozenset(ManagementMode)


def str_set(values: Iterable[str]) -> frozenset[str]:
    if type(values) is frozenset:
        return values
    if isinstance(values, str):
        raise TypeError(f"expected a collection of ids, got the string {values!r}")
    return frozenset(values)


_PERIOD_TUPLES: dict[Any, tuple[Period, ...]] = {}


def periods_tuple(values: Iterable[Period | str]) -> tuple[Period, ...]:
    kind = type(values)
    if kind is tuple or kind is list:
        key = tuple(values) if kind is list else values
        try:
            found = _PERIOD_TUPLES.get(key)
        except TypeError:  # an unhashable member: _periods says what is wrong
            return _periods(values)
        if found is None:
            found = _remember(_PERIOD_TUPLES, key, _periods(key))
        return found
    return _periods(values)


def _periods(values: Iterable[Period | str]) -> tuple[Period, ...]:
    if isinstance(values, str | Period):
        raise TypeError(f"expected a collection of periods, got {values!r}")
    seen: dict[Period, None] = {}
    for v in values:
        seen[Period.coerce(v)] = None
    return tuple(sorted(seen))


def optional_periods_tuple(values: Iterable[Period | str] | None) -> tuple[Period, ...] | None:
    return None if values is None else periods_tuple(values)


def to_period(value: Period | str) -> Period:
    return Period.coerce(value)


keeps(to_period, "type({v}) is Period", Period=Period)


def optional_period(value: Period | str | None) -> Period | None:
    return None if value is None else Period.coerce(value)


keeps(optional_period, "{v} is None or type({v}) is Period", Period=Period)


def each(validator: Any) -> Any:
    """Apply a value validator to each member of a collection."""

    def check(inst: object, attribute: attrs.Attribute[Any], values: Iterable[Any]) -> None:
        for v in values:
            validator(inst, attribute, v)

    return check
