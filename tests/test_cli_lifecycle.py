"""The round-2 commands, run in process: renew, convert, add seats, group, the pool,
what expires, the forecast, usage, dry runs and who acted."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from cytolicense.cli._main import main


class Run:
    def __init__(self, tmp_path: Path) -> None:
        self.db = str(tmp_path / "c.db")

    def __call__(self, *args: str, code: int = 0, today: str = "2026-11-27") -> str:
        out, err = io.StringIO(), io.StringIO()
        status = main([*args, "--db", self.db, "--today", today], out=out, err=err)
        assert status == code, (out.getvalue(), err.getvalue())
        return out.getvalue() + err.getvalue()

    def json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self(*args, "--json", **kw).split("\n\n")[0])


@pytest.fixture
def run(tmp_path: Path) -> Run:
    r = Run(tmp_path)
    r("add-client", "acme", "ACME")
    return r


def test_renew_with_dry_run_and_actor(run: Run) -> None:
    run("assign", "acme", "--product", "cytomic-edr", "--seats", "10", "--period", "1y")
    late = "2027-06-01"
    dry = run("renew", "acme", "m1", "--dry-run", today=late)
    assert dry == "ok: the maintenance can be renewed (nothing changed)\n"
    es = run("renew", "acme", "m1", "--dry-run", "--lang", "es", today=late)
    assert es == "ok: se podría renovar el mantenimiento (nada ha cambiado)\n"
    assert "2027-11-27" in run("detail", "acme", today=late)  # the dry run changed nothing
    run("renew", "acme", "m1", "--period", "2y", "--actor", "ana", "--reason", "PO 42", today=late)
    assert "2029-11-27" in run("detail", "acme", today=late)
    history = run("history", "acme")
    assert "renewed: m1" in history and "[by ana] (PO 42)" in history
    early = run("renew", "acme", "m1", code=1, today=late)
    assert "renewal.too_early" in early


def test_convert_extend_change(run: Run) -> None:
    run("assign", "acme", "--product", "cytomic-edr", "--type", "trial", "--seats", "20")
    assert "trial.extension_not_offered" in run("extend", "acme", "m1", code=1)
    out = run("convert", "acme", "m1", "--period", "1y", today="2026-12-01")
    assert "converted: maintenance m2" in out
    refused = run(
        "change",
        "acme",
        "m2",
        "--product",
        "cytomic-epdr",
        "--period",
        "1y",
        code=1,
        today="2026-12-01",
    )
    assert "change.not_allowed" in refused


def test_add_seats_group_and_the_pool(run: Run) -> None:
    assert "empty pool" in run("pool")
    run("pool", "credit", "cytomic-edr", "1y", "100", "--actor", "buyer")
    run("pool", "debit", "x", code=2)
    run("assign", "acme", "--product", "cytomic-edr", "--seats", "10", "--period", "1y")
    run("assign", "acme", "--product", "cytomic-edr", "--seats", "20", "--period", "1y")
    assert run.json("pool")["lines"][0]["seats"] == 70
    run("add-seats", "acme", "m1", "--seats", "5", "--period", "1y", today="2027-05-27")
    assert run.json("pool")["lines"][0]["seats"] == 65
    # A correction below zero is refused unless asked for (R3 0/6 item 19).
    run("pool", "--credit", "cytomic-patch", "1y", "-3", code=3)
    run("pool", "--credit", "cytomic-patch", "1y", "-3", "--allow-negative")
    assert "over-assigned: cytomic-patch for 1 year by 3 seats" in run("pool")
    grouped = run("group", "acme", "cytomic-edr", today="2027-05-28")
    assert "grouped: maintenance m1" in grouped
    assert run.json("entitlements", "acme", today="2027-05-28") == {"cytomic-edr": 35}


def test_expiring_forecast_usage(run: Run) -> None:
    run("assign", "acme", "--product", "cytomic-edr", "--seats", "10", "--period", "1m")
    rows = run.json("expiring", "--within", "40")
    assert [(r["maintenance_id"], r["days_left"]) for r in rows] == [("m1", 30)]
    assert "nothing expires" in run("expiring", "--within", "5")
    assert "2026-12-27  0 " in run("expiring", today="2026-12-27")  # its last day
    assert "nothing expires" in run("expiring", today="2026-12-28")  # no grace: over
    fc = run.json("forecast", "--months", "2")
    assert fc == {"months": ["2026-11", "2026-12"], "seats": {"cytomic-edr": [0, 10]}}
    assert "usage.over_entitlement" in run("usage", "acme", "cytomic-edr=12")
    assert "no device above" in run("usage", "acme", "cytomic-edr=10")
    run("usage", "acme", "cytomic-edr", code=2)


def test_lists_in_spanish(run: Run) -> None:
    run("assign", "acme", "--product", "cytomic-edr", "--seats", "10", "--period", "1m")
    es = run("expiring", "--within", "40", "--lang", "es")
    assert es.startswith("caduca") and "comercial" in es and "activo" in es
    assert run("forecast", "--months", "2", "--lang", "es").startswith("mes")
    assert "nada caduca" in run("expiring", "--within", "1", "--lang", "es")


def test_what_a_person_reads_is_in_spanish_with_lang_es(run: Run) -> None:
    out = run(
        "assign",
        "acme",
        "--product",
        "cytomic-edr",
        "--seats",
        "10",
        "--period",
        "1y",
        "--lang",
        "es",
    )
    assert out.startswith("asignado: mantenimiento m1")
    assert "ACME [acme] el 2026-11-27: visible" in out
    assert "producto" in out and "licencias" in out and "centralizada" in out
    assert "activo" in out and "modificar" in out
    listing = run("clients", "--lang", "es")
    assert "último día de servicio" in listing and "se muestra" in listing
    assert "nada que cambiar" in run("modify", "acme", "m1", "--lang", "es")


def test_every_interface_string_has_its_spanish_and_the_same_placeholders() -> None:
    import re

    from cytolicense.views._text import UI

    for english, spanish in UI["es"].items():
        assert spanish.strip(), english
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", spanish))


def test_every_string_a_person_reads_has_its_spanish() -> None:
    """Every literal the code passes to ``tr`` (interface text) or ``said`` (an error's
    template), and every error class's template, has a Spanish entry with the same
    placeholders: found by reading the source, so a new string cannot be missed."""
    import ast
    import re

    import cytolicense
    from cytolicense.core import _exceptions
    from cytolicense.core._messages import ERRORS, UI

    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"{(\w+)}", text))

    used: list[tuple[str, str, str]] = []  # (table, text, where)
    root = Path(cytolicense.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            index = {"tr": 0, "said": 1, "arg_error": 0}.get(name or "")
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            texts = [arg] if isinstance(arg, ast.Constant) else []
            if isinstance(arg, ast.IfExp):  # tr("a" if x else "b", ...)
                texts = [arg.body, arg.orelse]
            for t in texts:
                if isinstance(t, ast.Constant) and isinstance(t.value, str):
                    table = "ERRORS" if name == "said" else "UI"
                    used.append((table, t.value, f"{path.name}:{node.lineno}"))
    from cytolicense.views._input import ACTIONS

    used += [("UI", text, "ACTIONS") for pair in ACTIONS.values() for text in pair]
    for cls in vars(_exceptions).values():
        if isinstance(cls, type) and isinstance(getattr(cls, "template", None), str):
            used.append(("ERRORS", cls.template, cls.__name__))
    assert len(used) > 80
    tables = {"UI": UI["es"], "ERRORS": ERRORS["es"]}
    missing = [(t, text, where) for t, text, where in used if text not in tables[t]]
    assert not missing
    for t, text, where in used:
        assert placeholders(tables[t][text]) == placeholders(text), (text, where)


def test_every_option_and_argument_has_help_with_its_spanish() -> None:
    import argparse

    from cytolicense.cli._main import _parser
    from cytolicense.core._messages import UI

    def walk(parser: argparse.ArgumentParser) -> list[tuple[str, str | None]]:
        found = [(parser.prog, parser.description)]
        for action in parser._actions:
            found.append((f"{parser.prog} {action.dest}", action.help))
            if isinstance(action, argparse._SubParsersAction):
                found += [(f"{parser.prog} {c.dest}", c.help) for c in action._choices_actions]
                for sub in dict.fromkeys(action.choices.values()):
                    found += walk(sub)
        return found

    texts = walk(_parser())
    assert len(texts) > 200
    missing = [where for where, text in texts if not text]
    assert not missing
    builtin = {"show this help message and exit", "show program's version number and exit"}
    untranslated = [t for _, t in texts if t and t not in UI["es"] and t not in builtin]
    assert not untranslated
