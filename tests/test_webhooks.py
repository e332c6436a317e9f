"""Webhooks (issue 49): signed the Standard Webhooks way, delivered at least once to a
real HTTP receiver on 127.0.0.1 that fails, times out and recovers; retried over about
three days, then dead (and re-sent on request); 410 disables; several workers share
the work; a worker killed mid-delivery loses nothing; SIGTERM stops one cleanly."""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import json
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense.core._feed import MAX_TRIES, RETRY_DELAYS, sign
from cytolicense.store._delivery import check_url

from .store_worker import REQUEST, TODAY

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WORKER = str(Path(__file__).with_name("webhook_worker.py"))
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.delenv("CYTOLICENSE_WEBHOOK_DENY", raising=False)


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread. ``answer(n, id)`` (the request's number
    from 0 and its webhook-id) gives ``(status, seconds to wait first)``; every request
    is recorded when its body has been read, before it is answered."""

    def __init__(self, answer: Callable[[int, str], tuple[int, float]] | None = None) -> None:
        self.answer = answer or (lambda n, i: (200, 0.0))
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.ok: list[str] = []  # ids answered 2xx
        self.lock = threading.Lock()
        self.busy = self.most_busy = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    n = len(receiver.got)
                    receiver.got.append((headers, body))
                    receiver.busy += 1
                    receiver.most_busy = max(receiver.most_busy, receiver.busy)
                try:
                    status, wait = receiver.answer(n, headers["webhook-id"])
                    time.sleep(wait)
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("location", "http://127.0.0.2:9/elsewhere")
                    self.send_header("content-length", "0")
                    self.end_headers()
                    if 200 <= status < 300:
                        with receiver.lock:
                            receiver.ok.append(headers["webhook-id"])
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with receiver.lock:
                        receiver.busy -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cytolicense"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ids(self) -> list[str]:
        return [h["webhook-id"] for h, _ in self.got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hooks.db'}", "p"
    else:
        yield request.getfixturevalue("postgres_url"), "hooks-" + uuid.uuid4().hex[:8]


@pytest.fixture
def console(target: tuple[str, str]) -> Iterator[cl.Console]:
    store = cl.open_store(*target)
    yield cl.Console(cl.Engine(cl.load_catalog()), store)
    store.close()


def _changes(console: cl.Console, n: int, prefix: str = "c") -> None:
    for i in range(n):
        console.add_client(f"{prefix}{i}", f"Client {i}", TODAY)
        console.assign(f"{prefix}{i}", REQUEST, TODAY)


# -- the signature ------------------------------------------------------------------------


def test_the_signature_is_the_standard_webhooks_reference_vector() -> None:
    """From the Standard Webhooks specification's test vectors."""
    body = b'{"test": 2432232314}'
    assert (
        sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    with pytest.raises(ValueError, match="whsec_"):
        sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1, body)
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        sign("whsec_c2hvcnQ=", "msg_1", 1, body)


def test_deliveries_verify_with_the_standardwebhooks_package(
    console: cl.Console, receiver: Receiver
) -> None:
    from standardwebhooks.webhooks import Webhook as Verifier

    hook = console.add_webhook(receiver.url, SECRET, TODAY)
    _changes(console, 2)
    assert console.deliver() == 4
    verifier = Verifier(SECRET)
    items = {i.position: i for i in console.feed()}
    for headers, body in receiver.got:
        payload = verifier.verify(body, headers)  # raises when the signature is wrong
        assert set(payload) == {"id", "type", "partner", "position", "client", "data"}
        assert payload["id"] == headers["webhook-id"]
        assert headers["content-type"] == "application/json"
        item = items[payload["position"]]
        assert payload["type"] == type(item.event).__name__
        assert payload["partner"] == console.store.partner and payload["client"] == item.client
        document = {"cytolicense": 2, "type": payload["type"], "data": payload["data"]}
        assert cl.from_json(cl.Event, json.dumps(document)) == item.event  # type: ignore[arg-type]
    tampered = dict(receiver.got[0][0], **{"webhook-id": "msg_other"})
    with pytest.raises(Exception, match="(?i)signature"):
        verifier.verify(receiver.got[0][1], tampered)
    assert [d.status for d in console.deliveries(hook.id)] == ["delivered"] * 4


# -- what a webhook may be ---------------------------------------------------------------


def test_urls_secrets_and_event_names(console: cl.Console, monkeypatch: pytest.MonkeyPatch) -> None:
    for url, words in [
        ("ftp://example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("https://user:pw@example.com/x", "user or a password"),
        ("https:///x", "names a host"),
        ("http://example.com:99999/x", "port"),
        ("http://does-not-exist.invalid/x", "does not resolve"),
    ]:
        with pytest.raises(ValueError, match=words):
            console.add_webhook(url, SECRET, TODAY)
    monkeypatch.delenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE")
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ):
        with pytest.raises(ValueError, match="CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE"):
            console.add_webhook(url, SECRET, TODAY)
    assert check_url("https://93.184.215.14/hook") == "https://93.184.215.14/hook"
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_DENY", "127.0.0.0/8, 169.254.169.254/32")
    with pytest.raises(ValueError, match="CYTOLICENSE_WEBHOOK_DENY"):
        console.add_webhook("http://127.0.0.1:8080/x", SECRET, TODAY)
    monkeypatch.delenv("CYTOLICENSE_WEBHOOK_DENY")
    for secret in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="):
        with pytest.raises(ValueError, match="secret"):
            console.add_webhook("http://127.0.0.1:8080/x", secret, TODAY)
    with pytest.raises(ValueError, match="unknown event type"):
        console.add_webhook("http://127.0.0.1:8080/x", SECRET, TODAY, events=["Nope"])
    hook = console.add_webhook("http://127.0.0.1:8080/x", SECRET, TODAY, events=["ClientCreated"])
    assert console.webhooks() == (hook,)
    assert hook.events == frozenset({"ClientCreated"}) and hook.disabled_on is None
    assert cl.from_json(cl.Webhook, cl.to_json(hook)) == hook
    assert SECRET not in repr(hook) and SECRET not in cl.to_json(hook)
    console.remove_webhook(hook.id, TODAY)
    assert console.webhooks() == ()
    with pytest.raises(cl.NotFoundError):
        console.remove_webhook(hook.id, TODAY)


def test_a_webhook_gets_the_events_it_names_from_its_creation_on(
    console: cl.Console, receiver: Receiver
) -> None:
    _changes(console, 1, "before")
    hook = console.add_webhook(receiver.url, SECRET, TODAY, events=["ClientCreated"])
    _changes(console, 2)
    assert console.deliver() == 2
    bodies = [json.loads(b) for _, b in receiver.got]
    assert [(b["type"], b["client"]) for b in bodies] == [
        ("ClientCreated", "c0"),
        ("ClientCreated", "c1"),
    ]
    assert {d.webhook for d in console.deliveries()} == {hook.id}


# -- at least once --------------------------------------------------------------------------


def test_a_receiver_that_fails_times_out_and_recovers_gets_every_event(
    console: cl.Console,
) -> None:
    """Each event delivered at least once under one id; the first retry within five
    minutes; nothing sent again after a 2xx."""
    plan: dict[str, list[tuple[int, float]]] = {}

    def answer(n: int, msg: str) -> tuple[int, float]:
        # Per id: 500, then a time-out (the receiver answers too late), then 200.
        steps = plan.setdefault(msg, [(500, 0.0), (500, 1.0), (200, 0.0)])
        return steps.pop(0) if len(steps) > 1 else steps[0]

    receiver = Receiver(answer)
    try:
        console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 3)
        now = T0
        assert console.deliver(now, timeout=0.3) == 6  # all 500
        first = console.deliveries()
        assert {d.status for d in first} == {"pending"} and {d.tries for d in first} == {1}
        assert all(
            d.next_try is not None and d.next_try <= now + dt.timedelta(minutes=5) for d in first
        )
        assert {d.last_status for d in first} == {500}
        assert console.deliver(now) == 0  # nothing is due yet
        now += dt.timedelta(minutes=5)
        # The second attempt of the first delivery times out: the webhook gets no more
        # requests in this pass (its receiver is not answering).
        assert console.deliver(now, timeout=0.3) == 1
        late = [d for d in console.deliveries() if d.tries == 2]
        assert (
            len(late) == 1
            and late[0].last_status is None
            and "timed out" in (late[0].last_error or "")
        )
        for _ in range(6):
            now += dt.timedelta(minutes=30)
            console.deliver(now, timeout=0.3)
        assert {d.status for d in console.deliveries()} == {"delivered"}
        ids = receiver.ids()
        assert sorted(set(ids)) == sorted(d.id for d in console.deliveries())
        assert len(set(receiver.ok)) == len(receiver.ok) == 6  # one success each
        # Nothing is sent again after a success.
        sent = len(receiver.got)
        assert console.deliver(now + dt.timedelta(days=10)) == 0
        assert len(receiver.got) == sent
    finally:
        receiver.close()


def test_retries_over_about_three_days_then_dead_then_resent(console: cl.Console) -> None:
    receiver = Receiver(lambda n, i: (503, 0.0))
    try:
        console.add_webhook(receiver.url, SECRET, TODAY)
        console.add_client("a", "A", TODAY)
        now, times = T0, []
        for _ in range(20):
            if console.deliver(now):
                times.append(now)
            (d,) = console.deliveries()
            if d.status == "dead":
                break
            assert d.next_try is not None
            now = d.next_try
        assert len(times) == MAX_TRIES and d.tries == MAX_TRIES
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert gaps == list(RETRY_DELAYS) and gaps[0] <= 300
        assert dt.timedelta(days=2.5) < times[-1] - times[0] < dt.timedelta(days=3.5)
        assert len(set(receiver.ids())) == 1  # one id on every try
        assert console.deliver(now + dt.timedelta(days=30)) == 0  # dead: not sent
        assert console.feed()[0].position == d.position  # still in the feed
        # Re-sent on request: once more, with the same id.
        receiver.answer = lambda n, i: (204, 0.0)
        with pytest.raises(cl.NotFoundError):
            console.resend("msg_nothing_9")
        with pytest.raises(ValueError, match="not a delivery id"):
            console.resend("nonsense")
        again = console.resend(d.id, now)
        assert again.status == "pending" and again.id == d.id
        with pytest.raises(ValueError, match="pending already"):
            console.resend(d.id, now)
        assert console.deliver(now) == 1
        assert console.deliveries()[0].status == "delivered"
        assert receiver.ids() == [d.id] * (MAX_TRIES + 1)
    finally:
        receiver.close()


def test_410_gone_disables_the_webhook(console: cl.Console) -> None:
    receiver = Receiver(lambda n, i: (410, 0.0))
    try:
        hook = console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 2)
        assert console.deliver(T0) == 1
        (shown,) = console.webhooks()
        assert shown.id == hook.id and shown.disabled_on == T0.date()
        _changes(console, 1, "later")
        assert console.deliver(T0 + dt.timedelta(days=1)) == 0
        assert len(receiver.got) == 1
        gone = [d for d in console.deliveries() if d.tries]
        assert [(d.status, d.last_status) for d in gone] == [("dead", 410)]
        with pytest.raises(ValueError, match="disabled"):
            console.resend(gone[0].id)
    finally:
        receiver.close()


def test_a_redirect_is_not_followed(console: cl.Console) -> None:
    receiver = Receiver(lambda n, i: (307, 0.0))
    try:
        console.add_webhook(receiver.url, SECRET, TODAY)
        console.add_client("a", "A", TODAY)
        assert console.deliver(T0) == 1
        (d,) = console.deliveries()
        assert d.status == "pending" and d.last_status == 307
        assert "redirect is not followed" in (d.last_error or "")
        assert len(receiver.got) == 1
    finally:
        receiver.close()


def test_a_host_that_moved_to_a_private_address_is_refused_at_send_time(
    console: cl.Console, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    console.add_webhook(receiver.url, SECRET, TODAY)
    console.add_client("a", "A", TODAY)
    monkeypatch.delenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE")
    assert console.deliver(T0) == 0  # no request was sent
    (d,) = console.deliveries()
    assert d.status == "pending" and "refused" in (d.last_error or "")
    assert receiver.got == []


# -- workers ------------------------------------------------------------------------------


def test_several_workers_share_the_work_and_never_send_an_event_twice(
    target: tuple[str, str],
) -> None:
    """Four workers (threads, each its own store handle) at once: every event is sent
    exactly once (the receiver always answers 2xx), never two at the same time."""
    receiver = Receiver(lambda n, i: (200, 0.02))
    engine = cl.Engine(cl.load_catalog())
    stores = [cl.open_store(*target) for _ in range(4)]
    try:
        console = cl.Console(engine, stores[0])
        console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 20)
        counts: list[int] = []

        def work(store: Any) -> None:  # as `deliver --watch` does, until all are sent
            worker, sent = cl.Console(engine, store), 0
            deadline = time.monotonic() + 60
            while len(receiver.ok) < 40 and time.monotonic() < deadline:
                sent += worker.deliver(batch=3)
            counts.append(sent)

        threads = [threading.Thread(target=work, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = receiver.ids()
        assert len(ids) == len(set(ids)) == 40 and sum(counts) == 40
        assert {d.status for d in console.deliveries(limit=100)} == {"delivered"}
        if "postgres" in target[0]:
            assert sum(1 for c in counts if c) >= 2  # the work was shared
    finally:
        for s in stores:
            s.close()
        receiver.close()


def _worker(url: str, partner: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, url, partner, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE": "1"},
    )


def _settle(receiver: Receiver) -> None:
    """Wait until the receiver has read what a dead worker left in its socket."""
    deadline = time.monotonic() + 5
    time.sleep(0.05)
    while receiver.busy and time.monotonic() < deadline:
        time.sleep(0.01)


def _kill_counts(
    console: cl.Console,
    receiver: Receiver,
    unrecorded: set[str],
    kills: int,
    label: str,
    record_property: Callable[[str, object], None],
) -> list[str]:
    """The counts of a kill/restart test, checked, printed and recorded (junit
    properties): every event delivered (0 lost) and each duplicate one whose request
    reached the receiver from a worker killed before it recorded the 2xx."""
    done = console.deliveries(limit=1000)
    ids = receiver.ids()
    twice = sorted(i for i in set(ids) if ids.count(i) > 1)
    events = console.feed(after=0, limit=1000)
    counts = {
        "events": len(events),
        "received": len(ids),
        "distinct": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "lost": len({d.id for d in done} - set(ids)),
        "kills": kills,
    }
    for name, value in counts.items():
        record_property(name, value)
    print(f"\nkill/restart {label}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
    assert len(done) == len(events)  # one delivery per event
    assert {d.status for d in done} == {"delivered"}
    assert set(ids) == {d.id for d in done} and counts["lost"] == 0  # 0 lost
    assert set(twice) <= unrecorded  # duplicates only where the 2xx was not recorded
    assert all(ids.count(i) == 2 for i in twice)  # each sent again once
    return twice


def test_a_worker_killed_mid_delivery_loses_nothing(
    target: tuple[str, str], record_property: Callable[[str, object], None]
) -> None:
    """SIGKILL while the receiver holds a request: nothing is lost; the one event whose
    request was in flight (its 2xx never recorded) is the one the receiver gets twice."""
    hold = threading.Event()

    def answer(n: int, msg: str) -> tuple[int, float]:
        if n == 5:  # the sixth request: held until the worker is dead
            hold.wait(30)
        return 200, 0.0

    receiver = Receiver(answer)
    store = cl.open_store(*target)
    try:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 6)
        proc = _worker(*target, "once")
        deadline = time.monotonic() + 30
        while len(receiver.got) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(receiver.got) == 6
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
        recorded = {d.id for d in console.deliveries(status="delivered", limit=100)}
        unrecorded = set(receiver.ids()) - recorded
        assert unrecorded == {receiver.ids()[5]}  # only the request in flight
        hold.set()
        # Its claims are leased: a new worker takes them once the lease ends.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
        console.deliver(later)
        label = f"[{target[0].split(':')[0]}, held]"
        twice = _kill_counts(console, receiver, unrecorded, 1, label, record_property)
        assert twice == sorted(unrecorded)  # exactly the one in flight, sent again
    finally:
        store.close()
        receiver.close()


def test_workers_killed_at_random_points_lose_nothing(
    target: tuple[str, str], record_property: Callable[[str, object], None]
) -> None:
    """Watching workers SIGKILLed one after another at random points (mid-request,
    after the receiver's 2xx and before it was recorded, between claims), then one
    that finishes: every event is delivered; each killed worker leaves at most one
    request received and not recorded, and only those reach the receiver twice."""
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    receiver = Receiver(lambda n, i: (200, rng.uniform(0.0, 0.02)))
    store = cl.open_store(*target)
    try:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 15)  # 30 events
        unrecorded: set[str] = set()
        kills = 0
        for _ in range(4):
            start = len(receiver.got)
            proc = _worker(*target, "watch")
            goal = start + rng.randint(1, 5)
            deadline = time.monotonic() + 30
            while len(receiver.got) < goal and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
            kills += 1
            _settle(receiver)
            recorded = {d.id for d in console.deliveries(status="delivered", limit=1000)}
            mine = set(receiver.ids()[start:]) - recorded
            assert len(mine) <= 1, seed  # a worker has one request in flight at most
            unrecorded |= mine
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
        console.deliver(later)
        label = f"[{target[0].split(':')[0]}, seed {seed}]"
        _kill_counts(console, receiver, unrecorded, kills, label, record_property)
    finally:
        store.close()
        receiver.close()


def test_sigterm_stops_a_watching_worker_cleanly_and_a_new_one_resumes(
    target: tuple[str, str],
) -> None:
    gate = threading.Event()

    def answer(n: int, msg: str) -> tuple[int, float]:
        if n == 1:  # the second of the first claim of three
            gate.wait(30)
        return 200, 0.0

    receiver = Receiver(answer)
    store = cl.open_store(*target)
    try:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_webhook(receiver.url, SECRET, TODAY)
        _changes(console, 5)
        proc = _worker(*target, "watch")
        deadline = time.monotonic() + 30
        while len(receiver.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        assert proc.poll() is None  # finishing the request in flight
        gate.set()
        assert proc.wait(30) == 0
        assert proc.stdout is not None
        proc.stdout.close()
        done = [d for d in console.deliveries(limit=100) if d.status == "delivered"]
        assert len(done) == 2  # the one in flight was recorded
        # What it had claimed and not sent was released: due now, no lease to wait for.
        assert console.deliver() == 8
        ids = receiver.ids()
        assert len(ids) == len(set(ids)) == 10
    finally:
        store.close()
        receiver.close()


def test_only_a_total_control_operator_reads_the_feed_and_manages_webhooks(
    console: cl.Console, receiver: Receiver
) -> None:
    console.add_operator(cl.Operator(id="boss", name="Boss", role=cl.Role.TOTAL_CONTROL), TODAY)
    console.add_operator(
        cl.Operator(
            id="lic",
            name="Lic",
            role=cl.Role.LICENSE_ADMIN,
            grants=frozenset({cl.Grant(group="")}),
        ),
        TODAY,
    )
    boss, lic = console.as_operator("boss"), console.as_operator("lic")
    hook = boss.add_webhook(receiver.url, SECRET, TODAY)
    lic.add_client("a", "A", TODAY)
    assert [i.client for i in boss.feed()] == ["a"]
    for call in (
        lambda: lic.feed(),
        lambda: lic.webhooks(),
        lambda: lic.add_webhook(receiver.url, SECRET, TODAY),
        lambda: lic.remove_webhook(hook.id, TODAY),
        lambda: lic.deliver(),
    ):
        with pytest.raises(cl.ForbiddenError):
            call()
    assert boss.deliver() == 1
