"""Engine.offer: the add-product dialog, answered by the engine (R3 1/6)."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytolicense as cl

from .test_operations import LifeCatalog

D = dt.date
T0 = D(2026, 3, 1)


@pytest.fixture(scope="module")
def catalog() -> cl.Catalog:
    return cl.load_catalog(LifeCatalog(), entry_points=False)


def minimal(product: cl.Product, lt: cl.LicenseType) -> cl.AssignmentRequest:
    """The contract's minimal request, written here from the contract's words (not the
    engine's helper), so that the property checks the engine against the contract."""
    modes = product.management_modes
    mode = (
        cl.ManagementMode.CENTRALIZED
        if cl.ManagementMode.CENTRALIZED in modes
        else sorted(modes, key=lambda m: m.value)[0]
    )
    period = None
    if lt is cl.LicenseType.COMMERCIAL:
        period = (product.enabled or product.periods)[0]
    return cl.AssignmentRequest(
        product=product.id, license_type=lt, quantity=1, period=period, management=mode
    )


def assert_agrees(
    engine: cl.Engine,
    client: cl.Client,
    day: dt.date,
    pool: cl.Pool | None,
    offers: tuple[cl.ProductOffer, ...],
) -> None:
    """Every statement of *offers* holds against ``check`` (the contract's definition)."""
    sold = [
        p
        for p in engine.catalog.products.values()
        if p.available_until is None or p.available_until >= day
    ]
    assert [o.product for o in offers] == [p.id for p in sold]
    for offer, product in zip(offers, sold, strict=True):
        assert offer.license_types | set(offer.refusals) == set(product.license_types)
        assert not offer.license_types & set(offer.refusals)
        assert offer.periods == product.periods and offer.enabled_periods == product.enabled
        for lt in product.license_types:
            req = minimal(product, lt)
            errors = engine.check(client, req, day, pool=pool).errors
            if lt in offer.license_types:
                assert errors == (), (offer.product, lt, errors)
            else:
                assert errors and offer.refusals[lt] == errors, (offer.product, lt)
        compatible = [m.id for m in engine.catalog.compatible_modules(product.id)]
        assert [m.module for m in offer.modules] == [
            m for m in compatible if m in {x.module for x in offer.modules}
        ]
        for mo in offer.modules:
            seats = None if mo.quantity_rule is cl.QuantityRule.LINKED else 1
            for lt in product.license_types:
                req = minimal(product, lt)
                before = set(engine.check(client, req, day, pool=pool).errors)
                with_module = attrs.evolve(req, modules={mo.module: seats})
                after = set(engine.check(client, with_module, day, pool=pool).errors)
                assert after <= before, (offer.product, mo.module, lt, after - before)


_OPS = st.one_of(
    st.builds(
        lambda p, t, q, per: cl.AssignmentRequest(
            product=p,
            license_type=t,
            quantity=q,
            period=per if t == "commercial" else None,
            modules={"enc": 1} if q % 3 == 0 else {},
        ),
        st.sampled_from(["edr", "epdr", "old"]),
        st.sampled_from(["commercial", "trial"]),
        st.integers(1, 30),
        st.sampled_from(["1m", "1y", "3y"]),
    ),
    st.builds(lambda i: cl.DeleteService(maintenance=f"m{i}"), st.integers(1, 4)),
    st.builds(lambda i: cl.ExtendTrial(maintenance=f"m{i}"), st.integers(1, 4)),
    st.builds(lambda i: cl.ConvertTrial(maintenance=f"m{i}", period="1y"), st.integers(1, 4)),
    st.just(cl.DeleteClient()),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(st.tuples(_OPS, st.integers(0, 200)), max_size=6),
    later=st.integers(0, 500),
    seats=st.one_of(st.none(), st.integers(-2, 3)),
    strict=st.booleans(),
)
def test_every_offer_agrees_with_check(
    catalog: cl.Catalog, steps: list[tuple[Any, int]], later: int, seats: int | None, strict: bool
) -> None:
    engine = cl.Engine(catalog, pool_shortage="error" if strict else "warning")
    day = T0
    client = engine.create_client("acme", "ACME", day)
    for op, gap in steps:
        day += dt.timedelta(days=gap)
        with contextlib.suppress(cl.RuleViolation):
            client = engine.apply(client, op, day).client
    day += dt.timedelta(days=later)
    pool = None if seats is None else cl.Pool((cl.PoolLine(item="edr", period="1m", seats=seats),))
    offers = engine.offer(client, day, pool=pool)
    assert_agrees(engine, client, day, pool, offers)


def test_a_broken_offer_fails_the_property(catalog: cl.Catalog) -> None:
    """The property can fail: each kind of wrong offer is caught."""
    engine = cl.Engine(catalog)
    client = engine.apply(
        engine.create_client("acme", "ACME", T0),
        cl.AssignmentRequest(product="edr", license_type="commercial", quantity=5, period="1y"),
        T0,
    ).client
    offers = engine.offer(client, T0)
    assert_agrees(engine, client, T0, None, offers)
    epdr = next(o for o in offers if o.product == "epdr")
    assert cl.LicenseType.COMMERCIAL in epdr.refusals  # the family rule
    broken = [
        # Offered although the family rule refuses it.
        attrs.evolve(epdr, license_types=epdr.license_types | {cl.LicenseType.COMMERCIAL}),
        # Its refusal without findings.
        attrs.evolve(epdr, refusals={cl.LicenseType.COMMERCIAL: ()}),
        # A module that does not belong (a wrong id).
        attrs.evolve(
            epdr,
            modules=(
                *epdr.modules,
                cl.ModuleOffer(module="watch", name="W", quantity_rule="linked"),
            ),
        ),
    ]
    for wrong in broken:
        bad = tuple(wrong if o.product == "epdr" else o for o in offers)
        with pytest.raises(AssertionError):
            assert_agrees(engine, client, T0, None, bad)


def test_the_offer_of_a_new_and_a_busy_client(catalog: cl.Catalog) -> None:
    engine = cl.Engine(catalog, pool_shortage="error")
    new = engine.create_client("acme", "ACME", T0)
    offers = {o.product: o for o in engine.offer(new, T0)}
    assert list(offers) == ["edr", "epdr", "old"]
    assert offers["edr"].license_types == {cl.LicenseType.COMMERCIAL, cl.LicenseType.TRIAL}
    assert [m.module for m in offers["edr"].modules] == ["enc", "patch", "watch"]
    # The product withdrawn after 2026-06-30 is no longer offered.
    assert "old" not in {o.product for o in engine.offer(new, D(2026, 7, 1))}
    # A pool short of seats when a shortage is an error refuses the commercial licence.
    empty = cl.Pool((cl.PoolLine(item="edr", period="1m", seats=0),))  # its first period
    edr = next(o for o in engine.offer(new, T0, pool=empty) if o.product == "edr")
    assert [f.code for f in edr.refusals[cl.LicenseType.COMMERCIAL]] == ["pool.insufficient"]
    assert edr.license_types == {cl.LicenseType.TRIAL}
    # A used trial in its cool-down.
    tried = engine.apply(
        new, cl.AssignmentRequest(product="edr", license_type="trial", quantity=1), T0
    ).client
    edr = next(o for o in engine.offer(tried, T0) if o.product == "edr")
    assert [f.code for f in edr.refusals[cl.LicenseType.TRIAL]] == ["trial.already_used"]


def test_the_offer_as_a_document_text_and_html(catalog: cl.Catalog) -> None:
    engine = cl.Engine(catalog)
    client = engine.apply(
        engine.create_client("acme", "ACME", T0),
        cl.AssignmentRequest(product="edr", license_type="commercial", quantity=5, period="1y"),
        T0,
    ).client
    for offer in engine.offer(client, T0):
        assert cl.from_json(cl.ProductOffer, cl.to_json(offer)) == offer
        assert "<table>" in offer._repr_html_()
    epdr = next(o for o in engine.offer(client, T0) if o.product == "epdr")
    text = epdr.text("es")
    assert "comercial: ahora no" in text and "[family.already_assigned]" in text
