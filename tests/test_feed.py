"""The partner's event feed (issue 49): every event a change writes gets a position in
its save's transaction, in commit order, on both stores; racing writers (threads and
processes) and a reader polling ``feed(after=last)`` never miss an item."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import cytolicense as cl
from cytolicense.core._feed import FeedItem
from cytolicense.store._schema import json_schema
from cytolicense.store._serialize import from_json, to_json

from .feed_worker import write as _write
from .store_worker import REQUEST, TODAY

Factory = Callable[[str], Any]
WORKER = str(Path(__file__).with_name("feed_worker.py"))


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A store URL on the parametrized backend and a partner fresh to it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'feed.db'}", "p"
    else:
        yield request.getfixturevalue("postgres_url"), "feed-" + uuid.uuid4().hex[:8]


@pytest.fixture
def open_store(target: tuple[str, str]) -> Iterator[Factory]:
    url, partner = target
    opened: list[Any] = []

    def make(who: str = partner) -> Any:
        store = cl.open_store(url, who)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


def _contiguous(items: tuple[FeedItem, ...], after: int) -> None:
    assert [i.position for i in items] == list(range(after + 1, after + 1 + len(items)))


def test_every_event_of_a_change_in_order_and_nothing_of_a_refusal(
    open_store: Factory, engine: cl.Engine
) -> None:
    store = open_store()
    console = cl.Console(engine, store)
    console.add_client("a", "A", TODAY)
    change = console.assign("a", REQUEST, TODAY)
    with pytest.raises(cl.RuleViolation):
        console.assign("a", attrs.evolve(REQUEST, quantity=0), TODAY)
    with pytest.raises(cl.ConflictError):
        console.add_client("a", "A again", TODAY)
    feed = console.feed()
    _contiguous(feed, 0)
    assert [i.event for i in feed] == [*store.history("a")]
    assert feed[-1].event == change.events[-1] and {i.client for i in feed} == {"a"}
    # after and limit: the first `limit` items after `after`, in increasing position.
    assert console.feed(after=1, limit=1) == feed[1:2]
    assert console.feed(after=len(feed)) == ()
    with pytest.raises(ValueError, match="after"):
        console.feed(after=-1)
    with pytest.raises(ValueError, match="limit"):
        console.feed(limit=0)
    # Another partner's feed is its own, numbered from 1.
    other = cl.Console(engine, open_store(store.partner + "-other"))
    assert other.feed() == ()
    other.add_client("b", "B", TODAY)
    assert [i.position for i in other.feed()] == [1]


def test_a_batch_writes_its_saves_events_and_none_of_a_refused_client(
    open_store: Factory, engine: cl.Engine
) -> None:
    store = open_store()
    console = cl.Console(engine, store)
    for cid in ("a", "b", "c"):
        console.add_client(cid, cid.upper(), TODAY)
        if cid != "b":
            console.assign(cid, REQUEST, TODAY)
    before = console.feed(limit=1000)
    raise_seats = cl.Modify(maintenance="m1", quantity=12)
    got = console.apply_each(["a", "b", "c"], raise_seats, TODAY)  # b has no m1: refused
    assert isinstance(got["b"], cl.RuleViolation), got
    new = console.feed(after=len(before), limit=1000)
    _contiguous(new, len(before))
    assert [i.client for i in new] == ["a", "c"]
    # A batch that fails as a whole writes nothing into the feed either.
    with pytest.raises(RuntimeError), store.batch():
        console.modify("a", "m1", TODAY, quantity=13)
        raise RuntimeError
    assert console.feed(after=len(before) + 2) == ()
    # A savepoint undone inside a batch takes its items with it.
    with store.batch():
        console.modify("a", "m1", TODAY, quantity=11)
        with pytest.raises(RuntimeError), store.batch():
            console.modify("c", "m1", TODAY, quantity=11)
            raise RuntimeError
    last = console.feed(after=len(before) + 2)
    assert [(i.position, i.client) for i in last] == [(len(before) + 3, "a")]


def test_append_feed_is_the_seam_for_events_of_no_save(
    open_store: Factory, engine: cl.Engine
) -> None:
    store = open_store()
    console = cl.Console(engine, store)
    console.add_client("a", "A", TODAY)
    created = store.history("a")[0]
    with store.batch():
        store.append_feed([("a", created), (None, created)])
        console.modify  # noqa: B018 - a batch may also save clients
    items = console.feed(after=1)
    assert [(i.position, i.client) for i in items] == [(2, "a"), (3, None)]
    with pytest.raises(RuntimeError), store.batch():
        store.append_feed([("a", created)])
        raise RuntimeError
    assert console.feed(after=3) == ()


def test_feed_items_are_records_with_documents_and_a_schema() -> None:
    import jsonschema

    event = cl.ClientCreated(client_id="a", on=TODAY, name="A")
    item = FeedItem(position=3, client="a", event=event)
    assert cl.FeedItem is FeedItem
    text = to_json(item)
    assert from_json(FeedItem, text) == item
    jsonschema.validate(__import__("json").loads(text), json_schema("FeedItem"))
    with pytest.raises(ValueError, match="position"):
        FeedItem(position=0, client="a", event=event)
    with pytest.raises(TypeError):
        FeedItem(position=1, client="a", event="ClientCreated")  # type: ignore[arg-type]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        item.position = 4  # type: ignore[misc]


def _poll(console: cl.Console, done: threading.Event, seen: list[FeedItem]) -> None:
    """Read the feed from the last position seen until the writers are done (and once
    more): every read must continue the positions read, with no gap."""
    last = 0
    while True:
        finished = done.is_set()
        items = console.feed(after=last, limit=500)
        _contiguous(items, last)  # a gap is an item that became visible after a later one
        seen.extend(items)
        if items:
            last = items[-1].position
        elif finished:
            return


def test_racing_writers_in_threads_and_a_polling_reader_miss_nothing(
    target: tuple[str, str], engine: cl.Engine
) -> None:
    url, partner = target
    reader = cl.Console(engine, cl.open_store(url, partner))
    reader.add_client("first", "First", TODAY)  # the schema exists before the race
    done, seen, errors = threading.Event(), list[FeedItem](), list[BaseException]()

    def run(fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writers = [
        threading.Thread(
            target=run, args=(lambda k=k: _write(url, partner, f"t{k}", 15, k % 2 == 1),)
        )
        for k in range(4)
    ]
    polling = threading.Thread(target=run, args=(lambda: _poll(reader, done, seen),))
    polling.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    polling.join()
    assert not errors, errors
    expected = 1 + 2 * (15 * 3) + 2 * (15 * 3 * 2)  # plain: 3 events a round; batch: 2 a client
    assert len(seen) == expected
    # Every client's events are in the feed in its history's order.
    store = reader.store
    by_client: dict[str | None, list[Any]] = {}
    for item in seen:
        by_client.setdefault(item.client, []).append(item.event)
    for cid, events in by_client.items():
        assert cid is not None and events == store.history(cid)
    reader.store.close()


def test_racing_writer_processes_and_a_polling_reader_miss_nothing(
    target: tuple[str, str], engine: cl.Engine
) -> None:
    url, partner = target
    reader = cl.Console(engine, cl.open_store(url, partner))
    reader.add_client("first", "First", TODAY)
    procs = [
        subprocess.Popen([sys.executable, WORKER, url, partner, f"p{k}", "12", str(k % 2)])
        for k in range(3)
    ]
    last, seen = 0, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = all(p.poll() is not None for p in procs)
        items = reader.feed(after=last, limit=500)
        _contiguous(items, last)
        seen += len(items)
        if items:
            last = items[-1].position
        elif finished:
            break
    assert [p.wait() for p in procs] == [0, 0, 0]
    assert seen == 1 + 2 * 12 * 3 + 12 * 3 * 2
    reader.store.close()


def test_a_writer_that_commits_later_is_numbered_later_on_postgresql(
    postgres_url: str,
) -> None:
    """Commit order, made deterministic: writer A has written its change (events and
    all) and waits before committing (its idempotency key is held by another
    transaction); writer B saves and commits meanwhile. A reader must see B's item
    with no gap before it, then A's after it once A commits. (A position taken when
    the event is inserted, as a sequence gives it, would leave a gap the reader has
    passed for ever: A's number below B's, visible only after B's.)"""
    import psycopg

    partner = "order-" + uuid.uuid4().hex[:8]
    engine = cl.Engine(cl.load_catalog())
    a_store, b_store = cl.open_store(postgres_url, partner), cl.open_store(postgres_url, partner)
    reader = cl.Console(engine, cl.open_store(postgres_url, partner))
    a, b = cl.Console(engine, a_store), cl.Console(engine, b_store)
    a.add_client("a", "A", TODAY)
    last = reader.feed()[-1].position
    holder = psycopg.connect(postgres_url)  # holds the key A will write
    holder.execute("SELECT set_config('cytolicense.partner', %s, false)", (partner,))
    holder.execute(
        "INSERT INTO idempotency_keys (partner, key, client_id, operation, change, "
        "created_on) VALUES (%s, 'k', 'a', '{}', '{}', %s)",
        (partner, TODAY),
    )
    errors: list[BaseException] = []

    def run(fn: Callable[[], object]) -> None:
        try:
            fn()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    first = threading.Thread(target=run, args=(lambda: a.apply("a", REQUEST, TODAY, key="k"),))
    first.start()
    time.sleep(0.5)  # A has written its change and waits for the key
    assert first.is_alive() and not errors, errors
    b.add_client("b", "B", TODAY)  # B commits while A waits
    seen = reader.feed(after=last)
    _contiguous(seen, last)
    holder.rollback()  # A's key is free: A commits
    holder.close()
    first.join(10)
    assert not errors, errors
    rest = reader.feed(after=seen[-1].position if seen else last)
    _contiguous(rest, seen[-1].position if seen else last)
    assert [i.client for i in (*seen, *rest)] == ["b", "a"]
    for store in (a_store, b_store, reader.store):
        store.close()
