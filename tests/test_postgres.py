"""PostgresStore against a real PostgreSQL server: the same answers as SQLite."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import attrs
import pytest

import cytolicense as cl
from cytolicense.store._postgres_schema import SCHEMA_VERSION

from .conftest import assert_whole_batches, kill_mid_batch, request

D = dt.date
TODAY = D(2026, 11, 27)


@pytest.fixture
def pg(postgres_url: str) -> Any:
    store = cl.open_store(postgres_url, f"p-{uuid.uuid4().hex[:8]}")
    assert isinstance(store, cl.PostgresStore) and isinstance(store, cl.ClientStore)
    yield store
    store.close()


def _session(console: cl.Console) -> list[Any]:
    console.credit_pool("edr", "1y", 30, TODAY, actor="buyer")
    console.add_client("acme", "ACME", TODAY)
    console.add_client("beta", "Beta", TODAY)
    console.apply("acme", request(quantity=10, modules={"patch": None}), TODAY, actor="ana")
    console.apply("beta", request(quantity=5, period="1m"), TODAY)
    console.apply("acme", cl.Modify(maintenance="m1", quantity=12), D(2026, 12, 1))
    console.delete_client("beta", D(2026, 12, 2))
    console.apply("acme", cl.Suspend(maintenance="m1"), D(2026, 12, 10))
    console.apply("acme", cl.Resume(maintenance="m1"), D(2026, 12, 20))
    later = D(2027, 11, 10)
    return [
        console.usage_report("2026-12"),
        console.store.get("acme").maintenances[0].suspensions,
        [c.id for c in console.store.clients()],
        [c.id for c in console.monitoring(later)],
        console.pool(),
        console.expiring(later, 30),
        [type(e).__name__ for e in console.history("acme")],
        console.entitlements("acme", D(2026, 12, 1)),
    ]


def test_postgres_answers_as_sqlite(pg: Any, engine: cl.Engine, tmp_path: Path) -> None:
    with cl.Store(tmp_path / "s.db", pg.partner) as lite:
        assert _session(cl.Console(engine, pg)) == _session(cl.Console(engine, lite))
    assert pg.pool().seats("edr", "1y") == 30 - 12 + 5 * 0  # beta's month used no 1y seat


def test_postgres_refuses_lost_updates_and_partial_batches(pg: Any, engine: cl.Engine) -> None:
    console = cl.Console(engine, pg)
    console.add_client("acme", "ACME", TODAY)
    client, version = pg.load("acme")
    first = engine.assign(client, request(), TODAY)
    pg.save(first, version)
    with pytest.raises(cl.ConflictError):
        pg.save(engine.assign(client, request(quantity=3), TODAY), version)
    with pytest.raises(cl.RuleViolation), pg.batch():
        console.add_client("beta", "Beta", TODAY)
        console.assign("beta", request(quantity=0), TODAY)
    assert "beta" not in pg and len(pg) == 1
    with pytest.raises(cl.NotFoundError):
        pg.get("nobody")


def test_partners_do_not_see_each_other(postgres_url: str, engine: cl.Engine) -> None:
    a = cl.open_store(postgres_url, "partner-a-" + uuid.uuid4().hex[:6])
    b = cl.open_store(postgres_url, "partner-b-" + uuid.uuid4().hex[:6])
    cl.Console(engine, a).add_client("acme", "ACME", TODAY)
    assert "acme" in a and "acme" not in b and b.clients() == []
    a.close()
    b.close()


def test_two_writers_lose_no_pool_seat(postgres_url: str, engine: cl.Engine) -> None:
    """Two handles consume the same pool at once: atomic increments, every seat counted."""
    import threading

    partner = "pool-" + uuid.uuid4().hex[:6]
    setup = cl.open_store(postgres_url, partner)
    cl.Console(engine, setup).credit_pool("edr", "1y", 100, TODAY)
    for i in range(20):
        cl.Console(engine, setup).add_client(f"c{i}", f"C{i}", TODAY)
    errors: list[BaseException] = []

    def worker(ids: range) -> None:
        store = cl.open_store(postgres_url, partner)
        console = cl.Console(engine, store)
        try:
            for i in ids:
                console.apply(f"c{i}", request(quantity=2), TODAY)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(range(k, 20, 2),)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert setup.pool().seats("edr", "1y") == 100 - 20 * 2
    assert len(setup.pool_history()) == 1 + 20
    setup.close()


@pytest.mark.parametrize("pooled", [True, False])
def test_two_batches_over_the_same_clients_wait_for_each_other(
    postgres_url: str, engine: cl.Engine, pooled: bool
) -> None:
    """A batch locks each client it reads and the pool it reads: a second batch over
    the same clients waits instead of conflicting, and no pool seat is lost."""
    import threading

    partner = "held-" + uuid.uuid4().hex[:6]
    setup = cl.open_store(postgres_url, partner)
    if pooled:  # with a pool every save moves it, and is written at once
        cl.Console(engine, setup).credit_pool("edr", "1y", 100, TODAY)
    for i in range(10):
        cl.Console(engine, setup).add_client(f"c{i}", f"C{i}", TODAY)
    errors: list[BaseException] = []

    def worker() -> None:
        store = cl.open_store(postgres_url, partner)
        console = cl.Console(engine, store)
        try:
            with store.batch():
                for i in range(10):
                    console.apply(f"c{i}", request(quantity=2), TODAY)
                    console.apply(f"c{i}", request(quantity=1), TODAY)  # saved twice
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    if pooled:
        assert setup.pool().seats("edr", "1y") == 100 - 2 * 10 * 3  # two batches, 3 each
    assert [setup.load(f"c{i}")[1] for i in range(10)] == [5] * 10
    assert [len(setup.history(f"c{i}")) for i in range(10)] == [5] * 10
    assert cl.replay_pool(setup.pool_history()) == setup.pool()
    setup.close()


def test_a_batch_holds_its_clients_until_it_ends_and_the_pool_only_at_its_end(
    postgres_url: str, engine: cl.Engine
) -> None:
    """R3 3/6: a batch's pool movements are held back to its end (the pool's lock is
    taken only for those statements and the commit), so another writer of the partner
    is not kept waiting on the pool while the batch works."""
    partner = "lock-" + uuid.uuid4().hex[:6]
    store, other = cl.open_store(postgres_url, partner), cl.open_store(postgres_url, partner)
    console, elsewhere = cl.Console(engine, store), cl.Console(engine, other)
    console.credit_pool("edr", "1y", 10, TODAY)
    console.add_client("acme", "ACME", TODAY)
    console.add_client("beta", "Beta", TODAY)
    other._db.execute("SET lock_timeout = '200ms'")
    with store.batch():
        console.apply("acme", request(quantity=2), TODAY)
        assert elsewhere.monitoring(TODAY)  # reading is never held up
        with pytest.raises(cl.StoreError, match="lock timeout"):
            elsewhere.apply("acme", cl.DeleteClient(), TODAY)  # the batch holds acme
        elsewhere.credit_pool("edr", "1y", 5, TODAY)  # the pool is not held
        assert store.pool().seats("edr", "1y") == 8  # its view: as read, with its own moves
        assert other.pool().seats("edr", "1y") == 15  # the batch's moves are not written yet
        elsewhere.add_client("gamma", "Gamma", TODAY)  # the rest is free
        # Its history read inside the batch writes its held-back movements first (the
        # pool's lock is then held to the batch's end) and sees them.
        assert [e.seats for e in store.pool_history()] == [10, 5, -2]
        assert store.pool().seats("edr", "1y") == 13
        with pytest.raises(cl.StoreError, match="lock timeout"):
            elsewhere.credit_pool("edr", "1y", 1, TODAY)
    assert "gamma" in store and store.pool().seats("edr", "1y") == 13
    assert [e.seats for e in store.pool_history()] == [10, 5, -2]
    assert store.verify() == []
    store.close()
    other.close()


def test_row_level_security_is_a_second_wall(postgres_url: str, engine: cl.Engine) -> None:
    """With partner A set on its connection, even a hand-written query sees no B row."""
    a = cl.open_store(postgres_url, "rls-a-" + uuid.uuid4().hex[:6])
    b = cl.open_store(postgres_url, "rls-b-" + uuid.uuid4().hex[:6])
    cl.Console(engine, b).add_client("secret", "B's client", TODAY)
    cl.Console(engine, a).add_client("mine", "A's client", TODAY)
    rows = a._db.execute("SELECT partner, id FROM clients").fetchall()  # no partner filter
    assert rows == [(a.partner, "mine")]
    assert a._db.execute("SELECT count(*) FROM events").fetchone() == (1,)
    import psycopg

    with pytest.raises(psycopg.Error):  # nor can it write a row for B
        a._db.execute(
            "INSERT INTO pools (partner, item, period, seats) VALUES (%s, 'x', '1y', 1)",
            (b.partner,),
        )
    a.close()
    b.close()


def test_rows_and_bulk_on_postgres(pg: Any, engine: cl.Engine, tmp_path: Path) -> None:
    changes = [engine.new_client(f"c{i:02d}", f"Client {i:02d}", TODAY) for i in range(12)]
    assert pg.bulk(changes) == 12
    with cl.Store(tmp_path / "s.db", pg.partner) as lite:
        lite.bulk(changes)
        for kw in ({"limit": 5}, {"search": "client 1"}, {"limit": 4, "after": "c03"}):
            assert pg.rows(**kw) == lite.rows(**kw)
        later = D(2027, 6, 1)
        assert pg.rows(later, shown=False) == lite.rows(later, shown=False)
    with pytest.raises(cl.ClientExistsError):
        pg.bulk(changes[:1])


def _imports(engine: cl.Engine, prefix: str, count: int) -> list[cl.Change]:
    """*count* new clients, every other one with a product (events and expiry rows)."""
    out = []
    for i in range(count):
        created = engine.new_client(f"{prefix}{i:04d}", f"Client {i}", TODAY)
        if i % 2:
            done = engine.apply(created.client, request(modules={"patch": None}), TODAY)
            created = attrs.evolve(done, events=created.events + done.events)
        out.append(created)
    return out


def _stored(store: Any) -> tuple[Any, ...]:
    clients = store.clients()
    return (
        clients,
        [store.load(c.id)[1] for c in clients],
        [store.history(c.id) for c in clients],
        store.rows(TODAY, shown=True),
        store.expiring(D(2027, 11, 1), 30),
    )


def test_a_large_import_through_copy_stores_what_inserts_store(
    pg: Any, engine: cl.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import of 100 clients or more goes through COPY into temporary tables (then
    one INSERT ... SELECT a table, which the row-level policies check): the same stored
    clients, versions, histories, rows and expiry index as SQLite's; two imports in one
    batch; a taken id refuses the whole import, keeps nothing, and the next goes on."""
    import psycopg

    copied: list[str] = []
    copy = psycopg.Cursor.copy

    def spy(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
        copied.append(statement.split()[1])
        return copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy)
    changes = _imports(engine, "k", 150)
    with pg.batch():
        assert pg.bulk(changes[:120]) == 120
        assert copied == [f"cytolicense_bulk_{t}" for t in ("clients", "events", "expiries")]
        assert pg.bulk(changes[120:]) == 30  # below the mark: INSERTs
        assert len(copied) == 3
    with cl.Store(tmp_path / "s.db", pg.partner) as lite:
        lite.bulk(changes)
        assert _stored(pg) == _stored(lite)
    again = _imports(engine, "z", 120) + changes[:1]
    with pytest.raises(cl.ClientExistsError, match="k0000"):
        pg.bulk(again)
    assert "z0000" not in pg and len(pg) == 150
    assert pg.bulk(again[:-1]) == 120  # its temporary tables went with it


def test_a_role_that_may_not_create_temporary_tables_imports_with_inserts(
    postgres_url: str, engine: cl.Engine
) -> None:
    admin = cl.open_store(postgres_url, "admin")
    revoke = "REVOKE TEMPORARY ON DATABASE cytolicense FROM PUBLIC, cytolicense_app"
    admin._db.execute(revoke)
    store = cl.open_store(postgres_url, f"p-{uuid.uuid4().hex[:8]}")
    try:
        assert store._may_copy() is False
        assert store.bulk(_imports(engine, "r", 150)) == 150
        assert len(store.history("r0001")) == 2 and len(store) == 150
    finally:
        admin._db.execute("GRANT TEMPORARY ON DATABASE cytolicense TO PUBLIC, cytolicense_app")
        store.close()
        admin.close()


def test_a_large_import_refreshes_the_planners_statistics(pg: Any, engine: cl.Engine) -> None:
    """After a bulk of 1,000+ clients the store analyzes its tables: with stale
    statistics (a new partner believed to have one client), PostgreSQL planned the
    expiring query as a scan of every client per row (28 s for 20,000 clients)."""

    def analyzed() -> int:
        row = pg._db.execute(
            "SELECT sum(analyze_count) FROM pg_stat_user_tables "
            "WHERE relname IN ('clients', 'events', 'expiries')"
        ).fetchone()
        return int(row[0] or 0)

    before = analyzed()
    pg.bulk([engine.new_client(f"s{i:03d}", "Small", TODAY) for i in range(10)])
    assert analyzed() == before  # a small import leaves it to autovacuum
    request = cl.AssignmentRequest(
        product="edr", license_type="commercial", quantity=1, period="1y"
    )
    big = []
    for i in range(1_000):
        created = engine.new_client(f"b{i:04d}", "Big", TODAY)
        done = engine.apply(created.client, request, TODAY)
        big.append(attrs.evolve(done, events=created.events + done.events))
    pg.bulk(big)
    assert analyzed() == before + 3
    assert len(pg.expiring(D(2027, 11, 1), 30)) == 1_000


def test_killed_mid_batch_loses_no_committed_change_on_postgres(postgres_url: str) -> None:
    """The SQLite crash test on PostgreSQL: a writer killed (SIGKILL) in the middle of a
    batch leaves every batch it saw committed, and nothing of the one it was in."""
    partner = f"crash-{uuid.uuid4().hex[:8]}"
    committed = kill_mid_batch(postgres_url, partner, batches=4)
    store = cl.open_store(postgres_url, partner)
    try:
        assert_whole_batches(store, committed)
    finally:
        store.close()


def test_a_schema_2_database_gains_the_listing_index(postgres_url: str, engine: cl.Engine) -> None:
    """Schema 3 adds a covering index for list pages; a schema 2 database gets it when a
    store opens it (one host migrates, under the advisory lock)."""
    store = cl.open_store(postgres_url, f"p-{uuid.uuid4().hex[:8]}")
    store._db.execute("DROP INDEX clients_listing")
    store._db.execute("UPDATE cytolicense_meta SET value = '2' WHERE key = 'schema'")
    store.close()
    store = cl.open_store(postgres_url, f"p-{uuid.uuid4().hex[:8]}")
    assert store._schema_version() == SCHEMA_VERSION
    found = store._db.execute("SELECT to_regclass('clients_listing')").fetchone()
    assert found is not None and found[0] is not None
    store._db.execute("UPDATE cytolicense_meta SET value = '1' WHERE key = 'schema'")
    with pytest.raises(cl.StoreError, match="schema version 1 is not supported"):
        cl.open_store(postgres_url, "other")
    store._db.execute(
        "UPDATE cytolicense_meta SET value = %s WHERE key = 'schema'", (SCHEMA_VERSION,)
    )
    store.close()


def test_a_schema_3_database_gains_the_lower_case_names(
    postgres_url: str, engine: cl.Engine
) -> None:
    """Schema 4 stores each name in lower case, in the listing index too, for name
    searches; a schema 3 database with clients gets it when a store opens it."""
    partner = f"p-{uuid.uuid4().hex[:8]}"
    store = cl.open_store(postgres_url, partner)
    cl.Console(engine, store).add_client("acme", "ÁCME Señor", TODAY)
    store._db.execute("ALTER TABLE clients DROP COLUMN name_key")  # drops the index too
    store._db.execute(
        "CREATE INDEX clients_listing ON clients (partner, id) "
        "INCLUDE (name, deleted_on, ended_on, shown_until, products)"
    )
    store._db.execute("UPDATE cytolicense_meta SET value = '3' WHERE key = 'schema'")
    store.close()
    store = cl.open_store(postgres_url, partner)
    assert store._schema_version() == SCHEMA_VERSION
    assert [r.id for r in store.rows(search="ácme SEÑ")] == ["acme"]
    assert [r.id for r in store.rows(search="50%")] == []
    (index,) = store._db.execute("SELECT pg_get_indexdef('clients_listing'::regclass)").fetchone()
    assert "name_key" in index  # list pages with a search read the index alone
    store.close()


def _indexes(store: Any) -> set[str]:
    rows = store._db.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname NOT LIKE '%%_pkey'"
    )
    return {row[0] for row in rows}


def test_a_schema_4_database_loses_the_indexes_no_query_reads(
    postgres_url: str, engine: cl.Engine
) -> None:
    """Schema 5 drops the indexes on the last day shown and on the lower-case name
    (an UPDATE off its page wrote an entry into each; no query reads them); a schema 4
    database loses them when a store opens it, and its lists still answer."""
    partner = f"p-{uuid.uuid4().hex[:8]}"
    store = cl.open_store(postgres_url, partner)
    fresh = {
        "clients_by_group",  # a scoped operator's lists
        "clients_deleted",  # the end sorts' clients deleted after the list's day
        "clients_listing",
        "clients_sorted_by_end",  # the monitoring list by last day of service
        "clients_sorted_by_name",  # the monitoring list by (folded) name
        "clients_unfolded",  # the rows of before schema 12 without their folded name
        "deliveries_due",  # the delivery worker's claim
        "expiries_by_grace",
        "expiries_listing",
        "expiries_unfilled",
        "idempotency_keys_by_day",
        "requests_by_status",
    }
    assert _indexes(store) == fresh
    cl.Console(engine, store).add_client("acme", "ACME", TODAY)
    store._db.execute("CREATE INDEX clients_by_shown ON clients (partner, shown_until)")
    store._db.execute("CREATE INDEX clients_by_name ON clients (partner, lower(name))")
    store._db.execute("UPDATE cytolicense_meta SET value = '4' WHERE key = 'schema'")
    store.close()
    store = cl.open_store(postgres_url, partner)
    try:
        assert store._schema_version() == SCHEMA_VERSION
        assert _indexes(store) == fresh
        assert [r.id for r in store.rows(TODAY, shown=True, search="acm")] == ["acme"]
        assert [c.id for c in store.monitoring(TODAY)] == ["acme"]
    finally:
        store.close()


def test_a_save_the_database_refuses_half_way_leaves_nothing(pg: Any, engine: cl.Engine) -> None:
    """A save outside a batch is one statement (client row, events, expiry rows) run as
    its own transaction; one inside a batch is written at the batch's end. Either way a
    refusal by the database half way (a trigger of the user's on events) keeps nothing."""
    console = cl.Console(engine, pg)
    console.add_client("acme", "ACME", TODAY)
    console.apply("acme", request(), TODAY)
    pg._db.execute(
        "CREATE OR REPLACE FUNCTION refuse_modified() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW.type = 'LicensesModified' THEN RAISE EXCEPTION 'refused by a "
        "trigger'; END IF; RETURN NEW; END $$"
    )
    pg._db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW "
        "EXECUTE FUNCTION refuse_modified()"
    )
    try:
        before = pg.load("acme")
        with pytest.raises(cl.StoreError, match="refused by a trigger"):
            console.apply("acme", cl.Modify(maintenance="m1", quantity=11), TODAY)
        assert pg.load("acme") == before and len(pg.history("acme")) == 2
        with pytest.raises(cl.StoreError, match="refused by a trigger"), pg.batch():
            console.add_client("beta", "Beta", TODAY)
            console.apply("acme", cl.Modify(maintenance="m1", quantity=11), TODAY)
        assert pg.load("acme") == before and "beta" not in pg
        # Refused when a read writes them first: the read raises, later writes are
        # refused, and leaving the block normally still commits nothing.
        with pytest.raises(cl.StoreError, match="failed earlier"), pg.batch():
            console.apply("acme", cl.Modify(maintenance="m1", quantity=11), TODAY)
            with pytest.raises(cl.StoreError, match="refused by a trigger"):
                pg.history("acme")
            with pytest.raises(cl.StoreError, match="failed earlier"):
                console.add_client("beta", "Beta", TODAY)
        assert pg.load("acme") == before and "beta" not in pg
        with pg.batch():  # the handle works again
            console.add_client("beta", "Beta", TODAY)
        assert "beta" in pg
    finally:
        pg._db.execute("DROP TRIGGER refuse ON events")


def test_two_apply_each_over_the_same_clients_in_any_order_both_commit(
    postgres_url: str, engine: cl.Engine
) -> None:
    """`apply_each` locks its clients up front in id order: two of them over the same
    clients, asked in opposite orders, wait for each other instead of deadlocking."""
    import threading

    partner = "each-" + uuid.uuid4().hex[:6]
    setup = cl.open_store(postgres_url, partner)
    ids = [f"c{i:03d}" for i in range(60)]
    with setup.batch():
        for cid in ids:
            cl.Console(engine, setup).add_client(cid, cid, TODAY)
    results: list[Any] = []

    def worker(order: list[str]) -> None:
        store = cl.open_store(postgres_url, partner)
        try:
            results.append(cl.Console(engine, store).apply_each(order, request(quantity=1), TODAY))
        except BaseException as exc:  # pragma: no cover - reported below
            results.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(o,)) for o in (ids, ids[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, dict) for r in results), results
    assert all(isinstance(c, cl.Change) for r in results for c in r.values())
    assert {setup.load(cid)[1] for cid in ids} == {3}
    setup.close()


def test_a_deadlock_is_a_typed_retryable_error(postgres_url: str) -> None:
    """R3 0/6 item 17: two batches that lock two clients in opposite orders; the one
    PostgreSQL picks as the victim gets a RetryableError (not a bare StoreError), and
    the other commits."""
    import threading
    import uuid

    partner = "dl-" + uuid.uuid4().hex[:6]
    engine = cl.Engine(cl.load_catalog())
    setup = cl.open_store(postgres_url, partner)
    console = cl.Console(engine, setup)
    console.add_client("x", "X", TODAY)
    console.add_client("y", "Y", TODAY)
    setup.close()
    both = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def run(first: str, second: str) -> None:
        store = cl.open_store(postgres_url, partner)
        try:
            with store.batch():
                store.load(first)
                both.wait()
                store.load(second)
        except BaseException as exc:  # collected for the assertions below
            errors.append(exc)
        finally:
            store.close()

    threads = [
        threading.Thread(target=run, args=("x", "y")),
        threading.Thread(target=run, args=("y", "x")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) == 1, errors
    assert isinstance(errors[0], cl.RetryableError) and errors[0].outcome_known
    assert "deadlock" in str(errors[0])


def _tenancy(postgres_url: str) -> tuple[str, str, str]:
    """A database owned by a role the application never logs in as, with two
    application roles (DML grants only) bound to partners A and B: their URLs."""
    import psycopg

    admin = postgres_url.replace("cytolicense_app@/cytolicense", "cytolicense@/postgres")
    db = f"tn_{uuid.uuid4().hex[:6]}"
    owner, role_a, role_b = f"{db}_owner", f"{db}_a", f"{db}_b"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"CREATE ROLE {role_a} LOGIN")
        conn.execute(f"CREATE ROLE {role_b} LOGIN")
        conn.execute(f"CREATE DATABASE {db} OWNER {owner}")

    def url(role: str) -> str:
        return postgres_url.replace("cytolicense_app@/cytolicense", f"{role}@/{db}")

    cl.open_store(url(owner), "A").close()  # the owner creates the schema
    with psycopg.connect(url(owner), autocommit=True) as conn:
        for role, partner in ((role_a, "A"), (role_b, "B")):
            conn.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON clients, events, pools, "
                f"pool_events, expiries, feed_heads, feed, webhooks, deliveries, "
                f"operators, requests, change_marks, partner_settings TO {role}"
            )
            conn.execute(f"GRANT SELECT, INSERT ON audit TO {role}")  # append-only
            conn.execute(f"GRANT SELECT ON cytolicense_meta TO {role}")
            conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
            conn.execute(
                "INSERT INTO cytolicense_tenants (role_name, partner) VALUES (%s, %s)",
                (role, partner),
            )
    return url(owner), url(role_a), url(role_b)


def test_a_partners_role_cannot_reach_another_partner(postgres_url: str, engine: cl.Engine) -> None:
    """R3 0/6 item 11: the red team's attempts, as raw SQL from partner A's role."""
    import psycopg

    _, url_a, url_b = _tenancy(postgres_url)
    b = cl.open_store(url_b, "B")
    cl.Console(engine, b).add_client("secret", "B's client", TODAY)
    b.credit_pool("cytomic-edr", "1y", 7, TODAY)
    b.close()
    with pytest.raises(cl.StoreError, match="does not act for partner 'B'"):
        cl.open_store(url_a, "B")
    a = cl.open_store(url_a, "A")
    cl.Console(engine, a).add_client("mine", "A's client", TODAY)
    assert [c.id for c in a.clients()] == ["mine"] and a.pool().lines == ()
    a.close()

    attempts = [
        "SELECT set_config('cytolicense.partner', 'B', false); SELECT id FROM clients",
        "SET cytolicense.partner = 'B'; SELECT id FROM clients WHERE partner = 'B'",
        "SELECT set_config('cytolicense.partner', 'B', true); SELECT * FROM events",
        "SELECT id FROM clients WHERE partner = 'B'",
        "SELECT * FROM pools",
        "SELECT * FROM pool_events",
        "SELECT * FROM expiries",
        "SELECT * FROM cytolicense_tenants",
        "SET row_security = off; SELECT id FROM clients",
        "ALTER TABLE clients DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE clients NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY cytolicense_partner ON clients",
        "UPDATE cytolicense_tenants SET partner = 'B'",
        "INSERT INTO cytolicense_tenants VALUES (session_user, 'B')",
        "CREATE OR REPLACE FUNCTION cytolicense_partner() RETURNS text "
        "LANGUAGE sql AS $$ SELECT 'B' $$",
        "SET ROLE " + url_b.split("//")[1].split("@")[0] + "; SELECT id FROM clients",
        "UPDATE clients SET name = 'x' WHERE partner = 'B' RETURNING id",
        "DELETE FROM clients WHERE partner = 'B' RETURNING id",
        "UPDATE clients SET partner = 'B' WHERE id = 'mine' RETURNING id",
        "INSERT INTO pools VALUES ('B', 'cytomic-edr', '1y', 1000) RETURNING item",
        "UPDATE pools SET seats = 0 WHERE partner = 'B' RETURNING item",
        "TRUNCATE clients CASCADE",
        "SELECT partner, client_id FROM feed",  # B's events, in its feed
        "SELECT partner, position FROM feed_heads WHERE partner = 'B'",
    ]
    assert len(attempts) == 24
    reached = []
    for sql in attempts:
        with psycopg.connect(url_a, autocommit=True) as conn:
            rows: list[Any] = []
            try:
                for statement in sql.split("; "):
                    cur = conn.execute(statement)
                    if cur.description and not statement.startswith("SELECT set_config"):
                        rows.extend(cur.fetchall())
            except psycopg.Error:
                continue  # refused: did not reach B
            # What B has: its client, its name, its partner column, its pool line.
            if [r for r in rows if {"secret", "B's client", "B", 7} & set(r)]:
                reached.append((sql, rows))
    assert reached == []
    # B's data is intact.
    b = cl.open_store(url_b, "B")
    try:
        assert b.get("secret").name == "B's client"
        assert b.pool().seats("cytomic-edr", "1y") == 7
    finally:
        b.close()


def test_a_schema_6_database_gains_the_idempotency_keys(postgres_url: str) -> None:
    partner = f"p-{uuid.uuid4().hex[:8]}"
    store = cl.open_store(postgres_url, partner)
    store._db.execute("DROP TABLE idempotency_keys")
    store._db.execute("UPDATE cytolicense_meta SET value = '6' WHERE key = 'schema'")
    store.close()
    store = cl.open_store(postgres_url, partner)
    try:
        assert store._schema_version() == SCHEMA_VERSION
        assert store.find_key("nothing") is None
        (forced,) = store._db.execute(
            "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'idempotency_keys'"
        ).fetchone()
        assert forced
    finally:
        store.close()


def test_a_batchs_pool_movements_are_checked_and_undone_with_it(
    postgres_url: str, engine: cl.Engine
) -> None:
    """The held-back pool movements: a strict pool's floor is checked when the batch
    ends (another writer took the seats meanwhile: the whole batch is undone), and an
    inner batch that fails takes its movements with it."""
    partner = "floor-" + uuid.uuid4().hex[:6]
    strict = cl.Engine(cl.load_catalog(), pool_shortage="error")
    store, other = cl.open_store(postgres_url, partner), cl.open_store(postgres_url, partner)
    mine, theirs = cl.Console(strict, store), cl.Console(strict, other)
    mine.credit_pool("cytomic-edr", "1y", 10, TODAY)
    for cid in ("a", "b", "c"):
        mine.add_client(cid, cid, TODAY)
    take6 = cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=6, period="1y"
    )
    with pytest.raises(cl.PoolShortageError), store.batch():
        mine.apply("a", take6, TODAY)  # the batch's view: 4 left
        theirs.apply("b", take6, TODAY)  # not held up: committed, 4 left
    assert store.pool().seats("cytomic-edr", "1y") == 4
    assert store.get("a").maintenances == ()  # nothing of the batch kept
    take2 = attrs.evolve(take6, quantity=2)
    with store.batch():
        mine.apply("a", take2, TODAY)
        with pytest.raises(RuntimeError), store.batch():
            mine.apply("c", take2, TODAY)
            raise RuntimeError("the inner batch fails")
        assert store.pool().seats("cytomic-edr", "1y") == 2
    assert store.pool().seats("cytomic-edr", "1y") == 2
    assert store.get("c").maintenances == () and len(store.get("a").maintenances) == 1
    assert store.verify() == []
    store.close()
    other.close()


def test_a_batchs_pool_credits_each_movement_once_and_forgets_an_undone_one(
    postgres_url: str,
) -> None:
    """Inside a batch the pool is the one read at its start plus the batch's movements,
    kept as they are credited (not replayed at every read); a write undone by its
    savepoint takes its movements with it, and the next reads do not see them."""
    import uuid

    partner = f"poolview-{uuid.uuid4().hex[:8]}"
    engine = cl.Engine(cl.load_catalog())
    console = cl.Console(engine, cl.open_store(postgres_url, partner))
    today = dt.date(2026, 11, 27)
    request = cl.AssignmentRequest(
        product="cytomic-edr", license_type="commercial", quantity=3, period="1y"
    )
    try:
        console.credit_pool("cytomic-edr", "1y", 50, today)
        for i in range(4):
            console.add_client(f"c{i}", f"C{i}", today)
        store = console.store
        with store.batch():
            console.apply("c0", request, today)
            assert store.pool().seats("cytomic-edr", "1y") == 47
            with pytest.raises(RuntimeError), store.batch():
                console.apply("c1", request, today)
                assert store.pool().seats("cytomic-edr", "1y") == 44
                raise RuntimeError("undo this client's write")
            assert store.pool().seats("cytomic-edr", "1y") == 47
            console.apply("c2", request, today)
            console.apply("c3", request, today)
            assert store.pool().seats("cytomic-edr", "1y") == 41
        assert console.store.pool().seats("cytomic-edr", "1y") == 41
        assert [c.id for c in console.store.clients() if c.maintenances] == ["c0", "c2", "c3"]
    finally:
        console.store.close()
