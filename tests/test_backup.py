"""Backups while the console runs, restores and verification (R3 5/6, the SQLite part
and verify on both stores)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl

TODAY = dt.date(2026, 11, 27)
REQUEST = cl.AssignmentRequest(
    product="cytomic-edr",
    license_type="commercial",
    quantity=10,
    period="1y",
    modules={"cytomic-patch": None},
)


def _filled(path: Path, partner: str = "p", count: int = 20) -> None:
    with cl.Store(path, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.credit_pool("cytomic-edr", "1y", 500, TODAY)
        for i in range(count):
            console.add_client(f"c{i:03d}", f"Client {i}", TODAY)
            console.apply(f"c{i:03d}", REQUEST, TODAY)


def test_a_consistent_store_verifies(tmp_path: Path) -> None:
    path = tmp_path / "ok.db"
    _filled(path)
    with cl.Store(path, "p") as store:
        assert store.verify() == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            "UPDATE clients SET name = 'Someone else' WHERE id = 'c003'",
            "client 'c003': column name is 'Someone else'",
        ),
        (
            "UPDATE clients SET shown_until = '2030-01-01' WHERE id = 'c004'",
            "client 'c004': column shown_until",
        ),
        (
            "DELETE FROM expiries WHERE client_id = 'c005'",
            "client 'c005': the expiry index holds []",
        ),
        (
            "DELETE FROM events WHERE client_id = 'c006' AND seq = 2",
            "client 'c006': its events replay to another client",
        ),
        ("UPDATE pools SET seats = seats + 7", "the pool is"),
        (
            "UPDATE clients SET document = '{\"broken\": 1}' WHERE id = 'c007'",
            "client 'c007' of partner 'p' has a corrupt row",
        ),
    ],
)
def test_verify_names_each_kind_of_breakage(tmp_path: Path, breakage: str, expected: str) -> None:
    path = tmp_path / "broken.db"
    _filled(path)
    db = sqlite3.connect(path)
    db.execute(breakage)
    db.commit()
    db.close()
    with cl.Store(path, "p") as store:
        problems = store.verify()
    assert any(expected in p for p in problems), problems
    r = subprocess.run(
        [sys.executable, "-m", "cytolicense", "--db", str(path), "--partner", "p", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and expected in r.stdout


def test_verify_on_postgres(postgres_url: str) -> None:
    partner = f"v-{uuid.uuid4().hex[:8]}"
    with cl.open_store(postgres_url, partner) as store:
        console = cl.Console(cl.Engine(cl.load_catalog()), store)
        console.add_client("acme", "ACME", TODAY)
        console.apply("acme", REQUEST, TODAY)
        assert store.verify() == []
        store._db.execute(  # type: ignore[attr-defined]
            "UPDATE clients SET name = 'x' WHERE partner = %s", (partner,)
        )
        assert any("column name is 'x'" in p for p in store.verify())


def test_a_backup_taken_while_two_writers_run_verifies_and_holds_a_prefix(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    _filled(path, count=2)
    engine = cl.Engine(cl.load_catalog())
    stop = threading.Event()
    seen: dict[str, set[int]] = {}
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with cl.Store(path, "p") as store:
                console = cl.Console(engine, store)
                i = 0
                while not stop.is_set() and i < 400:
                    cid = f"{name}{i:04d}"
                    console.add_client(cid, cid, TODAY)
                    console.apply(cid, REQUEST, TODAY)
                    seen.setdefault(cid, set()).update({1, 2})
                    i += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    copies = []
    try:
        with cl.Store(path, "p") as source:
            for k in range(3):
                copies.append(source.backup(tmp_path / f"copy{k}.db", pages=8))
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    for copy in copies:
        with cl.Store(copy, "p") as backup:
            assert backup.verify() == []
            for client in backup.clients():
                version = backup.load(client.id)[1]
                # every client at a version it really had (1: added, 2: assigned)
                assert version in {1, 2} and len(backup.history(client.id)) == version
    with pytest.raises(cl.StoreError, match="already exists"), cl.Store(path, "p") as source:
        source.backup(copies[0])


def _cli(*args: str, code: int = 0) -> Any:
    r = subprocess.run(
        [sys.executable, "-m", "cytolicense", *args], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == code, (r.stdout, r.stderr)
    return r


def test_backup_and_restore_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "main.db"
    _filled(path, count=3)
    copy = tmp_path / "copy.db"
    assert (
        "copied the database"
        in _cli("--db", str(path), "--partner", "p", "backup", str(copy)).stdout
    )
    _cli("--db", str(path), "--partner", "p", "backup", str(copy), code=3)  # never overwritten
    target = tmp_path / "restored.db"
    out = _cli("--db", str(target), "--partner", "p", "restore", str(copy)).stdout
    assert "restored" in out
    with cl.Store(target, "p") as restored, cl.Store(path, "p") as original:
        assert restored.clients() == original.clients() and restored.pool() == original.pool()
    _cli("--db", str(target), "--partner", "p", "restore", str(copy), code=2)  # exists
    _cli("--db", str(target), "--partner", "p", "restore", str(copy), "--replace")
    # A backup that does not verify is not restored.
    db = sqlite3.connect(copy)
    db.execute("UPDATE pools SET seats = 1")
    db.commit()
    db.close()
    r = _cli("--db", str(target), "--partner", "p", "restore", str(copy), "--replace", code=1)
    assert "the backup does not verify" in r.stderr
    assert "ok: 3 client(s)" in _cli("--db", str(target), "--partner", "p", "verify").stdout
