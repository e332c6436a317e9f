"""One small stylesheet for every HTML view, so they read the same in Jupyter and
outside it (a browser, a report): tables with left-aligned cells, dates on one line."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["STYLE", "html_table", "styled"]

STYLE = (
    "<style>"
    ".cytolicense table{border-collapse:collapse;margin:4px 0}"
    ".cytolicense th,.cytolicense td{padding:2px 8px;text-align:left;vertical-align:top;"
    "border-bottom:1px solid #d0d7de}"
    ".cytolicense td{white-space:nowrap}"
    ".cytolicense td.message{white-space:normal}"
    "</style>"
)


def styled(inner: str) -> str:
    """*inner* inside a ``div.cytolicense`` that carries the stylesheet."""
    return f'<div class="cytolicense">{STYLE}{inner}</div>'


def html_table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table of *rows* under *head*, every cell escaped."""
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
