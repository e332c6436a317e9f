"""Peers for the document benchmarks: the same client document read with pydantic v2
and with msgspec, each doing the same checks as cytolicense's strict reader (types,
ISO dates, enum values, period strings, seats >= 1, module seats within the product,
no expiry before the start, ids and names that are not blank).

Imported by run.py only when both libraries are installed (`nox -s bench` installs
them); neither is a dependency of cytolicense.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import msgspec
import pydantic

PERIOD = r"^(?:[0-9]{1,4}y)?(?:[0-9]{1,4}m)?$"
_PERIOD_RE = re.compile(PERIOD)


class PModule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True)
    module: Annotated[str, pydantic.StringConstraints(min_length=1)]
    quantity: Annotated[int, pydantic.Field(ge=1)]
    starts_on: dt.date
    expires_on: dt.date


class PMaintenance(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True)
    id: Annotated[str, pydantic.StringConstraints(min_length=1)]
    product: Annotated[str, pydantic.StringConstraints(min_length=1)]
    license_type: Literal["trial", "commercial"]
    quantity: Annotated[int, pydantic.Field(ge=1)]
    period: Annotated[str, pydantic.StringConstraints(pattern=PERIOD)] | None
    starts_on: dt.date
    expires_on: dt.date
    management: Literal["centralized", "unmanaged"]
    modules: tuple[PModule, ...]
    deleted_on: dt.date | None
    replaced_on: dt.date | None
    replaced_by: str | None
    grace_days: Annotated[int, pydantic.Field(ge=0)]
    extended_on: dt.date | None
    pooled: tuple[dict[str, object], ...]

    @pydantic.model_validator(mode="after")
    def _inside(self) -> PMaintenance:
        if self.expires_on < self.starts_on:
            raise ValueError("expires before it starts")
        for m in self.modules:
            if m.quantity > self.quantity or m.expires_on != self.expires_on:
                raise ValueError("module outside its product")
        return self


class PClient(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True)
    id: Annotated[str, pydantic.StringConstraints(min_length=1)]
    name: Annotated[str, pydantic.StringConstraints(min_length=1)]
    created_on: dt.date
    deleted_on: dt.date | None
    maintenances: tuple[PMaintenance, ...]
    changed_on: dt.date | None


class PEnvelope(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid")
    cytolicense: int
    type: Literal["Client"]
    data: PClient


class MModule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    module: Annotated[str, msgspec.Meta(min_length=1)]
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    starts_on: dt.date
    expires_on: dt.date


class MMaintenance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    product: Annotated[str, msgspec.Meta(min_length=1)]
    license_type: Literal["trial", "commercial"]
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    period: Annotated[str, msgspec.Meta(pattern=PERIOD)] | None
    starts_on: dt.date
    expires_on: dt.date
    management: Literal["centralized", "unmanaged"]
    modules: tuple[MModule, ...]
    deleted_on: dt.date | None
    replaced_on: dt.date | None
    replaced_by: str | None
    grace_days: Annotated[int, msgspec.Meta(ge=0)]
    extended_on: dt.date | None
    pooled: tuple[dict[str, object], ...]

    def __post_init__(self) -> None:
        if self.expires_on < self.starts_on:
            raise ValueError("expires before it starts")
        for m in self.modules:
            if m.quantity > self.quantity or m.expires_on != self.expires_on:
                raise ValueError("module outside its product")


class MClient(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    name: Annotated[str, msgspec.Meta(min_length=1)]
    created_on: dt.date
    deleted_on: dt.date | None
    maintenances: tuple[MMaintenance, ...]
    changed_on: dt.date | None


class MEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    cytolicense: int
    type: Literal["Client"]
    data: MClient


_decoder = msgspec.json.Decoder(MEnvelope)


def pydantic_read(text: str) -> PEnvelope:
    return PEnvelope.model_validate_json(text)


def msgspec_read(text: str) -> MEnvelope:
    return _decoder.decode(text)
