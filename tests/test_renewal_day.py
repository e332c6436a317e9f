"""The renewal day (issue 48): auto-renewal, changes scheduled for the renewal, return
windows and the day's run, with the contract's vectors to the day, on both stores."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

from .day_worker import RenewalCatalog, engine

D = dt.date
T0 = D(2026, 1, 1)  # the assignment day; a 1-year term ends on 2027-01-01 (anniversary)
END = D(2027, 1, 1)


def edr(quantity: int = 10, **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product="edr", license_type="commercial", quantity=quantity, period="1y", **kw
    )


POOL = cl.Pool((cl.PoolLine(item="edr", period="1y", seats=100),))


def sold(e: cl.Engine, quantity: int = 10, pool: cl.Pool | None = POOL) -> cl.Change:
    c = e.create_client("acme", "ACME", T0)
    return e.apply(c, edr(quantity, modules={"patch": None}), T0, pool=pool)


def renewing(e: cl.Engine, quantity: int = 10) -> tuple[cl.Client, cl.Pool]:
    ch = sold(e, quantity)
    assert ch.pool is not None
    ch2 = e.apply(ch.client, cl.SetAutoRenew(maintenance="m1", on=True), T0, pool=ch.pool)
    assert ch2.pool is not None
    return ch2.client, ch2.pool


def codes(decision: cl.Decision) -> list[str]:
    return [f.code for f in decision.findings]


# -- the engine: due, schedules, what drops them ----------------------------------------


def test_due_on_the_last_day_and_not_the_day_before() -> None:
    e = engine()
    c, _ = renewing(e)
    assert c.maintenances[0].expires_on == END
    assert e.due(c, END - dt.timedelta(days=1)) == ()
    assert e.due(c, END) == (cl.Renew(maintenance="m1"),)
    # In grace (7 days) and not renewed: due each day; after it, nothing.
    assert e.due(c, D(2027, 1, 8)) == (cl.Renew(maintenance="m1"),)
    assert e.due(c, D(2027, 1, 9)) == ()
    # Without auto-renewal nothing is ever due.
    assert e.due(sold(e).client, END) == ()


def test_auto_renew_is_for_commercial_lines_and_needed_to_schedule() -> None:
    e = engine()
    c = e.create_client("acme", "ACME", T0)
    c = e.apply(c, cl.AssignmentRequest(product="edr", license_type="trial", quantity=5), T0).client
    assert codes(e.check(c, cl.SetAutoRenew(maintenance="m1", on=True), T0)) == [
        "auto_renew.not_commercial"
    ]
    c = e.apply(c, edr(), T0).client
    assert codes(e.check(c, cl.ScheduleChange(maintenance="m2", quantity=5), T0)) == [
        "schedule.needs_auto_renew"
    ]
    c = e.apply(c, cl.SetAutoRenew(maintenance="m2", on=True), T0).client
    assert c.maintenance("m2").auto_renew
    # Its seats and term are judged as a renewal's.
    bad = e.check(c, cl.ScheduleChange(maintenance="m2", quantity=0, period="5y"), T0)
    assert codes(bad) == ["quantity.invalid", "period.invalid"]
    # Setting what is already set changes nothing.
    assert e.apply(c, cl.SetAutoRenew(maintenance="m2", on=True), T0).events == ()


def test_a_new_schedule_replaces_the_old_and_an_empty_one_cancels_it() -> None:
    e = engine()
    c, _ = renewing(e)
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", quantity=5), D(2026, 3, 1)).client
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", period="2y"), D(2026, 3, 2)).client
    assert c.maintenances[0].scheduled == cl.ScheduledChange(on=D(2026, 3, 2), period="2y")
    assert e.due(c, END) == (cl.Renew(maintenance="m1", period="2y"),)
    ch = e.apply(c, cl.ScheduleChange(maintenance="m1"), D(2026, 3, 3))
    assert [(type(x).__name__, x.reason) for x in ch.events] == [
        ("ScheduleCancelled", "schedule_change")
    ]
    assert ch.client.maintenances[0].scheduled is None


def test_a_scheduled_decrease_is_applied_at_the_renewal() -> None:
    e = engine()
    c, pool = renewing(e)
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", quantity=4), D(2026, 6, 1), pool=pool).client
    (op,) = e.due(c, END)
    assert op == cl.Renew(maintenance="m1", quantity=4)
    ch = e.apply(c, op, END, pool=pool)
    m = ch.client.maintenances[0]
    assert (m.quantity, m.expires_on, m.scheduled, m.auto_renew) == (4, D(2028, 1, 1), None, True)
    assert [(ml.module, ml.quantity) for ml in m.modules] == [("patch", 4)]  # linked
    assert ch.pool is not None and ch.pool.seats("edr", "1y") == pool.seats("edr", "1y") - 4  # type: ignore[operator]


def test_renew_with_another_quantity() -> None:
    e = engine()
    ch = sold(e)
    assert ch.pool is not None
    c = e.apply(
        ch.client, cl.Modify(maintenance="m1", modules={"enc": 8, "patch": None}), T0
    ).client
    up = e.apply(c, cl.Renew(maintenance="m1", quantity=15), D(2026, 12, 1), pool=ch.pool)
    m = up.client.maintenances[0]
    assert m.quantity == 15
    assert {ml.module: ml.quantity for ml in m.modules} == {"enc": 8, "patch": 15}
    assert [(p.item, p.seats) for p in up.pool_events] == [("edr", -15)]
    down = e.apply(c, cl.Renew(maintenance="m1", quantity=5), D(2026, 12, 1))
    # An independent module keeps its seats, at most the new quantity.
    assert {ml.module: ml.quantity for ml in down.client.maintenances[0].modules} == {
        "enc": 5,
        "patch": 5,
    }
    assert codes(e.check(c, cl.Renew(maintenance="m1", quantity=0), D(2026, 12, 1))) == [
        "quantity.invalid"
    ]


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        (cl.Modify(maintenance="m1", quantity=12), "modify"),
        (cl.AddSeats(maintenance="m1", quantity=2, period="1y"), "add_seats"),
        (cl.SetAutoRenew(maintenance="m1", on=False), "set_auto_renew"),
        (cl.DeleteService(maintenance="m1"), "delete_service"),
        (cl.Suspend(maintenance="m1"), "suspend"),
    ],
)
def test_a_mid_term_change_drops_the_schedule(op: Any, kind: str) -> None:
    e = engine()
    c, _ = renewing(e)
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", quantity=5), D(2026, 3, 1)).client
    ch = e.apply(c, op, D(2026, 3, 20), actor="ana", reason="theirs")
    first = ch.events[0]
    assert isinstance(first, cl.ScheduleCancelled)
    assert (first.maintenance_id, first.reason, first.actor) == ("m1", kind, "ana")
    assert ch.client.maintenance("m1").scheduled is None
    # Nothing is due with the old terms.
    assert all(getattr(x, "quantity", None) != 5 for x in e.due(ch.client, END))


def test_grouping_and_a_product_change_drop_the_schedule() -> None:
    e = engine()
    c, _ = renewing(e)
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", quantity=5), D(2026, 3, 1)).client
    c2 = e.apply(c, edr(3, modules={"patch": None}), D(2026, 3, 1)).client
    ch = e.apply(c2, cl.GroupSets(product="edr"), D(2026, 3, 2))
    assert [(type(x).__name__, x.reason) for x in ch.events[:1]] == [
        ("ScheduleCancelled", "group_sets")
    ]
    assert ch.client.maintenance("m1").scheduled is None


def test_a_suspension_turns_auto_renew_off_and_resuming_leaves_it_off() -> None:
    e = engine()
    c, _ = renewing(e)
    ch = e.apply(c, cl.Suspend(maintenance="m1"), D(2026, 5, 1))
    assert [type(x).__name__ for x in ch.events] == ["AutoRenewChanged", "ServiceSuspended"]
    c = ch.client
    assert not c.maintenances[0].auto_renew
    c = e.apply(c, cl.Resume(maintenance="m1"), D(2026, 5, 10)).client
    assert not c.maintenances[0].auto_renew
    assert e.due(c, END) == ()


def test_replaced_deleted_and_withdrawn_lines_are_never_due() -> None:
    e = engine()
    c, _ = renewing(e)
    deleted = e.apply(c, cl.DeleteService(maintenance="m1"), D(2026, 5, 1)).client
    assert e.due(deleted, END) == ()
    withdrawn = cl.load_catalog(_Withdrawn(), entry_points=False)
    assert cl.Engine(withdrawn).due(c, END) == ()


class _Withdrawn(RenewalCatalog):
    __name__ = "tests.renewal_day_withdrawn"

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        import attrs

        return [
            attrs.evolve(p, available_until=D(2026, 12, 1)) for p in super().cytolicense_products()
        ]


# -- return windows -----------------------------------------------------------------------


def test_the_seven_day_window_day_6_open_day_7_closed() -> None:
    e = engine()
    ch = sold(e)
    c, pool = ch.client, ch.pool
    assert pool is not None and pool.seats("edr", "1y") == 90
    lower = cl.Modify(maintenance="m1", quantity=7)
    day6, day7 = T0 + dt.timedelta(days=6), T0 + dt.timedelta(days=7)
    assert e.check(c, lower, day6, pool=pool).ok
    back = e.apply(c, lower, day6, pool=pool)
    assert back.pool is not None and back.pool.seats("edr", "1y") == 93  # in full
    assert [(p.item, p.seats, p.kind) for p in back.pool_events] == [("edr", 3, "recovered")]
    refused = e.check(c, lower, day7, pool=pool)
    (f,) = refused.errors
    assert (f.code, f.field, dict(f.params)) == (
        "modify.window_closed",
        "quantity",
        {"window_days": 7, "open_seats": 0, "needed": 3},
    )
    # Without a window (the 'plain' product), lowering is allowed and gives nothing back.
    c2 = e.apply(
        c,
        cl.AssignmentRequest(product="plain", license_type="commercial", quantity=5, period="1y"),
        T0,
    ).client
    assert e.check(c2, cl.Modify(maintenance="m2", quantity=1), D(2026, 6, 1)).ok


def test_a_lot_of_added_seats_has_its_own_window() -> None:
    e = engine()
    ch = sold(e)
    added = e.apply(
        ch.client, cl.AddSeats(maintenance="m1", quantity=4, period="1y"), D(2026, 1, 5)
    )
    c = added.client
    assert [(x.added_on, x.seats) for x in c.maintenances[0].lots] == [(T0, 10), (D(2026, 1, 5), 4)]
    day8 = D(2026, 1, 9)  # the first lot closed (day 8), the added one open (day 4)
    assert e.check(c, cl.Modify(maintenance="m1", quantity=10), day8).ok
    (f,) = e.check(c, cl.Modify(maintenance="m1", quantity=9), day8).errors
    assert dict(f.params) == {"window_days": 7, "open_seats": 4, "needed": 5}
    assert e.check(c, cl.Modify(maintenance="m1", quantity=9), D(2026, 1, 5)).ok
    # A raise is a lot of its own; lowering takes the newest lot first.
    raised = e.apply(c, cl.Modify(maintenance="m1", quantity=16), D(2026, 1, 10)).client
    lowered = e.apply(raised, cl.Modify(maintenance="m1", quantity=11), D(2026, 1, 10)).client
    assert [(x.added_on, x.seats) for x in lowered.maintenances[0].lots] == [
        (T0, 10),
        (D(2026, 1, 5), 1),
    ]


def test_a_delete_on_day_3_gives_every_seat_back() -> None:
    e = engine()
    ch = sold(e)
    assert ch.pool is not None
    gone = e.apply(
        ch.client, cl.DeleteService(maintenance="m1"), T0 + dt.timedelta(days=3), pool=ch.pool
    )
    assert gone.pool is not None and gone.pool.seats("edr", "1y") == 100
    # After the window: pro rata, as before.
    late = e.apply(ch.client, cl.DeleteService(maintenance="m1"), D(2026, 7, 2), pool=ch.pool)
    assert late.pool is not None and 90 < late.pool.seats("edr", "1y") < 100  # type: ignore[operator]


def test_a_delete_gives_open_lots_in_full_and_the_rest_pro_rata() -> None:
    e = engine()
    ch = sold(e)
    assert ch.pool is not None
    day = D(2026, 7, 2)
    added = e.apply(
        ch.client, cl.AddSeats(maintenance="m1", quantity=4, period="1y"), day, pool=ch.pool
    )
    assert added.pool is not None
    m = added.client.maintenances[0]
    gone = e.apply(added.client, cl.DeleteService(maintenance="m1"), day, pool=added.pool)
    back = sum(p.seats for p in gone.pool_events if p.item == "edr")
    days_left = (m.expires_on - day).days + 1
    term = (m.expires_on - (m.expires_on - m.period.delta)).days  # type: ignore[union-attr]
    assert back == 4 + min(10, 10 * days_left // term)


def test_a_renewal_opens_a_new_window() -> None:
    e = engine()
    ch = sold(e)
    renewed = e.apply(ch.client, cl.Renew(maintenance="m1"), D(2026, 12, 20), pool=ch.pool)
    c = renewed.client
    assert [(x.added_on, x.seats) for x in c.maintenances[0].lots] == [(D(2026, 12, 20), 10)]
    assert e.check(c, cl.Modify(maintenance="m1", quantity=2), D(2026, 12, 26)).ok
    assert not e.check(c, cl.Modify(maintenance="m1", quantity=2), D(2026, 12, 27)).ok
    line = e.detail(c, D(2026, 12, 22)).line("m1")
    assert (line.returnable_seats, line.returnable_until) == (10, D(2026, 12, 26))
    assert e.detail(c, D(2026, 12, 27)).line("m1").returnable_until is None


# -- documents ------------------------------------------------------------------------------


def test_the_new_records_round_trip_and_validate() -> None:
    import jsonschema

    from cytolicense.store._serialize import client_data, stored_client, to_data

    e = engine()
    c, _ = renewing(e)
    c = e.apply(c, cl.ScheduleChange(maintenance="m1", quantity=5, period="2y"), T0).client
    m = c.maintenances[0]
    run = cl.DayRun(
        applied=[("acme", cl.Renew(maintenance="m1", quantity=5))],
        refused=[("b", cl.Renew(maintenance="m2"), e.check(c, cl.Renew(maintenance="m9"), T0))],
    )
    for obj in (m, c, *m.lots, m.scheduled, run):
        assert cl.from_json(type(obj), cl.to_json(obj)) == obj
        schema = cl.json_schema(type(obj).__name__)
        jsonschema.Draft202012Validator(schema).validate(json.loads(cl.to_json(obj)))
    # A renewal of the same seats writes no quantity (documents stay as they were).
    assert "quantity" not in cl.to_json(cl.Renew(maintenance="m1"))
    # The store's direct writer and its fast reader agree with the converter.
    assert client_data(c) == to_data(c)
    assert stored_client(cl.to_json(c)) == c


# -- the day's run, on both stores -----------------------------------------------------------


_OPEN: list[Any] = []


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "day.db")
    else:
        yield request.getfixturevalue("postgres_url")
    while _OPEN:
        _OPEN.pop().close()


def _console(target: str, partner: str, shortage: str = "warning") -> cl.Console:
    store = cl.open_store(target, partner)
    _OPEN.append(store)
    return cl.Console(engine(shortage), store)


def _seed(console: cl.Console, n: int, *, pool: int = 1000, auto: bool = True) -> None:
    console.credit_pool("edr", "1y", pool, T0)
    with console.store.batch():
        for i in range(n):
            cid = f"c{i:04d}"
            console.add_client(cid, f"Client {i}", T0)
            console.apply(cid, edr(2), T0)
            if auto:
                console.apply(cid, cl.SetAutoRenew(maintenance="m1", on=True), T0)


def test_the_run_renews_once_when_repeated(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _seed(console, 12)
    console.add_client("off", "Off", T0)
    console.apply("off", edr(2), T0)  # not auto-renewing: read, nothing due
    eve = console.run_day(END - dt.timedelta(days=1))
    assert not eve.applied and not eve.refused  # only the 1-day expiry notices
    assert [n.days_before for _, n in eve.notices] == [1] * 13
    run = console.run_day(END, batch=5)
    assert len(run.applied) == 12 and not run.refused
    assert [cid for cid, _ in run.applied] == sorted(f"c{i:04d}" for i in range(12))
    assert console.run_day(END) == cl.DayRun()
    assert console.run_day(D(2027, 1, 3)) == cl.DayRun()  # in grace, already renewed
    for i in range(12):
        c = console.get(f"c{i:04d}")
        assert c.maintenances[0].expires_on == D(2028, 1, 1)
        renewals = [x for x in console.history(c.id) if isinstance(x, cl.MaintenanceRenewed)]
        assert len(renewals) == 1 and renewals[0].actor == "auto-renew"
    assert console.get("off").maintenances[0].expires_on == END
    assert console.pool().seats("edr", "1y") == 1000 - 12 * 2 - 12 * 2 - 2
    # The store's candidates come from the expiry index.
    assert console.store.renewals_due(END) == [("off", "m1", END)]  # type: ignore[attr-defined]


def test_a_shortage_is_retried_each_day_until_the_grace_ends(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8], shortage="error")
    _seed(console, 1, pool=2)  # the renewal finds the pool empty
    for day in (END, D(2027, 1, 2), D(2027, 1, 8)):
        run = console.run_day(day)
        assert not run.applied
        ((cid, op, decision),) = run.refused
        assert (cid, op, codes(decision)) == (
            "c0000",
            cl.Renew(maintenance="m1"),
            ["pool.insufficient"],
        )
    assert console.run_day(D(2027, 1, 9)) == cl.DayRun()  # the grace has ended
    # Credited during the grace, the next day's run renews it, from the old end.
    console.credit_pool("edr", "1y", 5, D(2027, 1, 9))
    console2 = _console(target, console.store.partner, shortage="error")  # type: ignore[attr-defined]
    assert console2.run_day(D(2027, 1, 9)) == cl.DayRun()


def test_a_shortage_then_a_credit_renews_in_grace(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8], shortage="error")
    _seed(console, 1, pool=2)
    assert console.run_day(END).refused
    console.credit_pool("edr", "1y", 5, D(2027, 1, 3))
    run = console.run_day(D(2027, 1, 4))
    assert run.applied == (("c0000", cl.Renew(maintenance="m1")),)
    assert console.get("c0000").maintenances[0].expires_on == D(2028, 1, 1)


def test_the_dry_run_writes_nothing(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _seed(console, 3)
    planned = console.run_day(END, dry_run=True)
    assert len(planned.applied) == 3
    assert console.get("c0000").maintenances[0].expires_on == END
    assert console.run_day(END) == planned


def test_a_run_killed_halfway_then_run_again_applies_everything_once(target: str) -> None:
    import signal
    import subprocess
    import sys

    partner = "p-" + uuid.uuid4().hex[:8]
    console = _console(target, partner)
    _seed(console, 60)
    worker = str(Path(__file__).with_name("day_worker.py"))
    proc = subprocess.Popen(
        [sys.executable, worker, target, partner, END.isoformat(), "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = -1
    while committed < 2:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert committed >= 2, "the worker did not commit enough batches"
    fresh = _console(target, partner)
    renewed = [c for c in fresh.store.clients() if c.maintenances[0].expires_on > END]
    assert len(renewed) % 5 == 0 and len(renewed) >= 15  # whole batches only
    rest = fresh.run_day(END, batch=5)
    assert len(rest.applied) == 60 - len(renewed)
    for c in fresh.store.clients():
        assert c.maintenances[0].expires_on == D(2028, 1, 1)
        assert sum(isinstance(x, cl.MaintenanceRenewed) for x in fresh.history(c.id)) == 1
    assert fresh.pool().seats("edr", "1y") == 1000 - 60 * 2 * 2
    assert fresh.run_day(END) == cl.DayRun()


def test_two_runs_of_the_same_day_at_once(target: str) -> None:
    import threading

    partner = "p-" + uuid.uuid4().hex[:8]
    console = _console(target, partner)
    _seed(console, 30)
    runs: list[cl.DayRun] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            runs.append(_console(target, partner).run_day(END, batch=4))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    applied = [cid for r in runs for cid, _ in r.applied]
    assert sorted(applied) == sorted(f"c{i:04d}" for i in range(30))  # each once
    for c in console.store.clients():
        assert sum(isinstance(x, cl.MaintenanceRenewed) for x in console.history(c.id)) == 1


# -- a property: random sessions and runs of random days ---------------------------------------

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .conftest import SOAK  # noqa: E402

_STEP = st.one_of(
    # a day's run: the same day again (0), a few days on (grace is 7), or a term skipped
    st.tuples(
        st.just("day"),
        st.one_of(*[st.integers(0, 3)] * 4, st.sampled_from([6, 30, 200, 362])),
    ),
    st.tuples(st.just("run"), st.just(0)),
    st.tuples(st.just("auto"), st.integers(0, 1)),
    st.tuples(st.just("schedule"), st.integers(0, 12)),  # 0: cancel
    st.tuples(st.just("suspend"), st.just(0)),
    st.tuples(st.just("resume"), st.just(0)),
    st.tuples(st.just("modify"), st.integers(1, 12)),
    st.tuples(st.just("credit"), st.integers(1, 8)),
    st.tuples(st.just("assign"), st.integers(1, 6)),
)


def _operation(kind: str, n: int, mid: str) -> Any:
    if kind == "auto":
        return cl.SetAutoRenew(maintenance=mid, on=bool(n))
    if kind == "schedule":
        return cl.ScheduleChange(maintenance=mid, quantity=n or None)
    if kind == "suspend":
        return cl.Suspend(maintenance=mid)
    if kind == "resume":
        return cl.Resume(maintenance=mid)
    if kind == "modify":
        return cl.Modify(maintenance=mid, quantity=n)
    return edr(n)


@settings(
    max_examples=400 if SOAK else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(_STEP, min_size=5, max_size=45))
def test_random_days_renew_each_term_once_within_grace(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    path = tmp_path_factory.mktemp("days") / "p.db"
    store = cl.Store(path, "p")
    try:
        console = cl.Console(engine("error"), store)
        console.credit_pool("edr", "1y", 8, T0)
        for cid in ("a", "b"):
            console.add_client(cid, cid.upper(), T0)
            console.apply(cid, edr(2), T0)
            console.apply(cid, cl.SetAutoRenew(maintenance="m1", on=True), T0)
        today = END - dt.timedelta(days=3)  # the first expiry is near
        for kind, n in steps:
            if kind == "day":  # the days in between are skipped, this one is run
                today += dt.timedelta(days=n)
                console.run_day(today, batch=1)
                continue
            if kind == "run":
                console.run_day(today, batch=1)
                continue
            if kind == "credit":
                console.credit_pool("edr", "1y", n, today)
                continue
            for cid in ("a", "b"):
                mid = console.get(cid).maintenances[-1].id
                with contextlib.suppress(cl.RuleViolation):
                    console.apply(cid, _operation(kind, n, mid), today)
                break  # one client a step; the other follows on the day's runs alone
        for cid in ("a", "b"):
            history = console.history(cid)
            terms: set[tuple[str, dt.date]] = set()
            for e in history:
                if isinstance(e, cl.MaintenanceRenewed):
                    term = (e.maintenance.id, e.previous_expires_on)
                    assert term not in terms, f"{term} renewed twice"
                    terms.add(term)
                    grace = e.maintenance.grace_days
                    assert e.previous_expires_on <= e.on or e.actor != "auto-renew"
                    assert (e.on - e.previous_expires_on).days <= grace, "renewed past its grace"
            assert cl.replay(history) == console.get(cid)
            event(f"{cid}: {min(len(terms), 2)} renewal(s)")
        # The pool is its movements.
        moved: dict[tuple[str, str], int] = {}
        for p in store.pool_history():
            key = (p.item, str(p.period))
            moved[key] = moved.get(key, 0) + p.seats
        assert {(ln.item, str(ln.period)): ln.seats for ln in console.pool().lines} == moved
    finally:
        store.close()
