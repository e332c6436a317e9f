"""The hooks a catalog plugin may implement (pluggy project name ``cytolicense``).

Every hook is optional and takes no arguments. :func:`cytolicense.load_catalog`
calls each plugin's implementation once, in registration order, and checks
what comes back: an iterable of the right records, ids never declared twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from ..core._catalog_checks import CatalogCheck
    from ..core._catalog_records import CatalogRelease, Module, Product, ProductFamily
    from ..core._rulespec import Rule, RuleSpec

__all__ = ["HOOK_NAMES", "PROJECT", "hookimpl", "hookspec"]

PROJECT = "cytolicense"

F = TypeVar("F", bound=Callable[..., Any])

_hookspec = pluggy.HookspecMarker(PROJECT)
_hookimpl = pluggy.HookimplMarker(PROJECT)


def hookspec(function: F) -> F:
    """Mark *function* as a cytolicense hook specification (typed wrapper)."""
    return _hookspec(function)


hookimpl = _hookimpl
"""Marker for hook implementations: decorate plugin functions with ``@hookimpl``."""


class CatalogSpec:
    """Hook specifications; the docstrings are the hooks' reference documentation."""

    @hookspec
    def cytolicense_families(self) -> Iterable[ProductFamily]:
        """Declare product families (:class:`~cytolicense.ProductFamily` records).

        Called once per plugin while the catalog is loaded. A family id must be
        unique across all plugins.
        """
        raise NotImplementedError

    @hookspec
    def cytolicense_modules(self) -> Iterable[Module]:
        """Declare add-on modules (:class:`~cytolicense.Module` records).

        Called once per plugin while the catalog is loaded. A module id must be
        unique across all plugins.
        """
        raise NotImplementedError

    @hookspec
    def cytolicense_products(self) -> Iterable[Product]:
        """Declare products (:class:`~cytolicense.Product` records).

        Called once per plugin while the catalog is loaded, after every family and
        module is known: a product may name families and modules of other plugins.
        """
        raise NotImplementedError

    @hookspec
    def cytolicense_releases(self) -> Iterable[CatalogRelease]:
        """Declare later releases of the catalog (:class:`~cytolicense.CatalogRelease`
        records): each the complete list of products sold from its first day on.

        Called once per plugin while the catalog is loaded, after the products: what
        the products hook declared is the first release, in force since
        ``date.min``. Releases are ordered by their first day; two on one day, a
        version given twice, or a product that changes family between releases is a
        :class:`~cytolicense.CatalogError` naming the plugin. Every release is checked
        like a catalog of its own (the built-in and the plugins' catalog checks).
        """
        raise NotImplementedError

    @hookspec
    def cytolicense_rules(self) -> Iterable[Rule | RuleSpec]:
        """Contribute rules that :meth:`Engine.check` runs after the built-in ones.

        Called once per plugin while the catalog is loaded. Each rule is a
        :class:`~cytolicense.RuleSpec` (the function, the operations it applies to,
        and the codes it finds with their messages), or a plain callable taking a
        :class:`~cytolicense.RuleContext` and returning an iterable of
        :class:`~cytolicense.Finding`, which then applies to assign and modify. The
        built-in rules come through this same hook, from the internal plugin
        ``cytolicense``. A rule that raises makes the check fail with
        :class:`~cytolicense.PluginRuleError` naming the plugin; it never passes
        silently.
        """
        raise NotImplementedError

    @hookspec
    def cytolicense_catalog_checks(self) -> Iterable[CatalogCheck]:
        """Contribute checks of the whole catalog, run once every record is declared.

        A check is a function of a :class:`~cytolicense.CatalogDraft` (every family,
        module and product, each id once) yielding a
        :class:`~cytolicense.CatalogProblem` per thing wrong: a vendor can require,
        say, that every product sells a trial. :func:`~cytolicense.load_catalog`
        runs the built-in checks first (they come through this same hook, from the
        internal plugin ``cytolicense``), then each plugin's, and raises one
        :class:`~cytolicense.CatalogError` listing every problem, naming the plugin
        that declared the record and the plugin whose check found it. A check that
        raises or yields something else fails the load naming its plugin.
        """
        raise NotImplementedError


HOOK_NAMES: tuple[str, ...] = (
    "cytolicense_families",
    "cytolicense_modules",
    "cytolicense_products",
    "cytolicense_releases",
    "cytolicense_rules",
    "cytolicense_catalog_checks",
)
