"""Calling a plugin's rule: its answer checked to be findings, its failure named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..core._exceptions import PluginRuleError
from ..core._findings import Finding
from ..core._rulespec import Rule, RuleContext, RuleSpec

__all__ = ["Call", "run_plugin"]

Call = tuple[Rule, "RuleSpec | None"]
"""A rule as the engine calls it: the function, and its declaration when a plugin's
(its answer is then checked to be findings and its errors name it)."""

_EMPTY_KINDS = (list, tuple)


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
