"""A process of concurrent HTTP writers against a running console (run as a script).

``python http_worker.py BASE_URL NAME THREADS ROUNDS SHARED_MAINTENANCE`` starts
*THREADS* threads; each adds a client of its own, assigns it a product and modifies
it *ROUNDS* times (keyed and unkeyed), modifies the shared client (``shared``) with
unique quantities, and sends the same keyed request as every other thread. Prints one
JSON line per request: ``{"path", "status", "body", "key", "quantity"}``.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

EDR = {
    "cytolicense": 2,
    "type": "AssignmentRequest",
    "data": {
        "product": "cytomic-edr",
        "license_type": "commercial",
        "quantity": 5,
        "period": "1y",
        "modules": {},
        "management": "centralized",
    },
}


def modify(maintenance: str, quantity: int) -> dict[str, Any]:
    data = {"maintenance": maintenance, "quantity": quantity, "modules": None}
    return {"cytolicense": 2, "type": "Modify", "data": data}


def post(base: str, path: str, body: object, key: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode("utf-8", "replace")


def main() -> None:
    base, name, threads, rounds, shared = sys.argv[1:6]
    out = threading.Lock()

    def record(path: str, status: int, body: Any, key: str | None, quantity: int | None) -> None:
        line = {"path": path, "status": status, "body": body, "key": key, "quantity": quantity}
        with out:
            print(json.dumps(line), flush=True)

    def writer(t: int) -> None:
        own = f"{name}-{t}"
        status, body = post(base, "/api/clients", {"id": own, "name": own.upper()})
        record("/api/clients", status, body, None, None)
        path = f"/api/clients/{own}/operations"
        status, body = post(base, path, EDR, key=f"{own}-assign")
        record(path, status, body, f"{own}-assign", None)
        mine = body["client"]["data"]["maintenances"][0]["id"] if status == 200 else "m1"
        for k in range(int(rounds)):
            key = f"{own}-{k}" if k % 2 else None
            status, body = post(base, path, modify(mine, 10 + k), key=key)
            record(path, status, body, key, 10 + k)
            quantity = 1000 + int(name.rpartition("w")[2]) * 10_000 + t * 100 + k
            key = f"{own}-shared-{k}" if k % 2 else None
            status, body = post(
                base, "/api/clients/shared/operations", modify(shared, quantity), key
            )
            record("/api/clients/shared/operations", status, body, key, quantity)
        same = "the-same-key-for-everyone"
        status, body = post(base, "/api/clients/shared/operations", modify(shared, 7), same)
        record("/api/clients/shared/operations", status, body, same, 7)

    failed: list[BaseException] = []

    def run(t: int) -> None:
        try:
            writer(t)
        except BaseException as exc:  # the process fails, naming it
            failed.append(exc)
            raise

    workers = [threading.Thread(target=run, args=(t,)) for t in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failed:
        sys.exit(f"{len(failed)} writer(s) failed: {failed[0]!r}")


if __name__ == "__main__":
    main()
