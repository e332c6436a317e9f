"""Console pages at a large partner: the first page and a deep page of each.

Builds one partner of N clients (default 100,000 and 1,000,000) in a SQLite file and
in PostgreSQL with the stores' ``bulk``: each client sold one year of EDR or EPDR
(5, 10 or 25 seats, Patch) on a day of the two years before TODAY, so half of the
lines have expired (their expiry rows stay in the index, before the window) and the
rest end over the next twelve months (about 16% of them inside the Expiring page's
60 days); the pool gets 2,000 movements. Then times each page in-process through
Starlette's TestClient (the whole ASGI app: routing, store lease, query, template;
no socket), 3 warm-up requests and 15 timed, and prints the median and the slowest:

    /                 the monitoring list's first page; deep: ?after= the id at 90%
    /?sort=name       by name; deep: the key (folded name, id) at 90%
    /?sort=ended_on   by last day of service, oldest shown first (half the clients,
                      ended long ago, lie before them in the index)
    /?sort=-ended_on  by last day of service, latest first; deep: the key at 90% (an
                      empty last page, past every shown client)
    /?q=              a search: "client N/3" (11 hits at 1M); deep: "ñandú" (none:
                      the whole listing index read)
    /expiring         its first page; deep: the Next link at 90% of the window
    /forecast         12 months; deep: 36 months (kept: nothing changed in between)
    /forecast computed  the same, nothing kept (as after each change)
    /clients/{id}     the first client; deep: the last
    /pool             the pool (no paging)

and, at the smaller size, the peak memory (tracemalloc) of a monitoring sweep held
as a list against the streamed one.

    python benchmarks/pages.py [--clients 100000 1000000] [--pg-url URL] [--no-pg]

Without --pg-url a PostgreSQL server of its own is started (initdb + pg_ctl, as the
test suite does) in a temporary directory and removed afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
PARTNER = "big"


def changes(count: int, size: int = 10_000) -> Iterator[list[cl.Change]]:
    engine = cl.Engine(cl.load_catalog())
    requests = [
        cl.AssignmentRequest(
            product=p,
            license_type="commercial",
            quantity=q,
            period="1y",
            modules={"cytomic-patch": None},
        )
        for p in ("cytomic-edr", "cytomic-epdr")
        for q in (5, 10, 25)
    ]
    rng = random.Random(46)
    batch: list[cl.Change] = []
    for i in range(count):
        start = TODAY - dt.timedelta(days=rng.randrange(0, 730))
        created = engine.new_client(f"c{i:07d}", f"Client {i}", start)
        done = engine.apply(created.client, requests[i % 6], start)
        batch.append(cl.Change(client=done.client, events=created.events + done.events))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(stores: list[cl.ClientStore], count: int) -> None:
    t0 = time.perf_counter()
    for batch in changes(count, 50_000):
        for store in stores:
            with store.batch():  # PostgreSQL: no VACUUM after each import (one below)
                store.bulk(batch)
    for store in stores:
        if isinstance(store, cl.PostgresStore):
            store._db.execute("VACUUM (ANALYZE) clients, events, expiries")
    for store in stores:
        with store.batch():
            for i in range(2000):
                store.credit_pool("cytomic-edr", "1y", 10 if i % 3 else -5, TODAY)
    print(f"  built {count:,} clients in {time.perf_counter() - t0:.0f} s", flush=True)


def timed(
    get: Callable[[], object], runs: int = 15, before: Callable[[], object] | None = None
) -> tuple[float, float]:
    for _ in range(3):
        get()
    times = []
    for _ in range(runs):
        if before is not None:
            before()  # not timed
        t = time.perf_counter()
        get()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def pages(db: str, label: str, count: int) -> list[tuple[str, str, float, float, int]]:
    from urllib.parse import urlencode

    from starlette.testclient import TestClient

    from cytolicense.store._marks import FORECASTS
    from cytolicense.web import create_app
    from cytolicense.web._words import EXPIRING_DAYS

    store = cl.open_store(db, PARTNER)
    ids = [r.id for r in store.rows(TODAY, shown=True, limit=1)]
    deep_id = f"c{int(count * 0.9):07d}"
    last_id = f"c{count - 1:07d}"
    # The key of the Expiring page at 90% of the window (read once, for the link).
    keys = [
        (e.expires_on, e.client_id, e.maintenance_id)
        for e in store.iter_expiring(TODAY, EXPIRING_DAYS)
    ]
    window = len(keys)
    key = keys[int(window * 0.9)]
    del keys
    # The keys of the sorted lists' rows at 90% (read once, for the links).
    deep_sorted = {}
    for order, column, way in (("name", "name_key", ""), ("-ended_on", "ended_on", " DESC")):
        row = store._ask(  # type: ignore[attr-defined]
            store._sql(  # type: ignore[attr-defined]
                f"SELECT {column}, id FROM clients WHERE partner = ? "
                f"ORDER BY {column}{way}, id{way} LIMIT 1 OFFSET ?"
            ),
            (PARTNER, int(count * 0.9)),
            "benchmark",
        )[0]
        deep_sorted[order] = "/?" + urlencode(
            {"sort": order, "after_key": str(row[0]), "after": row[1]}
        )
    store.close()

    deep_expiring = "/expiring?" + urlencode(
        {"after_on": key[0].isoformat(), "after_client": key[1], "after_line": key[2]}
    )
    plan = [
        ("/", "/", f"/?after={deep_id}"),
        ("/expiring", "/expiring", deep_expiring),
        ("/?sort=name", "/?sort=name", deep_sorted["name"]),
        ("/?sort=ended_on", "/?sort=ended_on", None),
        ("/?sort=-ended_on", "/?sort=-ended_on", deep_sorted["-ended_on"]),
        ("/?q=", f"/?q=client%20{count // 3}", "/?q=%C3%B1and%C3%BA"),
        ("/forecast", "/forecast", "/forecast?months=36"),
        ("/forecast computed", "/forecast", "/forecast?months=36"),
        ("/clients/{id}", f"/clients/{ids[0]}", f"/clients/{last_id}"),
        ("/pool", "/pool", None),
    ]
    out = []
    app = create_app(db, PARTNER, today=TODAY)
    with TestClient(app) as client:
        for name, first, deep in plan:
            for which, url in (("first", first), ("deep", deep)):
                if url is None:
                    continue
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                size = len(response.content)
                # "computed": every request finds nothing kept (as after a change).
                before = FORECASTS.clear if name.endswith("computed") else None
                median, worst = timed(lambda u=url: client.get(u), before=before)
                out.append((name, which, median, worst, size))
                print(
                    f"  {label:10} {name:14} {which:5} {median:8.2f} ms (max {worst:7.2f}) "
                    f"{size / 1024:6.1f} KiB",
                    flush=True,
                )
    print(f"  {label}: {window:,} lines in the Expiring window", flush=True)
    return out


def sweep_memory(db: str) -> tuple[float, float]:
    """Peak traced MiB of Console.monitoring (a list) and of iter_monitoring."""
    console = cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(db, PARTNER))
    gc.collect()
    tracemalloc.start()
    held = console.monitoring(TODAY)
    n = len(held)
    del held
    _, peak_list = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    tracemalloc.start()
    m = sum(1 for _ in console.iter_monitoring(TODAY))
    _, peak_iter = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert m == n
    console.store.close()
    return peak_list / 2**20, peak_iter / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--pg-url")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cytolicense-pages-"))
    server = None
    pg_url = args.pg_url
    if not args.no_pg and pg_url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.conftest import PostgresServer

        server = PostgresServer()
        pg_url = server.url
    results = []
    try:
        for count in args.clients:
            print(f"{count:,} clients", flush=True)
            sqlite_db = str(folder / f"pages-{count}.db")
            targets = [("SQLite", sqlite_db)]
            if pg_url is not None:
                import psycopg

                schema = f"pages_{count}"
                with psycopg.connect(pg_url, autocommit=True) as db:
                    db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    db.execute(f"CREATE SCHEMA {schema}")
                sep = "&" if "?" in pg_url else "?"
                targets.append(("PostgreSQL", f"{pg_url}{sep}options=-csearch_path%3D{schema}"))
            stores: list[cl.ClientStore] = [cl.Store(sqlite_db, PARTNER, durable=False)]
            stores += [cl.open_store(db, PARTNER) for _, db in targets[1:]]
            build(stores, count)
            for store in stores:
                store.close()
            for label, db in targets:
                for row in pages(db, label, count):
                    results.append((count, label, *row))
            if count == min(args.clients) and count <= 200_000:  # tracemalloc is slow
                for label, db in targets:
                    held, streamed = sweep_memory(db)
                    print(
                        f"  {label}: monitoring sweep peak {held:.0f} MiB as a list, "
                        f"{streamed:.1f} MiB streamed",
                        flush=True,
                    )
            Path(sqlite_db).unlink(missing_ok=True)
    finally:
        if server is not None:
            server.remove()
    print("\n| clients | store | page | first (ms) | deep (ms) |")
    print("|---|---|---|---|---|")
    table: dict[tuple[int, str, str], dict[str, float]] = {}
    for count, label, name, which, median, _, _ in results:
        table.setdefault((count, label, name), {})[which] = median
    for (count, label, name), row in table.items():
        deep = f"{row['deep']:.1f}" if "deep" in row else "-"
        print(f"| {count:,} | {label} | {name} | {row['first']:.1f} | {deep} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
