"""The web console's two ways of reaching PostgreSQL without blocking its event loop,
measured under concurrent requests (issue R3 2/6).

Each request does what the client-detail page does: read one client's stored
document (``SELECT document, version, seq FROM clients WHERE partner = %s AND
id = %s``), decode it, and build its detail view. Two ways, one event loop, C
concurrent requests at a time, for a bounded time each, interleaved in rounds:

- **threads**: the sync :class:`cytolicense.PostgresStore`, one per worker thread,
  called through Starlette's ``run_in_threadpool`` (what ``create_app`` does);
- **async**: psycopg's ``AsyncConnection``, one per concurrent request (a pool of
  C), the same query awaited on the loop, then the same decode and view on the loop.

Beside each request's latency it measures the event loop's lag (a 1 ms ticker's
overshoot): what a blocked loop would show. Only the given database is contacted.

    python benchmarks/pg_async.py --postgres URL [--clients 20000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool
from web_load import TODAY, batches

import cytolicense as cl
from cytolicense.store._serialize import stored_client

PARTNER = "bench-async"
SQL = "SELECT document, version, seq FROM clients WHERE partner = %s AND id = %s"


def build(url: str, count: int) -> None:
    with cl.open_store(url, PARTNER) as store:
        if len(store.clients()) >= count:
            return
        for batch in batches(count):
            store.bulk(batch)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(
    one: Callable[[str], Awaitable[object]], ids: list[str], concurrency: int, seconds: float
) -> dict[str, float]:
    """Run *concurrency* request loops for *seconds*; latencies, throughput, loop lag."""
    latencies: list[float] = []
    lags: list[float] = []
    stop = time.perf_counter() + seconds
    rng = random.Random(7)

    async def worker() -> None:
        while time.perf_counter() < stop:
            cid = ids[rng.randrange(len(ids))]
            t0 = time.perf_counter()
            await one(cid)
            latencies.append(time.perf_counter() - t0)

    async def ticker() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - t0 - 0.001)

    t0 = time.perf_counter()
    await asyncio.gather(ticker(), *(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "lag_p99_ms": percentile(lags, 0.99) * 1000,
    }


async def threads_way(
    url: str, engine: cl.Engine
) -> tuple[Callable[[str], Awaitable[object]], Callable[[], None]]:
    local = threading.local()
    stores: list[cl.ClientStore] = []
    lock = threading.Lock()

    def read(cid: str) -> object:
        store = getattr(local, "store", None)
        if store is None:
            store = local.store = cl.open_store(url, PARTNER)
            with lock:
                stores.append(store)
        return engine.detail(store.get(cid), TODAY)

    async def one(cid: str) -> object:
        return await run_in_threadpool(read, cid)

    def close() -> None:
        for store in stores:
            store.close()

    return one, close


async def async_way(
    url: str, engine: cl.Engine, concurrency: int
) -> tuple[Callable[[str], Awaitable[object]], Callable[[], Awaitable[None]]]:
    free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    opened = []
    for _ in range(concurrency):
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        await conn.execute("SELECT set_config('cytolicense.partner', %s, false)", (PARTNER,))
        opened.append(conn)
        free.put_nowait(conn)

    async def one(cid: str) -> object:
        conn = await free.get()
        try:
            cursor = await conn.execute(SQL, (PARTNER, cid))
            row = await cursor.fetchone()
        finally:
            free.put_nowait(conn)
        assert row is not None
        return engine.detail(stored_client(row[0]), TODAY)

    async def close() -> None:
        for conn in opened:
            await conn.close()

    return one, close


async def main_async(args: argparse.Namespace) -> int:
    engine = cl.Engine(cl.load_catalog())
    ids = [f"c{i:07d}" for i in range(args.clients)]
    print(
        f"{args.clients:,} clients; each request reads one and builds its detail; "
        f"{args.seconds:g} s per run, {args.rounds} interleaved rounds (median, spread)"
    )
    print(f"{'C':>3} {'way':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'loop lag p99 ms':>16}")
    for concurrency in args.concurrency:
        runs: dict[str, list[dict[str, float]]] = {"threads": [], "async": []}
        for _ in range(args.rounds):
            one_t, close_t = await threads_way(args.postgres, engine)
            runs["threads"].append(await drive(one_t, ids, concurrency, args.seconds))
            close_t()
            one_a, close_a = await async_way(args.postgres, engine, concurrency)
            runs["async"].append(await drive(one_a, ids, concurrency, args.seconds))
            await close_a()
        for way, results in runs.items():
            rps = [r["rps"] for r in results]
            cells = [
                f"{statistics.median(rps):8.0f}",
                f"{statistics.median(r['p50_ms'] for r in results):8.2f}",
                f"{statistics.median(r['p99_ms'] for r in results):8.2f}",
                f"{statistics.median(r['lag_p99_ms'] for r in results):16.2f}",
            ]
            print(
                f"{concurrency:>3} {way:8} {' '.join(cells)}   (req/s {min(rps):.0f}-{max(rps):.0f})"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", metavar="URL", required=True)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 8, 32])
    args = parser.parse_args()
    t0 = time.perf_counter()
    build(args.postgres, args.clients)
    print(f"store ready in {time.perf_counter() - t0:.1f} s")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
