"""Who may do what: roles and their permissions, operators and their scope, operation
requests and the audit's entries (records only: the check itself is the console's).

A role is a set of *permission* strings (:data:`PERMISSIONS`); code that checks asks
for a permission (``"apply"``, ``"operators"``), never for a role's name, so a role's
rights are changed in this one table. An operator's *scope* is the client groups its
grants reach (:func:`reaches`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ._exceptions import ForbiddenError
from ._findings import CodeSpec
from ._operations import Operation
from ._validation import check_group, is_date, non_empty_str, optional_date, optional_str

__all__ = [
    "ACCESS_CODES",
    "AUDIT_OUTCOMES",
    "FORBIDDEN",
    "LAST_ADMIN",
    "PERMISSIONS",
    "PRIMARY_IMMUTABLE",
    "REQUEST_DAYS",
    "REQUEST_EXPIRED",
    "REQUEST_STATUSES",
    "AuditEntry",
    "Grant",
    "OperationRequest",
    "Operator",
    "Role",
    "check_group",  # from ._validation: core._client_records imports it from here
    "forbidden",
    "may",
    "reaches",
]


class Role(enum.Enum):
    """An operator's permission type (the four of Panda's partner console)."""

    __hash__ = object.__hash__

    TOTAL_CONTROL = "total_control"
    """Everything, on every client: also the pool, the operators and the audit."""
    LICENSE_ADMIN = "license_admin"
    """Adds clients and applies, requests and decides operations, within its scope."""
    SECURITY_ADMIN = "security_admin"
    """Reads and requests operations (someone else approves), within its scope."""
    MONITORING = "monitoring"
    """Reads, within its scope; changes nothing."""


PERMISSIONS: Mapping[Role, frozenset[str]] = MappingProxyType(
    {
        Role.TOTAL_CONTROL: frozenset(
            {"read", "apply", "request", "decide", "pool", "operators", "audit", "all_groups"}
        ),
        Role.LICENSE_ADMIN: frozenset({"read", "apply", "request", "decide"}),
        Role.SECURITY_ADMIN: frozenset({"read", "request"}),
        Role.MONITORING: frozenset({"read"}),
    }
)
"""Role -> the permissions it holds: ``read`` (lists, detail, history, offer, dry
runs), ``apply`` (add a client, apply an operation), ``request`` (file a request),
``decide`` (approve or reject another's request), ``pool`` (credit the pool),
``operators`` (manage operators), ``audit`` (read the audit), ``all_groups`` (every
client, whatever the grants)."""


def may(role: Role, permission: str) -> bool:
    """Whether *role* holds *permission* (see :data:`PERMISSIONS`)."""
    return permission in PERMISSIONS[role]


def _group(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_group(value, f"{type(inst).__name__}.{attribute.name}")


def _role(value: Role | str) -> Role:
    if isinstance(value, Role):
        return value
    if isinstance(value, str):
        try:
            return Role(value)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {value!r} (known: {known})") from None
    raise TypeError(f"role must be a Role or its value, got {value!r}")


@attrs.frozen(kw_only=True, slots=True)
class Grant:
    """A group an operator reaches.

    Attributes:
        group: The client group (``""``: the default group, or with *subgroups*
            every group).
        subgroups: Whether every group under it is reached too, those created later
            included (``False``: that group alone).
    """

    group: str = attrs.field(validator=_group)
    subgroups: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))


def _grants(values: Iterable[Grant]) -> frozenset[Grant]:
    if isinstance(values, str | Grant):
        raise TypeError(f"grants must be a collection of Grant, got {values!r}")
    out = frozenset(values)
    for grant in out:
        if not isinstance(grant, Grant):
            raise TypeError(f"grants must hold Grant records, got {grant!r}")
    return out


@attrs.frozen(kw_only=True, slots=True)
class Operator:
    """A person (or a service) working in a partner's console.

    Attributes:
        id: The partner's identifier for the operator (a login).
        name: Name shown in the console.
        role: What it may do (:data:`PERMISSIONS`).
        grants: The groups it reaches (a ``TOTAL_CONTROL`` operator reaches every
            client whatever they say).
        primary: Whether it is the partner's first operator (its role stays
            ``TOTAL_CONTROL`` and it is never removed).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(validator=non_empty_str)
    role: Role = attrs.field(converter=_role)
    grants: frozenset[Grant] = attrs.field(factory=frozenset, converter=_grants)
    primary: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def may(self, permission: str) -> bool:
        """Whether the operator's role holds *permission*."""
        return may(self.role, permission)

    def reaches(self, group: str) -> bool:
        """Whether a client of *group* is in the operator's scope."""
        return self.may("all_groups") or reaches(self.grants, group)


def reaches(grants: Iterable[Grant], group: str) -> bool:
    """Whether one of *grants* names *group*, or an ancestor of it with subgroups
    (``Grant("")`` with subgroups reaches every group)."""
    for grant in grants:
        if grant.group == group:
            return True
        if grant.subgroups and (grant.group == "" or group.startswith(grant.group + "/")):
            return True
    return False


REQUEST_STATUSES = ("pending", "approved", "rejected")
"""The states of an :class:`OperationRequest`."""

REQUEST_DAYS = 30
"""A request may be approved while ``(today - requested_on).days`` is at most this."""


def _status(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in REQUEST_STATUSES:
        raise ValueError(f"status must be one of {', '.join(REQUEST_STATUSES)}, got {value!r}")


def _operation(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    from ._operations import OPERATION_TYPES

    if type(value) not in OPERATION_TYPES:
        raise TypeError(f"operation must be an operation record, got {value!r}")


@attrs.frozen(kw_only=True, slots=True)
class OperationRequest:
    """An operation filed by one operator for another to approve (nothing applied yet).

    Attributes:
        id: The request's id (``r1``, ``r2``, ... within the partner).
        client: The client it is for.
        operation: What it asks for.
        requested_by: The operator who filed it (``None``: a console without one).
        requested_on: The day it was filed.
        status: ``"pending"``, ``"approved"`` or ``"rejected"``.
        decided_by: Who approved or rejected it.
        decided_on: When.
        reason: Why it was rejected, when said.
    """

    id: str = attrs.field(validator=non_empty_str)
    client: str = attrs.field(validator=non_empty_str)
    operation: Operation = attrs.field(validator=_operation)
    requested_by: str | None = attrs.field(validator=optional_str)
    requested_on: dt.date = attrs.field(validator=is_date)
    status: Literal["pending", "approved", "rejected"] = attrs.field(
        default="pending", validator=_status
    )
    decided_by: str | None = attrs.field(default=None, validator=optional_str)
    decided_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    reason: str | None = attrs.field(default=None, validator=optional_str)

    def expired(self, today: dt.date) -> bool:
        """Whether it can no longer be approved on *today* (more than
        :data:`REQUEST_DAYS` days after it was filed)."""
        return (today - self.requested_on).days > REQUEST_DAYS


AUDIT_OUTCOMES = ("applied", "refused", "forbidden")
"""What an attempted write came to."""


def _outcome(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in AUDIT_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(AUDIT_OUTCOMES)}, got {value!r}")


def _aware(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise TypeError(f"AuditEntry.at must be an aware datetime (UTC), got {value!r}")


def _utc(value: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return value.astimezone(dt.UTC)
    return value


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"codes must be a collection of codes, got {values!r}")
    return tuple(values)


@attrs.frozen(kw_only=True, slots=True)
class AuditEntry:
    """One attempted write through a console, whatever came of it.

    Attributes:
        at: When (UTC).
        operator: Who (``None``: a console without an operator: a service, the
            command line).
        client: The client concerned, when there is one.
        action: The operation's kind, or ``add_client``, ``add_operator``,
            ``update_operator``, ``remove_operator``, ``credit_pool``, ``request``,
            ``approve``, ``reject``.
        outcome: ``"applied"``, ``"refused"`` (the error codes in *codes*) or
            ``"forbidden"``.
        codes: The error codes of a refusal (``auth.forbidden`` when forbidden).
    """

    at: dt.datetime = attrs.field(converter=_utc, validator=_aware)
    operator: str | None = attrs.field(validator=optional_str)
    client: str | None = attrs.field(validator=optional_str)
    action: str = attrs.field(validator=non_empty_str)
    outcome: Literal["applied", "refused", "forbidden"] = attrs.field(validator=_outcome)
    codes: tuple[str, ...] = attrs.field(default=(), converter=_codes)


# -- the finding codes ---------------------------------------------------------------------

FORBIDDEN = CodeSpec(
    code="auth.forbidden",
    messages={
        "en": "Operator '{operator}' may not {action}.",
        "es": "El operador '{operator}' no puede realizar la acción {action}.",
    },
)

PRIMARY_IMMUTABLE = CodeSpec(
    code="auth.primary_immutable",
    messages={
        "en": "Operator '{operator}' is the partner's primary operator: its role stays "
        "total control and it cannot be removed.",
        "es": "El operador '{operator}' es el operador principal del partner: su rol sigue "
        "siendo control total y no se puede eliminar.",
    },
)

LAST_ADMIN = CodeSpec(
    code="auth.last_admin",
    messages={
        "en": "Operator '{operator}' is the partner's last operator with total control: "
        "one must remain.",
        "es": "El operador '{operator}' es el último operador con control total del "
        "partner: debe quedar al menos uno.",
    },
)

REQUEST_EXPIRED = CodeSpec(
    code="request.expired",
    messages={
        "en": "Request '{request}' was filed on {requested_on}: it could be approved "
        "until {last_day}.",
        "es": "La solicitud '{request}' se presentó el {requested_on}: se podía aprobar "
        "hasta el {last_day}.",
    },
)

ACCESS_CODES = (FORBIDDEN, PRIMARY_IMMUTABLE, LAST_ADMIN, REQUEST_EXPIRED)
"""The declarations of the codes of this module."""


def forbidden(operator: str, action: str) -> ForbiddenError:
    """The :class:`ForbiddenError` of *operator* trying *action*."""
    return ForbiddenError(FORBIDDEN.finding("operator", {"operator": operator, "action": action}))
