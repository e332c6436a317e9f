"""Losing the PostgreSQL server: a primary and a synchronous standby started here
(initdb, pg_basebackup -R, synchronous_standby_names, synchronous_commit = on), on
loopback ports in a temporary folder; writers apply keyed operations through a
multi-host URL; the primary is SIGKILLed mid-run and the standby promoted (R3 5/6).

Counted: operations acknowledged, found afterwards (all of them), applied twice
(none), seconds from the kill to the first successful write. Skipped, saying why,
where the PostgreSQL server binaries are missing. ``nox -s failover`` runs it longer
(``CYTOLICENSE_FAILOVER_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cytolicense as cl

from .conftest import _pg_bin

pytest.importorskip("psycopg")
TODAY = dt.date(2026, 11, 27)
SECONDS = float(os.environ.get("CYTOLICENSE_FAILOVER_SECONDS", "4"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A primary and a synchronous standby on 127.0.0.1."""

    def __init__(self) -> None:
        initdb, pg_ctl, base = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("pg_basebackup")
        if initdb is None or pg_ctl is None or base is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not installed")
        self.pg_ctl = pg_ctl
        self.prefix: list[str] = []
        self.root = Path(tempfile.mkdtemp(prefix="cytolicense-failover-"))
        if os.geteuid() == 0:
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run the server")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.root, 0o755)
        self.primary, self.standby = self.root / "primary", self.root / "standby"
        self.p1, self.p2 = _port(), _port()
        self.run(
            initdb,
            "-D",
            str(self.primary),
            "-U",
            "cytolicense",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        settings = (
            "listen_addresses = '127.0.0.1'\n"
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
            "synchronous_commit = on\n"
            "fsync = off\n"
        )
        self.run("sh", "-c", f'printf "{settings}" >> {self.primary}/postgresql.conf')
        self.start(self.primary, self.p1)
        import psycopg

        with psycopg.connect(self.url(self.p1, "postgres"), autocommit=True) as db:
            db.execute("CREATE ROLE app LOGIN")
            db.execute("CREATE DATABASE licences OWNER app")
        self.run(
            base,
            "-h",
            "127.0.0.1",
            "-p",
            str(self.p1),
            "-U",
            "cytolicense",
            "-D",
            str(self.standby),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "-d",
            f"host=127.0.0.1 port={self.p1} user=cytolicense application_name=standby1",
        )
        self.start(self.standby, self.p2)
        # Synchronous from now on (set before the standby exists, every commit of the
        # setup would wait for it forever); then wait until the standby is in sync.
        with psycopg.connect(self.url(self.p1, "postgres"), autocommit=True) as db:
            db.execute("ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
            db.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                rows = db.execute(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'"
                ).fetchall()
                if rows and rows[0][0] == "sync":
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("the standby did not become synchronous")

    def run(self, *cmd: str) -> None:
        subprocess.run([*self.prefix, *cmd], check=True, capture_output=True, timeout=120)

    def start(self, data: Path, port: int) -> None:
        self.run(
            self.pg_ctl,
            "-D",
            str(data),
            "-w",
            "-l",
            str(data) + ".log",
            "-o",
            f"-p {port} -k {self.root}",
            "start",
        )

    @staticmethod
    def url(port: int, db: str = "licences", user: str = "cytolicense") -> str:
        return f"postgresql://{user}@127.0.0.1:{port}/{db}"

    def multi(self) -> str:
        return (
            f"postgresql://app@127.0.0.1:{self.p1},127.0.0.1:{self.p2}/licences"
            "?target_session_attrs=read-write&connect_timeout=2"
        )

    def kill_primary(self) -> None:
        pid = int((self.primary / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

    def promote(self) -> None:
        self.run(self.pg_ctl, "-D", str(self.standby), "-w", "promote")

    def stop(self) -> None:
        for data in (self.standby, self.primary):
            subprocess.run(
                [*self.prefix, self.pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()


REQUEST = cl.AssignmentRequest(
    product="cytomic-edr", license_type="commercial", quantity=1, period="1y"
)


def test_writers_survive_a_failover_and_nothing_applies_twice(cluster: Cluster) -> None:
    url = cluster.multi()
    engine = cl.Engine(cl.load_catalog())
    writers = 3
    with cl.open_store(url, "msp") as store:
        console = cl.Console(engine, store)
        for w in range(writers):
            console.add_client(f"w{w}", f"Writer {w}", TODAY)
    acked: list[tuple[str, str]] = []  # (client, key)
    errors: list[BaseException] = []
    lock = threading.Lock()
    stop = threading.Event()
    killed_at: list[float] = []
    first_after: list[float] = []

    def writer(w: int) -> None:
        store = cl.open_store(url, "msp")
        console = cl.Console(
            engine, store, retry=cl.Retry(attempts=60, backoff=0.05, max_backoff=0.5)
        )
        i = 0
        try:
            while not stop.is_set() and i < 5000:
                key = f"w{w}-{i}"
                started = time.monotonic()
                console.apply(f"w{w}", REQUEST, TODAY, key=key)  # retried by key
                now = time.monotonic()
                with lock:
                    acked.append((f"w{w}", key))
                    # The first write begun after the kill that went through.
                    if killed_at and started > killed_at[0] and not first_after:
                        first_after.append(now)
                i += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()

    batches: list[str] = []

    def batcher() -> None:
        """Batched assigns (apply_each with a key) to ten clients of its own."""
        store = cl.open_store(url, "msp")
        console = cl.Console(
            engine, store, retry=cl.Retry(attempts=60, backoff=0.05, max_backoff=0.5)
        )
        i = 0
        try:
            while not stop.is_set() and i < 500:
                key = f"batch-{i}"
                done = console.apply_each([f"b{n}" for n in range(10)], REQUEST, TODAY, key=key)
                assert all(isinstance(v, cl.Change) for v in done.values()), done
                with lock:
                    batches.append(key)
                i += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()

    with cl.open_store(url, "msp") as store:
        console = cl.Console(engine, store)
        for n in range(10):
            console.add_client(f"b{n}", f"Batch {n}", TODAY)
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    threads.append(threading.Thread(target=batcher))
    for t in threads:
        t.start()
    time.sleep(SECONDS / 2)
    before = len(acked)
    killed_at.append(time.monotonic())
    cluster.kill_primary()
    time.sleep(0.5)
    cluster.promote()
    deadline = time.monotonic() + 60
    while not first_after and time.monotonic() < deadline and not errors:
        time.sleep(0.05)
    time.sleep(SECONDS / 2)
    stop.set()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert before > 0 and first_after, (before, len(acked))
    # Every acknowledged operation is there once; none is there twice, none in part.
    with cl.open_store(url, "msp") as store:
        assert store.verify() == []
        for w in range(writers):
            history = store.history(f"w{w}")
            assigned = [e for e in history if isinstance(e, cl.ProductAssigned)]
            mine = [k for c, k in acked if c == f"w{w}"]
            # An apply whose outcome was unknown and that was then retried by its key
            # answered from the key: one event per key.
            assert len(assigned) == len(mine), (w, len(assigned), len(mine))
            for k in mine:
                assert store.find_key(k) is not None
        for n in range(10):
            assigned = [e for e in store.history(f"b{n}") if isinstance(e, cl.ProductAssigned)]
            assert len(assigned) == len(batches), (n, len(assigned), len(batches))
    seconds = first_after[0] - killed_at[0]
    print(
        f"\nfailover: {len(acked)} operations and {len(batches)} batches of 10 acknowledged "
        f"({before} operations before the kill), "
        f"all found, none applied twice; first write {seconds:.2f} s after the kill"
    )
