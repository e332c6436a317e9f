from __future__ import annotations

import types

import pytest

import cytolicense as cl
from cytolicense.testing import assert_valid_catalog, check_catalog_plugin

from .conftest import TestCatalog


def module_plugin(name: str, **hooks: object) -> types.ModuleType:
    mod = types.ModuleType(name)
    for hook, value in hooks.items():

        def impl(value: object = value) -> object:
            return value

        impl.__name__ = f"cytolicense_{hook}"
        setattr(mod, impl.__name__, cl.hookimpl(impl))
    return mod


def test_a_good_catalog() -> None:
    report = check_catalog_plugin(TestCatalog())
    assert report.ok
    assert report.checked == ("edr", "epdr", "mailguard")
    assert str(report) == "catalog ok: 3 product(s) checked"
    assert assert_valid_catalog(TestCatalog()) is not None


def test_problems_are_all_listed() -> None:
    fam = cl.ProductFamily(id="f", name="F")
    plugin = module_plugin(
        "vendor",
        families=[fam],
        modules=[cl.Module(id="unused", name="Unused"), cl.Module(id="m", name="M")],
        products=[
            cl.Product(
                id="p", name="P", family="f", modules=["m"], trial_max_quantity=None, max_quantity=1
            ),
            cl.Product(id="q", name="Q", family="f", license_types=["trial"], periods=[]),
        ],
    )
    report = check_catalog_plugin(plugin)
    assert report.problems == (
        "module 'unused' is offered with no product",
        "product 'q' enables none of its periods",
    )
    with pytest.raises(AssertionError, match="catalog problems:\n- module 'unused'"):
        assert_valid_catalog(plugin)


def test_refused_sample_assignments() -> None:
    class Rules:
        __name__ = "strict"

        @cl.hookimpl
        def cytolicense_rules(self) -> list[cl.Rule]:
            def no(ctx: cl.RuleContext) -> list[cl.Finding]:
                return [cl.make_finding("strict.no", None, {}, messages={"en": "no"})]

            return [no]

    report = check_catalog_plugin(Rules(), requires=[TestCatalog()])
    assert "product 'edr': a plain commercial assignment is refused: [strict.no] no" in (
        report.problems
    )
    assert "product 'edr': a plain trial assignment is refused: [strict.no] no" in report.problems


def test_does_not_load() -> None:
    plugin = module_plugin("lonely", products=[cl.Product(id="p", name="P", family="nope")])
    report = check_catalog_plugin(plugin)
    assert report.catalog is None
    assert report.problems[0].startswith("does not load: product 'p' (declared by plugin 'lonely')")
    assert check_catalog_plugin("no-such-entry-point").problems == (
        "does not load: no installed entry point 'no-such-entry-point' in group 'cytolicense'",
    )


def test_empty_catalog() -> None:
    report = check_catalog_plugin(module_plugin("empty", families=[]))
    assert report.problems == ("declares no product",)
