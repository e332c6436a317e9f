"""Charts as inline SVG (no plotting dependency): they read in Jupyter and in a browser."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._lifecycle import Forecast

__all__ = ["forecast_svg"]

_PALETTE = ("#0969da", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#9a6700")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def forecast_svg(forecast: Forecast, width: int = 720, height: int = 300) -> str:
    """A stacked bar per month (one colour per product), seats labelled on each bar
    segment and the total above it, months on the axis, products in a legend."""
    products = sorted(forecast.seats)
    n = len(forecast.months)
    totals = [sum(forecast.seats[p][i] for p in products) for i in range(n)]
    top = max(totals, default=0) or 1
    left, right, plot_top, legend_h = 40, 10, 40, 22 * ((len(products) + 2) // 3)
    bottom = height - 40 - legend_h
    plot_h = bottom - plot_top
    slot = (width - left - right) / max(n, 1)
    bar_w = slot * 0.7
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        'role="img" aria-label="Seats expiring per month">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">'
        "Seats expiring per month</text>",
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
                f'fill="{color}"><title>{e(p)}: {seats} seats</title></rect>'
            )
            if h >= 13:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y + h / 2 + 4:.1f}" fill="#ffffff" '
                    f'text-anchor="middle">{seats}</text>'
                )
        if totals[i]:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-weight="bold">{totals[i]}</text>'
            )
        label = _MONTHS[month - 1] + (f" {year}" if month == 1 or i == 0 else "")
        parts.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{bottom + 14}" '
            f'text-anchor="middle">{e(label)}</text>'
        )
    for j, p in enumerate(products):
        lx = left + (j % 3) * 220
        ly = bottom + 30 + (j // 3) * 22
        color = _PALETTE[j % len(_PALETTE)]
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly + 10}">{e(p)}</text>')
    if not products:
        parts.append(
            f'<text x="{width / 2}" y="{(plot_top + bottom) / 2}" text-anchor="middle" '
            'fill="#57606a">no seats expire in the window</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
