"""What changed between two catalogs (two releases of one): records added, removed and
changed, field by field (``cytolicense catalog diff OLD NEW``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ..core._catalog import Catalog
from ..core._messages import tr

__all__ = ["CatalogChange", "catalog_diff"]


@attrs.frozen(kw_only=True)
class CatalogChange:
    """One record added, removed or changed between two catalogs.

    Attributes:
        kind: ``"added"``, ``"removed"`` or ``"changed"``.
        record: ``"family"``, ``"module"`` or ``"product"``.
        id: The record's id.
        fields: For a change, ``(field, old, new)`` per field that differs, the
            values as text (``"all"`` for every sold period enabled, ``"none"``).
    """

    kind: str
    record: str
    id: str
    fields: tuple[tuple[str, str, str], ...] = ()

    def text(self, language: str = "en") -> str:
        """One line, as the command line prints it."""
        head = tr(
            "{kind} {record} '{id}'",
            language,
            kind=tr(self.kind, language),
            record=tr(self.record, language),
            id=self.id,
        )
        if not self.fields:
            return head
        parts = [
            f"{name}: {_word(old, language)} -> {_word(new, language)}"
            for name, old, new in self.fields
        ]
        return f"{head}: " + "; ".join(parts)

    def __str__(self) -> str:
        return self.text()


def _word(value: str, language: str) -> str:
    return tr(value, language) if value in ("all", "none") else value


def _text(name: str, value: Any) -> str:
    if value is None:
        return "all" if name == "enabled_periods" else "none"
    if isinstance(value, frozenset | set):
        items = sorted(str(getattr(v, "value", v)) for v in value)
        return ", ".join(items) if items else "none"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _records(old: Mapping[str, Any], new: Mapping[str, Any], record: str) -> list[CatalogChange]:
    out: list[CatalogChange] = []
    for rid in sorted(set(old) | set(new)):
        if rid not in old:
            out.append(CatalogChange(kind="added", record=record, id=rid))
        elif rid not in new:
            out.append(CatalogChange(kind="removed", record=record, id=rid))
        elif old[rid] != new[rid]:
            fields = tuple(
                (
                    a.name,
                    _text(a.name, getattr(old[rid], a.name)),
                    _text(a.name, getattr(new[rid], a.name)),
                )
                for a in attrs.fields(type(old[rid]))
                if getattr(old[rid], a.name) != getattr(new[rid], a.name)
            )
            out.append(CatalogChange(kind="changed", record=record, id=rid, fields=fields))
    return out


def catalog_diff(old: Catalog, new: Catalog) -> list[CatalogChange]:
    """The families, modules and products *new* adds, removes and changes against *old*
    (for products: periods, enabled periods, modules, seat caps, trial terms, grace,
    availability and every other field), in that order, each sorted by id."""
    return [
        *_records(old.families, new.families, "family"),
        *_records(old.modules, new.modules, "module"),
        *_records(old.products, new.products, "product"),
    ]
