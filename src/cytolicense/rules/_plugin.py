"""The internal plugin: the built-in rules and catalog checks, registered through the
same hooks as a vendor's.

:func:`cytolicense.load_catalog` registers it first, under the name
``cytolicense`` (as tox registers its own plugins and datasette its
``DEFAULT_PLUGINS``), so a reader learns the extension point once.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from ..core._catalog_checks import BUILTIN_CHECKS, CatalogCheck
from ..core._rulespec import RuleSpec
from ._builtin import BUILTIN_RULES

__all__ = ["cytolicense_catalog_checks", "cytolicense_rules"]

_hookimpl = pluggy.HookimplMarker("cytolicense")


@_hookimpl
def cytolicense_rules() -> Iterable[RuleSpec]:
    """The built-in rules (:data:`BUILTIN_RULES`), declared with their codes."""
    return BUILTIN_RULES


@_hookimpl
def cytolicense_catalog_checks() -> Iterable[CatalogCheck]:
    """The built-in catalog checks (:data:`BUILTIN_CHECKS`): families and modules
    known, changes within the family."""
    return BUILTIN_CHECKS
