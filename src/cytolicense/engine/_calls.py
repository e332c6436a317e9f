"""The rules an engine calls: every rule it runs, those that apply to an operation, and
a plugin's rule called, its answer checked to be findings, its failure named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from ..core._catalog import Catalog
from ..core._enums import LicenseType
from ..core._exceptions import PluginRuleError
from ..core._findings import CodeSpec, Finding
from ..core._rulespec import Rule, RuleContext, RuleSpec, as_spec
from ..rules._builtin import BUILTIN, BUILTIN_RULES, CODE_SPECS

__all__ = ["Call", "declared_codes", "rule_specs", "run_plugin", "select", "type_of"]

Call = tuple[Rule, "RuleSpec | None"]
"""A rule as the engine calls it: the function, and its declaration when a plugin's
(its answer is then checked to be findings and its errors name it)."""

_EMPTY_KINDS = (list, tuple)


def rule_specs(catalog: Catalog, rules: Iterable[Rule | RuleSpec]) -> tuple[RuleSpec, ...]:
    """Every rule an engine of *catalog* runs, in order: the built-in ones, the catalog's
    plugin rules, then *rules*, the engine's own (see :class:`Engine`)."""
    extra: list[RuleSpec] = []
    for rule in rules:
        if not (isinstance(rule, RuleSpec) or callable(rule)):
            raise TypeError(f"Engine rules must be callables or RuleSpec, got {rule!r}")
        extra.append(as_spec(rule, "<engine>"))
    # The catalog's rules are RuleSpecs, which its module names DeclaredRule.
    specs = cast("tuple[RuleSpec, ...]", catalog.rules)
    if not any(s.plugin == BUILTIN for s in specs):
        # A catalog built from records (not load_catalog) has no internal plugin.
        specs = BUILTIN_RULES + specs
    return specs + tuple(extra)


def declared_codes(specs: Iterable[RuleSpec]) -> dict[str, CodeSpec]:
    """Every declared finding code -> its declaration: the library's, then those
    *specs* declare (the first declaration of a code is kept)."""
    codes: dict[str, CodeSpec] = dict(CODE_SPECS)
    for spec in specs:
        for code in spec.codes:
            codes.setdefault(code.code, code)
    return codes


def type_of(ctx: RuleContext) -> LicenseType | None:
    """The licence type at stake: the request's, else the maintenance's."""
    if ctx.request is not None:
        return ctx.request.license_type
    return ctx.maintenance.license_type if ctx.maintenance is not None else None


def select(
    specs: Iterable[RuleSpec], ctx: RuleContext
) -> tuple[tuple[RuleSpec, ...], tuple[RuleSpec, ...]]:
    """The built-in and the plugin rules of *specs* that apply to *ctx*'s operation,
    product, licence type and pool (or none), in run order, from their declarations."""
    plan, lt, pooled = ctx.plan, type_of(ctx), ctx.pool is not None
    builtin: list[RuleSpec] = []
    plugin: list[RuleSpec] = []
    for spec in specs:
        if ctx.operation not in spec.operations or (spec.needs_pool and not pooled):
            continue
        if (
            plan is not None
            and lt is not None
            and spec.relevant is not None
            and not spec.relevant(plan, lt)
        ):
            continue
        if spec.plugin == BUILTIN:
            builtin.append(spec)
        else:
            plugin.append(spec)
    return tuple(builtin), tuple(plugin)


def run_plugin(spec: RuleSpec, ctx: RuleContext) -> Sequence[Finding]:
    """A plugin rule's findings on *ctx*, each checked to be a :class:`Finding`; a rule
    that raises or returns something else is a :class:`PluginRuleError` naming it."""
    try:
        found = spec.check(ctx)
    except BaseException as exc:
        raise _plugin_error(spec, exc) from exc
    if type(found) in _EMPTY_KINDS and not found:
        return ()  # the usual answer: nothing to copy or check
    return _plugin_found(spec, found)


def _plugin_found(spec: RuleSpec, found: Iterable[Finding]) -> list[Finding]:
    """*found*, a plugin rule's answer, as a list of findings, each checked to be a
    :class:`Finding` (or the :class:`PluginRuleError` naming the rule)."""
    try:
        out = list(found)
        for f in out:
            if not isinstance(f, Finding):
                raise TypeError(f"returned {f!r}, which is not a Finding")
    except BaseException as exc:
        raise _plugin_error(spec, exc) from exc
    return out


def _plugin_error(spec: RuleSpec, exc: BaseException) -> PluginRuleError:
    """The error naming the plugin rule that raised *exc*; an interrupt is not the
    rule's fault and goes on as it is."""
    if isinstance(exc, KeyboardInterrupt | GeneratorExit):
        raise exc
    return PluginRuleError(spec.plugin, spec.name, exc)
