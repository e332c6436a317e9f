from __future__ import annotations

import datetime as dt

import attrs
import pytest

import cytolicense as cl
from cytolicense import Status

from .conftest import request

D = dt.date
T0 = D(2026, 1, 31)


@pytest.fixture
def acme(engine: cl.Engine) -> cl.Client:
    return engine.create_client("acme", "ACME Corp", T0)


def assign(engine: cl.Engine, client: cl.Client, day: dt.date = T0, **kw: object) -> cl.Change:
    return engine.assign(client, request(**kw), day)


def refused(fn: object, *args: object, **kw: object) -> list[str]:
    with pytest.raises(cl.RuleViolation) as info:
        fn(*args, **kw)  # type: ignore[operator]
    return [f.code for f in info.value.decision.errors]


# -- create / assign ---------------------------------------------------------------------


def test_create_client(engine: cl.Engine) -> None:
    change = engine.new_client("acme", "ACME", T0)
    assert change.client == cl.Client(id="acme", name="ACME", created_on=T0)
    assert change.events == (cl.ClientCreated(client_id="acme", on=T0, name="ACME"),)
    assert engine.create_client("acme", "ACME", T0) == change.client
    with pytest.raises(ValueError, match="client_id|ClientCreated.client_id"):
        engine.create_client("", "ACME", T0)


def test_assign_commercial(engine: cl.Engine, acme: cl.Client) -> None:
    ch = assign(engine, acme, modules={"encryption": 4, "patch": None}, period="1m")
    m = ch.maintenance
    assert m is not None
    assert (m.id, m.starts_on, m.expires_on) == ("m1", T0, D(2026, 2, 28))
    assert [(x.module, x.quantity, x.starts_on, x.expires_on) for x in m.modules] == [
        ("encryption", 4, T0, D(2026, 2, 28)),
        ("patch", 10, T0, D(2026, 2, 28)),
    ]
    assert [w.code for w in ch.warnings] == ["period.not_enabled"]
    assert ch.client.maintenances == (m,)
    assert ch.events == (cl.ProductAssigned(client_id="acme", on=T0, maintenance=m),)
    assert acme.maintenances == ()  # the input is untouched


def test_assign_trial(engine: cl.Engine, acme: cl.Client) -> None:
    m = assign(engine, acme, license_type="trial", period=None).maintenance
    assert m is not None
    assert m.period is None and m.expires_on == T0 + dt.timedelta(days=29)  # 30 days served


def test_refused_assignment_changes_nothing(engine: cl.Engine, acme: cl.Client) -> None:
    before = attrs.evolve(acme)
    with pytest.raises(cl.RuleViolation) as info:
        assign(engine, acme, quantity=0, period="9y")
    assert info.value.decision.codes == ("quantity.invalid", "period.invalid")
    assert "assign refused" in str(info.value) and "[quantity.invalid]" in str(info.value)
    assert acme == before


def test_ids_are_unique_and_derived_from_the_client(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    c = assign(engine, c, product="mailguard").client
    c = engine.delete_service(c, "m1", T0).client
    c = assign(engine, c).client
    assert [m.id for m in c.maintenances] == ["m1", "m2", "m3"]
    odd = attrs.evolve(acme, maintenances=[attrs.evolve(c.maintenances[0], id="m2")])
    assert assign(engine, odd, product="mailguard").maintenance.id == "m3"  # type: ignore[union-attr]


def test_assigning_to_expired_and_deleted_clients(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, period="1m").client  # expires 2026-02-28
    later = D(2026, 4, 1)
    assert engine.status(c.maintenances[0], later) is Status.EXPIRED
    c = assign(engine, c, later).client  # expired client: works the same way
    deleted = engine.delete_client(c, D(2026, 5, 1))
    c = deleted.client
    assert c.deleted_on == D(2026, 5, 1)
    assert all(m.deleted_on in (None, D(2026, 5, 1)) for m in c.maintenances)
    assert engine.status(c.maintenances[1], D(2026, 5, 1)) is Status.DELETED
    assert c.maintenances[0].deleted_on is None  # the expired one stays expired
    # Deleted but still visible: assigning restores it.
    restore = assign(engine, c, D(2026, 7, 1), product="epdr")
    assert restore.client.deleted_on is None
    assert [type(e) for e in restore.events] == [cl.ClientRestored, cl.ProductAssigned]
    # Deleted 90 days ago or more: not visible, refused.
    assert refused(engine.assign, c, request(), D(2026, 7, 30)) == ["client.not_visible"]


# -- modify -------------------------------------------------------------------------------


def modules_of(m: cl.Maintenance | None) -> list[tuple[str, int, dt.date]]:
    assert m is not None
    return [(x.module, x.quantity, x.starts_on) for x in m.modules]


def test_modify_seats_linked_modules_follow(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, modules={"encryption": 4, "patch": None}).client
    ch = engine.modify(c, "m1", D(2026, 3, 1), quantity=20)
    assert ch.maintenance is not None and ch.maintenance.quantity == 20
    assert modules_of(ch.maintenance) == [("encryption", 4, T0), ("patch", 20, T0)]
    assert ch.events == (
        cl.LicensesModified(client_id="acme", on=D(2026, 3, 1), maintenance=ch.maintenance),
    )
    down = engine.modify(ch.client, "m1", D(2026, 3, 2), quantity=4)
    assert modules_of(down.maintenance) == [("encryption", 4, T0), ("patch", 4, T0)]
    # An independent module above the new seats is refused.
    assert refused(engine.modify, down.client, "m1", D(2026, 3, 3), quantity=3) == [
        "module.quantity_invalid"
    ]


def test_modify_module_set(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, modules={"patch": None}).client
    day = D(2026, 6, 15)
    ch = engine.modify(c, "m1", day, modules={"encryption": 3})
    assert modules_of(ch.maintenance) == [("encryption", 3, day)]  # patch removed, added today
    assert ch.maintenance is not None
    assert ch.maintenance.modules[0].expires_on == ch.maintenance.expires_on
    ch2 = engine.modify(ch.client, "m1", day, modules={"encryption": 7, "patch": None})
    assert modules_of(ch2.maintenance) == [("encryption", 7, day), ("patch", 10, day)]
    ch3 = engine.modify(ch2.client, "m1", day, modules=["patch"])
    assert modules_of(ch3.maintenance) == [("patch", 10, day)]


def test_modify_refusals(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, product="epdr", license_type="trial", period=None).client
    c = assign(engine, c, product="mailguard").client
    day = D(2026, 2, 10)
    assert engine.modify(c, "m1", day, quantity=251).maintenance.quantity == 251  # type: ignore[union-attr]
    assert refused(engine.modify, c, "m1", day, quantity=1001) == ["quantity.invalid"]
    assert refused(engine.modify, c, "m1", day, quantity=0) == ["quantity.invalid"]
    assert refused(engine.modify, c, "m1", day, modules={"ghost": None, "encryption": None}) == [
        "module.quantity_required",
        "module.unknown",
    ]
    assert refused(engine.modify, c, "m2", day, modules={"patch": None}) == ["module.incompatible"]
    assert engine.modify(c, "m2", day, modules={}, quantity=5).maintenance.quantity == 5  # type: ignore[union-attr]
    assert refused(engine.modify, c, "m9", day, quantity=5) == ["maintenance.unknown"]
    expired = D(2026, 3, 10)  # the trial ended on 2026-03-02
    assert refused(engine.modify, c, "m1", expired, quantity=5) == ["maintenance.not_active"]
    with pytest.raises(TypeError, match="quantity"):
        engine.modify(c, "m2", day, quantity="5")  # type: ignore[arg-type]


def test_modify_trial_cap(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, license_type="trial", period=None).client
    assert refused(engine.modify, c, "m1", T0, quantity=251) == ["trial.quantity_exceeded"]


def test_modify_nothing_changes_nothing(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    ch = engine.modify(c, "m1", T0)
    assert ch.client is c and ch.events == ()


def test_refused_because_modify_was_empty(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    with pytest.raises(cl.RuleViolation):
        engine.modify(c, "m1", T0, quantity=-1)


# -- manage / delete ----------------------------------------------------------------------


def test_set_management(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    ch = engine.set_management(c, "m1", "unmanaged", D(2026, 2, 1))
    assert ch.maintenance is not None
    assert ch.maintenance.management is cl.ManagementMode.UNMANAGED
    assert ch.events == (
        cl.ManagementChanged(
            client_id="acme", on=D(2026, 2, 1), maintenance_id="m1", management="unmanaged"
        ),
    )
    same = engine.set_management(ch.client, "m1", cl.ManagementMode.UNMANAGED, D(2026, 2, 1))
    assert same.events == () and same.client is ch.client
    c2 = assign(engine, ch.client, D(2026, 2, 1), product="mailguard").client
    day = D(2026, 2, 1)
    assert refused(engine.set_management, c2, "m2", "unmanaged", day) == ["management.unsupported"]
    assert refused(engine.set_management, c2, "m7", "unmanaged", day) == ["maintenance.unknown"]
    assert refused(engine.set_management, c2, "m1", "centralized", T0) == ["date.before_history"]
    with pytest.raises(ValueError, match="ManagementMode"):
        engine.set_management(c2, "m1", "sometimes", day)


def test_delete_service(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, period="1m").client  # expires 2026-02-28
    expired_day = D(2026, 3, 15)
    ch = engine.delete_service(c, "m1", expired_day)  # an expired one may be deleted
    assert ch.maintenance is not None and ch.maintenance.deleted_on == expired_day
    assert ch.maintenance.ended_on == D(2026, 2, 28)  # it ended when it expired
    assert refused(engine.delete_service, ch.client, "m1", expired_day) == [
        "maintenance.not_active"
    ]
    assert refused(engine.set_management, ch.client, "m1", "unmanaged", expired_day) == [
        "maintenance.not_active"
    ]
    assert refused(engine.modify, ch.client, "m1", expired_day, quantity=2) == [
        "maintenance.not_active"
    ]


def test_delete_client(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    ch = engine.delete_client(c, D(2026, 2, 1))
    assert ch.events == (cl.ClientDeleted(client_id="acme", on=D(2026, 2, 1)),)
    assert ch.maintenance is None
    assert refused(engine.delete_client, ch.client, D(2026, 2, 2)) == ["client.already_deleted"]
    idle = engine.create_client("idle", "Idle", T0)
    assert refused(engine.delete_client, idle, T0 + dt.timedelta(days=90)) == ["client.not_visible"]
    assert refused(engine.delete_service, idle, "m1", T0 + dt.timedelta(days=90)) == [
        "client.not_visible",
        "maintenance.unknown",
    ]


# -- views ---------------------------------------------------------------------------------


def test_monitoring_keeps_input_order(engine: cl.Engine) -> None:
    day = D(2026, 6, 1)
    a = engine.create_client("a", "A", D(2026, 1, 1))  # created 151 days ago: hidden
    b = engine.create_client("b", "B", D(2026, 5, 1))
    cc = assign(engine, engine.create_client("c", "C", D(2026, 1, 1)), D(2026, 1, 1)).client
    shown = engine.monitoring([cc, a, b], day)
    assert shown == [cc, b]
    assert isinstance(shown, list) and shown.today == day
    assert "no active service" not in shown.table() and "active" in shown.table()
    assert "<table>" in shown._repr_html_()
    assert cl.MonitoringList([], today=day).table() == "no client to show on 2026-06-01"


@pytest.mark.parametrize("slice_size", [1, 2, 3, 4096])
def test_monitoring_reads_any_iterable_a_slice_at_a_time(
    engine: cl.Engine, monkeypatch: pytest.MonkeyPatch, slice_size: int
) -> None:
    """The list is filtered a slice at a time: whatever the slice size and whatever the
    iterable (a list, a tuple, a generator, an empty one), the same clients in input
    order, as the 90-day rules decide them one by one."""
    from cytolicense.engine import _engine

    monkeypatch.setattr(_engine, "_SLICE", slice_size)
    day = D(2026, 6, 1)
    live = assign(engine, engine.create_client("c", "C", D(2026, 1, 1)), D(2026, 1, 1)).client
    clients = [
        engine.create_client("a", "A", D(2026, 1, 1)),  # hidden
        live,
        engine.create_client("b", "B", D(2026, 5, 1)),
        engine.delete_client(live, D(2026, 5, 20)).client,  # deleted 12 days ago: shown
        engine.delete_client(live, D(2026, 7, 1)).client,  # deleted after today: shown
        engine.create_client("d", "D", D(2025, 1, 1)),  # hidden
        engine.create_client("e", "E", D(2026, 5, 30)),
    ]
    expected = [c for c in clients if engine.visible(c, day)]
    assert len(expected) == 5
    for given in (clients, tuple(clients), (c for c in clients), clients * 3):
        shown = engine.monitoring(given, day)
        assert shown == (expected * 3 if given == clients * 3 else expected)
        assert shown.today == day
    assert engine.monitoring(iter(()), day) == []


def test_entitlements(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, modules={"encryption": 4, "patch": None}).client
    c = assign(engine, c, product="mailguard", quantity=3).client
    c = assign(engine, c, license_type="trial", period=None, quantity=5, modules=["patch"]).client
    assert engine.entitlements(c, T0) == {
        "edr": 15,
        "encryption": 4,
        "patch": 15,
        "mailguard": 3,
    }
    later = D(2026, 3, 15)  # the trial has ended
    assert engine.entitlements(c, later) == {
        "edr": 10,
        "encryption": 4,
        "patch": 10,
        "mailguard": 3,
    }
    c = engine.delete_service(c, "m2", later).client
    assert engine.entitlements(c, later) == {"edr": 10, "encryption": 4, "patch": 10}
    assert engine.entitlements(c, D(2027, 2, 1)) == {}


def test_detail(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, modules={"encryption": 4, "patch": None}).client
    c = assign(engine, c, product="mailguard", quantity=3).client
    c = engine.modify(
        c,
        "m1",
        D(2026, 5, 1),
        modules={
            "encryption": 4,
            "patch": None,
        },
    ).client
    c = engine.set_management(c, "m1", "unmanaged", D(2026, 5, 1)).client
    detail = engine.detail(c, D(2026, 5, 1))
    assert [ln.maintenance_id for ln in detail.lines] == ["m1", "m2"]
    m1 = detail.line("m1")
    assert (m1.product_name, m1.status, m1.duration) == ("EDR", Status.ACTIVE, "1 year")
    assert m1.actions == {"modify", "manage", "delete", "renew", "suspend", "auto_renew_on"}
    assert detail.line("m2").actions == {  # centralized
        "modify",
        "delete",
        "renew",
        "suspend",
        "auto_renew_on",
    }
    assert [(x.name, x.quantity, x.duration) for x in m1.modules] == [
        ("Encryption", 4, "1 year"),
        ("Patch", 10, "1 year"),
    ]
    text = str(detail)
    assert text.startswith("ACME Corp [acme] on 2026-05-01: visible")
    assert "+ Encryption" in text and "delete, manage, modify" in text
    html = detail._repr_html_()
    assert "<svg" in html and "today 2026-05-01" in html and "90-day window" in html
    with pytest.raises(KeyError):
        detail.line("m9")


def test_trial_lines_count_days(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, license_type="trial", period=None, modules=["patch"]).client
    line = engine.detail(c, T0).line("m1")
    assert (line.duration, line.modules[0].duration) == ("30 days", "30 days")


def test_detail_hides_lines_ended_90_days_ago(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme, period="1m").client  # ended 2026-02-28
    c = assign(engine, c, D(2026, 2, 10), product="mailguard").client
    assert [ln.maintenance_id for ln in engine.detail(c, D(2026, 5, 28)).lines] == ["m1", "m2"]
    d = engine.detail(c, D(2026, 5, 29))
    assert [ln.maintenance_id for ln in d.lines] == ["m2"]
    expired = engine.detail(c, D(2026, 3, 1)).line("m1")
    assert expired.status is Status.EXPIRED and expired.actions == {"delete"}
    c = engine.delete_service(c, "m1", D(2026, 3, 1)).client
    assert engine.detail(c, D(2026, 3, 1)).line("m1").actions == frozenset()
    empty = engine.detail(engine.create_client("z", "Z", T0), T0)
    assert "no maintenance to show" in str(empty) and "no maintenance" in empty._repr_html_()


def test_detail_of_a_deleted_client(engine: cl.Engine, acme: cl.Client) -> None:
    c = engine.delete_client(assign(engine, acme).client, D(2026, 3, 1)).client
    d = engine.detail(c, D(2026, 3, 2))
    assert "deleted on 2026-03-01" in str(d)
    assert d.line("m1").status is Status.DELETED


def test_detail_of_unknown_catalog_entries(engine: cl.Engine) -> None:
    m = cl.Maintenance(
        id="m1",
        product="retired",
        license_type="commercial",
        quantity=1,
        period="1y",
        starts_on=T0,
        expires_on=D(2027, 1, 31),
        management="unmanaged",
        modules=[
            cl.ModuleLicense(module="old", quantity=1, starts_on=T0, expires_on=D(2027, 1, 31))
        ],
    )
    c = cl.Client(id="x", name="X", created_on=T0, maintenances=[m])
    line = engine.detail(c, T0).line("m1")
    assert line.product_name == "retired" and line.modules[0].name == "old"
    # The view offers only what the engine accepts (R2 2/8): viewable, manageable and
    # deletable (and suspendable), but not modified or renewed while the catalog no
    # longer has it.
    assert line.actions == {"delete", "manage", "suspend"}
    assert refused(engine.modify, c, "m1", T0, quantity=2) == ["product.unknown", "module.unknown"]
    assert refused(engine.apply, c, cl.Renew(maintenance="m1"), T0)[0] == "product.unknown"


# -- events --------------------------------------------------------------------------------


def test_replay_rebuilds_the_client(engine: cl.Engine) -> None:
    ch = engine.new_client("acme", "ACME", T0)
    events = list(ch.events)
    c = ch.client
    steps = [
        lambda c: engine.assign(c, request(modules={"encryption": 2}), T0),
        lambda c: engine.modify(c, "m1", D(2026, 2, 1), quantity=12),
        lambda c: engine.set_management(c, "m1", "unmanaged", D(2026, 2, 2)),
        lambda c: engine.assign(c, request(product="mailguard"), D(2026, 2, 3)),
        lambda c: engine.delete_service(c, "m2", D(2026, 2, 4)),
        lambda c: engine.delete_client(c, D(2026, 2, 5)),
        lambda c: engine.assign(c, request(product="epdr"), D(2026, 2, 6)),
    ]
    for step in steps:
        change = step(c)
        events += change.events
        c = change.client
    assert cl.replay(events) == c
    v1 = {"ClientCreated", "ProductAssigned", "LicensesModified", "ManagementChanged"}
    v1 |= {"ServiceDeleted", "ClientDeleted", "ClientRestored"}
    assert {type(e).__name__ for e in events} == v1  # the v2 events: test_operations.py


def test_apply_refuses_events_that_do_not_fit(engine: cl.Engine, acme: cl.Client) -> None:
    with pytest.raises(ValueError, match="before ClientCreated"):
        cl.apply(None, cl.ClientDeleted(client_id="acme", on=T0))
    with pytest.raises(ValueError, match="already exists"):
        cl.apply(acme, cl.ClientCreated(client_id="acme", on=T0, name="A"))
    with pytest.raises(ValueError, match="applied to 'acme'"):
        cl.apply(acme, cl.ClientDeleted(client_id="other", on=T0))
    with pytest.raises(cl.UnknownIdError):
        cl.apply(acme, cl.ServiceDeleted(client_id="acme", on=T0, maintenance_id="m1"))
    m = assign(engine, acme).maintenance
    assert m is not None
    with pytest.raises(ValueError, match="has no maintenance 'm1'"):
        cl.apply(acme, cl.LicensesModified(client_id="acme", on=T0, maintenance=m))
    with pytest.raises(ValueError, match="no events"):
        cl.replay([])
    with pytest.raises(TypeError, match="not an event"):
        cl.apply(acme, "deleted")  # type: ignore[arg-type]


def test_the_detail_shows_when_a_service_was_deleted(engine: cl.Engine, acme: cl.Client) -> None:
    c = assign(engine, acme).client
    c = engine.delete_service(c, "m1", D(2026, 2, 10)).client
    detail = engine.detail(c, D(2026, 2, 20))
    assert detail.line("m1").stopped_on == D(2026, 2, 10)
    assert "deleted 2026-02-10" in str(detail)
    assert "eliminado 2026-02-10" in detail.text("es")
