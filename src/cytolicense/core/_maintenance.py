"""A maintenance (a licence contract) and its modules (what a maintenance holds
besides: core/_line_records.py; the client holding them: core/_client_records.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from ._enums import LicenseType, ManagementMode, Status
from ._line_records import (
    NoticeState,
    ScheduledChange,
    SeatLot,
    Suspension,
    _lots,
    _notices,
    _scheduled,
    _suspensions,
    _tuple_of,
)
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
    optional_str,
    positive_int,
    to_license_type,
    to_management,
)

__all__ = ["Maintenance", "ModuleLicense", "live_end", "plus_days"]


def plus_days(day: dt.date, days: int) -> dt.date:
    """*day* + *days*, or ``date.max`` when that lies beyond the calendar."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


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
