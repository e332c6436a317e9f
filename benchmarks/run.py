"""cytolicense benchmarks: every hot path, measured against a floor in the same run.

    nox -s bench                    # everything (a few minutes)
    python benchmarks/run.py --quick

Times are the best of several repeats (min), in one process, on whatever machine
runs them; ratios (cytolicense / floor) are what to compare across machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
DAY = dt.date(2026, 1, 20)  # the day of the typical client's next assignment
RESULTS: dict[str, Any] = {}


def best(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Seconds per call: the best of *repeat* runs of *number* calls."""
    gc.collect()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def paired(
    fn: Callable[[], object], floor: Callable[[], object], number: int, repeat: int = 9
) -> tuple[float, float]:
    """Seconds per call of *fn* and of *floor*, timed in alternation so that noise on
    the shared machine hits both alike; the best of *repeat* rounds each."""
    gc.collect()
    ours, base = [], []
    for _ in range(repeat):
        base.append(timeit.timeit(floor, number=number))
        ours.append(timeit.timeit(fn, number=number))
    return min(ours) / number, min(base) / number


def show(name: str, seconds: float, floor: float | None = None, unit: str = "us") -> None:
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    line = f"{name:<44} {seconds * scale:12.2f} {unit}"
    entry: dict[str, Any] = {"seconds": seconds}
    if floor is not None:
        ratio = seconds / floor
        line += f"   floor {floor * scale:10.2f} {unit}   ratio {ratio:5.2f}"
        entry.update(floor=floor, ratio=ratio)
    print(line, flush=True)
    RESULTS[name] = entry


# -- a typical client and request ---------------------------------------------------------


def typical(engine: cl.Engine) -> tuple[cl.Client, cl.AssignmentRequest]:
    """A client with a few maintenances; a request for a product with three modules."""
    c = engine.create_client("acme", "ACME", dt.date(2024, 1, 10))
    c = engine.assign(
        c,
        cl.AssignmentRequest(
            product="cytomic-edr",
            license_type="commercial",
            quantity=20,
            period="1y",
            modules={"cytomic-patch": None},
        ),
        dt.date(2024, 1, 10),
    ).client  # expired 2025-01-10
    c = engine.assign(
        c,
        cl.AssignmentRequest(
            product="cytomic-edr", license_type="commercial", quantity=30, period="1y"
        ),
        dt.date(2025, 1, 11),
    ).client  # expired 2026-01-11, nine days before DAY
    c = engine.assign(
        c,
        cl.AssignmentRequest(product="cytomic-edr", license_type="trial", quantity=20),
        dt.date(2025, 12, 1),
    ).client
    request = cl.AssignmentRequest(
        product="cytomic-epdr",
        license_type="commercial",
        quantity=50,
        period="2y",
        modules={"cytomic-encryption": 20, "cytomic-patch": None, "cytomic-data-watch": None},
    )
    assert engine.check(c, request, DAY).findings == ()
    return c, request


def floor_tables(catalog: cl.Catalog) -> dict[str, Any]:
    """The catalog as plain dicts and tuples, prepared once (like the engine's plans)."""
    return {
        pid: (
            p.family,
            frozenset(t.value for t in p.license_types),
            frozenset(str(x) for x in p.periods),
            frozenset(str(x) for x in p.enabled),
            {m: catalog.modules[m].quantity_rule.value for m in p.modules},
            frozenset(m.value for m in p.management_modes),
            p.max_quantity,
            p.trial_max_quantity,
            p.trial_cooldown_days,
        )
        for pid, p in catalog.products.items()
    }


def floor_client(client: cl.Client) -> tuple[Any, ...]:
    """The client as tuples: (end, deleted_on, maintenances)."""
    return (
        client.ended_on,
        client.deleted_on,
        tuple(
            (m.product, m.license_type.value, m.starts_on, m.expires_on, m.deleted_on)
            for m in client.maintenances
        ),
    )


def floor_request(r: cl.AssignmentRequest) -> tuple[Any, ...]:
    return (
        r.product,
        r.license_type.value,
        r.quantity,
        str(r.period) if r.period else None,
        tuple(r.modules.items()),
        r.management.value,
    )


def floor_check(
    tables: dict[str, Any],
    known_modules: frozenset[str],
    client: tuple[Any, ...],
    req: tuple[Any, ...],
    today: dt.date,
) -> list[tuple[str, str | None]]:
    """The same decisions as Engine.check, by hand: no objects but the error tuples."""
    errors: list[tuple[str, str | None]] = []
    end, _deleted, maintenances = client
    if (today - end).days >= 90:  # `end` is the deletion date for a deleted client
        errors.append(("client.not_visible", None))
    product, license_type, quantity, period, modules, management = req
    plan = tables.get(product)
    if plan is None:
        errors.append(("product.unknown", "product"))
    family, offered, sold, enabled, compatible, modes, max_q, trial_cap, cooldown = (
        plan if plan is not None else (None,) * 9
    )
    if plan is not None and license_type not in offered:
        errors.append(("license_type.not_offered", "license_type"))
    if quantity < 1 or (max_q is not None and quantity > max_q):
        errors.append(("quantity.invalid", "quantity"))
    if license_type == "trial":
        if period is not None:
            errors.append(("period.not_applicable", "period"))
        if trial_cap is not None and quantity > trial_cap:
            errors.append(("trial.quantity_exceeded", "quantity"))
        for m_product, m_type, start, expires, m_deleted in maintenances:
            if m_product == product and m_type == "trial":
                ended = m_deleted if m_deleted is not None and m_deleted < expires else expires
                if start <= today <= expires and (m_deleted is None or today < m_deleted):
                    errors.append(("trial.already_used", "license_type"))
                    break
                if ended <= today and (today - ended).days < cooldown:
                    errors.append(("trial.already_used", "license_type"))
                    break
    elif plan is not None:
        if period is None:
            errors.append(("period.required", "period"))
        elif period not in sold:
            errors.append(("period.invalid", "period"))
        elif period not in enabled:
            errors.append(("period.not_enabled", "period"))
        for m_product, m_type, start, expires, m_deleted in maintenances:
            if (
                m_type == "commercial"
                and tables[m_product][0] == family
                and start <= today <= expires
                and (m_deleted is None or today < m_deleted)
            ):
                errors.append(("family.already_assigned", "product"))
                break
    for mid, seats in modules:
        rule = compatible.get(mid) if plan is not None else None
        if rule is None:
            errors.append(
                (
                    "module.unknown" if mid not in known_modules else "module.incompatible",
                    "modules." + mid,
                )
            )
            continue
        if rule == "linked":
            if seats is not None and seats != quantity:
                errors.append(("module.quantity_fixed", "modules." + mid))
        elif seats is None:
            errors.append(("module.quantity_required", "modules." + mid))
        elif seats < 1 or seats > quantity:
            errors.append(("module.quantity_invalid", "modules." + mid))
    if plan is not None and management not in modes:
        errors.append(("management.unsupported", "management"))
    return errors


# -- sections --------------------------------------------------------------------------------


def bench_engine(catalog: cl.Catalog, quick: bool) -> None:
    engine = cl.Engine(catalog)
    client, request = typical(engine)
    tables = floor_tables(catalog)
    known = frozenset(catalog.modules)
    fc, fr = floor_client(client), floor_request(request)
    assert floor_check(tables, known, fc, fr, DAY) == []
    n = 5_000 if quick else 50_000
    ours, floor = paired(
        lambda: engine.check(client, request, DAY),
        lambda: floor_check(tables, known, fc, fr, DAY),
        n,
    )
    show("check (typical request)", ours, floor)
    bad = cl.AssignmentRequest(
        product="cytomic-edr",
        license_type="trial",
        quantity=300,
        period="1y",
        modules={"cytomic-data-watch": None},
    )
    fb = floor_request(bad)
    show(
        "check (refused, 4 findings)",
        best(lambda: engine.check(client, bad, DAY), n // 5),
        best(lambda: floor_check(tables, known, fc, fb, DAY), n // 5),
    )
    m = n // 5
    show("assign", best(lambda: engine.assign(client, request, DAY), m))
    assigned = engine.assign(client, request, DAY).client
    mid = assigned.maintenances[-1].id
    show(
        "modify (seats and modules)",
        best(
            lambda: engine.modify(
                assigned,
                mid,
                DAY,
                quantity=60,
                modules={"cytomic-encryption": 25, "cytomic-patch": None},
            ),
            m,
        ),
    )
    show("entitlements", best(lambda: engine.entitlements(assigned, DAY), n))
    show("detail", best(lambda: engine.detail(assigned, DAY), m))


def make_clients(engine: cl.Engine, count: int) -> list[cl.Client]:
    """*count* clients in every state, sharing a few maintenance shapes (as a sweep sees)."""
    shapes = []
    for i, days in enumerate((30, 200, 380, 500, 800)):
        c = engine.create_client(f"s{i}", "Shape", TODAY - dt.timedelta(days=days))
        c = engine.assign(
            c,
            cl.AssignmentRequest(
                product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
            ),
            TODAY - dt.timedelta(days=days),
        ).client
        if i == 1:
            c = engine.delete_client(c, TODAY - dt.timedelta(days=40)).client
        shapes.append(c)
    return [
        cl.Client(
            id=f"c{i}",
            name="Client",
            created_on=s.created_on,
            deleted_on=s.deleted_on,
            maintenances=s.maintenances,
        )
        for i, s in zip(range(count), _cycle(shapes), strict=False)
    ]


def _cycle(items: list[cl.Client]) -> Any:
    while True:
        yield from items


def bench_monitoring(catalog: cl.Catalog, quick: bool) -> None:
    engine = cl.Engine(catalog)
    sizes = (100_000,) if quick else (100_000, 1_000_000)
    for size in sizes:
        monitoring_run(engine, size, peak=size == sizes[-1])


def monitoring_run(engine: cl.Engine, size: int, *, peak: bool) -> None:
    clients = make_clients(engine, size)
    ends = [(c, c.ended_on) for c in clients]  # the floor's precomputed end dates
    ours, floor = paired(
        lambda: engine.monitoring(clients, TODAY),
        lambda: [c for c, end in ends if (TODAY - end).days < 90],
        1,
        7,
    )
    expected = [c for c, end in ends if (TODAY - end).days < 90]
    assert engine.monitoring(clients, TODAY) == expected
    show(f"monitoring ({size:,} clients)", ours, floor, unit="ms")
    if peak:
        del ends, expected
        gc.collect()
        tracemalloc.start()
        engine.monitoring(clients, TODAY)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        RESULTS[f"monitoring ({size:,} clients) peak memory beyond the clients"] = top
        print(
            f"{'  peak memory of the run (beyond the clients)':<44} {top / 1e6:12.2f} MB",
            flush=True,
        )


def bench_memory(catalog: cl.Catalog) -> None:
    engine = cl.Engine(catalog)
    request = cl.AssignmentRequest(
        product="cytomic-epdr",
        license_type="commercial",
        quantity=10,
        period="1y",
        modules={"cytomic-encryption": 5, "cytomic-patch": None},
    )
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    made = [
        engine.assign(engine.create_client(f"c{i}", "C", TODAY), request, TODAY).maintenance
        for i in range(2_000)
    ]
    clients_overhead = 0
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per = (after - before - clients_overhead) / len(made)
    RESULTS["bytes per maintenance (two modules)"] = per
    print(f"{'bytes per maintenance (two modules)':<44} {per:12.0f} B", flush=True)


def bench_json(catalog: cl.Catalog, quick: bool) -> None:
    engine = cl.Engine(catalog)
    c = engine.create_client("acme", "ACME", dt.date(2016, 1, 1))
    for year in range(2016, 2026):
        c = engine.assign(
            c,
            cl.AssignmentRequest(
                product="cytomic-epdr",
                license_type="commercial",
                quantity=10,
                period="1y",
                modules={"cytomic-encryption": 5, "cytomic-patch": None},
            ),
            dt.date(year, 1, 1) + dt.timedelta(days=year - 2016),
        ).client
    assert len(c.maintenances) == 10
    text = cl.to_json(c)
    n = 200 if quick else 2_000
    floor = best(lambda: json.loads(text), n)
    show(
        "to_json (client, 10 maintenances)",
        best(lambda: cl.to_json(c), n),
        best(lambda: json.dumps(json.loads(text)), n),
    )
    show(
        "from_json (client, 10 maintenances)", best(lambda: cl.from_json(cl.Client, text), n), floor
    )


def bench_store(catalog: cl.Catalog, quick: bool) -> None:
    engine = cl.Engine(catalog)
    request = cl.AssignmentRequest(
        product="cytomic-edr",
        license_type="commercial",
        quantity=10,
        period="1y",
        modules={"cytomic-patch": None},
    )
    count = 300 if quick else 2_000
    with tempfile.TemporaryDirectory() as tmp:
        with cl.Store(Path(tmp) / "single.db", "p") as store:
            console = cl.Console(engine, store)
            for i in range(count):
                console.add_client(f"c{i}", "C", TODAY)
            start = time.perf_counter()
            for i in range(count):
                console.assign(f"c{i}", request, TODAY)
            single = count / (time.perf_counter() - start)
        with cl.Store(Path(tmp) / "batched.db", "p") as store:
            console = cl.Console(engine, store)
            with store.batch():
                for i in range(count * 5):
                    console.add_client(f"c{i}", "C", TODAY)
            start = time.perf_counter()
            for chunk in range(0, count * 5, 500):
                with store.batch():
                    for i in range(chunk, chunk + 500):
                        console.assign(f"c{i}", request, TODAY)
            batched = count * 5 / (time.perf_counter() - start)
    RESULTS["store assignments/s, one per transaction"] = single
    RESULTS["store assignments/s, batched by 500"] = batched
    print(f"{'store: durable assignments/s, one per txn':<44} {single:12.0f} /s", flush=True)
    print(f"{'store: durable assignments/s, batched by 500':<44} {batched:12.0f} /s", flush=True)


def bench_startup() -> None:
    """Fresh processes, interleaved so that machine noise hits every case alike."""
    cases = {
        "python startup (baseline)": "pass",
        "import cytolicense": "import cytolicense",
        "import + load_catalog()": "import cytolicense; cytolicense.load_catalog()",
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(15):
        for name, code in cases.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times[name].append(time.perf_counter() - start)
    bare = statistics.median(times["python startup (baseline)"])
    for name, values in times.items():
        median, low = statistics.median(values), min(values)
        extra = "" if name.startswith("python") else " (beyond startup)"
        shift = 0.0 if name.startswith("python") else bare
        RESULTS[name + extra] = {"median": median - shift, "min": low - shift}
        print(
            f"{name + extra:<44} {(median - shift) * 1e3:12.2f} ms   "
            f"(fastest {(low - shift) * 1e3:.2f} ms, total {median * 1e3:.2f} ms)",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 100k clients only")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=["engine", "monitoring", "memory", "json", "store", "startup"],
    )
    args = parser.parse_args()
    print(
        f"cytolicense {cl.__version__} on Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cpu(s), {platform.platform()}"
    )
    catalog = cl.load_catalog()
    sections: dict[str, Callable[[], None]] = {
        "engine": lambda: bench_engine(catalog, args.quick),
        "memory": lambda: bench_memory(catalog),
        "json": lambda: bench_json(catalog, args.quick),
        "store": lambda: bench_store(catalog, args.quick),
        "startup": bench_startup,
        "monitoring": lambda: bench_monitoring(catalog, args.quick),
    }
    for name, run in sections.items():
        if args.only is None or name in args.only:
            run()
    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
