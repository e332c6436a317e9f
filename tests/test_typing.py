"""A wrongly typed constructor call fails mypy --strict (the converters are typed)."""

from __future__ import annotations

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

WRONG = Path(__file__).parent / "typing" / "wrong_calls.py"


def test_wrong_calls_fail_mypy() -> None:
    out, _, status = api.run(["--strict", "--no-incremental", str(WRONG)])
    expected = sum("# E:" in line for line in WRONG.read_text().splitlines())
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out
    lines = {int(e.split(":")[1]) for e in errors}
    marked = {i for i, line in enumerate(WRONG.read_text().splitlines(), start=1) if "# E:" in line}
    assert lines == marked and len(marked) == expected, out
