"""Rendering message templates: params by name, tuples joined, values translated.

The templates themselves are declared with each code (:class:`CodeSpec`), by the
rule that finds it. Tuples are joined with ", " and the values of the params in
:data:`LOCALIZED_PARAMS` are translated through the language's ``VALUES`` table.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGUAGES", "VALUES", "render"]

LANGUAGES: tuple[str, ...] = ("en", "es")
"""The languages every library message is written in."""


LOCALIZED_PARAMS = frozenset({"license_type", "offered", "management", "supported", "status"})

VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {"centralized": "centralized", "unmanaged": "unmanaged (not centralized)"},
    "es": {
        "trial": "de prueba",
        "commercial": "comerciales",
        "centralized": "centralizada",
        "unmanaged": "sin gestión centralizada",
        "active": "activo",
        "grace": "en periodo de gracia",
        "expired": "caducado",
        "deleted": "eliminado",
        "replaced": "sustituido",
    },
}


def _text(name: str, value: object, values: Mapping[str, str]) -> str:
    if type(value) is str:
        return values.get(value, value) if name in LOCALIZED_PARAMS else value
    if isinstance(value, tuple | list):
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
    values = VALUES.get(language, {})
    return template.format_map({k: _text(k, v, values) for k, v in params.items()})
