"""The web console over HTTP against a floor app doing the same SQL by hand (issue 46).

The console is the real ``cytolicense serve`` (uvicorn, 1 or 2 worker processes). The
**floor** is a minimal Starlette app under the same uvicorn with the same worker
count, over the same database, doing by hand the SQL the console does for each
request, and nothing else:

- ``GET /api/clients/{id}``: the client's row (``SELECT document, version, seq``), its
  stored JSON document returned as it is;
- ``GET /api/clients/{id}/offer``: the row and the partner's pools read, the products
  the client does not hold (a trivial compute);
- ``POST .../operations?dry_run=true`` (a ``Modify`` of seats): the body parsed, the
  row and the pools read, the maintenance found and the seats compared;
- ``POST .../operations`` with a new ``Idempotency-Key`` each request (a ``Modify`` of
  seats, each request on another client of the pre-seeded set): one transaction
  (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``BEGIN`` + ``SELECT ... FOR UPDATE``) that
  looks the key up, reads the document, changes the seats, writes it back with its
  version bumped, one event row and the key's row, and commits;
- ``GET /`` (the monitoring page): the same keyset ``SELECT`` of the first 51 listing
  rows, rendered with a minimal Jinja2 template;
- ``GET /clients/{id}`` (the detail page): the row, its document rendered with a
  minimal Jinja2 template.

The sync floor runs its SQL in Starlette's thread pool, one connection per thread.
On PostgreSQL a second floor, **async**, awaits the same SQL over psycopg's
``AsyncConnectionPool`` on the event loop (issue 46: would async handlers serve better
than the thread pool?).

The load is ``wrk`` (a separate process; ``apt-get install wrk``) with keep-alive
connections, 1, 8 and 32 at a time. Every (store, workers) pair starts the console and
the floors once, warms them up, then runs rounds: in each round every path and
connection count is run on each app in turn, the order rotating from round to round.
Reported per (path, store, workers, connections): the median req/s and p50 / p99
latency over the rounds, and the **ratio** console / floor (the floor's req/s over the
console's: how many times the floor's cost a request is) as the median of the rounds'
ratios with its spread (lowest..highest round); beside it the CPU the server's
processes used per request (user + system from /proc, its workers included, the
database's not), which a busy machine moves much less than req/s; on PostgreSQL, the
async floor's req/s over the thread-pool floor's.

    python benchmarks/http_console.py [--quick] [--postgres URL] [--json FILE]

Without ``--postgres`` it starts a PostgreSQL server of its own (initdb + pg_ctl on a
Unix socket, ``fsync`` on) when the binaries are installed, else measures SQLite only.
Only 127.0.0.1 and the given database are contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TODAY = dt.date(2026, 11, 27)
PARTNER = "bench-http"
FLOOR_ENV = "CYTOLICENSE_HTTP_FLOOR"
CATALOG_PRODUCTS = ("cytomic-edr", "cytomic-epdr", "cytomic-epp", "cytomic-dlp", "cytomic-siem")

PATHS = {
    "client": "GET /api/clients/{id}",
    "offer": "GET /api/clients/{id}/offer",
    "dry_run": "POST dry run (Modify seats)",
    "apply": "POST apply (keyed Modify seats)",
    "monitoring": "GET / (monitoring page)",
    "detail": "GET /clients/{id} (detail page)",
}
TARGETS = {  # the targets: at 1 and 8 connections, on both stores
    "client": 1.3,
    "offer": None,
    "dry_run": 1.3,
    "apply": 1.3,
    "monitoring": 1.5,
    "detail": 1.5,
}

# -- the store --------------------------------------------------------------------------


def batches(count: int, size: int = 1000) -> Iterator[list[Any]]:
    """*count* clients ``c0000000``... each with a 1-year EDR line of 10 seats and
    Patch, sold 30 days before TODAY, as store changes in batches of *size*."""
    import cytolicense as cl

    engine = cl.Engine(cl.load_catalog())
    request = cl.AssignmentRequest(
        product="cytomic-edr",
        license_type="commercial",
        quantity=10,
        period="1y",
        modules={"cytomic-patch": None},
    )
    start = TODAY - dt.timedelta(days=30)
    batch = []
    for i in range(count):
        created = engine.new_client(f"c{i:07d}", f"Client {i}", start)
        done = engine.apply(created.client, request, start)
        batch.append(cl.Change(client=done.client, events=created.events + done.events))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(db: str, count: int) -> None:
    import cytolicense as cl

    with cl.open_store(db, PARTNER) as store:
        have = len(store.clients())
        if have >= count:
            return
        if have:
            raise SystemExit(f"{db}: partner {PARTNER!r} has {have} clients, fewer than {count}")
        for batch in batches(count):
            store.bulk(batch)


class OwnPostgres:
    """A PostgreSQL server of this run's own (initdb + pg_ctl on a Unix socket; as
    root, run as the ``postgres`` user), as the tests' conftest starts one, but with
    ``fsync`` on and room for every app's connections."""

    def __init__(self) -> None:
        import pwd

        initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        assert initdb is not None
        assert self.pg_ctl is not None
        self.base = Path(tempfile.mkdtemp(prefix="cytolicense-http-pg-"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.sock.mkdir()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for path in (self.base, self.sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            self.prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
        os.chmod(self.base, 0o755)
        self.run(initdb, "-D", str(self.data), "-U", "cytolicense", "--auth=trust", "-E", "UTF8")
        self.run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.base / "log"),
            "-o",
            f"-k {self.sock} -c listen_addresses='' -c max_connections=400",
            "start",
        )
        import psycopg

        admin = f"postgresql://cytolicense@/postgres?host={self.sock}"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute("CREATE ROLE cytolicense_app LOGIN")
            db.execute("CREATE DATABASE cytolicense OWNER cytolicense_app")
        self.url = f"postgresql://cytolicense_app@/cytolicense?host={self.sock}"

    def run(self, *cmd: str) -> None:
        subprocess.run([*self.prefix, *cmd], check=True, capture_output=True)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(versions[-1]) if versions else None


# -- the floor app ----------------------------------------------------------------------

MONITORING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Monitoring</title></head>
<body><main><h1>Monitoring</h1>
<table id="clients"><thead><tr><th>name</th><th>status</th><th>last day</th>
<th>products</th></tr></thead><tbody>
{% for r in rows %}<tr>
  <td><a href="/clients/{{ r[0] }}">{{ r[1] }}</a> <span class="id">{{ r[0] }}</span></td>
  <td><span class="badge">{{ "active" if r[4] >= today else "ended" }}</span></td>
  <td>{{ r[3] }}</td>
  <td>{{ r[5] }}</td>
</tr>
{% endfor %}</tbody></table>
{% if more %}<a href="/?after={{ rows[-1][0] }}">next</a>{% endif %}
</main></body></html>
"""

DETAIL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ c.name }}</title></head>
<body><main><h1>{{ c.name }} <span>[{{ c.id }}]</span></h1>
{% for m in c.maintenances %}<details id="line-{{ m.id }}" open>
<summary><strong>{{ m.product }}</strong> {{ m.license_type }} · {{ m.quantity }} licences
 · expiry {{ m.expires_on }} · {{ m.management }}</summary>
<table><thead><tr><th>product</th><th>licences</th><th>duration</th><th>start</th>
<th>expiry</th></tr></thead><tbody>
<tr><td>{{ m.product }}</td><td>{{ m.quantity }}</td><td>{{ m.period }}</td>
<td>{{ m.starts_on }}</td><td>{{ m.expires_on }}</td></tr>
{% for x in m.modules %}<tr><td>+ {{ x.module }}</td><td>{{ x.quantity }}</td>
<td>{{ m.period }}</td><td>{{ x.starts_on }}</td><td>{{ x.expires_on }}</td></tr>
{% endfor %}</tbody></table>
{% for a in ("modify", "renew", "suspend", "delete") %}<a
 href="/clients/{{ c.id }}/actions?action={{ a }}&amp;maintenance={{ m.id }}">{{ a }}</a>
{% endfor %}</details>
{% endfor %}</main></body></html>
"""

SQL_CLIENT = "SELECT document, version, seq FROM clients WHERE partner = ? AND id = ?"
SQL_POOLS = "SELECT item, period, seats FROM pools WHERE partner = ? ORDER BY item, period"
SQL_KEY = (
    "SELECT client_id, operation, change, created_on FROM idempotency_keys "
    "WHERE partner = ? AND key = ?"
)
SQL_UPDATE = (
    "UPDATE clients SET version = version + 1, document = ?, seq = ? "
    "WHERE partner = ? AND id = ? AND version = ?"
)
SQL_EVENT = (
    "INSERT INTO events (partner, client_id, seq, type, on_day, document) VALUES (?, ?, ?, ?, ?, ?)"
)
SQL_KEY_INSERT = (
    "INSERT INTO idempotency_keys (partner, key, client_id, operation, change, created_on) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
SQL_LIST = (
    "SELECT id, name, deleted_on, ended_on, shown_until, products FROM clients "
    "WHERE partner = ? AND (shown_until >= ? OR deleted_on > ?) ORDER BY id LIMIT 51"
)


def _compact(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class FloorWork:
    """The floor's database work and views, as plain functions of one connection."""

    def __init__(self, postgres: bool) -> None:
        import jinja2

        self.pg = postgres
        env = jinja2.Environment(autoescape=True)
        self.monitoring_template = env.from_string(MONITORING)
        self.detail_template = env.from_string(DETAIL)
        self.today = TODAY.isoformat()

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.pg else text

    # Views of rows already read (shared by the sync and async floors).
    def offer(self, document: str) -> dict[str, Any]:
        held = {m["product"] for m in json.loads(document)["data"]["maintenances"]}
        return {"products": [p for p in CATALOG_PRODUCTS if p not in held]}

    def dry_run(self, document: str, body: dict[str, Any]) -> dict[str, Any]:
        op = body["data"]
        for m in json.loads(document)["data"]["maintenances"]:
            if m["id"] == op["maintenance"]:
                same = m["quantity"] == op["quantity"]
                return {"decision": {"findings": [], "changes": not same}}
        return {"decision": {"findings": ["no such maintenance"]}}

    def changed(self, cid: str, document: str, body: dict[str, Any]) -> tuple[str, str, str]:
        """The new document, its event's document and the key's change document."""
        data = json.loads(document)
        op = body["data"]
        client = data["data"]
        for m in client["maintenances"]:
            if m["id"] == op["maintenance"]:
                m["quantity"] = op["quantity"]
                for x in m["modules"]:
                    x["quantity"] = op["quantity"]
                break
        else:
            raise LookupError(op["maintenance"])
        client["changed_on"] = self.today
        event = {
            "client_id": cid,
            "on": self.today,
            "actor": "floor",
            "reason": None,
            "catalog": "cytolicense-cytomic 0.2.0",
            "maintenance": m,
        }
        change = {"client": client, "maintenance": m, "events": [event], "warnings": []}
        return (
            _compact(data),
            _compact({"cytolicense": 2, "type": "LicensesModified", "data": event}),
            _compact({"cytolicense": 2, "type": "Change", "data": change}),
        )

    def monitoring(self, rows: list[Any]) -> str:
        rows = [tuple(str(v) if v is not None else "" for v in r) for r in rows]
        return str(
            self.monitoring_template.render(rows=rows[:50], more=len(rows) > 50, today=self.today)
        )

    def detail(self, document: str) -> str:
        return str(self.detail_template.render(c=json.loads(document)["data"]))


class SyncFloor(FloorWork):
    """The floor's SQL on plain DB-API connections, one per thread."""

    def __init__(self, db: str) -> None:
        super().__init__(db.startswith(("postgresql://", "postgres://")))
        self.db = db
        self.local = threading.local()

    def conn(self) -> Any:
        c = getattr(self.local, "conn", None)
        if c is None:
            if self.pg:
                import psycopg

                c = psycopg.connect(self.db, autocommit=True)
                c.execute("SELECT set_config('cytolicense.partner', %s, false)", (PARTNER,))
            else:  # the store's own settings: WAL, synchronous=FULL
                c = sqlite3.connect(
                    self.db, timeout=5.0, isolation_level=None, check_same_thread=False
                )
                c.execute("PRAGMA foreign_keys = ON")
                c.execute("PRAGMA journal_mode = WAL")
                c.execute("PRAGMA synchronous = FULL")
                c.execute("PRAGMA temp_store = MEMORY")
            self.local.conn = c
        return c

    def one(self, sql: str, args: tuple[Any, ...]) -> Any:
        return self.conn().execute(self.sql(sql), args).fetchone()

    def all(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return list(self.conn().execute(self.sql(sql), args).fetchall())

    def read(self, cid: str) -> str:
        row = self.one(SQL_CLIENT, (PARTNER, cid))
        if row is None:
            raise LookupError(cid)
        return str(row[0])

    def do_offer(self, cid: str) -> dict[str, Any]:
        document = self.read(cid)
        self.all(SQL_POOLS, (PARTNER,))
        return self.offer(document)

    def do_dry_run(self, cid: str, body: dict[str, Any]) -> dict[str, Any]:
        document = self.read(cid)
        self.all(SQL_POOLS, (PARTNER,))
        return self.dry_run(document, body)

    def do_apply(self, cid: str, body: dict[str, Any], raw: str, key: str) -> str:
        c = self.conn()
        sql = self.sql
        if self.pg:
            with c.transaction():
                return self._apply(c, sql(SQL_CLIENT) + " FOR UPDATE", cid, body, raw, key)
        c.execute("BEGIN IMMEDIATE")
        try:
            out = self._apply(c, sql(SQL_CLIENT), cid, body, raw, key)
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        return out

    def _apply(self, c: Any, read: str, cid: str, body: dict[str, Any], raw: str, key: str) -> str:
        sql = self.sql
        if c.execute(sql(SQL_KEY), (PARTNER, key)).fetchone() is not None:
            raise KeyError(key)
        document, version, seq = c.execute(read, (PARTNER, cid)).fetchone()
        new, event, change = self.changed(cid, document, body)
        c.execute(sql(SQL_UPDATE), (new, seq + 1, PARTNER, cid, version))
        c.execute(sql(SQL_EVENT), (PARTNER, cid, seq + 1, "LicensesModified", self.today, event))
        c.execute(sql(SQL_KEY_INSERT), (PARTNER, key, cid, raw, change, self.today))
        return new

    def do_monitoring(self) -> str:
        return self.monitoring(self.all(SQL_LIST, (PARTNER, self.today, self.today)))

    def do_detail(self, cid: str) -> str:
        return self.detail(self.read(cid))


class AsyncFloor(FloorWork):
    """The floor's SQL awaited on the event loop over psycopg's AsyncConnectionPool."""

    def __init__(self, db: str, size: int = 32) -> None:
        from psycopg_pool import AsyncConnectionPool

        super().__init__(True)

        async def configure(conn: Any) -> None:
            await conn.execute("SELECT set_config('cytolicense.partner', %s, false)", (PARTNER,))

        self.pool = AsyncConnectionPool(
            db,
            min_size=4,
            max_size=size,
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
        )

    async def one(self, sql: str, args: tuple[Any, ...]) -> Any:
        async with self.pool.connection() as c:
            cursor = await c.execute(self.sql(sql), args)
            return await cursor.fetchone()

    async def read(self, cid: str) -> str:
        row = await self.one(SQL_CLIENT, (PARTNER, cid))
        if row is None:
            raise LookupError(cid)
        return str(row[0])

    async def read_with_pools(self, cid: str) -> str:
        async with self.pool.connection() as c:
            cursor = await c.execute(self.sql(SQL_CLIENT), (PARTNER, cid))
            row = await cursor.fetchone()
            cursor = await c.execute(self.sql(SQL_POOLS), (PARTNER,))
            await cursor.fetchall()
        if row is None:
            raise LookupError(cid)
        return str(row[0])

    async def do_apply(self, cid: str, body: dict[str, Any], raw: str, key: str) -> str:
        sql = self.sql
        async with self.pool.connection() as c, c.transaction():
            cursor = await c.execute(sql(SQL_KEY), (PARTNER, key))
            if await cursor.fetchone() is not None:
                raise KeyError(key)
            cursor = await c.execute(sql(SQL_CLIENT) + " FOR UPDATE", (PARTNER, cid))
            document, version, seq = await cursor.fetchone()
            new, event, change = self.changed(cid, document, body)
            await c.execute(sql(SQL_UPDATE), (new, seq + 1, PARTNER, cid, version))
            await c.execute(
                sql(SQL_EVENT), (PARTNER, cid, seq + 1, "LicensesModified", self.today, event)
            )
            await c.execute(sql(SQL_KEY_INSERT), (PARTNER, key, cid, raw, change, self.today))
        return new

    async def do_monitoring(self) -> str:
        async with self.pool.connection() as c:
            cursor = await c.execute(self.sql(SQL_LIST), (PARTNER, self.today, self.today))
            rows = await cursor.fetchall()
        return self.monitoring(rows)


def floor_app(db: str, kind: str) -> Any:
    """The floor: a minimal Starlette app doing the console's SQL by hand."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    def cid_of(request: Request) -> str:
        return str(request.path_params["client_id"])

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    if kind == "sync":
        sync = SyncFloor(db)

        async def client(request: Request) -> Response:
            document = await run_in_threadpool(sync.read, cid_of(request))
            return Response(document, media_type="application/json")

        async def offer(request: Request) -> Response:
            return JSONResponse(await run_in_threadpool(sync.do_offer, cid_of(request)))

        async def operations(request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw)
            if request.query_params.get("dry_run") == "true":
                return JSONResponse(await run_in_threadpool(sync.do_dry_run, cid_of(request), body))
            key = request.headers["idempotency-key"]
            new = await run_in_threadpool(sync.do_apply, cid_of(request), body, raw.decode(), key)
            return Response(
                '{"decision":{"findings":[]},"client":' + new + "}", media_type="application/json"
            )

        async def monitoring(request: Request) -> Response:
            return HTMLResponse(await run_in_threadpool(sync.do_monitoring))

        async def detail(request: Request) -> Response:
            return HTMLResponse(await run_in_threadpool(sync.do_detail, cid_of(request)))

        lifespan = None
    else:
        work = AsyncFloor(db)

        async def client(request: Request) -> Response:
            return Response(await work.read(cid_of(request)), media_type="application/json")

        async def offer(request: Request) -> Response:
            return JSONResponse(work.offer(await work.read_with_pools(cid_of(request))))

        async def operations(request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw)
            if request.query_params.get("dry_run") == "true":
                document = await work.read_with_pools(cid_of(request))
                return JSONResponse(work.dry_run(document, body))
            key = request.headers["idempotency-key"]
            new = await work.do_apply(cid_of(request), body, raw.decode(), key)
            return Response(
                '{"decision":{"findings":[]},"client":' + new + "}", media_type="application/json"
            )

        async def monitoring(request: Request) -> Response:
            return HTMLResponse(await work.do_monitoring())

        async def detail(request: Request) -> Response:
            return HTMLResponse(work.detail(await work.read(cid_of(request))))

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> Any:
            await work.pool.open(wait=True)
            yield
            await work.pool.close()

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/api/clients/{client_id}", client),
            Route("/api/clients/{client_id}/offer", offer),
            Route("/api/clients/{client_id}/operations", operations, methods=["POST"]),
            Route("/", monitoring),
            Route("/clients/{client_id}", detail),
        ],
        lifespan=lifespan,
    )


def floor_from_env() -> Any:
    """The floor app of one uvicorn worker, from :data:`FLOOR_ENV`."""
    settings = json.loads(os.environ[FLOOR_ENV])
    return floor_app(settings["db"], settings["kind"])


def serve_floor(kind: str, db: str, port: int, workers: int) -> int:
    import uvicorn

    os.environ[FLOOR_ENV] = json.dumps({"db": db, "kind": kind})
    if workers == 1:  # as `cytolicense serve` does: the app object, or an import string
        uvicorn.run(floor_from_env(), host="127.0.0.1", port=port, log_level="warning")
    else:  # the spawned workers import this script as __main__
        uvicorn.run(
            "__main__:floor_from_env",
            factory=True,
            host="127.0.0.1",
            port=port,
            workers=workers,
            log_level="warning",
        )
    return 0


# -- servers and load -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One app under uvicorn in a process group of its own (stopped by its id)."""

    def __init__(self, name: str, command: list[str], port: int, health: str) -> None:
        self.name, self.port = name, port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (the server's life)
        self.proc = subprocess.Popen(
            command, stdout=self.log, stderr=self.log, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{name} exited: {self.log.read().decode()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", health)
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not answer {health} in 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def cpu(self) -> float:
        """CPU seconds used so far by the server's processes (uvicorn's and its
        workers': its process group), user and system, from /proc."""
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()
            if int(fields[2]) == self.proc.pid:  # pgrp; then utime, stime
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def errors(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def start_console(db: str, workers: int) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "cytolicense",
        "--db",
        db,
        "--partner",
        PARTNER,
        "--today",
        TODAY.isoformat(),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("console", command, port, "/api/health")


def start_floor(kind: str, db: str, workers: int) -> Server:
    port = free_port()
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--serve-floor",
        kind,
        "--db",
        db,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server(f"floor-{kind}", command, port, "/health")


WRK_SCRIPT = r"""
local kind = os.getenv("BENCH_KIND")
local clients = tonumber(os.getenv("BENCH_CLIENTS"))
local start = tonumber(os.getenv("BENCH_START"))
local tag = os.getenv("BENCH_TAG")
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local threads = {}
local counter = 0
local json_type = {["Content-Type"] = "application/json"}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
end

local function modify(quantity)
  return string.format(
    '{"cytolicense":2,"type":"Modify","data":{"maintenance":"m1","quantity":%d}}', quantity)
end

function request()
  local i = start + tid + n * nthreads
  n = n + 1
  local cid = string.format("c%07d", i % clients)
  if kind == "client" then
    return wrk.format("GET", "/api/clients/" .. cid)
  elseif kind == "offer" then
    return wrk.format("GET", "/api/clients/" .. cid .. "/offer")
  elseif kind == "dry_run" then
    return wrk.format("POST", "/api/clients/" .. cid .. "/operations?dry_run=true",
      {["Content-Type"] = "application/json"}, modify(75))
  elseif kind == "apply" then
    -- each pass over the clients sets other seats than the pass before: a change
    local quantity = 2 + math.floor(i / clients) % 50
    return wrk.format("POST", "/api/clients/" .. cid .. "/operations",
      {["Content-Type"] = "application/json", ["Idempotency-Key"] = tag .. "-" .. i},
      modify(quantity))
  elseif kind == "monitoring" then
    return wrk.format("GET", "/")
  else
    return wrk.format("GET", "/clients/" .. cid)
  end
end

function done(summary, latency, requests)
  local most = 0
  for _, t in ipairs(threads) do
    local v = t:get("n")
    if v > most then most = v end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"status_errors": %d, "socket_errors": %d, "next": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, start + (most + 1) * nthreads))
end
"""


class Load:
    """wrk runs; the apply sequence (which client, which seats) shared by every app of
    one store, so each apply changes a client the previous pass left otherwise."""

    def __init__(self, folder: Path, clients: int) -> None:
        self.script = folder / "bench.lua"
        self.script.write_text(WRK_SCRIPT, encoding="utf-8")
        self.clients = clients
        self.next_apply: dict[str, int] = defaultdict(int)
        self.tag = f"k{int(time.time() * 1000):x}"

    def run(
        self, server: Server, kind: str, store: str, conns: int, seconds: int
    ) -> dict[str, Any]:
        threads = min(2, conns)
        start = self.next_apply[store] if kind == "apply" else 0
        env = dict(
            os.environ,
            BENCH_KIND=kind,
            BENCH_CLIENTS=str(self.clients),
            BENCH_START=str(start),
            BENCH_TAG=f"{self.tag}-{store}",
            BENCH_THREADS=str(threads),
        )
        cpu = server.cpu()
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{conns}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(self.script),
                f"http://127.0.0.1:{server.port}/",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu = server.cpu() - cpu
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
        if kind == "apply":
            self.next_apply[store] = int(result["next"])
        seconds_run = result["duration_us"] / 1e6
        return {
            "rps": result["requests"] / seconds_run,
            "p50_ms": result["p50_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000,
            "cpu_ms": cpu * 1000 / max(1, result["requests"]),
            "errors": result["status_errors"] + result["socket_errors"],
        }


# -- the run ----------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="cytolicense-http-"))
    stores: list[tuple[str, str]] = [("sqlite", str(folder / "bench.db"))]
    own: OwnPostgres | None = None
    if args.no_postgres or "postgres" not in args.stores:
        pass
    elif args.postgres:
        stores.append(("postgres", args.postgres))
    elif _pg_bin("initdb") and _pg_bin("pg_ctl"):
        own = OwnPostgres()
        stores.append(("postgres", own.url))
    else:
        print("no PostgreSQL binaries: SQLite only")
    stores = [s for s in stores if s[0] in args.stores]
    load = Load(folder, args.clients)
    rows: list[dict[str, Any]] = []
    try:
        for store, db in stores:
            t0 = time.perf_counter()
            build(db, args.clients)
            print(f"{store}: {args.clients:,} clients ready in {time.perf_counter() - t0:.1f} s")
            for workers in args.workers:
                rows += measure_pair(args, load, store, db, workers)
    finally:
        if own is not None:
            own.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def measure_pair(
    args: argparse.Namespace, load: Load, store: str, db: str, workers: int
) -> list[dict[str, Any]]:
    kinds = ["sync"] + (["async"] if store == "postgres" and not args.no_async else [])
    servers: list[Server] = []
    try:
        servers.append(start_console(db, workers))
        for kind in kinds:
            servers.append(start_floor(kind, db, workers))
        for server in servers:  # warm-up: every path once, connections and pools opened
            for kind in args.paths:
                load.run(server, kind, store, max(args.connections), 1)
        runs: dict[tuple[str, int, str], list[dict[str, Any]]] = defaultdict(list)
        for r in range(args.rounds):
            order = servers[r % len(servers) :] + servers[: r % len(servers)]
            for kind in args.paths:
                for conns in args.connections:
                    for server in order:
                        result = load.run(server, kind, store, conns, args.seconds)
                        runs[(kind, conns, server.name)].append(result)
            print(f"{store}, {workers} worker(s): round {r + 1}/{args.rounds} done")
        for server in servers:
            server.stop()
            faults = [x for x in server.errors().splitlines() if x.startswith("request ")]
            if faults:  # wrk closing its connections at a run's end: ClientDisconnect
                print(f"{server.name} logged {len(faults)} faulted requests, e.g. {faults[-1]}")
    finally:
        for server in servers:
            server.stop()
    rows = []
    for kind in args.paths:
        for conns in args.connections:
            row: dict[str, Any] = {
                "path": kind,
                "store": store,
                "workers": workers,
                "connections": conns,
            }
            for server in servers:
                results = runs[(kind, conns, server.name)]
                row[server.name] = {
                    "rps": statistics.median(x["rps"] for x in results),
                    "p50_ms": statistics.median(x["p50_ms"] for x in results),
                    "p99_ms": statistics.median(x["p99_ms"] for x in results),
                    "cpu_ms": statistics.median(x["cpu_ms"] for x in results),
                    "errors": sum(x["errors"] for x in results),
                    "rounds_rps": [round(x["rps"], 1) for x in results],
                }
            console = runs[(kind, conns, "console")]
            for floor in [s.name for s in servers if s.name != "console"]:
                ratios = [
                    f["rps"] / c["rps"]
                    for c, f in zip(console, runs[(kind, conns, floor)], strict=True)
                ]
                row[f"ratio_{floor}"] = {
                    "median": statistics.median(ratios),
                    "low": min(ratios),
                    "high": max(ratios),
                }
                cpus = [
                    c["cpu_ms"] / max(f["cpu_ms"], 1e-9)
                    for c, f in zip(console, runs[(kind, conns, floor)], strict=True)
                ]
                row[f"cpu_ratio_{floor}"] = statistics.median(cpus)
            if "floor-async" in row:
                pairs = zip(
                    runs[(kind, conns, "floor-sync")],
                    runs[(kind, conns, "floor-async")],
                    strict=True,
                )
                speed = [a["rps"] / s["rps"] for s, a in pairs]
                row["async_vs_sync"] = {
                    "median": statistics.median(speed),
                    "low": min(speed),
                    "high": max(speed),
                }
            rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| path | store | workers | conns | console req/s | p50 / p99 ms | floor req/s "
        "| p50 / p99 ms | console / floor (spread) | CPU ms/req console / floor "
        "| async floor req/s | p50 / p99 ms | async / sync floor (spread) |",
        "|---|---|---:|---:|---:|---|---:|---|---|---|---:|---|---|",
    ]
    for row in rows:
        c, f = row["console"], row["floor-sync"]
        ratio = row["ratio_floor-sync"]
        cells = [
            PATHS[row["path"]],
            row["store"],
            str(row["workers"]),
            str(row["connections"]),
            f"{c['rps']:,.0f}",
            f"{c['p50_ms']:.2f} / {c['p99_ms']:.2f}",
            f"{f['rps']:,.0f}",
            f"{f['p50_ms']:.2f} / {f['p99_ms']:.2f}",
            f"**{ratio['median']:.2f}** ({ratio['low']:.2f}..{ratio['high']:.2f})",
            f"{c['cpu_ms']:.2f} / {f['cpu_ms']:.2f} ({row['cpu_ratio_floor-sync']:.2f})",
        ]
        a = row.get("floor-async")
        if a is not None:
            av = row["async_vs_sync"]
            cells += [
                f"{a['rps']:,.0f}",
                f"{a['p50_ms']:.2f} / {a['p99_ms']:.2f}",
                f"{av['median']:.2f} ({av['low']:.2f}..{av['high']:.2f})",
            ]
        else:
            cells += ["", "", ""]
        errors = sum(row[s]["errors"] for s in ("console", "floor-sync", "floor-async") if s in row)
        if errors:
            cells[0] += f" ({errors} errors)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(rows: list[dict[str, Any]]) -> str:
    out = []
    for kind, limit in TARGETS.items():
        if limit is None:
            continue
        for store in sorted({r["store"] for r in rows}):
            mine = [
                r
                for r in rows
                if r["path"] == kind and r["store"] == store and r["connections"] in (1, 8)
            ]
            if not mine:
                continue
            worst = max(mine, key=lambda r: r["ratio_floor-sync"]["median"])
            ratio = worst["ratio_floor-sync"]["median"]
            verdict = "met" if ratio <= limit else "MISSED"
            out.append(
                f"{PATHS[kind]} on {store}: worst {ratio:.2f}x at {worst['connections']} "
                f"connection(s), {worst['workers']} worker(s); target {limit}x: {verdict}"
            )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s runs")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to use")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-async", action="store_true", help="no async floor")
    parser.add_argument("--stores", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=None, help="default 4 (quick: 2)")
    parser.add_argument("--seconds", type=int, default=None, help="per run; default 2 (quick 1)")
    parser.add_argument("--connections", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--paths", nargs="*", default=list(PATHS), choices=list(PATHS))
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    parser.add_argument("--serve-floor", choices=["sync", "async"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        return serve_floor(args.serve_floor, args.db, args.port, args.workers[0])
    if shutil.which("wrk") is None:
        print("benchmarks/http.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    args.rounds = args.rounds or (2 if args.quick else 4)
    args.seconds = args.seconds or (1 if args.quick else 2)
    print(
        f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
        f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} cores; {args.rounds} rounds of "
        f"{args.seconds} s runs, {args.clients:,} clients"
    )
    started = time.perf_counter()
    rows = measure(args)
    print(table(rows))
    print(verdicts(rows))
    load = os.getloadavg()
    print(
        f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
