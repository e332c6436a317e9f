"""Webhook delivery throughput and the feed's read rate (issue 49).

* Delivery: N events (client creations) delivered to a local receiver (a threaded
  HTTP server on 127.0.0.1 answering 204 at once) by 1 and by 4 worker processes
  (``Console.deliver`` each, its own connection), on PostgreSQL and SQLite; the time
  from the first worker's start to the last delivery recorded.
* The feed: 1M items written into one partner's feed (rows copied in, as saves
  write them), then read whole with ``Console.feed(after=last, limit=1000)``, page
  after page: items a second.

``python benchmarks/webhooks.py [--events 2000] [--feed 1000000] [--pg-url URL]``
(without ``--pg-url`` it starts a server of its own, as the tests do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WORKER = """
import sys, cytolicense as cl
store = cl.open_store(sys.argv[1], sys.argv[2])
console = cl.Console(cl.Engine(cl.load_catalog()), store)
print("ready", flush=True)
sys.stdin.readline()  # started together, once every worker is ready
while console.deliver(batch=20):
    pass
store.close()
"""


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def delivery(url: str, partner: str, events: int, workers: int, receiver_url: str) -> float:
    store = cl.open_store(url, partner)
    console = cl.Console(cl.Engine(cl.load_catalog()), store)
    console.add_webhook(receiver_url, SECRET, TODAY)
    with store.batch():
        for i in range(events):
            console.add_client(f"c{i:06d}", f"Client {i}", TODAY)
    env = {**os.environ, "CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, partner],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for p in procs:  # the imports and the connection are not timed
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
    start = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.close()
    for p in procs:
        p.wait()
    took = time.perf_counter() - start
    done = console.deliveries(status="delivered", limit=events + 1)
    assert len(done) == events, (len(done), events)
    store.close()
    return took


def feed_rate(url: str, partner: str, items: int) -> tuple[float, float]:
    """Seconds to write *items* feed rows (copied in), and items read a second."""
    store = cl.open_store(url, partner)
    console = cl.Console(cl.Engine(cl.load_catalog()), store)
    console.add_client("seed", "Seed", TODAY)
    (first,) = console.feed()
    doc = cl.to_json(first.event).replace(" ", "")
    start = time.perf_counter()
    if isinstance(store, cl.PostgresStore):
        # One statement (row-level security refuses COPY into the table).
        store._db.execute(
            "INSERT INTO feed (partner, position, client_id, type, document) "
            "SELECT %s, g, 'seed', 'ClientCreated', %s FROM generate_series(2, %s) AS g",
            (partner, doc, items),
        )
        store._db.execute(
            "UPDATE feed_heads SET position = %s WHERE partner = %s", (items, partner)
        )
        store._db.execute("VACUUM ANALYZE feed")
    else:
        with store.batch():
            store._db.executemany(
                "INSERT INTO feed (partner, position, client_id, type, document) "
                "VALUES (?, ?, ?, ?, ?)",
                ((partner, i, "seed", "ClientCreated", doc) for i in range(2, items + 1)),
            )
            store._db.execute(
                "UPDATE feed_heads SET position = ? WHERE partner = ?", (items, partner)
            )
    wrote = time.perf_counter() - start
    start = time.perf_counter()
    last, seen = 0, 0
    while True:
        page = console.feed(after=last, limit=1000)
        if not page:
            break
        seen += len(page)
        last = page[-1].position
    took = time.perf_counter() - start
    assert seen == items, (seen, items)
    store.close()
    return wrote, items / took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--feed", type=int, default=1_000_000)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    os.environ["CYTOLICENSE_WEBHOOK_ALLOW_PRIVATE"] = "1"  # the receiver is local
    server = None
    pg_url = args.pg_url
    if pg_url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.conftest import PostgresServer

        server = PostgresServer()
        pg_url = server.url
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    folder = Path(tempfile.mkdtemp(prefix="cytolicense-hooks-"))
    try:
        for label, url in (("PostgreSQL", pg_url), ("SQLite", str(folder / "hooks.db"))):
            for workers in (1, 4):
                took = delivery(url, f"d{workers}", args.events, workers, hook)
                print(
                    f"{label}: {args.events} deliveries, {workers} worker(s): {took:.2f} s, "
                    f"{args.events / took:,.0f} a second",
                    flush=True,
                )
        for label, url in (("PostgreSQL", pg_url), ("SQLite", str(folder / "feed.db"))):
            wrote, rate = feed_rate(url, "feed", args.feed)
            print(
                f"{label}: feed of {args.feed:,} items (written in {wrote:.1f} s): read whole "
                f"in pages of 1000 at {rate:,.0f} items a second",
                flush=True,
            )
    finally:
        receiver.shutdown()
        if server is not None:
            server.remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
