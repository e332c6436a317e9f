"""The permission check: the one place between a :class:`~cytolicense.Console` and its
store that says whether the console's operator may do an action on a client.

Every action names the permission it needs in :data:`ACTIONS`; a role holds
permissions (:data:`~cytolicense.PERMISSIONS`). Nothing here, nor anywhere else,
asks for a role by its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..core._access import Grant, Operator, forbidden
from ..core._operations import OPERATION_KINDS

__all__ = ["ACTIONS", "Guard"]

ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "read": "read",
        "check": "read",
        "add_client": "apply",
        **dict.fromkeys(OPERATION_KINDS, "apply"),
        "request": "request",
        "approve": "decide",
        "reject": "decide",
        "credit_pool": "pool",
        "operators": "operators",
        "add_operator": "operators",
        "update_operator": "operators",
        "remove_operator": "operators",
        "set_password": "operators",
        "audit": "audit",
    }
)
"""Action -> the permission it needs: reads, an operation's kind (applying it), and
the console's other writes."""


class Guard:
    """What one operator (or, with ``None``, a console with every right) may do.

    Attributes:
        operator: The operator, or ``None``.
    """

    __slots__ = ("operator",)

    def __init__(self, operator: Operator | None) -> None:
        self.operator = operator

    @property
    def who(self) -> str | None:
        """The operator's id (``None``: no operator)."""
        return None if self.operator is None else self.operator.id

    def may(self, action: str) -> bool:
        """Whether the operator may do *action* (an :data:`ACTIONS` key)."""
        if self.operator is None:
            return True
        return self.operator.may(ACTIONS[action])

    def require(self, action: str) -> None:
        """Refuse *action* (:class:`~cytolicense.ForbiddenError`) when not allowed."""
        if not self.may(action):
            assert self.operator is not None
            raise forbidden(self.operator.id, action)

    @property
    def grants(self) -> frozenset[Grant] | None:
        """The groups the operator reaches; ``None``: every client."""
        if self.operator is None or self.operator.may("all_groups"):
            return None
        return self.operator.grants

    def reaches(self, group: str) -> bool:
        """Whether a client of *group* is in the operator's scope."""
        return self.operator is None or self.operator.reaches(group)
