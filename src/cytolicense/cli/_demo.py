"""A demo partner: clients in every state the console knows (``cytolicense demo``).

Vendor-neutral: the sample products come from the installed catalogs (the first
family whose products sell commercial licences), so the demo runs on any catalog.
"""

from __future__ import annotations

import datetime as dt

from ..core._catalog import Catalog
from ..core._catalog_records import Product
from ..core._enums import LicenseType, QuantityRule
from ..core._exceptions import CatalogError
from ..core._operations import AssignmentRequest, Modify, Renew, SetManagement
from ..core._period import Period
from ..store._console import Console

__all__ = ["HIDDEN", "build_demo"]

HIDDEN = "globex"
"""The demo client that the console no longer shows (90 days without service)."""


def _ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def _samples(catalog: Catalog) -> tuple[Product, Product]:
    """A main product (sells commercial licences and trials, the most modules) and a
    second one of its family (or the same when the family has one product)."""
    for family in sorted(catalog.families):
        products = [
            p
            for p in catalog.products_of(family)
            if LicenseType.COMMERCIAL in p.license_types and p.periods
        ]
        if products:
            main = max(
                products, key=lambda p: (LicenseType.TRIAL in p.license_types, len(p.modules))
            )
            others = [p for p in products if p.id != main.id]
            return main, (others[0] if others else main)
    raise CatalogError("the demo needs a catalog with a product sold commercially")


def build_demo(console: Console, today: dt.date) -> str:
    """Fill *console*'s store with demo clients as of *today*; return the featured client's id.

    - ``contoso``: the main product for its longest period with its modules, seats
      raised later, management stopped and restarted, plus a running trial of the
      other product when it offers trials;
    - ``fabrikam``: a trial that started 10 days ago;
    - ``northwind``: a year that expired 35 days ago (still shown), renewable in grace
      when the product has grace;
    - ``initech``: deleted 20 days ago (still shown, can be restored);
    - ``umbrella``: a sold period the vendor has not enabled, when there is one (warning);
    - ``globex``: a term that ended 270 days ago: no longer shown.
    """
    catalog = console.engine.catalog
    main, other = _samples(catalog)
    modules = catalog.compatible_modules(main.id)
    year = Period(years=1)
    year = year if year in main.periods else main.periods[0]
    longest = main.periods[-1]
    shortest = main.periods[0]
    disabled = [p for p in main.periods if p not in main.enabled]
    trials = LicenseType.TRIAL in main.license_types

    def commercial(product: Product, seats: int, period: Period) -> AssignmentRequest:
        return AssignmentRequest(
            product=product.id, license_type="commercial", quantity=seats, period=period
        )

    c = console
    start = _ago(today, 200)
    c.add_client("contoso", "Contoso Ltd.", start)
    wanted = {
        m.id: (20 if m.quantity_rule is QuantityRule.INDEPENDENT else None) for m in modules[:2]
    }
    c.apply(
        "contoso",
        AssignmentRequest(
            product=main.id,
            license_type="commercial",
            quantity=50,
            period=longest,
            modules=wanted,
        ),
        start,
        actor="demo",
    )
    more = {m.id: (30 if m.quantity_rule is QuantityRule.INDEPENDENT else None) for m in modules}
    c.apply("contoso", Modify(maintenance="m1", quantity=75, modules=more), _ago(today, 60))
    c.apply("contoso", SetManagement(maintenance="m1", mode="unmanaged"), _ago(today, 30))
    c.apply("contoso", SetManagement(maintenance="m1", mode="centralized"), _ago(today, 29))
    if other.id != main.id and LicenseType.TRIAL in other.license_types:
        c.apply(
            "contoso",
            AssignmentRequest(
                product=other.id, license_type="trial", quantity=10, management="unmanaged"
            ),
            _ago(today, 5),
        )

    if trials:
        c.add_client("fabrikam", "Fabrikam Inc.", _ago(today, 10))
        c.apply(
            "fabrikam",
            AssignmentRequest(product=main.id, license_type="trial", quantity=25),
            _ago(today, 10),
        )

    c.add_client("northwind", "Northwind Traders", _ago(today, 400))
    c.apply("northwind", commercial(main, 15, year), _ago(today, 365 + 35))
    if main.grace_days >= 35:
        c.apply("northwind", Renew(maintenance="m1"), today)

    c.add_client("initech", "Initech", _ago(today, 120))
    initech = longest if longest in other.periods else other.periods[-1]
    c.apply("initech", commercial(other, 8, initech), _ago(today, 120))
    c.delete_client("initech", _ago(today, 20))

    c.add_client("umbrella", "Umbrella Corp.", today)
    c.apply("umbrella", commercial(main, 5, disabled[0] if disabled else shortest), today)

    ended = _ago(today, 270)
    began: dt.date = ended - shortest.delta
    c.add_client(HIDDEN, "Globex", began)
    c.apply(HIDDEN, commercial(main, 3, shortest), began)
    return "contoso"
