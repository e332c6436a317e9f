"""Assigning a product (:class:`AssignmentRequest`, kind ``assign``): a new maintenance.

Its rules are the shared ones on new terms (:mod:`cytolicense.rules`); assigning to
a deleted client that is still shown restores it (:class:`ClientRestored`). Its
wording also covers the client's creation (:class:`ClientCreated`, which
:meth:`Engine.new_client <cytolicense.Engine.new_client>` writes, no operation), the
line before every assignment in a client's history.
"""

from __future__ import annotations

import datetime as dt

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._dates import commercial_expiry, trial_expiry
from ..core._events import ClientCreated, ClientRestored, Event, ProductAssigned
from ..core._maintenance import Maintenance
from ..core._messages import tr
from ..core._operations import AssignmentRequest
from ..core._rulespec import RuleContext
from ..core._trusted import builder
from ._family import (
    COMMERCIAL,
    TRIAL,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
    new_maintenance,
    next_id,
)
from ._terms import Move, request_seats, taken
from ._words import line

__all__ = ["FAMILY"]

_build_assigned = builder(ProductAssigned)


def _terms(catalog: Catalog, op: AssignmentRequest, m: Maintenance | None) -> Terms:
    return Terms(op.product, op, op.period)


def new_end(ctx: RuleContext) -> dt.date | None:
    """The new maintenance's last day: the trial's days, or the commercial term."""
    op, product = ctx.op, ctx.product
    assert isinstance(op, AssignmentRequest)
    if product is None:
        return None
    if op.license_type is TRIAL:
        return trial_expiry(ctx.today, product.trial_days)
    if op.period is None:
        return None
    return commercial_expiry(ctx.today, op.period, product.term_end)


def moves(ctx: RuleContext) -> list[Move]:
    """A commercial assignment takes its seats from the pool."""
    op = ctx.op
    assert isinstance(op, AssignmentRequest)
    if op.license_type is not COMMERCIAL or op.period is None:
        return []
    return taken(op.product, op.period, op.quantity, request_seats(op), None)


def events(ctx: RuleContext, who: Who, release: str | None) -> Written:
    """:class:`ProductAssigned` (after :class:`ClientRestored` for a deleted client)."""
    op, client = ctx.op, ctx.client
    assert isinstance(op, AssignmentRequest)
    end = new_end(ctx)
    assert end is not None
    new = new_maintenance(ctx, op, end, next_id(client), release)
    out: list[Event] = []
    if client.deleted_on is not None:
        out.append(ClientRestored(**who))
    if who["actor"] is None and who["reason"] is None:
        # Every field is the library's own (a valid client's id, a checked date, the
        # catalog's origin): built trusted, as the maintenance is. Text the caller
        # gave (actor, reason) goes through the validators.
        out.append(
            _build_assigned(
                client_id=client.id, on=ctx.today, catalog=who["catalog"], maintenance=new
            )
        )
    else:
        out.append(ProductAssigned(maintenance=new, **who))
    return out, new.id


def _created_words(before: Client | None, e: ClientCreated, lang: str) -> str:
    """The client's name."""
    return e.name


def _assigned_words(before: Client | None, e: ProductAssigned, lang: str) -> str:
    """``m1: product x10 until DAY with mod (10)``."""
    m = e.maintenance
    mods = ", ".join(f"{ml.module} ({ml.quantity})" for ml in m.modules)
    return line(m, lang) + (tr(" with {modules}", lang, modules=mods) if mods else "")


FAMILY = Family(
    name="assign",
    kinds=(
        Kind(
            type=AssignmentRequest,
            terms=_terms,
            events=events,
            new_end=new_end,
            moves=moves,
            takes_seats=True,
            accepts=None,
            words=OperationWords("cannot assign the product", "the product can be assigned"),
        ),
    ),
    events=(ProductAssigned, ClientRestored),
    words=(
        EventWords(ClientCreated, "client added", _created_words),
        EventWords(ProductAssigned, "product assigned", _assigned_words),
    ),
)
