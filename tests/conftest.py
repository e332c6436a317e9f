from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, settings

import cytolicense as cl

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "soak",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("CYTOLICENSE_PROFILE", "default"))

SOAK = os.environ.get("CYTOLICENSE_PROFILE") == "soak"

D = dt.date


class TestCatalog:
    """A small catalog built in code: two families, linked and independent modules."""

    __name__ = "tests.test_catalog_plugin"

    @cl.hookimpl
    def cytolicense_families(self) -> list[cl.ProductFamily]:
        return [
            cl.ProductFamily(id="endpoint", name="Endpoint"),
            cl.ProductFamily(id="mail", name="Mail"),
        ]

    @cl.hookimpl
    def cytolicense_modules(self) -> list[cl.Module]:
        return [
            cl.Module(id="encryption", name="Encryption", quantity_rule="independent"),
            cl.Module(id="patch", name="Patch"),
            cl.Module(id="watch", name="Data Watch"),
        ]

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["encryption", "patch"],
                periods=["1m", "1y", "2y", "3y"],
                enabled_periods=["1y", "2y", "3y"],
                trial_max_quantity=250,
            ),
            cl.Product(
                id="epdr",
                name="EPDR",
                family="endpoint",
                modules={"encryption", "patch", "watch"},
                max_quantity=1000,
            ),
            cl.Product(
                id="mailguard",
                name="Mail Guard",
                family="mail",
                license_types=["commercial"],
                management_modes=["centralized"],
                periods=["1y"],
            ),
        ]


@pytest.fixture(scope="session")
def catalog() -> cl.Catalog:
    return cl.load_catalog(TestCatalog(), entry_points=False)


@pytest.fixture(scope="session")
def engine(catalog: cl.Catalog) -> cl.Engine:
    return cl.Engine(catalog)


@pytest.fixture(scope="session")
def cytomic() -> cl.Catalog:
    return cl.load_catalog()


def request(**kw: object) -> cl.AssignmentRequest:
    base: dict[str, object] = {
        "product": "edr",
        "license_type": "commercial",
        "quantity": 10,
        "period": "1y",
    }
    base.update(kw)
    return cl.AssignmentRequest(**base)  # type: ignore[arg-type]
