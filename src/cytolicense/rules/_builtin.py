"""The built-in rules, each declared in one place: the function, the operations it
applies to, and its codes with severity and English and Spanish messages.

:data:`BUILTIN_RULES` is what the internal plugin contributes through the
``cytolicense_rules`` hook; :data:`CODES` and the message tables of the docs are
generated from these declarations. Adding a rule is one block here.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Mapping

from ..core._dates import visible
from ..core._enums import LicenseType, QuantityRule, Severity, Status
from ..core._findings import CodeSpec, Finding
from ..core._operations import (
    AddSeats,
    AssignmentRequest,
    ChangeProduct,
    ConvertTrial,
    DeleteService,
    ExtendTrial,
    GroupSets,
    Renew,
    SetManagement,
)
from ..core._rulespec import ProductPlan, RuleContext, RuleSpec
from ._terms import group_sets, new_end, pool_moves

__all__ = ["BUILTIN", "BUILTIN_RULES", "CODES", "CODE_SPECS", "messages_table"]

BUILTIN = "cytolicense"
"""The name the built-in rules' plugin is registered under."""

_COMMERCIAL = LicenseType.COMMERCIAL
_TRIAL = LicenseType.TRIAL
_LINKED = QuantityRule.LINKED
_WARNING = Severity.WARNING
_NONE: tuple[Finding, ...] = ()
_SHOWN_DAYS = 90  # a client is shown while today - end < 90 days (RETENTION_DAYS)

_ALL = frozenset(
    {
        "assign",
        "modify",
        "set_management",
        "delete_service",
        "delete_client",
        "renew",
        "change_product",
        "convert_trial",
        "extend_trial",
        "group_sets",
        "add_seats",
    }
)
_ON_MAINTENANCE = _ALL - {"assign", "delete_client", "group_sets"}
_NEW_TERMS = frozenset({"assign", "change_product", "convert_trial"})

_rules: list[RuleSpec] = []


def rule(
    operations: Iterable[str],
    *codes: CodeSpec,
    relevant: Callable[[ProductPlan, LicenseType], bool] | None = None,
    needs_pool: bool = False,
) -> Callable[
    [Callable[[RuleContext], Iterable[Finding]]], Callable[[RuleContext], Iterable[Finding]]
]:
    """Declare a built-in rule (decorator): its operations and codes."""

    def register(
        check: Callable[[RuleContext], Iterable[Finding]],
    ) -> Callable[[RuleContext], Iterable[Finding]]:
        _rules.append(
            RuleSpec(
                check=check,
                operations=frozenset(operations),
                codes=codes,
                plugin=BUILTIN,
                relevant=relevant,
                needs_pool=needs_pool,
            )
        )
        return check

    return register


def _commercial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt is _COMMERCIAL


def _trial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt is _TRIAL


# -- every operation ------------------------------------------------------------------

BEFORE_HISTORY = CodeSpec(
    code="date.before_history",
    messages={
        "en": "Client '{client}' was last changed on {last_change}: an operation dated "
        "{today} would rewrite its history.",
        "es": "El cliente '{client}' se modificó por última vez el {last_change}: una "
        "operación con fecha {today} reescribiría su historial.",
    },
)


def before_history(ctx: RuleContext) -> Finding | None:
    """The ``date.before_history`` finding, when the operation is dated before the
    client's last change."""
    last = ctx.client.last_change
    if ctx.today < last:
        return BEFORE_HISTORY.finding(
            "today",
            {
                "client": ctx.client.id,
                "today": ctx.today.isoformat(),
                "last_change": last.isoformat(),
            },
        )
    return None


NOT_VISIBLE = CodeSpec(
    code="client.not_visible",
    messages={
        "en": {
            "ended": "Client '{client}' is no longer shown in the console: its services "
            "ended on {ended_on}, 90 days or more ago.",
            "never_served": "Client '{client}' is no longer shown in the console: it was "
            "added on {ended_on} and never had a service in the 90 days after.",
            "deleted": "Client '{client}' is no longer shown in the console: it was deleted "
            "on {ended_on}, 90 days or more ago.",
        },
        "es": {
            "ended": "El cliente '{client}' ya no se muestra en la consola: sus servicios "
            "terminaron el {ended_on}, hace 90 días o más.",
            "never_served": "El cliente '{client}' ya no se muestra en la consola: se dio de "
            "alta el {ended_on} y no tuvo ningún servicio en los 90 días siguientes.",
            "deleted": "El cliente '{client}' ya no se muestra en la consola: se eliminó el "
            "{ended_on}, hace 90 días o más.",
        },
    },
)


def client_not_visible(ctx: RuleContext) -> Finding:
    client = ctx.client
    if client.deleted_on is not None:
        reason = "deleted"
    elif not client.maintenances:
        reason = "never_served"
    else:
        reason = "ended"
    return NOT_VISIBLE.finding(
        None, {"client": client.id, "ended_on": client.ended_on.isoformat(), "reason": reason}
    )


@rule(_ALL - {"delete_client"}, BEFORE_HISTORY, NOT_VISIBLE)
def rule_client(ctx: RuleContext) -> Iterable[Finding]:
    """``date.before_history``: no operation is dated before the client's last change;
    ``client.not_visible``: the client left the console (deleted or inactive 90+ days)."""
    client, today = ctx.client, ctx.today
    # The usual case in two comparisons: dated after the last change, and the client
    # ended (or ends) less than 90 days before today.
    if client.deleted_on is None and (today - client._end).days < _SHOWN_DAYS:
        last = client.changed_on
        if last is not None and today >= last:
            return _NONE
    out = []
    history = before_history(ctx)
    if history is not None:
        out.append(history)
    if not visible(client, today):
        out.append(client_not_visible(ctx))
    return out


ALREADY_DELETED = CodeSpec(
    code="client.already_deleted",
    messages={
        "en": "Client '{client}' was already deleted on {deleted_on}.",
        "es": "El cliente '{client}' ya se eliminó el {deleted_on}.",
    },
)


@rule({"delete_client"}, BEFORE_HISTORY, ALREADY_DELETED, NOT_VISIBLE)
def rule_client_deletable(ctx: RuleContext) -> Iterable[Finding]:
    """``date.before_history``; ``client.already_deleted``, ``client.not_visible``:
    deleting a client twice, or one that left the console."""
    history = before_history(ctx)
    if history is not None:
        return (history, *_deletable(ctx))
    return _deletable(ctx)


def _deletable(ctx: RuleContext) -> tuple[Finding, ...]:
    client = ctx.client
    if client.deleted_on is not None and ctx.today >= client.deleted_on:
        return (
            ALREADY_DELETED.finding(
                None, {"client": client.id, "deleted_on": client.deleted_on.isoformat()}
            ),
        )
    if not visible(client, ctx.today):
        return (client_not_visible(ctx),)
    return _NONE


# -- the maintenance an operation acts on -----------------------------------------------

UNKNOWN_MAINTENANCE = CodeSpec(
    code="maintenance.unknown",
    messages={
        "en": "Client '{client}' has no maintenance '{maintenance}'.",
        "es": "El cliente '{client}' no tiene el mantenimiento '{maintenance}'.",
    },
)
NOT_ACTIVE = CodeSpec(
    code="maintenance.not_active",
    messages={
        "en": "Maintenance '{maintenance}' is {status}, not active.",
        "es": "El mantenimiento '{maintenance}' está {status}, no activo.",
    },
)
NOT_TRIAL = CodeSpec(
    code="conversion.not_trial",
    messages={
        "en": "Maintenance '{maintenance}' is not a trial: only a trial is converted or extended.",
        "es": "El mantenimiento '{maintenance}' no es una prueba: solo una prueba se "
        "convierte o se amplía.",
    },
)
RENEWAL_NOT_COMMERCIAL = CodeSpec(
    code="renewal.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: a trial is not renewed (convert it).",
        "es": "El mantenimiento '{maintenance}' es una prueba: una prueba no se renueva "
        "(conviértela).",
    },
)
NOT_COMMERCIAL = CodeSpec(
    code="maintenance.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: seats are added to a commercial "
        "maintenance only.",
        "es": "El mantenimiento '{maintenance}' es una prueba: solo se añaden licencias a un "
        "mantenimiento comercial.",
    },
)
CHANGE_NOT_ALLOWED = CodeSpec(
    code="change.not_allowed",
    messages={
        "en": {
            "trial": "Maintenance '{maintenance}' is a trial: convert it instead of "
            "changing its product.",
            "not_offered": "'{product}' cannot be changed to '{target}' (allowed: {allowed}).",
        },
        "es": {
            "trial": "El mantenimiento '{maintenance}' es una prueba: conviértela en lugar de "
            "cambiar su producto.",
            "not_offered": "'{product}' no se puede cambiar a '{target}' (permitidos: {allowed}).",
        },
    },
)

# Which states each operation accepts.
_IN_FORCE = frozenset({Status.ACTIVE, Status.GRACE})
_ACTIVE = frozenset({Status.ACTIVE})
_NOT_STOPPED = frozenset({Status.ACTIVE, Status.GRACE, Status.EXPIRED})


@rule(
    _ON_MAINTENANCE,
    UNKNOWN_MAINTENANCE,
    NOT_ACTIVE,
    NOT_TRIAL,
    RENEWAL_NOT_COMMERCIAL,
    NOT_COMMERCIAL,
    CHANGE_NOT_ALLOWED,
)
def rule_target(ctx: RuleContext) -> Iterable[Finding]:
    """The maintenance must exist and be in a state the operation accepts:
    ``maintenance.unknown``, ``maintenance.not_active``, ``conversion.not_trial``,
    ``renewal.not_commercial``, ``maintenance.not_commercial``, ``change.not_allowed``."""
    op, m = ctx.op, ctx.maintenance
    if m is None:
        wanted = getattr(op, "maintenance", "?")
        return (
            UNKNOWN_MAINTENANCE.finding(
                "maintenance", {"client": ctx.client.id, "maintenance": wanted}
            ),
        )
    state = m.status(ctx.today) if ctx.today >= m.starts_on else Status.ACTIVE
    params = {"maintenance": m.id}
    trial = m.license_type is _TRIAL
    if isinstance(op, ConvertTrial | ExtendTrial) and not trial:
        return (NOT_TRIAL.finding("maintenance", params),)
    if isinstance(op, Renew) and trial:
        return (RENEWAL_NOT_COMMERCIAL.finding("maintenance", params),)
    if isinstance(op, AddSeats) and trial:
        return (NOT_COMMERCIAL.finding("maintenance", params),)
    if isinstance(op, ChangeProduct) and trial:
        return (CHANGE_NOT_ALLOWED.finding("maintenance", {**params, "reason": "trial"}),)
    if isinstance(op, DeleteService):
        accepted = _NOT_STOPPED
    elif isinstance(op, Renew):
        accepted = _IN_FORCE
    else:
        accepted = _ACTIVE
    if state not in accepted:
        return (NOT_ACTIVE.finding("maintenance", {**params, "status": state.value}),)
    return _NONE


# -- the product and its terms ------------------------------------------------------------

PRODUCT_UNKNOWN = CodeSpec(
    code="product.unknown",
    messages={
        "en": {
            "": "Product '{product}' is not in the catalog (known: {known}).",
            "suggest": "Product '{product}' is not in the catalog: did you mean "
            "'{suggestion}'? (known: {known})",
        },
        "es": {
            "": "El producto '{product}' no está en el catálogo (existen: {known}).",
            "suggest": "El producto '{product}' no está en el catálogo: ¿quería decir "
            "'{suggestion}'? (existen: {known})",
        },
    },
)


def _unknown_params(kind: str, wanted: str, known: Iterable[str]) -> dict[str, object]:
    """Params of an unknown-id finding: the id, up to ten known ids, and the closest
    known id when one is close (``reason="suggest"``)."""
    ids = sorted(known)
    params: dict[str, object] = {
        kind: wanted,
        "known": tuple(ids[:10]) + (("...",) if len(ids) > 10 else ()),
    }
    close = difflib.get_close_matches(wanted, ids, n=1, cutoff=0.8)  # ids share prefixes
    if close:
        params["suggestion"] = close[0]
        params["reason"] = "suggest"
    return params


def _never(plan: ProductPlan, lt: LicenseType) -> bool:
    return False


@rule(
    {"assign", "modify", "change_product", "group_sets", "renew", "convert_trial", "add_seats"},
    PRODUCT_UNKNOWN,
    relevant=_never,
)
def rule_product_known(ctx: RuleContext) -> Iterable[Finding]:
    """``product.unknown``: the product is not in the catalog (for an operation on a
    maintenance: no longer; such a maintenance can still be viewed and deleted)."""
    op = ctx.op
    if ctx.maintenance is None and not isinstance(
        op, AssignmentRequest | GroupSets | ChangeProduct
    ):
        return _NONE  # maintenance.unknown says it
    if ctx.product is None:
        pid = getattr(op, "product", None) or (ctx.request.product if ctx.request else "?")
        params = _unknown_params("product", pid, ctx.catalog.products)
        return (PRODUCT_UNKNOWN.finding("product", params),)
    return _NONE


WITHDRAWN = CodeSpec(
    code="product.withdrawn",
    messages={
        "en": "Product '{product}' was withdrawn on {available_until}: it can no longer be "
        "sold, converted to, changed to or renewed.",
        "es": "El producto '{product}' se retiró el {available_until}: ya no se puede vender, "
        "convertir, cambiar a él ni renovar.",
    },
)


def _withdrawable(plan: ProductPlan, lt: LicenseType) -> bool:
    return plan.product.available_until is not None


@rule(
    {"assign", "change_product", "convert_trial", "renew", "add_seats"},
    WITHDRAWN,
    relevant=_withdrawable,
)
def rule_withdrawn(ctx: RuleContext) -> Iterable[Finding]:
    """``product.withdrawn``: the product's ``available_until`` has passed (C18)."""
    p = ctx.product
    if p is not None and p.available_until is not None and ctx.today > p.available_until:
        return (
            WITHDRAWN.finding(
                "product",
                {"product": p.id, "available_until": p.available_until.isoformat()},
            ),
        )
    return _NONE


NOT_OFFERED = CodeSpec(
    code="license_type.not_offered",
    messages={
        "en": "Product '{product}' is not offered with a {license_type} licence "
        "(offered: {offered}).",
        "es": "El producto '{product}' no se ofrece con licencias {license_type} "
        "(se ofrece con: {offered}).",
    },
)


def _type_not_offered(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt not in plan.offered


@rule(_NEW_TERMS, NOT_OFFERED, relevant=_type_not_offered)
def rule_license_type(ctx: RuleContext) -> Iterable[Finding]:
    """``license_type.not_offered``: the product is not sold with that licence type."""
    plan, req = ctx.plan, ctx.request
    if plan is not None and req is not None and req.license_type not in plan.offered:
        return (
            NOT_OFFERED.finding(
                "license_type",
                {
                    "product": plan.id,
                    "license_type": req.license_type.value,
                    "offered": plan.offered_text,
                },
            ),
        )
    return _NONE


QUANTITY_INVALID = CodeSpec(
    code="quantity.invalid",
    messages={
        "en": {
            "below_minimum": "Quantity {quantity} is not valid: assign at least 1 seat.",
            "above_maximum": "Quantity {quantity} is above the maximum of {maximum} seats "
            "for '{product}'.",
        },
        "es": {
            "below_minimum": "La cantidad {quantity} no es válida: asigna al menos 1 licencia.",
            "above_maximum": "La cantidad {quantity} supera el máximo de {maximum} licencias "
            "de '{product}'.",
        },
    },
)


@rule(_NEW_TERMS | {"modify", "add_seats"}, QUANTITY_INVALID)
def rule_quantity(ctx: RuleContext) -> Iterable[Finding]:
    """``quantity.invalid``: fewer than 1 seat, or more than the product's maximum."""
    req, plan, op = ctx.request, ctx.plan, ctx.op
    if req is None:
        return _NONE
    q = req.quantity
    if isinstance(op, AddSeats):
        q = op.quantity
        if q >= 1:
            q = req.quantity  # the maximum applies to the seats afterwards
    if q < 1:
        return (QUANTITY_INVALID.finding("quantity", {"quantity": q, "reason": "below_minimum"}),)
    if plan is not None and plan.max_quantity is not None and q > plan.max_quantity:
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
    return _NONE


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


@rule(
    _NEW_TERMS | {"renew", "add_seats"},
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
    req = ctx.request
    if req is not None and req.license_type is _TRIAL:
        return _NONE
    if isinstance(ctx.op, Renew) and ctx.maintenance is None:
        return _NONE
    period = ctx.period
    if period is None:
        return (PERIOD_REQUIRED.finding("period", {"product": plan.id, "allowed": plan.sold_text}),)
    key = (period.years, period.months)
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
            available = ended + dt.timedelta(days=plan.cooldown)
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


@rule(_NEW_TERMS, FAMILY, relevant=_commercial_only)
def rule_family(ctx: RuleContext) -> Iterable[Finding]:
    """``family.already_assigned``: a *different* commercial product of the family is active
    or in grace (C3, C10); more licence sets of the same product are allowed."""
    req, plan, today = ctx.request, ctx.plan, ctx.today
    if req is None or req.license_type is not _COMMERCIAL or plan is None:
        return _NONE
    family, pid = plan.family, plan.id
    plans = ctx.tables.plans if ctx.tables is not None else {}
    excluded = ctx.excluded
    for m in ctx.client.maintenances:
        # Cheapest tests first: most history has ended.
        if (
            m._until >= today
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
    out: list[Finding] = []
    q = req.quantity
    compatible = plan.modules if plan is not None else None
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
            TOO_EARLY.finding(
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
            CHANGE_NOT_ALLOWED.finding(
                "product",
                {
                    "product": m.product,
                    "target": op.product,
                    "allowed": allowed,
                    "reason": "not_offered",
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
        return (
            MODULES_DROPPED.finding("modules", {"product": ctx.product.id, "modules": dropped}),
        )
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
        return (EXTENSION_NOT_OFFERED.finding("maintenance", {"product": m.product}),)
    if m.extended_on is not None:
        return (
            ALREADY_EXTENDED.finding(
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
        "en": "Licence sets {first} and {other} of '{product}' differ in {differs}: only sets "
        "with the same management and modules are grouped.",
        "es": "Los conjuntos de licencias {first} y {other} de '{product}' difieren en "
        "{differs}: solo se agrupan conjuntos con la misma gestión y los mismos módulos.",
    },
)


@rule({"group_sets"}, NOTHING_TO_GROUP, SETS_DIFFER)
def rule_group(ctx: RuleContext) -> Iterable[Finding]:
    """``group.nothing_to_group``, ``group.sets_differ`` (C20)."""
    op = ctx.op
    if not isinstance(op, GroupSets) or ctx.product is None:
        return _NONE
    sets = group_sets(ctx)
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
                    },
                ),
            )
    return _NONE


_SAFE_YEAR = dt.date.max.year - 25  # ten-year grace/trial/extension caps, plus margin


def _far_from_the_end(ctx: RuleContext) -> bool:
    """Whether no date the operation computes can pass ``date.max``: the base day plus
    the period (in whole years, rounded up) stays below :data:`_SAFE_YEAR`."""
    m = ctx.maintenance
    base = ctx.today.year
    if m is not None and m.expires_on.year > base:
        base = m.expires_on.year
    period = ctx.period
    if period is not None:
        base += period.years + period.months // 12 + 1
    return base < _SAFE_YEAR


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
    if _far_from_the_end(ctx):
        return _NONE  # the usual case, decided without date arithmetic
    try:
        end = new_end(ctx)
        if end is not None and ctx.product is not None:
            end + dt.timedelta(days=ctx.product.grace_days)
    except (OverflowError, ValueError):
        return (OUT_OF_RANGE.finding("today", {"max": dt.date.max.isoformat()}),)
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
    try:
        moves = pool_moves(ctx)
    except (OverflowError, ValueError):
        return _NONE
    stock: dict[tuple[str, object], int | None] = {}
    out: list[Finding] = []
    for mv in moves:
        key = (mv.item, mv.period)
        if key not in stock:
            stock[key] = pool.seats(mv.item, mv.period)
        have = stock[key]
        if have is None:
            continue
        if mv.seats < 0 and have < -mv.seats:
            out.append(
                POOL_SHORT.finding(
                    mv.field,
                    {
                        "item": mv.item,
                        "period": str(mv.period),
                        "needed": -mv.seats,
                        "available": have,
                    },
                )
            )
        stock[key] = have + mv.seats
    return out


OVER_ENTITLEMENT = CodeSpec(
    code="usage.over_entitlement",
    severity=_WARNING,
    messages={
        "en": "{in_use} devices use '{item}', which has {entitled} seats in force.",
        "es": "{in_use} dispositivos usan '{item}', que tiene {entitled} licencias vigentes.",
    },
)
"""Found by :meth:`Engine.usage` (a view, not an operation rule)."""

BUILTIN_RULES: tuple[RuleSpec, ...] = tuple(_rules)
"""Every built-in rule, in the order they run."""

CODE_SPECS: Mapping[str, CodeSpec] = {
    **{c.code: c for r in BUILTIN_RULES for c in r.codes},
    OVER_ENTITLEMENT.code: OVER_ENTITLEMENT,
}
"""Every code the library finds -> its declaration."""

CODES: tuple[str, ...] = tuple(CODE_SPECS)
"""Every finding code the library itself produces (plugins may add their own)."""


def messages_table(language: str) -> dict[str, str]:
    """Code (``code#reason`` for worded reasons) -> template in *language*, for the docs."""
    table: dict[str, str] = {}
    for spec in CODE_SPECS.values():
        for reason, template in spec.templates(language).items():
            table[f"{spec.code}#{reason}" if reason else spec.code] = template
    return table
