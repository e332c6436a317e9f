"""Deleting: a maintenance (:class:`DeleteService`, kind ``delete_service``; an
expired or suspended one too) and the client with every line in force
(:class:`DeleteClient`, kind ``delete_client``). Both give unused seats back to the
pool. Their rules are the shared ones (:mod:`cytolicense.rules`).
"""

from __future__ import annotations

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._events import ClientDeleted, ServiceDeleted
from ..core._maintenance import Maintenance
from ..core._operations import DeleteClient, DeleteService
from ..core._rulespec import RuleContext
from ._family import (
    NOT_STOPPED,
    Action,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
)
from ._returns import ended_moves
from ._terms import Move, recovered

__all__ = ["FAMILY"]


def _service_moves(ctx: RuleContext) -> list[Move]:
    """The line's unused seats go back to the pool: open lots of a return window in
    full, the rest pro rata."""
    m = ctx.maintenance
    return [] if m is None else ended_moves(ctx.catalog, ctx.product, m, ctx.today)


def _service_deleted(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m = ctx.maintenance
    assert m is not None
    return [ServiceDeleted(maintenance_id=m.id, **who)], m.id


def _delete_action(centralized: bool, trial: bool) -> Action:
    return "delete", lambda mid: DeleteService(maintenance=mid)


def _client_terms(catalog: Catalog, op: DeleteClient, m: Maintenance | None) -> Terms:
    return Terms(None)


def _client_moves(ctx: RuleContext) -> list[Move]:
    """Every line's unused seats go back to the pool."""
    moves: list[Move] = []
    products = ctx.catalog.products
    for each in ctx.client.maintenances:
        if each.lots:
            moves.extend(ended_moves(ctx.catalog, products.get(each.product), each, ctx.today))
        else:
            moves.extend(recovered(each, ctx.today))
    return moves


def _client_deleted(ctx: RuleContext, who: Who, release: str | None) -> Written:
    return [ClientDeleted(**who)], None


def _service_deleted_words(before: Client | None, e: ServiceDeleted, lang: str) -> str:
    """The line's id."""
    return e.maintenance_id


FAMILY = Family(
    name="deletion",
    kinds=(
        Kind(
            type=DeleteService,
            events=_service_deleted,
            moves=_service_moves,
            accepts=NOT_STOPPED,
            line_terms=True,
            action=_delete_action,
            drops_schedule=True,
            words=OperationWords("cannot delete the service", "the service can be deleted"),
        ),
        Kind(
            type=DeleteClient,
            terms=_client_terms,
            events=_client_deleted,
            moves=_client_moves,
            accepts=None,
            drops_schedule=True,
            words=OperationWords("cannot delete the client", "the client can be deleted"),
        ),
    ),
    events=(ServiceDeleted, ClientDeleted),
    words=(
        EventWords(ServiceDeleted, "service deleted", _service_deleted_words),
        EventWords(ClientDeleted, "client deleted"),
    ),
)
