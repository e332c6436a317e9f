from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import cytolicense as cl

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "soak",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("CYTOLICENSE_PROFILE", "default"))

SOAK = os.environ.get("CYTOLICENSE_PROFILE") == "soak"

D = dt.date


class EndpointModules:
    """One "endpoint" family with Encryption (independent), Patch and Data Watch;
    subclasses add the products their tests need."""

    @cl.hookimpl
    def cytolicense_families(self) -> list[cl.ProductFamily]:
        return [cl.ProductFamily(id="endpoint", name="Endpoint")]

    @cl.hookimpl
    def cytolicense_modules(self) -> list[cl.Module]:
        return [
            cl.Module(id="enc", name="Encryption", quantity_rule="independent"),
            cl.Module(id="patch", name="Patch"),
            cl.Module(id="watch", name="Data Watch"),
        ]


class TestCatalog:
    """A small catalog built in code: two families, linked and independent modules."""

    __name__ = "tests.test_catalog_plugin"

    @cl.hookimpl
    def cytolicense_families(self) -> list[cl.ProductFamily]:
        return [
            cl.ProductFamily(id="endpoint", name="Endpoint"),
            cl.ProductFamily(id="mail", name="Mail"),
        ]

    @cl.hookimpl
    def cytolicense_modules(self) -> list[cl.Module]:
        return [
            cl.Module(id="encryption", name="Encryption", quantity_rule="independent"),
            cl.Module(id="patch", name="Patch"),
            cl.Module(id="watch", name="Data Watch"),
        ]

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["encryption", "patch"],
                periods=["1m", "1y", "2y", "3y"],
                enabled_periods=["1y", "2y", "3y"],
                trial_max_quantity=250,
            ),
            cl.Product(
                id="epdr",
                name="EPDR",
                family="endpoint",
                modules={"encryption", "patch", "watch"},
                max_quantity=1000,
            ),
            cl.Product(
                id="mailguard",
                name="Mail Guard",
                family="mail",
                license_types=["commercial"],
                management_modes=["centralized"],
                periods=["1y"],
            ),
        ]


@pytest.fixture(scope="session")
def catalog() -> cl.Catalog:
    return cl.load_catalog(TestCatalog(), entry_points=False)


@pytest.fixture(scope="session")
def engine(catalog: cl.Catalog) -> cl.Engine:
    return cl.Engine(catalog)


@pytest.fixture(scope="session")
def cytomic() -> cl.Catalog:
    return cl.load_catalog()


def request(**kw: object) -> cl.AssignmentRequest:
    base: dict[str, object] = {
        "product": "edr",
        "license_type": "commercial",
        "quantity": 10,
        "period": "1y",
    }
    base.update(kw)
    return cl.AssignmentRequest(**base)  # type: ignore[arg-type]


def _pg_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    """A PostgreSQL server of the tests' own (initdb + pg_ctl, on a Unix socket in a
    temporary directory; as root, run as the ``postgres`` user)."""

    def __init__(self) -> None:
        import pwd
        import shutil
        import tempfile

        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
        self.pg_ctl = pg_ctl
        # Not under pytest's tmp dir: its parents are private to root, and the server
        # may run as another user.
        self.base = Path(tempfile.mkdtemp(prefix="cytolicense-pg-"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.sock.mkdir()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run the server")
            for path in (self.base, self.sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            self.prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
        os.chmod(self.base, 0o755)
        self.run(
            initdb,
            "-D",
            str(self.data),
            "-U",
            "cytolicense",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        import psycopg

        # The store connects as an ordinary role that owns its database: row-level
        # security binds it (a superuser would bypass the policies).
        admin = f"postgresql://cytolicense@/postgres?host={self.sock}"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute("CREATE ROLE cytolicense_app LOGIN")
            db.execute("CREATE DATABASE cytolicense OWNER cytolicense_app")
        self.url = f"postgresql://cytolicense_app@/cytolicense?host={self.sock}"

    def run(self, *cmd: str) -> None:
        import subprocess

        subprocess.run([*self.prefix, *cmd], check=True, capture_output=True)

    def start(self) -> None:
        self.run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.base / "log"),
            "-o",
            f"-k {self.sock} -c listen_addresses='' -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        self.run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        import shutil

        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test's own, which it may stop and start."""
    pytest.importorskip("psycopg")
    server = PostgresServer()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server started for the session (see :class:`PostgresServer`)."""
    pytest.importorskip("psycopg")
    server = PostgresServer()
    try:
        yield server.url
    finally:
        server.remove()


def kill_mid_batch(target: str, partner: str, batches: int, batch: int = 5) -> int:
    """Run the crash worker (tests/store_worker.py) on *target* (a SQLite path or a
    PostgreSQL URL) for *partner* until it reports *batches* committed batches, then
    SIGKILL it in the middle of the next; the number of the last batch it reported."""
    import signal
    import subprocess
    import sys
    import time

    worker = str(Path(__file__).with_name("store_worker.py"))
    proc = subprocess.Popen(
        [sys.executable, worker, "crash", target, str(batch), partner],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = -1
    deadline = time.monotonic() + 60
    while committed < batches and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert committed >= batches, "the worker did not commit enough batches"
    return committed


def assert_whole_batches(store: cl.ClientStore, committed: int, batch: int = 5) -> None:
    """Every batch whose commit the worker reported is in *store*; none is there in part."""
    clients = store.clients()
    assert len(clients) >= (committed + 1) * batch
    assert len(clients) % batch == 0
    for client in clients:
        assert client.maintenances[0].quantity == 12
        assert cl.replay(store.history(client.id)) == client
        assert store.load(client.id)[1] == 3
