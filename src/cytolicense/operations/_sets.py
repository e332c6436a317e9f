"""Licence sets (C20): grouping a product's sets into one, co-termed
(:class:`GroupSets`, kind ``group_sets``), and adding seats bought for a term to a
maintenance, co-termed (:class:`AddSeats`, kind ``add_seats``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._enums import QuantityRule, Status
from ..core._events import SeatsAdded, SetsGrouped
from ..core._findings import CodeSpec, Finding
from ..core._maintenance import Maintenance
from ..core._messages import period_words, tr
from ..core._operations import AddSeats, GroupSets
from ..core._pool import PoolLine
from ..core._rulespec import RuleContext, RuleSpec
from ._family import (
    COMMERCIAL,
    NONE,
    TRIAL,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
    rule_into,
    terms,
)
from ._returns import added_lot
from ._suspension import SUSPENDED
from ._terms import Move, coterm, taken, term_length
from ._words import line

__all__ = ["FAMILY", "group_sets"]

_rules: list[RuleSpec] = []
rule = rule_into(_rules)

# -- grouping -------------------------------------------------------------------------


def group_sets(ctx: RuleContext) -> list[Maintenance]:
    """The maintenances a :class:`GroupSets` would group (active commercial sets of the
    product, in the client's order)."""
    op = ctx.op
    assert isinstance(op, GroupSets)
    return [
        m
        for m in ctx.client.maintenances
        if m.product == op.product and m.license_type is COMMERCIAL and m.is_active(ctx.today)
    ]


def _group_terms(catalog: Catalog, op: GroupSets, m: Maintenance | None) -> Terms:
    return Terms(op.product)


def _group_end(ctx: RuleContext) -> dt.date | None:
    """The sets' ends averaged by their seats (C20)."""
    sets = group_sets(ctx)
    if len(sets) < 2:
        return None
    today = ctx.today
    return coterm(today, [(s.quantity, (s.expires_on - today).days) for s in sets])


def _pooled_of(sets: list[Maintenance]) -> tuple[PoolLine, ...]:
    """What a grouped set took from the pool: every set's record, added up (seats
    conserved: deleting the group gives back at most what its sets took). No set
    with a record: none (the formula alone, as for each of them). A set without a
    record among sets with one adds its seats as it was sold (what the formula
    would have allowed it to give back)."""
    if not any(s.pooled for s in sets):
        return ()
    lines: list[PoolLine] = []
    for s in sets:
        if s.pooled:
            lines.extend(s.pooled)
        elif s.period is not None:
            lines.append(PoolLine(item=s.product, period=s.period, seats=s.quantity))
            lines.extend(
                PoolLine(item=ml.module, period=s.period, seats=ml.quantity) for ml in s.modules
            )
    return tuple(lines)


def _grouped(ctx: RuleContext, who: Who, release: str | None) -> Written:
    sets = group_sets(ctx)
    end = _group_end(ctx)
    assert end is not None
    assert len(sets) >= 2
    first = sets[0]
    q = sum(s.quantity for s in sets)
    mods = ctx.catalog.modules
    modules = []
    for ml in first.modules:
        linked = ml.module not in mods or mods[ml.module].quantity_rule is QuantityRule.LINKED
        seats = (
            q
            if linked
            else sum(
                found.quantity for s in sets if (found := s.module_license(ml.module)) is not None
            )
        )
        modules.append(attrs.evolve(ml, quantity=seats, expires_on=end))
    kept = attrs.evolve(
        first,
        quantity=q,
        expires_on=end,
        modules=tuple(modules),
        pooled=_pooled_of(sets),
        # Each set's lots keep their days (their return windows run on).
        lots=tuple(sorted((lot for s in sets for lot in s.lots), key=lambda lot: lot.added_on))
        if any(s.lots for s in sets)
        else (),
    )
    return [
        SetsGrouped(
            maintenance=kept,
            grouped=tuple(s.id for s in sets[1:]),
            seats=tuple(s.quantity for s in sets),
            previous_ends=tuple(s.expires_on for s in sets),
            **who,
        )
    ], first.id


NOTHING_TO_GROUP = CodeSpec(
    code="group.nothing_to_group",
    messages={
        "en": "Client '{client}' has {count} active commercial licence set(s) of '{product}': "
        "grouping needs at least two.",
        "es": "El cliente '{client}' tiene {count} conjunto(s) de licencias comerciales activos "
        "de '{product}': para agrupar hacen falta al menos dos.",
    },
)
SETS_DIFFER = CodeSpec(
    code="group.sets_differ",
    messages={
        "en": {
            reason: f"Licence sets {{first}} and {{other}} of '{{product}}' differ in {words}: "
            "only sets with the same management and modules are grouped."
            for reason, words in (
                ("management", "management"),
                ("modules", "modules"),
                ("both", "management and modules"),
            )
        },
        "es": {
            reason: f"Los conjuntos de licencias {{first}} y {{other}} de '{{product}}' difieren "
            f"en {words}: solo se agrupan conjuntos con la misma gestión y los mismos módulos."
            for reason, words in (
                ("management", "la gestión"),
                ("modules", "los módulos"),
                ("both", "la gestión y los módulos"),
            )
        },
    },
)


@rule({"group_sets"}, NOTHING_TO_GROUP, SETS_DIFFER, SUSPENDED)
def rule_group(ctx: RuleContext) -> Iterable[Finding]:
    """``group.nothing_to_group``, ``group.sets_differ`` (C20)."""
    op = ctx.op
    if not isinstance(op, GroupSets) or ctx.product is None:
        return NONE
    sets = group_sets(ctx)
    for m in sets:
        if m.suspension is not None:  # a suspended set is not grouped
            return (SUSPENDED.finding("maintenance", {"maintenance": m.id}),)
    if len(sets) < 2:
        return (
            NOTHING_TO_GROUP.finding(
                "product", {"client": ctx.client.id, "product": op.product, "count": len(sets)}
            ),
        )
    first = sets[0]
    ids = {ml.module for ml in first.modules}
    for other in sets[1:]:
        differs = []
        if other.management is not first.management:
            differs.append("management")
        if {ml.module for ml in other.modules} != ids:
            differs.append("modules")
        if differs:
            return (
                SETS_DIFFER.finding(
                    "product",
                    {
                        "product": op.product,
                        "first": first.id,
                        "other": other.id,
                        "differs": tuple(differs),
                        "reason": differs[0] if len(differs) == 1 else "both",
                    },
                ),
            )
    return NONE


# -- adding seats ---------------------------------------------------------------------

NOT_COMMERCIAL = CodeSpec(
    code="maintenance.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: seats are added to a commercial "
        "maintenance only.",
        "es": "El mantenimiento '{maintenance}' es una prueba: solo se añaden licencias a un "
        "mantenimiento comercial.",
    },
)


def _add_terms(catalog: Catalog, op: AddSeats, m: Maintenance | None) -> Terms:
    """The maintenance with the seats added, for the added seats' term."""
    if m is None:
        return Terms(None)
    request = terms(
        product=m.product,
        license_type=COMMERCIAL,
        quantity=m.quantity + op.quantity,
        period=op.period,
        modules={},
        management=m.management,
    )
    return Terms(m.product, request, op.period)


def _add_end(ctx: RuleContext) -> dt.date | None:
    """The line's end and the added seats' term, averaged by their seats (C20)."""
    op, m, product, today = ctx.op, ctx.maintenance, ctx.product, ctx.today
    assert isinstance(op, AddSeats)
    if m is None or product is None or op.quantity < 1:
        return None
    t = term_length(today, op.period, product.term_end)
    return coterm(today, [(m.quantity, (m.expires_on - today).days), (op.quantity, t)])


def _add_moves(ctx: RuleContext) -> list[Move]:
    """The added seats, and as many of each linked module, for their term."""
    op, m = ctx.op, ctx.maintenance
    assert isinstance(op, AddSeats)
    if m is None or m.license_type is not COMMERCIAL or op.quantity < 1:
        return []
    rules = ctx.tables.catalog.modules if ctx.tables is not None else {}
    linked = {
        ml.module: op.quantity
        for ml in m.modules
        if ml.module in rules and rules[ml.module].quantity_rule is QuantityRule.LINKED
    }
    return taken(m.product, op.period, op.quantity, linked, m.id)


def _added(ctx: RuleContext, who: Who, release: str | None) -> Written:
    op, m, end = ctx.op, ctx.maintenance, _add_end(ctx)
    assert isinstance(op, AddSeats)
    assert m is not None
    assert end is not None
    q = m.quantity + op.quantity
    mods = ctx.catalog.modules
    added = attrs.evolve(
        m,
        quantity=q,
        expires_on=end,
        modules=tuple(
            attrs.evolve(
                ml,
                expires_on=end,
                quantity=(
                    q
                    if ml.module in mods and mods[ml.module].quantity_rule is QuantityRule.LINKED
                    else ml.quantity
                ),
            )
            for ml in m.modules
        ),
        lots=(*m.lots, *added_lot(ctx.product, m.license_type, ctx.today, op.quantity, op.period)),
    )
    event = SeatsAdded(
        maintenance=added,
        seats=op.quantity,
        period=op.period,
        previous_expires_on=m.expires_on,
        **who,
    )
    return [event], m.id


def _add_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    if m.license_type is TRIAL:
        return NOT_COMMERCIAL.finding("maintenance", {"maintenance": m.id})
    return None


def _grouped_words(before: Client | None, e: SetsGrouped, lang: str) -> str:
    """``m1 + m2, m3 -> m1: product x30 until DAY``."""
    m = e.maintenance
    return f"{m.id} + {', '.join(e.grouped)} -> {line(m, lang)}"


def _added_words(before: Client | None, e: SeatsAdded, lang: str) -> str:
    """``m1: +5 (1 year) -> x15, end OLD -> NEW``."""
    m = e.maintenance
    return tr(
        "{id}: +{seats} ({term}) -> x{total}, end {old} -> {new}",
        lang,
        id=m.id,
        seats=e.seats,
        term=period_words(e.period, lang),
        total=m.quantity,
        old=e.previous_expires_on,
        new=m.expires_on,
    )


FAMILY = Family(
    name="sets",
    kinds=(
        Kind(
            type=GroupSets,
            terms=_group_terms,
            events=_grouped,
            new_end=_group_end,
            accepts=None,
            drops_schedule=True,
            words=OperationWords(
                "cannot group the licence sets", "the licence sets can be grouped"
            ),
        ),
        Kind(
            type=AddSeats,
            terms=_add_terms,
            events=_added,
            new_end=_add_end,
            moves=_add_moves,
            takes_seats=True,
            target=_add_target,
            drops_schedule=True,
            words=OperationWords("cannot add the seats", "the seats can be added"),
        ),
    ),
    events=(SetsGrouped, SeatsAdded),
    rules=tuple(_rules),
    target_codes=(NOT_COMMERCIAL,),
    words=(
        EventWords(SetsGrouped, "sets grouped", _grouped_words),
        EventWords(SeatsAdded, "seats added", _added_words),
    ),
)
