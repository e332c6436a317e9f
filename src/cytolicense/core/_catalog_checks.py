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
        text: What is wrong with it, e.g. ``"names unknown family 'x' (known: a, b)"``.
        ids: The other ids involved.
    """

    kind: str
    record: str
    text: str
    ids: tuple[str, ...] = ()


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
                text=f"names unknown family {p.family!r} (known: {_known(draft.families)})",
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
                text=f"may change to {', '.join(bad)}, which is not a product of its "
                f"family {p.family!r}",
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
                text=f"names unknown module(s) {', '.join(missing)} "
                f"(known: {_known(draft.modules)})",
                ids=tuple(missing),
            )


BUILTIN_CHECKS: tuple[CatalogCheck, ...] = (families_known, changes_within_family, modules_known)
"""The library's own catalog checks, in the order they run."""
