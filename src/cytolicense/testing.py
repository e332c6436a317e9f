"""Help for catalog authors: check a catalog plugin the way the engine will use it.

One call::

    from cytolicense.testing import check_catalog_plugin

    report = check_catalog_plugin(my_plugin)      # or the entry-point name: "cytomic"
    assert report.ok, report

and a pytest-friendly form that fails with every problem listed::

    from cytolicense.testing import assert_valid_catalog

    def test_my_catalog():
        assert_valid_catalog(my_plugin)

What is checked: the plugin loads alone (with ``requires``, the plugins it builds on),
through its entry point when given by name; it declares at least one product;
ids are unique and every name is set; every product names a known family and known
modules; every module is offered with some product; every product accepts a plain
commercial assignment (its first enabled period, one seat, every compatible module)
and, where trials are offered, a plain trial, on a client created that day. A catalog
with later releases has each release checked so, on a day it is in force (its own
first day), and its problems named by release.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from .core._catalog import Catalog
from .core._catalog_records import Product
from .core._enums import LicenseType, QuantityRule
from .core._exceptions import CatalogError
from .core._operations import AssignmentRequest
from .core._period import Period
from .engine._engine import Engine
from .plugins._plugins import load_catalog

__all__ = ["CatalogReport", "assert_valid_catalog", "check_catalog_plugin"]

_DAY = dt.date(2026, 1, 1)


@attrs.frozen
class CatalogReport:
    """What :func:`check_catalog_plugin` found.

    Attributes:
        catalog: The catalog the plugin made, or ``None`` when it did not load.
        problems: One sentence per problem, naming the ids involved.
        checked: The product ids whose assignments were tried.
    """

    catalog: Catalog | None
    problems: tuple[str, ...]
    checked: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """``True`` when no problem was found."""
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"catalog ok: {len(self.checked)} product(s) checked"
        return "catalog problems:\n" + "\n".join(f"- {p}" for p in self.problems)


def check_catalog_plugin(
    plugin: object, *, requires: Iterable[object] = (), today: dt.date = _DAY
) -> CatalogReport:
    """Check *plugin* (an object with hookimpls, or an installed entry-point name).

    Args:
        plugin: The plugin, or the name of its ``cytolicense`` entry point.
        requires: Plugins it builds on (for example one that declares its families).
        today: The day the sample assignments are made on.
    """
    requires = tuple(requires)
    try:
        if isinstance(plugin, str):
            catalog = load_catalog(*requires, only=plugin, entry_points=False)
        else:
            catalog = load_catalog(*requires, plugin, entry_points=False)
    except CatalogError as exc:
        return CatalogReport(catalog=None, problems=(f"does not load: {exc}",), checked=())
    problems: list[str] = []
    if not catalog.products:
        problems.append("declares no product")
    for kind, records in (
        ("family", catalog.families),
        ("module", catalog.modules),
        ("product", catalog.products),
    ):
        for record in records.values():
            if not record.name.strip():
                problems.append(f"{kind} {record.id!r} has an empty name")
    used = {m for r in catalog.releases for p in r.products.values() for m in p.modules}
    for module_id in sorted(set(catalog.modules) - used):
        problems.append(f"module {module_id!r} is offered with no product")
    engine = Engine(catalog)
    checked: list[str] = []
    releases = catalog.releases
    for i, release in enumerate(releases):
        # A day the release is in force on: *today* for the first release (or its
        # last day, when a later one starts before), its own first day for the others.
        day = today if i == 0 else release.effective
        if i + 1 < len(releases) and day >= releases[i + 1].effective:
            day = releases[i + 1].effective - dt.timedelta(days=1)
        where = "" if len(releases) == 1 else f"release {release.version!r}: "
        for product in sorted(release.products.values(), key=lambda p: p.id):
            if product.available_until is not None and product.available_until < day:
                continue  # withdrawn (by this release, or before)
            if product.id not in checked:
                checked.append(product.id)
            problems += [where + p for p in _product_problems(engine, release, product, day)]
    return CatalogReport(catalog=catalog, problems=tuple(problems), checked=tuple(checked))


def assert_valid_catalog(
    plugin: object, *, requires: Iterable[object] = (), today: dt.date = _DAY
) -> Catalog:
    """Like :func:`check_catalog_plugin`, but raise :class:`AssertionError` listing every
    problem (pytest shows it); returns the catalog when it is valid."""
    report = check_catalog_plugin(plugin, requires=requires, today=today)
    if not report.ok or report.catalog is None:
        raise AssertionError(str(report))
    return report.catalog


def _product_problems(
    engine: Engine, catalog: Catalog, product: Product, day: dt.date
) -> list[str]:
    """Plain assignments of *product* refused on *day*, and a product enabling nothing."""
    problems: list[str] = []
    client = engine.create_client("catalog-check", "Catalog check", day)
    modules = {
        m.id: (1 if m.quantity_rule is QuantityRule.INDEPENDENT else None)
        for m in catalog.compatible_modules(product.id)
    }
    mode = sorted(product.management_modes, key=lambda m: m.value)[0]
    samples: list[tuple[str, Period | None]] = []
    if LicenseType.COMMERCIAL in product.license_types:
        samples.append(("commercial", (product.enabled or product.periods)[0]))
    if LicenseType.TRIAL in product.license_types:
        samples.append(("trial", None))
    for license_type, period in samples:
        request = AssignmentRequest(
            product=product.id,
            license_type=license_type,
            quantity=1,
            period=period,
            modules=modules,
            management=mode,
        )
        decision = engine.check(client, request, day)
        for f in decision.errors:
            problems.append(
                f"product {product.id!r}: a plain {license_type} assignment is refused: "
                f"[{f.code}] {f.message}"
            )
    if not product.enabled:
        problems.append(f"product {product.id!r} enables none of its periods")
    return problems
