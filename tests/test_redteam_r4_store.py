"""The store and command-line findings of issue 46 (R4 0/5), each on both stores where
it applies: what `verify` misses, keys of operations that changed nothing, the pool's
history in commit order, `restore`, damaged files, `serve --db` of a missing file,
client ids a URL cannot reach."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
REQUEST = cl.AssignmentRequest(
    product="cytomic-edr",
    license_type="commercial",
    quantity=10,
    period="1y",
    modules={"cytomic-patch": None},
)

Factory = Callable[[str], Any]


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Factory]]:
    """The backend's name and a function opening a handle for a partner on it."""
    opened: list[Any] = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'r4.db'}"
        prefix = ""
    else:
        url = request.getfixturevalue("postgres_url")
        prefix = uuid.uuid4().hex[:8] + "-"  # one server for the session: fresh partners

    def make(partner: str) -> Any:
        store = cl.open_store(url, prefix + partner)
        opened.append(store)
        return store

    yield request.param, make
    for store in opened:
        store.close()


def _raw(store: Any, sql: str, *args: object) -> None:
    """Run *sql* on the store's own connection, past the store (damage made by hand)."""
    if isinstance(store, cl.PostgresStore):
        store._db.execute(sql.replace("?", "%s"), args)
    else:
        store._db.execute(sql, args)


# -- 1. verify reads the events' type and on_day columns -----------------------------------


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            "UPDATE events SET type = 'ClientDeleted' WHERE partner = ? AND seq = 2",
            "client 'acme': event 2 has type 'ClientDeleted', its document says 'ProductAssigned'",
        ),
        (
            "UPDATE events SET on_day = '2030-01-01' WHERE partner = ? AND seq = 1",
            "client 'acme': event 1 has on_day '2030-01-01', its document says '2026-11-27'",
        ),
    ],
)
def test_verify_reports_an_event_row_whose_columns_disagree_with_its_document(
    backend: tuple[str, Factory], engine: cl.Engine, damage: str, expected: str
) -> None:
    _, open_store = backend
    store = open_store("p")
    console = cl.Console(engine, store)
    console.add_client("acme", "ACME", TODAY)
    console.apply("acme", REQUEST, TODAY)
    assert store.verify() == []
    _raw(store, damage, store.partner)
    assert expected in store.verify()


# -- 2. a key is stored whatever the change, also one that changed nothing -----------------


def test_a_key_used_for_an_operation_that_changed_nothing_is_kept(
    backend: tuple[str, Factory], engine: cl.Engine
) -> None:
    _, open_store = backend
    store = open_store("p")
    console = cl.Console(engine, store)
    console.add_client("acme", "ACME", TODAY)
    console.apply("acme", REQUEST, TODAY)
    same = cl.Modify(maintenance="m1", quantity=REQUEST.quantity)
    first = console.apply("acme", same, TODAY, key="k-1")
    assert first.events == () and store.load("acme")[1] == 2  # nothing changed
    assert store.find_key("k-1") is not None
    # The same request again answers the same; another operation under it is refused.
    assert console.apply("acme", same, TODAY, key="k-1") == first
    with pytest.raises(cl.KeyConflictError):
        console.apply("acme", cl.Modify(maintenance="m1", quantity=3), TODAY, key="k-1")
    assert store.get("acme").maintenances[0].quantity == REQUEST.quantity
    assert store.load("acme")[1] == 2
    # In a batch too (each client's key is KEY/CLIENT_ID).
    answered = console.apply_each(["acme"], same, TODAY, key="b")
    assert store.find_key("b/acme") is not None
    assert console.apply_each(["acme"], same, TODAY, key="b") == answered
    # A refused apply still stores no key.
    with pytest.raises(cl.RuleViolation):
        console.apply("acme", cl.Modify(maintenance="m9", quantity=1), TODAY, key="k-2")
    assert store.find_key("k-2") is None


# -- 3. the pool's history is in commit order (PostgreSQL numbers it per partner) ----------


def test_the_pool_history_replays_in_commit_order_under_racing_writers(
    postgres_url: str,
) -> None:
    """Writers in several threads, each with its own handle, credit the pool one seat at
    a time and take seats from it (a strict pool: a debit only commits when the seats
    are there). Replayed from a new connection, the history never goes below zero, ends
    at the pool, and is numbered 1, 2, 3... for the partner whatever other partners
    wrote."""
    import threading
    import time

    strict = cl.Engine(cl.load_catalog(), pool_shortage=cl.Severity.ERROR)
    partner = "order-" + uuid.uuid4().hex[:6]
    other = cl.open_store(postgres_url, "other-" + uuid.uuid4().hex[:6])
    cl.Console(strict, other).credit_pool("cytomic-edr", "1y", 5, TODAY)  # another partner
    setup = cl.open_store(postgres_url, partner)
    clients = 24
    for i in range(clients):
        cl.Console(strict, setup).add_client(f"c{i:02d}", f"C{i}", TODAY)
    # The pool tracks the item from its first credit on (an untracked item is not
    # limited by the pool).
    cl.Console(strict, setup).credit_pool("cytomic-edr", "1y", 1, TODAY)
    one = cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=1, period="1y"
    )
    errors: list[BaseException] = []

    def creditor() -> None:
        with cl.open_store(postgres_url, partner) as store:
            console = cl.Console(strict, store)
            try:
                for _ in range(clients - 1):
                    console.credit_pool("cytomic-edr", "1y", 1, TODAY)
                    time.sleep(0.002)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    def debtor(k: int) -> None:
        with cl.open_store(postgres_url, partner) as store:
            console = cl.Console(strict, store)
            try:
                for i in range(k, clients, 3):
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        try:
                            if k == 0:  # a batch writer too
                                done = console.apply_each([f"c{i:02d}"], one, TODAY)
                                if isinstance(done[f"c{i:02d}"], Exception):
                                    raise done[f"c{i:02d}"]
                            else:
                                console.apply(f"c{i:02d}", one, TODAY)
                            break
                        except (cl.RuleViolation, cl.PoolShortageError):
                            time.sleep(0.002)  # no seat yet: wait for a credit
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=creditor)]
    threads += [threading.Thread(target=debtor, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    setup.close()
    other.close()
    with cl.open_store(postgres_url, partner) as fresh:
        history = fresh.pool_history()
        balance = 0
        for event in history:
            balance += event.seats
            assert balance >= 0, "the history shows an overdraft"
        assert cl.replay_pool(history) == fresh.pool()
        assert fresh.pool().seats("cytomic-edr", "1y") == 0  # every seat credited was taken
        assert len(history) == 2 * clients
        seqs = [
            row[0]
            for row in fresh._db.execute(
                "SELECT seq FROM pool_events WHERE partner = %s ORDER BY seq", (partner,)
            )
        ]
        assert seqs == list(range(1, len(history) + 1))
        assert fresh.verify() == []


def test_a_schema_7_database_keys_the_pool_history_by_partner(postgres_url: str) -> None:
    """Schema 8 keys ``pool_events`` by ``(partner, seq)`` and numbers it in the store: a
    schema 7 database (a serial key of its own) moves to it when a store opens it, its
    history kept in order, and goes on numbering after the partner's last."""
    import psycopg

    from cytolicense.store._postgres_schema import SCHEMA_VERSION

    schema = "r4_" + uuid.uuid4().hex[:8]
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    url = f"{postgres_url}&options=-csearch_path%3D{schema}"
    partner = "mig-" + uuid.uuid4().hex[:6]
    engine = cl.Engine(cl.load_catalog())
    try:
        store = cl.open_store(url, partner)
        # Back to schema 7's table: a serial key of its own, numbers from a sequence.
        store._db.execute(
            "ALTER TABLE pool_events DROP CONSTRAINT pool_events_pkey; "
            "CREATE SEQUENCE pool_events_seq_seq OWNED BY pool_events.seq; "
            "SELECT setval('pool_events_seq_seq', 40); "
            "ALTER TABLE pool_events ALTER COLUMN seq SET DEFAULT "
            "nextval('pool_events_seq_seq'); "
            "ALTER TABLE pool_events ADD PRIMARY KEY (seq); "
            "UPDATE cytolicense_meta SET value = '7' WHERE key = 'schema'"
        )
        from cytolicense.store._rows import dumps

        old = [
            cl.PoolChanged(on=TODAY, item="cytomic-edr", period="1y", seats=n, kind="credited")
            for n in (5, 3)
        ]
        for event in old:  # as schema 7 wrote them
            store._db.execute(
                "INSERT INTO pool_events (partner, document) VALUES (%s, %s)",
                (partner, dumps(event)),
            )
        store.close()
        store = cl.open_store(url, partner)
        try:
            assert store._schema_version() == SCHEMA_VERSION
            (key,) = store._db.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'pool_events_pkey' AND connamespace = %s::regnamespace",
                (schema,),
            ).fetchone()
            assert key == "PRIMARY KEY (partner, seq)"
            cl.Console(engine, store).credit_pool("cytomic-edr", "1y", 2, TODAY)
            assert [e.seats for e in store.pool_history()] == [5, 3, 2]
            seqs = [r[0] for r in store._db.execute("SELECT seq FROM pool_events ORDER BY seq")]
            assert seqs == [41, 42, 43]
        finally:
            store.close()
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")


# -- 4. restore verifies every partner it installs, and never hangs behind a lock ----------


def _cli(*args: str, code: int | None = 0, timeout: float = 60) -> Any:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "cytolicense", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if code is not None:
        assert r.returncode == code, (r.stdout, r.stderr)
    return r


def _two_partners(path: Path, engine: cl.Engine) -> None:
    for partner in ("p", "q"):
        with cl.Store(path, partner) as store:
            console = cl.Console(engine, store)
            console.credit_pool("cytomic-edr", "1y", 50, TODAY)
            console.add_client("acme", "ACME", TODAY)
            console.apply("acme", REQUEST, TODAY)


def test_restore_verifies_every_partner_of_the_backup(tmp_path: Path, engine: cl.Engine) -> None:
    """A restore puts the whole file in place, every partner's data with it: a backup in
    which another partner's data is damaged is refused, whatever --partner says."""
    import sqlite3

    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    _two_partners(live, engine)
    with cl.Store(live, "p") as store:
        store.backup(copy)
    db = sqlite3.connect(copy)
    db.execute("UPDATE pools SET seats = 1 WHERE partner = 'q'")
    db.commit()
    db.close()
    with cl.Store(copy, "p") as store:
        assert store.verify() == []  # partner p alone is fine
    checked = copy.read_bytes()
    r = _cli("--db", str(live), "--partner", "p", "restore", str(copy), "--replace", code=1)
    assert "partner 'q': the pool is" in r.stderr
    assert "nothing restored: the backup does not verify" in r.stderr
    with cl.Store(live, "q") as store:
        assert store.pool().seats("cytomic-edr", "1y") == 40  # untouched
    assert copy.read_bytes() == checked  # a private copy was checked, not the backup
    # A good backup of both partners is restored whole.
    good = tmp_path / "good.db"
    with cl.Store(live, "p") as store:
        store.backup(good)
    target = tmp_path / "restored.db"
    _cli("--db", str(target), "--partner", "p", "restore", str(good))
    for partner in ("p", "q"):
        with cl.Store(target, partner) as store:
            assert store.verify() == [] and [c.id for c in store.clients()] == ["acme"]


def test_restore_gives_up_behind_a_held_write_lock(tmp_path: Path, engine: cl.Engine) -> None:
    import sqlite3
    import time

    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    _two_partners(live, engine)
    with cl.Store(live, "p") as store:
        store.backup(copy)
    holder = sqlite3.connect(live, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    try:
        start = time.monotonic()  # the default wait: 10 s
        r = _cli("--db", str(live), "--partner", "p", "restore", str(copy), "--replace",
                 code=3, timeout=40)  # fmt: skip
        assert time.monotonic() - start < 30
        assert str(live) in r.stderr and "held its lock for 10 s" in r.stderr
        assert "nothing was restored" in r.stderr
        r = _cli("--db", str(live), "--partner", "p", "restore", str(copy), "--replace",
                 "--wait", "0", code=3)  # fmt: skip
        assert "held its lock for 0 s" in r.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _cli("--db", str(live), "--partner", "p", "restore", str(copy), "--replace", "--wait", "1")


# -- 5. a damaged file is named, with what is wrong, never a bare codec error --------------


def test_a_damaged_idempotency_key_row_is_a_store_error_naming_the_file(
    tmp_path: Path, engine: cl.Engine
) -> None:
    import sqlite3

    path = tmp_path / "keys.db"
    with cl.Store(path, "p") as store:
        console = cl.Console(engine, store)
        console.add_client("acme", "ACME", TODAY)
        console.apply("acme", REQUEST, TODAY, key="k-1")
    db = sqlite3.connect(path)
    db.execute("UPDATE idempotency_keys SET change = X'7B22ff22'")  # bytes, not UTF-8
    db.commit()
    db.close()
    with cl.Store(path, "p") as store:
        console = cl.Console(engine, store)
        with pytest.raises(cl.StoreError) as caught:
            console.apply("acme", REQUEST, TODAY, key="k-1")
    message = str(caught.value)
    assert str(path) in message and "idempotency key 'k-1' is corrupt" in message
    assert "invalid start byte" in message


def test_a_catalog_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_bytes(b'[[family]]\nid = "end\xffpoint"\nname = "Endpoint"\n')
    with pytest.raises(cl.CatalogError) as caught:
        cl.TomlCatalog(path).records()
    assert str(caught.value).startswith(f"{path}: not UTF-8 text at line 2, byte 10 of the line")
    with pytest.raises(cl.CatalogError, match="not UTF-8 text at line 2"):
        cl.load_catalog(cl.TomlCatalog(path), entry_points=False)


# -- 6. serve refuses a SQLite path that names no file, unless --create ---------------------


def test_serve_refuses_a_missing_database_unless_told_to_create_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    pytest.importorskip("uvicorn")
    import uvicorn

    from cytolicense.cli._cli import main

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.delenv("CYTOLICENSE_DB", raising=False)
    typo = tmp_path / "typo.db"
    err = io.StringIO()
    assert main(["--db", str(typo), "serve"], out=io.StringIO(), err=err) == 2
    assert f"no database at {typo}" in err.getvalue() and "--create" in err.getvalue()
    assert not typo.exists() and served == []
    err = io.StringIO()
    assert main(["--db", f"sqlite:///{typo}", "serve"], out=io.StringIO(), err=err) == 2
    assert main(["--db", "", "serve"], out=io.StringIO(), err=io.StringIO()) == 2
    es = io.StringIO()
    assert main(["--db", str(typo), "--lang", "es", "serve"], out=io.StringIO(), err=es) == 2
    assert "dé --create" in es.getvalue()
    assert served == []
    # --create starts a new one; an existing file needs nothing.
    assert main(["--db", str(typo), "serve", "--create"], out=io.StringIO(), err=err) == 0
    assert len(served) == 1
    cl.Store(typo, "default").close()
    assert main(["--db", str(typo), "serve"], out=io.StringIO(), err=err) == 0
    assert len(served) == 2


# -- 7. a new client's id must be one URL path segment --------------------------------------


@pytest.mark.parametrize("client_id", ["contoso/add", "a/b/c", "/", "x/", ".", ".."])
def test_an_id_a_url_cannot_reach_is_refused_when_the_client_is_created(
    backend: tuple[str, Factory], engine: cl.Engine, client_id: str
) -> None:
    _, open_store = backend
    store = open_store("p")
    console = cl.Console(engine, store)
    with pytest.raises(cl.ClientIdError) as caught:
        console.add_client(client_id, "Contoso", TODAY)
    assert isinstance(caught.value, ValueError) and caught.value.client_id == client_id
    assert f"client id '{client_id}'" in str(caught.value)
    assert f"el id de cliente '{client_id}'" in caught.value.message_in("es")
    with pytest.raises(cl.ClientIdError):
        engine.new_client(client_id, "Contoso", TODAY)
    assert len(store) == 0


def test_ids_that_a_url_segment_carries_stay_valid(engine: cl.Engine) -> None:
    for client_id in ["contoso", "a.b", "..a", "a..", "ACME S.A.", "ñandú", "a\\b", "50%", "a?b#c"]:
        assert engine.new_client(client_id, "N", TODAY).client.id == client_id
    # A client stored before keeps its id: only a new client is refused.
    old = cl.Client(id="legacy/1", name="Legacy", created_on=TODAY)
    assert engine.assign(old, REQUEST, TODAY).client.id == "legacy/1"


def test_the_command_line_and_the_api_refuse_such_an_id(tmp_path: Path) -> None:
    import io

    from cytolicense.cli._cli import main

    db = str(tmp_path / "ids.db")
    err = io.StringIO()
    assert main(["--db", db, "add-client", "contoso/add", "X"], out=io.StringIO(), err=err) == 3
    assert "client id 'contoso/add' contains '/'" in err.getvalue()
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from cytolicense.web import create_app

    with cl.Store(db, "p"):
        pass
    with TestClient(create_app(db, "p", today=TODAY)) as client:
        r = client.post("/api/clients", json={"id": "contoso/add", "name": "X"})
        assert r.status_code == 400 and "contains '/'" in r.json()["error"]
        r = client.post("/api/clients", json={"id": "..", "name": "X"})
        assert r.status_code == 400
        assert client.get("/api/clients").json()["clients"] == []


def test_restore_names_a_backup_that_is_not_a_database(tmp_path: Path) -> None:
    source = tmp_path / "notes.db"
    source.write_text("not a database\n")
    r = _cli("--db", str(tmp_path / "new.db"), "restore", str(source), code=3)
    assert f"{source}: the copy failed: file is not a database" in r.stderr
    assert not (tmp_path / "new.db").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.db"]  # no copy left behind
