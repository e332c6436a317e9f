"""End-to-end figures, one version of the library against another, interleaved.

Each variant runs in its own process (``PYTHONPATH`` naming its ``src``), one
workload per process, round after round, variants alternating inside each round,
so that noise on a shared machine hits them alike. A figure is the median over the
rounds of each process's own median time per call; the ratio is the median of
per-round ratios against the first variant, with its spread (lowest..highest).

    git worktree add /tmp/old <commit>
    python benchmarks/end_to_end.py --variant old=/tmp/old/src --variant new=src
    python benchmarks/end_to_end.py --variant new=src --variant untrusted=src:untrusted

Workloads: ``Engine.check`` over the shapes of the check matrix (benchmarks/run.py),
each also with one vendor rule written as a generator, as a function returning a
list and as a ``RuleSpec``; ``Console.apply`` of an assignment on SQLite (durable:
each apply commits); the import of a CSV of new clients (``import_file``, what
``cytolicense import`` runs); ``Console.apply`` on PostgreSQL (``E2E_POSTGRES``, a
server's URL ending in ``/``: each run makes a database of its own); the usage report and ``Console.monitoring``; and the
console over HTTP (``cytolicense serve`` of the variant: a JSON read, the offer, a dry
run, a keyed apply, the monitoring page and the detail page, one keep-alive
connection, each path's median latency). A variant ``PATH:untrusted`` switches trusted
construction (``core/_trusted.py``) off: records built and events applied through
the validating constructors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAY = dt.date(2026, 1, 20)
ROOT = Path(__file__).resolve().parents[1]


# -- inside a variant's process --------------------------------------------------------


def _untrusted() -> None:
    """Trusted construction off: the records the operations build (maintenances,
    modules, assignment events, lots of seats, the detail's lines) made through their
    validating constructors, and every event applied and replayed through ``apply`` /
    ``replay`` (validated ``attrs.evolve``)."""
    import importlib

    import attrs

    from cytolicense.core import _events

    def validating(cls: Any) -> Any:  # a maker's values come in the fields' order
        names = [f.name for f in attrs.fields(cls) if f.init]
        return lambda *args, **kw: cls(**dict(zip(names, args, strict=False)), **kw)

    for module_name, names in {
        "cytolicense.operations._family": ("_build_maintenance", "_build_module"),
        "cytolicense.operations._assign": ("_build_assigned",),
        "cytolicense.operations._returns": ("_build_lot",),
        "cytolicense.operations._lots": ("_build_lot",),
        "cytolicense.views._detail": ("_module_line", "_detail_line"),
    }.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            made = getattr(module, name, None)
            if made is not None:  # the record class the builder makes, by its name
                record = made.__qualname__.partition("<")[2].rstrip(">")
                cls = getattr(importlib.import_module("cytolicense"), record, None)
                if cls is None:
                    cls = next(
                        getattr(m, record)
                        for m in (module, importlib.import_module("cytolicense.views._detail"))
                        if hasattr(m, record)
                    )
                setattr(module, name, validating(cls))
    for module_name in (
        "cytolicense.engine._engine",
        "cytolicense.engine._releases",
        "cytolicense.store._day",
    ):
        module = importlib.import_module(module_name)
        if hasattr(module, "apply_trusted"):
            module.apply_trusted = _events.apply  # type: ignore[attr-defined]
    for module_name in ("cytolicense.store._rows", "cytolicense.views._usage"):
        module = importlib.import_module(module_name)
        if hasattr(module, "replay_trusted"):
            module.replay_trusted = _events.replay  # type: ignore[attr-defined]


def _time(call: Any, number: int, repeat: int = 5) -> float:
    import timeit

    return statistics.median(timeit.repeat(call, number=number, repeat=repeat)) / number


def _rules() -> dict[str, Any]:
    import cytolicense as cl

    cap = cl.CodeSpec(code="vendor.cap", messages={"en": "More than {max} seats."})

    def as_generator(ctx: Any) -> Any:
        req = ctx.request
        if req is not None and req.quantity > 500:
            yield cap.finding("quantity", {"max": 500})

    def as_list(ctx: Any) -> list[Any]:
        req = ctx.request
        if req is not None and req.quantity > 500:
            return [cap.finding("quantity", {"max": 500})]
        return []

    return {
        "built-in rules only": (),
        "+ generator rule": (as_generator,),
        "+ list rule": (as_list,),
        "+ RuleSpec rule": (cl.RuleSpec(check=as_generator, operations={"assign"}),),
    }


def work_check(quick: bool) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import MatrixCatalog

    import cytolicense as cl

    catalog = cl.load_catalog(MatrixCatalog(), entry_points=False)
    base = cl.Engine(catalog)

    def request(product: str = "epdr", period: str = "1y", **kw: Any) -> Any:
        return cl.AssignmentRequest(
            product=product, license_type="commercial", quantity=20, period=period, **kw
        )

    def client_with(*lines: tuple[str, str, dt.date]) -> Any:
        c = base.create_client("acme", "ACME", min((d for _, _, d in lines), default=DAY))
        for product, kind, day in lines:
            req = cl.AssignmentRequest(
                product=product,
                license_type=kind,
                quantity=10,
                period="1y" if kind == "commercial" else None,
            )
            c = base.apply(c, req, day).client
        return c

    def history(n: int) -> Any:
        day = DAY - dt.timedelta(days=2 * n + 400)
        c = base.create_client("acme", "ACME", day)
        for _ in range(n):
            c = base.apply(c, request("edr"), day).client
            day += dt.timedelta(days=2)
        return c

    recent = DAY - dt.timedelta(days=10)
    mods = {"patch": None}
    pool = cl.Pool((cl.PoolLine(item="epdr", period="1y", seats=100),))
    shapes = {
        "new client": (client_with(), request(modules=mods), None),
        "another family in force": (
            client_with(("mail", "commercial", recent)),
            request(modules=mods),
            None,
        ),
        "same family in force (refused)": (
            client_with(("edr", "commercial", recent)),
            request(modules=mods),
            None,
        ),
        "100 lines of history": (history(100), request(modules=mods), None),
        "3 modules (EDR)": (
            client_with(),
            request("edr", modules={"patch": None, "enc": 5, "watch": None}),
            None,
        ),
        "with a pool": (client_with(), request(modules=mods), pool),
        "refused with 4 findings": (
            client_with(("edr", "commercial", recent)),
            request(period="5y", modules={"enc": None, "watch": None}),
            None,
        ),
    }
    out: dict[str, float] = {}
    n = 2_000 if quick else 10_000
    for style, rules in _rules().items():
        engine = cl.Engine(catalog, rules=list(rules))
        for name, (client, req, stock) in shapes.items():
            decision = engine.check(client, req, DAY, pool=stock)

            def call(e: Any = engine, c: Any = client, r: Any = req, p: Any = stock) -> Any:
                d = e.check(c, r, DAY, pool=p)
                return [f.message for f in d.errors]  # a refusal as a console shows it

            call()
            out[f"check: {name}, {style}"] = _time(call, n)
            assert decision == engine.check(client, req, DAY, pool=stock)
    return out


def work_apply(quick: bool) -> dict[str, float]:
    import cytolicense as cl

    engine = cl.Engine(cl.load_catalog())
    pid = "cytomic-epdr"
    count = 100 if quick else 300
    with tempfile.TemporaryDirectory() as tmp:
        store = cl.Store(Path(tmp) / "c.db", "p")
        console = cl.Console(engine, store)
        for i in range(count):
            console.add_client(f"c{i}", f"Client {i}", DAY)
        req = cl.AssignmentRequest(
            product=pid,
            license_type="commercial",
            quantity=20,
            period="1y",
            modules={"cytomic-patch": None},
        )
        times = []
        for i in range(count):
            start = time.perf_counter()
            console.apply(f"c{i}", req, DAY)
            times.append(time.perf_counter() - start)
        store.close()
    return {"Console.apply (SQLite, durable)": statistics.median(times)}


def work_apply_postgres(quick: bool) -> dict[str, float]:
    """``Console.apply`` of an assignment on PostgreSQL (``E2E_POSTGRES``: a server's
    URL ending in ``/``, such as ``postgresql://me@127.0.0.1:5432/``), in a database
    of its own made for the run and dropped after it."""
    base = os.environ.get("E2E_POSTGRES")
    if not base:
        return {}
    import psycopg

    import cytolicense as cl

    name = f"e2e_{os.getpid()}"
    with psycopg.connect(base + "postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        engine = cl.Engine(cl.load_catalog())
        count = 100 if quick else 300
        store = cl.open_store(base + name, "p")
        console = cl.Console(engine, store)
        for i in range(count):
            console.add_client(f"c{i}", f"Client {i}", DAY)
        req = cl.AssignmentRequest(
            product="cytomic-epdr",
            license_type="commercial",
            quantity=20,
            period="1y",
            modules={"cytomic-patch": None},
        )
        times = []
        for i in range(count):
            start = time.perf_counter()
            console.apply(f"c{i}", req, DAY)
            times.append(time.perf_counter() - start)
        store.close()
    finally:
        with psycopg.connect(base + "postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name}")
    return {"Console.apply (PostgreSQL)": statistics.median(times)}


def work_import(quick: bool) -> dict[str, float]:
    import cytolicense as cl
    from cytolicense.cli._transfer import import_file

    engine = cl.Engine(cl.load_catalog())
    count = 2_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clients.csv"
        rows = [
            "client_id,name,created_on,product,license_type,quantity,period,starts_on,"
            "modules,management"
        ]
        rows += [
            f"c{i},Client {i},2026-01-02,cytomic-epdr,commercial,{5 + i % 50},1y,"
            f"2026-01-05,cytomic-patch,centralized"
            for i in range(count)
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        store = cl.Store(Path(tmp) / "c.db", "p")
        start = time.perf_counter()
        report = import_file(engine, store, path)
        seconds = time.perf_counter() - start
        store.close()
    assert report.imported == count, report
    assert not report.errors, report
    return {"import of a CSV (per client)": seconds / count}


def _seed(db: Path, count: int) -> None:
    """*count* clients, each with a commercial EDR line of 20 seats and a module."""
    import cytolicense as cl

    engine = cl.Engine(cl.load_catalog())
    store = cl.Store(db, "p")
    console = cl.Console(engine, store)
    req = cl.AssignmentRequest(
        product="cytomic-epdr",
        license_type="commercial",
        quantity=20,
        period="1y",
        modules={"cytomic-patch": None},
    )
    for i in range(count):
        console.add_client(f"c{i}", f"Client {i}", DAY)
        console.apply(f"c{i}", req, DAY)
    store.close()


def work_usage(quick: bool) -> dict[str, float]:
    """The usage report of a month over every client's events (``Console.usage_report``)
    and the monitoring list (``Console.monitoring``), as a notebook reads them."""
    import cytolicense as cl

    count = 300 if quick else 2_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        _seed(db, count)
        engine = cl.Engine(cl.load_catalog())
        out = {}
        for name, call in (
            ("usage report of a month (per client)", lambda c: c.usage_report("2026-02")),
            ("Console.monitoring (per client)", lambda c: c.monitoring(DAY)),
        ):
            times = []
            for _ in range(5):
                store = cl.Store(db, "p")
                console = cl.Console(engine, store)
                start = time.perf_counter()
                call(console)
                times.append(time.perf_counter() - start)
                store.close()
            out[name] = statistics.median(times) / count
    return out


def work_http(quick: bool) -> dict[str, float]:
    """The console over HTTP, one keep-alive connection: ``cytolicense serve`` of the
    variant (uvicorn, SQLite), each path's median latency over *n* requests."""
    import http.client
    import socket

    count, n = 200, (100 if quick else 400)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        _seed(db, count)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        options = ["--db", str(db), "--partner", "p", "--today", DAY.isoformat()]
        server = subprocess.Popen(
            [sys.executable, "-m", "cytolicense", *options, "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(200):
                try:
                    conn.request("GET", "/api/health")
                    conn.getresponse().read()
                    break
                except OSError:
                    conn.close()
                    time.sleep(0.05)
            seq = iter(range(10**9))

            def modify(i: int) -> bytes:
                data = {"maintenance": "m1", "quantity": 20 + (i % 5)}
                doc = {"cytolicense": 2, "type": "Modify", "data": data}
                return json.dumps(doc).encode()

            json_headers = {"Content-Type": "application/json"}
            paths: dict[str, Any] = {
                "HTTP GET /api/clients/{id}": lambda i: ("GET", f"/api/clients/c{i}", None, {}),
                "HTTP GET offer": lambda i: ("GET", f"/api/clients/c{i}/offer", None, {}),
                "HTTP POST dry run (Modify)": lambda i: (
                    "POST",
                    f"/api/clients/c{i}/operations?dry_run=true",
                    modify(i),
                    json_headers,
                ),
                "HTTP POST apply (keyed Modify)": lambda i: (
                    "POST",
                    f"/api/clients/c{i}/operations",
                    modify(next(seq)),
                    {**json_headers, "Idempotency-Key": f"k{next(seq)}"},
                ),
                "HTTP GET / (monitoring page)": lambda i: ("GET", "/", None, {}),
                "HTTP GET /clients/{id} (detail page)": lambda i: (
                    "GET",
                    f"/clients/c{i}",
                    None,
                    {},
                ),
            }
            out = {}
            for name, make in paths.items():
                times = []
                for i in range(n):
                    method, url, body, headers = make(i % count)
                    start = time.perf_counter()
                    conn.request(method, url, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    times.append(time.perf_counter() - start)
                    if response.status >= 300:
                        raise RuntimeError(f"{name}: {response.status}")
                out[name] = statistics.median(times)
            conn.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out


WORKLOADS = {
    "check": work_check,
    "apply": work_apply,
    "apply_postgres": work_apply_postgres,
    "import": work_import,
    "usage": work_usage,
    "http": work_http,
}


def worker(workload: str, quick: bool) -> None:
    if os.environ.get("E2E_UNTRUSTED") == "1":
        _untrusted()
    print(json.dumps(WORKLOADS[workload](quick)))


# -- the parent: variants interleaved ----------------------------------------------------


def run(variants: dict[str, str], workloads: list[str], rounds: int, quick: bool) -> Any:
    times: dict[str, dict[str, list[float]]] = {}
    for r in range(rounds):
        for workload in workloads:
            order = list(variants.items())
            if r % 2:  # alternate which variant goes first
                order.reverse()
            for name, spec in order:
                src, _, flag = spec.partition(":")
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
                env["E2E_UNTRUSTED"] = "1" if flag == "untrusted" else "0"
                args = [sys.executable, __file__, "--worker", workload]
                out = subprocess.run(
                    args + (["--quick"] if quick else []),
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                for key, value in json.loads(out.stdout).items():
                    times.setdefault(key, {}).setdefault(name, []).append(value)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    names = list(variants)
    first = names[0]
    rows = []
    for key, by in times.items():
        row: dict[str, Any] = {"path": key}
        for name in names:
            row[name] = statistics.median(by[name])
        for name in names[1:]:
            ratios = [o / f for o, f in zip(by[name], by[first], strict=True)]
            row[f"{name}/{first}"] = (statistics.median(ratios), min(ratios), max(ratios))
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", default=[], help="NAME=SRC[:untrusted]")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKLOADS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.quick)
        return 0
    variants = dict(v.split("=", 1) for v in args.variant) or {"new": "src"}
    rows = run(variants, args.workload or list(WORKLOADS), args.rounds, args.quick)
    names = list(variants)
    for row in rows:
        line = f"{row['path']:<62}"
        for name in names:
            line += f" {name} {row[name] * 1e6:9.2f} us"
        for name in names[1:]:
            median, low, high = row[f"{name}/{names[0]}"]
            line += f"  {name}/{names[0]} {median:.3f} ({low:.3f}..{high:.3f})"
        print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
