"""An audited write on PostgreSQL (``PostgresStore.audited``): a console's change and
its audit entry in one transaction without a batch, one statement when the change
saves one client. Counted in round trips (libpq's trace of the protocol: one
``ReadyForQuery`` a round trip), and held to what the batch guaranteed: the entry
commits with the change or neither does, a lost race writes nothing and is retried,
a taken key answers with the stored change, a strict pool is not overdrawn, and a
read that locks holds its lock to the commit."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cytolicense as cl

from .conftest import request

D = dt.date
TODAY = D(2026, 11, 27)


@pytest.fixture
def partner() -> str:
    return f"aud-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pg(postgres_url: str, partner: str) -> Iterator[Any]:
    store = cl.open_store(postgres_url, partner)
    # Statements are not prepared (a statement's fifth run adds a round trip to
    # prepare it): the counts below are the path's own.
    store._db.prepare_threshold = None
    yield store
    store.close()


def round_trips(store: Any, call: Callable[[], object]) -> tuple[int, list[str]]:
    """The round trips *call* makes on *store*'s connection, and the statements it
    sends, from libpq's trace."""
    from psycopg import pq

    with tempfile.TemporaryFile("w+") as trace:
        store._db.pgconn.trace(trace.fileno())
        store._db.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            call()
        finally:
            store._db.pgconn.untrace()
        trace.seek(0)
        lines = [line.split("\t") for line in trace.read().splitlines()]
    trips = sum(1 for f in lines if f[0] == "B" and f[2] == "ReadyForQuery")
    sent = [f[3].strip() for f in lines if f[0] == "F" and f[2] in ("Parse", "Query")]
    return trips, sent


def entry(client: str = "acme", action: str = "modify") -> Callable[[], cl.AuditEntry]:
    return lambda: cl.AuditEntry(
        at=dt.datetime.now(dt.UTC),
        operator=None,
        client=client,
        action=action,
        outcome="applied",
        codes=(),
    )


def applied(console: cl.Console) -> list[cl.AuditEntry]:
    return [e for e in console.audit(limit=1000) if e.outcome == "applied"]


def test_an_audited_apply_is_two_round_trips(pg: Any, engine: cl.Engine) -> None:
    """The client and the pool read together, then one statement writing the client,
    its event, its expiry row, its feed item and its audit entry: no BEGIN, no lock
    read, no savepoint (the batch path took twelve)."""
    console = cl.Console(engine, pg)
    trips, sent = round_trips(pg, lambda: console.add_client("acme", "ACME", TODAY))
    assert trips == 1 and "INSERT INTO audit" in sent[0]
    trips, sent = round_trips(pg, lambda: console.apply("acme", request(), TODAY))
    assert trips == 2, sent
    assert "FROM pools" in sent[0] and "FOR UPDATE" not in sent[0]
    assert sent[1].startswith('"" "WITH up AS (UPDATE clients')
    for part in ("INSERT INTO events", "INSERT INTO expiries", "feed_heads", "INSERT INTO audit"):
        assert part in sent[1]
    # Refused: the read, then the refusal's entry (its own transaction: one statement).
    refused = cl.Modify(maintenance="m1", quantity=0)

    def refuse() -> None:
        with pytest.raises(cl.RuleViolation):
            console.apply("acme", refused, TODAY)

    trips, sent = round_trips(pg, refuse)
    assert trips == 2 and "INSERT INTO audit" in sent[1]
    assert [type(e).__name__ for e in console.history("acme")] == [
        "ClientCreated",
        "ProductAssigned",
    ]
    assert [i.position for i in console.feed()] == [1, 2]
    assert [(e.action, e.outcome) for e in console.audit()] == [
        ("modify", "refused"),
        ("assign", "applied"),
        ("add_client", "applied"),
    ]


def test_the_other_audited_writes_take_no_savepoint(pg: Any, engine: cl.Engine) -> None:
    """A keyed apply, an apply that moves the pool and a credit of the pool: one
    transaction begun at the first write (not before the reads), no savepoint."""
    console = cl.Console(engine, pg)
    console.add_client("acme", "ACME", TODAY)
    console.add_client("beta", "Beta", TODAY)
    counts = {}
    for name, call in [
        ("keyed", lambda: console.apply("acme", request(), TODAY, key="k-1")),
        ("replayed", lambda: console.apply("acme", request(), TODAY, key="k-1")),
        ("credit", lambda: console.credit_pool("edr", "1y", 30, TODAY)),
        ("pool", lambda: console.apply("beta", request(), TODAY)),
    ]:
        trips, sent = round_trips(pg, call)
        assert not [s for s in sent if "SAVEPOINT" in s or "FOR UPDATE" in s], sent
        assert sent.count('"COMMIT"') == sent.count('"BEGIN"') <= 1
        counts[name] = trips
    # keyed: three reads, BEGIN, the key, the change, the entry, COMMIT; replayed: two
    # reads and the entry; the pool's: a read, BEGIN, the change, the pool's lock, its
    # balance and movement, the entry, COMMIT.
    assert counts == {"keyed": 8, "replayed": 3, "credit": 8, "pool": 8}
    assert pg.pool().seats("edr", "1y") == 20 and pg.verify() == []
    assert len(applied(console)) == 2 + 4


def test_an_entry_the_database_refuses_takes_the_change_with_it(
    pg: Any, engine: cl.Engine, partner: str
) -> None:
    """The entry written in the change's own statement (or transaction): when the
    database refuses it, nothing of the change is kept, and the refusal is audited."""
    console = cl.Console(engine, pg)
    console.credit_pool("edr", "1y", 30, TODAY)
    console.add_client("acme", "ACME", TODAY)
    console.add_client("beta", "Beta", TODAY)
    console.apply("beta", request(), TODAY)
    pg._db.execute(
        "CREATE OR REPLACE FUNCTION refuse_applied() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN IF NEW.outcome = 'applied' AND NEW.partner = '{partner}' THEN "
        "RAISE EXCEPTION 'entry refused by a trigger'; END IF; RETURN NEW; END $$"
    )
    pg._db.execute(
        "CREATE TRIGGER refuse_applied BEFORE INSERT ON audit FOR EACH ROW "
        "EXECUTE FUNCTION refuse_applied()"
    )
    try:
        before = (pg.load("acme"), pg.load("beta"), pg.pool(), console.feed(), pg.history("beta"))
        calls: list[Callable[[], object]] = [
            lambda: console.apply("acme", request(), TODAY),  # one statement
            lambda: console.apply("beta", cl.Modify(maintenance="m1", quantity=3), TODAY),
            lambda: console.add_client("gamma", "Gamma", TODAY),
            lambda: console.credit_pool("edr", "1y", 5, TODAY),  # a transaction
            lambda: console.apply("acme", request(quantity=2), TODAY, key="k"),
        ]
        for call in calls:
            with pytest.raises(cl.StoreError, match="entry refused by a trigger"):
                call()
        after = (pg.load("acme"), pg.load("beta"), pg.pool(), console.feed(), pg.history("beta"))
        assert after == before and "gamma" not in pg and pg.find_key("k") is None
        refused = [e for e in console.audit(limit=len(calls)) if e.outcome == "refused"]
        assert len(refused) == len(calls)
    finally:
        pg._db.execute("DROP TRIGGER refuse_applied ON audit")
    assert pg.verify() == []


def _other(postgres_url: str, partner: str, engine: cl.Engine) -> cl.Console:
    """Another handle's console; it waits at most 5 s for a lock (a read that locked
    the client would hold it up: an error, not a test that never ends)."""
    store = cl.open_store(postgres_url, partner)
    store._db.execute("SET lock_timeout = '5s'")  # type: ignore[attr-defined]
    return cl.Console(engine, store)


def _interleaved(store: Any, between: Callable[[], object]) -> None:
    """Run *between* (another handle's write) once, right after the store's next read
    of a client and the pool: the console's write then comes second."""
    read = store.load_with_pool

    def once(client_id: str) -> Any:
        found = read(client_id)
        store.load_with_pool = read
        between()
        return found

    store.load_with_pool = once


def test_a_lost_race_writes_nothing_and_is_retried(
    pg: Any, engine: cl.Engine, postgres_url: str, partner: str
) -> None:
    other = _other(postgres_url, partner, engine)
    try:
        console = cl.Console(engine, pg)
        console.add_client("acme", "ACME", TODAY)
        console.apply("acme", request(), TODAY)
        modify = cl.Modify(maintenance="m1", quantity=12)
        # Without a retry: the conflict, nothing of the loser, its refusal audited.
        _interleaved(
            pg, lambda: other.apply("acme", cl.Modify(maintenance="m1", quantity=11), TODAY)
        )
        with pytest.raises(cl.ConflictError):
            console.apply("acme", modify, TODAY)
        assert pg.get("acme").maintenances[0].quantity == 11
        assert console.audit(limit=1)[0].codes == ("conflict",)
        # Retried (Retry(conflicts=True)): decided again on the client as it now is.
        retrying = cl.Console(engine, pg, retry=cl.Retry(backoff=0.001, conflicts=True))
        _interleaved(
            pg, lambda: other.apply("acme", cl.Modify(maintenance="m1", quantity=13), TODAY)
        )
        before = len(applied(console))
        retrying.apply("acme", modify, TODAY)
        assert pg.get("acme").maintenances[0].quantity == 12
        assert len(applied(console)) == before + 2  # the other's and the retried one
        quantities = [
            e.maintenance.quantity
            for e in pg.history("acme")
            if type(e).__name__ == "LicensesModified"
        ]
        assert quantities == [11, 13, 12]
        assert [i.position for i in console.feed()] == list(range(1, 6))
        assert pg.verify() == []
    finally:
        other.store.close()


def test_a_key_taken_in_between_answers_with_the_stored_change(
    pg: Any, engine: cl.Engine, postgres_url: str, partner: str
) -> None:
    """Two requests with one key: the second finds no key, decides, and finds the key
    taken when it writes (the key first: nothing of its own change was written); it
    answers as the first did, and only the first's change is kept."""
    other = _other(postgres_url, partner, engine)
    try:
        console = cl.Console(engine, pg)
        console.add_client("acme", "ACME", TODAY)
        console.apply("acme", request(), TODAY)
        modify = cl.Modify(maintenance="m1", quantity=12)
        find = pg.find_key
        calls: list[str] = []

        def late(key: str) -> Any:
            calls.append(key)
            if len(calls) == 1:
                return None  # not yet stored when first asked ...
            return find(key)

        pg.find_key = late
        _interleaved(pg, lambda: other.apply("acme", modify, TODAY, key="k"))  # ... stored now
        first = other.store.find_key("k")
        assert first is None
        answered = console.apply("acme", modify, TODAY, key="k")
        assert calls == ["k", "k"]
        stored = pg.find_key("k")
        assert stored is not None and answered == cl.from_json(cl.Change, stored.change)
        assert pg.load("acme")[1] == 3  # created, assigned, modified once
        assert len(pg.history("acme")) == 3
        assert [e.outcome for e in console.audit(limit=2)] == ["applied", "applied"]
        assert pg.verify() == []
    finally:
        other.store.close()


def test_a_strict_pool_is_not_overdrawn_by_an_audited_apply(
    postgres_url: str, partner: str
) -> None:
    strict = cl.Engine(cl.load_catalog(), pool_shortage="error")
    store = cl.open_store(postgres_url, partner)
    mine, theirs = cl.Console(strict, store), _other(postgres_url, partner, strict)
    other_store = theirs.store
    try:
        mine.credit_pool("cytomic-edr", "1y", 10, TODAY)
        mine.add_client("a", "A", TODAY)
        mine.add_client("b", "B", TODAY)
        take = cl.AssignmentRequest(
            product="cytomic-edr", license_type="commercial", quantity=6, period="1y"
        )
        _interleaved(store, lambda: theirs.apply("b", take, TODAY))
        with pytest.raises(cl.PoolShortageError):
            mine.apply("a", take, TODAY)
        assert store.pool().seats("cytomic-edr", "1y") == 4
        assert store.get("a").maintenances == ()
        assert [e.seats for e in store.pool_history()] == [10, -6]
        assert mine.audit(limit=1)[0].outcome == "refused"
        assert store.verify() == []
    finally:
        store.close()
        other_store.close()


def test_a_failed_write_fails_the_block_even_when_caught(
    pg: Any, engine: cl.Engine, postgres_url: str, partner: str
) -> None:
    """No savepoint inside the block: a write that failed, its error caught, leaves a
    block that commits nothing."""
    console = cl.Console(engine, pg)
    console.add_client("acme", "ACME", TODAY)
    client, version = pg.load("acme")  # remembered: a save from it is checked by its write
    with cl.open_store(postgres_url, partner) as other:
        other.save(engine.assign(client, request(quantity=3), TODAY), version)
    stale = engine.assign(client, request(), TODAY)
    entries = len(console.audit(limit=1000))
    # A save that waits for the entry fails when a later write writes it first.
    with pytest.raises(cl.StoreError, match="audited block failed"), pg.audited(entry()):
        pg.save(stale, version)  # waits
        with pytest.raises(cl.ConflictError):
            pg.credit_pool("edr", "1y", 5, TODAY)  # writes it first: refused
    assert pg.pool().lines == () and len(console.audit(limit=1000)) == entries
    # A save in the block's transaction fails at once: the same.
    with pytest.raises(cl.StoreError, match="audited block failed"), pg.audited(entry()):
        pg.credit_pool("edr", "1y", 5, TODAY)  # begins the transaction
        with pytest.raises(cl.ConflictError):
            pg.save(stale, version)
    assert pg.pool().lines == () and len(console.audit(limit=1000)) == entries
    with pg.audited(entry()):  # the handle works again
        pg.credit_pool("edr", "1y", 5, TODAY)
    assert pg.pool().seats("edr", "1y") == 5 and len(console.audit(limit=1000)) == entries + 1
    assert pg.get("acme").maintenances[0].quantity == 3


def test_a_locking_read_holds_its_lock_to_the_end_of_the_block(
    pg: Any, engine: cl.Engine, postgres_url: str, partner: str
) -> None:
    import psycopg

    console = cl.Console(engine, pg)
    console.add_operator(cl.Operator(id="boss", name="Boss", role="total_control"), TODAY)
    other = cl.open_store(postgres_url, partner)
    try:
        locked = "SELECT id FROM operators WHERE partner = %s FOR UPDATE NOWAIT"
        with pg.audited(entry(action="update_operator")):
            assert [o.id for o in pg.lock_operators()] == ["boss"]
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other._db.execute(locked, (partner,))
        assert other._db.execute(locked, (partner,)).fetchall() == [("boss",)]
    finally:
        other.close()
