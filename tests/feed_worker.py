"""A writer process for the feed's race test (run as a script):
``feed_worker.py URL PARTNER NAME ROUNDS BATCH``."""

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


def write(url: str, partner: str, name: str, rounds: int, batch: bool) -> None:
    store = cl.open_store(url, partner)
    console = cl.Console(cl.Engine(cl.load_catalog()), store, retry=cl.Retry(conflicts=True))
    try:
        for n in range(rounds):
            if batch:
                ids = [f"{name}-{n}-{k}" for k in range(3)]
                with store.batch():
                    for cid in ids:
                        console.add_client(cid, cid, TODAY)
                console.apply_each(ids, REQUEST, TODAY)
            else:
                cid = f"{name}-{n}"
                console.add_client(cid, cid, TODAY)
                console.assign(cid, REQUEST, TODAY)
                console.modify(cid, "m1", TODAY, quantity=11)
    finally:
        store.close()


if __name__ == "__main__":
    url, partner, name, rounds, batch = sys.argv[1:6]
    write(url, partner, name, int(rounds), batch == "1")
