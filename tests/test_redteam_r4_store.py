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
