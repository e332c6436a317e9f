"""Text output that cannot be forged: control characters are shown escaped.

A name holding a newline would add a row to a text table, and an escape code would
drive the operator's terminal; every text view passes its cells through
:func:`clean`.
"""

from __future__ import annotations

import unicodedata

from ..core._messages import UI, tr

__all__ = ["UI", "clean", "table", "tr"]


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
