"""The store contract, run against both backends: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cytolicense as cl

from .conftest import SOAK
from .store_worker import REQUEST, TODAY

Factory = Callable[[str], Any]


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """A function opening a store handle for a partner, on the parametrized backend."""
    opened: list[Any] = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'contract.db'}"
        prefix = ""
    else:
        url = request.getfixturevalue("postgres_url")
        prefix = uuid.uuid4().hex[:8] + "-"  # one server for the session: fresh partners

    def make(partner: str) -> Any:
        store = cl.open_store(url, prefix + partner)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog())


def test_round_trip_history_and_versions(open_store: Factory, engine: cl.Engine) -> None:
    store = open_store("a")
    console = cl.Console(engine, store)
    console.add_client("acme", "ACME", TODAY)
    console.apply("acme", REQUEST, TODAY, actor="ana")
    client, version = store.load("acme")
    assert version == 2 and client.maintenances[0].product == REQUEST.product
    events = store.history("acme")
    assert [type(e).__name__ for e in events] == ["ClientCreated", "ProductAssigned"]
    assert events[1].actor == "ana" and cl.replay(events) == client
    assert "acme" in store and len(store) == 1


def test_conflicts_and_taken_ids(open_store: Factory, engine: cl.Engine) -> None:
    store = open_store("a")
    console = cl.Console(engine, store)
    console.add_client("acme", "ACME", TODAY)
    with pytest.raises(cl.ClientExistsError, match="already exists"):
        console.add_client("acme", "Again", TODAY)
    client, version = store.load("acme")
    store.save(engine.assign(client, REQUEST, TODAY), version)
    with pytest.raises(cl.ConflictError):
        store.save(engine.assign(client, attrs.evolve(REQUEST, quantity=7), TODAY), version)
    with pytest.raises(ValueError, match="creates client"):
        store.save(engine.new_client("acme", "Other", TODAY), 2)
    assert len(store.history("acme")) == 2


def test_partners_stay_apart(open_store: Factory, engine: cl.Engine) -> None:
    a, b = open_store("a"), open_store("b")
    cl.Console(engine, a).add_client("acme", "ACME", TODAY)
    assert "acme" not in b and b.clients() == [] and b.rows() == []
    with pytest.raises(cl.NotFoundError):
        b.get("acme")


def test_a_refused_operation_in_a_batch_leaves_nothing(
    open_store: Factory, engine: cl.Engine
) -> None:
    store = open_store("a")
    console = cl.Console(engine, store)
    with pytest.raises(cl.RuleViolation), store.batch():
        console.add_client("x", "X", TODAY)
        console.apply("x", attrs.evolve(REQUEST, quantity=0), TODAY)
    assert len(store) == 0


def test_lists_and_the_pool_equal_the_engine(open_store: Factory, engine: cl.Engine) -> None:
    store = open_store("a")
    console = cl.Console(engine, store)
    console.credit_pool(REQUEST.product, "1y", 50, TODAY)
    for i, days in enumerate((0, 200, 330, 400)):
        day = TODAY - dt.timedelta(days=days)
        console.add_client(f"c{i}", f"Client {i}", day)
        console.apply(f"c{i}", attrs.evolve(REQUEST, quantity=5), day)
    console.delete_client("c1", TODAY)
    clients = store.clients()
    for day in (TODAY, TODAY + dt.timedelta(days=60), TODAY + dt.timedelta(days=200)):
        assert store.monitoring(day) == engine.monitoring(clients, day)
        assert store.expiring(day, 60) == engine.expiring(clients, day, 60)
        assert [r.id for r in store.rows(day, shown=True)] == [c.id for c in store.monitoring(day)]
    assert store.pool().seats(REQUEST.product, "1y") == 50 - 4 * 5 + sum(
        e.seats for e in store.pool_history() if e.kind == "recovered"
    )
    assert cl.replay_pool(store.pool_history()) == store.pool()
    # What an operation reads, together (one statement on PostgreSQL): the same answers.
    for cid in ("c0", "c1"):
        assert store.load_with_pool(cid) == (*store.load(cid), store.pool())
        with store.batch():
            assert store.load_with_pool(cid) == (*store.load(cid), store.pool())
    with pytest.raises(cl.NotFoundError):
        store.load_with_pool("nobody")
    other = open_store("b")  # a partner without a pool
    cl.Console(engine, other).add_client("x", "X", TODAY)
    assert other.load_with_pool("x") == (*other.load("x"), cl.Pool(()))


# -- a batch holds the clients it reads and writes their saves together --------------------

_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["assign", "modify", "delete_service", "delete_client", "read", "nested"]),
        st.integers(0, 2),  # which client
        st.integers(0, 40),  # a day offset, or seats
    ),
    min_size=1,
    max_size=14,
)


def _play(console: cl.Console, steps: list[tuple[str, int, int]], pooled: bool) -> list[str]:
    """Carry out *steps*; what each did (refusals included), as text."""
    said: list[str] = []
    for kind, who, n in steps:
        cid = f"c{who}"
        day = TODAY + dt.timedelta(days=n)
        try:
            if kind == "assign":
                if cid not in console.store:
                    console.add_client(cid, cid.upper(), TODAY)
                console.apply(cid, attrs.evolve(REQUEST, quantity=1 + n % 7), day)
            elif kind == "modify":
                console.apply(cid, cl.Modify(maintenance="m1", quantity=1 + n), day)
            elif kind == "delete_service":
                console.delete_service(cid, "m1", day)
            elif kind == "delete_client":
                console.delete_client(cid, day)
            elif kind == "read":  # reads that need the held-back rows
                said.append(repr([type(e).__name__ for e in console.history(cid)]))
                said.append(repr(console.store.rows(day)))
                said.append(repr(console.expiring(day, 400)))
            else:  # a batch inside the batch, undone: what it held back goes with it
                with pytest.raises(KeyError), console.store.batch():
                    console.apply(cid, attrs.evolve(REQUEST, quantity=3), day)
                    raise KeyError("undo")
            said.append(f"{kind} {cid}: ok")
        except (cl.RuleViolation, cl.NotFoundError, ValueError) as exc:
            said.append(f"{kind} {cid}: {type(exc).__name__}")
        said.append(repr(console.store.load(cid) if cid in console.store else None))
    return said


def _state(store: Any) -> list[Any]:
    clients = store.clients()
    return [
        [(c, store.load(c.id)[1], store.history(c.id)) for c in clients],
        [r._replace() for r in store.rows()],
        store.expiring(TODAY, 400),
        store.pool(),
        [attrs.evolve(e) for e in store.pool_history()],
    ]


@settings(
    max_examples=5_000 if SOAK else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=_STEPS, pooled=st.booleans())
def test_a_batch_gives_what_the_same_saves_give_one_by_one(
    open_store: Factory, engine: cl.Engine, steps: list[tuple[str, int, int]], pooled: bool
) -> None:
    """Saves in a batch are checked at once and written at its end (or before a read
    that needs them): every answer inside the batch, and the stored result, are those
    of the same steps without a batch; a stale save is still a conflict."""
    tag = uuid.uuid4().hex[:6]
    one, many = open_store(f"one-{tag}"), open_store(f"many-{tag}")
    out = []
    for store, batched in ((one, False), (many, True)):
        console = cl.Console(engine, store)
        if pooled:
            console.credit_pool(REQUEST.product, "1y", 12, TODAY)
        if batched:
            with store.batch():
                said = _play(console, steps, pooled)
                held = store.load("c0") if "c0" in store else None
                if held is not None and held[0].deleted_on is None and held[1] > 1:
                    # a save made from a stale version: refused, the batch goes on
                    stale = engine.delete_client(held[0], held[0].last_change)
                    with pytest.raises(cl.ConflictError):
                        store.save(stale, held[1] - 1)
        else:
            said = _play(console, steps, pooled)
        out.append((said, _state(store)))
        store.close()  # one connection per store and example (a soak runs thousands)
    assert out[0] == out[1]


def test_apply_each_carries_out_one_operation_on_many_clients(
    open_store: Factory, engine: cl.Engine
) -> None:
    """Every client gets what `apply` would give it alone; a refusal or an unknown id
    is that client's answer and the rest commit; clients are read 500 at a time."""
    one, each = open_store("one"), open_store("each")
    ids = [f"c{i:04d}" for i in range(1_203)]
    for store in (one, each):
        console = cl.Console(engine, store)
        with store.batch():
            for cid in ids:
                # c0007: added 300 days ago, never served: hidden, so refused
                day = TODAY - dt.timedelta(days=300 if cid == "c0007" else 0)
                console.add_client(cid, cid.upper(), day)
    asked = ["nobody", *ids, "c0001"]  # the repeated id counts once
    got = cl.Console(engine, each).apply_each(asked, REQUEST, TODAY, actor="bulk")
    assert list(got) == asked[:-1]
    assert isinstance(got["nobody"], cl.NotFoundError)
    assert isinstance(got["c0007"], cl.RuleViolation)
    alone = {}
    for cid in ids:
        try:
            alone[cid] = cl.Console(engine, one).apply(cid, REQUEST, TODAY, actor="bulk")
        except cl.RuleViolation as exc:
            alone[cid] = exc
    assert {k: v for k, v in got.items() if k != "nobody"}.keys() == alone.keys()
    for cid in ids:
        if cid != "c0007":
            assert got[cid] == alone[cid]
            assert each.load(cid) == one.load(cid)
            assert each.history(cid) == one.history(cid)
    assert each.load("c0007") == one.load("c0007")
    assert each.expiring(TODAY, 400) == one.expiring(TODAY, 400)
    loaded = each.load_many(["c0002", "nobody", "c0001"])
    assert list(loaded) == ["c0002", "c0001"] and loaded["c0001"] == each.load("c0001")


def test_inside_a_batch_reads_see_the_batchs_saves(open_store: Factory, engine: cl.Engine) -> None:
    """Lists, histories and the expiry index read inside a batch see its held-back
    saves (written first); an inner batch first writes what the outer one held
    back, and undoing it undoes only its own saves."""
    store = open_store("a")
    console = cl.Console(engine, store)
    for cid in ("a", "b"):
        console.add_client(cid, cid.upper(), TODAY)
        console.apply(cid, REQUEST, TODAY)
    with store.batch():
        console.apply("a", cl.DeleteService(maintenance="m1"), TODAY)
        assert store.load_many(["a", "b"])["a"] == store.load("a")  # the batch's state
        assert [r.products for r in store.rows(TODAY)] == [(), (REQUEST.product,)]
        assert [e.client_id for e in store.expiring(TODAY, 400)] == ["b"]
        console.apply("b", cl.DeleteService(maintenance="m1"), TODAY)
        with pytest.raises(KeyError), store.batch():
            console.apply("a", REQUEST, TODAY)
            raise KeyError("undo the inner batch")
        assert len(store.history("a")) == 3 and len(store.history("b")) == 3
        with store.batch():  # an inner batch that commits with the outer one
            console.apply("b", REQUEST, TODAY)
    clients = store.clients()
    assert store.expiring(TODAY, 400) == engine.expiring(clients, TODAY, 400)
    assert [e.client_id for e in store.expiring(TODAY, 400)] == ["b"]
    assert [store.load(c)[1] for c in ("a", "b")] == [3, 4]


class _PlainStore:
    """A store with the protocol's methods only (no load_with_pool, no load_many)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        for name in ("load", "get", "save", "batch", "pool", "history", "clients", "close"):
            setattr(self, name, getattr(inner, name))

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._inner


def test_a_console_over_a_store_with_the_protocol_only(
    open_store: Factory, engine: cl.Engine
) -> None:
    store = open_store("a")
    plain = cl.Console(engine, _PlainStore(store))  # type: ignore[arg-type]
    plain.add_client("a", "A", TODAY)
    got = plain.apply_each(["a", "nobody"], REQUEST, TODAY)
    assert isinstance(got["a"], cl.Change) and isinstance(got["nobody"], cl.NotFoundError)
    plain.apply("a", REQUEST, TODAY)
    assert store.load("a")[1] == 3


def test_a_strict_pool_holds_under_two_writers(open_store: Factory) -> None:
    """R3 0/6 item 3: with ``pool_shortage=error`` two handles that each read 10 seats
    and each take 10 must not leave the pool at -10: the second save is refused
    inside its transaction, and writes nothing."""
    strict = cl.Engine(cl.load_catalog(), pool_shortage="error")
    a, b = open_store("p"), open_store("p")
    ca, cb = cl.Console(strict, a), cl.Console(strict, b)
    ca.add_client("one", "One", TODAY)
    ca.add_client("two", "Two", TODAY)
    period = REQUEST.period
    assert period is not None
    ca.credit_pool(REQUEST.product, period, 10, TODAY)
    req = attrs.evolve(REQUEST, quantity=10, modules={})
    # Both decide on the pool as it is now (10 seats) ...
    first = strict.apply(a.get("one"), req, TODAY, pool=a.pool())
    second = strict.apply(b.get("two"), req, TODAY, pool=b.pool())
    assert first.pool_floor and second.pool_floor
    a.save(first, 1)
    with pytest.raises(cl.PoolShortageError, match="another writer took them first") as info:
        b.save(second, 1)
    assert isinstance(info.value, cl.ConflictError)  # a retry loop handles it as one
    assert info.value.item == REQUEST.product and info.value.seats == -10
    assert b.pool().seats(REQUEST.product, period) == 0
    assert b.load("two")[1] == 1 and len(b.history("two")) == 1  # nothing written
    # Retried, the engine refuses it with the finding.
    with pytest.raises(cl.RuleViolation) as refused:
        cb.apply("two", req, TODAY)
    assert refused.value.decision.codes == ("pool.insufficient",)
    # The warning engine (Nexus) still lets the pool go below zero.
    loose = cl.Console(cl.Engine(cl.load_catalog()), b)
    assert not loose.apply("two", req, TODAY).pool_floor
    assert b.pool().seats(REQUEST.product, period) == -10


def test_idempotency_keys(open_store: Factory, engine: cl.Engine) -> None:
    """R3 1/6: a retried apply with its key applies nothing and answers the same."""
    a, b = open_store("a"), open_store("b")
    ca, cb = cl.Console(engine, a), cl.Console(engine, b)
    for console in (ca, cb):
        console.add_client("acme", "ACME", TODAY)
        console.add_client("beta", "Beta", TODAY)
    first = ca.apply("acme", REQUEST, TODAY, actor="ana", key="req-1")
    again = ca.apply("acme", REQUEST, TODAY, actor="ana", key="req-1")
    assert again == first
    assert a.load("acme")[1] == 2 and len(a.history("acme")) == 2  # applied once
    # The same key with another operation, or for another client: a conflict.
    other = attrs.evolve(REQUEST, quantity=11)
    with pytest.raises(cl.KeyConflictError, match="was first used for another operation"):
        ca.apply("acme", other, TODAY, key="req-1")
    with pytest.raises(cl.ConflictError):
        ca.apply("beta", REQUEST, TODAY, key="req-1")
    assert a.load("beta")[1] == 1
    # Keys are the partner's: partner b's "req-1" is its own.
    mine = cb.apply("beta", other, TODAY, key="req-1")
    assert mine.client.id == "beta" and b.find_key("req-1") is not None
    assert a.find_key("req-1").client_id == "acme"  # type: ignore[union-attr]
    # A refused operation stores no key: the same key may carry a good one later.
    with pytest.raises(cl.RuleViolation):
        ca.apply("beta", attrs.evolve(REQUEST, quantity=0), TODAY, key="req-2")
    assert a.find_key("req-2") is None
    # Two writers racing with one key: one applies, the other gets its answer.
    first_handle, second_handle = cl.Console(engine, open_store("a")), ca
    change = engine.apply(first_handle.store.get("beta"), REQUEST, TODAY)
    from cytolicense.store._serialize import compact, to_data

    record = cl.KeyRecord(
        key="req-3", client_id="beta", operation=compact(to_data(REQUEST)), created_on=TODAY
    )
    first_handle.store.save(change, 1, key=record)
    raced = second_handle.apply("beta", REQUEST, TODAY, key="req-3")
    assert raced == change and a.load("beta")[1] == 2
    # apply_each with a key: a retried batch applies nothing twice.
    ca.add_client("c1", "C1", TODAY)
    ca.add_client("c2", "C2", TODAY)
    done = ca.apply_each(["c1", "c2"], REQUEST, TODAY, key="batch-7")
    redone = ca.apply_each(["c1", "c2"], REQUEST, TODAY, key="batch-7")
    assert done == redone and [a.load(c)[1] for c in ("c1", "c2")] == [2, 2]
    # Pruned keys are forgotten (and only this partner's).
    assert ca.prune_keys(TODAY) == 0
    assert ca.prune_keys(TODAY + dt.timedelta(days=1)) == 4  # req-1, req-3, batch-7/c1, c2
    assert a.find_key("req-1") is None and b.find_key("req-1") is not None
    with pytest.raises(ValueError, match="1 to 200 printable"):
        ca.apply("acme", REQUEST, TODAY, key="x" * 201)
