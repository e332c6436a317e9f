"""Findings (one reason for a decision) and decisions (all of them at once)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._enums import Severity
from ._messages import EN, MESSAGES, key_of, render
from ._validation import named, non_empty_str, to_severity

__all__ = ["CODES", "Decision", "Finding", "make_finding"]

CODES: tuple[str, ...] = (
    "product.unknown",
    "license_type.not_offered",
    "quantity.invalid",
    "period.required",
    "period.invalid",
    "period.not_enabled",
    "period.not_applicable",
    "trial.quantity_exceeded",
    "trial.already_used",
    "family.already_assigned",
    "module.unknown",
    "module.incompatible",
    "module.quantity_fixed",
    "module.quantity_required",
    "module.quantity_invalid",
    "management.unsupported",
    "client.not_visible",
    "client.already_deleted",
    "maintenance.unknown",
    "maintenance.not_active",
)
"""Every finding code the library itself produces (plugins may add their own)."""


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _params(value: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"Finding.params must be a mapping, got {value!r}")
    return {str(k): _freeze(v) for k, v in value.items()}


def _translations(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen(slots=True)
class Finding:
    """One reason in a decision: a stable code, a severity, a field and a message.

    Attributes:
        code: Stable machine code, e.g. ``"period.invalid"``.
        severity: ``ERROR`` refuses the operation, ``WARNING`` only informs.
        field: The request field concerned (``"product"``, ``"license_type"``,
            ``"quantity"``, ``"period"``, ``"modules.<id>"``, ``"management"``,
            ``"maintenance"``), or ``None`` when it is about the client.
        message: The English message.
        params: The values the message is made of (JSON types only: str, int,
            bool, None and tuples of them).
        translations: Messages by language code, for findings whose code is not
            in the library's tables (plugin rules); usually empty.
    """

    code: str = attrs.field(validator=non_empty_str)
    severity: Severity = attrs.field(converter=named(to_severity))  # type: ignore[misc]
    field: str | None
    message: str
    # Mappings take part in equality but not in the hash (they are not hashable).
    params: Mapping[str, Any] = attrs.field(
        factory=dict,
        converter=named(_params),  # type: ignore[misc]
        hash=False,
    )
    translations: Mapping[str, str] = attrs.field(
        factory=dict,
        converter=named(_translations),  # type: ignore[misc]
        hash=False,
    )

    @property
    def is_error(self) -> bool:
        """Whether this finding refuses the operation."""
        return self.severity is Severity.ERROR

    def message_in(self, language: str) -> str:
        """The message in *language* (``"en"``, ``"es"``); unknown languages give English."""
        lang = language.lower().split("-")[0].split("_")[0]
        if lang in self.translations:
            return self.translations[lang]
        table = MESSAGES.get(lang)
        if table is not None:
            template = table.get(key_of(self.code, self.params))
            if template is not None:
                return render(template, self.params, lang)
        return self.message

    def __str__(self) -> str:
        return f"{self.severity.value} [{self.code}] {self.message}"


_NO_TRANSLATIONS: Mapping[str, str] = MappingProxyType({})


def make_finding(
    code: str,
    field: str | None,
    params: Mapping[str, Any],
    severity: Severity = Severity.ERROR,
    *,
    messages: Mapping[str, str] | None = None,
) -> Finding:
    """Build a finding, rendering its English message from the tables.

    *messages* (language -> template) is for codes the library does not know,
    such as those of plugin rules; it must contain ``"en"``.
    """
    if messages is None:
        # The library's own codes: the fields are known to be well formed, so the
        # converters and validators of Finding.__init__ are skipped (only params
        # are normalised).
        finding = object.__new__(Finding)
        for name, value in (
            ("code", code),
            ("severity", severity),
            ("field", field),
            ("message", render(EN[key_of(code, params)], params, "en")),
            ("params", _params(params)),
            ("translations", _NO_TRANSLATIONS),
        ):
            object.__setattr__(finding, name, value)
        return finding
    if "en" not in messages:
        raise ValueError(f"messages for {code!r} must include English ('en')")
    rendered = {lang: render(t, params, lang) for lang, t in messages.items()}
    return Finding(
        code=code,
        severity=severity,
        field=field,
        message=rendered.pop("en"),
        params=params,
        translations=rendered,
    )


def _findings(values: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(values)


@attrs.frozen(slots=True)
class Decision:
    """Every finding about one request, and whether it may go ahead.

    Attributes:
        findings: Errors and warnings, in rule order.
    """

    findings: tuple[Finding, ...] = attrs.field(default=(), converter=_findings)

    @property
    def ok(self) -> bool:
        """``True`` when there is no error (warnings do not block)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def __bool__(self) -> bool:
        """``bool(decision)`` is :attr:`ok`."""
        return self.ok

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that refuse the request."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings that only inform."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of every finding, in order."""
        return tuple(f.code for f in self.findings)

    def messages(self, language: str = "en") -> list[str]:
        """Every finding's message in *language*."""
        return [f.message_in(language) for f in self.findings]

    def __str__(self) -> str:
        if not self.findings:
            return "ok"
        head = "ok with warnings" if self.ok else "refused"
        return "\n".join([head, *(f"  {f}" for f in self.findings)])

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.ok else "#cf222e"
        verdict = "ok" if self.ok and not self.findings else str(self).splitlines()[0]
        rows = "".join(
            f"<tr><td>{html.escape(f.severity.value)}</td><td><code>{html.escape(f.code)}</code>"
            f"</td><td>{html.escape(f.field or '')}</td><td>{html.escape(f.message)}</td></tr>"
            for f in self.findings
        )
        table = (
            "<table><thead><tr><th>severity</th><th>code</th><th>field</th><th>message</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else ""
        )
        return f'<div><strong style="color:{color}">{html.escape(verdict)}</strong>{table}</div>'
