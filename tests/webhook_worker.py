"""A delivery worker for the webhook tests (run as a script):
``webhook_worker.py URL PARTNER once|watch``; ``watch`` stops on SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading

import cytolicense as cl
from cytolicense.store._delivery import watch

if __name__ == "__main__":
    url, partner, mode = sys.argv[1:4]
    store = cl.open_store(url, partner)
    console = cl.Console(cl.Engine(cl.load_catalog()), store)
    if mode == "once":
        print(console.deliver(batch=3), flush=True)
    else:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        watch(lambda s: console.deliver(batch=3, stop=s), stop, interval=0.1)
    store.close()
