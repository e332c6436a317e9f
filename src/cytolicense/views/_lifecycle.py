"""The views a partner works from: what expires soon, and the renewal forecast (C17)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import attrs

from ..core._client_records import Client
from ..core._enums import LicenseType, Status
from ..core._html import html_table, styled
from ..views._text import clean, tr
from ._charts import forecast_svg

__all__ = ["ExpiringPage", "Expiry", "Forecast", "expiring", "forecast", "forecast_window"]


@attrs.frozen(kw_only=True, slots=True)
class Expiry:
    """One maintenance that ends soon, or is in grace.

    Attributes:
        client_id: The client.
        client_name: Its name.
        maintenance_id: The maintenance.
        product: The product id.
        license_type: Trial or commercial (trials are listed too, and marked).
        quantity: Seats.
        expires_on: Its last day of service.
        days_left: ``(expires_on - today).days``: negative in grace.
        status: ``ACTIVE`` or ``GRACE``.
    """

    client_id: str
    client_name: str
    maintenance_id: str
    product: str
    license_type: LicenseType
    quantity: int
    expires_on: dt.date
    days_left: int
    status: Status


_HEAD = ("expires", "days", "client", "maintenance", "product", "type", "seats", "status")


class ExpiryList(list[Expiry]):
    """A list of :class:`Expiry` that prints as a table and shows as HTML in Jupyter."""

    def _rows(self, language: str = "en") -> list[tuple[str, ...]]:
        return [
            (
                e.expires_on.isoformat(),
                str(e.days_left),
                f"{clean(e.client_name)} [{clean(e.client_id)}]",
                clean(e.maintenance_id),
                clean(e.product),
                tr(e.license_type.value, language),
                str(e.quantity),
                tr(e.status.value, language),
            )
            for e in self
        ]

    def table(self, language: str = "en") -> str:
        """A text table, one line per maintenance (headers and words in *language*)."""
        rows = self._rows(language)
        head = tuple(tr(h, language) for h in _HEAD)
        if not rows:
            return tr("nothing expires in the window", language)
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [head, *rows]
        )

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return styled(html_table(_HEAD, self._rows()))


def expiring(clients: Iterable[Client], today: dt.date, within_days: int = 30) -> ExpiryList:
    """Every maintenance active on *today* with ``(expires_on - today).days <= within_days``,
    and every maintenance in grace, ordered by ``(expires_on, client_id, maintenance_id)``."""
    if type(within_days) is not int or within_days < 0:
        raise ValueError(f"within_days must be an int >= 0, got {within_days!r}")
    found: list[Expiry] = []
    for c in clients:
        for m in c.maintenances:
            if not m.in_force(today):
                continue
            left = (m.expires_on - today).days
            active = left >= 0
            if active and left > within_days:
                continue
            found.append(
                Expiry(
                    client_id=c.id,
                    client_name=c.name,
                    maintenance_id=m.id,
                    product=m.product,
                    license_type=m.license_type,
                    quantity=m.quantity,
                    expires_on=m.expires_on,
                    days_left=left,
                    status=Status.ACTIVE if active else Status.GRACE,
                )
            )
    found.sort(key=lambda e: (e.expires_on, e.client_id, e.maintenance_id))
    return ExpiryList(found)


class ExpiringPage(NamedTuple):
    """A page of the expiring list (a store's ``expiring_page``).

    Attributes:
        rows: Its lines, in the list's order ``(expires_on, client_id,
            maintenance_id)``.
        next: The key ``(expires_on, client_id, maintenance_id)`` of its last line,
            which the next page starts after; ``None`` on the last page.
    """

    rows: list[Expiry]
    next: tuple[dt.date, str, str] | None


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    total = year * 12 + (month - 1) + n
    return total // 12, total % 12 + 1


@attrs.frozen(kw_only=True, slots=True)
class Forecast:
    """Seats that expire per product per calendar month.

    Attributes:
        months: The calendar months covered, as ``(year, month)``, from today's month.
        seats: Product id -> seats expiring in each of :attr:`months` (same order).
    """

    months: tuple[tuple[int, int], ...]
    seats: dict[str, tuple[int, ...]] = attrs.field(hash=False)

    def total(self, product: str | None = None) -> int:
        """Seats expiring over the window (for one product, or all)."""
        if product is not None:
            return sum(self.seats.get(product, ()))
        return sum(sum(v) for v in self.seats.values())

    def table(self, language: str = "en") -> str:
        """A text table: one row per month, one column per product."""
        products = sorted(self.seats)
        head = [tr("month", language), *products, tr("total", language)]
        rows = []
        for i, (y, mo) in enumerate(self.months):
            values = [self.seats[p][i] for p in products]
            rows.append([f"{y:04d}-{mo:02d}", *map(str, values), str(sum(values))])
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join(
            "  ".join(
                c.rjust(w) if j else c.ljust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in [head, *rows]
        )

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        """A stacked bar chart (inline SVG): seats labelled on the bars, months on the
        axis, products in a legend."""
        return styled(forecast_svg(self))


def forecast(clients: Iterable[Client], today: dt.date, months: int = 12) -> Forecast:
    """For every maintenance active on *today*, its seats counted in the calendar month of
    its ``expires_on``, per product, for *months* months from *today*'s month on."""
    window = forecast_window(today, months)
    index = {ym: i for i, ym in enumerate(window)}
    seats: dict[str, list[int]] = {}
    for c in clients:
        for m in c.maintenances:
            if not m.is_active(today):
                continue
            i = index.get((m.expires_on.year, m.expires_on.month))
            if i is None:
                continue
            seats.setdefault(m.product, [0] * months)[i] += m.quantity
    return Forecast(months=window, seats={p: tuple(v) for p, v in sorted(seats.items())})


def forecast_window(today: dt.date, months: int) -> tuple[tuple[int, int], ...]:
    """The calendar months a forecast of *months* months from *today* covers, as
    ``(year, month)``; :class:`ValueError` unless *months* is an int from 1 to 1200."""
    if type(months) is not int or not 1 <= months <= 1200:
        raise ValueError(f"months must be an int from 1 to 1200, got {months!r}")
    return tuple(_month_add(today.year, today.month, i) for i in range(months))
