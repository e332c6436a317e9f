"""The monitoring list sorted and searched in the store (issue 46, round 4): ``rows(order=)``
by name or last day of service, either way, in keyset pages of ``(sort key, id)``; a
search that folds case for every script in the store (a folded name written with
every save); the pool's last movements read alone; the forecast kept until the
partner's data change. Each on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import random
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import cytolicense as cl
from cytolicense.core._exceptions import CytolicenseError
from cytolicense.store._marks import FORECASTS
from cytolicense.store._postgres_schema import SCHEMA_VERSION as PG_SCHEMA
from cytolicense.store._queries import end_parts, rows_query
from cytolicense.store._rows import ORDERS, fold, sort_key
from cytolicense.store._sqlite_schema import SCHEMA_VERSION as SQLITE_SCHEMA

from ._decisions import Lifecycle

D = dt.date
TODAY = D(2026, 3, 15)
NAMES = [
    "Ñandú SA",
    "ñandu bis",
    "Straße GmbH",
    "STRASSE Zwei",
    "alpha",
    "Alpha",
    "ÉCOLE Ñ",
    "école",
    "Zeta",
    "Ωmega",
    "ωmega",
    "Beta 100%",
    "beta_under",
    "İstanbul",
    "ﬁne",
]


def _engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog(Lifecycle(), entry_points=False))


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "sort.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def console(target: str) -> Iterator[cl.Console]:
    store = cl.open_store(target, f"sort-{uuid.uuid4().hex[:8]}")
    yield cl.Console(_engine(), store)
    store.close()


def _fill(console: cl.Console, seed: int = 7, clients: int = 70) -> None:
    """Clients named from NAMES (repeated, some twice the same), sold on days over two
    years (some ended, some long gone), a few deleted."""
    rng = random.Random(seed)
    for i in range(clients):
        cid = f"c{i:03d}" if i % 9 else f"Ñ{i:03d}"
        day = D(2024, 9, 1) + dt.timedelta(days=rng.randrange(0, 560))
        name = rng.choice(NAMES) + ("" if rng.random() < 0.3 else f" {i}")
        console.add_client(cid, name, day)
        if rng.random() < 0.8:
            console.assign(
                cid,
                cl.AssignmentRequest(
                    product=rng.choice(["edr", "epdr"]),
                    license_type="commercial",
                    quantity=rng.randrange(1, 30),
                    period="1y",
                ),
                day,
            )
        if rng.random() < 0.12:
            gone = day + dt.timedelta(days=rng.randrange(0, 300))
            with contextlib.suppress(CytolicenseError, ValueError):  # refused: it stays
                console.delete_client(cid, gone)


def _want(rows: list[cl.ClientRow], order: str) -> list[str]:
    column = order.removeprefix("-")
    if column == "id":
        keyed = sorted(rows, key=lambda r: r.id)
    elif column == "name":
        keyed = sorted(rows, key=lambda r: (fold(r.name), r.id))
    else:
        keyed = sorted(rows, key=lambda r: (r.ended_on, r.id))
    if order.startswith("-"):
        keyed.reverse()
    return [r.id for r in keyed]


def _walk(store: Any, order: str, limit: int, **kw: Any) -> list[str]:
    got: list[str] = []
    after = None
    while True:
        page = store.rows(TODAY, order=order, limit=limit, after=after, **kw)
        got += [r.id for r in page]
        if len(page) < limit:
            return got
        after = sort_key(page[-1], order)
        assert len(got) <= 1000


@pytest.mark.parametrize("order", ORDERS)
def test_every_order_walks_every_row_once_in_keyset_pages(console: cl.Console, order: str) -> None:
    _fill(console)
    store = console.store
    for kw in ({}, {"shown": True}, {"shown": False}, {"shown": True, "search": "ñ"}):
        every = store.rows(TODAY, **kw)
        want = _want(every, order)
        assert [r.id for r in store.rows(TODAY, order=order, **kw)] == want
        for limit in (1, 7, 50):
            assert _walk(store, order, limit, **kw) == want, (kw, limit)


@pytest.mark.parametrize("order", ["ended_on", "-ended_on"])
def test_the_end_orders_list_the_clients_deleted_after_the_day(
    console: cl.Console, order: str
) -> None:
    """A list judged on a day shows a client deleted after it, though its last day
    shown is past: the end orders read those apart from the end index's range (rows
    made here by hand: the engine deletes no client it no longer shows)."""
    _fill(console)
    store: Any = console.store
    hidden = [r.id for r in store.rows(TODAY, shown=False)][:5]
    assert len(hidden) == 5
    later = (TODAY + dt.timedelta(days=10)).isoformat()
    for cid in hidden:
        store._db.execute(
            store._sql("UPDATE clients SET deleted_on = ? WHERE partner = ? AND id = ?"),
            (later, store.partner, cid),
        )
    shown = store.rows(TODAY, shown=True)
    assert set(hidden) <= {r.id for r in shown}
    want = _want(shown, order)
    for limit in (1, 4, 50, 1000):
        assert _walk(store, order, limit, shown=True) == want
    assert not set(hidden) & {r.id for r in store.rows(TODAY, shown=False, order=order)}


def test_the_default_order_is_the_id(console: cl.Console) -> None:
    _fill(console, clients=20)
    rows = console.store.rows(TODAY)
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert console.store.rows(TODAY, order="id") == rows


def test_a_bad_order_or_key_is_refused(console: cl.Console) -> None:
    with pytest.raises(ValueError, match="order must be one of"):
        console.store.rows(TODAY, order="state")
    with pytest.raises(TypeError):
        console.store.rows(TODAY, order="name", after="c001")
    with pytest.raises(TypeError):
        console.store.rows(TODAY, order="id", after=("a", "c001"))


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("ñandú", {"Ñandú SA"}),
        ("ÑANDÚ", {"Ñandú SA"}),
        ("n\u0303andu\u0301", {"Ñandú SA"}),  # typed decomposed
        ("STRASSE", {"Straße GmbH", "STRASSE Zwei"}),
        ("straße", {"Straße GmbH", "STRASSE Zwei"}),
        ("école", {"ÉCOLE Ñ", "école"}),
        ("ΩMEGA", {"Ωmega", "ωmega"}),
        ("fine", {"ﬁne"}),
        ("100%", {"Beta 100%"}),  # LIKE's wildcards are literal
        ("a_u", {"beta_under"}),
        ("e_u", set()),  # "_" is no wildcard
        ("a%u", set()),  # nor "%"
    ],
)
def test_the_store_search_folds_case_for_every_script(
    console: cl.Console, q: str, found: set[str]
) -> None:
    for i, name in enumerate(NAMES):
        console.add_client(f"n{i:02d}", name, TODAY)
    assert {r.name for r in console.store.rows(TODAY, search=q)} == found


def test_verify_checks_the_folded_name(console: cl.Console) -> None:
    """The folded name is a projected column like the others: verify compares it with
    the document's name."""
    console.add_client("a", "Große Straße", TODAY)
    store: Any = console.store
    assert store.verify() == []
    store._db.execute(store._sql("UPDATE clients SET name_key = 'x' WHERE id = ?"), ("a",))
    assert any("name_key" in p for p in store.verify())


def test_the_sqlite_sorts_read_their_index(tmp_path: Path) -> None:
    """Each order is one index's order from the page's key: no sort, no table scan."""
    store = cl.Store(tmp_path / "plan.db", "p")
    for order, index in (
        ("name", "clients_sorted_by_name"),
        ("-name", "clients_sorted_by_name"),
        ("ended_on", "clients_sorted_by_end"),
        ("-ended_on", "clients_sorted_by_end"),
    ):
        after = ("m", "c1") if "name" in order else (TODAY, "c1")
        for shown in (True, False):
            for part in end_parts(order, shown, TODAY) or (None,):
                sql, args = rows_query(
                    "p", TODAY, shown=shown, search=None, limit=51, after=after,
                    name_like=store._NAME_LIKE, order=order, part=part,
                )  # fmt: skip
                plan = " | ".join(
                    str(r[3]) for r in store._db.execute("EXPLAIN QUERY PLAN " + sql, args)
                )
                if part == "late":  # the clients deleted after TODAY, from their index
                    assert "INDEX clients_deleted (partner=? AND deleted_on>?)" in plan, plan
                    continue
                assert f"INDEX {index} (partner=? AND" in plan, plan
                assert "TEMP B-TREE" not in plan, plan
                if part is not None:  # a range of the end index, not its hidden half
                    assert re.search(r"partner=\? AND ended_on[<>]", plan), plan
    store.close()


def test_the_postgres_sorts_read_their_index(postgres_url: str) -> None:
    store = cl.PostgresStore(postgres_url, f"plan-{uuid.uuid4().hex[:8]}")
    _fill(cl.Console(_engine(), store), clients=30)
    store._db.execute("ANALYZE clients")
    # A tiny table: the plan a large one gets.
    store._db.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
    try:
        for order, index in (
            ("name", "clients_sorted_by_name"),
            ("-ended_on", "clients_sorted_by_end"),
        ):
            after = ("m", "c1") if "name" in order else (TODAY, "c1")
            sql, args = rows_query(
                store.partner, TODAY, shown=True, search=None, limit=51, after=after,
                name_like=store._NAME_LIKE, order=order,
            )  # fmt: skip
            plan = "\n".join(
                str(r[0]) for r in store._db.execute("EXPLAIN " + store._sql(sql), args)
            )
            assert index in plan, plan
            assert "Sort" not in plan, plan
    finally:
        store._db.execute("RESET enable_seqscan; RESET enable_bitmapscan")
        store.close()


# -- migrations ----------------------------------------------------------------------------


def test_a_version_8_file_gains_the_folded_names(tmp_path: Path) -> None:
    """A schema 8 file (no folded name, the index on (partner, ended_on)) is migrated:
    every partner's names folded, the sort indexes built; the migration run again
    (a file marked older than it is) changes nothing."""
    path = tmp_path / "v8.db"
    for partner in ("p", "q"):
        with cl.Store(path, partner) as store:
            for i, name in enumerate(NAMES):
                cl.Console(_engine(), store).add_client(f"{partner}{i:02d}", name, TODAY)
    db = sqlite3.connect(path)
    for index in ("clients_listing", "clients_sorted_by_name", "clients_sorted_by_end"):
        db.execute(f"DROP INDEX {index}")
    db.execute("DROP INDEX IF EXISTS pool_events_by_partner")
    db.execute("DROP TABLE change_marks")
    db.execute("ALTER TABLE clients DROP COLUMN name_key")
    db.execute(
        "CREATE INDEX clients_listing ON clients (partner, id, shown_until, deleted_on, "
        "name, ended_on, products)"
    )
    db.execute("CREATE INDEX clients_by_end ON clients (partner, ended_on)")
    db.execute("UPDATE meta SET value = '8' WHERE key = 'schema'")
    db.commit()
    db.close()
    for run in range(2):
        for partner in ("p", "q"):
            with cl.Store(path, partner) as store:
                assert store.verify() == []
                assert {r.name for r in store.rows(TODAY, search="STRASSE")} == {
                    "Straße GmbH",
                    "STRASSE Zwei",
                }
                names = [r.name for r in store.rows(TODAY, order="name")]
                assert names == sorted(names, key=fold)
        db = sqlite3.connect(path)
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            str(SQLITE_SCHEMA),
        )
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"clients_sorted_by_name", "clients_sorted_by_end"} <= indexes
        assert "clients_by_end" not in indexes
        if run == 0:
            db.execute("UPDATE meta SET value = '8' WHERE key = 'schema'")
            db.commit()
        db.close()


def test_a_schema_11_postgres_database_gains_the_folded_names(postgres_server: Any) -> None:
    """A schema 11 database (``name_key`` generated as ``lower(name)``, which misses
    "Straße" for ``STRASSE``) migrates to 12: the column becomes the folded name, each
    partner's rows get it when a handle of that partner opens it (row-level security);
    the sort indexes are built."""
    partners = ("p", "q")
    for partner in partners:
        with cl.PostgresStore(postgres_server.url, partner) as store:
            for i, name in enumerate(NAMES):
                cl.Console(_engine(), store).add_client(f"{partner}{i:02d}", name, TODAY)
    store = cl.PostgresStore(postgres_server.url, "p")
    store._db.execute(
        "DROP INDEX clients_listing, clients_sorted_by_name, clients_sorted_by_end, "
        "clients_unfolded; DROP TABLE change_marks; "
        "ALTER TABLE clients DROP COLUMN name_key; "
        "ALTER TABLE clients ADD COLUMN name_key TEXT GENERATED ALWAYS AS (lower(name)) STORED; "
        "CREATE INDEX clients_listing ON clients (partner, id) "
        "INCLUDE (name, deleted_on, ended_on, shown_until, products, name_key); "
        "CREATE INDEX clients_by_end ON clients (partner, ended_on); "
        "UPDATE cytolicense_meta SET value = '11' WHERE key = 'schema'"
    )
    store.close()
    for partner in partners:
        with cl.PostgresStore(postgres_server.url, partner) as store:
            assert store._schema_version() == PG_SCHEMA
            assert store.verify() == []
            assert {r.name for r in store.rows(TODAY, search="STRASSE")} == {
                "Straße GmbH",
                "STRASSE Zwei",
            }
            names = [r.name for r in store.rows(TODAY, order="-name")]
            assert names == sorted(names, key=fold, reverse=True)
            left = store._db.execute("SELECT count(*) FROM clients WHERE name_key IS NULL")
            assert left.fetchone() == (0,)  # this partner's (RLS), none left
            cl.Console(_engine(), store).add_client(f"{partner}-new", "Neue Straße", TODAY)
            assert len(store.rows(TODAY, search="strasse")) == 3


# -- the pool's last movements -------------------------------------------------------------


def test_the_pool_history_tail(console: cl.Console) -> None:
    store = console.store
    assert store.pool_history(last=5) == []
    for i in range(12):
        console.credit_pool("edr", "1y", i + 1, TODAY)
    every = store.pool_history()
    assert len(every) == 12
    for last in (0, 1, 5, 12, 50):
        assert store.pool_history(last=last) == every[len(every) - min(last, 12) :]
    with pytest.raises(ValueError):
        store.pool_history(last=-1)


# -- the forecast kept ---------------------------------------------------------------------


def test_the_forecast_is_kept_until_the_partner_changes(console: cl.Console) -> None:
    """A forecast asked again with nothing changed is the kept one; a save (its feed
    position) or a bulk import (its count) makes the next one computed again, and it
    always equals the forecast of the documents."""
    _fill(console, clients=30)
    store = console.store
    engine = console.engine

    def check(expect_hit: bool) -> None:
        hits = FORECASTS.hits
        got = console.forecast(TODAY, 12)
        assert got == engine.forecast(store.clients(), TODAY, 12)
        assert (FORECASTS.hits == hits + 1) is expect_hit

    check(False)
    check(True)
    check(True)
    kept = console.forecast(TODAY, 12)
    kept.seats.clear()  # a caller's copy: the kept one is untouched
    check(True)
    assert console.forecast(TODAY, 36) == engine.forecast(store.clients(), TODAY, 36)  # own key
    console.add_client("fresh", "Fresh", TODAY)
    check(False)
    check(True)
    console.assign(
        "fresh",
        cl.AssignmentRequest(product="edr", license_type="commercial", quantity=7, period="1m"),
        TODAY,
    )
    check(False)
    check(True)
    changes = []
    for i in range(3):
        created = engine.new_client(f"bulk{i}", f"Bulk {i}", TODAY)
        sold = cl.AssignmentRequest(
            product="epdr", license_type="commercial", quantity=3, period="1y"
        )
        done = engine.apply(created.client, sold, TODAY)
        changes.append(cl.Change(client=done.client, events=created.events + done.events))
    store.bulk(changes)
    check(False)
    check(True)


def test_a_batch_neither_keeps_nor_takes_a_forecast(console: cl.Console) -> None:
    _fill(console, clients=10)
    store = console.store
    before = console.forecast(TODAY, 36)
    with store.batch():
        console.add_client("fresh", "Fresh", TODAY)
        console.assign(
            "fresh",
            cl.AssignmentRequest(product="edr", license_type="commercial", quantity=9, period="1y"),
            TODAY,
        )
        inside = console.forecast(TODAY, 36)
        assert inside == console.engine.forecast(store.clients(), TODAY, 36)
        assert inside != before
    assert console.forecast(TODAY, 36) == inside


def test_a_database_made_again_in_place_is_another(tmp_path: Path) -> None:
    """A file made again at the same path (a restore, a new demo) with the same change
    marks but other data is not answered from what was kept of the first."""
    path = tmp_path / "again.db"
    answers = []
    for seats in (5, 7):
        store = cl.Store(path, "p")
        console = cl.Console(_engine(), store)
        console.add_client("a", "A", TODAY)
        sold = cl.AssignmentRequest(
            product="edr", license_type="commercial", quantity=seats, period="1m"
        )
        console.assign("a", sold, TODAY)
        answers.append(console.forecast(TODAY, 12).total())
        store.close()
        path.unlink()
    assert answers == [5, 7]


def test_a_file_restored_in_place_is_another(tmp_path: Path) -> None:
    """A backup restored over the file a process serves, then other changes that bring
    the change mark back to a value it had: the process does not answer from what it
    kept before the restore (a restore gives the file a new instance)."""
    from cytolicense.store._sqlite import copy_database, renew_instance

    path, backup = tmp_path / "live.db", tmp_path / "backup.db"

    def sell(seats: int) -> int:
        with cl.Store(path, "p") as store:
            console = cl.Console(_engine(), store)
            sold = cl.AssignmentRequest(
                product="edr", license_type="commercial", quantity=seats, period="1m"
            )
            console.assign("a", sold, TODAY)
            return console.forecast(TODAY, 12).total()

    with cl.Store(path, "p") as store:
        cl.Console(_engine(), store).add_client("a", "A", TODAY)
    copy_database(path, backup, wait=1, locked=path)
    assert sell(5) == 5  # kept at this mark
    copy_database(backup, path, wait=1, locked=path)
    renew_instance(path)
    assert sell(7) == 7  # the same mark, other data


def test_two_databases_keep_their_own_forecasts(tmp_path: Path) -> None:
    a = cl.Console(_engine(), cl.Store(tmp_path / "a.db", "p"))
    b = cl.Console(_engine(), cl.Store(tmp_path / "b.db", "p"))
    _fill(a, seed=1, clients=15)
    _fill(b, seed=2, clients=15)
    for c in (a, b, a, b):
        assert c.forecast(TODAY, 12) == c.engine.forecast(c.store.clients(), TODAY, 12)


def test_a_partners_role_keeps_its_own_marks(postgres_url: str) -> None:
    """Under row-level security a partner's role reads and counts its own change mark
    (an import by B moves B's alone) and never sees another partner's."""
    import psycopg

    from .test_postgres import _tenancy

    _, url_a, url_b = _tenancy(postgres_url)
    engine = _engine()
    for url, partner in ((url_a, "A"), (url_b, "B")):
        with cl.open_store(url, partner) as store:
            created = engine.new_client(f"{partner}1", partner, TODAY)
            sold = cl.AssignmentRequest(
                product="edr", license_type="commercial", quantity=4, period="1m"
            )
            done = engine.apply(created.client, sold, TODAY)
            store.bulk([cl.Change(client=done.client, events=created.events + done.events)])
            console = cl.Console(engine, store)
            assert console.forecast(TODAY, 12).total() == 4
            assert console.forecast(TODAY, 12).total() == 4  # kept
    with psycopg.connect(url_a, autocommit=True) as conn:
        assert conn.execute("SELECT partner, imports FROM change_marks").fetchall() == [("A", 1)]


# -- the pages -----------------------------------------------------------------------------

pytest.importorskip("starlette")
pytest.importorskip("jinja2")
from starlette.testclient import TestClient  # noqa: E402

from cytolicense.web import create_app  # noqa: E402


@pytest.fixture
def web(target: str) -> Iterator[tuple[TestClient, cl.Console]]:
    partner = f"w-{uuid.uuid4().hex[:8]}"
    store = cl.open_store(target, partner)
    console = cl.Console(_engine(), store)
    _fill(console, clients=180)
    for _i in range(60):
        console.credit_pool("edr", "1y", 1, TODAY)
    app = create_app(target, partner, today=TODAY, catalog=console.engine.catalog)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        c.get("/")
        yield c, console
    store.close()


def _ids(page: str) -> list[str]:
    return [html.unescape(i) for i in re.findall(r'<span class="muted id">([^<]*)</span>', page)]


def _next(page: str) -> str | None:
    found = re.search(r'<a class="button secondary" href="([^"]+)" id="next">', page)
    return html.unescape(found.group(1)) if found else None


@pytest.mark.parametrize("sort", ["name", "-name", "ended_on", "-ended_on"])
def test_the_monitoring_pages_walk_a_sort_through_their_links(
    web: tuple[TestClient, cl.Console], sort: str
) -> None:
    client, console = web
    want = _want(console.store.rows(TODAY, shown=True), sort)
    assert len(want) > 100  # three pages
    got: list[str] = []
    url: str | None = f"/?sort={sort}&lang=es"
    pages = 0
    while url is not None:
        page = client.get(url)
        assert page.status_code == 200
        got += _ids(page.text)
        url = _next(page.text)
        pages += 1
        if url is not None:
            query = parse_qs(urlsplit(url).query)
            assert query["sort"] == [sort] and query["lang"] == ["es"]
    assert pages == 3
    assert got == want


def test_the_headers_link_each_sort_and_mark_the_current_one(
    web: tuple[TestClient, cl.Console],
) -> None:
    client, _ = web
    page = client.get("/?q=a&lang=es").text
    assert "aria-sort" not in page  # the id order: no column marked
    name_link = html.unescape(re.search(r'href="([^"]+)" id="sort-name"', page).group(1))  # type: ignore[union-attr]
    assert parse_qs(urlsplit(name_link).query) == {"q": ["a"], "sort": ["name"], "lang": ["es"]}
    page = client.get(name_link).text
    assert re.search(r'<th scope="col" aria-sort="ascending"><a [^>]*id="sort-name"', page)
    assert 'aria-sort="descending"' not in page
    again = html.unescape(re.search(r'href="([^"]+)" id="sort-name"', page).group(1))  # type: ignore[union-attr]
    assert parse_qs(urlsplit(again).query)["sort"] == ["-name"]
    page = client.get(again).text
    assert re.search(r'aria-sort="descending"><a [^>]*id="sort-name"', page)
    end = html.unescape(re.search(r'href="([^"]+)" id="sort-ended_on"', page).group(1))  # type: ignore[union-attr]
    assert parse_qs(urlsplit(end).query)["sort"] == ["ended_on"]
    # The search box keeps the sort.
    assert '<input type="hidden" name="sort" value="-name">' in page
    # The rows of a sorted search are the search's, in the sort's order.
    names = [html.unescape(n) for n in re.findall(r'<a href="/clients/[^"]+">([^<]+)</a>', page)]
    assert names and all("a" in fold(n) for n in names)
    assert names == sorted(names, key=fold, reverse=True)


def test_an_unknown_sort_or_key_gives_the_first_page(web: tuple[TestClient, cl.Console]) -> None:
    client, _console = web
    first = _ids(client.get("/").text)
    assert _ids(client.get("/?sort=state").text) == first
    by_end = _ids(client.get("/?sort=ended_on").text)
    assert _ids(client.get("/?sort=ended_on&after=c001&after_key=nope").text) == by_end
    assert _ids(client.get("/?sort=ended_on&after=c001").text) == by_end


def test_the_search_page_folds_in_the_store(web: tuple[TestClient, cl.Console]) -> None:
    client, console = web
    for q in ("STRASSE", "ñandú", "ΩMEGA"):
        want = [r.id for r in console.store.rows(TODAY, shown=True, search=q)]
        assert want
        got: list[str] = []
        url: str | None = f"/?q={q}"
        while url is not None:
            page = client.get(url).text
            got += _ids(page)
            url = _next(page)
        assert got == want


def test_the_pool_page_shows_the_last_50_movements(web: tuple[TestClient, cl.Console]) -> None:
    client, console = web
    page = client.get("/pool")
    assert page.status_code == 200
    assert console.store.pool_history(last=50) == console.store.pool_history()[-50:]
