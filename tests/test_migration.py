"""A version 1 SQLite file, written by round 1's code (tests/data/store-v1.db), opens
in this release: migrated in place, in one transaction, the new index back-filled."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import cytolicense as cl
from cytolicense.store._queries import rows_query
from cytolicense.store._sql import SqlStore
from cytolicense.store._sqlite_schema import SCHEMA_VERSION

DATA = Path(__file__).parent / "data"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    path = tmp_path / "v1.db"
    shutil.copy(DATA / "store-v1.db", path)
    return path


def test_a_version_1_file_is_migrated_in_place(v1: Path, engine: cl.Engine) -> None:
    expected = json.loads((DATA / "store-v1.json").read_text())
    with cl.Store(v1, "msp-1") as store:
        for cid, doc in expected["clients"]["msp-1"].items():
            assert store.get(cid) == cl.from_json(cl.Client, json.dumps(doc))
            assert [type(e).__name__ for e in store.history(cid)] == expected["history"][cid]
        day = dt.date(2026, 12, 20)
        assert store.expiring(day, 30) == engine.expiring(store.clients(), day, 30)
        assert [e.client_id for e in store.expiring(day, 30)] == ["acme"]
        assert store.pool() == cl.Pool()
    db = sqlite3.connect(v1)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    assert _indexes(db) == _FRESH
    db.close()
    with cl.Store(v1, "msp-2") as other:  # partners stay apart after the migration
        assert [c.id for c in other.clients()] == ["other"]


def test_a_newer_schema_is_refused(v1: Path) -> None:
    db = sqlite3.connect(v1)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(cl.StoreError, match="schema version 99 is not supported"):
        cl.Store(v1, "msp-1")


def _plan(db: sqlite3.Connection) -> str:
    sql, args = rows_query(
        "msp-1",
        dt.date(2026, 12, 1),
        shown=True,
        search=None,
        limit=None,
        after=None,
        name_like=SqlStore._NAME_LIKE,
    )
    return " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + sql, args))


def test_a_version_2_file_gains_the_listing_index(tmp_path: Path) -> None:
    """Schema 3 adds one covering index for list pages: a version 2 file gets it on
    opening, and the monitoring rows are read from it alone (no table page)."""
    path = tmp_path / "v2.db"
    with cl.Store(path, "msp-1") as store:
        store.save(cl.Engine(cl.Catalog()).new_client("acme", "ACME", dt.date(2026, 11, 1)), None)
    db = sqlite3.connect(path)
    db.execute("DROP INDEX clients_listing")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.commit()
    assert "COVERING INDEX clients_listing" not in _plan(db)
    db.close()
    with cl.Store(path, "msp-1") as store:
        assert [row.id for row in store.rows(dt.date(2026, 12, 1), shown=True)] == ["acme"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    assert "COVERING INDEX clients_listing" in _plan(db)
    db.close()


def _indexes(db: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        )
    }


_FRESH = {
    "clients_by_group",  # a scoped operator's lists (partner, grp, id)
    "clients_deleted",  # the end sorts' clients deleted after the list's day
    "clients_listing",
    "clients_sorted_by_end",  # the monitoring list by last day of service
    "clients_sorted_by_name",  # the monitoring list by (folded) name
    "deliveries_due",  # the delivery worker's claim
    "expiries_by_grace",
    "expiries_listing",
    "idempotency_keys_by_day",
    "requests_by_status",  # the pending requests
}
"""The indexes of a schema 4 file: each one a query of the store reads."""


def test_a_version_3_file_loses_the_indexes_no_query_reads(tmp_path: Path) -> None:
    """Schema 4 drops the indexes on the last day shown and on the name (written on
    every save, read by no query); a version 3 file loses them on opening, and each
    kind of list still answers from an index."""
    path = tmp_path / "v3.db"
    day = dt.date(2026, 12, 1)
    with cl.Store(path, "msp-1") as store:
        store.save(cl.Engine(cl.Catalog()).new_client("acme", "ACME", dt.date(2026, 11, 1)), None)
    db = sqlite3.connect(path)
    assert _indexes(db) == _FRESH  # a new file never has them
    db.execute("CREATE INDEX clients_by_shown ON clients (partner, shown_until)")
    db.execute("CREATE INDEX clients_by_name ON clients (partner, name COLLATE NOCASE)")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    db.commit()
    db.close()
    with cl.Store(path, "msp-1") as store:
        assert [row.id for row in store.rows(day, shown=True, search="acm")] == ["acme"]
        assert [c.id for c in store.monitoring(day)] == ["acme"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    assert _indexes(db) == _FRESH
    assert "COVERING INDEX clients_listing" in _plan(db)
    db.close()


def test_a_corrupt_row_in_a_version_1_file_is_its_partners_alone(v1: Path) -> None:
    """R3 0/6 item 16: one corrupt row of msp-2 stopped msp-1 from opening the file, and
    the message named msp-2's client under msp-1."""
    db = sqlite3.connect(v1)
    db.execute("UPDATE clients SET document = '{broken' WHERE partner = 'msp-2'")
    db.commit()
    db.close()
    with cl.Store(v1, "msp-1") as store:  # migrates, and opens
        assert [c.id for c in store.clients()] == ["acme", "beta", "gone"]
    broken = "client 'other' of partner 'msp-2' has a corrupt"
    with cl.Store(v1, "msp-2") as other, pytest.raises(cl.StoreError, match=broken):
        other.get("other")


def test_a_version_4_file_gains_the_idempotency_keys(tmp_path: Path, engine: cl.Engine) -> None:
    """Schema 5 (R3 1/6) adds the idempotency keys; a schema 4 file gets the table when
    a store opens it, and keys work at once."""
    path = tmp_path / "v4.db"
    with cl.Store(path, "p") as store:
        cl.Console(engine, store).add_client("acme", "ACME", dt.date(2026, 11, 27))
    db = sqlite3.connect(path)
    db.execute("DROP TABLE idempotency_keys")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    db.commit()
    db.close()
    with cl.Store(path, "p") as store:
        console = cl.Console(engine, store)
        request = cl.AssignmentRequest(
            product="edr", license_type="commercial", quantity=1, period="1y"
        )
        day = dt.date(2026, 11, 27)
        assert console.apply("acme", request, day, key="k") == console.apply(
            "acme", request, day, key="k"
        )
        assert store.load("acme")[1] == 2
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    db.close()
