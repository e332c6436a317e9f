"""The command line for a team: operators, --operator, requests and the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cytolicense.cli._main import main


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--partner", "p", "--today", "2026-04-01", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_operators_requests_and_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "team.db"
    assert run(capsys, db, "add-client", "c1", "C One")[0] == 0
    # The first operator must have total control.
    code, _, err = run(capsys, db, "operators", "add", "m", "--role", "monitoring")
    assert code == 1 and "auth.last_admin" in err
    assert run(capsys, db, "operators", "add", "root", "--role", "total_control")[0] == 0
    assert (
        run(capsys, db, "operators", "add", "ana", "--role", "monitoring", "--grant", "north")[0]
        == 0
    )
    assert (
        run(capsys, db, "operators", "add", "lic", "--role", "license_admin", "--grant", "")[0] == 0
    )
    code, out, _ = run(capsys, db, "--json", "operators", "list")
    listed = json.loads(out)
    assert [o["id"] for o in listed] == ["root", "ana", "lic"] and listed[0]["primary"]
    # Acting as an operator: its role and scope are checked.
    code, _, err = run(capsys, db, "--operator", "ana", "add-client", "c2", "C Two")
    assert code == 1 and "auth.forbidden" in err
    code, out, _ = run(capsys, db, "--operator", "ana", "--json", "clients")
    assert "c1" not in out  # the default group is out of ana's scope
    code, _, err = run(capsys, db, "--lang", "es", "--operator", "ana", "add-client", "c3", "X")
    assert code == 1 and "no puede" in err
    # A request, approved by another.
    op = json.dumps({"type": "SetGroup", "data": {"group": "north"}})
    assert run(capsys, db, "--operator", "lic", "request", "c1", op)[0] == 0
    code, out, _ = run(capsys, db, "requests")
    assert out.startswith("r1\tpending\tc1\tset_group")
    code, _, err = run(capsys, db, "--operator", "lic", "approve", "r1")
    assert code == 1 and "auth.forbidden" in err  # its own request
    assert run(capsys, db, "--operator", "root", "approve", "r1")[0] == 0
    code, out, _ = run(capsys, db, "--operator", "ana", "--json", "clients")
    assert "c1" in out  # moved into north
    # The primary stays; the audit says it all.
    code, _, err = run(capsys, db, "operators", "update", "root", "--role", "monitoring")
    assert code == 1 and "auth.primary_immutable" in err
    code, out, _ = run(capsys, db, "--operator", "root", "--json", "audit", "--limit", "50")
    entries = json.loads(out)
    assert entries[0]["action"] == "update_operator" and entries[0]["outcome"] == "refused"
    assert {"forbidden", "applied", "refused"} <= {e["outcome"] for e in entries}
    code, _, err = run(capsys, db, "--operator", "ana", "audit")
    assert code == 1 and "auth.forbidden" in err
    # The web sign-in's password, from standard input: only its hash is kept.
    import io
    import sys

    stdin, sys.stdin = sys.stdin, io.StringIO("correct horse\n")
    try:
        assert run(capsys, db, "operators", "password", "ana")[0] == 0
    finally:
        sys.stdin = stdin
    import cytolicense as cl

    with cl.Store(db, "p") as store:
        assert (store.secret("ana") or "").startswith("$argon2id$")
    code, _, err = run(capsys, db, "--operator", "nobody", "clients")
    assert code == 3 and "nobody" in err
