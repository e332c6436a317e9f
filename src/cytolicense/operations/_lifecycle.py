"""A commercial licence's life: renewing it (:class:`Renew`, kind ``renew``) and
replacing it by another product of its family (:class:`ChangeProduct`, kind
``change_product``), with their own rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._dates import commercial_expiry
from ..core._enums import Severity, Status
from ..core._events import MaintenanceRenewed, ProductChanged
from ..core._findings import CodeSpec, Finding
from ..core._line_records import NoticeState
from ..core._maintenance import Maintenance
from ..core._messages import period_words, tr
from ..core._operations import AssignmentRequest, ChangeProduct, Renew
from ..core._period import Period
from ..core._rulespec import RuleContext, RuleSpec
from ._family import (
    COMMERCIAL,
    IN_FORCE,
    NONE,
    TRIAL,
    Action,
    EventWords,
    Family,
    Kind,
    OperationWords,
    Terms,
    Who,
    Written,
    modules_of,
    new_maintenance,
    next_id,
    replacing,
    rule_into,
    terms,
)
from ._returns import added_lot, ended_moves
from ._terms import Move, request_seats, taken
from ._words import line

__all__ = ["CHANGE_NOT_ALLOWED", "FAMILY", "dropped_modules"]

_rules: list[RuleSpec] = []
rule = rule_into(_rules)

RENEWAL_NOT_COMMERCIAL = CodeSpec(
    code="renewal.not_commercial",
    messages={
        "en": "Maintenance '{maintenance}' is a trial: a trial is not renewed (convert it).",
        "es": "El mantenimiento '{maintenance}' es una prueba: una prueba no se renueva "
        "(conviértela).",
    },
)
CHANGE_NOT_ALLOWED = CodeSpec(
    code="change.not_allowed",
    messages={
        "en": {
            "trial": "Maintenance '{maintenance}' is a trial: convert it instead of "
            "changing its product.",
            "not_offered": "'{product}' cannot be changed to '{target}' (allowed: {allowed}).",
            "no_changes": "'{product}' cannot be changed to another product: the catalog "
            "allows no change from it.",
        },
        "es": {
            "trial": "El mantenimiento '{maintenance}' es una prueba: conviértala en lugar de "
            "cambiar su producto.",
            "not_offered": "'{product}' no se puede cambiar a '{target}' (permitidos: {allowed}).",
            "no_changes": "'{product}' no se puede cambiar a otro producto: el catálogo no "
            "permite ningún cambio desde él.",
        },
    },
)

# -- renewing -------------------------------------------------------------------------


def _renew_terms(catalog: Catalog, op: Renew, m: Maintenance | None) -> Terms:
    if m is None:
        return Terms(None)
    period = op.period if op.period is not None else m.period
    if op.quantity is None or m.license_type is not COMMERCIAL:
        return Terms(m.product, None, period)
    # Another number of seats: judged as the terms the renewal leaves.
    return Terms(m.product, renewed_terms(catalog, m, op.quantity, period), period)


def renewed_terms(
    catalog: Catalog, m: Maintenance, quantity: int, period: Period | None
) -> AssignmentRequest:
    """*m* renewed with *quantity* seats for *period*, as an assignment: linked modules
    follow the seats, an independent one keeps its own (at most the new seats)."""
    return terms(
        product=m.product,
        license_type=m.license_type,
        quantity=quantity,
        period=period,
        modules={
            k: (v if v is None else max(1, min(v, quantity)))
            for k, v in modules_of(catalog, m).items()
        },
        management=m.management,
    )


def _renew_end(ctx: RuleContext) -> dt.date | None:
    """The old end plus the renewal's term."""
    m, period = ctx.maintenance, ctx.period
    if m is None or period is None:
        return None
    try:
        end: dt.date = m.expires_on + period.delta
    except ValueError as exc:
        raise OverflowError(str(exc)) from None
    return end


def _renew_moves(ctx: RuleContext) -> list[Move]:
    """The renewed seats, product and modules, for the renewal's term."""
    m = ctx.maintenance
    if m is None or ctx.period is None or m.license_type is not COMMERCIAL:
        return []
    req = ctx.request
    if req is not None:  # another number of seats
        return taken(m.product, ctx.period, req.quantity, request_seats(req), m.id)
    seats = {ml.module: ml.quantity for ml in m.modules}
    return taken(m.product, ctx.period, m.quantity, seats, m.id)


def _renewed(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m, end = ctx.maintenance, _renew_end(ctx)
    assert m is not None
    assert end is not None
    assert ctx.period is not None
    req, period = ctx.request, ctx.period
    q = m.quantity if req is None else req.quantity
    seats = {ml.module: ml.quantity for ml in m.modules} if req is None else request_seats(req)
    renewed = attrs.evolve(
        m,
        quantity=q,
        expires_on=end,
        period=period,
        modules=tuple(
            attrs.evolve(ml, expires_on=end, quantity=seats.get(ml.module, ml.quantity))
            for ml in m.modules
        ),
        # The renewal makes the change scheduled for it (or none): it is done; its
        # seats are a new lot, returnable from the renewal day.
        scheduled=None,
        lots=added_lot(ctx.product, m.license_type, ctx.today, q, period),
        # Its expiry notices are armed again for the new end, from the renewal day.
        notices=NoticeState(expires_on=end, armed_on=ctx.today),
    )
    return [MaintenanceRenewed(maintenance=renewed, previous_expires_on=m.expires_on, **who)], m.id


def _renew_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    if m.license_type is TRIAL:
        return RENEWAL_NOT_COMMERCIAL.finding("maintenance", {"maintenance": m.id})
    return None


def _renew_action(centralized: bool, trial: bool) -> Action | None:
    return None if trial else ("renew", lambda mid: Renew(maintenance=mid))


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
    if m is None or product is None or m.license_type is TRIAL:
        return NONE
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
    return NONE


# -- changing the product -------------------------------------------------------------


def _change_terms(catalog: Catalog, op: ChangeProduct, m: Maintenance | None) -> Terms:
    if m is None:
        return Terms(op.product)
    return replacing(catalog, m, op.product, op.period, op.quantity, op.modules, op.management)


def _change_end(ctx: RuleContext) -> dt.date | None:
    """A new term of the new product, from the day."""
    op, product = ctx.op, ctx.product
    assert isinstance(op, ChangeProduct)
    if product is None:
        return None
    return commercial_expiry(ctx.today, op.period, product.term_end)


def _change_moves(ctx: RuleContext) -> list[Move]:
    """The old line gives its seats back, then the new one takes its own."""
    op, m, req = ctx.op, ctx.maintenance, ctx.request
    assert isinstance(op, ChangeProduct)
    if m is None or req is None:
        return []
    old = ctx.catalog.products.get(m.product)
    back = ended_moves(ctx.catalog, old, m, ctx.today)
    return [*back, *taken(req.product, op.period, req.quantity, request_seats(req), None)]


def dropped_modules(ctx: RuleContext) -> tuple[str, ...]:
    """The old maintenance's modules a product change leaves out because the new
    product does not offer them (only when the modules were not given)."""
    op, m, product = ctx.op, ctx.maintenance, ctx.product
    if not isinstance(op, ChangeProduct) or op.modules is not None or m is None or not product:
        return ()
    return tuple(ml.module for ml in m.modules if ml.module not in product.modules)


def _changed(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m, end = ctx.maintenance, _change_end(ctx)
    assert m is not None
    assert end is not None
    assert ctx.request is not None
    new = new_maintenance(ctx, ctx.request, end, next_id(ctx.client), release)
    event = ProductChanged(
        replaced=m.id, maintenance=new, dropped_modules=dropped_modules(ctx), **who
    )
    return [event], new.id


def _change_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    if m.license_type is TRIAL:
        return CHANGE_NOT_ALLOWED.finding("maintenance", {"maintenance": m.id, "reason": "trial"})
    return None


@rule({"change_product"}, CHANGE_NOT_ALLOWED)
def rule_change_target(ctx: RuleContext) -> Iterable[Finding]:
    """``change.not_allowed``: the new product is not in the old one's ``changes_to``."""
    op, m = ctx.op, ctx.maintenance
    if not isinstance(op, ChangeProduct) or m is None or m.license_type is TRIAL:
        return NONE
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
                    "reason": "not_offered" if allowed else "no_changes",
                },
            ),
        )
    return NONE


MODULES_DROPPED = CodeSpec(
    code="change.modules_dropped",
    severity=Severity.WARNING,
    messages={
        "en": "'{product}' does not offer {modules}: they are cancelled with the change.",
        "es": "'{product}' no ofrece {modules}: se cancelan con el cambio.",
    },
)


@rule({"change_product"}, MODULES_DROPPED)
def rule_modules_dropped(ctx: RuleContext) -> Iterable[Finding]:
    """``change.modules_dropped`` (warning): modules the new product does not offer."""
    dropped = dropped_modules(ctx)
    if dropped and ctx.product is not None:
        return (
            MODULES_DROPPED.finding("modules", {"product": ctx.product.id, "modules": dropped}),
        )
    return NONE


def _renewed_words(before: Client | None, e: MaintenanceRenewed, lang: str) -> str:
    """``m1: product for 1 year, end OLD -> NEW``."""
    m = e.maintenance
    term = period_words(m.period, lang) if m.period else "-"
    return tr(
        "{id}: {product} for {term}, end {old} -> {new}",
        lang,
        id=m.id,
        product=m.product,
        term=term,
        old=e.previous_expires_on,
        new=m.expires_on,
    )


def _changed_words(before: Client | None, e: ProductChanged, lang: str) -> str:
    """``m1 -> m2: product x10 until DAY, dropped mod``."""
    dropped = (
        tr(", dropped {modules}", lang, modules=", ".join(e.dropped_modules))
        if e.dropped_modules
        else ""
    )
    return f"{e.replaced} -> {line(e.maintenance, lang)}{dropped}"


FAMILY = Family(
    name="lifecycle",
    kinds=(
        Kind(
            type=Renew,
            terms=_renew_terms,
            events=_renewed,
            new_end=_renew_end,
            moves=_renew_moves,
            takes_seats=True,
            accepts=IN_FORCE,
            target=_renew_target,
            renews=True,
            action=_renew_action,
            words=OperationWords("cannot renew the maintenance", "the maintenance can be renewed"),
        ),
        Kind(
            type=ChangeProduct,
            terms=_change_terms,
            events=_changed,
            new_end=_change_end,
            moves=_change_moves,
            takes_seats=True,
            target=_change_target,
            drops_schedule=True,
            words=OperationWords("cannot change the product", "the product can be changed"),
        ),
    ),
    events=(MaintenanceRenewed, ProductChanged),
    rules=tuple(_rules),
    target_codes=(RENEWAL_NOT_COMMERCIAL, CHANGE_NOT_ALLOWED),
    words=(
        EventWords(MaintenanceRenewed, "renewed", _renewed_words),
        EventWords(ProductChanged, "product changed", _changed_words),
    ),
)
