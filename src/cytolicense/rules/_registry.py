"""The registry of built-in rules: the declaring decorator and shared helpers.

Rules register in the order their modules are imported (see :mod:`._builtin`), which
is the order they run and their findings appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..core._enums import LicenseType, QuantityRule, Severity
from ..core._findings import CodeSpec, Finding
from ..core._rulespec import ProductPlan, RuleContext, RuleSpec

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
        "suspend",
        "resume",
        "suspend_client",
        "resume_client",
    }
)
_ON_MAINTENANCE = _ALL - {
    "assign",
    "delete_client",
    "group_sets",
    "suspend_client",
    "resume_client",
}
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
