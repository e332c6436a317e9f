"""Client documents read fast, with every check the strict converter makes.

:func:`from_json` reads user input, so it must check everything; doing it through
cattrs and the records' validating constructors cost 6x a ``json.loads`` of the same
text (4.5x pydantic v2 with the same checks, measured). :func:`read_client` makes the
same checks inline on the usual shape of a document (every field present, JSON
types) and fills the records through their slots (:func:`~cytolicense.core._trusted.maker`),
then runs each record's own cross-field checks (its ``__attrs_post_init__``). At the
first thing it does not expect, it gives up and returns ``None``; the caller then reads
the document through the converter, which says exactly what is wrong (or accepts a
document of an older shape). So this reader never decides an error message, and a test
holds it to the converter on fuzzed documents: whatever it accepts, the converter
accepts too, as an equal client.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter, itemgetter
from typing import Any

from ..core._access import check_group
from ..core._client_records import (
    Client,
    Maintenance,
    ModuleLicense,
    NoticeState,
    ScheduledChange,
    SeatLot,
    Suspension,
)
from ..core._enums import LicenseType, ManagementMode
from ..core._period import Period
from ..core._pool import PoolLine, pool_lines
from ..core._trusted import maker
from ..core._validation import plain_text

__all__ = ["read_client"]

_MAINTENANCE_FIELDS = (
    "id",
    "product",
    "license_type",
    "quantity",
    "period",
    "starts_on",
    "expires_on",
    "management",
    "modules",
    "deleted_on",
    "replaced_on",
    "replaced_by",
    "grace_days",
    "extended_on",
    "pooled",
)
"""A maintenance document's fields, in the order they are read and the record filled
(then ``release``, present only for a later catalog release's maintenance)."""
_MODULE_FIELDS = ("module", "quantity", "starts_on", "expires_on")
_MAINTENANCE_SIZE, _MODULE_SIZE = len(_MAINTENANCE_FIELDS), len(_MODULE_FIELDS)

make_module = maker(ModuleLicense, _MODULE_FIELDS)
make_maintenance = maker(
    Maintenance,
    (*_MAINTENANCE_FIELDS, "release", "suspensions", "auto_renew", "scheduled", "lots", "notices"),
)
make_client = maker(
    Client, ("id", "name", "created_on", "deleted_on", "maintenances", "changed_on", "group")
)
_LICENSE_TYPES = {m.value: m for m in LicenseType}
_MODES = {m.value: m for m in ManagementMode}
by_module = attrgetter("module")
PERIODS = {text: Period.parse(text) for text in ("1m", "1y", "2y", "3y")}
"""The periods catalogs sell most, read without a call (others go through Period.parse)."""

_DAYS: dict[str | None, dt.date | None] = {None: None}
"""Days already read (a client's documents repeat a few), and ``None`` for no day; bounded."""
_MISSING = dt.date.min  # never a key's value: the first day is not written by the library


class _Unusual(Exception):
    """Not the usual shape: the converter reads it (and says what is wrong, if anything)."""


def _new_day(value: object) -> dt.date:
    # The converter's rule: YYYY-MM-DD exactly, ASCII digits, a real day.
    if (
        type(value) is str
        and len(value) == 10
        and value.isascii()
        and value[4] == "-"
        and value[7] == "-"
    ):
        day = dt.date.fromisoformat(value)  # ValueError: not a real day
        if len(_DAYS) >= 4096:
            _DAYS.clear()
            _DAYS[None] = None
        _DAYS[value] = day
        return day
    raise _Unusual


def _day(value: Any) -> dt.date:
    day = _DAYS.get(value, _MISSING)
    if day is _MISSING:
        return _new_day(value)
    if day is None:
        raise _Unusual
    return day


_maintenance_fields = itemgetter(*_MAINTENANCE_FIELDS)
_module_fields = itemgetter(*_MODULE_FIELDS)


def module_lines(made: list[ModuleLicense]) -> tuple[ModuleLicense, ...]:
    """A maintenance's module records in the record's order (by module id)."""
    if len(made) == 1:
        return (made[0],)
    if len(made) == 2:
        a, b = made
        return (a, b) if a.module <= b.module else (b, a)
    return tuple(sorted(made, key=by_module))


def _suspensions(value: Any) -> tuple[Suspension, ...]:
    if type(value) is not list:
        raise _Unusual
    out = []
    for x in value:
        if type(x) is not dict or len(x) != 3 or type(x.get("by_client")) is not bool:
            raise _Unusual
        resumed = x.get("resumed_on", _MISSING)
        if resumed is _MISSING:
            raise _Unusual
        out.append(
            Suspension(
                on=_day(x["on"]),
                resumed_on=None if resumed is None else _day(resumed),
                by_client=x["by_client"],
            )
        )
    return tuple(out)


def _period(value: Any) -> Period:
    if type(value) is not str:
        raise _Unusual
    return PERIODS.get(value) or Period.parse(value)


def _scheduled(value: Any) -> ScheduledChange:
    if type(value) is not dict or len(value) != 3:
        raise _Unusual
    q, period = value["quantity"], value["period"]
    if q is not None and (type(q) is not int or q < 1):
        raise _Unusual
    return ScheduledChange(
        on=_day(value["on"]), quantity=q, period=None if period is None else _period(period)
    )


def _lots(value: Any) -> tuple[SeatLot, ...]:
    if type(value) is not list:
        raise _Unusual
    out = []
    for x in value:
        if type(x) is not dict or len(x) != 3 or type(x.get("seats")) is not int:
            raise _Unusual
        out.append(
            SeatLot(added_on=_day(x["added_on"]), seats=x["seats"], period=_period(x["period"]))
        )
    return tuple(out)


def _notices(value: Any) -> NoticeState:
    if type(value) is not dict or len(value) != 3:
        raise _Unusual
    sent = value["sent"]
    if sent is not None and (type(sent) is not int or sent < 1):
        raise _Unusual
    return NoticeState(
        expires_on=_day(value["expires_on"]), armed_on=_day(value["armed_on"]), sent=sent
    )


def _maintenance(d: Any) -> Maintenance:
    if type(d) is not dict:
        raise _Unusual
    extra = len(d) - _MAINTENANCE_SIZE
    release = None
    suspended: tuple[Suspension, ...] = ()
    auto_renew = False
    scheduled: ScheduledChange | None = None
    lots: tuple[SeatLot, ...] = ()
    notices: NoticeState | None = None
    if extra:  # written only when set: a later catalog release's, a suspended line's
        if "release" in d:
            release = d["release"]
            if release is not None and (type(release) is not str or not plain_text(release)):
                raise _Unusual
            extra -= 1
        if "suspensions" in d:
            suspended = _suspensions(d["suspensions"])
            extra -= 1
        if "auto_renew" in d:  # the renewal day's fields
            auto_renew = d["auto_renew"]
            if type(auto_renew) is not bool:
                raise _Unusual
            extra -= 1
        if "scheduled" in d:
            scheduled = None if d["scheduled"] is None else _scheduled(d["scheduled"])
            extra -= 1
        if "lots" in d:
            lots = _lots(d["lots"])
            extra -= 1
        if "notices" in d:
            notices = None if d["notices"] is None else _notices(d["notices"])
            extra -= 1
        if extra:
            raise _Unusual
    (
        mid,
        product,
        license_type,
        quantity,
        period,
        starts,
        expires,
        management,
        modules,
        deleted,
        replaced,
        replaced_by,
        grace,
        extended,
        pooled,
    ) = _maintenance_fields(d)  # KeyError: a field missing (so another is unknown)
    if not (
        type(mid) is str
        and type(product) is str
        and (mid + product).isprintable()
        and mid
        and product
        and not mid.isspace()
        and not product.isspace()
        and type(quantity) is int
        and quantity >= 1
        and type(grace) is int
        and grace >= 0
        and type(modules) is list
        and (replaced_by is None or plain_text(replaced_by))
        and type(pooled) is list
    ):
        raise _Unusual
    get = _DAYS.get
    lines: tuple[ModuleLicense, ...] = ()
    if modules:
        made = []
        for x in modules:
            if type(x) is not dict or len(x) != _MODULE_SIZE:
                raise _Unusual
            module, seats, first, last = _module_fields(x)
            if not (
                type(module) is str
                and module.isprintable()
                and module
                and not module.isspace()
                and type(seats) is int
                and seats >= 1
            ):
                raise _Unusual
            first = get(first) or _day(first)  # a day read before, or read it now
            last = get(last) or _day(last)
            if last < first:
                raise _Unusual
            made.append(make_module(module, seats, first, last))
        lines = module_lines(made)
    if period is not None:
        period = PERIODS.get(period) or Period.parse(period) if type(period) is str else _no()
    deleted_day, replaced_day, extended_day = (
        get(deleted, _MISSING),
        get(replaced, _MISSING),
        get(extended, _MISSING),
    )
    m = make_maintenance(
        mid,
        product,
        _LICENSE_TYPES[license_type],
        quantity,
        period,
        get(starts) or _day(starts),
        get(expires) or _day(expires),
        _MODES[management],
        lines,
        _new_day(deleted) if deleted_day is _MISSING else deleted_day,
        _new_day(replaced) if replaced_day is _MISSING else replaced_day,
        replaced_by,
        grace,
        _new_day(extended) if extended_day is _MISSING else extended_day,
        pool_lines(map(_pool_line, pooled)) if pooled else (),
        release,
        suspended,
        auto_renew,
        scheduled,
        lots,
        notices,
    )
    m.__attrs_post_init__()  # the record's own cross-field checks, and its kept days
    return m


def _no() -> Any:
    raise _Unusual


def _pool_line(d: Any) -> PoolLine:
    if type(d) is not dict or len(d) != 3 or type(d["period"]) is not str:
        raise _Unusual
    return PoolLine(item=d["item"], period=d["period"], seats=d["seats"])


def read_client(data: Any) -> Client | None:
    """The client *data* (a document's ``data`` object) describes, checked as the strict
    converter checks it; ``None`` when it is not of the usual shape or not valid (the
    caller then reads it through the converter)."""
    try:
        if type(data) is not dict:
            return None
        group = ""
        if len(data) != 6:  # a client outside the default group has a seventh key
            if len(data) != 7:
                return None
            group = data["group"]
            if type(group) is not str or not group:
                return None
            check_group(group)
        cid, name, maintenances = data["id"], data["name"], data["maintenances"]
        if not (plain_text(cid) and plain_text(name) and type(maintenances) is list):
            return None
        deleted, changed = (
            _DAYS.get(data["deleted_on"], _MISSING),
            _DAYS.get(data["changed_on"], _MISSING),
        )
        client = make_client(
            cid,
            name,
            _day(data["created_on"]),
            _new_day(data["deleted_on"]) if deleted is _MISSING else deleted,
            tuple(map(_maintenance, maintenances)),
            _new_day(data["changed_on"]) if changed is _MISSING else changed,
            group,
        )
        client.__attrs_post_init__()
    except Exception:  # anything unexpected: the converter decides
        return None
    return client
