"""Checks of a whole catalog: what makes the declarations one consistent catalog.

A check is a function of a :class:`CatalogDraft` (every declared family, module and
product, each id once) that yields a :class:`CatalogProblem` for each thing wrong.
The built-in checks below come to :func:`cytolicense.load_catalog` through the
``cytolicense_catalog_checks`` hook of the internal plugin ``cytolicense``, the same
hook a vendor's plugin uses to add its own (every product sells a trial, say);
:class:`Catalog` built directly from records runs the built-in ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from ._catalog_records import Module, Product, ProductFamily
from ._messages import ERRORS, render

__all__ = ["BUILTIN_CHECKS", "CatalogCheck", "CatalogDraft", "CatalogProblem"]


@attrs.frozen(kw_only=True, slots=True)
class CatalogDraft:
    """The declarations a catalog check looks at, each id once.

    Attributes:
        families: Family id -> record.
        modules: Module id -> record.
        products: Product id -> record.
    """

    families: Mapping[str, ProductFamily]
    modules: Mapping[str, Module]
    products: Mapping[str, Product]


@attrs.frozen(kw_only=True, slots=True)
class CatalogProblem:
    """Something that keeps the declarations from making one consistent catalog.

    The loader's :class:`CatalogError` reads ``"<kind> '<record>' (declared by
    <plugin>) <text>"`` and names the plugins involved.

    Attributes:
        kind: What the record at fault is: ``"product"``, ``"module"`` or ``"family"``.
        record: Its id.
        text: What is wrong with it, e.g. ``"names unknown family 'x' (known: a, b)"``;
            it may be a template whose ``{placeholders}`` *values* fill (then the
            error can be given in another language when the template has a
            translation).
        ids: The other ids involved.
        values: The values of *text*'s placeholders.
    """

    kind: str
    record: str
    text: str
    ids: tuple[str, ...] = ()
    values: Mapping[str, object] = attrs.field(factory=dict)

    def text_in(self, language: str) -> str:
        """What is wrong, in *language* (English when the text has no translation)."""
        template = ERRORS.get(language, {}).get(self.text, self.text) if self.values else None
        if template is None:
            return ERRORS.get(language, {}).get(self.text, self.text)
        return render(template, self.values, language)


CatalogCheck = Callable[[CatalogDraft], Iterable[CatalogProblem]]
"""A check of a whole catalog: yields each problem it finds (none: consistent)."""


def _known(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids)) or "none"


def families_known(draft: CatalogDraft) -> Iterator[CatalogProblem]:
    """Every product names a declared family."""
    for p in draft.products.values():
        if p.family not in draft.families:
            yield CatalogProblem(
                kind="product",
                record=p.id,
                text="names unknown family '{family}' (known: {known})",
                values={"family": p.family, "known": _known(draft.families)},
                ids=(p.family,),
            )


def changes_within_family(draft: CatalogDraft) -> Iterator[CatalogProblem]:
    """A product changes only to declared products of its own family (C12)."""
    products = draft.products
    for p in products.values():
        bad = sorted(c for c in p.changes_to if c not in products or products[c].family != p.family)
        if bad:
            yield CatalogProblem(
                kind="product",
                record=p.id,
                text="may change to {products}, which is not a product of its family '{family}'",
                values={"products": tuple(bad), "family": p.family},
                ids=tuple(bad),
            )


def modules_known(draft: CatalogDraft) -> Iterator[CatalogProblem]:
    """Every product's modules are declared."""
    for p in draft.products.values():
        missing = sorted(m for m in p.modules if m not in draft.modules)
        if missing:
            yield CatalogProblem(
                kind="product",
                record=p.id,
                text="names unknown module(s) {modules} (known: {known})",
                values={"modules": tuple(missing), "known": _known(draft.modules)},
                ids=tuple(missing),
            )


BUILTIN_CHECKS: tuple[CatalogCheck, ...] = (families_known, changes_within_family, modules_known)
"""The library's own catalog checks, in the order they run."""
