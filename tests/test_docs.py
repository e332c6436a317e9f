"""The docs cannot rot: their examples run, and hooks, codes and names stay documented."""

from __future__ import annotations

import doctest
import inspect
import sys
from pathlib import Path

import pytest

import cytolicense as cl
from cytolicense.plugins._hookspecs import HOOK_NAMES
from cytolicense.rules._builtin import messages_table

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)

sys.path.insert(0, str(DOCS))
import gen_reference  # noqa: E402

EN, ES = messages_table("en"), messages_table("es")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_run(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize(
    "page", [gen_reference.FINDINGS, gen_reference.HOOKS, gen_reference.CLI, gen_reference.SCHEMAS]
)
def test_generated_pages_are_current(page: str) -> None:
    expected = gen_reference.PAGES[page]()
    assert (DOCS / page).read_text(encoding="utf-8") == expected, (
        f"run `python docs/gen_reference.py` to refresh {page}"
    )


def test_every_finding_code_is_documented_in_both_languages() -> None:
    text = (DOCS / gen_reference.FINDINGS).read_text(encoding="utf-8")
    for code in cl.CODES:
        assert f"## `{code}`" in text
    for key in EN:
        assert f"- en: {EN[key]}" in text
        assert f"- es: {ES[key]}" in text


def test_every_hook_is_documented_and_tested() -> None:
    """In the style of datasette's test_plugin_hooks_have_tests."""
    hooks_page = (DOCS / gen_reference.HOOKS).read_text(encoding="utf-8")
    how_to = (DOCS / "how-to" / "catalog-plugin.md").read_text(encoding="utf-8")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    for hook in HOOK_NAMES:
        assert f"## `{hook}(" in hooks_page
        assert hook in how_to, f"{hook} is not in the catalog plugin how-to"
        assert f"def {hook}(" in tests, f"no test implements {hook}"


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in cl.__all__:
        obj = getattr(cl, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                if attr.startswith("_") or not (
                    inspect.isfunction(member)
                    or isinstance(member, property | staticmethod | classmethod)
                ):
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []


def test_every_public_name_is_in_the_api_reference() -> None:
    api = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    for name in cl.__all__:
        assert name in api, f"{name} is not in docs/reference/api.md"
