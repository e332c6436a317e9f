"""What a person reads on the console's pages: days and numbers as a language writes
them, a finding's message naming things by their names, a line's state, and what a
change does, line by line (:func:`_changes`, which the previews show)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from ..core._client_records import Client
from ..core._enums import Status
from ..core._findings import Finding
from ..core._maintenance import Maintenance
from ..core._messages import period_words, render
from ..core._period import Period
from ..views._text import tr

if TYPE_CHECKING:
    from ..core._catalog import Catalog


__all__ = [
    "EXPIRING_DAYS",
    "format_day",
    "format_number",
    "human_message",
    "human_value",
    "line_state",
    "plural",
    "seats",
]


_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
EXPIRING_DAYS = 60
"""An active line ending within this many days reads "expiring" (the Expiring page's
window)."""


def format_day(day: dt.date | None, language: str) -> str:
    """A date as a person of *language* writes it: ``27 Nov 2026``, ``27/11/2026``."""
    if day is None:
        return "-"
    if language == "es":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day} {_MONTHS['en'][day.month - 1]} {day.year}"


def format_number(n: int, language: str) -> str:
    """``12,500`` in English, ``12.500`` in Spanish."""
    text = f"{n:,}"
    return text.replace(",", ".") if language == "es" else text


def plural(n: int, one: str, many: str, language: str) -> str:
    """``1 licence``, ``2 licences`` (``1 licencia``, ``12.500 licencias``)."""
    return f"{format_number(n, language)} {tr(one if n == 1 else many, language)}"


def seats(n: int, language: str) -> str:
    return plural(n, "licence", "licences", language)


# -- what a person reads: names, states, findings -------------------------------------------


def human_value(key: str, value: object, catalog: Catalog, language: str) -> object:
    """A finding's param as a person reads it: a product, module or family by its name,
    a period in words (``"1m"`` -> ``"1 mes"``)."""
    if isinstance(value, tuple | list):
        return tuple(human_value(key, v, catalog, language) for v in value)
    if not isinstance(value, str):
        return value
    for table in (catalog.products, catalog.modules, catalog.families):
        found = table.get(value)
        if found is not None:
            return str(found.name)
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_day(dt.date.fromisoformat(value), language)
        except ValueError:
            return value
    if "period" in key or key in ("enabled", "sold"):
        try:
            return period_words(Period.parse(value), language)
        except (ValueError, TypeError):
            return value
    return value


def human_message(finding: Finding, catalog: Catalog, language: str) -> str:
    """The finding's message in *language*, naming things by their names, not ids."""
    spec = finding.spec
    template = spec.template(language, finding.params) if spec is not None else None
    if template is None:
        return finding.message_in(language)
    params = {k: human_value(k, v, catalog, language) for k, v in finding.params.items()}
    try:
        text = render(template, params, language)
    except (KeyError, ValueError, IndexError):
        return finding.message_in(language)
    for k, v in params.items():  # 'Cytomic Advanced EDR' reads better unquoted
        if isinstance(v, str) and v != finding.params[k]:
            text = text.replace(f"'{v}'", v)
    return text


def line_state(m: Maintenance, today: dt.date) -> tuple[str, str]:
    """A line's state as a person reads it: ``(css class, words)``: active, expiring,
    in grace, suspended, expired, deleted, replaced."""
    if today < m.starts_on:
        return "future", "starts later"
    state = m.status(today)
    if state is Status.ACTIVE and (m.expires_on - today).days < EXPIRING_DAYS:
        return "expiring", "expiring"
    return state.value, {
        Status.ACTIVE: "active",
        Status.GRACE: "in grace",
        Status.SUSPENDED: "suspended",
        Status.EXPIRED: "expired",
        Status.DELETED: "deleted",
        Status.REPLACED: "replaced",
    }[state]


def _name(catalog: Catalog, product: str) -> str:
    found = catalog.products.get(product)
    return found.name if found is not None else product


def _module_name(catalog: Catalog, module: str) -> str:
    found = catalog.modules.get(module)
    return found.name if found is not None else module


# -- what a change does, in words -----------------------------------------------------------


def _changes(
    catalog: Catalog, before: Client, after: Client | None, today: dt.date, lang: str
) -> list[tuple[str, list[str]]]:
    """What an operation does, line by line: ``(product, [what changes])``, in the
    person's words (from the client before and after the engine applies it)."""
    if after is None:
        return []
    old = {m.id: m for m in before.maintenances}
    out: list[tuple[str, list[str]]] = []
    for m in after.maintenances:
        was = old.get(m.id)
        name = _name(catalog, m.product)
        what: list[str] = []
        if was is None:
            what.append(
                tr(
                    "new: {type}, {seats}, from {start} to {end}",
                    lang,
                    type=tr(m.license_type.value, lang),
                    seats=seats(m.quantity, lang),
                    start=format_day(m.starts_on, lang),
                    end=format_day(m.expires_on, lang),
                )
            )
            for ml in m.modules:
                what.append(f"+ {_module_name(catalog, ml.module)} ({seats(ml.quantity, lang)})")
            out.append((name, what))
            continue
        if was == m:
            continue

        arrow = functools.partial(_arrow, what, lang)
        arrow("licences", format_number(was.quantity, lang), format_number(m.quantity, lang))
        arrow("expiry", format_day(was.expires_on, lang), format_day(m.expires_on, lang))
        arrow("management", tr(was.management.value, lang), tr(m.management.value, lang))
        arrow("auto-renewal", tr(_on_off(was.auto_renew), lang), tr(_on_off(m.auto_renew), lang))
        arrow("at the renewal", _planned(was, lang), _planned(m, lang))
        s0, s1 = line_state(was, today)[1], line_state(m, today)[1]
        if m.deleted_on is not None and was.deleted_on is None:
            s1 = "deleted"
        if m.replaced_on is not None and was.replaced_on is None:
            s1 = "replaced"
        suspended0 = bool(was.suspensions) and was.suspensions[-1].resumed_on is None
        suspended1 = bool(m.suspensions) and m.suspensions[-1].resumed_on is None
        if suspended1 and not suspended0:
            s1 = "suspended"
        if suspended0 and not suspended1:
            s1 = "active"
        arrow("status", tr(s0, lang), tr(s1, lang))
        mods0 = {ml.module: ml.quantity for ml in was.modules}
        mods1 = {ml.module: ml.quantity for ml in m.modules}
        for mod, n in mods1.items():
            if mod not in mods0:
                what.append(f"+ {_module_name(catalog, mod)} ({seats(n, lang)})")
            elif mods0[mod] != n and n != m.quantity:
                what.append(
                    f"{_module_name(catalog, mod)}: {format_number(mods0[mod], lang)} → "
                    f"{format_number(n, lang)}"
                )
        for mod in mods0:
            if mod not in mods1:
                what.append(f"− {_module_name(catalog, mod)}")
        if what:
            out.append((name, what))
    if after.deleted_on is not None and before.deleted_on is None:
        out.insert(0, (before.name, [tr("the client is deleted", lang)]))
    return out


def _on_off(on: bool) -> str:
    return "on" if on else "off"


def _planned(m: Maintenance, lang: str) -> str:
    """What the next renewal will change, in words (``-``: nothing scheduled)."""
    planned = m.scheduled
    if planned is None:
        return "-"
    quantity = planned.quantity if planned.quantity is not None else m.quantity
    period = planned.period if planned.period is not None else m.period
    words = seats(quantity, lang)
    return f"{words}, {period_words(period, lang)}" if period is not None else words


def _arrow(what: list[str], lang: str, label: str, a: str, b: str) -> None:
    if a != b:
        what.append(f"{tr(label, lang)}: {a} → {b}")
