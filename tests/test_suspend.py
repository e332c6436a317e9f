"""Suspend and resume a service, and a whole client (R3 6/6, its first half)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

import cytolicense as cl

D = dt.date
T0 = D(2026, 1, 1)
S = D(2026, 3, 1)  # the day of suspension


def catalog(extends: bool = False) -> cl.Catalog:
    return cl.Catalog(
        families=[cl.ProductFamily(id="endpoint", name="Endpoint")],
        modules=[cl.Module(id="patch", name="Patch")],
        products=[
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules={"patch"},
                grace_days=15,
                changes_to={"epdr"},
                suspend_extends_term=extends,
            ),
            cl.Product(id="epdr", name="EPDR", family="endpoint", grace_days=15),
        ],
    )


def edr(quantity: int = 10, **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product="edr", license_type="commercial", quantity=quantity, period="1y", **kw
    )


def codes(decision: cl.Decision) -> list[str]:
    return [f.code for f in decision.findings]


def suspended(engine: cl.Engine, modules: bool = True) -> cl.Client:
    c = engine.create_client("acme", "ACME", T0)
    c = engine.apply(c, edr(modules={"patch": None} if modules else {}), T0).client
    return engine.apply(c, cl.Suspend(maintenance="m1"), S).client


def test_a_suspended_line_grants_nothing_from_the_next_day_and_its_term_runs_on() -> None:
    engine = cl.Engine(catalog())
    c = suspended(engine)
    m = c.maintenances[0]
    assert m.suspensions == (cl.Suspension(on=S),)
    assert m.status(S) is cl.Status.SUSPENDED and m.status(S + dt.timedelta(1)) is (
        cl.Status.SUSPENDED
    )
    assert engine.entitlements(c, S) == {"edr": 10, "patch": 10}  # the day is served
    assert engine.entitlements(c, S + dt.timedelta(1)) == {}
    assert m.expires_on == D(2027, 1, 1)  # the term keeps running
    # Suspended at its expiry, it gets no grace.
    assert m.status(D(2027, 1, 2)) is cl.Status.EXPIRED
    assert engine.entitlements(c, D(2027, 1, 5)) == {}


def test_it_still_counts_for_the_family_rule_and_for_visibility() -> None:
    engine = cl.Engine(catalog())
    c = suspended(engine)
    other = cl.AssignmentRequest(product="epdr", license_type="commercial", quantity=1, period="1y")
    assert codes(engine.check(c, other, D(2026, 4, 1))) == ["family.already_assigned"]
    assert engine.visible(c, D(2026, 12, 31))
    assert engine.visible(c, D(2027, 3, 31)) and not engine.visible(c, D(2027, 4, 1))


def test_what_a_suspended_line_refuses_and_allows() -> None:
    engine = cl.Engine(catalog())
    c = engine.create_client("acme", "ACME", T0)
    c = engine.apply(c, edr(), T0).client
    c = engine.apply(c, edr(), T0).client  # a second set, to group
    c = engine.apply(c, cl.Suspend(maintenance="m1"), S).client
    day = D(2026, 4, 1)
    for op in (
        cl.Modify(maintenance="m1", quantity=20),
        cl.Renew(maintenance="m1"),
        cl.ChangeProduct(maintenance="m1", product="epdr", period="1y"),
        cl.AddSeats(maintenance="m1", quantity=2, period="1y"),
        cl.SetManagement(maintenance="m1", mode="unmanaged"),
        cl.Suspend(maintenance="m1"),
        cl.GroupSets(product="edr"),
    ):
        # (changing m1 to EPDR also meets m2, an EDR set in force: the family rule)
        assert codes(engine.check(c, op, day))[0] == "maintenance.suspended", op
    for op in (cl.Resume(maintenance="m1"), cl.DeleteService(maintenance="m1"), cl.DeleteClient()):
        assert engine.check(c, op, day).ok, op
    m1 = c.maintenance("m1")
    assert engine.actions(c, m1, day) == {"resume", "delete"}
    assert "suspend" in engine.actions(c, c.maintenance("m2"), day)
    # Deleting the client deletes the suspended line too.
    gone = engine.apply(c, cl.DeleteClient(), day).client
    assert gone.maintenance("m1").status(day) is cl.Status.DELETED


def test_suspension_gives_nothing_back_to_the_pool() -> None:
    engine = cl.Engine(catalog())
    pool = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=50),))
    c = engine.create_client("acme", "ACME", T0)
    done = engine.apply(c, edr(), T0, pool=pool)
    change = engine.apply(done.client, cl.Suspend(maintenance="m1"), S, pool=done.pool)
    assert change.pool_events == () and change.pool == done.pool


def test_resume_only_while_not_expired() -> None:
    engine = cl.Engine(catalog())
    c = suspended(engine)
    assert codes(engine.check(c, cl.Resume(maintenance="m1"), D(2027, 1, 2))) == [
        "resume.after_expiry"
    ]
    resumed = engine.apply(c, cl.Resume(maintenance="m1"), D(2026, 4, 1))
    m = resumed.client.maintenances[0]
    assert m.suspensions == (cl.Suspension(on=S, resumed_on=D(2026, 4, 1)),)
    assert m.status(D(2026, 4, 1)) is cl.Status.ACTIVE
    assert engine.entitlements(resumed.client, D(2026, 4, 1)) == {"edr": 10, "patch": 10}
    assert m.expires_on == D(2027, 1, 1)  # the term ran on
    assert m.grace_until == D(2027, 1, 16)  # the grace is back
    # The past suspension is still the line's history, to the day.
    assert m.status(D(2026, 3, 15)) is cl.Status.SUSPENDED
    assert not m.in_force(D(2026, 3, 15)) and m.in_force(S)
    assert codes(engine.check(resumed.client, cl.Resume(maintenance="m1"), D(2026, 4, 2))) == [
        "maintenance.not_suspended"
    ]


def test_a_product_may_move_the_end_by_the_days_spent_suspended() -> None:
    engine = cl.Engine(catalog(extends=True))
    c = suspended(engine)
    m = engine.apply(c, cl.Resume(maintenance="m1"), D(2026, 4, 1)).client.maintenances[0]
    # Suspended Mar 2 - Mar 31 (30 days granted nothing): the end moves by 30 days.
    assert m.expires_on == D(2027, 1, 31)
    assert all(ml.expires_on == m.expires_on for ml in m.modules)
    # Resumed the day after: nothing was lost, nothing moves.
    c = suspended(engine)
    m = engine.apply(c, cl.Resume(maintenance="m1"), S + dt.timedelta(1)).client.maintenances[0]
    assert m.expires_on == D(2027, 1, 1)


def test_a_client_wide_suspension_resumes_only_what_it_suspended() -> None:
    engine = cl.Engine(catalog())
    c = engine.create_client("acme", "ACME", T0)
    for _ in range(3):
        c = engine.apply(c, edr(), T0).client
    c = engine.apply(c, cl.Suspend(maintenance="m2"), D(2026, 2, 1)).client  # on its own
    c = engine.apply(c, cl.DeleteService(maintenance="m3"), D(2026, 2, 1)).client
    change = engine.apply(c, cl.SuspendClient(), S)
    assert [type(e).__name__ for e in change.events] == ["ServiceSuspended"]  # m1 only
    c = change.client
    assert c.maintenance("m1").suspension == cl.Suspension(on=S, by_client=True)
    assert codes(engine.check(c, cl.SuspendClient(), S)) == ["client.nothing_to_suspend"]
    c = engine.apply(c, cl.ResumeClient(), D(2026, 4, 1)).client
    assert c.maintenance("m1").suspension is None
    assert c.maintenance("m2").suspension is not None  # still suspended on its own
    assert codes(engine.check(c, cl.ResumeClient(), D(2026, 4, 2))) == ["client.nothing_to_resume"]


def test_history_json_and_stores_keep_suspensions(tmp_path: Any) -> None:
    engine = cl.Engine(catalog())
    with cl.Store(tmp_path / "c.db", "p") as store:
        console = cl.Console(engine, store)
        console.add_client("acme", "ACME", T0)
        console.apply("acme", edr(), T0)
        console.apply("acme", cl.Suspend(maintenance="m1"), S, actor="ops", reason="unpaid")
        console.apply("acme", cl.Resume(maintenance="m1"), D(2026, 4, 1))
        c = store.get("acme")
        assert c.maintenances[0].suspensions == (cl.Suspension(on=S, resumed_on=D(2026, 4, 1)),)
        events = store.history("acme")
        assert [type(e).__name__ for e in events][-2:] == ["ServiceSuspended", "ServiceResumed"]
        assert events[-2].actor == "ops" and events[-2].reason == "unpaid"
        assert cl.replay(events) == c
        assert store.verify() == []
    text = cl.to_json(c)
    assert '"suspensions"' in text and cl.from_json(cl.Client, text) == c
    plain = engine.apply(engine.create_client("b", "B", T0), edr(), T0).client
    assert '"suspensions"' not in cl.to_json(plain)  # older documents stay as they were


def test_a_suspended_line_is_not_billed_after_its_day() -> None:
    engine = cl.Engine(catalog())
    created = engine.new_client("acme", "ACME", T0)
    c, events = created.client, list(created.events)
    for op, day in (
        (edr(modules={}), T0),
        (cl.Suspend(maintenance="m1"), D(2026, 3, 10)),
        (cl.Resume(maintenance="m1"), D(2026, 3, 21)),
    ):
        change = engine.apply(c, op, day)
        c, events = change.client, events + list(change.events)
    (row,) = engine.usage_report([events], "2026-03").rows
    # Mar 1-10 served (the day of suspension too), Mar 11-20 not, Mar 21-31 served.
    assert row.seat_days == 10 * (10 + 11)


def run_cli(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    from cytolicense.cli import _main, _run

    monkeypatch.setattr(_run, "load_catalog", catalog)
    out, err = io.StringIO(), io.StringIO()
    code = _main.main([*argv, "--db", str(tmp_path / "c.db")], out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_the_command_line(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(*argv: str) -> tuple[int, str]:
        return run_cli(tmp_path, monkeypatch, *argv)

    assert run("add-client", "acme", "ACME", "--today", "2026-01-01")[0] == 0
    assert run(
        "assign", "acme", "--product", "edr", "--seats", "5", "--period", "1y",
        "--today", "2026-01-01",
    )[0] == 0  # fmt: skip
    code, out = run("suspend", "acme", "m1", "--dry-run", "--today", "2026-03-01")
    assert code == 0 and "the service can be suspended (nothing changed)" in out
    code, out = run("suspend", "acme", "m1", "--today", "2026-03-01", "--lang", "es")
    assert code == 0 and "suspendido" in out
    code, out = run("modify", "acme", "m1", "--seats", "9", "--today", "2026-03-02")
    assert code == 1 and "maintenance.suspended" in out
    code, out = run("resume", "acme", "m1", "--today", "2026-03-05", "--json")
    assert code == 0 and json.loads(out)["events"][0]["type"] == "ServiceResumed"
    code, out = run("suspend-client", "acme", "--today", "2026-03-06")
    assert code == 0
    code, out = run("resume-client", "acme", "--today", "2026-03-07", "--lang", "es")
    assert code == 0 and "reanudado" in out
    code, out = run("history", "acme", "--lang", "es")
    assert "servicio suspendido" in out and "(todo el cliente)" in out
