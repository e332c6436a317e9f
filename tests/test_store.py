from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import attrs
import pytest

import cytolicense as cl

from .conftest import assert_whole_batches, kill_mid_batch
from .store_worker import REQUEST, TODAY

WORKER = str(Path(__file__).with_name("store_worker.py"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "clients.db"


@pytest.fixture
def stores() -> Iterator[list[cl.Store]]:
    opened: list[cl.Store] = []
    yield opened
    for store in opened:
        store.close()


def opened(stores: list[cl.Store], *args: object, **kw: object) -> cl.Store:
    store = cl.Store(*args, **kw)  # type: ignore[arg-type]
    stores.append(store)
    return store


@pytest.fixture
def console(db: Path, cytomic: cl.Catalog) -> Iterator[cl.Console]:
    with cl.Store(db, "p1") as store:
        yield cl.Console(cl.Engine(cytomic), store)


def test_round_trip_and_history(console: cl.Console, db: Path) -> None:
    console.add_client("acme", "ACME", TODAY)
    ch = console.assign("acme", REQUEST, TODAY)
    console.modify("acme", "m1", TODAY + dt.timedelta(days=1), quantity=20)
    console.set_management("acme", "m1", "unmanaged", TODAY + dt.timedelta(days=2))
    client, version = console.store.load("acme")
    assert version == 4
    assert client.maintenances[0].quantity == 20
    history = console.history("acme")
    assert [type(e).__name__ for e in history] == [
        "ClientCreated",
        "ProductAssigned",
        "LicensesModified",
        "ManagementChanged",
    ]
    assert cl.replay(history) == client
    assert history[1] == ch.events[0]
    assert console.store.journal_mode == "wal"
    assert "acme" in console.store and len(console.store) == 1
    assert console.detail("acme", TODAY).line("m1").quantity == 20
    assert console.entitlements("acme", TODAY)["cytomic-epdr"] == 20
    assert repr(console).startswith("<Console <Store")
    # Reopened, everything is still there.
    console.store.close()
    with cl.Store(db, "p1") as again:
        assert again.get("acme") == client


def test_refused_operation_writes_nothing(console: cl.Console) -> None:
    console.add_client("acme", "ACME", TODAY)
    with pytest.raises(cl.RuleViolation):
        console.assign(
            "acme", cl.AssignmentRequest(product="nope", license_type="trial", quantity=1), TODAY
        )
    assert console.store.load("acme")[1] == 1
    assert len(console.history("acme")) == 1
    assert not console.check(
        "acme", cl.AssignmentRequest(product="nope", license_type="trial", quantity=1), TODAY
    ).ok


def test_new_client_id_taken(console: cl.Console) -> None:
    console.add_client("acme", "ACME", TODAY)
    with pytest.raises(cl.ConflictError):
        console.add_client("acme", "Other", TODAY)
    assert console.store.get("acme").name == "ACME"


def test_save_argument_checks(console: cl.Console) -> None:
    eng = console.engine
    with pytest.raises(ValueError, match="ClientCreated"):
        console.store.save(cl.Change(client=eng.create_client("x", "X", TODAY)), None)
    created = eng.new_client("x", "X", TODAY)
    assigned = eng.assign(created.client, REQUEST, TODAY)
    with pytest.raises(ValueError, match="first event must be ClientCreated"):
        console.store.save(assigned, None)
    foreign = cl.Change(client=created.client, events=(cl.ClientDeleted(client_id="y", on=TODAY),))
    with pytest.raises(ValueError, match="another client"):
        console.store.save(foreign, 1)
    assert console.store.save(cl.Change(client=created.client), 7) == 7  # nothing to write
    with pytest.raises(cl.NotFoundError):
        console.store.save(assigned, 1)


def test_stale_write_is_a_conflict_and_changes_nothing(
    db: Path, cytomic: cl.Catalog, stores: list[cl.Store]
) -> None:
    engine = cl.Engine(cytomic)
    a = cl.Console(engine, opened(stores, db, "p1"))
    b = cl.Console(engine, opened(stores, db, "p1"))
    a.add_client("acme", "ACME", TODAY)
    a.assign("acme", REQUEST, TODAY)
    client_a, version_a = a.store.load("acme")
    client_b, version_b = b.store.load("acme")
    b.store.save(engine.modify(client_b, "m1", TODAY, quantity=11), version_b)
    with pytest.raises(cl.ConflictError) as info:
        a.store.save(engine.modify(client_a, "m1", TODAY, quantity=99), version_a)
    assert (info.value.expected, info.value.actual) == (2, 3)
    assert a.store.get("acme").maintenances[0].quantity == 11
    assert len(a.history("acme")) == 3


def test_partners_are_isolated(
    db: Path, console: cl.Console, cytomic: cl.Catalog, stores: list[cl.Store]
) -> None:
    console.add_client("acme", "ACME", TODAY)
    console.assign("acme", REQUEST, TODAY)
    other = cl.Console(cl.Engine(cytomic), opened(stores, db, "p2"))
    with pytest.raises(cl.NotFoundError) as info:
        other.store.get("acme")
    assert str(info.value) == "partner 'p2' has no client 'acme'"
    with pytest.raises(cl.NotFoundError):
        other.assign("acme", REQUEST, TODAY)
    with pytest.raises(cl.NotFoundError):
        other.history("acme")
    with pytest.raises(cl.NotFoundError):
        other.store.save(console.engine.delete_client(console.store.get("acme"), TODAY), 2)
    assert other.monitoring(TODAY) == [] and other.store.clients() == []
    assert "acme" not in other.store and len(other.store) == 0
    # The same id is free for the other partner, and they stay apart.
    other.add_client("acme", "Another ACME", TODAY)
    assert console.store.get("acme").name == "ACME"
    assert other.store.get("acme").name == "Another ACME"
    assert len(console.history("acme")) == 2 and len(other.history("acme")) == 1
    with pytest.raises(ValueError, match="partner"):
        cl.Store(db, "")


def test_monitoring_query(console: cl.Console) -> None:
    day0 = TODAY - dt.timedelta(days=200)
    console.add_client("old", "Old", day0)  # created 200 days ago, nothing assigned
    console.add_client("new", "New", TODAY)
    console.add_client("gone", "Gone", day0)
    console.assign("gone", REQUEST, day0)
    console.delete_client("gone", TODAY - dt.timedelta(days=89))
    console.add_client("left", "Left", day0)
    console.assign("left", REQUEST, day0)
    console.delete_client("left", TODAY - dt.timedelta(days=90))
    assert [c.id for c in console.monitoring(TODAY)] == ["gone", "new"]
    assert [c.id for c in console.store.clients()] == ["gone", "left", "new", "old"]


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite, just some text" * 100)
    with pytest.raises(cl.StoreError, match="notes.db: not a cytolicense database"):
        cl.Store(path, "p1")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(cl.StoreError, match="cannot open|unable to open"):
        cl.Store(tmp_path, "p1")


def test_foreign_schema_version(db: Path) -> None:
    cl.Store(db, "p1").close()
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(cl.StoreError, match="schema version 99 is not supported"):
        cl.Store(db, "p1")


def test_corrupt_rows(console: cl.Console, db: Path) -> None:
    console.add_client("acme", "ACME", TODAY)
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("UPDATE clients SET document = '{\"cytolicense\": 1' WHERE id = 'acme'")
        raw.execute("UPDATE events SET document = '[]' WHERE client_id = 'acme'")
    with pytest.raises(cl.StoreError, match="client 'acme' of partner 'p1' has a corrupt row"):
        console.store.get("acme")
    with pytest.raises(cl.StoreError, match="event 1 of client 'acme' is corrupt"):
        console.history("acme")
    console.store.credit_pool("edr", "1y", 5, TODAY)  # the store takes any item
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("UPDATE pool_events SET document = '{}'")
    with pytest.raises(cl.StoreError, match=r"pool event \d+ is corrupt"):
        console.store.pool_history()
    # A list page reads the projected columns: one that does not parse names its client.
    console.add_client("zeta", "Zeta", TODAY)
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("UPDATE clients SET shown_until = 'someday' WHERE id = 'zeta'")
    with pytest.raises(cl.StoreError, match="client 'zeta' of partner 'p1' has a corrupt row"):
        console.store.rows()


def test_locked_database(
    console: cl.Console, db: Path, cytomic: cl.Catalog, stores: list[cl.Store]
) -> None:
    console.add_client("acme", "ACME", TODAY)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        waiting = cl.Console(cl.Engine(cytomic), opened(stores, db, "p1", timeout=0.05))
        with pytest.raises(cl.StoreError, match="locked by another writer"):
            waiting.assign("acme", REQUEST, TODAY)
        assert waiting.store.load("acme")[1] == 1  # readers are not blocked (WAL)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_batch_is_all_or_nothing(console: cl.Console) -> None:
    with pytest.raises(cl.RuleViolation), console.store.batch():
        console.add_client("a", "A", TODAY)
        console.assign("a", REQUEST, TODAY)
        refused = cl.AssignmentRequest(
            product=REQUEST.product, license_type="commercial", quantity=0, period="1y"
        )
        console.assign("a", refused, TODAY)  # refused: the whole batch is undone
    assert len(console.store) == 0
    with console.store.batch() as store:
        console.add_client("a", "A", TODAY)
        console.assign("a", REQUEST, TODAY)
    assert store.load("a")[1] == 2


def test_a_failed_write_inside_a_batch_leaves_nothing(console: cl.Console) -> None:
    """The batch goes on after a conflict; the failed write left no half change."""
    console.add_client("a", "A", TODAY)
    client, version = console.store.load("a")
    stale = console.engine.assign(client, REQUEST, TODAY)
    with console.store.batch():
        console.assign("a", REQUEST, TODAY)  # version 2
        with pytest.raises(cl.ConflictError):
            console.store.save(stale, version)  # based on version 1
        console.add_client("b", "B", TODAY)
    assert console.store.load("a")[1] == 2
    assert [type(e).__name__ for e in console.history("a")] == ["ClientCreated", "ProductAssigned"]
    assert "b" in console.store


def _refuse_events(db: Path, when: str) -> None:
    """A trigger of the user's own: the database refuses some event rows."""
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN {when} "
            "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )


def test_a_write_failing_half_way_is_undone(console: cl.Console, db: Path) -> None:
    """The client row is updated first, then the events fail: nothing must remain."""
    console.add_client("a", "A", TODAY)
    console.assign("a", REQUEST, TODAY)
    _refuse_events(db, "NEW.type = 'LicensesModified'")
    before = console.store.load("a")
    with pytest.raises(cl.StoreError, match="refused by a trigger"):
        console.modify("a", "m1", TODAY, quantity=11)
    assert console.store.load("a") == before
    assert len(console.history("a")) == 2


def test_a_write_failing_inside_a_batch_leaves_the_batch_going(
    console: cl.Console, db: Path
) -> None:
    """A write made at once in a batch (a new client) that the database refuses half
    way (its row written, its events refused) is undone alone; the batch goes on."""
    _refuse_events(db, "NEW.client_id = 'bad'")
    with console.store.batch():
        console.add_client("a", "A", TODAY)
        with pytest.raises(cl.StoreError, match="refused by a trigger"):
            console.add_client("bad", "Bad", TODAY)
        console.assign("a", REQUEST, TODAY)  # the batch goes on
    assert "bad" not in console.store
    assert console.store.load("a")[1] == 2
    assert len(console.history("a")) == 2


def test_held_back_rows_the_database_refuses_fail_the_whole_batch(
    console: cl.Console, db: Path
) -> None:
    """A client read in a batch is saved with the batch's other saves, at its end:
    rows the database refuses then fail the batch, and nothing of it is kept."""
    console.add_client("a", "A", TODAY)
    console.assign("a", REQUEST, TODAY)
    _refuse_events(db, "NEW.type = 'LicensesModified'")
    before = console.store.load("a")
    with pytest.raises(cl.StoreError, match="refused by a trigger"), console.store.batch():
        console.add_client("b", "B", TODAY)
        console.modify("a", "m1", TODAY, quantity=11)  # checked now, written at the end
        assert console.store.load("a")[1] == before[1] + 1  # the batch's state
    assert console.store.load("a") == before
    assert "b" not in console.store
    assert len(console.history("a")) == 2


def test_a_batch_whose_held_back_rows_failed_at_a_read_commits_nothing(
    console: cl.Console, db: Path
) -> None:
    """A read that needs the held-back rows writes them first; when the database
    refuses them, the read raises, every later write in the batch is refused, and
    leaving the block normally still commits nothing."""
    console.add_client("a", "A", TODAY)
    console.assign("a", REQUEST, TODAY)
    _refuse_events(db, "NEW.type = 'LicensesModified'")
    before = console.store.load("a")
    with pytest.raises(cl.StoreError, match="the batch failed earlier"), console.store.batch():
        console.modify("a", "m1", TODAY, quantity=11)
        client, version = console.store.load("a")
        held_change = console.engine.apply(client, cl.DeleteClient(), TODAY)
        with pytest.raises(cl.StoreError, match="refused by a trigger"):
            console.history("a")
        with pytest.raises(cl.StoreError, match="the batch failed earlier"):
            console.add_client("b", "B", TODAY)
        with pytest.raises(cl.StoreError, match="the batch failed earlier"):
            console.store.save(held_change, version)  # a client the batch holds
    assert console.store.load("a") == before
    assert "b" not in console.store
    with console.store.batch():  # the handle works again
        console.add_client("b", "B", TODAY)
    assert "b" in console.store


def test_a_held_client_changed_behind_the_batchs_back_fails_the_batch(
    console: cl.Console,
) -> None:
    """The held-back UPDATE still checks the version: a row changed by something that
    went around the store (here the handle's own connection) fails the batch."""
    console.add_client("a", "A", TODAY)
    store = console.store
    assert isinstance(store, cl.Store)
    with pytest.raises(cl.StoreError, match="changed by another writer"), store.batch():
        console.assign("a", REQUEST, TODAY)
        store._db.execute("UPDATE clients SET version = version + 1 WHERE id = 'a'")
    assert store.load("a")[1] == 1 and len(console.history("a")) == 1


def test_killed_mid_batch_loses_no_committed_change(db: Path, stores: list[cl.Store]) -> None:
    committed = kill_mid_batch(str(db), "p1", batches=6)
    assert_whole_batches(opened(stores, db, "p1"), committed)


def test_two_processes_lose_no_update(console: cl.Console, db: Path) -> None:
    console.add_client("shared", "Shared", TODAY)
    console.assign("shared", REQUEST, TODAY)
    rounds = 40
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "race", str(db), str(rounds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    client, version = console.store.load("shared")
    assert client.maintenances[0].quantity == 10 + 2 * rounds
    assert version == 2 + 2 * rounds
    assert len(console.history("shared")) == 2 + 2 * rounds


def test_rows_pages_and_search_from_the_index(tmp_path: Path) -> None:
    engine = cl.Engine(cl.load_catalog())
    store = cl.Store(tmp_path / "rows.db", "p")
    changes = []
    for i in range(30):
        ch = engine.new_client(
            f"c{i:02d}", f"Client {i:02d}" + (" 100%_off" if i == 7 else ""), TODAY
        )
        if i % 3:
            ch = attrs.evolve(
                ch,
                client=(a := engine.assign(ch.client, REQUEST, TODAY)).client,
                events=ch.events + a.events,
            )
        changes.append(ch)
    assert store.bulk(changes) == 30
    later = TODAY + dt.timedelta(days=120)  # the ten without a product are hidden by now
    shown = store.rows(later, shown=True)
    assert [r.id for r in shown] == [c.id for c in store.monitoring(later)]
    assert len(shown) == 20 and all(r.products == (REQUEST.product,) for r in shown)
    assert len(store.rows(later, shown=False)) == 10
    page1 = store.rows(limit=12)
    page2 = store.rows(limit=12, after=page1[-1].id)
    assert [r.id for r in page1 + page2] == [f"c{i:02d}" for i in range(24)]
    assert [r.id for r in store.rows(search="100%_")] == ["c07"]  # LIKE wildcards escaped
    assert [r.id for r in store.rows(search="client 1")][:2] == ["c10", "c11"]
    with pytest.raises(cl.ClientExistsError):
        store.bulk([changes[0]])
    assert len(store) == 30
    store.close()


def test_expiring_from_the_index_equals_the_engine_on_random_clients(tmp_path: Path) -> None:
    """A few thousand clients with random histories (renewed, changed to another set,
    deleted, in grace): the store's index gives the engine's answer on every day tried."""
    import random

    catalog = cl.Catalog(
        families=[cl.ProductFamily(id="f", name="F")],
        modules=[],
        products=[
            cl.Product(id="a", name="A", family="f", periods=["1m", "1y"], grace_days=10),
            cl.Product(id="b", name="B", family="f", periods=["1y", "2y"], term_end="day_before"),
        ],
    )
    engine = cl.Engine(catalog)
    rng = random.Random(7)
    changes = []
    start = dt.date(2026, 1, 1)
    for i in range(2_000):
        day = start + dt.timedelta(days=rng.randrange(300))
        ch = engine.new_client(f"c{i:04d}", f"C{i}", day)
        client, events = ch.client, list(ch.events)
        product = rng.choice("ab")
        for op in (
            cl.AssignmentRequest(
                product=product,
                license_type=rng.choice(["commercial", "trial"]),
                quantity=rng.randint(1, 9),
                period=rng.choice(catalog.products[product].periods),
            ),
            rng.choice([cl.Renew(maintenance="m1"), cl.DeleteService(maintenance="m1"), None]),
        ):
            if op is None:
                continue
            if isinstance(op, cl.AssignmentRequest) and op.license_type is cl.LicenseType.TRIAL:
                op = attrs.evolve(op, period=None)
            day += dt.timedelta(days=rng.randrange(400))
            try:
                done = engine.apply(client, op, day)
            except cl.RuleViolation:
                continue
            client, events = done.client, events + list(done.events)
        changes.append(cl.Change(client=client, events=tuple(events)))
    with cl.Store(tmp_path / "x.db", "p") as store:
        store.bulk(changes)
        clients = [c.client for c in changes]
        for offset in (0, 100, 250, 400, 600, 800):
            day = start + dt.timedelta(days=offset)
            for window in (0, 30, 90):
                assert store.expiring(day, window) == engine.expiring(clients, day, window)


def test_two_writers_lose_no_pool_seat_on_sqlite(tmp_path: Path) -> None:
    import threading

    engine = cl.Engine(cl.load_catalog())
    path = tmp_path / "pool.db"
    setup = cl.Console(engine, cl.Store(path, "p"))
    setup.credit_pool(REQUEST.product, "1y", 100, TODAY)
    for i in range(20):
        setup.add_client(f"c{i}", f"C{i}", TODAY)
    errors: list[BaseException] = []

    def worker(ids: range) -> None:
        with cl.Store(path, "p", timeout=30) as store:
            console = cl.Console(engine, store)
            try:
                for i in ids:
                    console.apply(f"c{i}", attrs.evolve(REQUEST, quantity=2, modules={}), TODAY)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(range(k, 20, 2),)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert setup.pool().seats(REQUEST.product, "1y") == 100 - 20 * 2
    setup.store.close()


def test_two_processes_consuming_one_pool_lose_no_seat(db: Path) -> None:
    """Two processes take seats from the same pool at once (atomic increments): every
    seat is counted, and the pool's history adds up to it."""
    setup = cl.Console(cl.Engine(cl.load_catalog()), cl.Store(db, "p1"))
    setup.credit_pool("cytomic-epdr", "1y", 100, TODAY)
    for i in range(40):
        setup.add_client(f"c{i}", f"C{i}", TODAY)
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "pool", str(db), str(k)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in (0, 1)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert setup.pool().seats("cytomic-epdr", "1y") == 100 - 40 * 2
    history = setup.store.pool_history()
    assert len(history) == 41 and sum(e.seats for e in history) == 100 - 80
    setup.store.close()


def test_the_pool_read_once_in_a_batch_follows_the_batchs_own_moves(db: Path) -> None:
    """Inside a write transaction the SQLite store reads the pool once (no other
    writer can change it); its own movements, and a failed write's undoing, must not
    leave that reading stale."""
    with cl.Store(db, "p1") as store:
        store.credit_pool("cytomic-epdr", "1y", 10, TODAY)
        with store.batch():
            assert store.pool().seats("cytomic-epdr", "1y") == 10
            store.credit_pool("cytomic-epdr", "1y", 5, TODAY)
            assert store.pool().seats("cytomic-epdr", "1y") == 15
            with pytest.raises(RuntimeError), store._writing("testing"):
                store._pool_write(
                    [
                        cl.PoolChanged(
                            on=TODAY, item="cytomic-epdr", period="1y", seats=-7, kind="credited"
                        )
                    ]
                )
                assert store.pool().seats("cytomic-epdr", "1y") == 8
                raise RuntimeError("the write fails after moving the pool")
            assert store.pool().seats("cytomic-epdr", "1y") == 15
        assert store.pool().seats("cytomic-epdr", "1y") == 15
