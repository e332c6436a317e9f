"""A client's history as lines a person reads: what each event changed.

Each operation family words its own events (:class:`~cytolicense.operations._family.
EventWords`, in its module under :mod:`cytolicense.operations`); this view looks each
event's words up by its record (:data:`~cytolicense.operations._table.EVENT_WORDS`)
and writes the line around them: the day, what happened, who did it and why. An
event no family words shows its record's name alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core._client_records import Client
from ..core._events import Event, apply
from ..core._messages import tr
from ..operations._table import EVENT_WORDS
from ._text import clean

__all__ = ["describe_history"]


def _described(before: Client | None, e: Event, lang: str) -> tuple[str, str]:
    """What happened (translated) and what it changed, for *e* on the client *before*."""
    words = EVENT_WORDS.get(type(e))
    if words is None:
        return tr(type(e).__name__, lang), ""
    text = words.describe(before, e, lang) if words.describe is not None else ""
    return tr(words.name, lang), text


def describe_history(
    events: Iterable[Event], language: str = "en", *, who: bool = True
) -> list[str]:
    """One line per event: its day, what happened, what it changed, and (with *who*)
    who did it and why, in *language*."""
    lines = []
    client: Client | None = None
    for e in events:
        kind, text = _described(client, e, language)
        by = tr(" [by {actor}]", language, actor=e.actor) if e.actor and who else ""
        why = f" ({e.reason})" if e.reason and who else ""
        lines.append(clean(f"{e.on}  {kind}" + (f": {text}" if text else "") + by + why))
        client = apply(client, e)
    return lines
