"""Contract version 2: every console action as an operation record, to the day."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import cytolicense as cl
from cytolicense.store._serialize import SERIALIZABLE

from .conftest import EndpointModules

D = dt.date
T0 = D(2026, 3, 1)


class LifeCatalog(EndpointModules):
    """Products with every round-2 field: grace, changes, trial extension, withdrawal."""

    __name__ = "tests.life_catalog"

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["enc", "patch", "watch"],
                periods=["1m", "1y", "2y", "3y"],
                grace_days=7,
                changes_to=["epdr"],
                trial_extension_days=30,
            ),
            cl.Product(
                id="epdr",
                name="EPDR",
                family="endpoint",
                modules=["enc", "patch"],
                term_end="day_before",
                changes_to=["edr"],
            ),
            cl.Product(
                id="old",
                name="Old",
                family="endpoint",
                available_until=D(2026, 6, 30),
            ),
        ]


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog(LifeCatalog(), entry_points=False))


def codes(decision: cl.Decision) -> list[str]:
    return [f.code for f in decision.findings]


def client(engine: cl.Engine, day: dt.date = T0) -> cl.Client:
    return engine.create_client("acme", "ACME", day)


def commercial(product: str = "edr", quantity: int = 10, period: str = "1y", **kw: Any) -> Any:
    return cl.AssignmentRequest(
        product=product, license_type="commercial", quantity=quantity, period=period, **kw
    )


def trial(product: str = "edr", quantity: int = 10, **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(product=product, license_type="trial", quantity=quantity, **kw)


def refused(engine: cl.Engine, c: cl.Client, op: Any, day: dt.date, **kw: Any) -> list[str]:
    """The error codes, checking that apply refuses with check's very decision."""
    decision = engine.check(c, op, day, **kw)
    with pytest.raises(cl.RuleViolation) as info:
        engine.apply(c, op, day, **kw)
    assert info.value.decision == decision
    return [f.code for f in decision.errors]


# -- exact days, licence sets, grace ----------------------------------------------------


def test_a_trial_serves_exactly_its_days(engine: cl.Engine) -> None:
    m = engine.apply(client(engine), trial(), T0).maintenance
    assert m is not None and m.expires_on == D(2026, 3, 30)  # 1-30 March
    assert engine.status(m, D(2026, 3, 30)) is cl.Status.ACTIVE
    assert engine.status(m, D(2026, 3, 31)) is cl.Status.EXPIRED  # trials have no grace


def test_term_end_day_before(engine: cl.Engine) -> None:
    m = engine.apply(client(engine), commercial("epdr"), T0).maintenance
    assert m is not None and m.expires_on == D(2027, 2, 28)  # exactly 365 days served


def test_licence_sets_of_one_product_add_up(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(quantity=10), T0).client
    c = engine.apply(c, commercial(quantity=5), T0).client
    assert engine.entitlements(c, T0) == {"edr": 15}
    assert refused(engine, c, commercial("epdr"), T0) == ["family.already_assigned"]


def test_grace_keeps_the_product_in_force(engine: cl.Engine) -> None:
    m = engine.apply(client(engine), commercial(), T0)
    end = D(2027, 3, 1)
    assert m.maintenance is not None and m.maintenance.grace_days == 7
    assert engine.status(m.maintenance, end + dt.timedelta(days=7)) is cl.Status.GRACE
    assert engine.status(m.maintenance, end + dt.timedelta(days=8)) is cl.Status.EXPIRED
    assert engine.entitlements(m.client, end + dt.timedelta(days=7)) == {"edr": 10}
    # In grace, a different product of the family is still refused (C10).
    day = end + dt.timedelta(days=3)
    assert refused(engine, m.client, commercial("epdr"), day) == ["family.already_assigned"]
    assert m.client.ended_on == end + dt.timedelta(days=7)  # the 90-day rules count from here


def test_no_going_back_in_time(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(), D(2026, 4, 1)).client
    assert refused(engine, c, commercial(), D(2026, 3, 31)) == ["date.before_history"]
    d = engine.check(c, cl.Renew(maintenance="m1"), D(2026, 3, 31))
    assert d.findings[0].field == "today"


def test_no_date_overflow(engine: cl.Engine) -> None:
    day = D(9999, 6, 1)
    c = client(engine, day)
    assert refused(engine, c, commercial(period="1y"), day) == ["date.out_of_range"]
    assert engine.apply(c, commercial(period="1m"), day).maintenance is not None


# -- renew ------------------------------------------------------------------------------


def test_renew(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(modules={"enc": 4, "patch": None}), T0).client
    too_early = D(2026, 3, 1)
    assert refused(engine, c, cl.Renew(maintenance="m1"), too_early) == ["renewal.too_early"]
    day = D(2026, 3, 2)  # 364 days left: inside the 365-day window
    ch = engine.apply(c, cl.Renew(maintenance="m1", period="2y"), day, actor="ana")
    m = ch.maintenance
    assert m is not None and m.expires_on == D(2029, 3, 1) and m.period == cl.Period(years=2)
    assert m.starts_on == T0 and {ml.expires_on for ml in m.modules} == {D(2029, 3, 1)}
    (event,) = ch.events
    assert isinstance(event, cl.MaintenanceRenewed) and event.actor == "ana"
    assert event.previous_expires_on == D(2027, 3, 1)
    assert cl.replay([*engine.new_client("acme", "ACME", T0).events]) is not None


def test_renew_in_grace_continues_from_the_old_end(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(), T0).client
    ch = engine.apply(c, cl.Renew(maintenance="m1"), D(2027, 3, 8))  # last day of grace
    assert ch.maintenance is not None and ch.maintenance.expires_on == D(2028, 3, 1)
    late = D(2027, 3, 9)
    assert refused(engine, c, cl.Renew(maintenance="m1"), late) == ["maintenance.not_active"]


def test_renew_refusals(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), trial(), T0).client
    assert refused(engine, c, cl.Renew(maintenance="m1"), T0) == ["renewal.not_commercial"]
    assert refused(engine, c, cl.Renew(maintenance="m9"), T0) == ["maintenance.unknown"]
    c = engine.apply(c, commercial("epdr"), T0).client
    d = engine.check(c, cl.Renew(maintenance="m2", period="5y"), D(2027, 1, 1))
    assert codes(d) == ["period.invalid"]


def test_withdrawn_product(engine: cl.Engine) -> None:
    c = engine.apply(client(engine, D(2026, 6, 1)), commercial("old"), D(2026, 6, 30)).client
    fresh = client(engine, D(2026, 7, 1))
    assert refused(engine, fresh, commercial("old"), D(2026, 7, 1)) == ["product.withdrawn"]
    # Existing maintenances keep working and may be modified; not renewed.
    assert engine.apply(c, cl.Modify(maintenance="m1", quantity=20), D(2026, 7, 1)).events
    d = engine.check(c, cl.Renew(maintenance="m1"), D(2027, 6, 1))
    assert codes(d) == ["product.withdrawn"]


# -- change, convert, extend ------------------------------------------------------------


def test_change_product(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(modules={"enc": 4, "watch": None}), T0).client
    day = D(2026, 9, 1)
    op = cl.ChangeProduct(maintenance="m1", product="epdr", period="1y")
    d = engine.check(c, op, day)
    assert codes(d) == ["change.modules_dropped"] and d.ok
    assert d.findings[0].params["modules"] == ("watch",)
    ch = engine.apply(c, op, day)
    new = ch.maintenance
    assert new is not None and new.id == "m2" and new.starts_on == day
    assert new.expires_on == D(2027, 8, 31)  # epdr terms end the day before
    assert [ml.module for ml in new.modules] == ["enc"]
    old = ch.client.maintenance("m1")
    assert (old.replaced_on, old.replaced_by) == (day, "m2")
    assert engine.status(old, day) is cl.Status.REPLACED
    assert engine.entitlements(ch.client, day) == {"epdr": 10, "enc": 4}
    assert cl.replay(list(engine.new_client("acme", "ACME", T0).events)) is not None


def test_change_refusals(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), trial(), T0).client
    op = cl.ChangeProduct(maintenance="m1", product="epdr", period="1y")
    assert refused(engine, c, op, T0) == ["change.not_allowed"]
    c = engine.apply(client(engine), commercial("epdr"), T0).client
    op = cl.ChangeProduct(maintenance="m1", product="old", period="1y")
    assert refused(engine, c, op, T0) == ["change.not_allowed"]


def test_convert_trial(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), trial(quantity=25, modules={"patch": None}), T0).client
    day = D(2026, 3, 20)
    ch = engine.apply(c, cl.ConvertTrial(maintenance="m1", period="1y"), day)
    new = ch.maintenance
    assert new is not None and new.license_type is cl.LicenseType.COMMERCIAL
    assert (new.quantity, [m.module for m in new.modules]) == (25, ["patch"])
    assert new.starts_on == day and new.expires_on == D(2027, 3, 20)
    assert engine.entitlements(ch.client, day) == {"edr": 25, "patch": 25}  # not counted twice
    assert refused(engine, ch.client, cl.ConvertTrial(maintenance="m2", period="1y"), day) == [
        "conversion.not_trial"
    ]


def test_extend_trial_once(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), trial(modules={"patch": None}), T0).client
    ch = engine.apply(c, cl.ExtendTrial(maintenance="m1"), D(2026, 3, 30))
    m = ch.maintenance
    assert (
        m is not None and m.expires_on == D(2026, 4, 29) and m.modules[0].expires_on == m.expires_on
    )
    assert refused(engine, ch.client, cl.ExtendTrial(maintenance="m1"), D(2026, 4, 1)) == [
        "trial.already_extended"
    ]
    c = engine.apply(client(engine), trial("epdr"), T0).client
    assert refused(engine, c, cl.ExtendTrial(maintenance="m1"), T0) == [
        "trial.extension_not_offered"
    ]


# -- co-terming -------------------------------------------------------------------------


def test_add_seats_watchguard_example(engine: cl.Engine) -> None:
    """20 seats with 45 days left plus 10 one-year seats end 152 days from today."""
    start = D(2025, 4, 16)
    c = engine.apply(client(engine, start), commercial(quantity=20), start).client
    today = D(2026, 3, 2)  # 45 days before 2026-04-16
    assert (D(2026, 4, 16) - today).days == 45
    ch = engine.apply(c, cl.AddSeats(maintenance="m1", quantity=10, period="1y"), today)
    assert ch.maintenance is not None and ch.maintenance.quantity == 30
    assert ch.maintenance.expires_on == today + dt.timedelta(days=152)


def test_group_sets(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(quantity=10, modules={"enc": 2}), T0).client
    day = D(2026, 9, 1)
    c = engine.apply(c, commercial(quantity=30, period="2y", modules={"enc": 5}), day).client
    ch = engine.apply(c, cl.GroupSets(product="edr"), day)
    kept = ch.maintenance
    assert kept is not None and kept.id == "m1" and kept.quantity == 40
    d1, d2 = (D(2027, 3, 1) - day).days, (D(2028, 9, 1) - day).days
    expected = day + dt.timedelta(days=-(-(10 * d1 + 30 * d2) // 40))
    assert kept.expires_on == expected and kept.modules[0].quantity == 7
    assert ch.client.maintenance("m2").replaced_by == "m1"
    assert refused(engine, ch.client, cl.GroupSets(product="edr"), day) == [
        "group.nothing_to_group"
    ]


# -- the pool ----------------------------------------------------------------------------


def test_pool_consumption_and_recovery(engine: cl.Engine) -> None:
    pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=12),))
    c = client(engine)
    ch = engine.apply(c, commercial(quantity=10), T0, pool=pool)
    assert ch.pool is not None and ch.pool.seats("edr", "1y") == 2
    assert [e.kind for e in ch.pool_events] == ["debited"]
    short = engine.check(ch.client, commercial(quantity=5), T0, pool=ch.pool)
    assert codes(short) == ["pool.insufficient"] and short.ok  # a warning by default
    assert short.findings[0].params == {
        "item": "edr",
        "period": "1y",
        "needed": 5,
        "available": 2,
    }
    strict = cl.Engine(engine.catalog, pool_shortage="error")
    assert refused(strict, ch.client, commercial(quantity=5), T0, pool=ch.pool) == [
        "pool.insufficient"
    ]
    # Deleting half-way gives back the unused part, pro rata to the days left.
    day = D(2026, 9, 1)
    gone = engine.apply(ch.client, cl.DeleteService(maintenance="m1"), day, pool=ch.pool)
    left = (D(2027, 3, 1) - day).days + 1
    assert gone.pool is not None
    assert gone.pool.seats("edr", "1y") == 2 + 10 * left // 365
    assert cl.replay_pool([*ch.pool_events, *gone.pool_events], pool) == gone.pool
    # Trials never touch the pool.
    t = engine.apply(client(engine), trial(), T0, pool=pool)
    assert t.pool == pool and t.pool_events == ()


# -- views -------------------------------------------------------------------------------


def test_expiring_forecast_usage(engine: cl.Engine) -> None:
    a = engine.apply(client(engine), commercial(quantity=10, period="1m"), T0).client
    b = engine.create_client("beta", "Beta", T0)
    b = engine.apply(b, trial(quantity=3), T0).client
    today = D(2026, 3, 25)
    rows = engine.expiring([a, b], today, within_days=10)
    assert [(e.client_id, e.days_left, e.license_type.value) for e in rows] == [
        ("beta", 5, "trial"),  # 1-30 March
        ("acme", 7, "commercial"),  # 1 March + 1 month: 1 April
    ]
    assert [e.expires_on for e in rows] == sorted(e.expires_on for e in rows)
    grace = engine.expiring([a], D(2026, 4, 3))
    assert [(e.status, e.days_left) for e in grace] == [(cl.Status.GRACE, -2)]
    fc = engine.forecast([a, b], T0, months=3)
    assert fc.months == ((2026, 3), (2026, 4), (2026, 5))
    assert fc.seats == {"edr": (3, 10, 0)}
    assert "<svg" in fc._repr_html_() and ">10<" in fc._repr_html_()
    use = engine.usage(a, {"edr": 12, "patch": 1}, T0)
    assert codes(use) == ["usage.over_entitlement", "usage.over_entitlement"] and use.ok
    assert use.findings[0].params == {"item": "edr", "in_use": 12, "entitled": 10}
    assert use.findings[1].params["entitled"] == 0


# -- plumbing ---------------------------------------------------------------------------


def _assert_plan_leads(before: cl.Client, after: cl.Client) -> None:
    """The store's update plan (it looks only at lines that are not the same record)
    turns the expiry rows of *before* into exactly those of *after*, and lists the
    projected columns that differ."""
    from cytolicense.store._rows import PROJECTED, columns, expiry_rows, update_plan

    changed, values, gone, rows = update_plan(before, after)
    index = {r[0]: r for r in expiry_rows(before)}
    for mid in gone:
        del index[mid]
    index.update((r[0], r) for r in rows)
    assert sorted(index.values()) == sorted(expiry_rows(after))
    old, new = columns(before), columns(after)
    assert [PROJECTED[i] for i in range(len(old)) if old[i] != new[i]] == list(changed)
    assert [new[PROJECTED.index(name)] for name in changed] == list(values)


def lifecycle_ops() -> list[tuple[Any, dt.date]]:
    """Every operation type once, in an order that lets each go through (with the
    life catalog, from a new client on T0, with a pool of 50 EDR 1y seats)."""
    return [
        (commercial(modules={"enc": 2, "patch": None}), T0),
        (cl.Modify(maintenance="m1", quantity=12), T0),
        (cl.SetManagement(maintenance="m1", mode="unmanaged"), T0),
        (commercial(quantity=3, modules={"enc": 1, "patch": None}, management="unmanaged"), T0),
        (cl.AddSeats(maintenance="m1", quantity=2, period="1y"), T0),
        (cl.GroupSets(product="edr"), D(2026, 3, 2)),
        (cl.Renew(maintenance="m1"), D(2026, 3, 3)),
        (cl.SetAutoRenew(maintenance="m1", on=True), D(2026, 3, 3)),
        (cl.ScheduleChange(maintenance="m1", quantity=14), D(2026, 3, 3)),
        (cl.ChangeProduct(maintenance="m1", product="epdr", period="1y"), D(2026, 3, 4)),
        (cl.DeleteService(maintenance="m3"), D(2026, 3, 5)),
        (trial(), D(2026, 3, 5)),
        (cl.ExtendTrial(maintenance="m4"), D(2026, 3, 6)),
        (cl.ConvertTrial(maintenance="m4", period="1y"), D(2026, 3, 7)),
        (cl.Suspend(maintenance="m5"), D(2026, 3, 7)),
        (cl.Resume(maintenance="m5"), D(2026, 3, 8)),
        (cl.SuspendClient(), D(2026, 3, 8)),
        (cl.ResumeClient(), D(2026, 3, 8)),
        (cl.SetGroup(group="north/retail"), D(2026, 3, 8)),
        (cl.DeleteClient(), D(2026, 3, 8)),
    ]


def test_every_operation_and_record_round_trips(engine: cl.Engine) -> None:
    pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=50),))
    c = client(engine)
    objs: list[Any] = [pool, *pool.lines]
    ops = lifecycle_ops()
    events: list[Any] = list(engine.new_client("acme", "ACME", T0).events)
    for op, day in ops:
        ch = engine.apply(c, op, day, pool=pool, actor="ops", reason="test")
        objs += [op, ch, *ch.events, *ch.pool_events]
        events += ch.events
        _assert_plan_leads(c, ch.client)
        c, pool = ch.client, ch.pool or pool
    assert cl.replay(events) == c
    # A plan whose new client lacks lines (no operation drops one) deletes their rows.
    _assert_plan_leads(cl.replay(events[:2]), cl.replay(events[:1]))
    _assert_plan_leads(c, cl.replay(events[:1]))
    # The stores' trusted replay (no validators, the creation's values checked by the
    # event) rebuilds the same client, kept days included.
    from cytolicense.core._events import replay_trusted

    trusted = replay_trusted(events)
    assert trusted == c
    assert (trusted._end, trusted._commercial_ends, trusted.changed_on) == (
        c._end,
        c._commercial_ends,
        c.changed_on,
    )
    objs += engine.expiring([c], D(2026, 3, 8), 1000) or []
    kinds = set()
    for obj in objs:
        assert cl.from_json(type(obj), cl.to_json(obj)) == obj
        kinds.add(type(obj).__name__)
    v1 = {"ProductFamily", "Module", "Product", "ModuleLicense", "Maintenance", "Client"}
    v1 |= {"Finding", "Decision", "Period", "ClientRestored", "ClientCreated", "Expiry"}
    v1 |= {"ProductOffer", "ModuleOffer"}  # round-tripped in tests/test_offer.py
    v1 |= {"Grant", "Operator", "OperationRequest", "AuditEntry"}  # test_access_records.py
    v1 |= {"SeatLot", "ScheduledChange", "DayRun"}  # test_renewal_day.py
    v1 |= {"ExpiryNotice", "NoticeState"}  # test_expiry_notices.py
    v1 |= {"FeedItem", "Webhook", "Delivery"}  # test_feed.py, test_webhooks.py
    assert set(SERIALIZABLE) - kinds <= v1
    # The store writes events and clients without the converter: the same documents.
    # With the fast extra, msgspec writes them: the same text as the standard encoder.
    from cytolicense.store._rows import dumps
    from cytolicense.store._serialize import client_data, event_data, to_data

    def standard(data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    from cytolicense.store._documents import writer

    restored = cl.ClientRestored(client_id="acme", on=T0)
    notice = cl.ExpiryNotice(
        client_id="acme", on=T0, maintenance_id="m1", days_before=7, expires_on=T0
    )
    for e in [*events, restored, notice]:
        # written by the writer generated from its record's fields, the same data as
        # the converter's
        assert writer(type(e)) is not None, type(e).__name__
        assert event_data(e) == to_data(e), type(e).__name__
        assert dumps(e) == standard(to_data(e)), type(e).__name__
    pool_events = [o for o in objs if isinstance(o, cl.PoolChanged)]
    assert pool_events
    for pe in pool_events:
        assert dumps(pe) == standard(to_data(pe))
    assert dumps(c) == standard(client_data(c))
    assert {type(e).__name__ for e in [*events, restored, notice]} == {
        t.__name__ for t in cl.EVENT_TYPES
    }
    assert client_data(c) == to_data(c)


def test_a_finding_document_must_fit_its_code() -> None:
    doc = (
        '{"code": "period.invalid", "severity": "error", "field": "period", '
        '"message": "m", "params": {"period": "5y"}, "translations": {}}'
    )
    with pytest.raises(cl.DataError, match="lack allowed, product"):
        cl.from_json(cl.Finding, doc)


def test_a_wrapper_hookimpl_and_monitoring_work() -> None:
    class OnlyEdr:
        __name__ = "only_edr"

        @cl.hookimpl(wrapper=True)
        def cytolicense_products(self) -> Any:
            results = yield
            return [[p for p in r if p.id != "old"] for r in results]

    catalog = cl.load_catalog(LifeCatalog(), OnlyEdr(), entry_points=False)
    assert sorted(catalog.products) == ["edr", "epdr"]


def test_console_keeps_the_pool_with_the_change(engine: cl.Engine, tmp_path: Path) -> None:
    store = cl.open_store(f"sqlite:///{tmp_path / 'p.db'}", "p1")
    assert isinstance(store, cl.ClientStore)
    console = cl.Console(engine, store)
    console.credit_pool("edr", "1y", 20, T0, actor="buyer", reason="PO-17")
    console.add_client("acme", "ACME", T0)
    console.apply("acme", commercial(quantity=15), T0, actor="ana")
    assert console.pool().seats("edr", "1y") == 5
    assert console.check("acme", commercial(quantity=6), T0).codes == ("pool.insufficient",)
    with pytest.raises(cl.RuleViolation):
        console.apply("acme", commercial(quantity=0), T0)
    assert console.pool().seats("edr", "1y") == 5  # a refused operation changes nothing
    assert [e.kind for e in store.pool_history()] == ["credited", "debited"]
    assert (store.pool_history()[0].actor, store.pool_history()[0].reason) == ("buyer", "PO-17")
    rows = console.expiring(D(2027, 2, 20), 30)
    assert rows == engine.expiring(store.clients(), D(2027, 2, 20), 30) and len(rows) == 1
    store.close()


def test_no_view_raises_near_the_ends_of_the_calendar(engine: cl.Engine) -> None:
    first = D(1, 1, 5)
    c = engine.apply(client(engine, first), commercial(period="1m"), first).client
    assert engine.monitoring([c], first) == [c]
    assert engine.detail(c, first).lines[0].maintenance_id == "m1"
    assert [e.maintenance_id for e in engine.expiring([c], first)] == []
    assert engine.expiring([c], first, within_days=40)[0].days_left == 31
    last = D(9999, 11, 15)
    c = engine.apply(client(engine, last), commercial(period="1m"), last).client
    end = D(9999, 12, 31)
    assert engine.visible(c, end) and engine.monitoring([c], end) == [c]
    assert engine.forecast([c], last, months=3).seats == {"edr": (0, 10, 0)}
    in_grace = D(9999, 12, 20)
    assert engine.detail(c, end).lines and engine.expiring([c], in_grace)[0].days_left == -5
    assert engine.check(c, cl.Renew(maintenance="m1"), in_grace).codes == ("date.out_of_range",)


def test_grouping_needs_the_same_management_and_modules(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(quantity=10, modules={"enc": 2}), T0).client
    c = engine.apply(c, commercial(quantity=5), T0).client  # no modules
    d = engine.check(c, cl.GroupSets(product="edr"), T0)
    assert d.codes == ("group.sets_differ",) and d.findings[0].params["differs"] == ("modules",)
    assert "difieren en los módulos" in d.findings[0].message_in("es")  # R3 0/6 item 20
    c = engine.apply(c, cl.Modify(maintenance="m2", modules={"enc": 1}), T0).client
    c = engine.apply(c, cl.SetManagement(maintenance="m2", mode="unmanaged"), T0).client
    d = engine.check(c, cl.GroupSets(product="edr"), T0)
    assert d.findings[0].params["differs"] == ("management",)
    c = engine.apply(c, cl.SetManagement(maintenance="m2", mode="centralized"), T0).client
    grouped = engine.apply(c, cl.GroupSets(product="edr"), T0)
    m = grouped.maintenance
    assert m is not None and m.quantity == 15 and m.modules[0].quantity == 3  # 2 + 1
    assert m.expires_on == D(2027, 3, 1)  # the same end: the weighted mean of equal ends
    event = grouped.events[0]
    assert isinstance(event, cl.SetsGrouped) and event.seats == (10, 5)
    assert cl.from_json(cl.SetsGrouped, cl.to_json(event)) == event


def test_recovery_is_capped_by_what_came_from_the_pool(engine: cl.Engine) -> None:
    """1 seat from the pool, 12 added for a period it does not track: deleting gives
    back 1, not 13 (found by the lifecycle session)."""
    pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=5),))
    c = engine.apply(client(engine), commercial(quantity=1), T0, pool=pool)
    assert c.maintenance is not None and c.maintenance.pooled == (
        cl.PoolLine(item="edr", period="1y", seats=1),
    )
    added = engine.apply(
        c.client, cl.AddSeats(maintenance="m1", quantity=12, period="1m"), T0, pool=c.pool
    )
    gone = engine.apply(added.client, cl.DeleteService(maintenance="m1"), T0, pool=added.pool)
    assert gone.pool is not None and gone.pool.seats("edr", "1y") == 5
    # Without a record (assigned without a pool), the contract's formula alone.
    bare = engine.apply(client(engine), commercial(quantity=10), T0).client
    back = engine.apply(bare, cl.DeleteService(maintenance="m1"), T0, pool=pool)
    assert back.pool is not None and back.pool.seats("edr", "1y") == 5 + 10


def _ops() -> Any:
    from hypothesis import strategies as st

    ids = st.sampled_from(["m1", "m2", "m3", "m9"])
    products = st.sampled_from(["edr", "epdr", "old", "nope"])
    periods = st.sampled_from(["1m", "1y", "3y", "5y", "9999y", "1m"])
    seats = st.integers(-5, 10**9)  # records refuse more (R3 0/6 item 10)
    mods = st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["enc", "patch", "watch", "x"]), st.none())
    )
    return st.one_of(
        st.builds(
            cl.AssignmentRequest,
            product=products,
            license_type=st.sampled_from(["trial", "commercial"]),
            quantity=seats,
            period=st.one_of(st.none(), periods),
        ),
        st.builds(cl.Modify, maintenance=ids, quantity=st.one_of(st.none(), seats), modules=mods),
        st.builds(
            cl.SetManagement, maintenance=ids, mode=st.sampled_from(["centralized", "unmanaged"])
        ),
        st.builds(cl.DeleteService, maintenance=ids),
        st.just(cl.DeleteClient()),
        st.builds(cl.Renew, maintenance=ids, period=st.one_of(st.none(), periods)),
        st.builds(
            cl.ChangeProduct,
            maintenance=ids,
            product=products,
            period=periods,
            quantity=st.one_of(st.none(), seats),
            modules=mods,
        ),
        st.builds(
            cl.ConvertTrial, maintenance=ids, period=periods, quantity=st.one_of(st.none(), seats)
        ),
        st.builds(cl.ExtendTrial, maintenance=ids),
        st.builds(cl.GroupSets, product=products),
        st.builds(cl.AddSeats, maintenance=ids, quantity=seats, period=periods),
    )


def test_check_never_raises_and_apply_agrees_for_any_operation(engine: cl.Engine) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=400, deadline=None)
    @given(
        st.lists(_ops(), min_size=1, max_size=8),
        st.sampled_from([D(1, 1, 1), D(2026, 3, 1), D(9999, 6, 1)]),
        st.lists(st.integers(0, 500), min_size=8, max_size=8),
        st.booleans(),
    )
    def run(ops: list[Any], start: dt.date, gaps: list[int], pooled: bool) -> None:
        c = client(engine, start)
        pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=3),)) if pooled else None
        day = start
        for op, gap in zip(ops, gaps, strict=False):
            with contextlib.suppress(OverflowError):
                day = day + dt.timedelta(days=gap)
            decision = engine.check(c, op, day, pool=pool)
            try:
                change = engine.apply(c, op, day, pool=pool)
            except cl.RuleViolation as exc:
                assert exc.decision == decision and not decision.ok
                continue
            assert decision.ok
            c, pool = change.client, change.pool
            engine.detail(c, day)
            engine.expiring([c], day)
            engine.monitoring([c], day)

    run()


def test_an_assignment_event_is_what_its_constructor_builds(engine: cl.Engine) -> None:
    """The engine builds an assignment's event without re-running the validators when
    every field is its own; text the caller gives (actor, reason) is still checked."""
    client = engine.new_client("c1", "C", D(2026, 1, 1)).client
    request = cl.AssignmentRequest(
        product="edr", license_type="commercial", quantity=5, period="1y", modules={"patch": None}
    )
    (event,) = engine.apply(client, request, D(2026, 1, 2)).events
    assert isinstance(event, cl.ProductAssigned)
    rebuilt = cl.ProductAssigned(
        client_id="c1", on=D(2026, 1, 2), catalog=event.catalog, maintenance=event.maintenance
    )
    assert event == rebuilt and repr(event) == repr(rebuilt)
    fields = {f.name: getattr(event.maintenance, f.name) for f in attrs.fields(cl.Maintenance)}
    checked = cl.Maintenance(**{k: v for k, v in fields.items() if not k.startswith("_")})
    assert event.maintenance == checked and event.maintenance.ended_on == checked.ended_on
    with pytest.raises(ValueError, match="actor must not contain control characters"):
        engine.apply(client, request, D(2026, 1, 2), actor="bad\nactor")
    with pytest.raises(TypeError, match="reason must be a str"):
        engine.apply(client, request, D(2026, 1, 2), reason=3)  # type: ignore[arg-type]
    (said,) = engine.apply(client, request, D(2026, 1, 2), actor="ana", reason="PO 7").events
    assert (said.actor, said.reason) == ("ana", "PO 7")
