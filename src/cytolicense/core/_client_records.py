"""A partner's client and every maintenance it ever had (a maintenance: core/_maintenance.py)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import Any

import attrs

from ._enums import LicenseType
from ._exceptions import UnknownIdError
from ._html import html_table, styled
from ._line_records import (
    _tuple_of,
)
from ._maintenance import Maintenance, live_end
from ._schema import OMIT, keeps
from ._trusted import slot_setter
from ._validation import (
    is_date,
    non_empty_str,
    optional_date,
)

__all__ = ["Client"]


def _maintenances(values: Iterable[Maintenance]) -> tuple[Maintenance, ...]:
    return _tuple_of(Maintenance, values)


keeps(_maintenances, "{v} == ()")


def _after(day: dt.date, client: Client) -> bool:
    """``client.last_event_day() > day``, without building the lists (every document
    read runs it: 0.4 us against 2.0 us on the benchmark's typical client, a read
    being 10.6 us). tests/test_redteam_r3.py holds the two to the same answer."""
    if client.created_on > day or (client.deleted_on is not None and client.deleted_on > day):
        return True
    for m in client.maintenances:
        if m.starts_on > day:
            return True
        for d in (m.deleted_on, m.replaced_on, m.extended_on):
            if d is not None and d > day:
                return True
        for ml in m.modules:
            if ml.starts_on > day:
                return True
    return False


def _group(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value != "":  # the usual client: no check
        from ._access import check_group

        check_group(value, "Client.group")


# No weak-reference slot: 80 bytes a client instead of 88 (a smaller allocation class),
# which took the monitoring list of a million clients from 47-52 ms to 30-31 ms.
@attrs.frozen(slots=True, weakref_slot=False)
class Client:
    """A partner's client and every maintenance it ever had.

    Attributes:
        id: The partner's identifier for the client.
        name: Name shown in the console.
        created_on: Day the client was added.
        deleted_on: Day the client was deleted, if it is deleted.
        maintenances: Every maintenance, oldest first (deleted ones included,
            they are history: trial cool-downs and the 90-day rules read them).
        changed_on: The day of the last operation applied to the client; no operation
            may be dated before it. ``None`` in documents of version 1, where it is
            worked out from the dates the records hold (:attr:`last_change`). Not part
            of equality: two clients holding the same things are equal.
        group: The client's group, a path of names joined by ``/`` (``"north"``,
            ``"north/retail"``); ``""`` is the default group. Operators are granted
            groups (:class:`~cytolicense.Grant`).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(validator=non_empty_str)
    created_on: dt.date = attrs.field(validator=is_date)
    deleted_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    maintenances: tuple[Maintenance, ...] = attrs.field(
        default=(),
        converter=_maintenances,
    )

    changed_on: dt.date | None = attrs.field(
        default=None, validator=optional_date, eq=False, repr=False
    )
    group: str = attrs.field(default="", validator=_group, metadata=OMIT)

    _end: dt.date = attrs.field(init=False, eq=False, repr=False)
    # Per product, its commercial line in force the longest: no allocation for the
    # usual client (None, or the one line itself); a tuple only for several products
    # (pairs of product and day took 104 bytes a client).
    _commercial_ends: Maintenance | tuple[Maintenance, ...] | None = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        # A live client whose lines start after its creation, with distinct ids and no
        # replacement passes one cheap test; anything else runs every check in order.
        if not (self.deleted_on is None and _plain_lines(self.created_on, self.maintenances)):
            self._check()
        changed = self.changed_on
        if changed is not None and _after(changed, self):
            raise ValueError(
                f"Client {self.id!r}: changed_on {changed} is before {self.last_event_day()}, "
                "the last day its records carry (a document moved back would allow "
                "back-dated operations)"
            )
        self._derive()

    def last_event_day(self) -> dt.date:
        """The latest day the records carry (creation, deletion, every line's dates)."""
        days = [self.created_on, *(m.last_change() for m in self.maintenances)]
        if self.deleted_on is not None:
            days.append(self.deleted_on)
        return max(days)

    def _check(self) -> None:
        """Every check of the client, in order (the first failing one raises)."""
        seen: set[str] = set()
        deleted = self.deleted_on
        if deleted is not None and deleted < self.created_on:
            raise ValueError(
                f"Client {self.id!r}: deleted_on {deleted} is before created_on {self.created_on}"
            )
        for m in self.maintenances:
            if m.id in seen:
                raise ValueError(f"Client {self.id!r}: maintenance id {m.id!r} used twice")
            seen.add(m.id)
            if m.starts_on < self.created_on:
                raise ValueError(
                    f"Client {self.id!r}: maintenance {m.id!r} starts on {m.starts_on}, "
                    f"before the client was created on {self.created_on}"
                )
            if deleted is not None and m.in_force(deleted):
                raise ValueError(
                    f"Client {self.id!r}: deleted on {deleted} while maintenance {m.id!r} "
                    "is still in force that day"
                )
        for m in self.maintenances:
            if m.replaced_by is not None and m.replaced_by not in seen:
                raise ValueError(
                    f"Client {self.id!r}: maintenance {m.id!r} is replaced by unknown "
                    f"maintenance {m.replaced_by!r}"
                )

    def _derive(self) -> None:
        """Compute the kept days (see :meth:`Maintenance._derive`): the day the 90-day
        rules count from, and per product its commercial line in force the longest
        (the family rule reads these, not every line)."""
        end = self.created_on
        ends: Maintenance | tuple[Maintenance, ...] | None = None
        for m in self.maintenances:  # one pass over the kept days of each line
            if m._ended > end:
                end = m._ended
            ends = _later_in_force(ends, m)
        self._keep(end, ends)

    def _appended(self, before: Client, m: Maintenance) -> None:
        """The kept days when *self* is *before* with *m* appended (an assignment): from
        *before*'s, in constant time instead of a pass over every line."""
        end = (
            before._end
            if before.deleted_on is None
            else live_end(before.created_on, before.maintenances)
        )
        self._keep(max(end, m._ended), _later_in_force(before._commercial_ends, m))

    def _keep(
        self, end: dt.date, commercial_ends: Maintenance | tuple[Maintenance, ...] | None
    ) -> None:
        """Set the kept days: the end (the deletion day for a deleted client, else
        *end*) and, per product, its commercial line in force the longest."""
        _set_end(self, end if self.deleted_on is None else self.deleted_on)
        _set_commercial_ends(self, commercial_ends)

    @property
    def ended_on(self) -> dt.date:
        """The day the 90-day rules count from.

        The deletion date when the client is deleted; otherwise the latest end of
        its maintenances, or its creation date when that is later.
        """
        return self._end

    @property
    def last_change(self) -> dt.date:
        """The day of the last operation applied: :attr:`changed_on`, or for a version 1
        document the latest date its records hold."""
        if self.changed_on is not None:
            return self.changed_on
        return self.last_event_day()

    def _repr_html_(self) -> str:
        """The client and its maintenances as an HTML table (Jupyter). The console's view
        on a day is :meth:`Engine.detail`."""
        e = html.escape
        state = f"deleted on {self.deleted_on}" if self.deleted_on else "live"
        head = ("id", "product", "type", "seats", "period", "start", "expiry", "stopped", "modules")
        rows = [
            (
                m.id,
                m.product,
                m.license_type.value,
                m.quantity,
                m.period or "-",
                m.starts_on,
                m.expires_on,
                m.stopped_on or "-",
                ", ".join(f"{x.module} ({x.quantity})" for x in m.modules) or "-",
            )
            for m in self.maintenances
        ]
        return styled(
            f"<div><strong>{e(self.name)}</strong> [{e(self.id)}], created {self.created_on}, "
            f"{e(state)}{html_table(head, rows)}</div>"
        )

    def maintenance(self, maintenance_id: str) -> Maintenance:
        """The maintenance with *maintenance_id*; :class:`UnknownIdError` if none."""
        for m in self.maintenances:
            if m.id == maintenance_id:
                return m
        raise UnknownIdError("maintenance", maintenance_id)


def _plain_lines(created: dt.date, maintenances: tuple[Maintenance, ...]) -> bool:
    """Whether every line starts on or after *created*, none is replaced and ids are
    distinct: the usual case of :meth:`Client._check` for a live client."""
    for m in maintenances:
        if m.starts_on < created or m.replaced_by is not None:
            return False
    return len({m.id for m in maintenances}) == len(maintenances)


CommercialEnds = Maintenance | tuple[Maintenance, ...] | None
"""Per product, the commercial maintenance in force the longest (its ``_until`` the
latest): ``None`` for none, the line itself for one product, a tuple (in the order
products first appear) for several."""


def commercial_ends(ends: CommercialEnds) -> tuple[Maintenance, ...]:
    """*ends* as a tuple, whatever its form."""
    if ends is None:
        return ()
    return ends if type(ends) is tuple else (ends,)  # type: ignore[return-value]


def _later_in_force(ends: CommercialEnds, m: Maintenance) -> CommercialEnds:
    """*ends* with *m* counted: unchanged unless *m* is commercial and in force later
    than its product's line so far."""
    until = m._until
    if until is None or m.license_type is not LicenseType.COMMERCIAL:
        return ends
    if ends is None:
        return m
    lines = commercial_ends(ends)
    for i, line in enumerate(lines):
        if line.product == m.product:
            if line._until is not None and line._until >= until:
                return ends
            lines = (*lines[:i], m, *lines[i + 1 :])
            return lines[0] if len(lines) == 1 else lines
    return (*lines, m)


_set_end = slot_setter(Client, "_end")
_set_commercial_ends = slot_setter(Client, "_commercial_ends")
