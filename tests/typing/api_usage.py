"""Uses the public API as a user would; checked by ``mypy --strict`` (nox -s mypy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import cytolicense as cl

catalog: cl.Catalog = cl.load_catalog(entry_points=True)
engine = cl.Engine(catalog, enabled_periods={"cytomic-edr": ["1y"]})
today = dt.date(2026, 11, 27)
client: cl.Client = engine.create_client("acme", "ACME Corp", today)
request = cl.AssignmentRequest(
    product="cytomic-epdr",
    license_type=cl.LicenseType.COMMERCIAL,
    quantity=25,
    period=cl.Period.parse("1y"),
    modules={"cytomic-encryption": 10, "cytomic-patch": None},
    management=cl.ManagementMode.CENTRALIZED,
)
decision: cl.Decision = engine.check(client, request, today)
ok: bool = decision.ok
codes: list[str] = [f.code for f in decision.errors] + [f.code for f in decision.warnings]
spanish: list[str] = [f.message_in("es") for f in decision.findings]
try:
    change: cl.Change = engine.assign(client, request, today)
except cl.RuleViolation as exc:
    refused: cl.Decision = exc.decision
else:
    maintenance: cl.Maintenance | None = change.maintenance
    events: tuple[cl.Event, ...] = change.events
    client = change.client
    rebuilt: cl.Client = cl.replay(events, engine.create_client("acme", "ACME Corp", today))
    if maintenance is not None:
        mid: str = maintenance.id
        client = engine.modify(client, mid, today, quantity=30).client
        client = engine.set_management(client, mid, "unmanaged", today).client
        state: cl.Status = engine.status(client.maintenance(mid), today)
        client = engine.delete_service(client, mid, today).client
shown: list[cl.Client] = engine.monitoring([client], today)
is_visible: bool = engine.visible(client, today)
detail: cl.ClientDetail = engine.detail(client, today)
seats: Mapping[str, int] = engine.entitlements(client, today)
text: str = cl.to_json(client)
again: cl.Client = cl.from_json(cl.Client, text)
product: cl.Product = catalog.product("cytomic-edr")
module: cl.Module = catalog.module("cytomic-encryption")
family: cl.ProductFamily = catalog.family(product.family)


class VendorRules:
    @cl.hookimpl
    def cytolicense_rules(self) -> Iterable[cl.Rule]:
        def no_big_unmanaged(ctx: cl.RuleContext) -> Iterable[cl.Finding]:
            if ctx.request is not None and ctx.request.quantity > 1000:
                yield cl.make_finding(
                    "vendor.too_big",
                    "quantity",
                    {"quantity": ctx.request.quantity},
                    messages={"en": "Too many: {quantity}.", "es": "Demasiadas: {quantity}."},
                )

        return [no_big_unmanaged]


other: cl.Catalog = cl.load_catalog(VendorRules())

# The store and the console facade, as a host service would use them.
with cl.Store("/tmp/cytolicense-typing.db", "msp-1") as store:
    console = cl.Console(engine, store)
    if "acme" not in store:
        created: cl.Client = console.add_client("acme", "ACME Corp", today)
    assigned: cl.Change = console.assign("acme", request, today)
    current, version = store.load("acme")
    stored_version: int = store.save(engine.delete_client(current, today), version)
    history: list[cl.Event] = console.history("acme")
    shown_in_db: list[cl.Client] = store.monitoring(today)
    with store.batch():
        seats_now: dict[str, int] = console.entitlements("acme", today)

# The catalog author kit.
from cytolicense.testing import CatalogReport, check_catalog_plugin  # noqa: E402

report: CatalogReport = check_catalog_plugin("cytomic")
problems: tuple[str, ...] = report.problems
