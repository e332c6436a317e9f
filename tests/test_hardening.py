"""What a red team broke in round 1, each kept fixed (R2 5/8)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense.cli._cli import main

from .conftest import TestCatalog, request

D = dt.date
TODAY = D(2026, 11, 27)


def run(*argv: str, env: dict[str, str] | None = None, **kw: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


# -- data loss -------------------------------------------------------------------------


def test_demo_never_replaces_a_real_database(tmp_path: Path, monkeypatch: Any) -> None:
    real = tmp_path / "real.db"
    assert run("--db", str(real), "--today", "2026-11-27", "add-client", "acme", "ACME")[0] == 0
    before = real.read_bytes()
    status, _, err = run("--db", str(real), "demo")
    assert status == 2 and "not a demo database" in err
    assert real.read_bytes() == before
    # CYTOLICENSE_DB is not the demo's file: the demo writes ./cytolicense-demo.db.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CYTOLICENSE_DB", str(real))
    assert run("--today", "2026-11-27", "demo")[0] == 0
    assert real.read_bytes() == before and (tmp_path / "cytolicense-demo.db").exists()
    assert run("--today", "2026-11-27", "demo")[0] == 0  # a previous demo is replaced


# -- security --------------------------------------------------------------------------


def test_an_empty_partner_is_a_usage_error(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CYTOLICENSE_PARTNER", "B")
    status, _, err = run("--db", str(tmp_path / "x.db"), "--partner", "", "clients")
    assert status == 2 and "partner is empty" in err


def test_a_foreign_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(cl.StoreError, match="not a cytolicense database"):
        cl.Store(path, "p")
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("bad", ["a\nb", "x\x1b[31m", "\ud800", "\u202eevil"])
def test_ids_and_names_refuse_control_characters(bad: str) -> None:
    with pytest.raises(ValueError, match="Client"):
        cl.Client(id="c", name=bad, created_on=TODAY)
    with pytest.raises(ValueError):
        cl.ProductFamily(id=bad, name="F")


def test_text_views_escape_what_slipped_through() -> None:
    from cytolicense.views._text import clean

    assert clean("a\nb") == "a\\nb" and clean("x\x1b[1m") == "x\\x1b[1m"
    assert clean("Ñandú") == "Ñandú"


# -- wrong answers and crashes ---------------------------------------------------------


def test_records_refuse_impossible_states() -> None:
    with pytest.raises(ValueError, match="before created_on"):
        cl.Client(id="c", name="C", created_on=TODAY, deleted_on=TODAY - dt.timedelta(days=1))
    live = cl.Maintenance(
        id="m1",
        product="p",
        license_type="commercial",
        quantity=1,
        period="1y",
        starts_on=TODAY,
        expires_on=D(2027, 11, 27),
        management="centralized",
    )
    with pytest.raises(ValueError, match="still in force"):
        cl.Client(
            id="c", name="C", created_on=TODAY, deleted_on=D(2027, 1, 1), maintenances=(live,)
        )


def test_finding_params_are_json_values() -> None:
    with pytest.raises(TypeError, match="not a JSON value"):
        cl.make_finding("v.x", None, {"day": TODAY}, messages={"en": "{day}"})


def test_huge_numbers_do_not_break_messages(engine: cl.Engine) -> None:
    # Seats are bounded integers (R3 0/6 item 10): a huge count is refused when the
    # request is built, with a message that does not try to print it.
    with pytest.raises(ValueError, match="more than 4000 digits"):
        request(quantity=10**5000)
    c = engine.create_client("c", "C", TODAY)
    big = engine.check(c, request(product="epdr", quantity=10**9), TODAY)
    assert big.codes == ("quantity.invalid",)


@pytest.mark.parametrize("text", ["１y", "٣y", "1 y", "99999y", "y"])
def test_periods_are_ascii(text: str) -> None:
    with pytest.raises(ValueError):
        cl.Period.parse(text)


@pytest.mark.parametrize(("option", "value"), [("--seats", "1_0"), ("--seats", "１")])
def test_cli_numbers_are_ascii(tmp_path: Path, option: str, value: str) -> None:
    status, _, _ = run(
        "--db", str(tmp_path / "x.db"), "check", "acme", "--product", "p", option, value
    )
    assert status == 2


@pytest.mark.parametrize("value", ["20261127", "2026-W48-5"])
def test_cli_dates_are_iso(tmp_path: Path, value: str) -> None:
    assert run("--db", str(tmp_path / "x.db"), "--today", value, "clients")[0] == 2


def test_corrupt_rows_are_store_errors(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = cl.Store(path, "p")
    store.save(
        cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False)).new_client("a", "A", TODAY),
        None,
    )
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE clients SET document = ?", ("[" * 100_000 + "]" * 100_000,))
    db.commit()
    db.close()
    with cl.Store(path, "p") as again, pytest.raises(cl.StoreError, match="corrupt"):
        again.get("a")
    db = sqlite3.connect(path)
    db.execute("UPDATE clients SET version = 'abc'")
    db.commit()
    db.close()
    with cl.Store(path, "p") as again, pytest.raises(cl.StoreError, match="corrupt version"):
        again.load("a")


def test_save_refuses_a_change_made_for_another_state(tmp_path: Path, engine: cl.Engine) -> None:
    store = cl.Store(tmp_path / "s.db", "p")
    store.save(engine.new_client("a", "A", TODAY), None)
    client, version = store.load("a")
    store.save(engine.assign(client, request(), TODAY), version)
    fresh = engine.new_client("a", "Other", TODAY)
    with pytest.raises(ValueError, match="creates client 'a' again"):
        store.save(fresh, 2)
    stale = engine.assign(client, request(product="mailguard"), TODAY)  # from version 1
    with pytest.raises(ValueError, match="computed from another state"):
        store.save(stale, 2)
    assert len(store.get("a").maintenances) == 1 and len(store.history("a")) == 2
    store.close()


def test_catalog_values_that_can_never_work_are_refused() -> None:
    with pytest.raises(ValueError, match="trial_days"):
        cl.Product(id="p", name="P", family="f", trial_days=10**9)
    with pytest.raises(ValueError, match="longer than"):
        cl.Product(id="p", name="P", family="f", periods=["999y"])


def test_a_plugin_that_exits_on_import_is_a_catalog_error(monkeypatch: Any) -> None:
    class EntryPoint:
        name = "rogue"
        group = "cytolicense"

        def load(self) -> object:
            raise SystemExit(7)

    class Dist:
        metadata = {"name": "rogue-dist", "Name": "rogue-dist"}
        version = "6.6"
        entry_points = [EntryPoint()]

    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [Dist()])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [EntryPoint()])
    with pytest.raises(cl.CatalogError, match="'rogue' \\(rogue-dist 6.6\\): SystemExit"):
        cl.load_catalog()


def test_two_distributions_with_one_entry_point_name(monkeypatch: Any) -> None:
    class EntryPoint:
        name = "cytomic"
        group = "cytolicense"

        def load(self) -> object:
            raise AssertionError("never loaded")

    def dist(name: str) -> Any:
        class Dist:
            metadata = {"name": name, "Name": name}
            version = "1.0"
            entry_points = [EntryPoint()]

        return Dist()

    monkeypatch.setattr(
        importlib.metadata, "distributions", lambda: [dist("genuine"), dist("impostor")]
    )
    with pytest.raises(cl.CatalogError, match="genuine 1.0 and by impostor 1.0"):
        cl.load_catalog()


def test_a_rule_raising_systemexit_or_a_hostile_str_names_the_plugin() -> None:
    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def exits(ctx: cl.RuleContext) -> list[cl.Finding]:
        raise SystemExit(3)

    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False), rules=[exits])
    c = engine.create_client("c", "C", TODAY)
    with pytest.raises(cl.PluginRuleError, match="exits"):
        engine.check(c, request(), TODAY)

    class Bad:
        __name__ = "bad_plugin"

        @cl.hookimpl
        def cytolicense_products(self) -> list[cl.Product]:
            raise Hostile()

    with pytest.raises(cl.CatalogError, match="bad_plugin.*Hostile: <message cannot be shown>"):
        cl.load_catalog(Bad(), entry_points=False)


def test_a_full_disk_mid_batch_is_a_store_error_and_keeps_nothing(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    worker = Path(__file__).with_name("disk_full_worker.py")
    proc = subprocess.run(
        [sys.executable, str(worker), str(tmp_path / "full.db")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    first = report["first"]  # names the file and the cause (EFBIG: SQLite's I/O error)
    assert "full.db: " in first and ("disk I/O error" in first or "disk is full" in first)
    assert "failed earlier" in report["again"]  # the handle left the dead batch
    assert report["stored"] == 1  # nothing of the failed batch was kept


def test_a_hook_calling_sys_exit_is_a_catalog_error() -> None:
    class Exits:
        __name__ = "exits_plugin"

        @cl.hookimpl
        def cytolicense_families(self) -> list[cl.ProductFamily]:
            raise SystemExit(9)

    with pytest.raises(cl.CatalogError, match="exits_plugin.*SystemExit"):
        cl.load_catalog(Exits(), entry_points=False)


def test_a_rule_raising_an_unprintable_exception_names_its_plugin() -> None:
    class Hostile(Exception):
        def __repr__(self) -> str:
            raise RuntimeError("no")

        __str__ = __repr__

    def hostile(ctx: cl.RuleContext) -> list[cl.Finding]:
        raise Hostile()

    engine = cl.Engine(cl.load_catalog(TestCatalog(), entry_points=False), rules=[hostile])
    c = engine.create_client("c", "C", TODAY)
    with pytest.raises(cl.PluginRuleError, match="hostile.*Hostile\\(<cannot be shown>\\)"):
        engine.check(c, request(), TODAY)
