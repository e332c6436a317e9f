"""The console served for real (``cytolicense serve`` under uvicorn) while several
processes, each with several threads, write at once: every 200 is durable (read back
from another connection after the server stopped), no 5xx and no 400 for a valid
request, and a key is applied once however many requests carry it (R4 0/5)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

TODAY = dt.date(2026, 11, 27)
WORKER = Path(__file__).with_name("http_worker.py")
EDR = cl.AssignmentRequest(
    product="cytomic-edr", license_type="commercial", quantity=5, period="1y"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 5) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@contextlib.contextmanager
def serving(db: str, partner: str, *options: str) -> Iterator[str]:
    """``cytolicense serve`` on a free loopback port; stopped (SIGINT, as Ctrl-C) after."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cytolicense",
            "--db",
            db,
            "--partner",
            partner,
            "--today",
            TODAY.isoformat(),
            "serve",
            "--port",
            str(port),
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                if _get(base + "/api/health")[0] == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        assert b"Traceback" not in err, err.decode()


@pytest.fixture(params=[1, 2], ids=["1-worker", "2-workers"])
def workers(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "served.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _console(db: str, partner: str) -> cl.Console:
    return cl.Console(cl.Engine(cl.load_catalog()), cl.open_store(db, partner))


def test_concurrent_writers_lose_nothing_and_apply_each_key_once(db: str, workers: int) -> None:
    partner = f"race-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    setup = _console(db, partner)
    setup.add_client("shared", "Shared", TODAY)
    shared = setup.apply("shared", EDR, TODAY).client.maintenances[0].id
    setup.store.close()

    processes, threads, rounds = 3, 4, 6
    with serving(db, partner, "--workers", str(workers)) as base:
        writers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), base, f"w{p}", str(threads), str(rounds), shared],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for p in range(processes)
        ]
        lines = []
        for w in writers:
            out, err = w.communicate(timeout=300)
            assert w.returncode == 0, err.decode()
            lines += [json.loads(line) for line in out.decode().splitlines()]

    statuses = Counter(r["status"] for r in lines)
    assert statuses[200] > processes * threads * rounds  # most writes were applied
    assert not [r for r in lines if r["status"] >= 500 or r["status"] == 400], statuses
    # A lost race is retried by the app; one it gave up on says so (409, retry).
    for r in lines:
        assert r["status"] in (200, 201, 409), r
        if r["status"] == 409:
            assert r["body"]["retry"] is True, r

    # Read back from another connection, after the server has stopped.
    check = _console(db, partner)
    try:
        ids = {f"w{p}-{t}" for p in range(processes) for t in range(threads)}
        assert {c.id for c in check.store.clients()} == ids | {"shared"}
        for cid in ids:
            mine = [r for r in lines if r["path"] == f"/api/clients/{cid}/operations"]
            applied = [r for r in mine if r["status"] == 200]
            history = check.history(cid)
            modified = [e for e in history if type(e).__name__ == "LicensesModified"]
            assert len(modified) == len(applied) - 1  # the assignment is the first
            last = max(applied[1:], key=lambda r: r["quantity"])["quantity"]
            assert check.store.get(cid).maintenances[0].quantity == last

        sent = [r for r in lines if r["path"] == "/api/clients/shared/operations"]
        history = check.history("shared")
        modified = [e for e in history if type(e).__name__ == "LicensesModified"]
        # Every 200 is durable, and a key is applied once however many sent it.
        distinct = {(r["key"] or f"unkeyed-{i}") for i, r in enumerate(sent) if r["status"] == 200}
        assert len(modified) == len(distinct)
        same = [r for r in sent if r["key"] == "the-same-key-for-everyone"]
        assert len(same) == processes * threads
        assert all(r["status"] in (200, 409) for r in same)
        answered = {json.dumps(r["body"], sort_keys=True) for r in same if r["status"] == 200}
        assert len(answered) == 1  # every 200 answers as the first did
    finally:
        check.store.close()


def test_requests_in_flight_never_share_a_connection(tmp_path: Path) -> None:
    """Many requests at once through the app in one process: each leases its own handle,
    and handles are reused once given back (not one per request)."""
    import concurrent.futures

    from starlette.testclient import TestClient

    from cytolicense.web import create_app

    db = str(tmp_path / "lease.db")
    app = create_app(db, "p", today=TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for i in range(8):
            assert c.post("/api/clients", json={"id": f"c{i}", "name": f"C{i}"}).status_code == 201

        def work(i: int) -> list[int]:
            path = f"/api/clients/c{i % 8}/operations"
            body = json.loads(cl.to_json(EDR)) if i < 8 else None
            codes = []
            if body is not None:
                codes.append(c.post(path, json=body).status_code)
            codes.append(c.get(f"/api/clients/c{i % 8}").status_code)
            codes.append(c.get("/api/clients").status_code)
            return codes

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            codes = [code for result in pool.map(work, range(64)) for code in result]
    assert set(codes) == {200}
    consoles = app.state.consoles
    assert 1 < consoles.opened <= 16  # concurrent requests had their own; then reused


def test_serve_answers_its_public_names_only(tmp_path: Path) -> None:
    import http.client

    db = str(tmp_path / "named.db")
    _console(db, "p").store.close()
    with serving(db, "p", "--public-name", "licences.example") as base:
        port = int(base.rpartition(":")[2])

        def status(host: str) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/api/clients", headers={"Host": host})
                return conn.getresponse().status
            finally:
                conn.close()

        assert status("licences.example") == 200
        assert status(f"127.0.0.1:{port}") == 200
        assert status(f"localhost:{port}") == 200
        assert status("rebound.evil.example") == 421
