"""What an applied operation does to the partner's pool: the seats its new or extended
maintenance records as taken, and the pool's movements as events."""

from __future__ import annotations

import attrs

from ..core._events import Event
from ..core._maintenance import Maintenance
from ..core._pool import Pool, PoolChanged, PoolLine
from ..core._rulespec import RuleContext
from ..operations._table import pool_moves

__all__ = ["pool_after", "record_pooled"]


def record_pooled(ctx: RuleContext, pool: Pool, events: list[Event], touched: str) -> list[Event]:
    """The maintenance an operation creates or extends remembers the seats it took
    from the pool (so that a deletion gives back at most those). An item the pool
    does not track is recorded with zero seats: the maintenance took none, and
    gives none back if the pool starts tracking it later."""
    taken = [
        PoolLine(
            item=mv.item,
            period=mv.period,
            seats=-mv.seats if pool.tracks(mv.item, mv.period) else 0,
        )
        for mv in pool_moves(ctx)
        if mv.kind == "debited"
    ]
    last = events[-1]
    m = getattr(last, "maintenance", None)
    if not taken or not isinstance(m, Maintenance) or m.id != touched:
        return events
    m = attrs.evolve(m, pooled=(*m.pooled, *taken))
    return [*events[:-1], attrs.evolve(last, maintenance=m)]  # type: ignore[arg-type]


def pool_after(
    ctx: RuleContext,
    pool: Pool,
    actor: str | None,
    reason: str | None,
    touched: str | None,
) -> tuple[Pool, tuple[PoolChanged, ...]]:
    """The pool after the operation's movements, and their events (seats taken for
    a new maintenance name it: *touched*)."""
    events: list[PoolChanged] = []
    for mv in pool_moves(ctx):
        if not pool.tracks(mv.item, mv.period):
            continue
        pool = pool.credit(mv.item, mv.period, mv.seats)
        events.append(
            PoolChanged(
                on=ctx.today,
                item=mv.item,
                period=mv.period,
                seats=mv.seats,
                kind=mv.kind,
                client_id=ctx.client.id,
                maintenance=mv.maintenance if mv.maintenance is not None else touched,
                actor=actor,
                reason=reason,
            )
        )
    return pool, tuple(events)
