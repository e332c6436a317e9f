"""Rules about the terms of an assignment (also of a change or a conversion): its seats,
its period, a trial's limits, the product's family, its modules and its management mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._client_records import Client
from ..core._enums import LicenseType
from ..core._findings import CodeSpec, Finding
from ..core._operations import (
    AddSeats,
    AssignmentRequest,
    GroupSets,
    Renew,
    ScheduleChange,
    SetManagement,
)
from ..core._period import Period
from ..core._rulespec import ProductPlan, RuleContext
from ..operations._sets import group_sets
from ._registry import (
    _COMMERCIAL,
    _LINKED,
    _NEW_TERMS,
    _NONE,
    _TRIAL,
    _WARNING,
    _commercial_only,
    _trial_only,
    _unknown_params,
    rule,
)

QUANTITY_INVALID = CodeSpec(
    code="quantity.invalid",
    messages={
        "en": {
            "below_minimum": "Quantity {quantity} is not valid: assign at least 1 seat.",
            "above_maximum": "Quantity {quantity} is above the maximum of {maximum} seats "
            "for '{product}'.",
        },
        "es": {
            "below_minimum": "La cantidad {quantity} no es válida: asigne al menos 1 licencia.",
            "above_maximum": "La cantidad {quantity} supera el máximo de {maximum} licencias "
            "de '{product}'.",
        },
    },
)


def _seats_within(q: int, plan: ProductPlan | None) -> bool:
    """At least one seat and at most the product's maximum (if it has one)."""
    return q >= 1 and (plan is None or plan.max_quantity is None or q <= plan.max_quantity)


@rule(
    _NEW_TERMS | {"modify", "add_seats", "group_sets", "renew", "schedule_change"},
    QUANTITY_INVALID,
)
def rule_quantity(ctx: RuleContext) -> Iterable[Finding]:
    """``quantity.invalid``: fewer than 1 seat, or more than the product's maximum
    (for a grouping, the grouped set's seats: their sum)."""
    req, plan, op = ctx.request, ctx.plan, ctx.op
    if isinstance(op, GroupSets):
        sets = group_sets(ctx)
        return _above_maximum(sum(s.quantity for s in sets), plan) if len(sets) >= 2 else _NONE
    if req is None:
        return _NONE
    q = req.quantity
    if type(op) is AssignmentRequest and _seats_within(q, plan):
        return _NONE  # the usual case
    if isinstance(op, AddSeats):
        q = op.quantity
        if q >= 1:
            q = req.quantity  # the maximum applies to the seats afterwards
    if q < 1:
        return (QUANTITY_INVALID.finding("quantity", {"quantity": q, "reason": "below_minimum"}),)
    return _above_maximum(q, plan)


def _above_maximum(q: int, plan: ProductPlan | None) -> Iterable[Finding]:
    """``quantity.invalid`` when *q* seats are more than the product's maximum."""
    if plan is None or plan.max_quantity is None or q <= plan.max_quantity:
        return _NONE
    return (
        QUANTITY_INVALID.finding(
            "quantity",
            {
                "quantity": q,
                "maximum": plan.max_quantity,
                "product": plan.id,
                "reason": "above_maximum",
            },
        ),
    )


NOT_APPLICABLE = CodeSpec(
    code="period.not_applicable",
    messages={
        "en": "A trial lasts a fixed {trial_days} days: a period ({period}) cannot be chosen.",
        "es": "Una licencia de prueba dura {trial_days} días fijos: no se puede elegir un "
        "periodo ({period}).",
    },
)


@rule({"assign"}, NOT_APPLICABLE, relevant=_trial_only)
def rule_trial_period(ctx: RuleContext) -> Iterable[Finding]:
    """``period.not_applicable``: a trial has a fixed length, it takes no period."""
    req, plan = ctx.request, ctx.plan
    if req is not None and req.license_type is _TRIAL and req.period is not None:
        return (
            NOT_APPLICABLE.finding(
                "period",
                {
                    "period": str(req.period),
                    "trial_days": plan.trial_days if plan is not None else None,
                },
            ),
        )
    return _NONE


PERIOD_REQUIRED = CodeSpec(
    code="period.required",
    messages={
        "en": "A commercial licence of '{product}' needs a period (sold: {allowed}).",
        "es": "Una licencia comercial de '{product}' necesita un periodo (a la venta: {allowed}).",
    },
)
PERIOD_INVALID = CodeSpec(
    code="period.invalid",
    messages={
        "en": "Period {period} is not sold for '{product}' (sold: {allowed}).",
        "es": "El periodo {period} no está a la venta para '{product}' (a la venta: {allowed}).",
    },
)
NOT_ENABLED = CodeSpec(
    code="period.not_enabled",
    severity=_WARNING,
    messages={
        "en": "Period {period} is not enabled by the vendor for your use of '{product}' "
        "(enabled: {enabled}); the assignment goes ahead.",
        "es": "El periodo {period} no está habilitado por el fabricante para su uso con "
        "'{product}' (habilitados: {enabled}); la asignación se realiza igualmente.",
    },
)


def _enabled(period: Period | None, plan: ProductPlan) -> bool:
    """A period sold and enabled for the product."""
    return period is not None and period._id in plan.enabled


@rule(
    _NEW_TERMS | {"renew", "add_seats", "schedule_change"},
    PERIOD_REQUIRED,
    PERIOD_INVALID,
    NOT_ENABLED,
    relevant=_commercial_only,
)
def rule_period(ctx: RuleContext) -> Iterable[Finding]:
    """Commercial: ``period.required``, ``period.invalid``, ``period.not_enabled`` (warning)."""
    plan = ctx.plan
    if plan is None:
        return _NONE
    period = ctx.period
    if _enabled(period, plan):
        return _NONE  # the usual case: sold and enabled
    req = ctx.request
    if req is not None and req.license_type is _TRIAL:
        return _NONE
    if isinstance(ctx.op, Renew | ScheduleChange) and ctx.maintenance is None:
        return _NONE
    if period is None:
        return (PERIOD_REQUIRED.finding("period", {"product": plan.id, "allowed": plan.sold_text}),)
    key = period._id
    if key not in plan.sold:
        return (
            PERIOD_INVALID.finding(
                "period", {"period": str(period), "product": plan.id, "allowed": plan.sold_text}
            ),
        )
    if key not in plan.enabled:
        return (
            NOT_ENABLED.finding(
                "period",
                {"period": str(period), "product": plan.id, "enabled": plan.enabled_text},
            ),
        )
    return _NONE


TRIAL_CAP = CodeSpec(
    code="trial.quantity_exceeded",
    messages={
        "en": "A trial of '{product}' allows at most {maximum} seats; {quantity} requested.",
        "es": "Una prueba de '{product}' admite como máximo {maximum} licencias; se han pedido "
        "{quantity}.",
    },
)


def _capped_trial(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt is _TRIAL and plan.trial_cap is not None


@rule({"assign", "modify"}, TRIAL_CAP, relevant=_capped_trial)
def rule_trial_cap(ctx: RuleContext) -> Iterable[Finding]:
    """``trial.quantity_exceeded``: a trial above the product's trial seat cap."""
    req, plan = ctx.request, ctx.plan
    if (
        req is not None
        and req.license_type is _TRIAL
        and plan is not None
        and plan.trial_cap is not None
        and req.quantity > plan.trial_cap
    ):
        return (
            TRIAL_CAP.finding(
                "quantity",
                {"product": plan.id, "quantity": req.quantity, "maximum": plan.trial_cap},
            ),
        )
    return _NONE


TRIAL_USED = CodeSpec(
    code="trial.already_used",
    messages={
        "en": {
            "active": "A trial of '{product}' is already active (maintenance {maintenance}, "
            "until {expires_on}).",
            "cooldown": "A trial of '{product}' ended on {ended_on}; a new trial is possible "
            "from {available_on}.",
        },
        "es": {
            "active": "Ya hay una prueba activa de '{product}' (mantenimiento {maintenance}, "
            "hasta el {expires_on}).",
            "cooldown": "Una prueba de '{product}' terminó el {ended_on}; se podrá asignar otra "
            "a partir del {available_on}.",
        },
    },
)


@rule({"assign"}, TRIAL_USED, relevant=_trial_only)
def rule_trial_history(ctx: RuleContext) -> Iterable[Finding]:
    """``trial.already_used``: a trial of the product is active or ended < cool-down ago."""
    req, plan, today = ctx.request, ctx.plan, ctx.today
    if req is None or req.license_type is not _TRIAL or plan is None:
        return _NONE
    pid = plan.id
    for m in ctx.client.maintenances:
        if m.product != pid or m.license_type is not _TRIAL:
            continue
        if m.is_active(today):
            return (
                TRIAL_USED.finding(
                    "license_type",
                    {
                        "product": pid,
                        "maintenance": m.id,
                        "expires_on": m.expires_on.isoformat(),
                        "reason": "active",
                    },
                ),
            )
        ended = m.ended_on
        if ended <= today and (today - ended).days < plan.cooldown:
            # The calendar's last day when the cool-down outlasts it (no later day exists).
            left = (dt.date.max - ended).days
            available = ended + dt.timedelta(days=min(plan.cooldown, left))
            return (
                TRIAL_USED.finding(
                    "license_type",
                    {
                        "product": pid,
                        "maintenance": m.id,
                        "ended_on": ended.isoformat(),
                        "available_on": available.isoformat(),
                        "reason": "cooldown",
                    },
                ),
            )
    return _NONE


FAMILY = CodeSpec(
    code="family.already_assigned",
    messages={
        "en": "The client already has a commercial product of family '{family}' in force: "
        "'{existing_product}' (maintenance {maintenance}).",
        "es": "El cliente ya tiene un producto comercial vigente de la familia '{family}': "
        "'{existing_product}' (mantenimiento {maintenance}).",
    },
)


def _no_rival_in_force(client: Client, today: dt.date, plan: ProductPlan) -> bool:
    """No other product of the family has a commercial line in force on *today*, by
    the client's kept lines (per product, the commercial line in force the longest):
    one per product the client ever bought commercially, not every maintenance."""
    ends = client._commercial_ends
    if ends is None:
        return True
    rivals = plan.rivals
    if not isinstance(ends, tuple):  # one product: the line itself, no tuple built
        return ends.product not in rivals or ends._until < today  # type: ignore[operator]
    return not any(m.product in rivals and m._until >= today for m in ends)  # type: ignore[operator]


@rule(_NEW_TERMS, FAMILY, relevant=_commercial_only)
def rule_family(ctx: RuleContext) -> Iterable[Finding]:
    """``family.already_assigned``: a *different* commercial product of the family is active
    or in grace (C3, C10); more licence sets of the same product are allowed."""
    req, plan, today = ctx.request, ctx.plan, ctx.today
    if req is None or req.license_type is not _COMMERCIAL or plan is None:
        return _NONE
    if _no_rival_in_force(ctx.client, today, plan):
        return _NONE  # the kept lines, not every line
    family, pid = plan.family, plan.id
    plans = ctx.tables.plans if ctx.tables is not None else {}
    excluded = ctx.excluded
    for m in ctx.client.maintenances:
        # Cheapest tests first: most history has ended.
        if (
            (until := m._until) is not None
            and until >= today
            and m.product != pid
            and m.license_type is _COMMERCIAL
            and m.starts_on <= today
            and m.id not in excluded
            and (other := plans.get(m.product)) is not None
            and other.family == family
        ):
            return (
                FAMILY.finding(
                    "product",
                    {
                        "family": family,
                        "product": pid,
                        "existing_product": m.product,
                        "maintenance": m.id,
                    },
                ),
            )
    return _NONE


MODULE_UNKNOWN = CodeSpec(
    code="module.unknown",
    messages={
        "en": {
            "": "Module '{module}' is not in the catalog (known: {known}).",
            "suggest": "Module '{module}' is not in the catalog: did you mean "
            "'{suggestion}'? (known: {known})",
        },
        "es": {
            "": "El módulo '{module}' no está en el catálogo (existen: {known}).",
            "suggest": "El módulo '{module}' no está en el catálogo: ¿quería decir "
            "'{suggestion}'? (existen: {known})",
        },
    },
)
MODULE_INCOMPATIBLE = CodeSpec(
    code="module.incompatible",
    messages={
        "en": "Module '{module}' cannot be added to '{product}' (compatible: {compatible}).",
        "es": "El módulo '{module}' no se puede añadir a '{product}' (compatibles: {compatible}).",
    },
)
MODULE_FIXED = CodeSpec(
    code="module.quantity_fixed",
    messages={
        "en": "Module '{module}' always has the product's {product_quantity} seats; "
        "{quantity} cannot be chosen.",
        "es": "El módulo '{module}' tiene siempre las {product_quantity} licencias del "
        "producto; no se pueden indicar {quantity}.",
    },
)
MODULE_REQUIRED = CodeSpec(
    code="module.quantity_required",
    messages={
        "en": "Module '{module}' needs its own quantity, from 1 to the product's "
        "{product_quantity}.",
        "es": "El módulo '{module}' necesita su propia cantidad, de 1 a las {product_quantity} "
        "del producto.",
    },
)
MODULE_INVALID = CodeSpec(
    code="module.quantity_invalid",
    messages={
        "en": "Module '{module}' seats must be from 1 to the product's {product_quantity}; "
        "{quantity} given.",
        "es": "Las licencias del módulo '{module}' deben ir de 1 a las {product_quantity} del "
        "producto; se han indicado {quantity}.",
    },
)


@rule(
    _NEW_TERMS | {"modify"},
    MODULE_UNKNOWN,
    MODULE_INCOMPATIBLE,
    MODULE_FIXED,
    MODULE_REQUIRED,
    MODULE_INVALID,
)
def rule_modules(ctx: RuleContext) -> Iterable[Finding]:
    """``module.unknown``, ``module.incompatible``, ``module.quantity_fixed``,
    ``module.quantity_required``, ``module.quantity_invalid`` (C1, D5)."""
    req, plan = ctx.request, ctx.plan
    if req is None or not req.modules:
        return _NONE
    q = req.quantity
    compatible = plan.modules if plan is not None else None
    out: list[Finding] = []
    known = ctx.tables.known_modules if ctx.tables is not None else frozenset()
    for mid, seats in req.modules.items():  # sorted by id when the request was built
        qrule = compatible.get(mid) if compatible is not None else None
        if qrule is None:
            if mid not in known:
                out.append(
                    MODULE_UNKNOWN.finding(
                        f"modules.{mid}", _unknown_params("module", mid, ctx.catalog.modules)
                    )
                )
                continue
            if plan is not None:
                out.append(
                    MODULE_INCOMPATIBLE.finding(
                        f"modules.{mid}",
                        {"module": mid, "product": plan.id, "compatible": plan.compatible},
                    )
                )
                continue
            qrule = ctx.catalog.modules[mid].quantity_rule
        if qrule is _LINKED:
            if seats is not None and seats != q:
                out.append(
                    MODULE_FIXED.finding(
                        f"modules.{mid}", {"module": mid, "quantity": seats, "product_quantity": q}
                    )
                )
        elif seats is None:
            out.append(
                MODULE_REQUIRED.finding(f"modules.{mid}", {"module": mid, "product_quantity": q})
            )
        elif seats < 1 or seats > q:
            out.append(
                MODULE_INVALID.finding(
                    f"modules.{mid}", {"module": mid, "quantity": seats, "product_quantity": q}
                )
            )
    return out


MANAGEMENT = CodeSpec(
    code="management.unsupported",
    messages={
        "en": "Product '{product}' does not support {management} management "
        "(supported: {supported}).",
        "es": "El producto '{product}' no admite la gestión {management} (admite: {supported}).",
    },
)


def _some_modes(plan: ProductPlan, lt: LicenseType) -> bool:
    return not plan.all_modes


@rule(_NEW_TERMS | {"set_management"}, MANAGEMENT, relevant=_some_modes)
def rule_management(ctx: RuleContext) -> Iterable[Finding]:
    """``management.unsupported``: the product does not support that management mode."""
    plan, op = ctx.plan, ctx.op
    if plan is None:
        return _NONE
    if isinstance(op, SetManagement):
        if ctx.maintenance is None:
            return _NONE
        mode = op.mode
    elif ctx.request is not None:
        mode = ctx.request.management
    else:
        return _NONE
    if mode not in plan.modes:
        return (
            MANAGEMENT.finding(
                "management",
                {"product": plan.id, "management": mode.value, "supported": plan.modes_text},
            ),
        )
    return _NONE
