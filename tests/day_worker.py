"""The renewal-day tests' catalog, and the day's run in a process of its own for the
crash test (tests/test_renewal_day.py): ``python tests/day_worker.py TARGET PARTNER DAY
BATCH`` runs the day, printing each batch's number once committed, slowly enough to
be killed in the middle of one."""

from __future__ import annotations

import datetime as dt
import sys
import time

import cytolicense as cl


class RenewalCatalog:
    """EDR (endpoint: 1y and 2y, 7 days of grace, a 7-day return window) with
    Encryption (independent) and Patch; Plain (mail: 1y, 3 days of grace, no window)."""

    __name__ = "tests.renewal_day"

    @cl.hookimpl
    def cytolicense_families(self) -> list[cl.ProductFamily]:
        return [
            cl.ProductFamily(id="endpoint", name="Endpoint"),
            cl.ProductFamily(id="mail", name="Mail"),
        ]

    @cl.hookimpl
    def cytolicense_modules(self) -> list[cl.Module]:
        return [
            cl.Module(id="enc", name="Encryption", quantity_rule="independent"),
            cl.Module(id="patch", name="Patch"),
        ]

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["enc", "patch"],
                periods=["1y", "2y"],
                grace_days=7,
                return_window_days=7,
            ),
            cl.Product(id="plain", name="Plain", family="mail", periods=["1y"], grace_days=3),
        ]


CATALOG = cl.load_catalog(RenewalCatalog(), entry_points=False)


def engine(shortage: str = "warning") -> cl.Engine:
    return cl.Engine(CATALOG, pool_shortage=shortage)


def main(target: str, partner: str, day: str, batch: int) -> None:
    store = cl.open_store(target, partner)
    console = cl.Console(engine(), store)
    real = store.save

    def slow_save(*args: object, **kw: object) -> int:  # a batch takes a while
        time.sleep(0.02)
        return real(*args, **kw)  # type: ignore[arg-type]

    store.save = slow_save  # type: ignore[method-assign]

    def committed(n: int, run: cl.DayRun) -> None:
        print(n, flush=True)

    console.run_day(dt.date.fromisoformat(day), batch=batch, on_batch=committed)
    time.sleep(60)  # killed before it ends


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
