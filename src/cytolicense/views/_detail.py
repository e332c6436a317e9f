"""Views: a client's detail and the monitoring list, as text and as notebook HTML."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Iterable

import attrs
from dateutil.relativedelta import relativedelta

from ..core._catalog import Catalog
from ..core._catalog_records import Product
from ..core._client_records import Client
from ..core._dates import RETENTION_DAYS, line_shown, status, visible
from ..core._enums import LicenseType, ManagementMode, Status
from ..core._html import html_table, styled
from ..core._line_records import ScheduledChange
from ..core._maintenance import Maintenance
from ..core._messages import unit
from ..core._period import Period
from ..core._trusted import maker
from ..operations._returns import open_seats, returnable_until
from ._text import clean, table, tr

__all__ = ["ClientDetail", "DetailLine", "ModuleLine", "MonitoringList", "build_detail"]

_UNIT = {"years": "year", "months": "month", "days": "day"}


@functools.lru_cache(maxsize=4096)  # pure; a detail or a sweep repeats a few terms
def human_duration(
    starts_on: dt.date, expires_on: dt.date, *, in_days: bool = False, language: str = "en"
) -> str:
    """``"1 year"``, ``"10 months 3 days"`` (or ``"30 days"`` with *in_days*): the term.

    In days, both ends count (a trial from 1 to 30 March serves 30 days, C11)."""
    if in_days:
        return unit((expires_on - starts_on).days + 1, "day", language)
    rd = relativedelta(expires_on, starts_on)
    if rd.days and expires_on < dt.date.max:
        # A term ending the day before its anniversary (term_end = day_before) is whole.
        whole = relativedelta(expires_on + dt.timedelta(days=1), starts_on)
        if not whole.days:
            rd = whole
    parts = [
        unit(getattr(rd, attr), name, language) for attr, name in _UNIT.items() if getattr(rd, attr)
    ]
    return " ".join(parts) or unit(0, "day", language)


@attrs.frozen(kw_only=True, slots=True)
class ModuleLine:
    """A module of a detail line (D7).

    Attributes:
        module: Module id.
        name: Module name (the id when the catalog no longer has it).
        quantity: Contracted seats.
        starts_on: First day.
        expires_on: Last day (the product's).
        duration: Human text of the term, e.g. ``"1 year"`` or ``"30 days"``.
    """

    module: str
    name: str
    quantity: int
    starts_on: dt.date
    expires_on: dt.date
    duration: str


@attrs.frozen(kw_only=True, slots=True)
class DetailLine:
    """One maintenance as the client's detail shows it.

    Attributes:
        maintenance_id: The maintenance's id.
        product: Product id.
        product_name: Product name (the id when the catalog no longer has it).
        license_type: Trial or commercial.
        quantity: Seats.
        period: The period (``None`` for a trial).
        starts_on: First day.
        expires_on: Last day.
        ended_on: The day it ended (expiry, or deletion if earlier).
        status: Status on the detail's day.
        management: Management mode.
        duration: Human text of the term.
        modules: The modules.
        actions: The console actions this line allows today, as the engine decides
            them (its checks pass): ``"modify"``, ``"manage"`` or ``"unmanage"``,
            ``"delete"``, ``"renew"``, ``"convert"``, ``"extend"``.
        stopped_on: The day it was deleted or replaced, if it was.
        auto_renew: Whether the day's run renews it on its expiry.
        scheduled: The change its next renewal makes, or ``None``.
        returnable_seats: Seats that can be given back in full today (those in lots
            still inside the product's return window).
        returnable_until: The last day seats can be given back in full (the newest
            open lot's), or ``None`` when none can.
    """

    maintenance_id: str
    product: str
    product_name: str
    license_type: LicenseType
    quantity: int
    period: Period | None
    starts_on: dt.date
    expires_on: dt.date
    ended_on: dt.date
    status: Status
    management: ManagementMode
    duration: str
    modules: tuple[ModuleLine, ...]
    actions: frozenset[str]
    stopped_on: dt.date | None = None
    auto_renew: bool = False
    scheduled: ScheduledChange | None = None
    returnable_seats: int = 0
    returnable_until: dt.date | None = None


# The detail builds a line per maintenance on every view: its records (plain values
# the engine computed, no checks to skip) are filled through their slots, in field
# order (half the cost of keyword construction, measured).
_module_line = maker(ModuleLine, tuple(f.name for f in attrs.fields(ModuleLine)))
_detail_line = maker(DetailLine, tuple(f.name for f in attrs.fields(DetailLine)))


def _line(catalog: Catalog, m: Maintenance, today: dt.date, actions: frozenset[str]) -> DetailLine:
    product = catalog.products.get(m.product)
    trial = m.license_type is LicenseType.TRIAL
    modules = []
    for ml in m.modules:
        module = catalog.modules.get(ml.module)
        modules.append(
            _module_line(
                ml.module,
                module.name if module is not None else ml.module,
                ml.quantity,
                ml.starts_on,
                ml.expires_on,
                human_duration(ml.starts_on, ml.expires_on, in_days=trial),
            )
        )
    return _detail_line(
        m.id,
        m.product,
        product.name if product is not None else m.product,
        m.license_type,
        m.quantity,
        m.period,
        m.starts_on,
        m.expires_on,
        m.ended_on,
        status(m, today),
        m.management,
        human_duration(m.starts_on, m.expires_on, in_days=trial),
        tuple(modules),
        actions,
        m.stopped_on,
        m.auto_renew,
        m.scheduled,
        *_returnable(product, m, today),
    )


def _returnable(
    product: Product | None, m: Maintenance, today: dt.date
) -> tuple[int, dt.date | None]:
    """The seats that can be given back in full on *today*, and until when."""
    if not m.lots or product is None or product.return_window_days is None:
        return 0, None
    window = product.return_window_days
    return open_seats(m, today, window), returnable_until(m, today, window)


_COLORS = {
    Status.ACTIVE: "#2da44e",
    Status.GRACE: "#d4a72c",
    Status.EXPIRED: "#bf8700",
    Status.DELETED: "#cf222e",
    Status.REPLACED: "#8c959f",
}


def _plus(day: dt.date, days: int) -> dt.date:
    """*day* + *days*, the calendar's last day when that lies beyond it (a chart's
    window near 9999-12-31 is drawn to the edge)."""
    return day + dt.timedelta(days=min(days, (dt.date.max - day).days))


def timeline_svg(lines: Iterable[DetailLine], today: dt.date, width: int = 640) -> str:
    """An inline SVG: each line as a bar from start to end, today and the 90-day windows."""
    items = list(lines)
    if not items:
        return ""
    start = min(x.starts_on for x in items)
    window = RETENTION_DAYS
    end = max(max(_plus(x.ended_on, window) for x in items), _plus(today, 1))
    span = max((end - start).days, 1)
    left, right, row = 90, 10, 22

    def x(day: dt.date) -> float:
        return left + (day - start).days * (width - left - right) / span

    height = row * len(items) + 48
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="maintenance timeline" font-family="sans-serif" font-size="11">'
    ]
    for i, line in enumerate(items):
        y = 6 + i * row
        color = _COLORS[line.status]
        x0, x1 = x(line.starts_on), x(_plus(line.ended_on, 1))
        w0, w1 = x1, x(_plus(line.ended_on, window))
        parts.append(f'<text x="4" y="{y + 12}">{html.escape(line.maintenance_id)}</text>')
        parts.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="14" '
            f'fill="{color}"><title>{html.escape(line.product_name)}: {line.starts_on} to '
            f"{line.ended_on} ({line.status.value})</title></rect>"
        )
        parts.append(
            f'<rect x="{w0:.1f}" y="{y}" width="{max(w1 - w0, 1):.1f}" height="14" '
            f'fill="{color}" fill-opacity="0.18"><title>90-day window until '
            f"{_plus(line.ended_on, window - 1)}</title></rect>"
        )
    tx = x(today)
    parts.append(
        f'<line x1="{tx:.1f}" y1="0" x2="{tx:.1f}" y2="{height - 32}" stroke="#0969da" '
        f'stroke-width="2"/><text x="{tx + 3:.1f}" y="{height - 21}" fill="#0969da">'
        f"today {today}</text>"
    )
    parts.append(f'<text x="{left}" y="{height - 21}">{start}</text>')
    lx = float(left)
    for label, color, opacity in (
        ("active", _COLORS[Status.ACTIVE], 1.0),
        ("grace", _COLORS[Status.GRACE], 1.0),
        ("expired", _COLORS[Status.EXPIRED], 1.0),
        ("deleted", _COLORS[Status.DELETED], 1.0),
        ("replaced", _COLORS[Status.REPLACED], 1.0),
        ("90-day window", "#57606a", 0.25),
    ):
        parts.append(
            f'<rect x="{lx:.1f}" y="{height - 12}" width="10" height="10" fill="{color}" '
            f'fill-opacity="{opacity}"/><text x="{lx + 14:.1f}" y="{height - 3}">{label}</text>'
        )
        lx += 30 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)


@attrs.frozen(kw_only=True, slots=True)
class ClientDetail:
    """A client's detail on one day: the lines the console shows.

    ``str()`` gives a text table, ``_repr_html_`` a table and a timeline in notebooks.

    Attributes:
        client_id: The client.
        name: Its name.
        today: The day the detail is for.
        visible: Whether the monitoring list shows the client that day.
        deleted_on: The client's deletion date, if deleted.
        lines: The maintenances active or ended less than 90 days ago, oldest first.
        changed_on: The day of the client's last change: on an earlier *today* no
            action is possible (``date.before_history``), and the detail says so.
    """

    client_id: str
    name: str
    today: dt.date
    visible: bool
    deleted_on: dt.date | None
    lines: tuple[DetailLine, ...]
    changed_on: dt.date | None = None

    def line(self, maintenance_id: str) -> DetailLine:
        """The line of *maintenance_id*; :class:`KeyError` if the detail does not show it."""
        for line in self.lines:
            if line.maintenance_id == maintenance_id:
                return line
        raise KeyError(maintenance_id)

    def _state(self, language: str = "en") -> str:
        if self.deleted_on is not None:
            return tr("deleted on {day}", language, day=self.deleted_on)
        if self.visible:
            return tr("visible", language)
        return tr("no longer shown (90 days without service)", language)

    def __str__(self) -> str:
        return self.text("en")

    def _grid(self, language: str) -> tuple[list[str], list[list[str]]]:
        """The header and rows the text and HTML views both show (a module under its
        product, in *language*)."""
        t = language
        header = [
            tr(h, t)
            for h in (
                "id",
                "product",
                "type",
                "seats",
                "period",
                "start",
                "expiry",
                "status",
                "management",
                "actions",
            )
        ]
        rows: list[list[str]] = []
        for ln in self.lines:
            rows.append(
                [
                    ln.maintenance_id,
                    ln.product_name,
                    tr(ln.license_type.value, t),
                    str(ln.quantity),
                    # The days the line covers, as its modules' rows say them (after a
                    # renewal: the whole span, not the last term).
                    human_duration(
                        ln.starts_on, ln.expires_on, in_days=ln.period is None, language=t
                    ),
                    str(ln.starts_on),
                    str(ln.expires_on),
                    tr(ln.status.value, t)
                    + (
                        f" {ln.stopped_on}" if ln.stopped_on and ln.stopped_on <= self.today else ""
                    ),
                    tr(ln.management.value, t),
                    ", ".join(sorted(tr(a, t) for a in ln.actions)) or "-",
                ]
            )
            for mod in ln.modules:
                rows.append(
                    [
                        "",
                        f"+ {mod.name}",
                        "",
                        str(mod.quantity),
                        human_duration(
                            mod.starts_on,
                            mod.expires_on,
                            in_days=ln.license_type is LicenseType.TRIAL,
                            language=t,
                        ),
                        str(mod.starts_on),
                        str(mod.expires_on),
                        "",
                        "",
                        "",
                    ]
                )
        return header, rows

    def text(self, language: str = "en") -> str:
        """The detail as a text table, in *language* (``"en"`` or ``"es"``)."""
        t = language
        out = [
            tr(
                "{name} [{id}] on {day}: {state}",
                t,
                name=clean(self.name),
                id=clean(self.client_id),
                day=self.today,
                state=self._state(t),
            )
        ]
        if self.changed_on is not None and self.today < self.changed_on:
            out.append(
                "  "
                + tr(
                    "no action on this day: the client was last changed on {day}, and "
                    "changes dated before it are refused (date.before_history)",
                    t,
                    day=self.changed_on,
                )
            )
        if not self.lines:
            out.append("  " + tr("no maintenance to show", t))
            return "\n".join(out)
        header, rows = self._grid(t)
        out += ["  " + r for r in table(header, rows)]
        out += ["  " + note for ln in self.lines for note in _renewal_notes(ln, t)]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        e = html.escape
        table = html_table(*self._grid("en")) if self.lines else ""
        return styled(
            f"<div><strong>{e(self.name)}</strong> [{e(self.client_id)}] on {self.today}: "
            f"{e(self._state())}{table or '<p>no maintenance to show</p>'}"
            f"{timeline_svg(self.lines, self.today)}</div>"
        )


def _renewal_notes(line: DetailLine, t: str) -> list[str]:
    """What the renewal day says of a line: auto-renewal and its scheduled change, and
    until when seats can be given back in full (nothing for a line without them)."""
    notes = []
    mid = clean(line.maintenance_id)
    if line.auto_renew:
        s = line.scheduled
        terms = []
        if s is not None and s.quantity is not None:
            terms.append(tr("{n} seats", t, n=s.quantity))
        if s is not None and s.period is not None:
            terms.append(str(s.period))
        notes.append(
            tr("{id}: renews by itself on {day}", t, id=mid, day=line.expires_on)
            + ("; " + tr("scheduled: {terms}", t, terms=", ".join(terms)) if terms else "")
        )
    if line.returnable_until is not None:
        notes.append(
            tr(
                "{id}: {n} seats can be given back in full until {day}",
                t,
                id=mid,
                n=line.returnable_seats,
                day=line.returnable_until,
            )
        )
    return notes


def build_detail(
    catalog: Catalog,
    client: Client,
    today: dt.date,
    actions: Callable[[Maintenance], frozenset[str]],
) -> ClientDetail:
    """The :class:`ClientDetail` of *client* on *today*; *actions* says which console
    actions each line allows (the engine answers it with its own checks, so the view
    never offers what the engine would refuse)."""
    return ClientDetail(
        client_id=client.id,
        name=client.name,
        today=today,
        visible=visible(client, today),
        deleted_on=client.deleted_on,
        changed_on=client.last_change,
        lines=tuple(
            _line(catalog, m, today, actions(m))
            for m in client.maintenances
            if line_shown(m, today)
        ),
    )


class MonitoringList(list[Client]):
    """The monitoring list: a plain ``list`` of clients that also renders as a table.

    Attributes:
        today: The day the list is for.
    """

    __slots__ = ("today",)

    def __init__(self, clients: Iterable[Client] = (), *, today: dt.date) -> None:
        super().__init__(clients)
        self.today = today

    def _grid(self, language: str, *, every: bool = False) -> tuple[list[str], list[list[str]]]:
        t = language
        header = [tr(h, t) for h in ("id", "name", "state", "last day of service")]
        rows = [[c.id, c.name, _client_state(c, self.today, t), str(c.ended_on)] for c in self]
        if every:
            header.append(tr("console", t))
            for c, row in zip(self, rows, strict=True):
                row.append(_shown(c, self.today, t))
        return header, rows

    def table(self, *, every: bool = False, language: str = "en") -> str:
        """A text table: id, name, state, and the day the 90-day rule counts from; with
        *every*, also whether the console shows the client and why not."""
        if not self:
            return tr("no client to show on {day}", language, day=self.today)
        header, rows = self._grid(language, every=every)
        return "\n".join(table(header, rows))

    def _repr_html_(self) -> str:
        return styled(
            f"<div><strong>Monitoring on {self.today}</strong>: {len(self)} client(s)"
            f"{html_table(*self._grid('en'))}</div>"
        )


def _shown(client: Client, today: dt.date, language: str = "en") -> str:
    t = language
    if visible(client, today):
        return tr("shown", t)
    if client.deleted_on is not None:
        why = tr("deleted on {day}", t, day=client.deleted_on)
    elif not client.maintenances:
        why = tr("never had a service since {day}", t, day=client.created_on)
    else:
        why = tr("no service since {day}", t, day=client.ended_on)
    return tr("hidden: {why}, 90+ days ago", t, why=why)


def _client_state(client: Client, today: dt.date, language: str = "en") -> str:
    t = language
    if client.deleted_on is not None and today >= client.deleted_on:
        return tr("deleted {day}", t, day=client.deleted_on)
    if any(m.in_force(today) for m in client.maintenances):
        return tr("active", t)
    if client.maintenances:
        return tr("no active service", t)
    return tr("no product yet", t)
