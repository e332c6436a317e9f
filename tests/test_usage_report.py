"""The monthly usage report (R3 6/6, its second half): rebuilt from events, to the day."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytolicense as cl

D = dt.date


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


def edr(quantity: int = 100, **kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=quantity, period="1y", **kw
    )


def history(engine: cl.Engine, steps: list[tuple[Any, D]], start: D) -> list[cl.Event]:
    created = engine.new_client("acme", "ACME", start)
    c, events = created.client, list(created.events)
    for op, day in steps:
        change = engine.apply(c, op, day)
        c, events = change.client, events + list(change.events)
    return events


def test_100_seats_from_the_first_of_a_31_day_month_are_3100_seat_days(
    engine: cl.Engine,
) -> None:
    events = history(engine, [(edr(), D(2026, 10, 1))], D(2026, 10, 1))
    report = engine.usage_report([events], "2026-10")
    (row,) = report.rows
    assert (row.client_id, row.item, row.seat_days, row.peak, row.end_of_month) == (
        "acme",
        "cytomic-edr",
        3100,
        100,
        100,
    )
    assert report.month == "2026-10" and report.basis is cl.UsageBasis.SEAT_DAYS
    assert row.billed == 3100


def test_a_month_with_a_modify_a_module_and_a_deletion(engine: cl.Engine) -> None:
    steps = [
        (edr(10, modules={"cytomic-patch": None}), D(2026, 10, 20)),
        (cl.Modify(maintenance="m1", quantity=30), D(2026, 11, 11)),
        (cl.DeleteService(maintenance="m1"), D(2026, 11, 21)),
    ]
    events = history(engine, steps, D(2026, 10, 20))
    report = engine.usage_report([events], "2026-11")
    by_item = {r.item: r for r in report.rows}
    # 10 seats on Nov 1-10, 30 on Nov 11-20, none from the deletion day.
    assert by_item["cytomic-edr"].seat_days == 10 * 10 + 30 * 10
    assert by_item["cytomic-edr"].peak == 30 and by_item["cytomic-edr"].end_of_month == 0
    assert by_item["cytomic-patch"].seat_days == 400  # linked: the product's seats
    peak = engine.usage_report([events], "2026-11", basis="peak")
    assert [r.billed for r in peak.rows] == [30, 30]
    end = engine.usage_report([events], "2026-11", basis=cl.UsageBasis.END_OF_MONTH)
    assert [r.billed for r in end.rows] == [0, 0]
    # A month before anything and a month after: no rows.
    assert engine.usage_report([events], "2026-09").rows == ()
    assert engine.usage_report([events], "2027-01").rows == ()


def test_grace_days_are_billed(engine: cl.Engine) -> None:
    catalog = cl.Catalog(
        families=[cl.ProductFamily(id="f", name="F")],
        products=[cl.Product(id="p", name="P", family="f", periods=("1m",), grace_days=5)],
    )
    eng = cl.Engine(catalog)
    request = cl.AssignmentRequest(product="p", license_type="commercial", quantity=4, period="1m")
    events = history(eng, [(request, D(2026, 10, 1))], D(2026, 10, 1))
    # In force Oct 1 - Nov 1 (1 month, anniversary), then 5 grace days: Nov 2-6.
    (row,) = eng.usage_report([events], "2026-11").rows
    assert row.seat_days == 4 * 6 and row.end_of_month == 0


def test_devices_beyond_the_term_seats_are_the_billable_usage(engine: cl.Engine) -> None:
    # WatchGuard: 100 devices, 60 term seats -> 40; after an upgrade to 80 -> 20.
    events = history(engine, [(edr(60), D(2026, 10, 1))], D(2026, 10, 1))
    devices = {"acme": {"cytomic-edr": 100}}
    (row,) = engine.usage_report([events], "2026-10", devices=devices).rows
    assert (row.devices, row.billable) == (100, 40)
    upgraded = history(
        engine,
        [(edr(60), D(2026, 10, 1)), (cl.Modify(maintenance="m1", quantity=80), D(2026, 11, 3))],
        D(2026, 10, 1),
    )
    (row,) = engine.usage_report([upgraded], "2026-11", devices=devices).rows
    assert (row.end_of_month, row.billable) == (80, 20)
    (row,) = engine.usage_report([upgraded], "2026-11").rows
    assert (row.devices, row.billable) == (None, None)


def test_the_rows_add_up_to_the_daily_sums(engine: cl.Engine) -> None:
    a = history(engine, [(edr(10), D(2026, 11, 5))], D(2026, 11, 1))
    b_created = engine.new_client("beta", "Beta", D(2026, 11, 1))
    b = list(b_created.events) + list(
        engine.apply(b_created.client, edr(7), D(2026, 11, 20)).events
    )
    report = engine.usage_report([a, b], "2026-11")
    assert sum(r.seat_days for r in report.rows) == sum(report.daily["cytomic-edr"])
    assert report.daily["cytomic-edr"][4] == 10 and report.daily["cytomic-edr"][19] == 17
    assert report.totals() == {"cytomic-edr": 10 * 26 + 7 * 11}


def test_a_month_is_yyyy_mm() -> None:
    for bad in ("2026-13", "2026/11", "26-11", "", "2026-1x"):
        with pytest.raises(ValueError, match="not a month"):
            cl.Engine.usage_report([], bad)
    assert cl.Engine.usage_report([], D(2024, 2, 10)).month == "2024-02"
    with pytest.raises(ValueError):
        cl.Engine.usage_report([], "2026-11", basis="monthly")


def test_console_and_stores_rebuild_it_from_their_events(engine: cl.Engine, tmp_path: Any) -> None:
    with cl.Store(tmp_path / "c.db", "p") as store:
        console = cl.Console(engine, store)
        for cid, q in (("a", 10), ("b", 20)):
            console.add_client(cid, cid, D(2026, 11, 1))
            console.apply(cid, edr(q), D(2026, 11, 1))
        report = console.usage_report("2026-11")
    assert [(r.client_id, r.seat_days) for r in report.rows] == [("a", 300), ("b", 600)]


def test_the_command_line_report(tmp_path: Any) -> None:
    import io

    from cytolicense.cli import _cli

    db = str(tmp_path / "c.db")

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = _cli.main([*argv, "--db", db], out=out, err=err)
        return code, out.getvalue() + err.getvalue()

    assert run("add-client", "acme", "ACME", "--today", "2026-11-01")[0] == 0
    code, _ = run(
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "100",
        "--period",
        "1y",
        "--today",
        "2026-11-01",
    )
    assert code == 0
    code, out = run("usage-report", "2026-11")
    assert code == 0 and "acme" in out and "3000" in out.replace(",", "")
    code, out = run("usage-report", "2026-11", "--json", "--basis", "peak")
    data = json.loads(out)
    assert data["month"] == "2026-11" and data["basis"] == "peak"
    assert data["rows"][0]["billed"] == 100 and data["rows"][0]["seat_days"] == 3000
    code, out = run("usage-report", "2026-11", "--csv")
    lines = out.strip().splitlines()
    assert lines[0] == "client_id,item,seat_days,peak,end_of_month,billed"
    assert lines[1] == "acme,cytomic-edr,3000,100,100,3000"
    code, out = run("usage-report", "2026-11", "--lang", "es")
    assert "días-licencia" in out
    assert run("usage-report", "2026-13")[0] == 2


# -- the property: seat-days are the day-by-day sum of entitlements --------------------

OPS = st.sampled_from(
    [
        edr(10),
        edr(3, modules={"cytomic-patch": None, "cytomic-encryption": 2}),
        cl.AssignmentRequest(product="cytomic-edr", license_type="trial", quantity=5),
        cl.Modify(maintenance="m1", quantity=25),
        cl.Modify(maintenance="m2", quantity=1),
        cl.DeleteService(maintenance="m1"),
        cl.Renew(maintenance="m1"),
        cl.AddSeats(maintenance="m1", quantity=4, period="1y"),
        cl.ConvertTrial(maintenance="m2", period="1y"),
        cl.DeleteClient(),
        cl.Suspend(maintenance="m1"),
        cl.Resume(maintenance="m1"),
        cl.SuspendClient(),
        cl.ResumeClient(),
        cl.Suspend(maintenance="m2"),
    ]
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(OPS, st.integers(0, 40)), max_size=10), st.integers(0, 60))
def test_seat_days_equal_the_daily_sum_of_entitlements(
    steps: list[tuple[Any, int]], start: int
) -> None:
    engine = cl.Engine(cl.load_catalog())
    day = D(2026, 9, 15) + dt.timedelta(days=start)
    created = engine.new_client("acme", "ACME", day)
    c, events = created.client, list(created.events)
    for op, gap in steps:
        day += dt.timedelta(days=gap)
        if engine.check(c, op, day).ok:
            change = engine.apply(c, op, day)
            c, events = change.client, events + list(change.events)
    for month in ("2026-10", "2026-11", "2026-12"):
        report = engine.usage_report([events], month)
        first = D(int(month[:4]), int(month[5:]), 1)
        expected: dict[str, list[int]] = {}
        d = first
        while d.month == first.month:
            so_far = [e for e in events if e.on <= d]
            state = cl.replay(so_far) if so_far else None
            found = engine.entitlements(state, d) if state is not None else {}
            for item, seats in found.items():
                expected.setdefault(item, []).append(seats)
            d += dt.timedelta(days=1)
        got = {r.item: r for r in report.rows}
        assert set(got) == {k for k, v in expected.items() if sum(v) > 0}
        for item, row in got.items():
            assert row.seat_days == sum(expected[item])
            assert row.peak == max(expected[item])
