"""The rules of an assignment, each a small named unit.

Built-in rules are plain functions ``rule(tables, plan, client, request, today, out)``
that append findings to ``out``; :class:`Engine` runs them in order. The
per-product facts they need are computed once per engine (:class:`ProductPlan`),
so a check does no catalog lookups beyond one dictionary get.

Plugins add rules through the ``cytolicense_rules`` hook: callables taking a
:class:`RuleContext` and returning findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ..core._dates import visible
from ..core._enums import LicenseType, ManagementMode, QuantityRule, Severity
from ..core._findings import Finding, make_finding
from ..core._period import Period

if TYPE_CHECKING:
    from ..core._catalog import Catalog
    from ..core._catalog_records import Product
    from ..core._client_records import Client, Maintenance
    from ..core._request import AssignmentRequest

__all__ = ["PluginRule", "ProductPlan", "Rule", "RuleContext", "Tables"]

_COMMERCIAL = LicenseType.COMMERCIAL
_TRIAL = LicenseType.TRIAL
_LINKED = QuantityRule.LINKED
_WARNING = Severity.WARNING


@attrs.frozen(kw_only=True, slots=True)
class RuleContext:
    """What a plugin rule is given.

    Attributes:
        operation: ``"assign"`` or ``"modify"``.
        catalog: The engine's catalog.
        client: The client as it is before the operation.
        request: The assignment asked for; for ``modify``, the maintenance as it
            would be afterwards, expressed as a request.
        product: The requested product, or ``None`` when unknown to the catalog.
        maintenance: For ``modify``, the maintenance being changed.
        today: The day of the operation.
    """

    operation: str
    catalog: Catalog
    client: Client
    request: AssignmentRequest
    product: Product | None
    maintenance: Maintenance | None
    today: dt.date


Rule = Callable[[RuleContext], Iterable[Finding]]
"""A plugin rule: returns the findings it has about the context (often none)."""


@attrs.frozen(slots=True)
class PluginRule:
    """A rule and the name of the plugin that contributed it."""

    plugin: str
    rule: Rule

    @property
    def name(self) -> str:
        """The rule's name, for error messages."""
        return getattr(self.rule, "__qualname__", None) or repr(self.rule)


def _texts(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(getattr(v, "value", v)) for v in values)


class ProductPlan:
    """Everything the rules need to know about one product, computed once."""

    __slots__ = (
        "commercial_rules",
        "compatible",
        "cooldown",
        "enabled",
        "enabled_text",
        "family",
        "id",
        "max_quantity",
        "modes",
        "modes_text",
        "modules",
        "offered",
        "offered_text",
        "product",
        "sold",
        "sold_text",
        "trial_cap",
        "trial_days",
        "trial_rules",
    )

    def __init__(
        self, product: Product, catalog: Catalog, partner_enabled: Iterable[Period] | None
    ) -> None:
        self.product = product
        self.id = product.id
        self.family = product.family
        self.offered = tuple(product.license_types)  # tuples: `in` checks identity first
        self.offered_text = tuple(sorted(_texts(product.license_types)))
        self.sold = frozenset((p.years, p.months) for p in product.periods)
        self.sold_text = _texts(product.periods)
        enabled = set(product.enabled)
        if partner_enabled is not None:
            enabled &= set(partner_enabled)
        self.enabled = frozenset((p.years, p.months) for p in enabled)
        self.enabled_text = _texts(p for p in product.periods if p in enabled)
        self.modules: Mapping[str, QuantityRule] = {
            m: catalog.modules[m].quantity_rule for m in product.modules
        }
        self.compatible = tuple(sorted(product.modules))
        self.modes = tuple(product.management_modes)
        self.modes_text = tuple(sorted(_texts(product.management_modes)))
        self.max_quantity = product.max_quantity
        self.trial_cap = product.trial_max_quantity
        self.trial_days = product.trial_days
        self.cooldown = product.trial_cooldown_days
        self.commercial_rules = rules_for(self, _COMMERCIAL)
        self.trial_rules = rules_for(self, _TRIAL)


class Tables:
    """The engine's precomputed view of the catalog, shared by the rules."""

    __slots__ = ("catalog", "known_modules", "plans")

    def __init__(
        self, catalog: Catalog, enabled_periods: Mapping[str, Iterable[Period]] | None
    ) -> None:
        self.catalog = catalog
        self.known_modules = frozenset(catalog.modules)
        partner = enabled_periods or {}
        self.plans: dict[str, ProductPlan] = {
            pid: ProductPlan(p, catalog, partner.get(pid)) for pid, p in catalog.products.items()
        }


Builtin = Callable[
    [Tables, "ProductPlan | None", "Client", "AssignmentRequest", dt.date, list[Finding]], None
]


def rule_client_visible(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``client.not_visible``: the client left the console (deleted or inactive 90+ days)."""
    if not visible(client, today):
        out.append(client_not_visible(client))


def client_not_visible(client: Client) -> Finding:
    """The ``client.not_visible`` finding (shared with the engine's operations)."""
    return make_finding(
        "client.not_visible", None, {"client": client.id, "ended_on": client.ended_on.isoformat()}
    )


def rule_product_known(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``product.unknown``: the product is not in the catalog."""
    if plan is None:
        out.append(make_finding("product.unknown", "product", {"product": req.product}))


def rule_license_type(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``license_type.not_offered``: the product is not sold with that licence type."""
    if plan is not None and req.license_type not in plan.offered:
        out.append(
            make_finding(
                "license_type.not_offered",
                "license_type",
                {
                    "product": plan.id,
                    "license_type": req.license_type.value,
                    "offered": plan.offered_text,
                },
            )
        )


def rule_quantity(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``quantity.invalid``: fewer than 1 seat, or more than the product's maximum."""
    q = req.quantity
    if q < 1:
        out.append(
            make_finding("quantity.invalid", "quantity", {"quantity": q, "reason": "below_minimum"})
        )
    elif plan is not None and plan.max_quantity is not None and q > plan.max_quantity:
        out.append(
            make_finding(
                "quantity.invalid",
                "quantity",
                {
                    "quantity": q,
                    "maximum": plan.max_quantity,
                    "product": plan.id,
                    "reason": "above_maximum",
                },
            )
        )


def rule_trial_period(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``period.not_applicable``: a trial has a fixed length, it takes no period."""
    period = req.period
    if req.license_type is _TRIAL and period is not None:
        out.append(
            make_finding(
                "period.not_applicable",
                "period",
                {
                    "period": str(period),
                    "trial_days": plan.trial_days if plan is not None else None,
                },
            )
        )


def rule_period(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """Commercial: ``period.required``, ``period.invalid``, ``period.not_enabled`` (warning)."""
    if plan is None or req.license_type is _TRIAL:
        return
    period = req.period
    if period is None:
        out.append(
            make_finding(
                "period.required", "period", {"product": plan.id, "allowed": plan.sold_text}
            )
        )
    elif (key := (period.years, period.months)) not in plan.sold:
        out.append(
            make_finding(
                "period.invalid",
                "period",
                {"period": str(period), "product": plan.id, "allowed": plan.sold_text},
            )
        )
    elif key not in plan.enabled:
        out.append(
            make_finding(
                "period.not_enabled",
                "period",
                {"period": str(period), "product": plan.id, "enabled": plan.enabled_text},
                _WARNING,
            )
        )


def rule_trial_cap(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``trial.quantity_exceeded``: a trial above the product's trial seat cap."""
    if (
        req.license_type is _TRIAL
        and plan is not None
        and plan.trial_cap is not None
        and req.quantity > plan.trial_cap
    ):
        out.append(
            make_finding(
                "trial.quantity_exceeded",
                "quantity",
                {"product": plan.id, "quantity": req.quantity, "maximum": plan.trial_cap},
            )
        )


def rule_trial_history(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``trial.already_used``: a trial of the product is active or ended < cool-down ago."""
    if req.license_type is not _TRIAL or plan is None:
        return
    pid = plan.id
    for m in client.maintenances:
        if m.product != pid or m.license_type is not _TRIAL:
            continue
        if m.is_active(today):
            out.append(
                make_finding(
                    "trial.already_used",
                    "license_type",
                    {
                        "product": pid,
                        "maintenance": m.id,
                        "expires_on": m.expires_on.isoformat(),
                        "reason": "active",
                    },
                )
            )
            return
        ended = m.ended_on
        if ended <= today and (today - ended).days < plan.cooldown:
            available = ended + dt.timedelta(days=plan.cooldown)
            out.append(
                make_finding(
                    "trial.already_used",
                    "license_type",
                    {
                        "product": pid,
                        "maintenance": m.id,
                        "ended_on": ended.isoformat(),
                        "available_on": available.isoformat(),
                        "reason": "cooldown",
                    },
                )
            )
            return


def rule_family(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``family.already_assigned``: another commercial product of the family is active (C3)."""
    if req.license_type is not _COMMERCIAL or plan is None:
        return
    family = plan.family
    plans = t.plans
    for m in client.maintenances:
        # Cheapest test first: most history has expired.
        if (
            m.expires_on >= today
            and m.license_type is _COMMERCIAL
            and m.is_active(today)
            and (other := plans.get(m.product)) is not None
            and other.family == family
        ):
            out.append(
                make_finding(
                    "family.already_assigned",
                    "product",
                    {
                        "family": family,
                        "product": plan.id,
                        "existing_product": m.product,
                        "maintenance": m.id,
                    },
                )
            )
            return


def rule_modules(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``module.unknown``, ``module.incompatible``, ``module.quantity_fixed``,
    ``module.quantity_required``, ``module.quantity_invalid`` (C1, D5)."""
    wanted = req.modules
    if not wanted:
        return
    q = req.quantity
    compatible = plan.modules if plan is not None else None
    for mid, seats in wanted.items():  # sorted by id when the request was built
        rule = compatible.get(mid) if compatible is not None else None
        if rule is None:
            if mid not in t.known_modules:
                out.append(make_finding("module.unknown", f"modules.{mid}", {"module": mid}))
                continue
            if plan is not None:
                out.append(
                    make_finding(
                        "module.incompatible",
                        f"modules.{mid}",
                        {"module": mid, "product": plan.id, "compatible": plan.compatible},
                    )
                )
                continue
            rule = t.catalog.modules[mid].quantity_rule
        if rule is _LINKED:
            if seats is not None and seats != q:
                out.append(
                    make_finding(
                        "module.quantity_fixed",
                        f"modules.{mid}",
                        {"module": mid, "quantity": seats, "product_quantity": q},
                    )
                )
        elif seats is None:
            out.append(
                make_finding(
                    "module.quantity_required",
                    f"modules.{mid}",
                    {"module": mid, "product_quantity": q},
                )
            )
        elif seats < 1 or seats > q:
            out.append(
                make_finding(
                    "module.quantity_invalid",
                    f"modules.{mid}",
                    {"module": mid, "quantity": seats, "product_quantity": q},
                )
            )


def rule_management(
    t: Tables,
    plan: ProductPlan | None,
    client: Client,
    req: AssignmentRequest,
    today: dt.date,
    out: list[Finding],
) -> None:
    """``management.unsupported``: the product does not support that management mode."""
    if plan is not None and req.management not in plan.modes:
        out.append(management_unsupported(plan, req.management))


def management_unsupported(plan: ProductPlan, mode: ManagementMode) -> Finding:
    return make_finding(
        "management.unsupported",
        "management",
        {"product": plan.id, "management": mode.value, "supported": plan.modes_text},
    )


def _without(rules: tuple[Builtin, ...], *skip: Builtin) -> tuple[Builtin, ...]:
    return tuple(r for r in rules if r not in skip)


ASSIGN_RULES: tuple[Builtin, ...] = (
    rule_client_visible,
    rule_product_known,
    rule_license_type,
    rule_quantity,
    rule_trial_period,
    rule_period,
    rule_trial_cap,
    rule_trial_history,
    rule_family,
    rule_modules,
    rule_management,
)
"""The rules :meth:`Engine.check` runs, in order."""

COMMERCIAL_RULES = _without(ASSIGN_RULES, rule_trial_period, rule_trial_cap, rule_trial_history)
"""The assignment rules that apply to a commercial request (the others would return at once)."""
TRIAL_RULES = _without(ASSIGN_RULES, rule_period, rule_family)
"""The assignment rules that apply to a trial request."""


def rules_for(plan: ProductPlan, license_type: LicenseType) -> tuple[Builtin, ...]:
    """The assignment rules that can find something for this product and licence type.

    Computed once per product: a known product never needs ``product.unknown``; a
    licence type it offers never needs ``license_type.not_offered``; a product
    supporting every management mode never needs ``management.unsupported``; a
    trial without a seat cap never needs ``trial.quantity_exceeded``.
    """
    skip: set[Builtin] = {rule_product_known}
    if license_type in plan.offered:
        skip.add(rule_license_type)
    if len(plan.modes) == len(ManagementMode):
        skip.add(rule_management)
    if plan.trial_cap is None:
        skip.add(rule_trial_cap)
    rules = TRIAL_RULES if license_type is _TRIAL else COMMERCIAL_RULES
    return _without(rules, *skip)


MODIFY_RULES: tuple[Builtin, ...] = (
    rule_product_known,
    rule_quantity,
    rule_trial_cap,
    rule_modules,
)
"""The rules :meth:`Engine.modify` runs on the maintenance as it would become."""
