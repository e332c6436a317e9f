"""A person's input, read the same way by every shell (the command line, the web
console): whole numbers, module choices, assignments from a form's fields, and each
operation's words for its refusal and its dry run."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..core._operations import AssignmentRequest

__all__ = ["ACTIONS", "assignment", "refusal_header", "whole_number"]

ACTIONS: dict[str, tuple[str, str]] = {
    "assign": ("cannot assign the product", "the product can be assigned"),
    "modify": ("cannot modify the licences", "the licences can be modified"),
    "set_management": ("cannot change the management", "the management can be changed"),
    "delete_service": ("cannot delete the service", "the service can be deleted"),
    "delete_client": ("cannot delete the client", "the client can be deleted"),
    "renew": ("cannot renew the maintenance", "the maintenance can be renewed"),
    "change_product": ("cannot change the product", "the product can be changed"),
    "convert_trial": ("cannot convert the trial", "the trial can be converted"),
    "extend_trial": ("cannot extend the trial", "the trial can be extended"),
    "group_sets": ("cannot group the licence sets", "the licence sets can be grouped"),
    "add_seats": ("cannot add the seats", "the seats can be added"),
    "suspend": ("cannot suspend the service", "the service can be suspended"),
    "resume": ("cannot resume the service", "the service can be resumed"),
    "suspend_client": ("cannot suspend the client", "the client can be suspended"),
    "resume_client": ("cannot resume the client", "the client can be resumed"),
    "set_auto_renew": (
        "cannot change the automatic renewal",
        "the automatic renewal can be changed",
    ),
    "schedule_change": (
        "cannot schedule the change for the renewal",
        "the change can be scheduled for the renewal",
    ),
}
"""Per operation, the header of its refusal and what its dry run says, in the
action's words (English; the interface table has the Spanish)."""

_WHOLE = re.compile(r"-?[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """*text* as a whole number typed in ASCII digits (``"12"``, ``"-3"``); ``None`` for
    anything else (``"1_0"``, full-width digits, ``"1.5"``, more than nine digits)."""
    return int(text) if _WHOLE.fullmatch(text.strip()) else None


def refusal_header(kind: str) -> str:
    """The header of a refused *kind* of operation (English; :func:`~.tr` translates)."""
    return ACTIONS[kind][0] if kind in ACTIONS else f"{kind} refused"


def assignment(
    *,
    product: str,
    license_type: str,
    quantity: str,
    period: str | None,
    modules: Iterable[tuple[str, str | None]],
    management: str,
) -> AssignmentRequest:
    """An assignment from a person's fields, as typed: *quantity* and each module's
    own seats (``None`` or ``""``: as its quantity rule says) are whole numbers, a
    trial takes no period.

    Raises:
        ValueError: a number is not a whole number; the message names the field.
    """
    seats = whole_number(quantity)
    if seats is None:
        raise ValueError(f"quantity: not a whole number: {quantity!r}")
    chosen: dict[str, int | None] = {}
    for module, own in modules:
        if own is None or not own.strip():
            chosen[module] = None
            continue
        n = whole_number(own)
        if n is None:
            raise ValueError(f"modules.{module}: not a whole number: {own!r}")
        chosen[module] = n
    return AssignmentRequest(
        product=product,
        license_type=license_type,
        quantity=seats,
        period=(period or None) if license_type == "commercial" else None,
        modules=chosen,
        management=management,
    )
