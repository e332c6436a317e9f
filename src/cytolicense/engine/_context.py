"""The context of an operation: the one :class:`RuleContext` the rules deciding it are
given, built from the operation's terms (:mod:`cytolicense.operations`)."""

from __future__ import annotations

import datetime as dt

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._operations import OPERATION_TYPES, AssignmentRequest, Operation
from ..core._pool import Pool
from ..core._rulespec import RuleContext, Tables
from ..operations._family import find
from ..operations._table import kind_of

__all__ = ["context"]

_NO_IDS: frozenset[str] = frozenset()


def context(
    catalog: Catalog,
    tables: Tables,
    client: Client,
    op: Operation,
    today: dt.date,
    pool: Pool | None,
) -> RuleContext:
    """The context of *op* on *client* on *today* for an engine of *catalog* (*tables*
    its precomputed view of it); :class:`TypeError` for a value of a wrong type."""
    if type(op) is AssignmentRequest and type(client) is Client and type(today) is dt.date:
        # The hot path (Engine.check of an assignment). Positional arguments: half
        # the cost of keywords here (see benchmarks/).
        return RuleContext(
            "assign",
            catalog,
            client,
            op,
            catalog.products.get(op.product),
            None,
            today,
            op,
            pool,
            tables.plans.get(op.product),
            tables,
            op.period,
            _NO_IDS,
        )
    if not isinstance(op, OPERATION_TYPES):
        raise TypeError(f"not an operation: {op!r}")
    if not isinstance(client, Client):
        raise TypeError(f"not a Client: {client!r}")
    if type(today) is not dt.date:
        raise TypeError(f"today must be a datetime.date, got {today!r}")
    kind = kind_of(op)
    mid = getattr(op, "maintenance", None)
    m = find(client, mid) if mid is not None else None
    pid, request, period, excluded = kind.terms(catalog, op, m)
    return RuleContext(  # positional, in field order: half the cost of keywords
        op.kind,
        catalog,
        client,
        request,
        catalog.products.get(pid) if pid is not None else None,
        m,
        today,
        op,
        pool,
        tables.plans.get(pid) if pid is not None else None,
        tables,
        period,
        excluded,
    )
