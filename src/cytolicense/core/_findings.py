"""Findings (one reason for a decision) and decisions (all of them at once)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._enums import Severity
from ._html import styled
from ._messages import render
from ._validation import non_empty_str, to_severity

__all__ = ["CodeSpec", "Decision", "Finding", "make_finding"]

_NO_TEMPLATES: Mapping[str, str] = MappingProxyType({})
_FIELD_RE = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


@attrs.frozen(kw_only=True, slots=True)
class CodeSpec:
    """The declaration of one finding code: its severity and its message templates.

    Attributes:
        code: Stable machine code, e.g. ``"period.invalid"``.
        severity: The default severity (an engine setting may change it: ``pool_shortage``).
        messages: Language -> template, or language -> {reason -> template} for codes
            whose ``reason`` param picks the wording. English (``"en"``) is required.
            Templates name the finding's params in braces.
    """

    code: str
    severity: Severity = Severity.ERROR
    messages: Mapping[str, str | Mapping[str, str]] = attrs.field(hash=False)
    _tables: dict[str, Mapping[str, str]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        if "en" not in self.messages:
            raise ValueError(f"messages for {self.code!r} must include English ('en')")
        # Reason -> template per language, built once (findings are made per request).
        tables = {
            lang: ({"": found} if isinstance(found, str) else dict(found))
            for lang, found in self.messages.items()
        }
        object.__setattr__(self, "_tables", tables)

    def templates(self, language: str) -> Mapping[str, str]:
        """Reason ("" for none) -> template in *language* (empty when not translated)."""
        return self._tables.get(language, _NO_TEMPLATES)

    def template(self, language: str, params: Mapping[str, object]) -> str | None:
        """The template for *params* in *language*, or ``None``."""
        table = self._tables.get(language, _NO_TEMPLATES)
        reason = params.get("reason")
        if reason is not None and type(reason) is str and reason in table:
            return table[reason]
        return table.get("")

    def missing(self, params: Mapping[str, object]) -> list[str]:
        """The params the templates for *params* need and *params* lacks."""
        need: set[str] = set()
        for lang in self.messages:
            template = self.template(lang, params)
            if template is None:
                return [f"reason {params.get('reason')!r} has no {lang} message"]
            need.update(_FIELD_RE.findall(template))
        return sorted(need - set(params))

    def finding(
        self, field: str | None, params: Mapping[str, Any], severity: Severity | None = None
    ) -> Finding:
        """A finding of this code (its English message rendered from *params*)."""
        template = self.template("en", params)
        if template is None:
            raise ValueError(f"finding {self.code!r}: no English message for {dict(params)!r}")
        finding = _new(Finding)
        values = finding.__dict__  # the keys in one order: one shared key table
        values["code"] = self.code
        values["severity"] = self.severity if severity is None else severity
        values["field"] = field
        values["params"] = _params(params)
        values["translations"] = _NO_TRANSLATIONS
        values["spec"] = self  # the message is rendered when first read
        return finding


_new = object.__new__
_ERROR, _WARNING = Severity.ERROR, Severity.WARNING


def _freeze(value: Any, where: str) -> Any:
    """*value* as a JSON value (lists become tuples); anything else is a TypeError."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, list | tuple):
        return tuple(_freeze(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, Mapping):
        return {str(k): _freeze(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(
        f"Finding.params{where}: {type(value).__name__} is not a JSON value "
        "(str, int, float, bool, None, lists and mappings of them)"
    )


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _params(value: Mapping[str, Any]) -> dict[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):  # dict: no ABC check
        raise TypeError(f"Finding.params must be a mapping, got {value!r}")
    out = dict(value)
    for k, v in out.items():
        # The usual case: str keys, plain values and tuples of plain values (the
        # "known"/"allowed" lists of a message), kept as they are.
        if type(k) is not str or (
            type(v) not in _SCALARS and not (type(v) is tuple and _plain_tuple(v))
        ):
            return {str(k): _freeze(v, f"[{k!r}]") for k, v in value.items()}
    return out


def _plain_tuple(value: tuple[Any, ...]) -> bool:
    for v in value:  # noqa: SIM110 (a loop: cheaper than all() over a generator here)
        if type(v) not in _SCALARS:
            return False
    return True


def _translations(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen(slots=False)  # a __dict__: a declared finding's message is rendered when read
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
        translations: Messages by language, rendered, for findings made without a
            declaration (``make_finding(..., messages=...)``); usually empty.
        spec: The code's declaration (templates in every language), when known; not
            part of equality.
    """

    code: str = attrs.field(validator=non_empty_str)
    severity: Severity = attrs.field(converter=to_severity)
    field: str | None
    message: str
    # Mappings take part in equality but not in the hash (they are not hashable).
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=_params, hash=False)
    translations: Mapping[str, str] = attrs.field(factory=dict, converter=_translations, hash=False)
    spec: CodeSpec | None = attrs.field(init=False, default=None, eq=False, hash=False, repr=False)

    @property
    def is_error(self) -> bool:
        """Whether this finding refuses the operation."""
        return self.severity is Severity.ERROR

    def message_in(self, language: str) -> str:
        """The message in *language* (``"en"``, ``"es"``); unknown languages give English."""
        lang = language.lower().split("-")[0].split("_")[0]
        if lang in self.translations:
            return self.translations[lang]
        if self.spec is not None:
            template = self.spec.template(lang, self.params)
            if template is not None:
                return render(template, self.params, lang)
        return self.message

    def __str__(self) -> str:
        return f"{self.severity.value} [{self.code}] {self.message}"


class _NoTranslations(Mapping[str, str]):
    """The empty, read-only translations a declared finding shares (picklable, unlike
    a mappingproxy)."""

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and len(other) == 0

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "{}"


_NO_TRANSLATIONS: Mapping[str, str] = _NoTranslations()


def make_finding(
    code: str | CodeSpec,
    field: str | None,
    params: Mapping[str, Any],
    severity: Severity | None = None,
    *,
    messages: Mapping[str, str] | None = None,
) -> Finding:
    """Build a finding, rendering its English message.

    *code* is a :class:`CodeSpec` (the declaration a rule carries), or a code string
    with *messages* (language -> template, ``"en"`` required). Severity defaults to
    the declaration's, or to error.
    """
    if isinstance(code, CodeSpec):
        return code.finding(field, params, severity)
    if messages is None:
        raise ValueError(
            f"make_finding({code!r}): give the messages (language -> template), or a CodeSpec"
        )
    if "en" not in messages:
        raise ValueError(f"messages for {code!r} must include English ('en')")
    rendered = {lang: render(t, params, lang) for lang, t in messages.items()}
    return Finding(
        code=code,
        severity=Severity.ERROR if severity is None else severity,
        field=field,
        message=rendered.pop("en"),
        params=params,
        translations=rendered,
    )


class _LazyMessage:
    """:attr:`Finding.message` of a finding made from its declaration (no message in
    its ``__dict__``): rendered on first read, so that a check only tested for
    ok-ness never pays for it, then kept in the finding's ``__dict__``, which hides
    this descriptor (it defines no ``__set__``) from then on: a plain read."""

    def __get__(self, inst: Finding | None, owner: type | None = None) -> Any:
        if inst is None:
            return self
        values = inst.__dict__
        spec = values.get("spec")
        if spec is None:
            raise AttributeError(f"{type(inst).__name__!r} object has no attribute 'message'")
        params = values["params"]
        template = spec.template("en", params)
        text = render(template, params, "en") if template is not None else inst.code
        values["message"] = text
        return text


Finding.message = _LazyMessage()  # type: ignore[assignment]


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
        found = self.findings
        for f in found:
            if f.severity is not _ERROR:
                return tuple([f for f in found if f.severity is _ERROR])
        return found  # the usual refusal: every finding an error

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings that only inform."""
        found = self.findings
        for f in found:
            if f.severity is _WARNING:
                return tuple([f for f in found if f.severity is _WARNING])
        return ()

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
            f"</td><td>{html.escape(f.field or '')}</td>"
            f"<td class='message'>{html.escape(f.message)}</td></tr>"
            for f in self.findings
        )
        table = (
            "<table><thead><tr><th>severity</th><th>code</th><th>field</th><th>message</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else ""
        )
        return styled(
            f'<div><strong style="color:{color}">{html.escape(verdict)}</strong>{table}</div>'
        )
