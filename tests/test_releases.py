"""Catalog releases with effective dates (R3 4/6): new terms from the release in force
on the operation's day, existing maintenances on the terms they were sold under."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytolicense as cl

D = dt.date
B_DAY = D(2027, 1, 1)  # release "2027.1" is in force from this day


def edr(**kw: Any) -> cl.Product:
    base: dict[str, Any] = {
        "id": "edr",
        "name": "EDR",
        "family": "endpoint",
        "modules": {"patch"},
        "max_quantity": 100,
        "trial_days": 30,
        "trial_extension_days": 15,
        "grace_days": 30,
    }
    return cl.Product(**(base | kw))


def epdr(**kw: Any) -> cl.Product:
    return cl.Product(id="epdr", name="EPDR", family="endpoint", **kw)


class First:
    """The first release (the round-2 hooks): EDR with Patch, every period enabled."""

    __name__ = "vendor.first"

    @cl.hookimpl
    def cytolicense_families(self) -> list[cl.ProductFamily]:
        return [
            cl.ProductFamily(id="endpoint", name="Endpoint"),
            cl.ProductFamily(id="mail", name="Mail"),
        ]

    @cl.hookimpl
    def cytolicense_modules(self) -> list[cl.Module]:
        return [cl.Module(id="patch", name="Patch")]

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [edr(), cl.Product(id="mail", name="Mail", family="mail")]


class Later:
    """Release 2027.1: 2y no longer enabled, Patch dropped, shorter trials, a lower
    cap, 15 grace days, EPDR new and Mail withdrawn; and whatever *extra* adds."""

    __name__ = "vendor.releases"

    def __init__(self, *extra: cl.CatalogRelease, moves: dict[str, D] | None = None) -> None:
        self.extra = extra
        self.moves = moves or {}

    @cl.hookimpl
    def cytolicense_releases(self) -> list[cl.CatalogRelease]:
        later = edr(
            modules=frozenset(),
            changes_to={"epdr"},
            enabled_periods=("1y", "3y"),
            trial_days=15,
            max_quantity=50,
            grace_days=15,
        )
        return [
            cl.CatalogRelease(
                version="2027.1",
                effective=B_DAY,
                products=(later, epdr()),
                existing_from=self.moves,
            ),
            *self.extra,
        ]


def load(*plugins: object) -> cl.Catalog:
    return cl.load_catalog(*plugins, entry_points=False)


A = load(First())
AB = load(First(), Later())


def commercial(quantity: int = 10, period: str = "1y", **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product=kw.pop("product", "edr"),
        license_type="commercial",
        quantity=quantity,
        period=period,
        **kw,
    )


def codes(decision: cl.Decision) -> list[str]:
    return [f.code for f in decision.findings]


def sold(engine: cl.Engine, day: D, request: Any = None) -> cl.Client:
    c = engine.create_client("acme", "ACME", day)
    return engine.apply(c, request or commercial(), day).client


# -- the catalog --------------------------------------------------------------------------


def test_a_round_two_catalog_is_one_release_since_the_first_day() -> None:
    assert [r.version for r in A.releases] == ["initial"]
    assert A.effective == D.min
    assert A.at(D(1, 1, 1)) is A and A.at(D(2099, 1, 1)) is A


def test_at_gives_the_release_in_force_on_the_day_before_of_and_after() -> None:
    assert [(r.version, r.effective) for r in AB.releases] == [
        ("initial", D.min),
        ("2027.1", B_DAY),
    ]
    assert AB.at(D(2026, 12, 31)).version == "initial"
    assert AB.at(B_DAY).version == "2027.1"
    assert AB.at(D(2027, 1, 2)).version == "2027.1"
    assert AB.version == "2027.1"  # the catalog is its newest release


def test_a_product_absent_from_a_release_is_withdrawn_from_its_first_day() -> None:
    mail = AB.at(B_DAY).product("mail")
    assert mail.available_until == D(2026, 12, 31)
    assert AB.at(D(2026, 12, 31)).product("mail").available_until is None
    engine = cl.Engine(AB)
    c = engine.create_client("acme", "ACME", D(2026, 12, 1))
    assert engine.check(c, commercial(product="mail"), D(2026, 12, 31)).ok
    assert codes(engine.check(c, commercial(product="mail"), B_DAY)) == ["product.withdrawn"]
    # Its maintenances keep working.
    c = engine.apply(c, commercial(product="mail"), D(2026, 12, 31)).client
    assert engine.check(c, cl.Modify(maintenance="m1", quantity=20), D(2027, 2, 1)).ok


def test_two_releases_on_one_day_are_refused_naming_the_plugin() -> None:
    twin = cl.CatalogRelease(version="2027.1b", effective=B_DAY, products=(edr(),))
    with pytest.raises(cl.CatalogError) as caught:
        load(First(), Later(twin))
    assert "vendor.releases" in str(caught.value) and "2027-01-01" in str(caught.value)
    assert "vendor.releases" in caught.value.plugins
    assert "2027.1b" in caught.value.message_in("es")


def test_a_version_given_twice_is_refused() -> None:
    again = cl.CatalogRelease(version="2027.1", effective=D(2027, 6, 1), products=(edr(),))
    with pytest.raises(cl.CatalogError, match="declared twice"):
        load(First(), Later(again))


def test_a_product_that_changes_family_between_releases_is_refused() -> None:
    moved = cl.CatalogRelease(
        version="2027.2",
        effective=D(2027, 6, 1),
        products=(edr(family="mail"),),
    )
    with pytest.raises(cl.CatalogError, match="never changes family") as caught:
        load(First(), Later(moved))
    assert caught.value.ids == ("edr", "2027.2")


def test_every_release_is_checked_like_a_catalog() -> None:
    broken = cl.CatalogRelease(
        version="2027.2", effective=D(2027, 6, 1), products=(edr(modules={"nope"}),)
    )
    with pytest.raises(cl.CatalogError, match="nope"):
        load(First(), Later(broken))


def test_release_records_refuse_what_cannot_be() -> None:
    with pytest.raises(ValueError, match="does not sell"):
        cl.CatalogRelease(version="x", effective=B_DAY, products=(), existing_from={"edr": B_DAY})
    with pytest.raises(ValueError, match="before the release's first day"):
        cl.CatalogRelease(
            version="x", effective=B_DAY, products=(edr(),), existing_from={"edr": D(2026, 1, 1)}
        )
    with pytest.raises(ValueError, match="names the first release"):
        cl.CatalogRelease(version="initial", effective=B_DAY, products=())


# -- new terms from the release in force ----------------------------------------------------


def test_a_period_disabled_later_warns_after_not_before() -> None:
    engine = cl.Engine(AB)
    c = engine.create_client("acme", "ACME", D(2026, 12, 1))
    assert engine.check(c, commercial(period="2y"), D(2026, 12, 31)).findings == ()
    assert codes(engine.check(c, commercial(period="2y"), B_DAY)) == ["period.not_enabled"]


def test_new_maintenances_record_their_release() -> None:
    engine = cl.Engine(AB)
    before = sold(engine, D(2026, 12, 31))
    after = sold(engine, B_DAY)
    assert before.maintenances[0].release is None  # the first release writes none
    assert after.maintenances[0].release == "2027.1"
    text = cl.to_json(after)
    assert '"release": "2027.1"' in text and cl.from_json(cl.Client, text) == after
    assert '"release"' not in cl.to_json(before)


def test_trials_keep_the_length_they_started_with_extension_too() -> None:
    engine = cl.Engine(AB)
    trial = cl.AssignmentRequest(product="edr", license_type="trial", quantity=5)
    old = sold(engine, D(2026, 12, 20), trial).maintenances[0]
    new = sold(engine, D(2027, 1, 2), trial).maintenances[0]
    assert (old.expires_on - old.starts_on).days == 29  # 30 days, both ends included
    assert (new.expires_on - new.starts_on).days == 14  # 15 days
    c = sold(engine, D(2026, 12, 20), trial)
    extended = engine.apply(c, cl.ExtendTrial(maintenance="m1"), D(2027, 1, 5)).client
    assert extended.maintenances[0].expires_on == old.expires_on + dt.timedelta(days=15)


def test_a_product_change_uses_the_release_in_force_on_the_change_day() -> None:
    engine = cl.Engine(AB)
    c = sold(engine, D(2026, 6, 1))
    change = cl.ChangeProduct(maintenance="m1", product="epdr", period="1y")
    assert "change.not_allowed" in codes(engine.check(c, change, D(2026, 12, 31)))
    done = engine.apply(c, change, D(2027, 2, 1))
    assert done.maintenance is not None and done.maintenance.release == "2027.1"


def test_offer_shows_what_is_sold_that_day() -> None:
    engine = cl.Engine(AB)
    c = engine.create_client("acme", "ACME", D(2026, 12, 1))
    before = {o.product for o in engine.offer(c, D(2026, 12, 31))}
    after = {o.product for o in engine.offer(c, B_DAY)}
    assert before == {"edr", "mail"} and after == {"edr", "epdr"}
    old_edr = next(o for o in engine.offer(c, D(2026, 12, 31)) if o.product == "edr")
    new_edr = next(o for o in engine.offer(c, B_DAY) if o.product == "edr")
    assert len(old_edr.modules) == 1 and new_edr.modules == ()


# -- existing maintenances keep their terms ------------------------------------------------


def test_a_dropped_module_stays_on_an_existing_maintenance_and_renewal_drops_it() -> None:
    engine = cl.Engine(AB)
    c = sold(engine, D(2026, 3, 1), commercial(modules={"patch": None}))
    # Modify under its own release: Patch is still offered to it, and the cap is 100.
    modified = engine.apply(c, cl.Modify(maintenance="m1", quantity=80), D(2027, 2, 1))
    assert [ml.module for ml in modified.client.maintenances[0].modules] == ["patch"]
    c = modified.client
    # A lower seat cap is a change the renewal warns of (a renewal is not held to the
    # cap, in any release).
    decision = engine.check(c, cl.Renew(maintenance="m1"), D(2027, 2, 2))
    assert codes(decision) == ["renewal.terms_changed"]
    renewal = engine.apply(c, cl.Renew(maintenance="m1"), D(2027, 2, 3))
    (warning,) = renewal.warnings
    assert warning.code == "renewal.terms_changed"
    assert warning.params == {
        "maintenance": "m1",
        "release": "2027.1",
        "previous_release": "initial",
        "changes": "module:patch, max_quantity:100->50, grace_days:30->15",
    }
    assert "cambian" in warning.message_in("es")
    m = renewal.client.maintenances[0]
    assert m.modules == () and m.release == "2027.1" and m.grace_days == 15
    assert m.expires_on == D(2028, 3, 1) and m.quantity == 80
    # The events lead from the stored client to the new one (what a store checks).
    replayed = c
    for event in renewal.events:
        replayed = cl.apply(replayed, event)
    assert replayed == renewal.client


def test_a_renewal_across_a_disabled_period_warns_terms_changed() -> None:
    engine = cl.Engine(AB)
    c = sold(engine, D(2025, 6, 1), commercial(period="2y"))
    decision = engine.check(c, cl.Renew(maintenance="m1"), D(2027, 3, 1))
    assert codes(decision) == ["period.not_enabled", "renewal.terms_changed"]
    assert "period:2y" in decision.warnings[-1].params["changes"]


def test_a_renewal_under_the_same_release_changes_nothing() -> None:
    engine = cl.Engine(AB)
    c = sold(engine, B_DAY)
    assert engine.check(c, cl.Renew(maintenance="m1"), D(2027, 6, 1)).findings == ()


def test_existing_maintenances_move_on_the_declared_day() -> None:
    engine = cl.Engine(load(First(), Later(moves={"edr": D(2027, 3, 1)})))
    c = sold(engine, D(2026, 6, 1))
    grow = cl.Modify(maintenance="m1", quantity=80)
    assert engine.check(c, grow, D(2027, 2, 28)).ok  # the first release's cap, 100
    assert codes(engine.check(c, grow, D(2027, 3, 1))) == ["quantity.invalid"]  # 50 now
    assert engine.catalog.terms_for("edr", None, D(2027, 2, 28)).version == "initial"
    assert engine.catalog.terms_for("edr", None, D(2027, 3, 1)).version == "2027.1"


def test_every_later_release_is_looked_at_and_the_newest_in_force_wins() -> None:
    # Kill Bill #1329 (only the next release looked at) and #2291 (the oldest kept).
    third = cl.CatalogRelease(
        version="2027.2",
        effective=D(2027, 6, 1),
        products=(edr(max_quantity=30, modules=frozenset()), epdr()),
        existing_from={"edr": D(2027, 6, 15)},
    )
    catalog = load(First(), Later(third, moves={"edr": D(2027, 3, 1)}))
    assert catalog.terms_for("edr", None, D(2027, 2, 1)).version == "initial"
    assert catalog.terms_for("edr", None, D(2027, 4, 1)).version == "2027.1"
    assert catalog.terms_for("edr", None, D(2027, 6, 14)).version == "2027.1"
    assert catalog.terms_for("edr", None, D(2027, 6, 15)).version == "2027.2"
    # A release that moves nothing leaves existing maintenances where they are.
    quiet = load(First(), Later(attrs.evolve(third, existing_from={})))
    assert quiet.terms_for("edr", None, D(2028, 1, 1)).version == "initial"
    assert quiet.terms_for("edr", "2027.1", D(2028, 1, 1)).version == "2027.1"


def test_maintenances_bought_before_and_after_a_release_both_move() -> None:
    # Kill Bill #1842: after the move day, both take the new terms.
    engine = cl.Engine(load(First(), Later(moves={"edr": D(2027, 3, 1)})))
    c = sold(engine, D(2026, 6, 1))
    c = engine.apply(c, commercial(), D(2027, 1, 15)).client
    assert [m.release for m in c.maintenances] == [None, "2027.1"]
    for mid in ("m1", "m2"):
        assert codes(engine.check(c, cl.Modify(maintenance=mid, quantity=80), D(2027, 3, 2))) == [
            "quantity.invalid"
        ]


def test_kill_bill_1846_a_move_keeps_the_term_in_progress() -> None:
    # V1 from 2022-01-01, V2 from 2022-04-01 moving existing ones on 2022-05-15. A
    # monthly line bought on 2022-03-05 keeps its dates; operations dated before the
    # move day use V1, from it V2; its renewal takes the release in force.
    def monthly(cap: int) -> cl.Product:
        return cl.Product(id="m", name="M", family="endpoint", periods=("1m",), max_quantity=cap)

    class V1:
        __name__ = "kb.v1"

        @cl.hookimpl
        def cytolicense_families(self) -> list[cl.ProductFamily]:
            return [cl.ProductFamily(id="endpoint", name="Endpoint")]

        @cl.hookimpl
        def cytolicense_products(self) -> list[cl.Product]:
            return [monthly(100)]

        @cl.hookimpl
        def cytolicense_releases(self) -> list[cl.CatalogRelease]:
            return [
                cl.CatalogRelease(
                    version="V2",
                    effective=D(2022, 4, 1),
                    products=(monthly(20),),
                    existing_from={"m": D(2022, 5, 15)},
                )
            ]

    engine = cl.Engine(load(V1()))
    c = sold(engine, D(2022, 3, 5), commercial(product="m", period="1m", quantity=10))
    m = c.maintenances[0]
    assert (m.release, m.expires_on) == (None, D(2022, 4, 5))
    grow = cl.Modify(maintenance="m1", quantity=50)
    assert engine.check(c, grow, D(2022, 3, 20)).ok
    renewed = engine.apply(c, cl.Renew(maintenance="m1"), D(2022, 4, 1)).client
    assert renewed.maintenances[0].release == "V2"
    assert renewed.maintenances[0].expires_on == D(2022, 5, 5)
    assert codes(engine.check(renewed, grow, D(2022, 4, 2))) == ["quantity.invalid"]


# -- stores ---------------------------------------------------------------------------------


def test_a_store_read_with_a_catalog_lacking_the_release_says_which(tmp_path: Any) -> None:
    engine = cl.Engine(AB)
    db = tmp_path / "c.db"
    with cl.Store(db, "p") as store:
        console = cl.Console(engine, store)
        console.add_client("acme", "ACME", B_DAY)
        console.apply("acme", commercial(), B_DAY)
        assert store.get("acme").maintenances[0].release == "2027.1"
    with cl.Store(db, "p") as store:
        console = cl.Console(cl.Engine(A), store)
        with pytest.raises(cl.ReleaseMissingError) as caught:
            console.detail("acme", D(2027, 2, 1))
        assert caught.value.release == "2027.1" and caught.value.maintenance_id == "m1"
        assert isinstance(caught.value, cl.StoreError)
        assert "2027.1" in str(caught.value) and "initial" in str(caught.value)
        with pytest.raises(cl.ReleaseMissingError):
            console.apply("acme", cl.Modify(maintenance="m1", quantity=2), D(2027, 2, 1))
        assert store.get("acme").maintenances[0].quantity == 10  # nothing changed


def test_documents_without_a_release_read_as_the_first_release(tmp_path: Any) -> None:
    engine = cl.Engine(AB)
    c = sold(engine, D(2026, 6, 1))
    text = cl.to_json(c)
    assert '"release"' not in text
    assert cl.from_json(cl.Client, text).maintenances[0].release is None


# -- the property: a release changes nothing before its first day ---------------------------

OPS = st.sampled_from(
    [
        commercial(),
        commercial(period="2y", modules={"patch": None}),
        commercial(product="mail"),
        cl.AssignmentRequest(product="edr", license_type="trial", quantity=3),
        cl.Modify(maintenance="m1", quantity=60),
        cl.Modify(maintenance="m2", modules={"patch": None}),
        cl.Renew(maintenance="m1"),
        cl.ExtendTrial(maintenance="m2"),
        cl.DeleteService(maintenance="m1"),
        cl.AddSeats(maintenance="m1", quantity=5, period="1y"),
        cl.ConvertTrial(maintenance="m2", period="1y"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(OPS, st.integers(0, 20)), max_size=8), st.integers(0, 10))
def test_replayed_under_a_later_release_answers_as_before_its_first_day(
    steps: list[tuple[Any, int]], start: int
) -> None:
    alone, both = cl.Engine(A), cl.Engine(AB)
    day = D(2026, 10, 1) + dt.timedelta(days=start)
    c = alone.create_client("acme", "ACME", day)
    for op, gap in steps:
        day = min(day + dt.timedelta(days=gap), D(2026, 12, 31))
        decision = alone.check(c, op, day)
        assert both.check(c, op, day) == decision
        assert both.offer(c, day) == alone.offer(c, day)
        assert both.detail(c, day) == alone.detail(c, day)
        if decision.ok:
            change = alone.apply(c, op, day)
            assert both.apply(c, op, day) == change
            c = change.client


# -- the command line -----------------------------------------------------------------------


def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, *argv: str) -> tuple[int, str, str]:
    import io

    from cytolicense.cli import _main, _run

    monkeypatch.setattr(_run, "load_catalog", lambda: AB)
    out, err = io.StringIO(), io.StringIO()
    code = _main.main([*argv, "--db", str(tmp_path / "c.db")], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_catalog_on_a_day_and_diff(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "--on", "2026-12-31")
    assert code == 0 and "catalog release 'initial'" in out and "Mail [mail]" in out
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "--on", "2027-01-01")
    assert "catalog release '2027.1', in force from 2027-01-01" in out and "[epdr]" in out
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "diff", "initial", "2027.1")
    assert out.splitlines() == [
        "changed product 'edr': modules: patch -> none; enabled_periods: all -> 1y, 3y; "
        "trial_days: 30 -> 15; max_quantity: 100 -> 50; grace_days: 30 -> 15; "
        "changes_to: none -> epdr",
        "added product 'epdr'",
        "changed product 'mail': available_until: none -> 2026-12-31",
    ]
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "diff", "initial", "2027.1", "--json")
    data = json.loads(out)
    assert data["from"] == "initial" and data["changes"][1] == {
        "kind": "added",
        "record": "product",
        "id": "epdr",
        "fields": [],
    }
    code, out, _ = run_cli(
        monkeypatch, tmp_path, "catalog", "diff", "initial", "2027.1", "--lang", "es"
    )
    assert "añadido producto 'epdr'" in out and "todos -> 1y, 3y" in out
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "diff", "2027.1", "2027.1")
    assert out.strip() == "no difference between the two releases"
    code, _, err = run_cli(monkeypatch, tmp_path, "catalog", "diff", "initial", "2099.9")
    assert code == 3 and "2099.9" in err
    code, _, err = run_cli(monkeypatch, tmp_path, "catalog", "diff", "initial")
    assert code == 2 and "catalog diff OLD NEW" in err
    code, out, _ = run_cli(monkeypatch, tmp_path, "catalog", "--json", "--on", "2026-06-01")
    data = json.loads(out)
    assert data["release"] == {"version": "initial", "effective": "0001-01-01"}
    assert [r["version"] for r in data["releases"]] == ["initial", "2027.1"]


# -- TOML catalogs and the author kit ---------------------------------------------------

TOML = """
[[family]]
id = "mail"
name = "Mail"

[[product]]
id = "guard"
name = "Guard"
family = "mail"
max_quantity = 500

[[release]]
version = "2027.1"
effective = 2027-01-01
existing_from = { "guard" = 2027-03-01 }

  [[release.product]]
  id = "guard"
  name = "Guard"
  family = "mail"
  max_quantity = 200
  enabled_periods = ["1y"]
"""


def test_a_toml_catalog_declares_releases() -> None:
    catalog = load(cl.TomlCatalog(TOML, name="guard.toml"))
    assert [r.version for r in catalog.releases] == ["initial", "2027.1"]
    assert catalog.at(D(2027, 1, 1)).product("guard").max_quantity == 200
    assert catalog.terms_for("guard", None, D(2027, 3, 1)).version == "2027.1"
    bad = TOML.replace("effective = 2027-01-01", 'effective = "2027-01-01"')
    with pytest.raises(cl.CatalogError, match=r"guard.toml: release\[0\].*TOML date"):
        load(cl.TomlCatalog(bad, name="guard.toml"))
    unknown = TOML.replace('version = "2027.1"', 'version = "2027.1"\nnotes = "x"')
    with pytest.raises(cl.CatalogError, match="unknown field"):
        load(cl.TomlCatalog(unknown, name="guard.toml"))
    broken = TOML.replace('  family = "mail"\n  max_quantity = 200', '  family = "nope"')
    with pytest.raises(cl.CatalogError, match="nope"):
        load(cl.TomlCatalog(broken, name="guard.toml"))


def test_the_author_kit_checks_every_release() -> None:
    from cytolicense.testing import check_catalog_plugin

    assert check_catalog_plugin(Later(), requires=[First()]).ok
    no_trial = cl.CatalogRelease(
        version="2027.2",
        effective=D(2027, 6, 1),
        products=(edr(modules=frozenset(), trial_max_quantity=None, enabled_periods=()),),
    )
    report = check_catalog_plugin(Later(no_trial), requires=[First()])
    assert not report.ok
    assert any(p.startswith("release '2027.2': product 'edr'") for p in report.problems)
