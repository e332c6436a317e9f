"""Worker processes for the store's crash and race tests (run as scripts)."""

from __future__ import annotations

import datetime as dt
import sys

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
REQUEST = cl.AssignmentRequest(
    product="cytomic-epdr",
    license_type="commercial",
    quantity=10,
    period="1y",
    modules={"cytomic-encryption": 5, "cytomic-patch": None},
)


PARTNER = sys.argv[4] if len(sys.argv) > 4 else "p1"


def console(path: str) -> cl.Console:
    """A console over the SQLite file *path*, or over PostgreSQL when *path* is a URL."""
    store = cl.open_store(path, PARTNER) if "://" in path else cl.Store(path, PARTNER)
    return cl.Console(cl.Engine(cl.load_catalog()), store)


def crash(path: str, batch: int) -> None:
    """Write batches of new clients forever; print each batch number once committed."""
    c = console(path)
    n = 0
    while True:
        with c.store.batch():
            for i in range(batch):
                cid = f"c{n * batch + i:06d}"
                c.add_client(cid, f"Client {cid}", TODAY)
                c.assign(cid, REQUEST, TODAY)
                c.modify(cid, "m1", TODAY, quantity=12)
        print(n, flush=True)
        n += 1


def race(path: str, rounds: int) -> None:
    """Add one seat to client 'shared' *rounds* times, retrying on conflicts."""
    c = console(path)
    conflicts = 0
    for _ in range(rounds):
        while True:
            client, version = c.store.load("shared")
            m = client.maintenances[0]
            change = c.engine.modify(client, m.id, TODAY, quantity=m.quantity + 1)
            try:
                c.store.save(change, version)
                break
            except cl.ConflictError:
                conflicts += 1
    print(conflicts, flush=True)


def pool(path: str, start: int) -> None:
    """Take two seats from the shared pool for each of clients start, start+2, ... < 40
    (another process takes the others), retrying on conflicts; print the retries."""
    c = console(path)
    request = cl.AssignmentRequest(
        product="cytomic-epdr", license_type="commercial", quantity=2, period="1y"
    )
    retries = 0
    for i in range(start, 40, 2):
        while True:
            try:
                c.apply(f"c{i}", request, TODAY)
                break
            except cl.ConflictError:
                retries += 1
    print(retries, flush=True)


if __name__ == "__main__":
    {"crash": crash, "race": race, "pool": pool}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
