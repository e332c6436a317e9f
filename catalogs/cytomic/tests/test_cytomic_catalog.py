"""The Cytomic catalog, checked the way the engine uses it (cytolicense.testing)."""

from __future__ import annotations

import datetime as dt

import cytolicense as cl
from cytolicense.testing import assert_valid_catalog, check_catalog_plugin
from cytolicense_cytomic import plugin


def test_the_plugin_object_is_valid() -> None:
    catalog = assert_valid_catalog(plugin)
    assert set(catalog.products) == {"cytomic-edr", "cytomic-epdr"}


def test_the_installed_entry_point_is_valid() -> None:
    report = check_catalog_plugin("cytomic")
    assert report.ok, report
    assert report.checked == ("cytomic-edr", "cytomic-epdr")
    assert report.catalog is not None
    assert report.catalog.sources["cytomic-edr"] == "cytomic"


def test_the_domain_facts() -> None:
    catalog = assert_valid_catalog(plugin)
    edr, epdr = catalog.product("cytomic-edr"), catalog.product("cytomic-epdr")
    assert edr.family == epdr.family == "cytomic-endpoint"
    assert [str(p) for p in edr.periods] == ["1m", "1y", "2y", "3y"]
    assert [str(p) for p in edr.enabled] == ["1y", "2y", "3y"]
    assert (edr.trial_days, edr.trial_max_quantity, edr.trial_cooldown_days) == (30, 250, 90)
    assert catalog.module("cytomic-encryption").quantity_rule is cl.QuantityRule.INDEPENDENT
    assert catalog.module("cytomic-patch").quantity_rule is cl.QuantityRule.LINKED
    assert catalog.module("cytomic-data-watch").quantity_rule is cl.QuantityRule.LINKED
    # Data Watch with Advanced EDR too (Advanced EDR user guide), since 0.2.0.
    assert edr.modules == {"cytomic-encryption", "cytomic-patch", "cytomic-data-watch"}
    assert (edr.name, epdr.name) == ("Cytomic Advanced EDR", "Cytomic Advanced EPDR")
    assert epdr.modules == {"cytomic-encryption", "cytomic-patch", "cytomic-data-watch"}


def test_encryption_seats_are_chosen_and_capped() -> None:
    engine = cl.Engine(assert_valid_catalog(plugin))
    today = dt.date(2026, 11, 27)
    client = engine.create_client("a", "A", today)
    over = cl.AssignmentRequest(
        product="cytomic-epdr",
        license_type="commercial",
        quantity=10,
        period="1y",
        modules={"cytomic-encryption": 11},
    )
    assert engine.check(client, over, today).codes == ("module.quantity_invalid",)


def test_events_name_the_catalog_release() -> None:
    engine = cl.Engine(cl.load_catalog())
    today = dt.date(2026, 11, 27)
    client = engine.create_client("a", "A", today)
    change = engine.apply(
        client,
        cl.AssignmentRequest(
            product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
        ),
        today,
    )
    assert change.events[0].catalog == "cytolicense-cytomic 0.2.0"
