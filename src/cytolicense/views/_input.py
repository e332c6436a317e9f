"""A person's input, read the same way by every shell (the command line, the web
console): whole numbers, module choices, assignments from a form's fields, and each
operation's words for its refusal and its dry run."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..core._operations import AssignmentRequest
from ..operations._table import KINDS

__all__ = ["ACTIONS", "assignment", "dry_run_said", "refusal_header", "whole_number"]

ACTIONS: dict[str, tuple[str, str]] = {
    kind: k.words for kind, k in KINDS.items() if k.words is not None
}
"""Per operation kind, the header of its refusal and what its dry run says, in the
action's words (English; the message catalog has the Spanish): each family declares
its operations' (:class:`~cytolicense.operations._family.OperationWords`, in its
module under :mod:`cytolicense.operations`)."""

_WHOLE = re.compile(r"-?[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """*text* as a whole number typed in ASCII digits (``"12"``, ``"-3"``); ``None`` for
    anything else (``"1_0"``, full-width digits, ``"1.5"``, more than nine digits)."""
    return int(text) if _WHOLE.fullmatch(text.strip()) else None


def refusal_header(kind: str) -> str:
    """The header of a refused *kind* of operation (English; :func:`~.tr` translates)."""
    return ACTIONS[kind][0] if kind in ACTIONS else f"{kind} refused"


def dry_run_said(kind: str) -> str:
    """What the dry run of an accepted *kind* of operation says (English; :func:`~.tr`
    translates)."""
    return ACTIONS[kind][1] if kind in ACTIONS else f"{kind} can be done"


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
