"""The built-in rules, each declared in one place: the function, the operations it
applies to, and its codes with severity and English and Spanish messages.

The rules shared by several operations live in four modules by subject
(:mod:`._client`, :mod:`._product`, :mod:`._assignment`, :mod:`._lifecycle`); a
family's own rules live in its module of :mod:`cytolicense.operations`. They run in
that order: the client, the product and the terms, each family's own, then dates and
the pool. :data:`BUILTIN_RULES` is
what the internal plugin contributes through the ``cytolicense_rules`` hook;
:data:`CODES` and the message tables of the docs are generated from these
declarations. Adding a rule is one block in the module of its subject or family.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core._access import ACCESS_CODES
from ..core._findings import CodeSpec
from ..core._rulespec import RuleSpec
from ..operations._lifecycle import dropped_modules
from ..operations._table import FAMILIES
from . import _assignment, _client, _lifecycle, _product
from ._lifecycle import OVER_ENTITLEMENT, TERMS_CHANGED
from ._registry import BUILTIN, _rules

__all__ = [
    "BUILTIN",
    "BUILTIN_RULES",
    "CODES",
    "CODE_SPECS",
    "dropped_modules",
    "messages_table",
]


def _of(module: str) -> tuple[RuleSpec, ...]:
    return tuple(spec for spec in _rules if spec.check.__module__ == module)


BUILTIN_RULES: tuple[RuleSpec, ...] = (
    *_of(_client.__name__),
    *_of(_product.__name__),
    *_of(_assignment.__name__),
    *(spec for family in FAMILIES for spec in family.rules),
    *_of(_lifecycle.__name__),
)
"""Every built-in rule, in the order they run."""

CODE_SPECS: Mapping[str, CodeSpec] = {
    **{c.code: c for r in BUILTIN_RULES for c in r.codes},
    OVER_ENTITLEMENT.code: OVER_ENTITLEMENT,
    TERMS_CHANGED.code: TERMS_CHANGED,
    **{c.code: c for c in ACCESS_CODES},
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
