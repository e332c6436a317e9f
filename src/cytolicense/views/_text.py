"""Text output that cannot be forged: control characters are shown escaped.

A name holding a newline would add a row to a text table, and an escape code would
drive the operator's terminal; every text view passes its cells through
:func:`clean`.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean", "table"]


def clean(text: str) -> str:
    """*text* with control and format characters (and lone surrogates) escaped."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"):
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns under a header and a rule; every cell cleaned."""
    header = [clean(c) for c in header]
    rows = [[clean(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header).rstrip(), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r).rstrip() for r in rows]
    return out


UI: dict[str, dict[str, str]] = {
    "es": {
        # the detail
        "{name} [{id}] on {day}: {state}": "{name} [{id}] el {day}: {state}",
        "visible": "visible",
        "no longer shown (90 days without service)": "ya no se muestra (90 días sin servicio)",
        "deleted on {day}": "eliminado el {day}",
        "no maintenance to show": "ningún mantenimiento que mostrar",
        "id": "id",
        "product": "producto",
        "type": "tipo",
        "seats": "licencias",
        "period": "periodo",
        "start": "inicio",
        "expiry": "caducidad",
        "status": "estado",
        "management": "gestión",
        "actions": "acciones",
        # the monitoring list
        "name": "nombre",
        "state": "estado",
        "last day of service": "último día de servicio",
        "console": "consola",
        "no client to show on {day}": "ningún cliente que mostrar el {day}",
        "deleted {day}": "eliminado el {day}",
        "no active service": "sin servicio activo",
        "no product yet": "sin producto todavía",
        "shown": "se muestra",
        "hidden: {why}, 90+ days ago": "oculto: {why}, hace 90 días o más",
        "never had a service since {day}": "sin ningún servicio desde el {day}",
        "no service since {day}": "sin servicio desde el {day}",
        # values
        "trial": "prueba",
        "commercial": "comercial",
        "centralized": "centralizada",
        "unmanaged": "sin gestión",
        "active": "activo",
        "grace": "en gracia",
        "expired": "caducado",
        "deleted": "eliminado",
        "replaced": "sustituido",
        "modify": "modificar",
        "delete": "eliminar",
        "manage": "gestionar",
        "unmanage": "dejar de gestionar",
        "renew": "renovar",
        "convert": "convertir",
        "extend": "ampliar",
        "year": "año",
        "years": "años",
        "month": "mes",
        "months": "meses",
        "day": "día",
        "days": "días",
        # the command line's confirmations
        "{verb}: {what}": "{verb}: {what}",
        "maintenance {id}": "mantenimiento {id}",
        "client {id}": "cliente {id}",
        "{what}: nothing to change": "{what}: nada que cambiar",
        "assigned": "asignado",
        "modified": "modificado",
        "centralized management started": "gestión centralizada iniciada",
        "centralized management stopped": "gestión centralizada detenida",
        "deleted (shown for 90 more days)": "eliminado (se muestra 90 días más)",
        "renewed": "renovado",
        "changed": "cambiado",
        "converted": "convertido",
        "extended": "ampliado",
        "seats added": "licencias añadidas",
        "grouped": "agrupado",
        "added client {id} ({name}) on {day}": "cliente {id} ({name}) añadido el {day}",
        "no seats in force on {day}": "ninguna licencia vigente el {day}",
    }
}
"""What a person reads besides the findings, by language: English text -> translation.
English is the key itself; every key has a Spanish entry (a test checks it)."""


def tr(text: str, language: str, **values: object) -> str:
    """*text* in *language* (English when there is no translation), filled with *values*."""
    template = UI.get(language, {}).get(text, text)
    return template.format(**values) if values else template
