"""Finding catalog plugins and turning their declarations into one :class:`Catalog`.

This is the shell around the pure core: it imports entry points and reads two
environment variables.

- ``CYTOLICENSE_DISABLE_PLUGINS``: comma-separated plugin names (entry-point
  names, or module names of plugins passed in) that are not loaded.
- ``CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD``: when set to anything but ``""`` or
  ``"0"``, installed entry points are not loaded at all.

pluggy does the work as designed: entry points come through
``load_setuptools_entrypoints`` (with the block list), and every hook is called
through ``pm.hook``, so wrapper hooks and hook-call monitoring work. Each plain
implementation is wrapped once at registration so that what it returns is tagged
with its plugin, and a failure names the plugin and its distribution.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pluggy

from ..core._catalog import Catalog
from ..core._catalog_checks import CatalogCheck, CatalogDraft, CatalogProblem
from ..core._catalog_records import CatalogRelease, Module, Product, ProductFamily
from ..core._exceptions import CatalogError
from ..core._rulespec import RuleSpec, as_spec
from ..rules import _plugin as builtin_plugin
from ..rules._builtin import BUILTIN
from ._hookspecs import HOOK_NAMES, PROJECT, CatalogSpec

__all__ = [
    "DISABLE_AUTOLOAD_ENV",
    "DISABLE_PLUGINS_ENV",
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "describe_error",
    "load_catalog",
]

ENTRY_POINT_GROUP = "cytolicense"
DISABLE_PLUGINS_ENV = "CYTOLICENSE_DISABLE_PLUGINS"
DISABLE_AUTOLOAD_ENV = "CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD"

R = TypeVar("R")


def describe_error(exc: BaseException) -> str:
    """``Type: message`` for *exc*, even when its ``str()`` itself raises."""
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__ must not hide which plugin failed
        text = "<message cannot be shown>"
    if len(text) > 500:
        text = text[:500] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Contribution(list[object]):
    """What one plugin's hook implementation returned, tagged with the plugin."""

    __slots__ = ("plugin",)

    def __init__(self, plugin: str, items: Iterable[object]) -> None:
        super().__init__(items)
        self.plugin = plugin


def _fatal(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | GeneratorExit)


class PluginHost:
    """A typed facade over a :class:`pluggy.PluginManager` for the catalog hooks.

    Each host is built fresh (never at import time), so loading a catalog has no
    global state. The built-in rules are registered first, as the plugin
    ``cytolicense``.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(CatalogSpec)
        self.blocked = frozenset(
            n.strip()
            for n in env.get(DISABLE_PLUGINS_ENV, "").split(",")
            if n.strip() and n.strip() != BUILTIN
        )
        self.autoload = env.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0")
        self.descriptions: dict[str, str] = {}
        self.distributions: dict[str, str] = {}
        for name in self.blocked:
            self.pm.set_blocked(name)
        self.register(builtin_plugin, BUILTIN, "the built-in rules and catalog checks")

    def describe(self, name: str | None) -> str:
        """How errors name the plugin *name*."""
        if name is None:
            return "a wrapper hook"
        return self.descriptions.get(name, f"plugin {name!r}")

    def _tag(self, name: str) -> None:
        """Wrap each plain hook implementation of plugin *name*: results tagged, errors
        named (wrappers and hookwrappers are left as they are)."""
        described = self.describe(name)
        for hook in HOOK_NAMES:
            caller: pluggy.HookCaller = getattr(self.pm.hook, hook)
            for impl in caller.get_hookimpls():
                if impl.plugin_name != name or impl.wrapper or impl.hookwrapper:
                    continue
                # HookImpl.function is the one callable pluggy calls for this impl.
                setattr(impl, "function", _tagged(impl.function, name, described, hook))  # noqa: B010

    def register(self, plugin: object, name: str, description: str) -> bool:
        """Register *plugin* under *name*; ``False`` when the name is blocked."""
        if self.pm.is_blocked(name):
            return False
        if name in self.descriptions:
            raise CatalogError(f"{description} is registered twice", plugins=(name,))
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except (ValueError, pluggy.PluginValidationError) as exc:
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            raise CatalogError(
                f"{description} is not a valid plugin: {describe_error(exc)}", plugins=(name,)
            ) from exc
        if not any(
            impl.plugin_name == name
            for hook in HOOK_NAMES
            for impl in getattr(self.pm.hook, hook).get_hookimpls()
        ):
            self.pm.unregister(name=name)
            raise CatalogError(
                f"{description} implements no cytolicense hook "
                f"(expected one of {', '.join(HOOK_NAMES)} marked with @hookimpl)",
                plugins=(name,),
            )
        self.descriptions[name] = description
        self._tag(name)
        return True

    def load_entry_points(self, name: str | None = None) -> None:
        """Load the installed entry points of group ``cytolicense`` (only *name* when
        given) through ``pm.load_setuptools_entrypoints``.

        Raises:
            CatalogError: two distributions declare the same entry-point name, an
                entry point fails to import (even by ``sys.exit``), or what it gives is
                not a valid plugin: the error names the entry point and its
                distribution.
        """
        owners: dict[str, list[str]] = {}
        for dist in importlib.metadata.distributions():
            for ep in dist.entry_points:
                if ep.group == ENTRY_POINT_GROUP and (name is None or ep.name == name):
                    text = f"{dist.metadata['Name']} {dist.version}"
                    if text not in owners.setdefault(ep.name, []):
                        owners[ep.name].append(text)
        for ep_name, dists in owners.items():
            if len(dists) > 1 and not self.pm.is_blocked(ep_name):
                raise CatalogError(
                    f"entry point {ep_name!r} is declared by {' and by '.join(dists)}: "
                    f"uninstall one, or block the name with {DISABLE_PLUGINS_ENV}",
                    plugins=(ep_name,),
                )
        if name is not None and name not in owners:
            raise CatalogError(
                f"no installed entry point {name!r} in group {ENTRY_POINT_GROUP!r}",
                plugins=(name,),
            )
        before = {n for n, _ in self.pm.list_name_plugin()}
        try:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        except BaseException as exc:
            if _fatal(exc):
                raise
            raise self._import_error(exc, before, owners) from exc
        for plugin, facade in self.pm.list_plugin_distinfo():
            loaded_name = self.pm.get_name(plugin)
            if loaded_name is None or loaded_name in before or loaded_name in self.descriptions:
                continue
            ep_name = loaded_name
            self.distributions[ep_name] = f"{facade.project_name} {facade.version}"
            description = f"entry point {ep_name!r} ({self.distributions[ep_name]})"
            self.descriptions[ep_name] = description
            self.pm.unregister(name=ep_name)
            del self.descriptions[ep_name]
            self.register(plugin, ep_name, description)

    def _import_error(
        self, exc: BaseException, before: set[str], owners: Mapping[str, list[str]]
    ) -> CatalogError:
        """Find the entry point whose import failed (pluggy raises the bare error)."""
        loaded = {n for n, _ in self.pm.list_name_plugin()}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in loaded or ep.name in before or self.pm.is_blocked(ep.name):
                continue
            if ep.name not in owners:
                continue
            try:
                ep.load()
            except BaseException as again:
                if _fatal(again):
                    raise
                where = ", ".join(owners.get(ep.name, ["unknown distribution"]))
                return CatalogError(
                    f"Error importing plugin entry point {ep.name!r} ({where}): "
                    f"{describe_error(again)}",
                    plugins=(ep.name,),
                )
        return CatalogError(f"Error loading catalog plugins: {describe_error(exc)}")

    def call(self, hook: str) -> list[tuple[str | None, list[object]]]:
        """Call *hook* through ``pm.hook`` and return ``(plugin, items)`` per result, in
        registration order (``None`` for a result a wrapper made)."""
        caller: Callable[[], list[Any]] = getattr(self.pm.hook, hook)
        try:
            results = caller()
        except CatalogError:
            raise
        except BaseException as exc:
            if _fatal(exc):
                raise
            wrappers = sorted(
                {
                    i.plugin_name
                    for i in getattr(self.pm.hook, hook).get_hookimpls()
                    if i.wrapper or i.hookwrapper
                }
            )
            who = ", ".join(self.describe(w) for w in wrappers) or "a plugin"
            raise CatalogError(
                f"{who}: hook {hook} failed: {describe_error(exc)}", plugins=tuple(wrappers)
            ) from exc
        if not isinstance(results, list):
            raise CatalogError(f"hook {hook} returned {results!r}, not a list of results")
        out: list[tuple[str | None, list[object]]] = []
        for value in reversed(results):  # pluggy calls the last registered first
            if isinstance(value, _Contribution):
                out.append((value.plugin, list(value)))
            else:
                out.append((None, _items(value, "a wrapper hook", hook)))
        return out


def _items(value: object, described: str, hook: str) -> list[object]:
    if value is None or isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise CatalogError(
            f"{described}: hook {hook} failed: expected an iterable of records, "
            f"got {_safe_repr(value)}"
        )
    return list(value)


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except BaseException:
        return f"<{type(value).__name__}>"
    return text if len(text) <= 200 else text[:200] + "..."


def _tagged(
    function: Callable[..., object], name: str, described: str, hook: str
) -> Callable[..., object]:
    def run(*args: object, **kwargs: object) -> _Contribution:
        try:
            value = function(*args, **kwargs)
            if (
                value is None
                or isinstance(value, str | bytes | Mapping)
                or not isinstance(value, Iterable)
            ):
                raise TypeError(f"expected an iterable of records, got {_safe_repr(value)}")
            return _Contribution(name, value)
        except CatalogError:
            raise
        except BaseException as exc:
            if _fatal(exc):
                raise
            raise CatalogError(
                f"{described}: hook {hook} failed: {describe_error(exc)}", plugins=(name,)
            ) from exc

    run.__wrapped__ = function  # type: ignore[attr-defined]
    return run


def _plugin_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    cls = type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _typed(host: PluginHost, hook: str, cls: type[R], noun: str) -> list[tuple[str | None, R]]:
    entries: list[tuple[str | None, R]] = []
    for name, items in host.call(hook):
        for item in items:
            if not isinstance(item, cls):
                raise CatalogError(
                    f"{host.describe(name)}: hook {hook} returned {_safe_repr(item)}, "
                    f"which is not a {noun}",
                    plugins=(name,) if name else (),
                )
            entries.append((name, item))
    return entries


def _rules(host: PluginHost) -> tuple[RuleSpec, ...]:
    rules: list[RuleSpec] = []
    for name, items in host.call("cytolicense_rules"):
        for item in items:
            if not (isinstance(item, RuleSpec) or callable(item)):
                raise CatalogError(
                    f"{host.describe(name)}: hook cytolicense_rules returned "
                    f"{_safe_repr(item)}, which is not callable",
                    plugins=(name,) if name else (),
                )
            rules.append(as_spec(item, name or "<wrapper>"))
    return tuple(rules)


def _checks(host: PluginHost) -> list[tuple[str | None, CatalogCheck]]:
    checks: list[tuple[str | None, CatalogCheck]] = []
    for name, items in host.call("cytolicense_catalog_checks"):
        for item in items:
            if not callable(item):
                raise CatalogError(
                    f"{host.describe(name)}: hook cytolicense_catalog_checks returned "
                    f"{_safe_repr(item)}, which is not callable",
                    plugins=(name,) if name else (),
                )
            checks.append((name, item if name == BUILTIN else _guarded(host, name, item)))
    return checks


def _guarded(host: PluginHost, name: str | None, check: CatalogCheck) -> CatalogCheck:
    """*check*, failing the load with a :class:`CatalogError` naming its plugin when it
    raises or yields something that is not a :class:`CatalogProblem`."""
    described = host.describe(name) if name else "a wrapper hook"
    title = getattr(check, "__name__", None) or _safe_repr(check)

    def run(draft: CatalogDraft) -> list[CatalogProblem]:
        try:
            problems = list(check(draft))
        except BaseException as exc:
            if _fatal(exc):
                raise
            raise CatalogError(
                f"{described}: catalog check {title} failed: {describe_error(exc)}",
                plugins=(name,) if name else (),
            ) from exc
        for problem in problems:
            if not isinstance(problem, CatalogProblem):
                raise CatalogError(
                    f"{described}: catalog check {title} yielded {_safe_repr(problem)}, "
                    "which is not a CatalogProblem",
                    plugins=(name,) if name else (),
                )
        return problems

    return run


def load_catalog(
    *plugins: object,
    entry_points: bool = True,
    environ: Mapping[str, str] | None = None,
    only: str | None = None,
) -> Catalog:
    """Load the catalog declared by *plugins* and (by default) the installed entry points.

    Args:
        plugins: Modules, classes or instances with ``@hookimpl`` functions.
        entry_points: Also load every installed entry point of group ``cytolicense``
            (unless ``CYTOLICENSE_DISABLE_PLUGIN_AUTOLOAD`` is set).
        environ: Environment to read the two variables from (default ``os.environ``).
        only: Load only the entry point of this name (``cytolicense.testing`` uses it).

    Raises:
        CatalogError: a plugin failed to import or to answer a hook, returned
            something that is not a record, declared an id twice, or named an
            unknown family, module or product to change to. The message names the
            plugin(s), their distribution, and the ids.
    """
    host = PluginHost(environ)
    for plugin in plugins:
        name = _plugin_name(plugin)
        host.register(plugin, name, f"plugin {name!r}")
    if only is not None:
        host.load_entry_points(only)
    elif entry_points and host.autoload:
        host.load_entry_points()
    families = _typed(host, "cytolicense_families", ProductFamily, "ProductFamily")
    modules = _typed(host, "cytolicense_modules", Module, "Module")
    products = _typed(host, "cytolicense_products", Product, "Product")
    releases = _typed(host, "cytolicense_releases", CatalogRelease, "CatalogRelease")
    checks = _checks(host)
    first = Catalog._from_entries(
        families,
        modules,
        products,
        _rules(host),
        host.descriptions,
        host.distributions,
        checks,
    )
    return Catalog._with_releases(first, releases, host.descriptions, checks)
