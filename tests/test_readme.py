"""The README's quick start is executed, so it cannot rot."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_readme_quick_start() -> None:
    text = README.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "README.md", str(README), 0)
    assert test.examples, "the README shows no Python session"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


def test_readme_opens_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```console") + 1 : lines.index("```console") + 3]
    assert block == [
        "pip install . ./catalogs/cytomic && python -m cytolicense demo",
        "pip install nox && nox -s tests",
    ]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "nox -s tests" in ci
