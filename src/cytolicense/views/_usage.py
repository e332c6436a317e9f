"""The monthly usage report an MSP bills from, rebuilt from events alone.

For each client and item (product or module): ``seat_days``, the sum over the month's
days of the seats in force that day (grace included: what :meth:`Engine.entitlements`
gives on each day); ``peak``, the month's highest day; ``end_of_month``, the seats in
force on its last day. The state a day is judged by is the client after every event
dated on or before it (a deletion on a day ends service that day, as everywhere else).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs

from ..core._client_records import Client
from ..core._events import Event, replay_trusted
from ..core._maintenance import Maintenance

__all__ = ["UsageBasis", "UsageReport", "UsageRow", "month_of", "usage_report"]


class UsageBasis(enum.Enum):
    """Which figure of a row is billed."""

    SEAT_DAYS = "seat-days"
    """The sum over the month's days of the seats in force (pro rata to the day)."""
    PEAK = "peak"
    """The highest number of seats in force on any day of the month."""
    END_OF_MONTH = "end-of-month"
    """The seats in force on the month's last day."""


@attrs.frozen(kw_only=True)
class UsageRow:
    """One (client, item) of the month.

    Attributes:
        client_id: The client.
        item: A product or module id.
        seat_days: Seats in force summed over the month's days.
        peak: The month's highest day.
        end_of_month: Seats in force on the month's last day.
        billed: The figure the report's basis picks.
        devices: Devices in use the host reported for it (``None``: not reported).
        billable: With devices: the excess of devices over ``end_of_month`` term
            seats (never below 0), the usage billed beyond the term; else ``None``.
    """

    client_id: str
    item: str
    seat_days: int
    peak: int
    end_of_month: int
    billed: int
    devices: int | None = None
    billable: int | None = None


@attrs.frozen(kw_only=True)
class UsageReport:
    """The month's usage, one :class:`UsageRow` per (client, item) with seats in force
    on some day of the month (sorted by client, then item).

    Attributes:
        month: ``"YYYY-MM"``.
        basis: The billed figure.
        rows: The rows.
        daily: Item -> seats in force on each day of the month, all clients summed
            (the rows' ``seat_days`` add up to these sums).
    """

    month: str
    basis: UsageBasis
    rows: tuple[UsageRow, ...]
    daily: Mapping[str, tuple[int, ...]]

    def totals(self) -> dict[str, int]:
        """Item -> the billed figure summed over the clients."""
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.item] = out.get(row.item, 0) + row.billed
        return out


def month_of(value: str | dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a month given as ``"YYYY-MM"`` (or any day in it);
    :class:`ValueError` for anything else."""
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        parts = value.split("-") if isinstance(value, str) else []
        if (
            len(parts) != 2
            or [len(p) for p in parts] != [4, 2]
            or not all(p.isascii() and p.isdigit() for p in parts)
        ):
            raise ValueError(f"not a month (YYYY-MM): {value!r}")
        year, month = int(parts[0]), int(parts[1])
        if not (1 <= month <= 12 and 1 <= year <= 9999):
            raise ValueError(f"not a month (YYYY-MM): {value!r}")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _segments(events: Sequence[Event], last: dt.date) -> list[tuple[dt.date, Client]]:
    """``(from_day, state)``: the client after every event dated on or before each event
    day (up to *last*), in day order. The events are records (checked when built or
    read), so they are replayed without the client's validators."""
    out: list[tuple[dt.date, Client]] = []
    client: Client | None = None
    for i, event in enumerate(events):
        if event.on > last:
            break
        client = replay_trusted((event,), client)
        if i + 1 == len(events) or events[i + 1].on != event.on:
            if out and out[-1][0] == event.on:
                out[-1] = (event.on, client)
            else:
                out.append((event.on, client))
    return out


_Span = tuple[int, int, int]  # first day, last day (0-based in the month), seats


def _client_spans(events: Sequence[Event], first: dt.date, last: dt.date) -> dict[str, list[_Span]]:
    """Item -> the spans of days ``first..last`` it has seats in force on: for each
    state segment, each maintenance in force on some of its days adds its seats (and
    its modules theirs) over those days."""
    spans: dict[str, list[_Span]] = {}
    segments = _segments(events, last)
    one = dt.timedelta(days=1)
    for k, (start, client) in enumerate(segments):
        seg_a = max(start, first)
        seg_b = last if k + 1 == len(segments) else min(last, segments[k + 1][0] - one)
        if seg_b < seg_a:
            continue
        for m in client.maintenances:
            until = m._until
            if until is None:
                continue
            a, b = max(m.starts_on, seg_a), min(until, seg_b)
            if b < a:
                continue
            for sa, sb in _served(m, a, b) if m.suspensions else ((a, b),):
                ib = (sb - first).days
                spans.setdefault(m.product, []).append(((sa - first).days, ib, m.quantity))
                for ml in m.modules:
                    ma = max(sa, ml.starts_on)
                    if ma <= sb:
                        spans.setdefault(ml.module, []).append(((ma - first).days, ib, ml.quantity))
    return spans


def _served(m: Maintenance, a: dt.date, b: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The stretches of ``a..b`` *m* is not suspended on (a suspension's own day and
    its resumption day are served)."""
    out: list[tuple[dt.date, dt.date]] = []
    one = dt.timedelta(days=1)
    start = a
    for susp in m.suspensions:
        held_from = susp.on + one
        held_to = b if susp.resumed_on is None else min(b, susp.resumed_on - one)
        if held_to < start or held_from > b or held_to < held_from:
            continue
        if held_from > start:
            out.append((start, held_from - one))
        start = held_to + one
    if start <= b:
        out.append((start, b))
    return out


def _figures(items: list[_Span], n: int) -> tuple[int, int, int]:
    """Seat-days, peak and end of month of an item's spans over an *n*-day month."""
    if len(items) == 1:  # the usual item: one span, one seat count
        a, b, q = items[0]
        return q * (b - a + 1), q, q if b == n - 1 else 0
    diff = [0] * (n + 1)
    for a, b, q in items:
        diff[a] += q
        diff[b + 1] -= q
    days = _running(diff, n)
    return sum(days), max(days), days[-1]


def usage_report(
    histories: Iterable[Sequence[Event]],
    month: str | dt.date,
    *,
    basis: UsageBasis | str = UsageBasis.SEAT_DAYS,
    devices: Mapping[str, Mapping[str, int]] | None = None,
) -> UsageReport:
    """The usage report of *month* from each client's events (oldest first, as
    :meth:`ClientStore.history` gives them). *devices*: client id -> item -> devices in
    use (the host's counts); a row then carries the excess over its term seats."""
    first, last = month_of(month)
    basis = UsageBasis(basis)
    n = (last - first).days + 1
    rows: list[UsageRow] = []
    daily: dict[str, list[int]] = {}  # item -> a difference array over the month
    seat_days_basis, peak_basis = basis is UsageBasis.SEAT_DAYS, basis is UsageBasis.PEAK
    no_devices: Mapping[str, int] = {}
    for events in histories:
        events = list(events)
        if not events:
            continue
        client_id = events[0].client_id
        counts = devices.get(client_id, no_devices) if devices else no_devices
        for item, items in sorted(_client_spans(events, first, last).items()):
            seat_days, peak, end = _figures(items, n)
            if not seat_days:
                continue
            total = daily.get(item)
            if total is None:
                total = daily[item] = [0] * (n + 1)
            for a, b, q in items:
                total[a] += q
                total[b + 1] -= q
            in_use = counts.get(item)
            rows.append(
                UsageRow(
                    client_id=client_id,
                    item=item,
                    seat_days=seat_days,
                    peak=peak,
                    end_of_month=end,
                    billed=seat_days if seat_days_basis else peak if peak_basis else end,
                    devices=in_use,
                    billable=None if in_use is None else max(0, in_use - end),
                )
            )
    rows.sort(key=lambda r: (r.client_id, r.item))
    return UsageReport(
        month=f"{first.year:04d}-{first.month:02d}",
        basis=basis,
        rows=tuple(rows),
        daily=MappingProxyType({k: _running(v, n) for k, v in sorted(daily.items())}),
    )


def _running(diff: list[int], n: int) -> tuple[int, ...]:
    out, running = [], 0
    for i in range(n):
        running += diff[i]
        out.append(running)
    return tuple(out)
