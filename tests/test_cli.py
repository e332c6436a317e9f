"""The command line, run end to end as a subprocess against a temporary database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cytolicense as cl
from cytolicense.cli._main import main

TODAY = "2026-11-27"


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.db = tmp_path / "console.db"
        self.cwd = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CYTOLICENSE_")}

    def __call__(
        self,
        *args: str,
        code: int = 0,
        env: dict[str, str] | None = None,
        today: str | None = TODAY,
    ) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "cytolicense", *args, "--db", str(self.db)]
        if today:
            argv += ["--today", today]
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            timeout=60,
        )
        assert result.returncode == code, (result.stdout, result.stderr)
        return result

    def plain(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """Run without the --db and --today options this fixture adds."""
        return subprocess.run(
            [sys.executable, "-m", "cytolicense", *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **env},
            timeout=60,
        )

    def json(self, *args: str, code: int = 0, **kw: Any) -> Any:
        return json.loads(self(*args, "--json", code=code, **kw).stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_catalog(cli: Cli) -> None:
    out = cli("catalog").stdout
    assert "Cytomic Advanced EDR [cytomic-edr]" in out and "Cytomic Encryption" in out
    data = cli.json("catalog")
    assert {p["id"] for p in data["products"]} == {"cytomic-edr", "cytomic-epdr"}
    blocked = cli("catalog", env={"CYTOLICENSE_DISABLE_PLUGINS": "cytomic"}).stdout
    assert "no catalog plugin is installed" in blocked


def test_a_console_session(cli: Cli) -> None:
    assert "added client acme (ACME Corp)" in cli("add-client", "acme", "ACME Corp").stdout
    again = cli("add-client", "acme", "Again", code=3).stderr
    assert "client 'acme' already exists" in again and "choose another id" in again
    ok = cli("check", "acme", "--product", "cytomic-epdr", "--seats", "20", "--period", "1y")
    assert (
        "ok: the assignment (commercial cytomic-epdr x20 for 1 year) would go through" in ok.stdout
    )
    out = cli(
        "assign",
        "acme",
        "--product",
        "cytomic-epdr",
        "--seats",
        "20",
        "--period",
        "1y",
        "--module",
        "cytomic-encryption=5",
        "--module",
        "cytomic-patch",
    )
    assert "assigned: maintenance m1" in out.stdout and "Cytomic Encryption" in out.stdout
    # A warning goes through and is printed.
    warned = cli(
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--type",
        "trial",
        "--seats",
        "5",
        "--management",
        "unmanaged",
    )
    assert "maintenance m2" in warned.stdout
    monthly = cli(
        "assign", "acme", "--product", "cytomic-edr", "--seats", "5", "--period", "1m", code=1
    )
    assert "[family.already_assigned]" in monthly.stderr  # EPDR is active: same family
    mod = cli.json(
        "modify",
        "acme",
        "m1",
        "--seats",
        "30",
        "--module",
        "cytomic-encryption=10",
        "--module",
        "cytomic-data-watch",
    )
    assert mod["maintenance"]["quantity"] == 30
    # --module adds or changes the named modules and keeps the others (R2 8/8).
    assert [m["module"] for m in mod["maintenance"]["modules"]] == [
        "cytomic-data-watch",
        "cytomic-encryption",
        "cytomic-patch",
    ]
    dropped = cli.json("modify", "acme", "m1", "--drop-module", "cytomic-patch")
    assert "cytomic-patch" not in [m["module"] for m in dropped["maintenance"]["modules"]]
    cli("modify", "acme", "m1", "--drop-module", "cytomic-nope", code=2)
    assert "nothing to change" in cli("modify", "acme", "m1").stdout
    nomods = cli.json("modify", "acme", "m1", "--no-modules")
    assert nomods["maintenance"]["modules"] == []
    assert "centralized management stopped" in cli("unmanage", "acme", "m1").stdout
    assert "centralized management started" in cli("manage", "acme", "m1").stdout
    seats = cli.json("entitlements", "acme")
    assert seats == {"cytomic-epdr": 30, "cytomic-edr": 5}
    assert "cytomic-epdr  30" in cli("entitlements", "acme").stdout
    detail = cli("detail", "acme").stdout
    assert detail.startswith("ACME Corp [acme] on 2026-11-27: visible")
    assert cli.json("detail", "acme")["lines"][0]["maintenance_id"] == "m1"
    assert "deleted: maintenance m2" in cli("delete-service", "acme", "m2").stdout
    history = cli("history", "acme").stdout.splitlines()
    assert history[0].startswith("2026-11-27  client added: ACME Corp")
    assert "management changed: m1 -> unmanaged" in history[6]
    assert "added cytomic-data-watch (30)" in history[3]
    assert "dropped cytomic-patch" in history[4]
    assert len(cli.json("history", "acme")) == 9
    es = cli("--lang", "es", "history", "acme").stdout.splitlines()
    assert es[0].startswith("2026-11-27  cliente añadido: ACME Corp")
    assert "hasta el" in es[1] and "until" not in "\n".join(es)
    assert "acme" in cli("monitoring").stdout
    assert [c["id"] for c in cli.json("monitoring")] == ["acme"]
    assert "deleted (shown for 90 more days)" in cli("delete-client", "acme").stdout
    later = cli("monitoring", today="2027-02-25").stdout  # day 90 after the deletion
    assert "no client to show on 2027-02-25" in later
    assert [c["id"] for c in cli.json("clients", today="2027-02-25")] == ["acme"]
    assert "acme" in cli("clients").stdout


def test_refusals_in_both_languages(cli: Cli) -> None:
    cli("add-client", "acme", "ACME")
    args = (
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "0",
        "--period",
        "5y",
        "--module",
        "cytomic-nope",
    )
    en = cli(*args, code=1).stderr
    assert en.splitlines()[0] == "cannot assign the product:"
    assert "error [quantity.invalid]" in en and "error [period.invalid]" in en
    assert "error [module.unknown]" in en
    es = cli(*args, "--lang", "es", code=1).stderr
    assert es.splitlines()[0] == "no se puede asignar el producto:"
    assert "El periodo 5y no está a la venta" in es
    assert "La cantidad 0 no es válida" in cli(*args, code=1, env={"CYTOLICENSE_LANG": "es"}).stderr
    data = cli.json(*args, code=1)
    assert data["refused"] == "assign"
    assert [f["code"] for f in data["findings"]] == [
        "quantity.invalid",
        "period.invalid",
        "module.unknown",
    ]
    checked = cli.json("check", *args[1:], code=1)
    assert checked["refused"] == "assign"
    # Nothing was written.
    assert len(cli.json("history", "acme")) == 1


def test_warnings_are_printed_and_the_action_goes_through(cli: Cli) -> None:
    cli("add-client", "acme", "ACME")
    r = cli("assign", "acme", "--product", "cytomic-edr", "--seats", "5", "--period", "1m")
    assert "warning [period.not_enabled]" in r.stderr
    assert "assigned: maintenance m1" in r.stdout
    checked = cli("check", "acme", "--product", "cytomic-epdr", "--seats", "5", "--type", "trial")
    assert checked.stderr == ""


def test_errors_and_usage(cli: Cli) -> None:
    nodb = cli("detail", "nobody", code=3)
    assert "error: no database at" in nodb.stderr and "nothing was created" in nodb.stderr
    cli("add-client", "someone", "Someone")
    missing = cli("detail", "nobody", code=3)
    assert "error: partner 'default' has no client 'nobody'" in missing.stderr
    cli("detail", "nobody", code=3, env={"CYTOLICENSE_PARTNER": "other"})
    cli("assign", "acme", "--seats", "3", code=2)  # --product missing
    cli("assign", "acme", "--product", "x", "--seats", "three", code=2)
    cli("add-client", "a", "A", "--today", "2026-02-30", code=2, today=None)
    cli("add-client", "a", "A")
    cli(
        "assign", "a", "--product", "cytomic-edr", "--seats", "3", "--period", "forever", code=2
    )  # a bad period string is a usage error
    cli("assign", "a", "--product", "cytomic-edr", "--seats", "3", "--module", "=4", code=2)
    cli("modify", "a", "m9", "--seats", "3", code=1)
    bad = cli.db.with_name("bad.db")
    bad.write_text("not a database " * 200)
    r = cli.plain("monitoring", "--db", str(bad), env={})
    assert r.returncode == 3 and "not a cytolicense database" in r.stderr


def test_environment_defaults(cli: Cli) -> None:
    """Without --db: $CYTOLICENSE_DB, else ./cytolicense.db."""
    for env, expected in (({"CYTOLICENSE_DB": "env.db"}, "env.db"), ({}, "cytolicense.db")):
        r = cli.plain("add-client", "x", "X", env=env)
        assert r.returncode == 0, r.stderr
        assert (cli.cwd / expected).exists()


def test_demo(cli: Cli) -> None:
    out = cli("demo").stdout
    assert "Monitoring list (5 shown):" in out
    for shown in ("contoso", "fabrikam", "northwind", "initech", "umbrella"):
        assert shown in out
    listing = out.split("Monitoring list")[1].split("Not shown:")[0]
    assert "globex" not in listing
    assert "Not shown: Globex [globex]" in out  # the demo names the hidden client
    assert "Contoso Ltd. [contoso] on 2026-11-27: visible" in out
    data = cli.json("demo")  # fresh again: same result
    assert data["monitoring"] == ["contoso", "fabrikam", "initech", "northwind", "umbrella"]
    assert data["hidden"] == ["globex"]
    clients = cli.json("clients")
    assert len(clients) == 6 and [c["id"] for c in clients if not c["shown"]] == ["globex"]
    assert "hidden: no service since" in cli("clients").stdout
    assert cli.json("entitlements", "contoso")["cytomic-edr"] == 75


def test_demo_default_path_and_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cytolicense")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "cytolicense"]
    r = subprocess.run([*argv, "demo"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cytolicense-demo.db").exists()


def test_main_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.db")
    assert main(["--db", db, "--today", TODAY, "add-client", "a", "A"]) == 0
    assert main(["--db", db, "--today", TODAY, "detail", "a"]) == 0
    assert "no maintenance to show" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "usage: cytolicense" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("cytolicense ")
    assert main([]) == 0  # no command: the help
    assert "usage: cytolicense" in capsys.readouterr().out
    assert main(["catalog"]) == 0
    assert "Cytomic Advanced EPDR" in capsys.readouterr().out
    with cl.Store(db, "default") as store:
        assert store.get("a").name == "A"


def test_a_closed_pipe_is_not_an_error(cli: Cli) -> None:
    """`cytolicense clients | head`: the reader leaves early; no traceback, exit 0."""
    import os

    cli("demo")  # the fixture passes --db: the demo wrote there
    read, write = os.pipe()
    os.close(read)  # no reader at all: every write to the pipe fails
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cytolicense", "--db", str(cli.db), "--today", TODAY, "clients"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=cli.env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


CSV_GOOD = """client_id,name,created_on,product,license_type,quantity,period,starts_on,modules,management
acme,ACME Corp,2026-01-10,cytomic-epdr,commercial,25,1y,2026-01-10,cytomic-encryption=10;cytomic-patch,centralized
acme,ACME Corp,2026-01-10,cytomic-edr,trial,5,,2026-03-01,,unmanaged
beta,Beta,2026-02-01,cytomic-edr,commercial,10,2y,2026-02-01,,
"""


def test_import_csv_then_export_and_import_again(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "clients.csv"
    good.write_text(CSV_GOOD, encoding="utf-8")
    assert "imported 2 client(s)" in cli("import", str(good)).stdout
    assert cli.json("entitlements", "acme")["cytomic-encryption"] == 10
    again = cli("import", str(good)).stdout  # resumable: present clients are skipped
    assert "imported 0 client(s), skipped 2 already present" in again
    exported = cli("export").stdout
    assert len(exported.splitlines()) == 2
    dump = tmp_path / "clients.jsonl"
    dump.write_text(exported, encoding="utf-8")
    other = Cli(tmp_path / "other")
    (tmp_path / "other").mkdir()
    assert "imported 2 client(s)" in other("import", str(dump)).stdout
    assert other.json("detail", "acme") == cli.json("detail", "acme")
    assert other("history", "acme").stdout == cli("history", "acme").stdout


def test_a_bad_csv_imports_nothing_and_names_every_bad_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        CSV_GOOD
        + "gamma,Gamma,2026-02-30,cytomic-edr,commercial,1,1y,2026-03-01,,\n"
        + "delta,Delta,2026-03-01,cytomic-edr,commercial,ten,1y,2026-03-01,,\n"
        + "eps,Eps,2026-03-01,cytomic-xdr,commercial,1,1y,2026-03-01,,\n",
        encoding="utf-8",
    )
    err = cli("import", str(bad), code=1).stderr
    assert f"{bad}:5: created_on: not a date" in err
    assert f"{bad}:6: quantity: not a whole number" in err
    assert f"{bad}:7: [product.unknown]" in err and "nothing imported: 3 bad row(s)" in err
    cli("clients", code=3)  # no database was even created
    cli("import", str(tmp_path / "missing.csv"), code=2)


def test_everything_a_person_reads_is_in_spanish_with_lang_es(cli: Cli) -> None:
    es = {"CYTOLICENSE_LANG": "es"}
    # Help, argparse's own words included; bare `cytolicense` too.
    helped = cli.plain("--help", env=es).stdout
    assert helped.startswith("uso: cytolicense") and "opciones:" in helped
    assert "muestra el catálogo instalado" in helped and "muestra esta ayuda y termina" in helped
    assert cli.plain(env=es).stdout.startswith("uso: cytolicense")
    sub = cli.plain("assign", "--help", "--lang", "es", env={}).stdout
    assert "argumentos posicionales" in sub and "número de licencias" in sub
    assert "(por defecto: commercial)" in sub
    wrong = cli.plain("assign", "acme", "--type", "gift", env=es)
    assert wrong.returncode == 2 and "opción no válida: 'gift'" in wrong.stderr
    typo = cli.plain("assign", "acme", "--product", "x", "--seats", "diez", env=es)
    assert typo.returncode == 2 and "no es un número entero: 'diez'" in typo.stderr
    # Errors raised by the store, and ids unknown to the catalog.
    missing = cli("monitoring", code=3, env=es).stderr
    assert (
        missing.startswith("error: no hay ninguna base de datos en ") and "revise --db" in missing
    )
    cli("add-client", "acme", "ACME", env=es)
    again = cli("add-client", "acme", "ACME", code=3, env=es).stderr
    assert "el cliente 'acme' ya existe" in again
    nobody = cli("detail", "ghost", code=3, env=es).stderr
    assert nobody == "error: el partner 'default' no tiene ningún cliente 'ghost'\n"
    # The catalog listing, the demo's headings, the pool.
    listing = cli("catalog", env=es).stdout
    assert "tipos de licencia: comercial, prueba" in listing and "1 año (1y)" in listing
    assert "licencias propias" in listing
    demo = cli.plain("demo", "--today", TODAY, env=es).stdout
    assert demo.startswith("Base de datos de demostración: cytolicense-demo.db")
    assert "Monitorización (5 mostrados):" in demo and "No se muestra: Globex [globex]" in demo
    assert "Explórela: python -m cytolicense" in demo
    assert cli("pool", env=es).stdout == "stock vacío (nada registrado)\n"
    # Import messages, each bad line's reason included.
    bad = cli.cwd / "bad.csv"
    bad.write_text(
        "client_id,name,created_on,product,license_type,quantity,period,modules,management,"
        "starts_on\nx,X,2026-13-01,cytomic-edr,commercial,5,1y,,,2026-11-01\n",
        encoding="utf-8",
    )
    refused = cli("import", str(bad), code=1, env=es).stderr
    assert "bad.csv:2: created_on: no es una fecha (AAAA-MM-DD): '2026-13-01'" in refused
    assert "no se ha importado nada: 1 fila(s) erróneas" in refused


def test_a_period_is_written_one_way_in_every_view(cli: Cli) -> None:
    cli("add-client", "acme", "ACME")
    cli("assign", "acme", "--product", "cytomic-edr", "--seats", "10", "--period", "2y")
    detail = cli("detail", "acme").stdout
    line = next(x for x in detail.splitlines() if x.strip().startswith("m1"))
    assert " 2 years " in line and " 2y " not in line
    es = cli("detail", "acme", "--lang", "es").stdout
    assert " 2 años " in es
    cli("renew", "acme", "m1", "--period", "1y", today="2028-11-01")
    assert "cytomic-edr for 1 year, end 2028-11-27 -> 2029-11-27" in cli("history", "acme").stdout


def test_every_command_group_declares_its_commands_once_and_help_lists_them_all() -> None:
    """Each file in ``cli/commands/`` holds its commands' arguments and handlers; a
    command declared there but missing from the help's order (or named twice) fails."""
    import importlib
    import pkgutil

    from cytolicense.cli import commands
    from cytolicense.cli._main import _parser

    declared = [
        c.name
        for info in pkgutil.iter_modules(commands.__path__)
        for c in importlib.import_module(f"{commands.__name__}.{info.name}").COMMANDS
    ]
    assert sorted(declared) == sorted(commands.HELP_ORDER)
    assert len(set(declared)) == len(declared)
    assert [c.name for c in commands.COMMANDS] == list(commands.HELP_ORDER)
    (sub,) = (a for a in _parser()._actions if a.dest == "command")
    assert list(sub.choices) == list(commands.HELP_ORDER)
