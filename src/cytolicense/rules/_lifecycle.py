"""Rules of the rest of a licence's life: renewals, changes, trials, co-terming, dates, the pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._findings import CodeSpec, Finding
from ..core._operations import (
    AssignmentRequest,
    ChangeProduct,
    GroupSets,
)
from ..core._period import Period
from ..core._pool import Pool, stock_of
from ..core._rulespec import RuleContext
from ._client import CHANGE_NOT_ALLOWED, SUSPENDED
from ._registry import (
    _COMMERCIAL,
    _NONE,
    _TRIAL,
    _WARNING,
    rule,
)
from ._terms import group_sets, new_end, pool_moves

# -- the lifecycle: renewals, changes, trials, co-terming -------------------------------

TOO_EARLY = CodeSpec(
    code="renewal.too_early",
    messages={
        "en": "Maintenance '{maintenance}' has {days_left} days left: it can be renewed "
        "when fewer than {window} days are left (from {renewable_on}).",
        "es": "Al mantenimiento '{maintenance}' le quedan {days_left} días: se puede renovar "
        "cuando queden menos de {window} días (a partir del {renewable_on}).",
    },
)


@rule({"renew"}, TOO_EARLY)
def rule_renewal_window(ctx: RuleContext) -> Iterable[Finding]:
    """``renewal.too_early``: renewal only while fewer than ``renewal_window_days`` are left."""
    m, product = ctx.maintenance, ctx.product
    if m is None or product is None or m.license_type is _TRIAL:
        return _NONE
    left = (m.expires_on - ctx.today).days
    window = product.renewal_window_days
    if left >= window:
        try:
            renewable = (m.expires_on - dt.timedelta(days=window - 1)).isoformat()
        except OverflowError:
            renewable = dt.date.min.isoformat()
        return (
            TOO_EARLY._found(
                "maintenance",
                {
                    "maintenance": m.id,
                    "days_left": left,
                    "window": window,
                    "renewable_on": renewable,
                },
            ),
        )
    return _NONE


@rule({"change_product"}, CHANGE_NOT_ALLOWED)
def rule_change_target(ctx: RuleContext) -> Iterable[Finding]:
    """``change.not_allowed``: the new product is not in the old one's ``changes_to``."""
    op, m = ctx.op, ctx.maintenance
    if not isinstance(op, ChangeProduct) or m is None or m.license_type is _TRIAL:
        return _NONE
    old = ctx.catalog.products.get(m.product)
    allowed = tuple(sorted(old.changes_to)) if old is not None else ()
    if op.product not in allowed:
        return (
            CHANGE_NOT_ALLOWED._found(
                "product",
                {
                    "product": m.product,
                    "target": op.product,
                    "allowed": allowed,
                    "reason": "not_offered" if allowed else "no_changes",
                },
            ),
        )
    return _NONE


MODULES_DROPPED = CodeSpec(
    code="change.modules_dropped",
    severity=_WARNING,
    messages={
        "en": "'{product}' does not offer {modules}: they are cancelled with the change.",
        "es": "'{product}' no ofrece {modules}: se cancelan con el cambio.",
    },
)


def dropped_modules(ctx: RuleContext) -> tuple[str, ...]:
    """The old maintenance's modules a product change leaves out because the new
    product does not offer them (only when the modules were not given)."""
    op, m, product = ctx.op, ctx.maintenance, ctx.product
    if not isinstance(op, ChangeProduct) or op.modules is not None or m is None or not product:
        return ()
    return tuple(ml.module for ml in m.modules if ml.module not in product.modules)


@rule({"change_product"}, MODULES_DROPPED)
def rule_modules_dropped(ctx: RuleContext) -> Iterable[Finding]:
    """``change.modules_dropped`` (warning): modules the new product does not offer."""
    dropped = dropped_modules(ctx)
    if dropped and ctx.product is not None:
        return (MODULES_DROPPED._found("modules", {"product": ctx.product.id, "modules": dropped}),)
    return _NONE


EXTENSION_NOT_OFFERED = CodeSpec(
    code="trial.extension_not_offered",
    messages={
        "en": "Trials of '{product}' cannot be extended.",
        "es": "Las pruebas de '{product}' no se pueden ampliar.",
    },
)
ALREADY_EXTENDED = CodeSpec(
    code="trial.already_extended",
    messages={
        "en": "Trial '{maintenance}' was already extended on {extended_on}: a trial is "
        "extended once.",
        "es": "La prueba '{maintenance}' ya se amplió el {extended_on}: una prueba se amplía "
        "una sola vez.",
    },
)


@rule({"extend_trial"}, EXTENSION_NOT_OFFERED, ALREADY_EXTENDED)
def rule_extension(ctx: RuleContext) -> Iterable[Finding]:
    """``trial.extension_not_offered``, ``trial.already_extended`` (C14)."""
    m, product = ctx.maintenance, ctx.product
    if m is None or m.license_type is not _TRIAL:
        return _NONE
    if product is None or not product.trial_extension_days:
        return (EXTENSION_NOT_OFFERED._found("maintenance", {"product": m.product}),)
    if m.extended_on is not None:
        return (
            ALREADY_EXTENDED._found(
                "maintenance", {"maintenance": m.id, "extended_on": m.extended_on.isoformat()}
            ),
        )
    return _NONE


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
        return _NONE
    sets = group_sets(ctx)
    for m in sets:
        if m.suspension is not None:  # a suspended set is not grouped
            return (SUSPENDED._found("maintenance", {"maintenance": m.id}),)
    if len(sets) < 2:
        return (
            NOTHING_TO_GROUP._found(
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
                SETS_DIFFER._found(
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
    return _NONE


_SAFE_YEAR = dt.date.max.year - 25  # ten-year grace/trial/extension caps, plus margin


def _safe_years(year: int, period: Period | None) -> bool:
    """Whether *year* plus *period* (in whole years, rounded up) stays below
    :data:`_SAFE_YEAR`: then no date an operation computes can pass ``date.max``."""
    if period is not None:
        year += period.years + period.months // 12 + 1
    return year < _SAFE_YEAR


OUT_OF_RANGE = CodeSpec(
    code="date.out_of_range",
    messages={
        "en": "The operation would end after {max}, the last day the calendar has.",
        "es": "La operación terminaría después del {max}, el último día del calendario.",
    },
)


@rule(
    {
        "assign",
        "renew",
        "change_product",
        "convert_trial",
        "extend_trial",
        "group_sets",
        "add_seats",
    },
    OUT_OF_RANGE,
)
def rule_dates(ctx: RuleContext) -> Iterable[Finding]:
    """``date.out_of_range``: the new end (or its grace) lies beyond ``date.max``."""
    m = ctx.maintenance
    base = ctx.today.year if m is None else max(ctx.today.year, m.expires_on.year)
    if _safe_years(base, ctx.period):
        return _NONE  # the usual case, decided without date arithmetic
    try:
        end = new_end(ctx)
        if end is not None and ctx.product is not None:
            end + dt.timedelta(days=ctx.product.grace_days)
    except (OverflowError, ValueError):
        return (OUT_OF_RANGE._found("today", {"max": dt.date.max.isoformat()}),)
    return _NONE


POOL_SHORT = CodeSpec(
    code="pool.insufficient",
    severity=_WARNING,
    messages={
        "en": "The pool holds {available} seats of '{item}' for {period}; {needed} are needed.",
        "es": "El stock tiene {available} licencias de '{item}' para {period}; se necesitan "
        "{needed}.",
    },
)


def _covers(pool: Pool, req: AssignmentRequest) -> bool:
    """Whether the pool holds the seats of each item an assignment takes (or does not
    track the item), read straight from its stock of the request's period: a new
    assignment's answer without building the pool's moves."""
    period = req.period
    if period is None or req.license_type is not _COMMERCIAL:
        return True
    stock, q = pool._stock.get(period._id), req.quantity
    if stock is None:
        return True
    have = stock.get(req.product)
    if have is not None and have < q:
        return False
    for mid, seats in req.modules.items():
        have = stock.get(mid)
        if have is not None and have < (q if seats is None else seats):
            return False
    return True


@rule(
    {"assign", "modify", "renew", "change_product", "convert_trial", "add_seats"},
    POOL_SHORT,
    needs_pool=True,
)
def rule_pool(ctx: RuleContext) -> Iterable[Finding]:
    """``pool.insufficient``: the operation takes more seats than the pool holds (C16).

    Its severity is the engine's ``pool_shortage`` setting (warning by default)."""
    pool = ctx.pool
    if pool is None:
        return _NONE
    op = ctx.op
    if type(op) is AssignmentRequest and _covers(pool, op):
        return _NONE
    try:
        moves = pool_moves(ctx)
    except (OverflowError, ValueError):
        return _NONE
    stock: dict[tuple[str, str], int] = {}  # balances after the moves so far
    out: list[Finding] = []
    for item, period, seats, _kind, _maintenance, field in moves:
        key = (item, period._id)
        if key in stock:
            have: int | None = stock[key]
        else:
            have = stock_of(pool, period).get(item)
        if have is None:  # not tracked: never limits
            continue
        if seats < 0 and have < -seats:
            params = {"item": item, "period": str(period), "needed": -seats, "available": have}
            out.append(POOL_SHORT._found(field, params))
        stock[key] = have + seats
    return out if out else _NONE


TERMS_CHANGED = CodeSpec(
    code="renewal.terms_changed",
    severity=_WARNING,
    messages={
        "en": "Renewing maintenance {maintenance} moves it from catalog release "
        "'{previous_release}' to '{release}', whose terms differ for it: {changes}.",
        "es": "Renovar el mantenimiento {maintenance} lo pasa de la versión del catálogo "
        "'{previous_release}' a '{release}', cuyas condiciones cambian para él: {changes}.",
    },
)
"""A renewal under a newer catalog release than the maintenance's: what changed for it
(``changes``: ``module:ID`` dropped, ``period:P`` no longer enabled,
``max_quantity:OLD->NEW``, ``grace_days:OLD->NEW``)."""


OVER_ENTITLEMENT = CodeSpec(
    code="usage.over_entitlement",
    severity=_WARNING,
    messages={
        "en": "{in_use} devices use '{item}', which has {entitled} seats in force.",
        "es": "{in_use} dispositivos usan '{item}', que tiene {entitled} licencias vigentes.",
    },
)
"""Found by :meth:`Engine.usage` (a view, not an operation rule)."""
