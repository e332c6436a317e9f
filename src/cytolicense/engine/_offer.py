"""What the add-product dialog may offer a client: built from :meth:`Engine.check`
itself, never from a second copy of the rules."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import attrs

from ..core._catalog import Catalog
from ..core._catalog_records import Product
from ..core._client_records import Client
from ..core._enums import LicenseType, ManagementMode, QuantityRule
from ..core._findings import Finding
from ..core._operations import AssignmentRequest
from ..core._period import Period
from ..core._pool import Pool
from ..views._offer import ModuleOffer, ProductOffer
from ._decider import Decider

__all__ = ["offer", "plans"]

_COMMERCIAL = LicenseType.COMMERCIAL
_CENTRALIZED = ManagementMode.CENTRALIZED


class _OfferPlan(NamedTuple):
    """What :meth:`Engine.offer` checks for one product: each licence type's minimal
    request, and per compatible module the same requests with it added."""

    product: Product
    minimal: tuple[tuple[LicenseType, AssignmentRequest], ...]
    modules: tuple[tuple[ModuleOffer, tuple[AssignmentRequest, ...]], ...]


def _within(errors: tuple[Finding, ...], before: tuple[Finding, ...]) -> bool:
    """Whether every finding of *errors* is among *before* (a module adds no error)."""
    return not errors or all(e in before for e in errors)


def _minimal(
    product: str, license_type: LicenseType, mode: ManagementMode, period: Period | None
) -> AssignmentRequest:
    """The contract's minimal request of a product and licence type."""
    return AssignmentRequest(
        product=product, license_type=license_type, quantity=1, period=period, management=mode
    )


def offer(
    engine: Decider,
    plans: tuple[_OfferPlan, ...],
    client: Client,
    today: dt.date,
    pool: Pool | None,
) -> tuple[ProductOffer, ...]:
    """:meth:`Engine.offer` under one release (the engine's catalog), *plans* being
    the engine's :func:`plans`."""
    offers: list[ProductOffer] = []
    check = engine.check
    for plan in plans:
        product = plan.product
        until = product.available_until
        if until is not None and until < today:
            continue
        allowed: list[LicenseType] = []
        refusals: dict[LicenseType, tuple[Finding, ...]] = {}
        errors_of: list[tuple[Finding, ...]] = []
        for lt, req in plan.minimal:
            errors = check(client, req, today, pool=pool).errors
            errors_of.append(errors)
            if errors:
                refusals[lt] = errors
            else:
                allowed.append(lt)
        modules = tuple(
            module
            for module, variants in plan.modules
            if all(
                _within(check(client, req, today, pool=pool).errors, before)
                for req, before in zip(variants, errors_of, strict=True)
            )
        )
        offers.append(
            ProductOffer(
                product=product.id,
                name=product.name,
                family=product.family,
                license_types=frozenset(allowed),
                periods=product.periods,
                enabled_periods=product.enabled,
                modules=modules,
                management_modes=product.management_modes,
                max_quantity=product.max_quantity,
                trial_max_quantity=product.trial_max_quantity,
                trial_days=product.trial_days,
                refusals=refusals,
            )
        )
    return tuple(offers)


def plans(catalog: Catalog) -> tuple[_OfferPlan, ...]:
    """Per product, the requests :meth:`Engine.offer` checks (they depend on the
    catalog alone)."""
    built = []
    for product in catalog.products.values():
        modes = sorted(product.management_modes, key=lambda m: m is not _CENTRALIZED)
        period = (product.enabled or product.periods or (None,))[0]
        minimal = tuple(
            (lt, _minimal(product.id, lt, modes[0], period if lt is _COMMERCIAL else None))
            for lt in sorted(product.license_types, key=lambda x: x.value)
        )
        modules = tuple(
            (
                ModuleOffer(module=m.id, name=m.name, quantity_rule=m.quantity_rule),
                tuple(
                    attrs.evolve(
                        req,
                        modules={m.id: None if m.quantity_rule is QuantityRule.LINKED else 1},
                    )
                    for _, req in minimal
                ),
            )
            for m in catalog.compatible_modules(product.id)
        )
        built.append(_OfferPlan(product, minimal, modules))
    return tuple(built)
