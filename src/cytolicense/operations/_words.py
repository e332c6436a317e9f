"""The phrases the families' wording shares: a maintenance as one line and an end
that moved, in a person's language.

Each family module words its own events for the history view and its operations for
a refusal and a dry run (:class:`~._family.EventWords`,
:class:`~._family.OperationWords`); these are the pieces several of them use. English
is the key, the message catalog (``locale/LANG.po``) has each language's; the view
escapes the whole line (:func:`cytolicense.views._text.clean`).
"""

from __future__ import annotations

from ..core._events import ServiceResumed, TrialExtended
from ..core._maintenance import Maintenance
from ..core._messages import tr

__all__ = ["end_moved", "line"]


def line(m: Maintenance, lang: str) -> str:
    """``m1: product x10 until DAY``, in *lang*."""
    return tr(
        "{id}: {product} x{seats} until {day}",
        lang,
        id=m.id,
        product=m.product,
        seats=m.quantity,
        day=m.expires_on,
    )


def end_moved(e: TrialExtended | ServiceResumed, lang: str) -> str:
    """``m1: end OLD -> NEW``, for an event that moved a maintenance's end."""
    return tr(
        "{id}: end {old} -> {new}",
        lang,
        id=e.maintenance_id,
        old=e.previous_expires_on,
        new=e.expires_on,
    )
