"""Client groups: moving a client into another group (:class:`SetGroup`, kind
``set_group``). Its rules are the shared ones (:mod:`cytolicense.rules`); whether
the operator may move the client there is the console's check (its scope).
"""

from __future__ import annotations

from ..core._catalog import Catalog
from ..core._events import ClientMoved
from ..core._maintenance import Maintenance
from ..core._operations import SetGroup
from ..core._rulespec import RuleContext
from ._family import Family, Kind, Terms, Who, Written

__all__ = ["FAMILY"]


def _terms(catalog: Catalog, op: SetGroup, m: Maintenance | None) -> Terms:
    return Terms(None)


def _moved(ctx: RuleContext, who: Who, release: str | None) -> Written:
    op = ctx.op
    assert isinstance(op, SetGroup)
    return [ClientMoved(group=op.group, previous_group=ctx.client.group, **who)], None


FAMILY = Family(
    name="groups",
    kinds=(Kind(type=SetGroup, terms=_terms, events=_moved, accepts=None),),
    events=(ClientMoved,),
)
