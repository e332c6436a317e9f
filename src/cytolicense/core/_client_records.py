"""What a partner holds per client: maintenances (licence contracts) and their modules."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import Any, TypeVar

import attrs

from ._enums import LicenseType, ManagementMode, Status
from ._exceptions import UnknownIdError
from ._html import html_table, styled
from ._period import Period
from ._pool import PoolLine, pool_lines
from ._schema import OMIT, keeps
from ._trusted import slot_setter
from ._validation import (
    is_date,
    non_empty_str,
    non_negative_int,
    optional_date,
    optional_period,
    optional_positive_int,
    optional_str,
    positive_int,
    to_license_type,
    to_management,
    to_period,
)

__all__ = [
    "Client",
    "Maintenance",
    "ModuleLicense",
    "NoticeState",
    "ScheduledChange",
    "SeatLot",
    "Suspension",
]


T = TypeVar("T")


def _tuple_of(cls: type[T], values: Iterable[T]) -> tuple[T, ...]:
    if isinstance(values, str | cls):
        raise TypeError(f"expected a collection of {cls.__name__}, got {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, cls):
            raise TypeError(f"expected {cls.__name__} records, got {item!r}")
    return items


def plus_days(day: dt.date, days: int) -> dt.date:
    """*day* + *days*, or ``date.max`` when that lies beyond the calendar."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


@attrs.frozen(kw_only=True, slots=True)
class Suspension:
    """A stretch a maintenance was (or is) suspended.

    The day of suspension is still served (and billed, as ESET MSP Administrator bills
    it); from the next day the line grants nothing until the day it is resumed, which
    is served again.

    Attributes:
        on: The day it was suspended.
        resumed_on: The day it was resumed; ``None`` while it is still suspended.
        by_client: Whether a client-wide suspension suspended it (then resuming the
            client resumes it; a line suspended on its own stays suspended).
    """

    on: dt.date = attrs.field(validator=is_date)
    resumed_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    by_client: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if self.resumed_on is not None and self.resumed_on < self.on:
            raise ValueError(
                f"Suspension: resumed on {self.resumed_on}, before it began on {self.on}"
            )

    def holds(self, today: dt.date) -> bool:
        """Whether the line grants nothing on *today* because of it (the days after
        ``on`` and before ``resumed_on``)."""
        return self.on < today and (self.resumed_on is None or today < self.resumed_on)


def _suspensions(values: Iterable[Suspension]) -> tuple[Suspension, ...]:
    return _tuple_of(Suspension, values)


keeps(_suspensions, "{v} == ()")


@attrs.frozen(kw_only=True, slots=True)
class SeatLot:
    """Seats added to a maintenance on one day (an assignment, a conversion, a renewal,
    added seats, a raise by :class:`Modify`), for a product with a return window: they
    can be given back in full on the days ``0 <= (today - added_on).days <
    return_window_days``.

    Attributes:
        added_on: The day the seats were added.
        seats: The seats of the lot still held (a return takes them off, newest lot
            first).
        period: The term they were bought for (what the pool gets back).
    """

    added_on: dt.date = attrs.field(validator=is_date)
    seats: int = attrs.field(validator=positive_int)
    period: Period = attrs.field(converter=to_period)

    def open_on(self, today: dt.date, window_days: int | None) -> bool:
        """Whether the lot can still be returned in full on *today*."""
        return window_days is not None and 0 <= (today - self.added_on).days < window_days


def _lots(values: Iterable[SeatLot]) -> tuple[SeatLot, ...]:
    return _tuple_of(SeatLot, values)


keeps(_lots, "{v} == ()")


@attrs.frozen(kw_only=True, slots=True)
class ScheduledChange:
    """The change the next (automatic) renewal of a maintenance makes
    (:class:`ScheduleChange`).

    Attributes:
        on: The day it was scheduled.
        quantity: The seats the renewal renews (``None``: as they are then).
        period: The renewal's term (``None``: the maintenance's period).
    """

    on: dt.date = attrs.field(validator=is_date)
    quantity: int | None = attrs.field(default=None, validator=optional_positive_int)
    period: Period | None = attrs.field(default=None, converter=optional_period)


@attrs.frozen(kw_only=True, slots=True)
class NoticeState:
    """Where a maintenance's expiry notices (:class:`ExpiryNotice`) stand for one end.

    Attributes:
        expires_on: The end they are for (a line whose end moved has none for its new
            end yet).
        armed_on: The day they were armed: the renewal's (a threshold due before it
            is skipped), else the first notice's.
        sent: The most urgent threshold written for that end (days before it), or
            ``None``.
    """

    expires_on: dt.date = attrs.field(validator=is_date)
    armed_on: dt.date = attrs.field(validator=is_date)
    sent: int | None = attrs.field(default=None, validator=optional_positive_int)


def _notices(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, NoticeState):
        raise TypeError(f"{attribute.name} must be a NoticeState or None, got {value!r}")


def _scheduled(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, ScheduledChange):
        raise TypeError(f"{attribute.name} must be a ScheduledChange or None, got {value!r}")


def _maintenances(values: Iterable[Maintenance]) -> tuple[Maintenance, ...]:
    return _tuple_of(Maintenance, values)


keeps(_maintenances, "{v} == ()")


def _ordered_dates(inst: ModuleLicense | Maintenance) -> None:
    if inst.expires_on < inst.starts_on:
        raise ValueError(
            f"{type(inst).__name__}: expires_on {inst.expires_on} is before starts_on "
            f"{inst.starts_on}"
        )


@attrs.frozen(slots=True)
class ModuleLicense:
    """Seats of one module within a maintenance.

    Attributes:
        module: The module's catalog id.
        quantity: Seats (the product's seats for a linked module).
        starts_on: First day of service (the product's start, or the day it was added).
        expires_on: Last day of service; always the product's expiry (C2).
    """

    module: str = attrs.field(validator=non_empty_str)
    quantity: int = attrs.field(validator=positive_int)
    starts_on: dt.date = attrs.field(validator=is_date)
    expires_on: dt.date = attrs.field(validator=is_date)

    def __attrs_post_init__(self) -> None:
        _ordered_dates(self)


def _sorted_modules(values: Iterable[ModuleLicense]) -> tuple[ModuleLicense, ...]:
    return tuple(sorted(_tuple_of(ModuleLicense, values), key=lambda m: m.module))


keeps(
    _sorted_modules,
    "{v} == () or type({v}) is tuple and len({v}) == 1 and type({v}[0]) is ModuleLicense",
    ModuleLicense=ModuleLicense,
)


@attrs.frozen(slots=True)
class Maintenance:
    """One licence contract: seats of one product, one licence type, one period, its modules.

    Attributes:
        id: Unique within the client.
        product: The product's catalog id.
        license_type: Trial or commercial.
        quantity: Seats.
        period: Subscription period; ``None`` for a trial.
        starts_on: First day of service.
        expires_on: Last day of service (C6: valid through this date).
        management: Centralized or not (D6).
        modules: The attached modules, sorted by module id; each expires with the
            product, starts on or after it and has at most its seats.
        deleted_on: Day the service was deleted, if it was (not before ``starts_on``).
        replaced_on: Day another maintenance replaced this one (a product change, a
            trial conversion, a grouping); not a day of service of this one.
        replaced_by: The id of the maintenance that replaced it.
        grace_days: Days after ``expires_on`` this commercial maintenance stays in
            force (the product's grace when it was assigned).
        extended_on: Day the trial was extended (a trial is extended at most once).
        pooled: The seats it took from the partner's pool, per item and period (what a
            deletion or a change can give back at most).
        release: The catalog release it was sold (or last renewed) under; ``None``
            for the catalog's first release (see :class:`CatalogRelease`).
        suspensions: Its suspensions, oldest first; the last may still be open
            (``resumed_on`` ``None``): then it grants nothing after its day and gets
            no grace (see :class:`Suspension`).
        auto_renew: Whether the day's run renews it on its expiry (commercial only;
            :class:`SetAutoRenew`).
        scheduled: The change its next renewal makes (:class:`ScheduleChange`), or
            ``None``; only with ``auto_renew``.
        lots: For a product with a return window, the seats added by each operation
            that added seats, oldest first (see :class:`SeatLot`); their seats add up
            to at most :attr:`quantity`.
        notices: Where its expiry notices stand (:class:`NoticeState`: set by the
            day's run and by a renewal), or ``None``.
    """

    id: str = attrs.field(validator=non_empty_str)
    product: str = attrs.field(validator=non_empty_str)
    license_type: LicenseType = attrs.field(converter=to_license_type)
    quantity: int = attrs.field(validator=positive_int)
    period: Period | None = attrs.field(converter=optional_period)
    starts_on: dt.date = attrs.field(validator=is_date)
    expires_on: dt.date = attrs.field(validator=is_date)
    management: ManagementMode = attrs.field(converter=to_management)
    modules: tuple[ModuleLicense, ...] = attrs.field(default=(), converter=_sorted_modules)
    deleted_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    replaced_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    replaced_by: str | None = attrs.field(default=None, validator=optional_str)
    grace_days: int = attrs.field(default=0, validator=non_negative_int)
    extended_on: dt.date | None = attrs.field(default=None, validator=optional_date)
    pooled: tuple[PoolLine, ...] = attrs.field(default=(), converter=pool_lines)
    release: str | None = attrs.field(default=None, validator=optional_str, metadata=OMIT)
    suspensions: tuple[Suspension, ...] = attrs.field(
        default=(), converter=_suspensions, metadata=OMIT
    )
    auto_renew: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool), metadata=OMIT
    )
    scheduled: ScheduledChange | None = attrs.field(
        default=None, validator=_scheduled, metadata=OMIT
    )
    lots: tuple[SeatLot, ...] = attrs.field(default=(), converter=_lots, metadata=OMIT)
    notices: NoticeState | None = attrs.field(default=None, validator=_notices, metadata=OMIT)

    _until: dt.date | None = attrs.field(init=False, eq=False, repr=False)
    _ended: dt.date = attrs.field(init=False, eq=False, repr=False)

    def _derive(self) -> None:
        """Compute the kept derived value (also for records built by the store's trusted
        read path, which skips the checks): the last day in force (grace included, a
        deletion or replacement day not), so that the family rule and the views test
        one comparison per line."""
        grace, stopped = self.grace_until, self.stopped_on
        if self.suspensions and self.suspensions[-1].resumed_on is None:
            grace = self.expires_on  # a line suspended at its expiry gets no grace
        until: dt.date | None = grace
        ended = grace
        if stopped is not None and stopped <= grace:
            ended = stopped
            # Stopped on its first day: never in force (None; date.min has no day before).
            until = None if stopped <= self.starts_on else stopped - dt.timedelta(days=1)
        object.__setattr__(self, "_until", until)
        object.__setattr__(self, "_ended", ended)

    def __attrs_post_init__(self) -> None:
        # The usual line (never stopped, modules inside it) passes one cheap test and
        # keeps its expiry (plus grace) as its last day; anything else runs every check
        # in order (building and reading records spent half their time here, measured).
        starts, expires, grace = self.starts_on, self.expires_on, self.grace_days
        if (
            self.deleted_on is None
            and self.replaced_on is None
            and self.replaced_by is None
            and self.extended_on is None
            and not self.suspensions
            and not self.auto_renew
            and not self.lots
            and self.scheduled is None
            and starts <= expires
            and (
                self.period is not None
                if self.license_type is LicenseType.COMMERCIAL
                else self.period is None and not grace
            )
            and _modules_fit(self.modules, starts, expires, self.quantity)
        ):
            end = self.grace_until
            _set_until(self, end)
            _set_ended(self, end)
            return
        self._check()

    def _check(self) -> None:
        """Every check of the record, in order (the first failing one raises)."""
        _ordered_dates(self)
        self._derive()
        if (self.replaced_on is None) != (self.replaced_by is None):
            raise ValueError(
                f"Maintenance {self.id!r}: replaced_on and replaced_by go together "
                f"(got {self.replaced_on}, {self.replaced_by!r})"
            )
        if self.replaced_by == self.id:
            raise ValueError(f"Maintenance {self.id!r}: cannot be replaced by itself")
        for name in ("replaced_on", "extended_on"):
            day = getattr(self, name)
            if day is not None and day < self.starts_on:
                raise ValueError(
                    f"Maintenance {self.id!r}: {name} {day} is before starts_on {self.starts_on}"
                )
        if self.license_type is LicenseType.TRIAL and self.grace_days:
            raise ValueError(f"Maintenance {self.id!r}: a trial has no grace days")
        if self.extended_on is not None and self.license_type is not LicenseType.TRIAL:
            raise ValueError(f"Maintenance {self.id!r}: only a trial is extended")
        seen: set[str] = set()
        for m in self.modules:
            if m.module in seen:
                raise ValueError(f"Maintenance {self.id!r}: module {m.module!r} listed twice")
            seen.add(m.module)
            if m.expires_on != self.expires_on:  # C2: modules expire with their product
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} expires on {m.expires_on}, "
                    f"not with its product on {self.expires_on}"
                )
            if m.starts_on < self.starts_on:
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} starts on {m.starts_on}, "
                    f"before its product on {self.starts_on}"
                )
            if m.quantity > self.quantity:  # C1, and linked modules equal the product
                raise ValueError(
                    f"Maintenance {self.id!r}: module {m.module!r} has {m.quantity} seats, "
                    f"more than the product's {self.quantity}"
                )
        if self.deleted_on is not None and self.deleted_on < self.starts_on:
            raise ValueError(
                f"Maintenance {self.id!r}: deleted_on {self.deleted_on} is before starts_on "
                f"{self.starts_on}"
            )
        if self.license_type is LicenseType.COMMERCIAL and self.period is None:
            raise ValueError(f"Maintenance {self.id!r}: a commercial maintenance needs a period")
        previous: dt.date | None = None
        for i, susp in enumerate(self.suspensions):
            if susp.on < self.starts_on or (previous is not None and susp.on < previous):
                raise ValueError(
                    f"Maintenance {self.id!r}: a suspension on {susp.on} is before "
                    f"{previous or self.starts_on}"
                )
            if susp.resumed_on is None and i + 1 < len(self.suspensions):
                raise ValueError(f"Maintenance {self.id!r}: only its last suspension may be open")
            previous = susp.resumed_on
        if self.license_type is LicenseType.TRIAL and self.period is not None:
            raise ValueError(
                f"Maintenance {self.id!r}: a trial has a fixed length and no period "
                f"(got {self.period})"
            )
        self._check_renewal_day()

    def _check_renewal_day(self) -> None:
        """Auto-renewal, its scheduled change and the lots of seats (version 4)."""
        if self.auto_renew and self.license_type is not LicenseType.COMMERCIAL:
            raise ValueError(f"Maintenance {self.id!r}: only a commercial maintenance auto-renews")
        if self.scheduled is not None and not self.auto_renew:
            raise ValueError(
                f"Maintenance {self.id!r}: a change is scheduled for a renewal without auto-renewal"
            )
        if self.lots:
            if sum(lot.seats for lot in self.lots) > self.quantity:
                raise ValueError(
                    f"Maintenance {self.id!r}: its lots hold more seats than its {self.quantity}"
                )
            if any(lot.added_on < self.starts_on for lot in self.lots):
                raise ValueError(
                    f"Maintenance {self.id!r}: a lot of seats is dated before starts_on "
                    f"{self.starts_on}"
                )

    @property
    def grace_until(self) -> dt.date:
        """The last day in force: ``expires_on`` plus the grace days."""
        return plus_days(self.expires_on, self.grace_days) if self.grace_days else self.expires_on

    @property
    def stopped_on(self) -> dt.date | None:
        """The day it was deleted or replaced (the earlier), or ``None``."""
        deleted, replaced = self.deleted_on, self.replaced_on
        if deleted is None:
            return replaced
        if replaced is None or deleted <= replaced:
            return deleted
        return replaced

    @property
    def ended_on(self) -> dt.date:
        """The day service ended or ends: the last day of grace (the expiry when there is
        none), or the deletion or replacement day if that came first."""
        return self._ended

    def is_active(self, today: dt.date) -> bool:
        """Whether the maintenance gives service on *today* (grace not included)."""
        stopped = self.stopped_on
        return self.starts_on <= today <= self.expires_on and (stopped is None or today < stopped)

    def in_force(self, today: dt.date) -> bool:
        """Whether it counts on *today*: active, or in its grace, and not suspended."""
        until = self._until
        if until is None or not self.starts_on <= today <= until:
            return False
        return not self.suspensions or not self.suspended_on_day(today)

    @property
    def suspension(self) -> Suspension | None:
        """The suspension still open (not resumed), or ``None``."""
        found = self.suspensions[-1] if self.suspensions else None
        return found if found is not None and found.resumed_on is None else None

    def suspended_on_day(self, today: dt.date) -> bool:
        """Whether it grants nothing on *today* because it is suspended."""
        return any(s.holds(today) for s in self.suspensions)

    def status(self, today: dt.date) -> Status:
        """The state on *today* (see :data:`Status`); a day before ``starts_on`` is
        :class:`ValueError`."""
        deleted, replaced = self.deleted_on, self.replaced_on
        if deleted is not None and today >= deleted and (replaced is None or deleted <= replaced):
            return Status.DELETED
        if self.replaced_on is not None and today >= self.replaced_on:
            return Status.REPLACED
        open_ = self.suspension
        if open_ is not None and open_.on <= today:
            return Status.SUSPENDED if today <= self.expires_on else Status.EXPIRED
        for susp in self.suspensions:  # a past suspension, from its day to the resumption
            if susp.on <= today and (susp.resumed_on is None or today < susp.resumed_on):
                return Status.SUSPENDED
        if today > self.expires_on:
            return Status.GRACE if today <= self.grace_until else Status.EXPIRED
        if today < self.starts_on:
            raise ValueError(f"maintenance {self.id!r} starts on {self.starts_on}, after {today}")
        return Status.ACTIVE

    def last_change(self) -> dt.date:
        """The latest day an operation touched it (as far as the record tells)."""
        days = [self.starts_on, *(m.starts_on for m in self.modules)]
        days.extend(d for d in (self.deleted_on, self.replaced_on, self.extended_on) if d)
        for susp in self.suspensions:
            days.append(susp.resumed_on or susp.on)
        return max(days)

    def module_license(self, module_id: str) -> ModuleLicense | None:
        """The attached licence of *module_id*, or ``None``."""
        for m in self.modules:
            if m.module == module_id:
                return m
        return None


def _modules_fit(
    modules: tuple[ModuleLicense, ...], starts: dt.date, expires: dt.date, quantity: int
) -> bool:
    """Whether each module expires with its product, starts within it, has at most its
    seats and is listed once (C1, C2): the usual case of :meth:`Maintenance._check`."""
    for m in modules:
        if m.expires_on != expires or m.starts_on < starts or m.quantity > quantity:
            return False
    return len(modules) < 2 or len({m.module for m in modules}) == len(modules)


_set_until = slot_setter(Maintenance, "_until")
_set_ended = slot_setter(Maintenance, "_ended")


def live_end(created_on: dt.date, maintenances: Iterable[Maintenance]) -> dt.date:
    """The latest end among *maintenances*, or *created_on* when that is later."""
    end = created_on
    for m in maintenances:
        ended = m._ended
        if ended > end:
            end = ended
    return end


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
