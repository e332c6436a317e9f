"""Draw benchmarks/results.json (written by `run.py --json`) as an SVG bar chart of the
ratios against their floors: docs/_static/bench.svg.

    python benchmarks/chart.py benchmarks/results.json docs/_static/bench.svg
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

_SHORT = (
    ("PostgreSQL / SQLite: ", "PostgreSQL/SQLite: "),
    (",000,000 clients", "M clients"),
    (",000 clients", "k clients"),
    (" (load, decide, save)", ""),
)


def short(name: str) -> str:
    """*name* as a bar's label: sizes as 100k and 1M (the long names ran off the left)."""
    for long, brief in _SHORT:
        name = name.replace(long, brief)
    return name


def chart(results: dict[str, dict[str, float]], width: int = 760) -> str:
    rows = [(short(name), r) for name, r in results.items() if isinstance(r, dict) and "ratio" in r]
    bar_h, gap, left, top = 18, 8, 330, 30
    height = top + len(rows) * (bar_h + gap) + 30
    cap = 8.0  # bars longer than 8x are cut (their value is printed)
    scale = (width - left - 70) / cap
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" role="img" '
        'aria-label="cytolicense / floor, per benchmark">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        '<text x="10" y="16" font-size="13" font-weight="bold">'
        "cytolicense / its floor (median of interleaved rounds; whiskers: spread)</text>",
    ]
    for mark in (1, 2, 4, 8):
        x = left + mark * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" '
            'stroke="#d0d7de" stroke-dasharray="3,3"/>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="#57606a">{mark}x</text>'
        )
    for i, (name, r) in enumerate(rows):
        y = top + i * (bar_h + gap)
        ratio, (low, high) = r["ratio"], r["spread"]
        shown, low, high = min(ratio, cap), min(low, cap), min(high, cap)
        color = "#2da44e" if ratio <= 2 else "#bf8700" if ratio <= 4 else "#cf222e"
        out.append(
            f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{html.escape(name)}</text>'
            f'<rect x="{left}" y="{y}" width="{shown * scale:.1f}" height="{bar_h}" '
            f'fill="{color}"/>'
            f'<line x1="{left + low * scale:.1f}" y1="{y + bar_h / 2}" '
            f'x2="{left + high * scale:.1f}" y2="{y + bar_h / 2}" stroke="#24292f"/>'
            f'<text x="{left + max(shown, high) * scale + 6:.1f}" y="{y + 13}">'
            f"{ratio:.2f}{' (cut)' if ratio > cap else ''}</text>"
        )
    out.append("</svg>")
    return "".join(out)


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(chart(json.loads(source.read_text())) + "\n", encoding="utf-8")
