"""Pages that stay fast for a large partner (issue 46): the expiring list in keyset
pages from the expiry index, the forecast as one aggregate over it, full sweeps
streamed in batches; each equal to what the documents give, on both stores.

The data are small and random (clients sold over two years, renewed, suspended,
resumed, modified, deleted, trials converted): the point is the equality, the
speed is benchmarks/pages.py's."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense.core._exceptions import CytolicenseError
from cytolicense.store._postgres_schema import SCHEMA_VERSION as PG_SCHEMA
from cytolicense.store._sqlite_schema import SCHEMA_VERSION as SQLITE_SCHEMA

from ._decisions import Lifecycle

D = dt.date
START = D(2025, 1, 1)
TODAY = D(2026, 3, 15)


def _engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog(Lifecycle(), entry_points=False))


def _fill(console: cl.Console, seed: int, clients: int = 60) -> None:
    """Random clients and random operations on them, day by day up to TODAY."""
    rng = random.Random(seed)
    plans: list[tuple[dt.date, int, str]] = []
    for i in range(clients):
        day = START + dt.timedelta(days=rng.randrange(0, (TODAY - START).days))
        plans.append((day, i, "new"))
        for _ in range(rng.randrange(1, 6)):
            later = day + dt.timedelta(days=rng.randrange(0, 500))
            plans.append((later, i, "op"))
    plans.sort()
    for day, i, what in plans:
        cid = f"c{i:03d}" if i % 7 else f"Ñ {i:03d}"  # non-ASCII ids and a space sort too
        try:
            if what == "new":
                console.add_client(cid, f"Client {i}", day)
                product = rng.choice(["edr", "epdr"])
                trial = product == "edr" and rng.random() < 0.3
                console.assign(
                    cid,
                    cl.AssignmentRequest(
                        product=product,
                        license_type="trial" if trial else "commercial",
                        quantity=rng.randrange(1, 40),
                        period=None
                        if trial
                        else rng.choice(["1y", "1m"] if product == "edr" else ["1y"]),
                    ),
                    day,
                )
                continue
            client = console.store.get(cid)
            lines = [m.id for m in client.maintenances]
            if not lines or rng.random() < 0.25:
                console.assign(
                    cid,
                    cl.AssignmentRequest(
                        product=rng.choice(["edr", "epdr"]),
                        license_type="commercial",
                        quantity=rng.randrange(1, 40),
                        period="1y",
                    ),
                    day,
                )
                continue
            line = rng.choice(lines)
            op = rng.choice(
                [
                    cl.Renew(maintenance=line),
                    cl.Suspend(maintenance=line),
                    cl.Resume(maintenance=line),
                    cl.Modify(maintenance=line, quantity=rng.randrange(1, 40)),
                    cl.DeleteService(maintenance=line),
                    cl.ConvertTrial(maintenance=line, period="1y"),
                    cl.ExtendTrial(maintenance=line),
                ]
            )
            console.apply(cid, op, day)
        except (CytolicenseError, ValueError):
            continue  # refused (or no such client): the data stay as they were


def _sqlite(tmp_path: Path, seed: int) -> cl.Console:
    console = cl.Console(_engine(), cl.Store(tmp_path / f"s{seed}.db", "p"))
    _fill(console, seed)
    return console


@pytest.fixture
def pg_console(postgres_url: str) -> Iterator[cl.Console]:
    store = cl.PostgresStore(postgres_url, f"scale-{uuid.uuid4().hex[:8]}")
    console = cl.Console(_engine(), store)
    _fill(console, 11)
    yield console
    store.close()


def _days() -> list[dt.date]:
    return [TODAY + dt.timedelta(days=d) for d in range(-400, 400, 19)]


def _check_pages(console: cl.Console) -> None:
    store = console.store
    engine = console.engine
    every = store.clients()
    seen_any = False
    for today in _days():
        for within in (0, 30, 60, 400):
            want = engine.expiring(every, today, within)
            seen_any = seen_any or bool(want)
            assert store.expiring(today, within) == want  # the public answer, as before
            for limit in (1, 3, 100):
                got: list[cl.Expiry] = []
                after = None
                pages = 0
                while True:
                    page = console.expiring_page(today, within, after=after, limit=limit)
                    assert len(page.rows) <= limit
                    got += page.rows
                    pages += 1
                    if page.next is None:
                        break
                    assert page.rows and page.next == (
                        page.rows[-1].expires_on,
                        page.rows[-1].client_id,
                        page.rows[-1].maintenance_id,
                    )
                    after = page.next
                    assert pages <= len(want) + 1
                # every line exactly once, in the list's order
                assert got == want
                keys = [(e.expires_on, e.client_id, e.maintenance_id) for e in got]
                assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert seen_any


def _check_forecast(console: cl.Console) -> None:
    every = console.store.clients()
    for today in _days():
        for months in (1, 12, 36):
            assert console.forecast(today, months) == console.engine.forecast(every, today, months)


def _check_sweeps(console: cl.Console) -> None:
    store = console.store
    assert list(store.iter_clients(batch=7)) == store.clients()  # type: ignore[attr-defined]
    for today in _days():
        want = store.monitoring(today)
        assert list(console.iter_monitoring(today, batch=5)) == want
        assert list(console.iter_monitoring(today, batch=1000)) == want
    assert list(store.iter_histories(batch=4)) == store.histories()  # type: ignore[attr-defined]
    month = f"{TODAY.year}-{TODAY.month:02d}"
    histories = [store.history(c.id) for c in store.clients()]
    assert console.usage_report(month) == console.engine.usage_report(histories, month)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sqlite_pages_forecast_and_sweeps_equal_the_documents(tmp_path: Path, seed: int) -> None:
    console = _sqlite(tmp_path, seed)
    assert len(console.store) > 20
    _check_pages(console)
    _check_forecast(console)
    _check_sweeps(console)
    assert console.store.verify() == []


def test_postgres_pages_forecast_and_sweeps_equal_the_documents(
    pg_console: cl.Console,
) -> None:
    assert len(pg_console.store) > 20
    _check_pages(pg_console)
    _check_forecast(pg_console)
    _check_sweeps(pg_console)
    assert pg_console.store.verify() == []


def test_a_suspended_line_is_read_from_its_document(tmp_path: Path) -> None:
    """A line suspended on the day is not listed though its index row is in force; it
    comes back when resumed."""
    console = cl.Console(_engine(), cl.Store(tmp_path / "s.db", "p"))
    console.add_client("a", "A", D(2026, 1, 1))
    change = console.assign(
        "a",
        cl.AssignmentRequest(product="edr", license_type="commercial", quantity=3, period="1y"),
        D(2026, 1, 1),
    )
    line = change.client.maintenances[0]
    day = line.expires_on - dt.timedelta(days=10)
    assert [e.maintenance_id for e in console.expiring_page(day, 30).rows] == [line.id]
    console.apply("a", cl.Suspend(maintenance=line.id), day - dt.timedelta(days=1))
    assert console.expiring_page(day, 30).rows == []
    assert console.expiring(day, 30) == []


def test_a_version_5_file_gains_the_expiry_columns(tmp_path: Path) -> None:
    """A schema 5 file (expiry rows without product, seats or grace) is migrated: its
    rows written again from the documents, every partner's; the pages and the
    forecast then answer as the documents do."""
    path = tmp_path / "v5.db"
    seeds = {"p": 4, "q": 5}
    for partner, seed in seeds.items():
        _fill(cl.Console(_engine(), cl.Store(path, partner)), seed, clients=25)
    db = sqlite3.connect(path)
    db.execute("DROP INDEX expiries_listing")
    db.execute("DROP INDEX expiries_by_grace")
    for column in ("product", "license_type", "quantity", "suspended", "grace"):
        db.execute(f"ALTER TABLE expiries DROP COLUMN {column}")
    db.execute("CREATE INDEX expiries_by_end ON expiries (partner, expires_on)")
    db.execute("UPDATE meta SET value = '5' WHERE key = 'schema'")
    db.commit()
    db.close()
    for partner in seeds:
        console = cl.Console(_engine(), cl.Store(path, partner))
        assert console.store.verify() == []
        _check_forecast(console)
        every = console.store.clients()
        assert console.expiring_page(TODAY, 60, limit=1000).rows == console.engine.expiring(
            every, TODAY, 60
        )
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SQLITE_SCHEMA),
    )
    db.close()


def test_the_pages_read_the_covering_index(tmp_path: Path) -> None:
    """The expiring page and the forecast are answered from the covering index in the
    list's order (no sort of the window, no table rows)."""
    console = _sqlite(tmp_path, 1)
    store = console.store
    assert isinstance(store, cl.Store)
    from cytolicense.store._queries import expiring_page_query, forecast_query

    for sql, args in (
        expiring_page_query("p", TODAY, 60, grace=7, after=(TODAY, "c001", "m"), limit=10),
        forecast_query("p", TODAY, TODAY + dt.timedelta(days=365)),
    ):
        plan = " | ".join(str(r[3]) for r in store._db.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "COVERING INDEX expiries_listing" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_schema_8_postgres_database_gains_the_expiry_columns(postgres_server: Any) -> None:
    """A schema 8 database (expiry rows without product, seats or grace, the
    maintenance id in the database's collation) migrates to 9; each partner's rows
    get their columns from the documents when a handle of that partner opens it
    (row-level security shows a handle its own rows alone)."""
    seeds = {"p": 4, "q": 5}
    for partner, seed in seeds.items():
        store = cl.PostgresStore(postgres_server.url, partner)
        _fill(cl.Console(_engine(), store), seed, clients=25)
        store.close()
    store = cl.PostgresStore(postgres_server.url, "p")
    store._db.execute(
        "DROP INDEX expiries_listing, expiries_by_grace, expiries_unfilled; "
        "ALTER TABLE expiries DROP COLUMN product, DROP COLUMN license_type, "
        "DROP COLUMN quantity, DROP COLUMN suspended, DROP COLUMN grace; "
        'ALTER TABLE expiries ALTER COLUMN maintenance_id TYPE TEXT COLLATE "default"; '
        "CREATE INDEX expiries_by_end ON expiries (partner, expires_on); "
        "UPDATE cytolicense_meta SET value = '8' WHERE key = 'schema'"
    )
    store.close()
    for partner in seeds:
        store = cl.PostgresStore(postgres_server.url, partner)
        try:
            console = cl.Console(_engine(), store)
            assert store._schema_version() == PG_SCHEMA
            assert store.verify() == []
            _check_forecast(console)
            every = store.clients()
            assert console.expiring_page(TODAY, 60, limit=1000).rows == console.engine.expiring(
                every, TODAY, 60
            )
            unfilled = store._db.execute("SELECT count(*) FROM expiries WHERE product IS NULL")
            assert unfilled.fetchone() == (0,)  # this partner's (RLS), none left
        finally:
            store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_expiring_page_walks_every_line_once_through_its_next_links(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """/expiring shows a page of 100 lines and a Next link carrying the last line's key;
    following the links shows every line of the 60-day window once, in order; /forecast
    draws the aggregate."""
    import html
    import re

    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from cytolicense.web import create_app
    from cytolicense.web._lists import EXPIRING_PAGE
    from cytolicense.web._words import EXPIRING_DAYS

    catalog = cl.load_catalog(Lifecycle(), entry_points=False)
    partner = f"web-{uuid.uuid4().hex[:8]}"
    db = (
        str(tmp_path / "w.db")
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    store = cl.open_store(db, partner)
    console = cl.Console(cl.Engine(catalog), store)
    for i in range(250):  # a line each, sold a year before a day of the window
        day = TODAY - dt.timedelta(days=360 - i % 50)
        cid = f"w{i:03d}" if i % 9 else f"Ñ {i:03d}"
        console.add_client(cid, f"Web {i}", day)
        console.assign(
            cid,
            cl.AssignmentRequest(
                product="edr", license_type="commercial", quantity=1 + i % 5, period="1y"
            ),
            day,
        )
    want = console.expiring(TODAY, EXPIRING_DAYS)
    assert len(want) > 2 * EXPIRING_PAGE  # three pages at least
    store.close()
    app = create_app(db, partner, catalog=catalog, today=TODAY)
    seen: list[str] = []
    with TestClient(app) as c:
        url: str | None = "/expiring"
        pages = 0
        while url is not None:
            page = c.get(url)
            assert page.status_code == 200
            rows = re.findall(r'<td class="lead"><a href="/clients/([^"]+)">', page.text)
            assert len(rows) <= EXPIRING_PAGE
            seen += [html.unescape(r) for r in rows]
            found = re.search(r'href="(/expiring\?[^"]+)" id="next"', page.text)
            url = html.unescape(found.group(1)) if found else None
            pages += 1
            assert pages < 20
        assert c.get("/forecast?months=24").status_code == 200
        assert "Licences expiring per month" in c.get("/forecast").text
    from urllib.parse import quote

    assert seen == [quote(e.client_id, safe="") for e in want]
    assert pages == -(-len(want) // EXPIRING_PAGE)
