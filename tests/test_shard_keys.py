"""Shard-ready keys (issue 50): every primary key and unique index of both stores
leads with the partner, and every statement a store runs on a partner's table names
the partner, so that a distributed PostgreSQL (Citus, distributed by ``partner``)
routes each one to a single node (docs/explanation/scaling.md, "Distributing by
partner").

The schema is read from a fresh store (SQLite: ``PRAGMA index_list``/``index_info``
and ``table_info``; PostgreSQL: ``pg_index``), not from the DDL text, so a key a
migration made is checked as it is. The statements are those a representative
session runs (clients, operations, the pool, the feed and webhooks, operators and
the audit, the day's run, list pages, the expiring list, the forecast), captured
from the store's own connection."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense.store._sqlite import _PARTNER_TABLES

from .day_worker import engine

D = dt.date
T0 = D(2026, 1, 1)
END = D(2027, 1, 1)

GLOBAL_TABLES = {
    "meta": "SQLite's schema version, the database's instance id and the demo mark: "
    "one row each per database, read before any partner is known",
    "cytolicense_meta": "PostgreSQL's schema version: one row per database",
    "cytolicense_tenants": "maps a login role to its partner (row-level security): "
    "read by cytolicense_partner() before the partner is known; a Citus reference "
    "table, copied to every node",
    "sqlite_sequence": "SQLite's own AUTOINCREMENT counters",
}
"""Tables deliberately not keyed by partner, with the reason."""

PARTNER_TABLES = frozenset(_PARTNER_TABLES) | {"feed_heads", "deliveries"}
"""Every table holding one partner's rows per row."""


# -- (1) the keys --------------------------------------------------------------------


def sqlite_keys(path: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """Each table's primary key and unique indexes: ``{table: [(name, columns)]}``."""
    keys: dict[str, list[tuple[str, list[str]]]] = {}
    db = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        for table in tables:
            found: list[tuple[str, list[str]]] = []
            info = db.execute(f"PRAGMA table_info({table})").fetchall()
            pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            if pk:
                found.append(("PRIMARY KEY", pk))
            for _, name, unique, origin, _partial in db.execute(f"PRAGMA index_list({table})"):
                if not unique or origin == "pk":  # the key itself is listed above
                    continue
                cols = [r[2] for r in db.execute(f"PRAGMA index_info({name})")]
                found.append((name, cols))
            keys[table] = found
    finally:
        db.close()
    return keys


PG_KEYS = """
SELECT c.relname, i.relname, x.indisprimary,
       array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.n)
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = current_schema() AND (x.indisunique OR x.indisprimary)
  AND c.relkind IN ('r', 'p')
ORDER BY 1, 2
"""


def postgres_keys(url: str) -> dict[str, list[tuple[str, list[str]]]]:
    import psycopg

    keys: dict[str, list[tuple[str, list[str]]]] = {}
    with psycopg.connect(url) as db:
        tables = db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        for (table,) in tables:
            keys[table] = []
        for table, index, primary, columns in db.execute(PG_KEYS):
            keys[table].append(("PRIMARY KEY" if primary else index, list(columns)))
    return keys


def without_partner(keys: dict[str, list[tuple[str, list[str]]]]) -> list[str]:
    """The keys of a partner's table not leading with ``partner``, and the partner
    tables with no key at all."""
    bad = []
    for table, found in sorted(keys.items()):
        if table in GLOBAL_TABLES or table.startswith("cytolicense_bulk_"):
            continue
        if not found:
            bad.append(f"{table}: no primary key")
        for name, cols in found:
            if not cols or cols[0] != "partner":
                bad.append(f"{table}: {name} {tuple(cols)}")
    return bad


def test_every_sqlite_key_leads_with_the_partner(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    cl.Store(path, "p1").close()
    keys = sqlite_keys(path)
    assert set(keys) >= PARTNER_TABLES, "a partner table the test does not know"
    assert set(keys) - PARTNER_TABLES <= set(GLOBAL_TABLES), (
        "a new table: add it to _PARTNER_TABLES or to GLOBAL_TABLES with the reason"
    )
    assert without_partner(keys) == []


def test_every_postgres_key_leads_with_the_partner(postgres_url: str) -> None:
    cl.open_store(postgres_url, "p1").close()
    keys = postgres_keys(postgres_url)
    assert set(keys) >= PARTNER_TABLES
    assert set(keys) - PARTNER_TABLES <= set(GLOBAL_TABLES), (
        "a new table: add it to the partner tables or to GLOBAL_TABLES with the reason"
    )
    assert without_partner(keys) == []


def test_a_migrated_sqlite_file_gets_the_pool_events_key(tmp_path: Path) -> None:
    """A file written by schema 10 (``pool_events`` keyed by a global AUTOINCREMENT
    counter) is rebuilt keyed by ``(partner, seq)``, its history kept in order, and
    new movements numbered after each partner's last."""
    path = tmp_path / "old.db"
    for partner in ("a", "b"):
        with cl.Store(path, partner) as s:
            s.credit_pool("edr", "1y", 5, T0)
            s.credit_pool("edr", "1y", 7, T0)
    db = sqlite3.connect(path)
    with db:  # back to schema 10's table, global numbers (1, 2 for a; 3, 4 for b)
        rows = db.execute("SELECT partner, seq, document FROM pool_events").fetchall()
        db.execute("DROP TABLE pool_events")
        db.execute(
            "CREATE TABLE pool_events (partner TEXT NOT NULL, "
            "seq INTEGER PRIMARY KEY AUTOINCREMENT, document TEXT NOT NULL)"
        )
        db.execute("CREATE INDEX pool_events_by_partner ON pool_events (partner)")
        db.executemany(
            "INSERT INTO pool_events (partner, document) VALUES (?, ?)",
            [(p, doc) for p, _, doc in sorted(rows, key=lambda r: (r[0], r[1]))],
        )
        db.execute("UPDATE meta SET value = '10' WHERE key = 'schema'")
    db.close()
    assert ("PRIMARY KEY", ["seq"]) in sqlite_keys(path)["pool_events"]
    for _ in range(2):  # re-runnable: a second open changes nothing
        with cl.Store(path, "a") as s:
            assert [e.seats for e in s.pool_history()] == [5, 7]
    assert sqlite_keys(path)["pool_events"] == [("PRIMARY KEY", ["partner", "seq"])]
    with cl.Store(path, "b") as s:
        s.credit_pool("edr", "1y", 1, T0)
        assert [e.seats for e in s.pool_history()] == [5, 7, 1]
        assert [e.seats for e in s.pool_history(last=2)] == [7, 1]
        assert s.pool().seats("edr", "1y") == 13
        assert s.verify() == []
    db = sqlite3.connect(path)
    assert db.execute("SELECT partner, seq FROM pool_events ORDER BY 1, 2").fetchall() == [
        ("a", 1),
        ("a", 2),
        ("b", 3),
        ("b", 4),
        ("b", 5),
    ]
    db.close()


# -- (2) the statements ------------------------------------------------------------------

_TABLE_WORD = re.compile(r"\b(" + "|".join(sorted(PARTNER_TABLES, key=len, reverse=True)) + r")\b")
_PARTNER_WORD = re.compile(r"\bpartner\b", re.IGNORECASE)
_CONTROL = re.compile(
    r"^\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END|SET|SHOW|RESET|VACUUM|ANALYZE"
    r"|CREATE\s+TEMP|DROP\s+TABLE\s+IF\s+EXISTS\s+cytolicense_bulk_|COPY\s+cytolicense_bulk_"
    r"|SELECT\s+pg_advisory)",
    re.IGNORECASE,
)
"""Statements that touch no partner's rows: transaction control, connection settings,
the bulk import's temporary tables (emptied into the partner's tables by an INSERT
that names the partner), the partner's advisory lock (keyed by the partner's hash, an
argument)."""


def _strip_literals(sql: str) -> str:
    """The statement without its string literals (``'... clients ...'`` is no read
    of the clients)."""
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def unscoped(statements: list[str]) -> list[str]:
    """The statements that read or write a partner's table without naming the
    partner."""
    bad = []
    for sql in statements:
        if _CONTROL.match(sql):
            continue
        text = _strip_literals(sql)
        if _TABLE_WORD.search(text) and not _PARTNER_WORD.search(text):
            bad.append(" ".join(sql.split()))
    return sorted(set(bad))


def session(console: Any) -> None:
    """A representative day of one partner: every kind of read and write the
    console makes."""
    from cytolicense import Grant, Operator, Role

    console.credit_pool("edr", "1y", 100, T0)
    for i in range(3):
        cid = f"c{i}"
        console.add_client(cid, f"Client {i}", T0, group="north" if i else "")
        console.apply(
            cid,
            cl.AssignmentRequest(product="edr", license_type="commercial", quantity=2, period="1y"),
            T0,
        )
        console.apply(cid, cl.SetAutoRenew(maintenance="m1", on=True), T0)
    console.apply("c0", cl.Modify(maintenance="m1", quantity=3), T0, key="k-1")
    console.apply("c0", cl.Modify(maintenance="m1", quantity=3), T0, key="k-1")
    with console.store.batch():
        console.apply_each(["c1", "c2"], cl.SetAutoRenew(maintenance="m1", on=True), T0)
    console.get("c0")
    console.history("c0")
    console.rows(T0)
    console.rows(T0, search="client", limit=2)
    console.monitoring(T0)
    console.expiring(END, within_days=60)
    console.expiring_page(END, within_days=60, limit=2)
    console.forecast(T0)
    console.pool()
    console.store.pool_history()
    console.store.pool_history(last=1)
    console.feed()
    hook = console.add_webhook("http://127.0.0.1:9/hook", "whsec_" + "A" * 32, T0)
    console.webhooks()
    console.deliver(timeout=0.2)
    console.deliveries()
    console.set_notice_thresholds([30, 7])
    console.notice_thresholds()
    console.add_operator(Operator(id="boss", name="Boss", role=Role.TOTAL_CONTROL), T0)
    console.add_operator(
        Operator(id="lic", name="Lic", role="license_admin", grants={Grant(group="north")}),
        T0,
    )
    lic = console.as_operator("lic")
    lic.monitoring(T0)
    lic.rows(T0)
    console.operators()
    console.audit()
    console.run_day(END - dt.timedelta(days=1))
    console.run_day(END, batch=2)
    console.run_day(END, dry_run=True)
    console.usage_report(T0)
    console.remove_webhook(hook.id, T0)
    console.delete_client("c2", END)
    console.store.prune_keys(END)


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE", "1")


def test_every_sqlite_statement_names_the_partner(tmp_path: Path, allow_private: None) -> None:
    statements: list[str] = []
    with cl.Store(tmp_path / "sql.db", "p1") as store:
        store._db.set_trace_callback(statements.append)
        session(cl.Console(engine("warning"), store))
    assert len(statements) > 100
    touched = {m for s in statements for m in _TABLE_WORD.findall(s)}
    assert touched >= {"clients", "events", "pools", "pool_events", "expiries", "feed"}
    assert unscoped(statements) == []


def test_every_postgres_statement_names_the_partner(postgres_url: str, allow_private: None) -> None:
    import psycopg

    statements: list[str] = []

    class Recording(psycopg.Cursor[Any]):
        def execute(self, query: Any, *args: Any, **kw: Any) -> Any:
            statements.append(_text(query))
            return super().execute(query, *args, **kw)

        def executemany(self, query: Any, *args: Any, **kw: Any) -> Any:
            statements.append(_text(query))
            return super().executemany(query, *args, **kw)

        def copy(self, statement: Any, *args: Any, **kw: Any) -> Any:
            statements.append(_text(statement))
            return super().copy(statement, *args, **kw)

    store = cl.open_store(postgres_url, "p-" + uuid.uuid4().hex[:8])
    try:
        store._db.cursor_factory = Recording  # type: ignore[attr-defined]
        session(cl.Console(engine("warning"), store))
    finally:
        store.close()
    assert len(statements) > 50
    assert unscoped(statements) == []


def _text(query: Any) -> str:
    return query if isinstance(query, str) else repr(query)
