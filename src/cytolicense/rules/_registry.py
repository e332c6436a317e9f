"""The registry of the shared built-in rules: the declaring decorator and shared helpers.

Rules register in the order their modules are imported (see :mod:`._builtin`), which
is the order they run and their findings appear.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..core._enums import LicenseType, QuantityRule, Severity
from ..core._findings import Finding
from ..core._operations import OPERATION_KINDS
from ..core._rulespec import ProductPlan, RuleSpec
from ..operations._family import BUILTIN as BUILTIN
from ..operations._family import rule_into
from ..operations._table import ON_MAINTENANCE

_COMMERCIAL = LicenseType.COMMERCIAL
_TRIAL = LicenseType.TRIAL
_LINKED = QuantityRule.LINKED
_WARNING = Severity.WARNING
_NONE: tuple[Finding, ...] = ()
_SHOWN_DAYS = 90  # a client is shown while today - end < 90 days (RETENTION_DAYS)

_ALL = frozenset(OPERATION_KINDS)
_ON_MAINTENANCE = ON_MAINTENANCE
_NEW_TERMS = frozenset({"assign", "change_product", "convert_trial"})

_rules: list[RuleSpec] = []

rule = rule_into(_rules)
"""Declare a built-in rule (decorator): its operations and codes."""


def _commercial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt is _COMMERCIAL


def _trial_only(plan: ProductPlan, lt: LicenseType) -> bool:
    return lt is _TRIAL


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
