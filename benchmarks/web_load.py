"""Page and API latencies of the web console under concurrent clients.

Builds a SQLite database of N clients (default 100,000), serves the console with
uvicorn on a loopback port, and runs C concurrent clients (default 8) for a bounded
time, each cycling through the monitoring page, a client's detail, its "Añadir
producto" dialog, the API's client document, its offer and a dry-run operation.
Prints p50 / p99 per request kind and the throughput. Only 127.0.0.1 is contacted;
every loop is bounded in count and in time.

    python benchmarks/web_load.py [--clients 100000] [--concurrency 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)


def batches(count: int, size: int = 5000) -> Iterator[list[cl.Change]]:
    """*count* new clients, each with a 1-year EDR line and Patch, sold 30 days before
    TODAY, as store changes in batches of *size*."""
    engine = cl.Engine(cl.load_catalog())
    request = cl.AssignmentRequest(
        product="cytomic-edr",
        license_type="commercial",
        quantity=10,
        period="1y",
        modules={"cytomic-patch": None},
    )
    start = TODAY - dt.timedelta(days=30)
    batch = []
    for i in range(count):
        created = engine.new_client(f"c{i:07d}", f"Client {i}", start)
        done = engine.apply(created.client, request, start)
        batch.append(cl.Change(client=done.client, events=created.events + done.events))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(path: Path, count: int) -> None:
    with cl.Store(path, "p", durable=False) as store:
        for batch in batches(count):
            store.bulk(batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--requests", type=int, default=20_000, help="at most, in all")
    args = parser.parse_args()
    import uvicorn

    from cytolicense.web import create_app

    folder = Path(tempfile.mkdtemp(prefix="cytolicense-web-"))
    db = folder / "load.db"
    t0 = time.perf_counter()
    build(db, args.clients)
    print(f"built {args.clients:,} clients in {time.perf_counter() - t0:.1f} s")
    app = create_app(str(db), "p", today=TODAY)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    dry = (
        b'{"cytolicense": 2, "type": "AssignmentRequest", "data": {"product": "cytomic-edr",'
        b' "license_type": "commercial", "quantity": 5, "period": "1y"}}'
    )
    kinds = [
        ("page: monitoring (first page)", "GET", "/?lang=es", None),
        ("page: monitoring (a search)", "GET", "/?q=Client%201234", None),
        ("page: client detail", "GET", "/clients/{id}", None),
        ("page: Añadir producto", "GET", "/clients/{id}/add?lang=es", None),
        ("api: client document", "GET", "/api/clients/{id}", None),
        ("api: offer", "GET", "/api/clients/{id}/offer", None),
        ("api: dry-run operation", "POST", "/api/clients/{id}/operations?dry_run=true", dry),
    ]
    times: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds
    budget = [args.requests]

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            name, method, path, body = kinds[i % len(kinds)]
            client_id = f"c{(i * 7919) % args.clients:07d}"
            start = time.perf_counter()
            conn.request(method, path.replace("{id}", client_id), body=body)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            assert response.status == 200, (name, response.status)
            with lock:
                times[name].append(elapsed)
            i += 1
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    server.should_exit = True
    thread.join(10)
    total = sum(len(v) for v in times.values())
    print(
        f"{args.concurrency} concurrent clients, {total:,} requests in {wall:.1f} s "
        f"({total / wall:.0f} requests/s), {args.clients:,} clients in the store"
    )
    for name, _, _, _ in kinds:
        values = sorted(times[name])
        if not values:
            continue
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{name:<34} n={len(values):5d}  p50 {statistics.median(values) * 1e3:7.1f} ms"
            f"  p99 {p99 * 1e3:7.1f} ms"
        )
    app.state.consoles.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
