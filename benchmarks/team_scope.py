"""A scoped operator's monitoring page at a large partner (issue 47).

Builds one partner of N clients (default 1,000,000) in a SQLite file with the store's
``bulk``: 100 of them in the group ``north/retail`` (spread over the whole id range),
the others in 50 other groups. Then times a page of the monitoring list (101 rows,
shown on the day, by id and by name) through the console, for an unscoped operator
(total control) and for a monitoring operator granted ``north/retail`` alone, 20
timed pages each after a warm-up, and the scoped operator's whole monitoring list.

    python benchmarks/team_scope.py [N]

Measured (SQLite, 1,000,000 clients, ANALYZEd): unscoped 0.18-0.74 ms a page, the
operator of 100 clients 0.21-0.30 ms; its whole monitoring list 0.8 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time

import attrs

import cytolicense as cl

T = dt.date(2026, 4, 1)


def build(path: str, n: int) -> cl.Console:
    store = cl.Store(path, "p", durable=False)
    engine = cl.Engine(cl.load_catalog())
    batch = []
    step = max(1, n // 100)
    for i in range(n):
        group = "north/retail" if i % step == 0 else f"g{i % 50}"
        created = engine.new_client(f"c{i:07d}", f"Client {i}", T)
        moved = engine.apply(created.client, cl.SetGroup(group=group), T)
        events = (*created.events, *moved.events)
        batch.append(attrs.evolve(created, client=moved.client, events=events))
        if len(batch) == 20_000:
            store.bulk(batch)
            batch = []
    if batch:
        store.bulk(batch)
    store._db.execute("ANALYZE")
    return cl.Console(engine, store)


def page_ms(console: cl.Console, order: str, times: int = 20) -> tuple[int, float]:
    console.rows(T, shown=True, limit=101, order=order)
    start = time.perf_counter()
    for _ in range(times):
        rows = console.rows(T, shown=True, limit=101, order=order)
    return len(rows), (time.perf_counter() - start) / times * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = os.path.join(tempfile.mkdtemp(), "scope.db")
    start = time.perf_counter()
    root = build(path, n)
    print(f"built {n:,} clients in {time.perf_counter() - start:.1f} s")
    root.add_operator(cl.Operator(id="root", name="Root", role="total_control"), T)
    grants = {cl.Grant(group="north/retail")}
    root.add_operator(cl.Operator(id="ret", name="Ret", role="monitoring", grants=grants), T)
    for name, console in (("unscoped", root), ("scoped to 100", root.as_operator("ret"))):
        for order in ("id", "name"):
            rows, ms = page_ms(console, order)
            print(f"{name:14} by {order:5} {rows:4} rows  {ms:6.2f} ms a page")
    scoped = root.as_operator("ret")
    start = time.perf_counter()
    shown = scoped.monitoring(T)
    took = (time.perf_counter() - start) * 1000
    print(f"scoped monitoring() {len(shown)} clients {took:.1f} ms")


if __name__ == "__main__":
    main()
