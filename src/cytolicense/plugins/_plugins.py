"""Finding catalog plugins and turning their declarations into one :class:`Catalog`.

This is the shell around the pure core: it imports entry points and reads two
environment variables.

- ``CYTOLICENSE_DISABLE_PLUGINS``: comma-separated plugin names (entry-point
  names, or module names of plugins passed in) that are not loaded.
- ``CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD``: when set to anything but ``""`` or
  ``"0"``, installed entry points are not loaded at all.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pluggy

from ..core._catalog import Catalog
from ..core._catalog_records import Module, Product, ProductFamily
from ..core._exceptions import CatalogError
from ..rules._builtin import PluginRule
from ._hookspecs import HOOK_NAMES, PROJECT, CatalogSpec

__all__ = [
    "DISABLE_AUTOLOAD_ENV",
    "DISABLE_PLUGINS_ENV",
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "load_catalog",
]

ENTRY_POINT_GROUP = "cytolicense"
DISABLE_PLUGINS_ENV = "CYTOLICENSE_DISABLE_PLUGINS"
DISABLE_AUTOLOAD_ENV = "CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD"

R = TypeVar("R")


class PluginHost:
    """A typed facade over a :class:`pluggy.PluginManager` for the catalog hooks.

    Each host is built fresh (never at import time), so loading a catalog has no
    global state.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(CatalogSpec)
        self.blocked = frozenset(
            n.strip() for n in env.get(DISABLE_PLUGINS_ENV, "").split(",") if n.strip()
        )
        self.autoload = env.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0")
        self.descriptions: dict[str, str] = {}
        for name in self.blocked:
            self._pm.set_blocked(name)

    def register(self, plugin: object, name: str, description: str) -> bool:
        """Register *plugin* under *name*; ``False`` when the name is blocked."""
        if self._pm.is_blocked(name):
            return False
        if name in self.descriptions:
            raise CatalogError(f"{description} is registered twice", plugins=(name,))
        try:
            self._pm.register(plugin, name=name)
            self._pm.check_pending()
        except (ValueError, pluggy.PluginValidationError) as exc:
            if self._pm.has_plugin(name):
                self._pm.unregister(name=name)
            raise CatalogError(
                f"{description} is not a valid plugin: {exc}", plugins=(name,)
            ) from exc
        impls = [n for n in HOOK_NAMES if any(i.plugin_name == name for i in self._impls(n))]
        if not impls:
            self._pm.unregister(name=name)
            raise CatalogError(
                f"{description} implements no cytolicense hook "
                f"(expected one of {', '.join(HOOK_NAMES)} marked with @hookimpl)",
                plugins=(name,),
            )
        self.descriptions[name] = description
        return True

    def load_entry_points(self) -> None:
        """Import and register every installed entry point of group ``cytolicense``."""
        seen: set[tuple[str, str]] = set()
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            dist_text = (
                f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
            )
            key = (ep.name, dist_text)
            if key in seen or self._pm.is_blocked(ep.name):
                continue
            seen.add(key)
            description = f"entry point {ep.name!r} ({dist_text})"
            try:
                plugin = ep.load()
            except Exception as exc:
                raise CatalogError(
                    f"Error importing plugin {description}: {type(exc).__name__}: {exc}",
                    plugins=(ep.name,),
                ) from exc
            self.register(plugin, ep.name, description)

    def _impls(self, hook: str) -> list[pluggy.HookImpl]:
        caller: pluggy.HookCaller = getattr(self._pm.hook, hook)
        return caller.get_hookimpls()

    def call_each(self, hook: str) -> list[tuple[str, list[object]]]:
        """Call *hook* on each plugin alone, in registration order.

        Returns ``(plugin name, items)`` pairs; a plugin that raises or returns
        something that is not an iterable gives a :class:`CatalogError` naming it.
        """
        results: list[tuple[str, list[object]]] = []
        for impl in self._impls(hook):
            name = impl.plugin_name
            described = self.descriptions.get(name, repr(name))
            function: Callable[[], Any] = impl.function
            try:
                value = function()
                if (
                    value is None
                    or isinstance(value, str | bytes | Mapping)
                    or not isinstance(value, Iterable)
                ):
                    raise TypeError(f"expected an iterable of records, got {value!r}")
                items = list(value)
            except CatalogError:
                raise
            except Exception as exc:
                raise CatalogError(
                    f"plugin {described}: hook {hook} failed: {type(exc).__name__}: {exc}",
                    plugins=(name,),
                ) from exc
            results.append((name, items))
        return results


def _plugin_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    cls = type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _typed(host: PluginHost, hook: str, cls: type[R], noun: str) -> list[tuple[str | None, R]]:
    entries: list[tuple[str | None, R]] = []
    for name, items in host.call_each(hook):
        for item in items:
            if not isinstance(item, cls):
                raise CatalogError(
                    f"plugin {host.descriptions.get(name, name)}: hook {hook} returned "
                    f"{item!r}, which is not a {noun}",
                    plugins=(name,),
                )
            entries.append((name, item))
    return entries


def _rules(host: PluginHost) -> tuple[PluginRule, ...]:
    rules: list[PluginRule] = []
    for name, items in host.call_each("cytolicense_rules"):
        for item in items:
            if not callable(item):
                raise CatalogError(
                    f"plugin {host.descriptions.get(name, name)}: hook cytolicense_rules "
                    f"returned {item!r}, which is not callable",
                    plugins=(name,),
                )
            rules.append(PluginRule(plugin=name, rule=item))
    return tuple(rules)


def load_catalog(
    *plugins: object,
    entry_points: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Catalog:
    """Load the catalog declared by *plugins* and (by default) the installed entry points.

    Args:
        plugins: Modules, classes or instances with ``@hookimpl`` functions.
        entry_points: Also load every installed entry point of group ``cytolicense``
            (unless ``CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD`` is set).
        environ: Environment to read the two variables from (default ``os.environ``).

    Raises:
        CatalogError: a plugin failed to import or to answer a hook, returned
            something that is not a record, declared an id twice, or named an
            unknown family or module. The message names the plugin(s) and ids.
    """
    host = PluginHost(environ)
    for plugin in plugins:
        name = _plugin_name(plugin)
        host.register(plugin, name, f"plugin {name!r}")
    if entry_points and host.autoload:
        host.load_entry_points()
    families = _typed(host, "cytolicense_families", ProductFamily, "ProductFamily")
    modules = _typed(host, "cytolicense_modules", Module, "Module")
    products = _typed(host, "cytolicense_products", Product, "Product")
    return Catalog._from_entries(families, modules, products, _rules(host), host.descriptions)
