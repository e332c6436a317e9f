"""Rules about the product of an assignment (also of a change, a conversion or an
operation on a maintenance): known to the catalog, still sold, sold with that licence
type. They run before the rules about the terms (:mod:`._assignment`)."""

from __future__ import annotations

from collections.abc import Iterable

from ..core._enums import LicenseType
from ..core._findings import CodeSpec, Finding
from ..core._operations import AssignmentRequest, ChangeProduct, GroupSets
from ..core._rulespec import ProductPlan, RuleContext
from ._registry import _NEW_TERMS, _NONE, _unknown_params, rule

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


def _never(plan: ProductPlan, lt: LicenseType) -> bool:
    return False


@rule(
    {
        "assign",
        "modify",
        "change_product",
        "group_sets",
        "renew",
        "convert_trial",
        "add_seats",
        "set_auto_renew",
        "schedule_change",
    },
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
