"""Console actions as records: one frozen record per action a console user can take.

An operation says *what* is asked; :meth:`Engine.check` says whether it may happen
on a given day and :meth:`Engine.apply` does it. Records refuse only values of a
wrong type (or strings naming no enum member or period); every other mistake is a
finding of the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from ._enums import LicenseType, ManagementMode
from ._period import Period
from ._schema import OMIT
from ._validation import (
    MAX_SEATS,
    bounded,
    check_group,
    optional_management,
    optional_period,
    to_license_type,
    to_management,
    to_period,
)

__all__ = [
    "OPERATION_TYPES",
    "AddSeats",
    "AssignmentRequest",
    "ChangeProduct",
    "ConvertTrial",
    "DeleteClient",
    "DeleteService",
    "ExtendTrial",
    "GroupSets",
    "Modify",
    "ModuleSeats",
    "Operation",
    "Renew",
    "Resume",
    "ResumeClient",
    "ScheduleChange",
    "SetAutoRenew",
    "SetGroup",
    "SetManagement",
    "Suspend",
    "SuspendClient",
]

ModuleSeats = Mapping[str, int | None]
"""Module id -> seats (``None``: as the module's quantity rule says)."""


def _int(value: Any, where: str) -> int:
    if type(value) is not int:
        raise TypeError(f"{where} must be an int, got {value!r}")
    if not -MAX_SEATS <= value <= MAX_SEATS:
        bounded(value, where)
    return value


def _group(value: Any) -> str:
    return check_group(value, "SetGroup.group")


def module_seats(value: Mapping[str, int | None] | Iterable[str]) -> Mapping[str, int | None]:
    """Normalise a module selection: a mapping id -> seats, or an iterable of ids."""
    if isinstance(value, str):
        raise TypeError(f"modules must be a mapping or ids, got {value!r}")
    items = list(value.items()) if isinstance(value, Mapping) else [(v, None) for v in value]
    out: dict[str, int | None] = {}
    for key, seats in items:
        if not isinstance(key, str):
            raise TypeError(f"modules keys must be module ids, got {key!r}")
        if key in out:
            raise ValueError(f"modules: module {key!r} given twice")
        out[key] = None if seats is None else _int(seats, f"modules[{key!r}]")
    # Sorted by id once here, so every check reads modules in the same order.
    return MappingProxyType(dict(sorted(out.items())))


def optional_module_seats(
    value: Mapping[str, int | None] | Iterable[str] | None,
) -> Mapping[str, int | None] | None:
    return None if value is None else module_seats(value)


def _quantity(value: int) -> int:
    return _int(value, "quantity")


def _optional_quantity(value: int | None) -> int | None:
    return None if value is None else _int(value, "quantity")


def _id(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"maintenance must be a maintenance id (str), got {value!r}")
    return value


def _product(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"product must be a product id (str), got {value!r}")
    return value


def _as_dict(value: Mapping[str, int | None] | None) -> dict[str, int | None] | None:
    return None if value is None else dict(value)


@attrs.frozen(slots=True)
class AssignmentRequest:
    """Assign a product: the console's form (D3).

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

    kind: ClassVar[str] = "assign"

    product: str = attrs.field(converter=_product)
    license_type: LicenseType = attrs.field(converter=to_license_type)
    quantity: int = attrs.field(converter=_quantity)
    period: Period | None = attrs.field(default=None, converter=optional_period)
    modules: Mapping[str, int | None] = attrs.field(
        factory=dict, converter=module_seats, eq=_as_dict, hash=False
    )
    management: ManagementMode = attrs.field(
        default=ManagementMode.CENTRALIZED, converter=to_management
    )


@attrs.frozen(kw_only=True, slots=True)
class Modify:
    """Change an active maintenance's seats and/or modules (D8).

    Attributes:
        maintenance: The maintenance id.
        quantity: New seats; ``None`` keeps them (linked modules follow).
        modules: The complete module set wanted afterwards; ``None`` keeps them.
    """

    kind: ClassVar[str] = "modify"

    maintenance: str = attrs.field(converter=_id)
    quantity: int | None = attrs.field(default=None, converter=_optional_quantity)
    modules: Mapping[str, int | None] | None = attrs.field(
        default=None, converter=optional_module_seats, eq=_as_dict, hash=False
    )


@attrs.frozen(kw_only=True, slots=True)
class SetManagement:
    """Start or stop centralized management of an active maintenance (D8).

    Attributes:
        maintenance: The maintenance id.
        mode: The management wanted.
    """

    kind: ClassVar[str] = "set_management"

    maintenance: str = attrs.field(converter=_id)
    mode: ManagementMode = attrs.field(converter=to_management)


@attrs.frozen(kw_only=True, slots=True)
class DeleteService:
    """Delete a maintenance (an expired one too; a deleted one not).

    Attributes:
        maintenance: The maintenance id.
    """

    kind: ClassVar[str] = "delete_service"

    maintenance: str = attrs.field(converter=_id)


@attrs.frozen(kw_only=True, slots=True)
class DeleteClient:
    """Delete the client and its live maintenances (it stays shown for 90 days)."""

    kind: ClassVar[str] = "delete_client"


@attrs.frozen(kw_only=True, slots=True)
class Renew:
    """Renew a commercial maintenance: new end = old end + period (C12).

    Attributes:
        maintenance: The maintenance id.
        period: The renewal's term; ``None`` renews for the maintenance's own period.
        quantity: The seats renewed; ``None`` keeps them. Linked modules follow; an
            independent module keeps its seats, at most the new quantity.
    """

    kind: ClassVar[str] = "renew"

    maintenance: str = attrs.field(converter=_id)
    period: Period | None = attrs.field(default=None, converter=optional_period)
    quantity: int | None = attrs.field(
        default=None, converter=_optional_quantity, metadata=OMIT
    )  # a renewal of the same seats: documents and idempotency keys as round 2 wrote them


@attrs.frozen(kw_only=True, slots=True)
class ChangeProduct:
    """Upgrade or downgrade: replace an active commercial maintenance by one of another
    product of the family, starting today (C13).

    ``None`` for quantity, modules or management means "as the old maintenance has
    it" (modules: those the new product offers; linked ones take the new seats).

    Attributes:
        maintenance: The maintenance id to replace.
        product: The new product id (one of the old product's ``changes_to``).
        period: The new term.
        quantity: New seats.
        modules: The new module set.
        management: The new management.
    """

    kind: ClassVar[str] = "change_product"

    maintenance: str = attrs.field(converter=_id)
    product: str = attrs.field(converter=_product)
    period: Period = attrs.field(converter=to_period)
    quantity: int | None = attrs.field(default=None, converter=_optional_quantity)
    modules: Mapping[str, int | None] | None = attrs.field(
        default=None, converter=optional_module_seats, eq=_as_dict, hash=False
    )
    management: ManagementMode | None = attrs.field(default=None, converter=optional_management)


@attrs.frozen(kw_only=True, slots=True)
class ConvertTrial:
    """Convert an active trial into a commercial maintenance of the same product (C14).

    The trial's seats, modules and management carry over unless given.

    Attributes:
        maintenance: The trial's id.
        period: The commercial term.
        quantity: Seats; ``None``: the trial's.
        modules: Modules; ``None``: the trial's.
        management: Management; ``None``: the trial's.
    """

    kind: ClassVar[str] = "convert_trial"

    maintenance: str = attrs.field(converter=_id)
    period: Period = attrs.field(converter=to_period)
    quantity: int | None = attrs.field(default=None, converter=_optional_quantity)
    modules: Mapping[str, int | None] | None = attrs.field(
        default=None, converter=optional_module_seats, eq=_as_dict, hash=False
    )
    management: ManagementMode | None = attrs.field(default=None, converter=optional_management)


@attrs.frozen(kw_only=True, slots=True)
class ExtendTrial:
    """Extend an active trial once, by the product's ``trial_extension_days`` (C14).

    Attributes:
        maintenance: The trial's id.
    """

    kind: ClassVar[str] = "extend_trial"

    maintenance: str = attrs.field(converter=_id)


@attrs.frozen(kw_only=True, slots=True)
class GroupSets:
    """Group the active commercial licence sets of a product into one, co-termed (C20).

    Attributes:
        product: The product whose sets are grouped.
    """

    kind: ClassVar[str] = "group_sets"

    product: str = attrs.field(converter=_product)


@attrs.frozen(kw_only=True, slots=True)
class AddSeats:
    """Add seats bought for a term to an active commercial maintenance, co-termed (C20).

    Attributes:
        maintenance: The maintenance id.
        quantity: Seats added.
        period: The term the seats were bought for.
    """

    kind: ClassVar[str] = "add_seats"

    maintenance: str = attrs.field(converter=_id)
    quantity: int = attrs.field(converter=_quantity)
    period: Period = attrs.field(converter=to_period)


@attrs.frozen(kw_only=True, slots=True)
class Suspend:
    """Suspend an active maintenance: it grants nothing from the next day until it is
    resumed; its term keeps running (unless its product's ``suspend_extends_term``);
    the pool gets nothing back.

    Attributes:
        maintenance: The maintenance id.
    """

    kind: ClassVar[str] = "suspend"

    maintenance: str = attrs.field(converter=_id)


@attrs.frozen(kw_only=True, slots=True)
class Resume:
    """Resume a suspended maintenance, on a day not after its expiry.

    Attributes:
        maintenance: The maintenance id.
    """

    kind: ClassVar[str] = "resume"

    maintenance: str = attrs.field(converter=_id)


@attrs.frozen(kw_only=True, slots=True)
class SuspendClient:
    """Suspend every active maintenance of the client (each remembers the client-wide
    suspension, so that :class:`ResumeClient` resumes exactly those)."""

    kind: ClassVar[str] = "suspend_client"


@attrs.frozen(kw_only=True, slots=True)
class ResumeClient:
    """Resume the maintenances a client-wide suspension suspended (not those suspended
    on their own)."""

    kind: ClassVar[str] = "resume_client"


@attrs.frozen(kw_only=True, slots=True)
class SetGroup:
    """Move the client into another group (a path of names joined by ``/``; ``""`` is
    the default group). Operators reach clients by their group."""

    kind: ClassVar[str] = "set_group"

    group: str = attrs.field(converter=_group)


def _on(value: bool) -> bool:
    if type(value) is not bool:
        raise TypeError(f"on must be True or False, got {value!r}")
    return value


@attrs.frozen(kw_only=True, slots=True)
class SetAutoRenew:
    """Turn the automatic renewal of a commercial maintenance on or off: the day's run
    (:meth:`Console.run_day`) renews it on its expiry. Turning it off drops the change
    scheduled for the renewal.

    Attributes:
        maintenance: The maintenance id.
        on: Whether it renews by itself.
    """

    kind: ClassVar[str] = "set_auto_renew"

    maintenance: str = attrs.field(converter=_id)
    on: bool = attrs.field(converter=_on)


@attrs.frozen(kw_only=True, slots=True)
class ScheduleChange:
    """Schedule the change the next automatic renewal makes: another number of seats,
    another term (the way down once the return window has closed). Needs
    auto-renewal; a new one replaces the old; a mid-term change drops it.

    Attributes:
        maintenance: The maintenance id.
        quantity: The seats the renewal renews; ``None`` keeps them.
        period: The renewal's term; ``None``: the maintenance's period.
    """

    kind: ClassVar[str] = "schedule_change"

    maintenance: str = attrs.field(converter=_id)
    quantity: int | None = attrs.field(default=None, converter=_optional_quantity)
    period: Period | None = attrs.field(default=None, converter=optional_period)


Operation = (
    AssignmentRequest
    | Modify
    | SetManagement
    | DeleteService
    | DeleteClient
    | Renew
    | ChangeProduct
    | ConvertTrial
    | ExtendTrial
    | GroupSets
    | AddSeats
    | Suspend
    | Resume
    | SuspendClient
    | ResumeClient
    | SetGroup
    | SetAutoRenew
    | ScheduleChange
)
"""Any console action."""

OPERATION_TYPES: tuple[type[Operation], ...] = (
    AssignmentRequest,
    Modify,
    SetManagement,
    DeleteService,
    DeleteClient,
    Renew,
    ChangeProduct,
    ConvertTrial,
    ExtendTrial,
    GroupSets,
    AddSeats,
    Suspend,
    Resume,
    SuspendClient,
    ResumeClient,
    SetGroup,
    SetAutoRenew,
    ScheduleChange,
)

OPERATION_KINDS: tuple[str, ...] = tuple(t.kind for t in OPERATION_TYPES)
"""The operation names rules declare (``"assign"``, ``"modify"``, ...)."""
