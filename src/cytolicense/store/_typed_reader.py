"""Client documents typed by msgspec (the optional ``fast`` extra), then built as the
checked fast reader builds them.

msgspec parses a client envelope straight into the typed shape below, in C: JSON
types, the record's exact fields (none missing, none unknown), ``YYYY-MM-DD`` days
that exist, the enum values, seats of at least 1 and grace of at least 0. What is
left to Python is what the shape cannot say (printable, non-blank ids and names, the
period's grammar, each record's cross-field checks) and filling the records through
their slots. Like :mod:`._reader`, it never words an error: whatever msgspec refuses,
or the checks find unusual, makes it return ``None`` and the caller reads the text
the strict way (``json.loads``, then the fast reader or the converter), which decides.
The same tests hold it to the converter: whatever it accepts, the converter accepts
as an equal client.

Without msgspec installed this module is not imported (see :mod:`._serialize`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from ..core._client_records import Client, Maintenance, ModuleLicense, Suspension
from ..core._enums import LicenseType, ManagementMode
from ..core._period import Period
from ..core._pool import PoolLine, pool_lines
from ..core._validation import plain_text
from ._reader import PERIODS, make_client, make_maintenance, make_module, module_lines

__all__ = ["read_client_text"]

_Seats = Annotated[int, msgspec.Meta(ge=1)]


class _Module(msgspec.Struct, forbid_unknown_fields=True):
    module: str
    quantity: _Seats
    starts_on: dt.date
    expires_on: dt.date


class _PoolLine(msgspec.Struct, forbid_unknown_fields=True):
    item: str
    period: str
    seats: int


class _Suspension(msgspec.Struct, forbid_unknown_fields=True):
    on: dt.date
    resumed_on: dt.date | None
    by_client: bool


class _Maintenance(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    product: str
    license_type: LicenseType
    quantity: _Seats
    period: str | None
    starts_on: dt.date
    expires_on: dt.date
    management: ManagementMode
    modules: list[_Module]
    deleted_on: dt.date | None
    replaced_on: dt.date | None
    replaced_by: str | None
    grace_days: Annotated[int, msgspec.Meta(ge=0)]
    extended_on: dt.date | None
    pooled: list[_PoolLine]
    release: str | None = None
    suspensions: list[_Suspension] = []


class _Client(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    name: str
    created_on: dt.date
    deleted_on: dt.date | None
    maintenances: list[_Maintenance]
    changed_on: dt.date | None


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    cytolicense: int
    type: Literal["Client"]
    data: _Client


_decode = msgspec.json.Decoder(_Envelope).decode


class _Unusual(Exception):
    """Not the usual shape: the strict path reads it."""


def _maintenance(d: _Maintenance) -> Maintenance:
    mid, product, replaced_by, release = d.id, d.product, d.replaced_by, d.release
    if not (plain_text(mid) and plain_text(product)) or not (
        (replaced_by is None or plain_text(replaced_by))
        and (release is None or plain_text(release))
    ):
        raise _Unusual
    lines: tuple[ModuleLicense, ...] = ()
    if d.modules:
        made = []
        for x in d.modules:
            module, first, last = x.module, x.starts_on, x.expires_on
            if not plain_text(module) or last < first:
                raise _Unusual
            made.append(make_module(module, x.quantity, first, last))
        lines = module_lines(made)
    text = d.period
    period = None if text is None else PERIODS.get(text) or Period.parse(text)
    m = make_maintenance(
        mid,
        product,
        d.license_type,
        d.quantity,
        period,
        d.starts_on,
        d.expires_on,
        d.management,
        lines,
        d.deleted_on,
        d.replaced_on,
        replaced_by,
        d.grace_days,
        d.extended_on,
        pool_lines(PoolLine(item=p.item, period=p.period, seats=p.seats) for p in d.pooled)
        if d.pooled
        else (),
        d.release,
        tuple(
            Suspension(on=x.on, resumed_on=x.resumed_on, by_client=x.by_client)
            for x in d.suspensions
        ),
    )
    m.__attrs_post_init__()  # the record's own cross-field checks, and its kept days
    return m


def read_client_text(text: str | bytes | bytearray, version: int) -> Client | None:
    """The client a JSON envelope of format *version* holds, checked as the strict
    converter checks it; ``None`` when msgspec refuses the text or anything is unusual
    (the caller then reads it the strict way, which says what is wrong, if anything)."""
    try:
        doc = _decode(text)
        data = doc.data
        if doc.cytolicense != version or not (plain_text(data.id) and plain_text(data.name)):
            return None
        client: Client = make_client(
            data.id,
            data.name,
            data.created_on,
            data.deleted_on,
            tuple(map(_maintenance, data.maintenances)),
            data.changed_on,
        )
        client.__attrs_post_init__()
    except Exception:  # anything msgspec refuses, or unusual: the strict path decides
        return None
    return client
