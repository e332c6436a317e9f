"""Run by tests/test_hardening.py in a subprocess: a store whose file may not grow
past a limit (RLIMIT_FSIZE), as on a full disk."""

from __future__ import annotations

import datetime as dt
import json
import resource
import signal
import sys

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)

path = sys.argv[1]
engine = cl.Engine(cl.load_catalog(entry_points=False))
store = cl.Store(path, "p")
store.save(engine.new_client("first", "First", TODAY), None)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = 256 * 1024
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))  # the soft limit only
report: dict[str, object] = {}
try:
    with store.batch():
        try:
            for i in range(100_000):
                store.save(engine.new_client(f"c{i}", "x" * 2000, TODAY), None)
        except cl.StoreError as exc:
            report["first"] = str(exc)
            try:
                store.save(engine.new_client("after", "After", TODAY), None)
            except cl.StoreError as again:
                report["again"] = str(again)
        raise RuntimeError("leave the batch")
except RuntimeError:
    pass
except cl.StoreError as exc:
    report["leaving"] = str(exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
report["stored"] = len(cl.Store(path, "p"))
print(json.dumps(report))
