"""PostgreSQL under concurrent writers (issue R3 3/6): 1, 2, 4 and 8 writer
processes against one server, all of one partner or spread over 8 partners.

Every partner has a pool tracking the products sold (so each write moves pool
seats and takes the partner's pool lock). Each writer owns its clients (no two
writers touch one client: what is measured is the store's own serialization,
not conflicts) and alternates two operations:

- **batch**: one ``store.batch()`` of 10 new clients, each assigned a product;
- **apply_each**: ``Console.apply_each`` of one assignment over 10 of its clients.

Each run is bounded in time (``--seconds``, at most 60). Prints, per run, the
operations a second in all (each touches 10 clients), and p50 / p99 of each
operation's latency. Only the given database is contacted.

    python benchmarks/pg_writers.py --postgres URL [--seconds 10] [--writers 1 2 4 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import statistics
import sys
import time
import uuid
from typing import Any

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
REQUEST = cl.AssignmentRequest(
    product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
)
ADD = cl.AssignmentRequest(
    product="cytomic-edr", license_type="commercial", quantity=1, period="1y"
)


def prepare(url: str, partners: list[str]) -> None:
    engine = cl.Engine(cl.load_catalog())
    for partner in partners:
        with cl.open_store(url, partner) as store:
            console = cl.Console(engine, store)
            console.credit_pool("cytomic-edr", "1y", 10**9, TODAY, reason="benchmark stock")


def writer(url: str, partner: str, tag: str, seconds: float, start_at: float, out: Any) -> None:
    engine = cl.Engine(cl.load_catalog())
    latencies: dict[str, list[float]] = {"batch": [], "apply_each": []}
    with cl.open_store(url, partner) as store:
        console = cl.Console(engine, store, retry=cl.Retry())
        mine: list[str] = []
        n = 0
        while time.time() < start_at:
            time.sleep(0.005)
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            ids = [f"{tag}-{n + i:07d}" for i in range(10)]
            n += 10
            with store.batch():
                for cid in ids:
                    console.add_client(cid, cid, TODAY)
                    console.apply(cid, REQUEST, TODAY)
            latencies["batch"].append(time.perf_counter() - t0)
            mine.extend(ids)
            if time.perf_counter() >= stop:
                break
            t0 = time.perf_counter()
            done = console.apply_each(mine[-10:], ADD, TODAY)
            assert all(isinstance(c, cl.Change) for c in done.values()), done
            latencies["apply_each"].append(time.perf_counter() - t0)
    out.put(latencies)


def run(url: str, writers: int, partners: int, seconds: float) -> dict[str, Any]:
    names = [f"bench-w{partners}-{uuid.uuid4().hex[:6]}-{p}" for p in range(partners)]
    prepare(url, names)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 2.0  # every process imported and connected first
    procs = [
        ctx.Process(
            target=writer,
            args=(url, names[w % partners], f"w{w}", seconds, start_at, out),
        )
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    merged: dict[str, list[float]] = {"batch": [], "apply_each": []}
    for r in results:
        for k, v in r.items():
            merged[k].extend(v)
    ops = sum(len(v) for v in merged.values())
    return {
        "ops_per_s": ops / seconds,
        **{
            f"{k}_p{q}_ms": statistics.quantiles(v, n=100)[q - 1] * 1000 if len(v) > 1 else 0.0
            for k, v in merged.items()
            for q in (50, 99)
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", metavar="URL", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, nargs="*", default=[1, 2, 4, 8])
    parser.add_argument("--partners", type=int, nargs="*", default=[1, 8])
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)
    print(
        f"writers against one PostgreSQL server, {seconds:g} s a run; an operation is a batch "
        "of 10 new clients assigned, or apply_each over 10 clients; every write moves pool seats"
    )
    print(
        f"{'partners':>8} {'writers':>7} {'ops/s':>8} {'batch p50':>10} {'p99':>8} "
        f"{'apply_each p50':>15} {'p99':>8}"
    )
    run(args.postgres, 2, 1, min(seconds, 3.0))  # warm the server's caches first
    base: dict[int, float] = {}
    for partners in args.partners:
        for writers in args.writers:
            r = run(args.postgres, writers, partners, seconds)
            base.setdefault(partners, r["ops_per_s"])
            print(
                f"{partners:>8} {writers:>7} {r['ops_per_s']:8.1f} {r['batch_p50_ms']:10.1f} "
                f"{r['batch_p99_ms']:8.1f} {r['apply_each_p50_ms']:15.1f} "
                f"{r['apply_each_p99_ms']:8.1f}   ({r['ops_per_s'] / base[partners]:.2f}x one writer)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
