"""Trials: converting one into a commercial maintenance (:class:`ConvertTrial`, kind
``convert_trial``) and extending it once (:class:`ExtendTrial`, kind
``extend_trial``), with their own rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..core._catalog import Catalog
from ..core._client_records import Client
from ..core._dates import add_days, commercial_expiry
from ..core._enums import Status
from ..core._events import TrialConverted, TrialExtended
from ..core._findings import CodeSpec, Finding
from ..core._maintenance import Maintenance
from ..core._operations import ConvertTrial, ExtendTrial
from ..core._rulespec import RuleContext, RuleSpec
from ._family import (
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
    new_maintenance,
    next_id,
    replacing,
    rule_into,
)
from ._terms import Move, request_seats, taken
from ._words import end_moved, line

__all__ = ["FAMILY", "conversion"]

_rules: list[RuleSpec] = []
rule = rule_into(_rules)

NOT_TRIAL = CodeSpec(
    code="conversion.not_trial",
    messages={
        "en": "Maintenance '{maintenance}' is not a trial: only a trial is converted or extended.",
        "es": "El mantenimiento '{maintenance}' no es una prueba: solo una prueba se "
        "convierte o se amplía.",
    },
)


def _trial_target(ctx: RuleContext, m: Maintenance, state: Status) -> Finding | None:
    if m.license_type is not TRIAL:
        return NOT_TRIAL.finding("maintenance", {"maintenance": m.id})
    return None


# -- converting -----------------------------------------------------------------------


def _convert_terms(catalog: Catalog, op: ConvertTrial, m: Maintenance | None) -> Terms:
    if m is None:
        return Terms(None)
    return replacing(catalog, m, m.product, op.period, op.quantity, op.modules, op.management)


def _convert_end(ctx: RuleContext) -> dt.date | None:
    """A commercial term from the day."""
    op, product = ctx.op, ctx.product
    assert isinstance(op, ConvertTrial)
    if product is None:
        return None
    return commercial_expiry(ctx.today, op.period, product.term_end)


def _convert_moves(ctx: RuleContext) -> list[Move]:
    """The commercial seats come from the pool (a trial took none to give back)."""
    op, req = ctx.op, ctx.request
    assert isinstance(op, ConvertTrial)
    if ctx.maintenance is None or req is None:
        return []
    return taken(req.product, op.period, req.quantity, request_seats(req), None)


def _converted(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m, end = ctx.maintenance, _convert_end(ctx)
    assert m is not None
    assert end is not None
    assert ctx.request is not None
    new = new_maintenance(ctx, ctx.request, end, next_id(ctx.client), release)
    return [TrialConverted(trial=m.id, maintenance=new, **who)], new.id


def conversion(trial: Maintenance, catalog: Catalog, today: dt.date) -> ConvertTrial | None:
    """The conversion the detail offers for *trial*: to the first enabled period of
    its product (in the release in force on *today*), or ``None`` when the catalog
    sells it for no period."""
    product = catalog.at(today).products.get(trial.product)
    if product is None or not product.periods:
        return None
    return ConvertTrial(maintenance=trial.id, period=(product.enabled or product.periods)[0])


def _convert_action(
    m: Maintenance, catalog: Catalog, today: dt.date
) -> tuple[str, ConvertTrial] | None:
    if m.license_type is not TRIAL:
        return None
    op = conversion(m, catalog, today)
    return None if op is None else ("convert", op)


# -- extending ------------------------------------------------------------------------


def _extend_end(ctx: RuleContext) -> dt.date | None:
    """The old end plus the product's extension days."""
    m, product = ctx.maintenance, ctx.product
    if m is None or product is None or not product.trial_extension_days:
        return None
    return add_days(m.expires_on, product.trial_extension_days)


def _extended(ctx: RuleContext, who: Who, release: str | None) -> Written:
    m, end = ctx.maintenance, _extend_end(ctx)
    assert m is not None
    assert end is not None
    event = TrialExtended(
        maintenance_id=m.id, expires_on=end, previous_expires_on=m.expires_on, **who
    )
    return [event], m.id


def _extend_action(centralized: bool, trial: bool) -> Action | None:
    return ("extend", lambda mid: ExtendTrial(maintenance=mid)) if trial else None


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
    if m is None or m.license_type is not TRIAL:
        return NONE
    if product is None or not product.trial_extension_days:
        return (EXTENSION_NOT_OFFERED.finding("maintenance", {"product": m.product}),)
    if m.extended_on is not None:
        return (
            ALREADY_EXTENDED.finding(
                "maintenance", {"maintenance": m.id, "extended_on": m.extended_on.isoformat()}
            ),
        )
    return NONE


def _converted_words(before: Client | None, e: TrialConverted, lang: str) -> str:
    """``m1 -> m2: product x10 until DAY``."""
    return f"{e.trial} -> {line(e.maintenance, lang)}"


def _extended_words(before: Client | None, e: TrialExtended, lang: str) -> str:
    """``m1: end OLD -> NEW``."""
    return end_moved(e, lang)


FAMILY = Family(
    name="trials",
    kinds=(
        Kind(
            type=ConvertTrial,
            terms=_convert_terms,
            events=_converted,
            new_end=_convert_end,
            moves=_convert_moves,
            takes_seats=True,
            target=_trial_target,
            line_action=_convert_action,
            words=OperationWords("cannot convert the trial", "the trial can be converted"),
        ),
        Kind(
            type=ExtendTrial,
            events=_extended,
            new_end=_extend_end,
            target=_trial_target,
            line_terms=True,
            action=_extend_action,
            words=OperationWords("cannot extend the trial", "the trial can be extended"),
        ),
    ),
    events=(TrialConverted, TrialExtended),
    rules=tuple(_rules),
    target_codes=(NOT_TRIAL,),
    words=(
        EventWords(TrialConverted, "trial converted", _converted_words),
        EventWords(TrialExtended, "trial extended", _extended_words),
    ),
)
