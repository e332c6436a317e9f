"""Charts as inline SVG (no plotting dependency): they read in Jupyter and in a browser."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Protocol

from ..core._messages import tr

__all__ = ["MonthlyCounts", "forecast_svg"]


class MonthlyCounts(Protocol):
    """What the chart draws: counts per product per calendar month (a
    :class:`~cytolicense.Forecast` is one)."""

    @property
    def months(self) -> Sequence[tuple[int, int]]:
        """The calendar months, as ``(year, month)``, in order."""
        ...

    @property
    def seats(self) -> Mapping[str, Sequence[int]]:
        """Product id -> its count in each of :attr:`months` (same order)."""
        ...


_PALETTE = ("#0969da", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#9a6700")
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


_CHAR_W = 6.6
"""The width of a digit at font-size 11 (sans-serif), for deciding what fits."""


def _short(n: int) -> str:
    """A count in at most four characters: ``950``, ``7.9k``, ``12k``, ``1.2M``."""
    if n < 1000:
        return str(n)
    for size, suffix in ((10**6, "M"), (10**3, "k")):
        if n >= size:
            value = n / size
            return f"{value:.1f}{suffix}" if value < 10 else f"{round(value)}{suffix}"
    return str(n)  # pragma: no cover - unreachable


def _fits(text: str, width: float) -> bool:
    return len(text) * _CHAR_W + 4 <= width


def forecast_svg(
    forecast: MonthlyCounts,
    width: int | None = None,
    height: int = 300,
    *,
    language: str = "en",
    names: Mapping[str, str] | None = None,
) -> str:
    """A stacked bar per month (one colour per product), seats labelled on each bar
    segment that has room and the total above each bar (shortened, ``7.9k``, when the
    full number would not fit), months on the axis (every month while they fit, else
    every second or third; the year on a second row), products in a legend.

    *width* defaults to what the months need: at least 30 pixels a month, so 36
    months read as well as 12. The words are in *language*; *names* gives the legend's
    name of each product id (the id itself by default)."""
    months = _MONTHS.get(language, _MONTHS["en"])
    names = names or {}

    def seats_text(n: int) -> str:
        return f"{n} {tr('seat' if n == 1 else 'seats', language)}"

    products = sorted(forecast.seats)
    n = len(forecast.months)
    left, right = 40, 10
    if width is None:
        width = max(720, left + right + 30 * n)
    totals = [sum(forecast.seats[p][i] for p in products) for i in range(n)]
    top = max(totals, default=0) or 1
    plot_top, legend_h = 40, 22 * ((len(products) + 2) // 3)
    bottom = height - 52 - legend_h
    plot_h = bottom - plot_top
    slot = (width - left - right) / max(n, 1)
    bar_w = slot * 0.7
    every = next(k for k in (1, 2, 3, 4, 6, 12) if slot * k >= 34)  # "Sep" plus room
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        f'role="img" aria-label="{e(tr("Licences expiring per month", language))}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">'
        f"{e(tr('Licences expiring per month', language))}</text>",
        f'<line x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}" stroke="#57606a"/>',
    ]
    for i, (year, month) in enumerate(forecast.months):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(bottom)
        for j, p in enumerate(products):
            seats = forecast.seats[p][i]
            if not seats:
                continue
            h = plot_h * seats / top
            y -= h
            color = _PALETTE[j % len(_PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{e(names.get(p, p))}: {seats_text(seats)}</title></rect>'
            )
            if h >= 13 and _fits(str(seats), bar_w):
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y + h / 2 + 4:.1f}" fill="#ffffff" '
                    f'text-anchor="middle">{seats}</text>'
                )
        if totals[i]:
            total = str(totals[i]) if _fits(str(totals[i]), slot) else _short(totals[i])
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-weight="bold"><title>{seats_text(totals[i])}</title>{total}</text>'
            )
        centre = left + i * slot + slot / 2
        if i % every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{bottom + 14}" text-anchor="middle">'
                f"{months[month - 1]}</text>"
            )
        if month == 1 or i == 0:
            parts.append(
                f'<text x="{left + i * slot + 2:.1f}" y="{bottom + 28}" fill="#57606a">'
                f"{year}</text>"
            )
    for j, p in enumerate(products):
        lx = left + (j % 3) * 220
        ly = bottom + 40 + (j // 3) * 22
        color = _PALETTE[j % len(_PALETTE)]
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly + 10}">{e(names.get(p, p))}</text>')
    if not products:
        parts.append(
            f'<text x="{width / 2}" y="{(plot_top + bottom) / 2}" text-anchor="middle" '
            f'fill="#57606a">{e(tr("no licence expires in the window", language))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
