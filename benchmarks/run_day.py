"""The day's run (:meth:`Console.run_day`) at a partner of 100,000 clients, 1% due (issue 48).

Builds one partner of N clients (default 100,000) in a SQLite file and in PostgreSQL
with the stores' ``bulk``: each client sold one year of EDR or EPDR (5, 10 or 25
seats, Patch). 1% of them renew by themselves (``SetAutoRenew``) and expire on each
of the three days of the rounds (3% in all: 1% due on each round's day); the others
expire on any other day from a year before to a year after (a third of them with
auto-renewal on too), so half have ended and about 8% end within the notices' 60
days. The pool is credited enough seats for every renewal. Before the first round
the expiry notices of the day before are written (not timed), so each round is a
day like any other: the partner's run of yesterday done.

Each round is the run of the next day (rounds 1, 2, 3: the days D, D+1, D+2), in a
fresh process state (a new store connection, the console's caches empty):

- **first run**: ``Console.run_day(day)``: about N/100 renewals applied (one batch
  of 500 clients a transaction, each renewal under its idempotency key), then the
  notices crossing a threshold on the day (60, 30, 7 or 1 days before an expiry);
- **repeat**: the same day again, which must apply and write nothing.

For each it reports the wall time and the share of it spent **reading what is due**:
the time inside the store's candidate queries on the expiry index
(``renewals_due`` and ``notices_due``), and, beside it, inside ``load_many`` too (the
candidates' documents, read a batch at a time under the batch's locks). The three
rounds give the median and the spread (lowest..highest). The machine's ``uptime``
is printed before and after.

    python benchmarks/run_day.py [--clients N] [--rounds 3] [--pg-url URL] [--no-pg]
    python benchmarks/run_day.py --quick     # 10,000 clients, 1 round (under a minute)

Without --pg-url a PostgreSQL server of its own is started (initdb + pg_ctl on a
Unix socket, ``fsync`` on: benchmarks/http_console.py's ``OwnPostgres``) in a temporary directory
and removed afterwards. The SQLite store is opened as ``open_store`` opens it
(durable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cytolicense as cl
from cytolicense.store._day import write_expiry_notices

DAY = dt.date(2026, 11, 27)
PARTNER = "day"
READS = ("renewals_due", "notices_due")  # the candidates, from the expiry index
DOCS = ("load_many",)  # the candidates' documents


def changes(count: int, rounds: int, size: int = 20_000) -> Iterator[list[cl.Change]]:
    """The clients: ``i % 100 < rounds`` expire on the round's day with auto-renewal
    on; the others on any other day within a year of DAY."""
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
    run_days = set(range(rounds))
    rng = random.Random(48)
    batch: list[cl.Change] = []
    for i in range(count):
        due = i % 100 < rounds
        if due:
            offset = i % 100
        else:
            offset = rng.randrange(-365, 366)
            while offset in run_days:
                offset = rng.randrange(-365, 366)
        expires = DAY + dt.timedelta(days=offset)
        start = expires - dt.timedelta(days=365)  # a year's line ends 365 days on
        created = engine.new_client(f"c{i:07d}", f"Client {i}", start)
        done = engine.apply(created.client, requests[i % 6], start)
        events = created.events + done.events
        client = done.client
        if due or i % 3 == 0:
            mid = client.maintenances[0].id
            on = engine.apply(client, cl.SetAutoRenew(maintenance=mid, on=True), start)
            events += on.events
            client = on.client
        assert client.maintenances[0].expires_on == expires
        batch.append(cl.Change(client=client, events=events))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(stores: list[cl.ClientStore], count: int, rounds: int) -> None:
    t0 = time.perf_counter()
    for batch in changes(count, rounds):
        for store in stores:
            with store.batch():
                store.bulk(batch)
    for store in stores:
        if isinstance(store, cl.PostgresStore):
            store._db.execute("VACUUM (ANALYZE) clients, events, expiries")
        else:
            store._db.execute("ANALYZE")  # type: ignore[attr-defined]
        with store.batch():
            for product in ("cytomic-edr", "cytomic-epdr", "cytomic-patch"):
                store.credit_pool(product, "1y", 10 * count, DAY - dt.timedelta(days=800))
    print(f"  built {count:,} clients in {time.perf_counter() - t0:.0f} s", flush=True)


def console_of(db: str) -> cl.Console:
    return cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(db, PARTNER))


def timed_run(db: str, day: dt.date) -> dict[str, Any]:
    """One ``run_day`` in a fresh console, with the time inside the store's reads."""
    console = console_of(db)
    store = console.store
    inside: dict[str, float] = {}
    calls: dict[str, int] = {}

    def wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                inside[name] = inside.get(name, 0.0) + time.perf_counter() - t
                calls[name] = calls.get(name, 0) + 1

        return timed

    for name in (*READS, *DOCS):
        setattr(store, name, wrap(name, getattr(store, name)))
    t = time.perf_counter()
    run = console.run_day(day)
    total = time.perf_counter() - t
    store.close()
    return {
        "total": total,
        "index": sum(inside.get(n, 0.0) for n in READS),
        "docs": sum(inside.get(n, 0.0) for n in DOCS),
        "applied": len(run.applied),
        "refused": len(run.refused),
        "notices": len(run.notices),
        "calls": calls,
    }


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(uptime unavailable)"


def own_postgres() -> Any:
    """benchmarks/http_console.py's PostgreSQL server of the run's own (initdb + pg_ctl
    on a Unix socket, ``fsync`` on)."""
    from http_console import OwnPostgres

    return OwnPostgres()


def spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.2f} ({min(values):.2f}..{max(values):.2f})"


def pct(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}% ({min(values):.1f}..{max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", "--postgres", dest="pg_url")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10,000 clients, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rounds = 10_000, 1
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be from 1 to 100")
    print(f"uptime before: {uptime()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="cytolicense-run-day-"))
    server = None
    pg_url = args.pg_url
    if not args.no_pg and pg_url is None:
        try:
            server = own_postgres()
        except (
            AssertionError,
            OSError,
            ImportError,
            subprocess.CalledProcessError,
        ) as exc:  # no binaries, no psycopg
            print(f"  PostgreSQL skipped: {exc}", flush=True)
        else:
            pg_url = server.url
    count = args.clients
    sqlite_db = str(folder / "run-day.db")
    targets = [("SQLite", sqlite_db)]
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        if pg_url is not None:
            import psycopg

            schema = f"run_day_{count}"
            with psycopg.connect(pg_url, autocommit=True) as db:
                db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                db.execute(f"CREATE SCHEMA {schema}")
            sep = "&" if "?" in pg_url else "?"
            targets.append(("PostgreSQL", f"{pg_url}{sep}options=-csearch_path%3D{schema}"))
        print(f"{count:,} clients, {args.rounds} round(s)", flush=True)
        stores: list[cl.ClientStore] = [cl.Store(sqlite_db, PARTNER, durable=False)]
        stores += [cl.open_store(db, PARTNER) for _, db in targets[1:]]
        build(stores, count, args.rounds)
        for store in stores:
            store.close()
        for label, db in targets:
            console = console_of(db)  # yesterday's notices (not timed)
            t = time.perf_counter()
            n = len(write_expiry_notices(console, DAY - dt.timedelta(days=1)))
            console.store.close()
            print(f"  {label}: yesterday's {n:,} notices in {time.perf_counter() - t:.1f} s")
        for r in range(args.rounds):
            day = DAY + dt.timedelta(days=r)
            for label, db in targets:
                for which in ("first run", "repeat"):
                    got = timed_run(db, day)
                    if which == "repeat":
                        assert got["applied"] == got["notices"] == 0, got
                    else:
                        assert got["applied"] == count // 100 + (r < count % 100), got
                        assert got["refused"] == 0, got
                    results.setdefault((label, which), []).append(got)
                    print(
                        f"  round {r + 1} {day} {label:10} {which:9} {got['total']:6.2f} s  "
                        f"index {got['index'] * 1000:6.1f} ms  documents "
                        f"{got['docs'] * 1000:7.1f} ms  applied {got['applied']:,} "
                        f"notices {got['notices']:,}  calls {got['calls']}",
                        flush=True,
                    )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"uptime after: {uptime()}", flush=True)
    print(
        f"\n{count:,} clients, {args.rounds} round(s): median (lowest..highest)\n\n"
        "| store | run | renewed | notices | time (s) | reading what is due: "
        "index (ms) | share | with the documents (ms) | share |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for (label, which), rows in results.items():
        totals = [g["total"] for g in rows]
        index = [g["index"] * 1000 for g in rows]
        docs = [(g["index"] + g["docs"]) * 1000 for g in rows]
        print(
            f"| {label} | {which} | {statistics.median(g['applied'] for g in rows):,.0f} "
            f"| {statistics.median(g['notices'] for g in rows):,.0f} | {spread(totals)} "
            f"| {spread(index)} | {pct([100 * g['index'] / g['total'] for g in rows])} "
            f"| {spread(docs)} "
            f"| {pct([100 * (g['index'] + g['docs']) / g['total'] for g in rows])} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
