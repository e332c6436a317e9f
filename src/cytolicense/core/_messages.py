"""Rendering message templates: params by name, tuples joined, values translated.

The templates themselves are declared with each code (:class:`CodeSpec`), by the
rule that finds it. Tuples are joined with ", " and the values of the params in
:data:`LOCALIZED_PARAMS` are translated through the language's ``VALUES`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._period import Period

__all__ = [
    "CATALOGS",
    "ERRORS",
    "INTERFACE_LANGUAGES",
    "LANGUAGES",
    "UI",
    "VALUES",
    "period_words",
    "render",
    "tr",
    "unit",
]

LANGUAGES: tuple[str, ...] = ("en", "es")
"""The languages every library message is written in (each finding code declares its
messages in each of them)."""


def _catalogs(folder: Any = None) -> dict[str, dict[str, dict[str, str]]]:
    """The interface's translations: one gettext catalog a language,
    ``cytolicense/locale/LANG.po`` (or in *folder*), read when the package is imported
    (the package's own data, as its modules are; nothing is read at call time)."""
    from importlib.resources import files

    from ._po import parse_po

    where = folder if folder is not None else files("cytolicense").joinpath("locale")
    found: dict[str, dict[str, dict[str, str]]] = {}
    for entry in sorted(where.iterdir(), key=str):
        if entry.name.endswith(".po"):
            found[entry.name.removesuffix(".po")] = parse_po(entry.read_text("utf-8"))
    return found


CATALOGS: Mapping[str, Mapping[str, Mapping[str, str]]] = _catalogs()
"""Language -> table (``"ui"``, ``"errors"``, ``"values"``) -> English -> translation,
from the ``.po`` files: a translator adds a language with one file and no code."""

INTERFACE_LANGUAGES: tuple[str, ...] = ("en", *(lang for lang in CATALOGS if lang != "en"))
"""The languages the command line and the web console speak: English and every
catalog's."""


LOCALIZED_PARAMS = frozenset(
    {"license_type", "offered", "management", "supported", "status", "kind", "doing"}
)

VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {"centralized": "centralized", "unmanaged": "unmanaged (not centralized)"},
    **{lang: tables.get("values", {}) for lang, tables in CATALOGS.items()},
}


_STR = frozenset({str})


def _text(name: str, value: object, values: Mapping[str, str]) -> str:
    if type(value) is str:
        return values.get(value, value) if name in LOCALIZED_PARAMS else value
    if isinstance(value, tuple | list):
        if name not in LOCALIZED_PARAMS and _STR.issuperset(map(type, value)):
            return ", ".join(value) or "-"  # the usual list: ids and period texts
        return ", ".join(_text(name, v, values) for v in value) or "-"
    if value is None:
        return "-"
    try:
        text = str(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        text = f"a {value.bit_length()}-bit number" if isinstance(value, int) else "?"
    if name in LOCALIZED_PARAMS:
        return values.get(text, text)
    return text


def render(template: str, params: Mapping[str, object], language: str) -> str:
    """Fill *template* with *params* for *language*."""
    copy: dict[str, object] | None = None  # made once a value is written out
    value: Any
    for k, value in params.items():
        kind = type(value)
        if kind is str:
            if k not in LOCALIZED_PARAMS:
                continue  # the usual values, filled as _text would write them
        elif kind is int and -_PLAIN_INT < value < _PLAIN_INT:
            continue
        # A value to write out (a tuple, None, a big number) or to translate.
        if copy is None:
            copy = dict(params)
        if kind is tuple and k not in LOCALIZED_PARAMS and _STR.issuperset(map(type, value)):
            copy[k] = ", ".join(value) or "-"  # the usual tuple: ids, period texts
        else:
            copy[k] = _text(k, value, VALUES.get(language, _NO_VALUES))
    filled = params if copy is None else copy
    return template.format_map(filled)


_PLAIN_INT = 10**18  # below str()'s digit limit by far
_NO_VALUES: Mapping[str, str] = {}


ERRORS: Mapping[str, Mapping[str, str]] = {
    lang: tables.get("errors", {}) for lang, tables in CATALOGS.items()
}
"""Error message templates (English, as the errors carry them) -> translation."""


UI: dict[str, dict[str, str]] = {
    lang: dict(tables.get("ui", {})) for lang, tables in CATALOGS.items()
}
"""What a person reads besides the findings, by language: English text -> translation.
English is the key itself; every key has a Spanish entry (a test checks it)."""


def language_of(tag: str) -> str:
    """The language of a locale or language tag this library speaks: ``es_MX``,
    ``es-ES``, ``es_ES.UTF-8`` and ``ES`` are ``"es"``; anything it does not speak is
    ``"en"``."""
    base = tag.replace("-", "_").split(".")[0].split("_")[0].strip().lower()
    return base if base in INTERFACE_LANGUAGES else "en"


def tr(text: str, language: str, /, **values: object) -> str:
    """*text* in *language* (English when there is no translation), filled with *values*."""
    template = UI.get(language, {}).get(text, text)
    return template.format(**values) if values else template


def unit(n: int, name: str, language: str) -> str:
    """*n* of the unit *name* (``"year"``, ``"month"``, ``"day"``) in words: ``"1 year"``,
    ``"3 años"``."""
    return f"{n} {tr(name if n == 1 else name + 's', language)}"


def period_words(period: Period, language: str) -> str:
    """A period as every view writes it: ``"1 year"``, ``"3 years"``, ``"1 month"``,
    ``"1 year 6 months"`` (``"1y"`` is how it is typed, and what JSON holds)."""
    parts = [unit(period.years, "year", language)] if period.years else []
    if period.months:
        parts.append(unit(period.months, "month", language))
    return " ".join(parts)
