"""Reading gettext catalogs (``.po`` text): the translations of the interface.

A small reader of what the catalogs in ``cytolicense/locale`` use: ``msgctxt``,
``msgid`` and ``msgstr`` with strings continued on the next lines, and the C escapes
``\\n``, ``\\t``, ``\\"``, ``\\\\``. Pure: text in, tables out.
"""

from __future__ import annotations

__all__ = ["parse_po"]

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str, where: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"line {where}: expected a quoted string, got {text!r}")
    out: list[str] = []
    body = iter(text[1:-1])
    for ch in body:
        if ch == "\\":
            nxt = next(body, "")
            if nxt not in _ESCAPES:
                raise ValueError(f"line {where}: unknown escape \\{nxt}")
            out.append(_ESCAPES[nxt])
        else:
            out.append(ch)
    return "".join(out)


def parse_po(text: str) -> dict[str, dict[str, str]]:
    """The entries of a ``.po`` catalog as ``{msgctxt: {msgid: msgstr}}`` (the context
    ``""`` for entries without one). The header (the empty msgid) and untranslated
    entries (an empty msgstr) are left out.

    Raises:
        ValueError: the text is not a catalog this reader understands (the message
            names the line).
    """
    tables: dict[str, dict[str, str]] = {}
    entry: dict[str, str] = {}
    field: str | None = None

    def flush() -> None:
        nonlocal entry, field
        if "msgid" in entry:
            if "msgstr" not in entry:
                raise ValueError(f"msgid {entry['msgid']!r} has no msgstr")
            if entry["msgid"] and entry["msgstr"]:
                tables.setdefault(entry.get("msgctxt", ""), {})[entry["msgid"]] = entry["msgstr"]
        entry, field = {}, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line:
                flush()
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid", "msgstr"):
            if keyword in entry or (keyword != "msgstr" and "msgstr" in entry):
                flush()
            field = keyword
            entry[keyword] = _unquote(rest, number)
        elif line.startswith('"') and field is not None:
            entry[field] += _unquote(line, number)
        else:
            raise ValueError(f"line {number}: cannot read {raw!r}")
    flush()
    return tables
