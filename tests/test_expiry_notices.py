"""Expiry notices of the day's run (issue 49): the contract's vectors to the day on
both stores, the pure function under a property, two runs at once, and a webhook
receiving the notice."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytolicense as cl

from .day_worker import engine

D = dt.date
END = D(2027, 1, 31)


def plain(**kw: Any) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(
        product="plain", license_type="commercial", quantity=3, period="1y", **kw
    )


_OPEN: list[Any] = []


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "notices.db")
    else:
        yield request.getfixturevalue("postgres_url")
    while _OPEN:
        _OPEN.pop().close()


def _console(target: str, partner: str) -> cl.Console:
    store = cl.open_store(target, partner)
    _OPEN.append(store)
    return cl.Console(engine(), store)


def _sold(console: cl.Console, cid: str, day: dt.date) -> None:
    console.add_client(cid, cid.upper(), day)
    console.apply(cid, plain(), day)


def _written(run: cl.DayRun) -> list[tuple[str, int, dt.date]]:
    return [(cid, n.days_before, n.expires_on) for cid, n in run.notices]


# -- the contract's vectors, on both stores ----------------------------------------------


def test_the_60_day_notice_is_due_on_its_day_and_once(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _sold(console, "a", D(2026, 1, 31))
    assert console.get("a").maintenances[0].expires_on == END
    assert console.run_day(D(2026, 12, 1)).notices == ()
    run = console.run_day(D(2026, 12, 2))
    assert _written(run) == [("a", 60, END)]
    assert console.run_day(D(2026, 12, 2)).notices == ()  # the same day again
    assert console.run_day(D(2026, 12, 3)).notices == ()
    # In the client's history and in the partner's feed.
    notices = [e for e in console.history("a") if isinstance(e, cl.ExpiryNotice)]
    assert notices == [
        cl.ExpiryNotice(
            client_id="a",
            on=D(2026, 12, 2),
            maintenance_id="m1",
            days_before=60,
            expires_on=END,
            actor="auto-renew",
        )
    ]
    fed = [i for i in console.feed() if isinstance(i.event, cl.ExpiryNotice)]
    assert [(i.client, i.event) for i in fed] == [("a", notices[0])]
    assert cl.replay(console.history("a")) == console.get("a")
    assert console.store.verify() == []


def test_a_skipped_run_writes_only_the_most_urgent(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _sold(console, "a", D(2026, 1, 31))
    assert console.run_day(D(2026, 11, 20)).notices == ()
    assert _written(console.run_day(D(2027, 1, 25))) == [("a", 7, END)]
    assert console.run_day(D(2027, 1, 26)).notices == ()  # not the 30 nor the 60 after it
    assert _written(console.run_day(D(2027, 1, 30))) == [("a", 1, END)]
    assert console.run_day(D(2027, 1, 31)).notices == ()


def test_thresholds_due_before_the_assignment_are_skipped() -> None:
    # Assigned on 2027-01-05, ending on 2027-01-31 (the engine's pure function).
    late = cl.Client(
        id="a",
        name="A",
        created_on=D(2027, 1, 5),
        maintenances=(
            cl.Maintenance(
                id="m1",
                product="plain",
                license_type="commercial",
                quantity=3,
                period="1y",
                starts_on=D(2027, 1, 5),
                expires_on=END,
                management="unmanaged",
            ),
        ),
    )
    e = engine()
    assert e.notices(late, D(2027, 1, 5)) == ()  # 60 and 30 were due before it
    assert e.notices(late, D(2027, 1, 23)) == ()
    (n,) = e.notices(late, D(2027, 1, 24))
    assert (n.days_before, n.expires_on) == (7, END)
    # One due on the assignment day itself is written that day.
    same = cl.Client(
        id="a",
        name="A",
        created_on=D(2027, 1, 1),
        maintenances=(attrs_evolve(late.maintenances[0], starts_on=D(2027, 1, 1)),),
    )
    (n,) = e.notices(same, D(2027, 1, 1))
    assert n.days_before == 30


def attrs_evolve(m: cl.Maintenance, **kw: Any) -> cl.Maintenance:
    import attrs

    return attrs.evolve(m, **kw)


def test_a_renewal_arms_them_again(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _sold(console, "a", D(2026, 1, 31))
    console.apply("a", cl.SetAutoRenew(maintenance="m1", on=True), D(2026, 1, 31))
    assert _written(console.run_day(D(2027, 1, 30))) == [("a", 1, END)]
    run = console.run_day(END)  # renewed: its end is 2028-01-31
    assert [op for _, op in run.applied] == [cl.Renew(maintenance="m1")]
    assert run.notices == ()
    new_end = D(2028, 1, 31)
    assert console.get("a").maintenances[0].expires_on == new_end
    assert _written(console.run_day(D(2027, 12, 2))) == [("a", 60, new_end)]
    assert _written(console.run_day(D(2028, 1, 30))) == [("a", 1, new_end)]


def test_thresholds_per_partner(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    other = _console(target, "q-" + uuid.uuid4().hex[:8])
    assert console.notice_thresholds() == (60, 30, 7, 1)
    assert console.set_notice_thresholds([14, 3]) == (14, 3)
    assert console.notice_thresholds() == (14, 3)
    assert other.notice_thresholds() == (60, 30, 7, 1)
    with pytest.raises(ValueError):
        console.set_notice_thresholds([0])
    _sold(console, "a", D(2026, 1, 31))
    assert console.run_day(D(2026, 12, 2)).notices == ()
    assert _written(console.run_day(D(2027, 1, 17))) == [("a", 14, END)]
    console.set_notice_thresholds(())
    assert console.run_day(D(2027, 1, 30)).notices == ()


def test_candidates_come_from_the_expiry_index(target: str) -> None:
    console = _console(target, "p-" + uuid.uuid4().hex[:8])
    _sold(console, "a", D(2026, 1, 31))
    _sold(console, "b", D(2026, 6, 30))
    due = console.store.notices_due  # type: ignore[attr-defined]
    assert due(D(2026, 12, 2), 60) == [("a", "m1", END)]
    assert due(D(2026, 11, 30), 60) == []


def test_two_runs_at_once_write_each_notice_once(target: str) -> None:
    partner = "p-" + uuid.uuid4().hex[:8]
    console = _console(target, partner)
    with console.store.batch():
        for i in range(40):
            _sold(console, f"c{i:03d}", D(2026, 1, 31))
    consoles = [_console(target, partner) for _ in range(2)]
    runs: list[cl.DayRun] = []
    errors: list[BaseException] = []

    def go(c: cl.Console) -> None:
        try:
            runs.append(c.run_day(D(2026, 12, 2), batch=7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(c,)) for c in consoles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    written = sorted(cid for run in runs for cid, _ in run.notices)
    assert written == [f"c{i:03d}" for i in range(40)]
    fed = [i for i in console.feed(limit=1000) if isinstance(i.event, cl.ExpiryNotice)]
    assert len(fed) == 40


# -- the pure function under a property --------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    assigned=st.integers(0, 400),
    steps=st.lists(st.integers(0, 40), min_size=1, max_size=40),
    thresholds=st.sets(st.integers(1, 90), max_size=5).map(tuple) | st.just((60, 30, 7, 1)),
)
def test_each_notice_at_most_once_never_before_assignment_most_urgent(
    assigned: int, steps: list[int], thresholds: tuple[int, ...]
) -> None:
    e = engine()
    start = D(2026, 1, 1) + dt.timedelta(days=assigned)
    c = e.create_client("a", "A", start)
    c = e.apply(c, plain(), start).client
    end = c.maintenances[0].expires_on
    seen: set[tuple[str, int, dt.date]] = set()
    day = start
    for step in steps:  # 0: the same day again
        day += dt.timedelta(days=step)
        for n in e.notices(c, day, thresholds):
            key = (n.maintenance_id, n.days_before, n.expires_on)
            assert key not in seen
            seen.add(key)
            due_on = n.expires_on - dt.timedelta(days=n.days_before)
            assert start <= due_on <= day  # never one passed before the assignment
            left = (n.expires_on - day).days
            assert n.days_before == min(t for t in thresholds if t >= left)  # most urgent
            c = cl.apply(c, n)
    # Every threshold whose day a run fell on (after the assignment) was written.
    days_run = {start + dt.timedelta(days=sum(steps[: i + 1])) for i in range(len(steps))}
    for t in thresholds:
        due_on = end - dt.timedelta(days=t)
        if due_on in days_run and due_on >= start and due_on <= end:
            smaller = [u for u in thresholds if u < t and end - dt.timedelta(days=u) <= due_on]
            if not smaller:
                assert ("m1", t, end) in seen


# -- a webhook receives the notice --------------------------------------------------------


def test_a_webhook_receives_the_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE", "1")
    got: list[dict[str, Any]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            got.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        store = cl.open_store(str(tmp_path / "hook.db"), "p")
        console = cl.Console(engine(), store)
        _sold(console, "a", D(2026, 1, 31))
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        console.add_webhook(
            url,
            "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            D(2026, 2, 1),
            events=["ExpiryNotice"],
        )
        assert _written(console.run_day(D(2026, 12, 2))) == [("a", 60, END)]
        assert console.deliver() == 1
        store.close()
    finally:
        server.shutdown()
        server.server_close()
    assert len(got) == 1
    assert got[0]["type"] == "ExpiryNotice" and got[0]["client"] == "a"
    assert got[0]["data"]["days_before"] == 60 and got[0]["data"]["expires_on"] == "2027-01-31"


def test_the_records_round_trip_and_the_store_writes_the_same_document() -> None:
    from cytolicense.store._documents import read_client
    from cytolicense.store._serialize import client_data, to_data

    e = engine()
    c = e.create_client("a", "A", D(2026, 1, 31))
    c = e.apply(c, plain(), D(2026, 1, 31)).client
    (n,) = e.notices(c, D(2026, 12, 2))
    c = cl.apply(c, n)
    state = c.maintenances[0].notices
    assert state == cl.NoticeState(expires_on=END, armed_on=D(2026, 12, 2), sent=60)
    run = cl.DayRun(notices=(("a", n),))
    for obj in (n, state, c, run):
        assert cl.from_json(type(obj), cl.to_json(obj)) == obj
    assert client_data(c) == to_data(c)
    assert read_client(client_data(c)["data"]) == c  # the fast reader reads the mark
    import jsonschema

    for obj in (n, c, run):
        schema = cl.json_schema(type(obj).__name__)
        jsonschema.validate(json.loads(cl.to_json(obj)), schema)
    from cytolicense.views._history import describe_history

    lines = describe_history([*_events_of(c), n], "es")
    assert lines[-1].startswith("2026-12-02  aviso de vencimiento: m1: 60 días antes")


def _events_of(c: cl.Client) -> list[cl.Event]:
    e = engine()
    fresh = e.create_client("a", "A", D(2026, 1, 31))
    return [
        cl.ClientCreated(client_id="a", on=D(2026, 1, 31), name="A"),
        *e.apply(fresh, plain(), D(2026, 1, 31)).events,
    ]
