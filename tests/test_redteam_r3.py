"""Round 3's first issue: what the red team and a newcomer broke in round 2.

Each test failed on round 2's code (the issue's item number is in its name).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cytolicense as cl

from .test_operations import LifeCatalog, client, commercial
from .test_serialize import _maintenances

D = dt.date
T0 = D(2026, 3, 1)


class CappedCatalog(LifeCatalog):
    """The life catalog with a seat cap on EDR (item 2's GroupSets over the maximum)."""

    __name__ = "tests.capped_catalog"

    @cl.hookimpl
    def cytolicense_products(self) -> list[cl.Product]:
        return [
            cl.Product(
                id="edr",
                name="EDR",
                family="endpoint",
                modules=["enc", "patch", "watch"],
                periods=["1m", "1y", "2y", "3y"],
                max_quantity=20,
            ),
            cl.Product(
                id="epdr",
                name="EPDR",
                family="endpoint",
                modules=["enc", "patch"],
                periods=["1m", "1y", "2y", "3y"],
                term_end="day_before",
            ),
        ]


@pytest.fixture(scope="module")
def engine() -> cl.Engine:
    return cl.Engine(cl.load_catalog(CappedCatalog(), entry_points=False))


def _total(pool: cl.Pool) -> dict[tuple[str, str], int]:
    return {(ln.item, str(ln.period)): ln.seats for ln in pool.lines}


def test_item1_an_untracked_assignment_gives_nothing_back_once_tracked(engine: cl.Engine) -> None:
    """10 seats assigned while the pool did not track EDR; tracking starts at 0; the
    deletion must give back nothing (round 2 gave back 10)."""
    untracked = cl.Pool((cl.PoolLine(item="enc", period="1y", seats=5),))
    ch = engine.apply(client(engine), commercial(quantity=10), T0, pool=untracked)
    assert ch.pool == untracked
    tracked = ch.pool.credit("edr", "1y", 0)
    gone = engine.apply(ch.client, cl.DeleteService(maintenance="m1"), T0, pool=tracked)
    assert gone.pool is not None and gone.pool.seats("edr", "1y") == 0
    assert gone.pool_events == ()


@pytest.mark.parametrize(
    ("product", "start", "period"),
    [
        ("edr", D(2026, 1, 31), "1m"),  # 31 Jan + 1 month: clamped to 28 Feb
        ("epdr", D(2028, 2, 29), "1y"),  # day_before from a 29 February
        ("edr", D(2028, 2, 29), "1y"),
        ("epdr", D(2026, 3, 31), "1m"),
        ("edr", D(2026, 3, 1), "3y"),
    ],
)
def test_item4_deleted_the_day_it_starts_gives_back_every_seat(
    engine: cl.Engine, product: str, start: dt.date, period: str
) -> None:
    pool = cl.Pool((cl.PoolLine(item=product, period=period, seats=10),))
    ch = engine.apply(
        client(engine, start), commercial(product, quantity=10, period=period), start, pool=pool
    )
    assert ch.pool is not None and ch.pool.seats(product, period) == 0
    gone = engine.apply(ch.client, cl.DeleteService(maintenance="m1"), start, pool=ch.pool)
    assert gone.pool is not None and gone.pool.seats(product, period) == 10


def test_item2_grouping_keeps_every_sets_record_of_pooled_seats(engine: cl.Engine) -> None:
    pool = cl.Pool(
        (
            cl.PoolLine(item="edr", period="1y", seats=20),
            cl.PoolLine(item="edr", period="3y", seats=20),
        )
    )
    c = client(engine)
    a = engine.apply(c, commercial(quantity=10), T0, pool=pool)
    b = engine.apply(a.client, commercial(quantity=10, period="3y"), T0, pool=a.pool)
    assert b.pool is not None and _total(b.pool) == {("edr", "1y"): 10, ("edr", "3y"): 10}
    g = engine.apply(b.client, cl.GroupSets(product="edr"), T0, pool=b.pool)
    assert g.pool == b.pool  # grouping does not touch the pool
    assert g.maintenance is not None and g.maintenance.quantity == 20
    gone = engine.apply(g.client, cl.DeleteService(maintenance="m1"), T0, pool=g.pool)
    assert gone.pool is not None
    # Deleted the same day: every seat back, each to the line it came from.
    assert _total(gone.pool) == {("edr", "1y"): 20, ("edr", "3y"): 20}


def test_item2_grouping_respects_the_seat_cap(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(quantity=12), T0).client
    c = engine.apply(c, commercial(quantity=12), T0).client
    decision = engine.check(c, cl.GroupSets(product="edr"), T0)
    assert [(f.code, f.field, f.params["quantity"]) for f in decision.errors] == [
        ("quantity.invalid", "quantity", 24)
    ]
    with pytest.raises(cl.RuleViolation):
        engine.apply(c, cl.GroupSets(product="edr"), T0)


_OPS = st.one_of(
    st.builds(
        lambda q, p: commercial(quantity=q, period=p),
        st.integers(1, 8),
        st.sampled_from(["1m", "1y", "3y"]),
    ),
    st.just(cl.GroupSets(product="edr")),
    st.builds(lambda i: cl.DeleteService(maintenance=f"m{i}"), st.integers(1, 6)),
    st.builds(
        lambda i, q: cl.Modify(maintenance=f"m{i}", quantity=q),
        st.integers(1, 6),
        st.integers(1, 9),
    ),
    st.builds(
        lambda i, q: cl.AddSeats(maintenance=f"m{i}", quantity=q, period="1y"),
        st.integers(1, 6),
        st.integers(1, 5),
    ),
    st.just(cl.DeleteClient()),
)


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.tuples(_OPS, st.integers(0, 400)), min_size=1, max_size=12),
    tracked=st.sets(st.sampled_from(["1m", "1y", "3y"]), min_size=1),
)
def test_item2_pool_seats_are_conserved_with_grouping(
    engine: cl.Engine, steps: list[tuple[Any, int]], tracked: set[str]
) -> None:
    """Seats given back never exceed seats taken, per (item, period), whatever the
    session (the red team found 231 of 2,000 sessions broke this)."""
    start = cl.Pool(tuple(cl.PoolLine(item="edr", period=p, seats=1000) for p in tracked))
    pool = start
    c = client(engine)
    day = T0
    for op, gap in steps:
        day += dt.timedelta(days=gap)
        try:
            ch = engine.apply(c, op, day, pool=pool)
        except cl.RuleViolation:
            continue
        c = ch.client
        assert ch.pool is not None
        pool = ch.pool
        for (item, period), seats in _total(pool).items():
            assert seats <= _total(start)[(item, period)], (item, period, seats)
    # Deleting everything that is left never returns more than was taken.
    # (A client no longer shown cannot be deleted.)
    if not engine.check(c, cl.DeleteClient(), day).ok:
        return
    end = engine.apply(c, cl.DeleteClient(), day, pool=pool)
    assert end.pool is not None
    for key, seats in _total(end.pool).items():
        assert seats <= _total(start)[key]


@pytest.mark.parametrize("name", ["a?b.db", "a#x.db", "a%3Fb.db"])
def test_item5_demo_paths_are_paths(tmp_path: Any, name: str) -> None:
    """`demo --db 'a?b.db'` where ./a is an old demo: round 2 read the path as a URI,
    found the demo 'a' and replaced a real database named 'a?b.db'."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "cytolicense"]
    assert (
        subprocess.run(
            [*run, "demo", "--db", "a"], cwd=tmp_path, env=env, capture_output=True
        ).returncode
        == 0
    )
    real = tmp_path / name
    with cl.Store(str(real), "default") as store:
        cl.Console(cl.Engine(cl.load_catalog()), store).add_client("keep", "Keep me", T0)
    r = subprocess.run(
        [*run, "demo", "--db", name], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode != 0, r.stdout
    with cl.Store(str(real), "default") as store:
        assert store.get("keep").name == "Keep me"


# -- import and export (items 6, 8, 26) ---------------------------------------------------


def _cli(tmp_path: Any, *args: str, code: int = 0) -> Any:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "cytolicense", "--db", str(tmp_path / "c.db"), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == code, (r.stdout, r.stderr)
    return r


def _jsonl(n: int, tmp_path: Any) -> Any:
    """An export of *n* clients (written through a real store)."""
    engine = cl.Engine(cl.load_catalog())
    src = tmp_path / "src.db"
    with cl.Store(str(src), "default") as store:
        changes = [engine.new_client(f"c{i:04}", f"Client {i}", T0) for i in range(n)]
        store.bulk(changes)
    out = tmp_path / "all.jsonl"
    import io

    from cytolicense.cli._transfer import export_clients

    buf = io.StringIO()
    with cl.Store(str(src), "default") as store:
        export_clients(store, buf)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


def test_item6_a_json_lines_import_is_all_or_nothing(tmp_path: Any) -> None:
    path = _jsonl(600, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[0]  # line 600 repeats line 1's client
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = _cli(tmp_path, "import", str(path), code=1)
    assert f"{path}:600: client 'c0000' is already on line 1" in r.stderr
    assert "c0500" not in r.stderr
    assert not (tmp_path / "c.db").exists() or _cli(tmp_path, "clients", "--json").stdout in (
        "[]\n",
        "[]",
    )


def test_item6_conflicting_csv_rows_are_an_error(tmp_path: Any) -> None:
    path = tmp_path / "two.csv"
    head = "client_id,name,created_on,product,license_type,quantity,period,starts_on,modules,management"
    path.write_text(
        f"{head}\n"
        "acme,ACME,2026-01-10,cytomic-edr,commercial,10,1y,2026-01-10,,centralized\n"
        "acme,ACME Corp,2026-01-10,cytomic-edr,commercial,5,1y,2026-01-10,,centralized\n",
        encoding="utf-8",
    )
    r = _cli(tmp_path, "import", str(path), code=1)
    assert "two.csv:3: client 'acme': name or created_on differ from line 2" in r.stderr


def test_item8_export_and_import_carry_the_pool(tmp_path: Any) -> None:
    _cli(tmp_path, "--today", "2026-03-01", "pool", "credit", "cytomic-edr", "1y", "30")
    _cli(tmp_path, "--today", "2026-03-01", "add-client", "acme", "ACME")
    _cli(
        tmp_path,
        "--today",
        "2026-03-01",
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "10",
        "--period",
        "1y",
    )
    exported = _cli(tmp_path, "export").stdout
    assert '"pool_event"' in exported
    (tmp_path / "moved.jsonl").write_text(exported, encoding="utf-8")
    (tmp_path / "c.db").rename(tmp_path / "old.db")
    _cli(tmp_path, "import", str(tmp_path / "moved.jsonl"))
    with (
        cl.Store(str(tmp_path / "old.db"), "default") as old,
        cl.Store(str(tmp_path / "c.db"), "default") as new,
    ):
        assert new.pool() == old.pool() and new.pool().seats("cytomic-edr", "1y") == 20
        assert new.pool_history() == old.pool_history()
        assert new.get("acme") == old.get("acme")
    # Run again (an interrupted import resumed): nothing doubles.
    again = _cli(tmp_path, "import", str(tmp_path / "moved.jsonl"))
    assert "skipped 1 already present" in again.stdout
    with cl.Store(str(tmp_path / "c.db"), "default") as new:
        assert new.pool().seats("cytomic-edr", "1y") == 20


def test_item26_an_existing_client_with_other_data_is_named(tmp_path: Any) -> None:
    path = tmp_path / "one.csv"
    head = "client_id,name,created_on,product,license_type,quantity,period,starts_on,modules,management"
    path.write_text(
        f"{head}\nacme,ACME,2026-01-10,cytomic-edr,commercial,10,1y,2026-01-10,,centralized\n",
        encoding="utf-8",
    )
    _cli(tmp_path, "import", str(path))
    path.write_text(
        f"{head}\nacme,ACME,2026-01-10,cytomic-edr,commercial,12,1y,2026-01-10,,centralized\n",
        encoding="utf-8",
    )
    r = _cli(tmp_path, "import", str(path), code=1)
    assert "client 'acme' is already in the store with other data" in r.stderr
    es = _cli(tmp_path, "--lang", "es", "import", str(path), code=1)
    assert "el cliente 'acme' ya está en la base de datos con otros datos" in es.stderr


def test_item7_a_foreign_file_with_a_meta_table_is_not_taken_over(tmp_path: Any) -> None:
    import sqlite3

    from cytolicense.store._sqlite_schema import APPLICATION_ID

    path = tmp_path / "theirs.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('owner', 'another app')")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(cl.StoreError, match="not a cytolicense database"):
        cl.Store(str(path), "p")
    assert path.read_bytes() == before  # no table added, no WAL switched on
    assert not (tmp_path / "theirs.db-wal").exists()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    # A new file gets the application id; so does an older cytolicense file.
    ours = tmp_path / "ours.db"
    cl.Store(str(ours), "p").close()
    db = sqlite3.connect(ours)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.execute("PRAGMA application_id = 0")
    db.commit()
    db.close()
    cl.Store(str(ours), "p").close()
    db = sqlite3.connect(ours)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()
    # Another application's id refuses even a schema like ours.
    db = sqlite3.connect(ours)
    db.execute("PRAGMA application_id = 42")
    db.commit()
    db.close()
    with pytest.raises(cl.StoreError, match="application id 42"):
        cl.Store(str(ours), "p")


def test_item9_a_document_with_changed_on_moved_back_is_refused(engine: cl.Engine) -> None:
    ch = engine.apply(client(engine), commercial(), T0 + dt.timedelta(days=10))
    doc = cl.to_json(ch.client)
    assert ch.client.changed_on == T0 + dt.timedelta(days=10)
    moved = doc.replace('"changed_on": "2026-03-11"', '"changed_on": "2026-03-02"')
    assert moved != doc
    with pytest.raises(cl.DataError, match="changed_on 2026-03-02 is before 2026-03-11"):
        cl.from_json(cl.Client, moved)
    # Equal to the last event day, or later, is fine.
    later = doc.replace('"changed_on": "2026-03-11"', '"changed_on": "2026-04-01"')
    assert cl.from_json(cl.Client, later).changed_on == D(2026, 4, 1)


def test_item10_seats_and_versions_are_bounded(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="more than 4000 digits"):
        commercial(quantity=10**5000)
    with pytest.raises(ValueError, match="quantity must be between"):
        commercial(quantity=2**63)
    with pytest.raises(ValueError, match="PoolLine.seats must be between"):
        cl.PoolLine(item="edr", period="1y", seats=2**63)
    with pytest.raises(ValueError, match="seats must be between"):
        cl.Pool().credit("edr", "1y", 2**63)
    with cl.Store(str(tmp_path / "b.db"), "p") as store:
        with pytest.raises(ValueError, match="seats must be between"):
            store.credit_pool("edr", "1y", 2**63, T0)
        assert store.pool().lines == ()
        engine = cl.Engine(cl.load_catalog())
        store.save(engine.new_client("a", "A", T0), None)
        for bad in ("1", 1.0, True, 0, 2**63):
            with pytest.raises(TypeError, match="version must be None"):
                store.save(engine.new_client("b", "B", T0), bad)  # type: ignore[arg-type]


def test_item14_crashes_are_typed(engine: cl.Engine, tmp_path: Any) -> None:
    """Each was a traceback in round 2."""
    late = D(9999, 11, 1)
    c = engine.apply(engine.create_client("a", "A", late), trial_of("edr"), late).client
    # The trial's cool-down ends after 9999-12-31: refused, not an OverflowError.
    decision = engine.check(c, trial_of("edr"), D(9999, 12, 31))
    assert "trial.already_used" in decision.codes and not decision.ok
    assert decision.errors[0].params["available_on"] == "9999-12-31"
    assert "<table" in engine.detail(c, D(9999, 12, 31))._repr_html_()
    with cl.Store(str(tmp_path / "s.db"), "p") as store:
        assert list(store.monitoring(D(1, 1, 1))) == []
        with pytest.raises(cl.NotFoundError):
            store.get("\udc80")
        assert "\udc80" not in store


def trial_of(product: str) -> cl.AssignmentRequest:
    return cl.AssignmentRequest(product=product, license_type="trial", quantity=1)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ana:hunter2@127.0.0.1:1/db",
        "postgresql://127.0.0.1:1/db?user=ana&password=hunter2",
        "postgresql://ana@127.0.0.1:1/db?sslmode=disable&password=hunter2",
        "postgresql://ana:hunter2@127.0.0.1:1,127.0.0.1:2/db?target_session_attrs=read-write",
        "postgresql://ana:hunt%65r2@127.0.0.1:1/db",
        "mysql://ana:hunter2@h/db",
    ],
)
def test_item12_no_secret_in_any_message(url: str) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises((cl.StoreError, ValueError)) as info:
        cl.open_store(url, "p")
    shown = f"{info.value} {info.value!r}"
    assert "hunter2" not in shown and "hunt%65r2" not in shown and "ana" in shown


# -- the operator (items 13, 18, 19, 21, 22) ----------------------------------------------


def test_item13_an_empty_db_is_a_usage_error(tmp_path: Any) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "cytolicense", "--db", "", "clients"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CYTOLICENSE_DB": str(tmp_path / "other.db")},
    )
    assert r.returncode == 2 and "the database is empty" in r.stderr
    assert not (tmp_path / "other.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("forecast", "--months", "0"),
        ("forecast", "--months", "1201"),
        ("expiring", "--within", "-5"),
        ("usage", "acme", "cytomic-epdr=-4"),
        ("add-client", "", "x"),
        ("add-client", "bad\x07id", "x"),
    ],
)
def test_item22_bad_values_exit_2_with_a_sentence(tmp_path: Any, args: tuple[str, ...]) -> None:
    r = _cli(tmp_path, "--today", "2026-11-27", *args, code=2)
    assert "Traceback" not in r.stderr and "must be an int" not in r.stderr
    assert "error: argument" in r.stderr


def test_item18_19_21_the_pool_on_the_command_line(tmp_path: Any) -> None:
    day = ("--today", "2026-11-27")
    out = _cli(tmp_path, *day, "pool", "credit", "cytomic-edr", "1y", "10").stdout
    assert "\\n" not in out and out.splitlines()[1].split() == ["cytomic-edr", "1", "year", "10"]
    assert (
        "unknown item id 'nope'"
        in _cli(tmp_path, *day, "pool", "credit", "nope", "1y", "5", code=3).stderr
    )
    assert (
        "not sold for 7y"
        in _cli(tmp_path, *day, "pool", "credit", "cytomic-edr", "7y", "5", code=3).stderr
    )
    assert (
        "below zero"
        in _cli(tmp_path, *day, "pool", "credit", "cytomic-edr", "1y", "-500", code=3).stderr
    )
    # --dry-run before or after the subcommand: nothing written.
    for argv in (
        ("--dry-run", "pool", "credit", "cytomic-edr", "1y", "5"),
        ("pool", "credit", "cytomic-edr", "1y", "5", "--dry-run"),
        ("--dry-run", "add-client", "zed", "Zed"),
        ("add-client", "zed", "Zed", "--dry-run"),
    ):
        assert "nothing changed" in _cli(tmp_path, *day, *argv).stdout
    assert _cli(tmp_path, *day, "pool", "--json").stdout.count('"seats": 10') == 1
    assert "zed" not in _cli(tmp_path, *day, "clients").stdout
    # A correction with its reason shows in the pool's history.
    _cli(tmp_path, *day, "pool", "credit", "cytomic-edr", "1y", "-2", "--reason", "PO-17 typo")
    history = _cli(tmp_path, *day, "pool", "history").stdout.splitlines()
    assert history[-1].split("  ")[-2:] == ["-2", "reason: PO-17 typo"]


_HEAD = (
    "client_id,name,created_on,product,license_type,quantity,period,starts_on,modules,management"
)
_ROW = "acme,ACME,2026-01-10,cytomic-edr,commercial,10,1y,2026-01-10,,centralized"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"{_HEAD}\nacme,ACME,2026-01-10\n".encode(), ":2: the row has 3 fields, the header 10"),
        (
            f"{_HEAD}\n{_ROW},extra\n".encode(),
            ":2: the row has 11 fields, the header 10",
        ),
        (
            f'{_HEAD}\nacme,"{"x" * 140_000}",2026-01-10,p,commercial,1,1y,2026-01-10,,x\n'.encode(),
            ":2: unreadable row: field larger than field limit",
        ),
        (
            f"{_HEAD}\n{_ROW}\n".encode().replace(b"ACME", b"\xc1CME"),
            ":2: not UTF-8 text (byte 6 of the line)",
        ),
        (b"client;name\nacme;ACME\n", ":1: missing column(s): client_id, created_on"),
    ],
)
def test_item15_import_errors_are_sentences(tmp_path: Any, content: bytes, expected: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    r = _cli(tmp_path, "import", str(path), code=1)
    assert expected in r.stderr and "Traceback" not in r.stderr


def test_item15_excel_bom_and_semicolons_import(tmp_path: Any) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{_HEAD}\n{_ROW}\n".replace(",", ";").encode())
    assert "imported 1 client(s)" in _cli(tmp_path, "import", str(path)).stdout


def test_item15_a_deeply_nested_json_line(tmp_path: Any) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    r = _cli(tmp_path, "import", str(path), code=1)
    assert ":1: " in r.stderr and "Traceback" not in r.stderr


def test_item15_ctrl_c_exits_130_in_one_line(tmp_path: Any) -> None:
    import signal
    import subprocess
    import sys
    import time

    lines = [f"{_HEAD}"] + [
        f"c{i:05},C,2026-01-10,cytomic-edr,commercial,10,1y,2026-01-10,,centralized"
        for i in range(60_000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cytolicense", "--db", str(tmp_path / "c.db"), "import", str(path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the import finished before the interrupt")
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "interrupted: the batches already written stay; run the same import again to resume"
    ]


def test_item20_spanish_throughout(tmp_path: Any) -> None:
    day = ("--today", "2026-11-27")
    _cli(tmp_path, *day, "add-client", "acme", "ACME")
    _cli(
        tmp_path,
        *day,
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "5",
        "--period",
        "1y",
    )
    history = _cli(tmp_path, *day, "--lang", "es", "history", "acme").stdout
    assert "cliente añadido: ACME" in history and "producto asignado: m1" in history
    assert "ClientCreated" not in history and "until" not in history
    refused = _cli(
        tmp_path,
        *day,
        "--lang",
        "es-ES",
        "assign",
        "acme",
        "--product",
        "cytomic-epdr",
        "--seats",
        "5",
        "--period",
        "1y",
        code=1,
    ).stderr
    assert "El cliente ya tiene" in refused
    warned = _cli(
        tmp_path,
        *day,
        "--lang",
        "es_MX",
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "5",
        "--period",
        "1m",
    ).stderr
    assert warned.startswith("aviso [period.not_enabled]")
    data = _cli(
        tmp_path,
        *day,
        "--lang",
        "es",
        "--json",
        "check",
        "acme",
        "--product",
        "cytomic-epdr",
        "--seats",
        "5",
        "--period",
        "1y",
        code=1,
    ).stdout
    import json

    finding = json.loads(data)["findings"][0]
    assert finding["translations"]["es"].startswith("El cliente ya tiene")


def test_item24_the_catalog_says_what_changes_and_extends(tmp_path: Any) -> None:
    day = ("--today", "2026-11-27")
    text = _cli(tmp_path, "catalog").stdout
    assert "changes to: none" in text and "trial extension: cannot be extended" in text
    _cli(tmp_path, *day, "add-client", "acme", "ACME")
    _cli(
        tmp_path,
        *day,
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "5",
        "--period",
        "1y",
    )
    r = _cli(
        tmp_path,
        *day,
        "change",
        "acme",
        "m1",
        "--product",
        "cytomic-epdr",
        "--period",
        "1y",
        code=1,
    )
    assert "the catalog allows no change from it" in r.stderr and "(allowed: -)" not in r.stderr


def test_item23_the_period_column_agrees_with_the_dates(engine: cl.Engine) -> None:
    c = engine.apply(client(engine), commercial(quantity=5, modules={"patch": None}), T0).client
    late = D(2027, 2, 1)
    c = engine.apply(c, cl.Renew(maintenance="m1", period="2y"), late).client
    text = engine.detail(c, late).text()
    rows = [r for r in text.splitlines() if "3 years" in r]
    assert len(rows) == 2  # the product's row and its module's: the same days, the same words
    assert "2 years" not in text


def test_item23_a_day_before_the_last_change_says_why_nothing_is_offered(
    engine: cl.Engine,
) -> None:
    later = T0 + dt.timedelta(days=30)
    c = engine.apply(client(engine), commercial(quantity=5), later).client
    text = engine.detail(c, T0 + dt.timedelta(days=10)).text("es")
    assert "el cliente cambió por última vez el 2026-03-31" in text
    assert "date.before_history" not in engine.detail(c, later).text()


@pytest.mark.parametrize("n", [12, 24, 36])
def test_item25_the_forecast_chart_reads_at_any_length(n: int) -> None:
    """No label wider than its bar's slot, month labels at least 34 px apart (looked at
    in headless Chromium at 12, 24 and 36 months)."""
    import re

    from cytolicense.views._charts import forecast_svg
    from cytolicense.views._lifecycle import Forecast

    months = tuple((2026 + (11 + i) // 12, (11 + i) % 12 + 1) for i in range(n))
    seats = {"a": tuple(7971 for _ in range(n)), "b": tuple(5000 for _ in range(n))}
    svg = forecast_svg(Forecast(months=months, seats=seats))
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    slot = (width - 50) / n
    totals = re.findall(r'font-weight="bold"><title>(\d+) seats</title>([^<]+)</text>', svg)
    assert len(totals) == n
    for full, shown in totals:
        assert len(shown) * 6.6 + 4 <= slot, (full, shown, slot)
        assert shown == full or shown.endswith("k")
    xs = [
        float(x)
        for x in re.findall(
            r'<text x="([\d.]+)" y="\d+" text-anchor="middle">[A-Z][a-z]{2}</text>', svg
        )
    ]
    assert xs and all(b - a >= 34 for a, b in itertools.pairwise(xs))


def test_item21_assign_dry_run_and_keys_on_the_command_line(tmp_path: Any) -> None:
    day = ("--today", "2026-11-27")
    _cli(tmp_path, *day, "add-client", "acme", "ACME")
    assign = ("assign", "acme", "--product", "cytomic-edr", "--seats", "2", "--period", "1y")
    assert "nothing changed" in _cli(tmp_path, *day, *assign, "--dry-run").stdout
    assert "nothing changed" in _cli(tmp_path, *day, "--dry-run", *assign).stdout
    assert "no maintenance to show" in _cli(tmp_path, *day, "detail", "acme").stdout
    first = _cli(tmp_path, *day, *assign, "--key", "order-17").stdout
    again = _cli(tmp_path, *day, *assign, "--key", "order-17").stdout
    assert first == again and "assigned: maintenance m1" in first
    assert " m2 " not in _cli(tmp_path, *day, "detail", "acme").stdout
    other = ("assign", "acme", "--product", "cytomic-edr", "--seats", "3", "--period", "1y")
    assert (
        "first used for another operation"
        in _cli(tmp_path, *day, *other, "--key", "order-17", code=3).stderr
    )
    assert (
        "forgot 1 idempotency key(s)"
        in _cli(tmp_path, *day, "keys", "prune", "--before", "2026-11-28").stdout
    )
    assert _cli(tmp_path, *day, "demo", "--dry-run", code=2)


def test_item14_a_plugin_rule_whose_repr_raises_is_named_by_its_type() -> None:
    from .conftest import TestCatalog

    class Evil:
        def __call__(self, ctx: Any) -> Any:
            raise ValueError("boom")

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    class Plugin:
        __name__ = "evilplugin"

        @cl.hookimpl
        def cytolicense_rules(self) -> list[Any]:
            return [Evil()]

    engine = cl.Engine(cl.load_catalog(TestCatalog(), Plugin(), entry_points=False))
    c = engine.create_client("a", "A", T0)
    with pytest.raises(cl.PluginRuleError, match="<Evil object>.*evilplugin"):
        engine.check(c, commercial("edr"), T0)


@settings(max_examples=200, deadline=None)
@given(
    maintenances=st.lists(
        _maintenances(),
        max_size=4,
        unique_by=lambda m: m.id,
    ),
    offset=st.integers(-5, 2000),
)
def test_item9_the_fast_last_day_test_agrees_with_last_event_day(
    maintenances: list[cl.Maintenance], offset: int
) -> None:
    from cytolicense.core._client_records import _after

    created = min((m.starts_on for m in maintenances), default=D(2020, 1, 1))
    c = cl.Client(id="c", name="C", created_on=created, maintenances=tuple(maintenances))
    day = created + dt.timedelta(days=offset)
    assert _after(day, c) == (c.last_event_day() > day)
